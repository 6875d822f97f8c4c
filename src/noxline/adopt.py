"""``noxline init``: adopt noxline in an existing project.

Three files come out of it: a four-line ``noxfile.py``, a ``[tool.noxline]`` table added to the
project's own ``pyproject.toml`` (format-preserving, through tomlkit) and the generated
``.gitlab-ci.yml``. The table lists what noxline detected as comments and sets only the choices that
differ from what noxline would derive by itself, so it documents the project without pinning it.

Everything is planned before anything is written: when an existing file differs from what init
writes, its unified diff is shown and nothing at all is written, unless ``--force`` is given. A
second run finds every file as planned and reports each one unchanged.
"""

from __future__ import annotations

import difflib
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table

from noxline import gitlab
from noxline.config import Settings, settings_from
from noxline.errors import ConfigError
from noxline.project import read_pyproject

#: The nox release whose features the sessions use; nox reads it from the noxfile before running it.
NOX_VERSION = ">=2026.10.20"

NOXFILE = f'import nox\nimport noxline\n\nnox.needs_version = "{NOX_VERSION}"\nnoxline.register()\n'

#: Settings shown as comments, in this order, and whether noxline detected them or they are defaults
SHOWN: tuple[tuple[str, str], ...] = (
    ("package", "detected"),
    ("source_dir", "detected"),
    ("tests_dir", "detected"),
    ("test_runner", "detected"),
    ("test_requirements", "detected"),
    ("version_file", "detected"),
    ("lint_paths", "detected"),
    ("coverage_fail_under", "default"),
    ("pylint_fail_under", "default"),
    ("docstr_fail_under", "default"),
    ("blocking", "default: pylint, black, mypy and docstr only warn"),
    ("release_pattern", "default: tags like 1.2.3 publish"),
)

_HEADER = (
    "Written by `noxline init`. Commented lines show what noxline detected or uses by default;",
    "uncomment one to change it. Every key is described in noxline's docs/reference.md.",
)

#: Where the seed pipeline kept its version script, which the version job replaces.
_OLD_VERSION_SCRIPT = Path("scripts/update_version.py")

_IMPORTS_PYTEST = re.compile(r"^\s*(import pytest|from pytest import)\b", re.MULTILINE)


