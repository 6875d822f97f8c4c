"""The one error type noxline raises for bad input; its message names the cause and the fix."""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

from noxline.masking import env_secrets, mask


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


#: Set to 1 to see the full traceback of an unexpected error (a bug) instead of one line.
TRACEBACK_VARIABLE = "NOXLINE_TRACEBACK"


def wants_traceback(env: Mapping[str, str] | None = None) -> bool:
    """True when the user asked for full tracebacks (``NOXLINE_TRACEBACK=1``)."""
    value = (os.environ if env is None else env).get(TRACEBACK_VARIABLE, "")
    return value.strip().lower() in ("1", "true", "yes")


def one_line(text: str) -> str:
    """``text`` on one line, masked (URL user-info, secret query values, secret variables)."""
    flat = " ".join(text.split())
    return mask(flat, env_secrets(os.environ))


def describe_unexpected(error: BaseException, traceback_file: Path | None) -> str:
    """One line for an exception noxline did not expect: what it was, where the traceback is.

    The full traceback is written to ``traceback_file`` (when given and writable) and printed only
    on request (``NOXLINE_TRACEBACK=1``), so a user sees one clear line, never a traceback.
    """
    written = _write_traceback(error, traceback_file) if traceback_file else None
    detail = one_line(str(error))[:300]
    what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    where = f"the traceback is in {written}; " if written else ""
    return (
        f"unexpected error ({what}), which is a bug in noxline or a broken environment: "
        f"{where}set {TRACEBACK_VARIABLE}=1 to print it, and report it with that traceback"
    )


def _write_traceback(error: BaseException, path: Path) -> Path | None:
    """Write the (masked) traceback to ``path``; None when it cannot be written."""
    text = "".join(traceback.format_exception(error))
    if path.is_symlink() or path.parent.is_symlink():
        return None  # a link committed in the tree could point anywhere: never written through
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(mask(text, env_secrets(os.environ)), encoding="utf-8")
    except OSError:
        return None
    return path


def name_some(names: Sequence[str], limit: int = 5) -> str:
    """``names`` for a one-line message: the first ``limit`` of them, then how many more."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
