"""Settings: the ``[tool.noxline]`` table, validated, with defaults derived from the project itself.

There is one settings type, :class:`Settings`; every field but ``project_dir`` can be set in
``[tool.noxline]`` under its name with dashes (``coverage-fail-under``). Unknown keys and wrong
types are refused with a message naming the key.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from noxline.errors import ConfigError
from noxline.project import VersionSource, read_pyproject, resolve
from noxline.versioning import DEFAULT_RELEASE_PATTERN

TestRunner = Literal["unittest", "pytest"]


@dataclass(frozen=True)
class Settings:  # pylint: disable=too-many-instance-attributes
    """Everything a session needs to know about the project it runs on."""

    project_dir: Path
    #: Distribution name, as in ``[project] name``.
    name: str
    #: The version in pyproject.toml before ``version`` rewrites it.
    base_version: str
    #: Import name of the package.
    package: str
    #: The package's source folder, ``src/<package>`` or ``<package>``.
    source_dir: Path
    tests_dir: Path = Path("tests")
    dist_dir: Path = Path("dist")
    #: The plain-text file holding the version, written by the ``version`` session.
    version_file: Path = Path()
    #: Every session writes its reports under ``<reports-dir>/<session>/``.
    reports_dir: Path = Path("reports")
    test_runner: TestRunner = "unittest"
    #: Extra arguments for the test runner.
    test_args: tuple[str, ...] = ()
    #: Python for the sessions' venvs (a version like "3.11"); empty means the one nox runs on.
    python: str = ""
    runtime_requirements: tuple[str, ...] = ()
    test_requirements: tuple[str, ...] = ()
    #: Paths that pylint, black and mypy check; defaults to the source and tests dirs.
    lint_paths: tuple[str, ...] = ()
    #: Thresholds: None (the default, unless the project declares its own) measures and reports.
    coverage_fail_under: float | None = None
    docstr_fail_under: float | None = None
    pylint_fail_under: float | None = None
    #: Checks (pylint, black, mypy, docstr) that fail the pipeline instead of warning.
    blocking: tuple[str, ...] = ()
    release_pattern: str = DEFAULT_RELEASE_PATTERN
    #: What release tags start with (``v`` for ``v1.2.3``); stripped before the pattern applies.
    tag_prefix: str = ""
    publish_prereleases: bool = False
    allow_unprotected_tags: bool = False
    #: Upload URL used when ``TWINE_REPOSITORY_URL`` is not set.
    repository_url: str = ""
    #: Simple-index URL (PEP 503/691) that publish reads; derived from the upload URL when empty.
    index_url: str = ""
    #: Docker image of the generated GitLab jobs.
    gitlab_image: str = "python:3.11-slim"
    #: How the GitLab jobs install noxline itself (a pip requirement).
    noxline_requirement: str = ""
    #: Tools the GitLab set-up installs beside noxline.
    setup_requirements: tuple[str, ...] = ("nox>=2026.10.20", "uv>=0.9")
    #: How the build backend reads the version (detected, never set in [tool.noxline]).
    version_source: VersionSource = VersionSource()
    #: The project's ``requires-python`` (detected).
    requires_python: str = ""

    @property
    def report_root(self) -> Path:
        """Absolute folder that holds every session's reports."""
        return self.project_dir / self.reports_dir

    def reports_for(self, session: str) -> Path:
        """Relative folder holding one session's reports."""
        return self.reports_dir / session


#: Fields that are computed, never read from [tool.noxline].
_NOT_KEYS = frozenset({"project_dir", "version_source", "requires_python"})


def load_settings(project_dir: Path | str = ".") -> Settings:
    """Read ``pyproject.toml`` in ``project_dir`` and return the validated settings."""
    root = Path(project_dir).resolve()
    return settings_from(root, read_pyproject(root))