@dataclass(frozen=True)
class Planned:
    """One file init writes: where, what is there now (None: nothing), what it writes, and why."""

    path: Path
    old: str | None
    new: str
    #: What the change does, for the summary (``added [tool.noxline]``).
    what: str = ""
    #: False for pyproject.toml, which init edits in place rather than replaces.
    replaces: bool = True

    @property
    def changed(self) -> bool:
        """True when writing would change the file."""
        return self.old != self.new

    @property
    def conflicts(self) -> bool:
        """True when writing would replace a file someone else wrote."""
        return self.replaces and self.old is not None and self.changed

    def diff(self) -> str:
        """A unified diff from the file on disk to what init writes."""
        lines = difflib.unified_diff(
            (self.old or "").splitlines(keepends=True),
            self.new.splitlines(keepends=True),
            fromfile=f"{self.path.name} (existing)",
            tofile=f"{self.path.name} (noxline init)",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class Choice:
    """A setting init makes because noxline would not derive it by itself, and the reason."""

    key: str
    value: Any
    reason: str


@dataclass(frozen=True)
class Plan:
    """What init would do: the files, the settings they give, and notes for the user."""

    files: tuple[Planned, ...]
    settings: Settings
    notes: tuple[str, ...]


def init(project_dir: Path, *, force: bool) -> int:
    """Write noxfile.py, ``[tool.noxline]`` and .gitlab-ci.yml into ``project_dir``; return the exit
    code.

    Returns 1, having written nothing, when a file exists with other contents and ``force`` is off.
    """
    root = project_dir.resolve()
    result = plan(root, force=force)
    conflicts = [item for item in result.files if item.conflicts and not force]
    if conflicts:
        for item in conflicts:
            sys.stdout.write(item.diff())
        names = " and ".join(item.path.name for item in conflicts)
        print(
            f"noxline: error: {names} in {root} differ{'s' if len(conflicts) == 1 else ''} from "
            "what noxline init writes (diff above), so nothing was written: run "
            "`noxline init --force` to replace " + ("it" if len(conflicts) == 1 else "them"),
            file=sys.stderr,
        )
        return 1
    print(f"noxline init in {root}")
    for item in result.files:
        if item.changed:
            item.path.write_text(item.new, encoding="utf-8")
            verb = "created" if item.old is None else "replaced" if item.replaces else "updated"
        else:
            verb = "unchanged"
        print(f"  {verb:<9}  {item.path.name}{': ' + item.what if item.what else ''}")
    settings = result.settings
    print(
        f"  package {settings.package} in {settings.source_dir.as_posix()}/, "
        f"tests in {settings.tests_dir.as_posix()}/ run by {settings.test_runner}"
    )
    for note in result.notes:
        print(f"  note: {note}")
    if any(item.changed for item in result.files):
        print(
            "next: run `nox` to try the pipeline, commit the files above, and set "
            "TWINE_REPOSITORY_URL, TWINE_USERNAME and TWINE_PASSWORD as masked, protected CI/CD "
            "variables"
        )
    return 0


def plan(root: Path, *, force: bool = False) -> Plan:
    """What init would write into ``root``, without writing anything."""
    pyproject = root / "pyproject.toml"
    read_pyproject(root)  # a missing or broken pyproject.toml fails here with its own message
    old_text = pyproject.read_text(encoding="utf-8")
    new_text, what = _with_table(root, old_text, force=force)
    data = tomllib.loads(new_text)
    settings = settings_from(root, data)
    files = (
        _planned(root / "noxfile.py", NOXFILE),
        Planned(pyproject, old_text, new_text, what=what, replaces=False),
        _planned(root / ".gitlab-ci.yml", gitlab.render(settings)),
    )
    return Plan(files, settings, tuple(_notes(root, settings, data)))


def detect_choices(root: Path, data: dict[str, Any], derived: Settings) -> list[Choice]:
    """Settings the project implies but noxline would not derive by itself (``derived``)."""
    choices: list[Choice] = []
    tool = data.get("tool", {})
    tests_dir = derived.tests_dir
    if not (root / tests_dir).is_dir():
        found = _tests_folder(root, tool)
        if found is not None:
            tests_dir = found
            choices.append(Choice("tests-dir", found.as_posix(), "the folder holding the tests"))
    if derived.test_runner == "unittest" and _uses_pytest(root, root / tests_dir):
        choices.append(Choice("test-runner", "pytest", "the tests use pytest"))
    fail_under = tool.get("coverage", {}).get("report", {}).get("fail_under")
    if isinstance(fail_under, (int, float)) and not isinstance(fail_under, bool):
        if float(fail_under) != derived.coverage_fail_under:
            # The tests job's threshold replaces coverage's own, so carry the project's over.
            reason = "from [tool.coverage.report] fail_under"
            choices.append(Choice("coverage-fail-under", fail_under, reason))
    return choices


def _planned(path: Path, new: str) -> Planned:
    """Plan a file that init owns entirely."""
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    return Planned(path, old, new)


def _with_table(root: Path, text: str, *, force: bool) -> tuple[str, str]:
    """``text`` with its ``[tool.noxline]`` table written, and what changed (empty: nothing)."""
    data = tomllib.loads(text)
    existing = data.get("tool", {}).get("noxline")
    if existing is not None and not isinstance(existing, dict):
        raise ConfigError("[tool.noxline] in pyproject.toml must be a table")
    if existing is not None and not force:
        # The project's own settings are never rewritten without --force.
        return text, "[tool.noxline] kept (--force rewrites it)"
    given: dict[str, Any] = dict(existing or {})
    derived = settings_from(root, _replace_table(data, given))
    active = {c.key: c for c in detect_choices(root, data, derived) if c.key not in given}
    settings = settings_from(
        root, _replace_table(data, given | {k: c.value for k, c in active.items()})
    )
    new_text = _write_table(root, text, settings, active, replace=existing is not None)
    chosen = ", ".join(f"{key} = {_toml(c.value)}" for key, c in active.items())
    what = ("rewrote" if existing is not None else "added") + " [tool.noxline]"
    return new_text, what + (f" (set {chosen})" if chosen else "")


def _write_table(
    root: Path, text: str, settings: Settings, active: dict[str, Choice], *, replace: bool
) -> str:
    """``text`` with a new ``[tool.noxline]`` at its end (replacing the old one), via tomlkit."""
    # A file without a final newline gets one, so the table starts on a line of its own.
    document = tomlkit.parse(text if text.endswith("\n") else text + "\n")
    kept: dict[str, Any] = {}
    if replace:
        # Keep the project's own keys as written, with their comments.
        old_table = document["tool"]["noxline"]
        kept = {key: old_table.item(key) for key in old_table}
        del document["tool"]["noxline"]
    if not text.endswith("\n\n"):
        document.add(tomlkit.nl())  # an empty line before the table
    super_table = tomlkit.table(is_super_table=True)
    super_table.add("noxline", _table(settings, kept, active))
    try:
        document.append("tool", super_table)
    except TOMLKitError as error:
        raise ConfigError(
            f"cannot add [tool.noxline] to {root / 'pyproject.toml'} ({error}): write the table by "
            "hand (docs/reference.md lists its keys) and run `noxline init` again"
        ) from None
    return tomlkit.dumps(document).rstrip("\n") + "\n"


def _replace_table(data: dict[str, Any], table: dict[str, Any]) -> dict[str, Any]:
    """A copy of parsed pyproject ``data`` whose ``[tool.noxline]`` is ``table``."""
    return data | {"tool": data.get("tool", {}) | {"noxline": table}}


def _table(settings: Settings, kept: dict[str, Any], active: dict[str, Choice]) -> Table:
    """The ``[tool.noxline]`` table: header, detected settings as comments, then the active keys."""
    table = tomlkit.table()
    for line in _HEADER:
        table.add(tomlkit.comment(line))
    for field, label in SHOWN:
        key = field.replace("_", "-")
        if key not in kept and key not in active:
            table.add(tomlkit.comment(f"{key} = {_toml(getattr(settings, field))}  # {label}"))
    for key, value in kept.items():
        table.add(key, value)
    for key, choice in active.items():
        item = tomlkit.item(choice.value)
        item.comment(choice.reason)
        item.trivia.comment_ws = "  "
        table.add(key, item)
    return table


def _toml(value: Any) -> str:
    """A settings value as TOML text (paths as strings, tuples as arrays)."""
    if isinstance(value, Path):
        value = value.as_posix()
    elif isinstance(value, tuple):
        value = list(value)
    return str(tomlkit.item(value).as_string())


def _tests_folder(root: Path, tool: dict[str, Any]) -> Path | None:
    """The tests folder when it is not ``tests/``: pytest's first testpaths entry, or ``test/``."""
    testpaths = tool.get("pytest", {}).get("ini_options", {}).get("testpaths", [])
    candidates = [testpaths] if isinstance(testpaths, str) else list(testpaths)
    for candidate in [*candidates, "test"]:
        if isinstance(candidate, str) and (root / candidate).is_dir():
            return Path(candidate)
    return None


def _uses_pytest(root: Path, tests: Path) -> bool:
    """True when pytest configuration, a conftest.py, or a test module importing pytest is there."""
    if (root / "pytest.ini").is_file() or (root / "conftest.py").is_file():
        return True
    if not tests.is_dir():
        return False
    for path in tests.rglob("*.py"):
        if path.name == "conftest.py":
            return True
        if _IMPORTS_PYTEST.search(path.read_text(encoding="utf-8", errors="replace")):
            return True
    return False


def _notes(root: Path, settings: Settings, data: dict[str, Any]) -> Iterator[str]:
    """Things the user should know after adoption."""
    project, poetry = data.get("project", {}), data.get("tool", {}).get("poetry", {})
    if "readme" not in project and "readme" not in project.get("dynamic", []):
        if "readme" not in poetry:
            yield (
                "pyproject.toml names no readme, and the build job's `twine check --strict` "
                "refuses a package without a description: add README.md and set "
                'readme = "README.md" in [project] (or [tool.poetry])'
            )
    if not (root / settings.tests_dir).is_dir():
        yield (
            f"no tests folder {settings.tests_dir.as_posix()}/: the tests job fails until you add "
            "tests there or set tests-dir in [tool.noxline]"
        )
    if (root / _OLD_VERSION_SCRIPT).is_file():
        yield (
            f"{_OLD_VERSION_SCRIPT.as_posix()} is no longer used (the version job replaces it): "
            "delete it"
        )


__all__ = ["NOXFILE", "Choice", "Plan", "Planned", "detect_choices", "init", "plan"]
