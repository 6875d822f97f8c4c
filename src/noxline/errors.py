"""The one error type noxline raises for bad input; its message names the cause and the fix."""

from __future__ import annotations


class NoxlineError(Exception):
    """Bad input or a refused action, with a message that says what to do about it.

    The CLI and the nox sessions print the message alone (no traceback) and exit non-zero.
    """


class ConfigError(NoxlineError):
    """The project's pyproject.toml or its ``[tool.noxline]`` table is wrong or incomplete."""


class VersionError(NoxlineError):
    """The version cannot be computed from the CI context, git or pyproject.toml."""


class PublishError(NoxlineError):
    """The publish gate refused the upload, or the package index refused it."""