def settings_from(root: Path, data: dict[str, Any]) -> Settings:
    """The validated settings of the project in ``root`` whose parsed pyproject.toml is ``data``."""
    table = data.get("tool", {}).get("noxline", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.noxline] must be a table")
    given = _validate(table)
    facts = resolve(
        root,
        data,
        package=given.get("package"),
        source_dir=given.get("source_dir"),
        tests_dir=given.get("tests_dir"),
    )
    source_dir = facts.source_dir
    tests_dir = facts.tests_dir or Path("tests")
    defaults: dict[str, Any] = {
        "project_dir": root,
        "name": facts.metadata.name,
        "base_version": facts.base_version,
        "package": facts.package,
        "source_dir": source_dir,
        # A single-module distribution (tabulate.py) has no package folder to hold a VERSION file.
        "version_file": source_dir / "VERSION" if source_dir.suffix != ".py" else Path(),
        "runtime_requirements": facts.metadata.runtime_requirements,
        "test_requirements": facts.metadata.test_requirements,
        "tests_dir": tests_dir,
        "test_runner": facts.test_runner,
        "lint_paths": tuple(
            dict.fromkeys(str(p) for p in (source_dir, tests_dir) if str(p) != ".")
        ),
        "tag_prefix": facts.tag_prefix,
        "version_source": facts.version_source,
        "requires_python": facts.requires_python,
        **{key.replace("-", "_"): value for key, value in facts.thresholds.items()},
    }
    if facts.release_pattern is not None:
        defaults["release_pattern"] = facts.release_pattern
    settings = Settings(**(defaults | given))
    _check(settings)
    return settings


def _validate(table: dict[str, Any]) -> dict[str, Any]:
    """Map TOML keys onto Settings fields, refusing unknown keys and wrong types."""
    hints = typing.get_type_hints(Settings)
    known = {f.name.replace("_", "-"): f.name for f in dataclasses.fields(Settings)}
    result: dict[str, Any] = {}
    for key, value in table.items():
        name = known.get(key)
        if name is None or name in _NOT_KEYS:
            choices = ", ".join(sorted(k for k, n in known.items() if n not in _NOT_KEYS))
            raise ConfigError(f"unknown key {key!r} in [tool.noxline]; known keys: {choices}")
        result[name] = _convert(key, value, hints[name])
    return result


def _convert(key: str, value: Any, hint: Any) -> Any:
    """Check one value against its field's type; return it in the field's type."""
    origin = typing.get_origin(hint)
    if isinstance(hint, types.UnionType):  # an optional value: None is never written in TOML
        (hint,) = [arg for arg in typing.get_args(hint) if arg is not types.NoneType]
        return _convert(key, value, hint)
    if hint is bool or hint is str:
        ok = isinstance(value, hint)
    elif hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif hint is Path:
        ok = isinstance(value, str) and value != ""
        value = Path(value) if ok else value
    elif origin is tuple:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        value = tuple(value) if ok else value
    elif origin is Literal:
        ok = value in typing.get_args(hint)
    else:  # pragma: no cover - a field type this function does not know is a programming error
        raise TypeError(f"unsupported settings type {hint!r}")
    if not ok:
        raise ConfigError(
            f"[tool.noxline] {key} = {value!r} is not {_describe(hint)}; "
            "fix that key in pyproject.toml"
        )
    return value


def _describe(hint: Any) -> str:
    """Say in words what a field type accepts."""
    if typing.get_origin(hint) is Literal:
        return "one of " + ", ".join(repr(arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return "a list of strings"
    words = {bool: "true or false", str: "a string", float: "a number", Path: "a non-empty path"}
    return words.get(hint, str(hint)) if not isinstance(hint, types.UnionType) else str(hint)


def _check(settings: Settings) -> None:
    """Cross-field checks that single types cannot express."""
    try:
        re.compile(settings.release_pattern)
    except re.error as error:
        raise ConfigError(
            f"[tool.noxline] release-pattern {settings.release_pattern!r} "
            f"is not a regular expression: {error}"
        ) from None
    for key, low, high in (
        ("coverage_fail_under", 0, 100),
        ("docstr_fail_under", 0, 100),
        ("pylint_fail_under", 0, 10),
    ):
        number = getattr(settings, key)
        if number is not None and not low <= number <= high:
            raise ConfigError(
                f"[tool.noxline] {key.replace('_', '-')} = {number} "
                f"must be between {low} and {high}"
            )


def replace(settings: Settings, **changes: Any) -> Settings:
    """Return a copy of ``settings`` with some fields changed (for tests and the CLI)."""
    return dataclasses.replace(settings, **changes)


__all__ = [
    "DEFAULT_RELEASE_PATTERN",
    "Settings",
    "TestRunner",
    "load_settings",
    "replace",
    "settings_from",
]
