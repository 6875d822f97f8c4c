"""``noxline init``: adopt noxline in an existing project.

Four files come out of it: a four-line ``noxfile.py``, a ``[tool.noxline]`` table added to the
project's own ``pyproject.toml`` (format-preserving, through tomlkit), the generated
``.gitlab-ci.yml`` and ``.gitignore`` entries for noxline's own outputs. The table lists what the
project-facts resolver (:mod:`noxline.project`, the same one ``register()`` uses) detected, as
comments: it documents the project without pinning it. ``--ratchet`` runs the checks once and
writes their figures as floors.

Everything is planned before anything is written: when an existing file differs from what init
writes, its unified diff is shown and nothing at all is written, unless ``--force`` is given. A
second run finds every file as planned and reports each one unchanged.
"""

from __future__ import annotations

import difflib
import json
import math
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Comment, Table

from noxline import commands, confine, gitlab, locks, tools
from noxline.config import Settings, settings_from
from noxline.pipeline import define
from noxline.errors import ConfigError
from noxline.project import (
    count_tests,
    docs_tool,
    read_pyproject,
    test_globs,
    with_setuptools_metadata,
)

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
    ("blocking", "default: pylint, black, mypy and docstr only warn"),
    ("release_pattern", "detected from the tags, else the default: tags like 1.2.3 publish"),
    ("tag_prefix", "detected from the tags"),
)

#: Thresholds: unset, the figure is measured and reported; the project's own declared one applies.
THRESHOLDS = ("coverage_fail_under", "pylint_fail_under", "docstr_fail_under")

#: Every wait is bounded: the ratchet's one nox run (it installs the tools on a cold cache).
RATCHET_TIMEOUT = 1800

_HEADER = (
    "Written by `noxline init`. Commented lines show what noxline detected or uses by default;",
    "uncomment one to change it. Every key is described in noxline's docs/reference.md.",
)

#: Where the seed pipeline kept its version script, which the version job replaces.
_OLD_VERSION_SCRIPT = Path("scripts/update_version.py")


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
class Plan:
    """What init would do: the files, the settings they give, and notes for the user."""

    files: tuple[Planned, ...]
    settings: Settings
    notes: tuple[str, ...]


def init(project_dir: Path, *, force: bool, ratchet: bool = False) -> int:
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
            confine.write_text(root, item.path, item.new, exact=True, what="writes init's files")
            verb = "created" if item.old is None else "replaced" if item.replaces else "updated"
        else:
            verb = "unchanged"
        print(f"  {verb:<9}  {item.path.name}{': ' + item.what if item.what else ''}")
    settings = result.settings
    print(
        f"  {'module' if settings.source_dir.suffix == '.py' else 'package'} {settings.package} "
        f"in {settings.source_dir.as_posix()}{'' if settings.source_dir.suffix == '.py' else '/'}, "
        f"tests in {settings.tests_dir.as_posix()}/ run by {settings.test_runner}"
        f"{' (' + settings.test_pattern + ' files)' if settings.test_pattern else ''}: "
        f"{_count(root, settings)} test functions found (counted in the source, an estimate: "
        "the tests job counts what the runner ran)"
    )
    print(f"  version {settings.version_source.describe()}")
    for line in _environment_lines(root, settings):
        print(f"  {line}")
    for note in result.notes:
        print(f"  note: {note}")
    if ratchet:
        return ratchet_thresholds(root)
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
    # A setup.cfg/setup.py project may have none: init creates one holding only [tool.noxline].
    old_text = _existing(root, pyproject)
    new_text, what = _with_table(root, old_text or "", force=force)
    data = tomllib.loads(new_text)
    settings = settings_from(root, data)
    files = (
        _planned(root / "noxfile.py", NOXFILE),
        Planned(pyproject, old_text, new_text, what=what, replaces=False),
        _planned(root / ".gitlab-ci.yml", gitlab.render(settings)),
        _gitignore(root, settings),
    )
    return Plan(files, settings, tuple(_notes(root, settings, data)))


def ignored_outputs(settings: Settings) -> tuple[str, ...]:
    """noxline's own outputs, as .gitignore entries: nox's folder, dist-dir and reports-dir."""
    return (".nox/", f"{settings.dist_dir.as_posix()}/", f"{settings.reports_dir.as_posix()}/")


def _gitignore(root: Path, settings: Settings) -> Planned:
    """.gitignore with noxline's outputs added (created when missing), so runs leave no trace."""
    path = root / ".gitignore"
    old = _existing(root, path)
    present = {line.strip().strip("/") for line in (old or "").splitlines()}
    missing = [entry for entry in ignored_outputs(settings) if entry.strip("/") not in present]
    if not missing:
        return Planned(path, old, old or "", replaces=False)
    text = old or ""
    if text and not text.endswith("\n"):
        text += "\n"
    text += "# noxline's outputs (noxline init)\n" + "".join(f"{entry}\n" for entry in missing)
    return Planned(path, old, text, what=f"ignores {', '.join(missing)}", replaces=False)


def _planned(path: Path, new: str) -> Planned:
    """Plan a file that init owns entirely."""
    return Planned(path, _existing(path.parent, path), new)


def _existing(root: Path, path: Path) -> str | None:
    """The text of a file init plans to write, None when there is none (a link leading out of
    the project, a file that is not UTF-8, a FIFO: one line, before anything is written)."""
    if not path.exists() and not path.is_symlink():
        return None
    return confine.read_text(root, path)


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
    settings = settings_from(root, _replace_table(data, given))
    new_text = _write_table(root, text, settings, replace=existing is not None)
    what = ("rewrote" if existing is not None else "added") + " [tool.noxline]"
    return new_text, what


def _write_table(root: Path, text: str, settings: Settings, *, replace: bool) -> str:
    """``text`` with a new ``[tool.noxline]`` at its end (replacing the old one), via tomlkit."""
    # A file without a final newline gets one, so the table starts on a line of its own.
    document = tomlkit.parse(text if text.endswith("\n") else text + "\n")
    kept: dict[str, Any] = {}
    notes: dict[str | None, list[str]] = {}
    if replace:
        # Keep the project's own keys as written, with their comments.
        old_table = document["tool"]["noxline"]
        kept = {key: old_table.item(key) for key in old_table}
        notes = _own_comments(old_table)
        del document["tool"]["noxline"]
    if not text.endswith("\n\n"):
        document.add(tomlkit.nl())  # an empty line before the table
    super_table = tomlkit.table(is_super_table=True)
    super_table.add("noxline", _table(settings, kept, notes))
    try:
        document.append("tool", super_table)
    except TOMLKitError as error:
        raise ConfigError(
            f"cannot add [tool.noxline] to {root / 'pyproject.toml'} ({error}): write the table by "
            "hand (docs/reference.md lists its keys) and run `noxline init` again"
        ) from None
    written = tomlkit.dumps(document).rstrip("\n") + "\n"
    # A pyproject.toml init creates (setup.cfg projects) starts with the table itself.
    return written.lstrip("\n") if not text.strip() else written


def _replace_table(data: dict[str, Any], table: dict[str, Any]) -> dict[str, Any]:
    """A copy of parsed pyproject ``data`` whose ``[tool.noxline]`` is ``table``."""
    return data | {"tool": data.get("tool", {}) | {"noxline": table}}


#: Comment lines init writes itself (its header, ``# key = value  # origin`` of a known key):
#: rewritten on every init, never kept as the project's own.
_KNOWN_KEYS = {field.replace("_", "-") for field, _ in SHOWN} | {
    field.replace("_", "-") for field in THRESHOLDS
}


def _own_comments(table: Table) -> dict[str | None, list[str]]:
    """The comment lines the project wrote in its ``[tool.noxline]``, by the key they stand above
    (None: after the last key); the lines init writes itself are left out."""
    notes: dict[str | None, list[str]] = {}
    waiting: list[str] = []
    for key, item in table.value.body:
        if key is not None:
            if waiting:
                notes[key.key] = waiting
            waiting = []
        elif isinstance(item, Comment):
            line = item.as_string().strip()
            body = line.removeprefix("#").strip()
            generated = body in _HEADER or body.split(" = ", 1)[0] in _KNOWN_KEYS
            if not generated:
                waiting.append(line)
    if waiting:
        notes[None] = waiting
    return notes


def _table(
    settings: Settings, kept: dict[str, Any], notes: dict[str | None, list[str]] | None = None
) -> Table:
    """The ``[tool.noxline]`` table: header, detected settings as comments, then the kept keys,
    each after the comment lines the project wrote above it (``notes``), which init keeps."""
    notes = notes or {}
    table = tomlkit.table()
    for line in _HEADER:
        table.add(tomlkit.comment(line))
    for field, label in SHOWN:
        key = field.replace("_", "-")
        if key not in kept:
            table.add(tomlkit.comment(f"{key} = {_toml(getattr(settings, field))}  # {label}"))
    for field in THRESHOLDS:
        key = field.replace("_", "-")
        value = getattr(settings, field)
        if key in kept:
            continue
        if value is None:
            example = 8.0 if field == "pylint_fail_under" else 80.0
            label = "none: measured and reported, never failing (init --ratchet sets floors)"
            table.add(tomlkit.comment(f"{key} = {_toml(example)}  # {label}"))
        else:
            check = field.removesuffix("_fail_under")
            source = dict(settings.threshold_sources).get(check, "the project's own threshold")
            table.add(tomlkit.comment(f"{key} = {_toml(value)}  # {source}"))
    for key, value in kept.items():
        for line in notes.get(key, []):
            table.add(tomlkit.comment(line.removeprefix("#").strip()))
        table.add(key, value)
    for line in notes.get(None, []):
        table.add(tomlkit.comment(line.removeprefix("#").strip()))
    return table


def _toml(value: Any) -> str:
    """A settings value as TOML text (paths as strings, tuples as arrays)."""
    if isinstance(value, Path):
        value = value.as_posix()
    elif isinstance(value, tuple):
        value = list(value)
    return str(tomlkit.item(value).as_string())


def _count(root: Path, settings: Settings) -> int:
    """The tests init reports: test functions and methods in the files the runner collects,
    counted in the source. An estimate on purpose: the runner's own count (``pytest
    --collect-only``, unittest's loader) needs a venv with the project and its test tools, a
    cost of seconds to minutes for a line of init's output; the tests job counts what ran."""
    return count_tests(root, settings.tests_dir, settings.test_runner, settings.test_pattern)


def _notes(root: Path, settings: Settings, data: dict[str, Any]) -> Iterator[str]:
    """Things the user should know before the first run: what will go wrong, and the fix."""
    if not data.get("project") and not data.get("tool", {}).get("poetry"):
        kept = " and ".join(name for name in ("setup.cfg", "setup.py") if (root / name).is_file())
        where = (
            "pyproject.toml only gains [tool.noxline]"
            if set(data) - {"tool"} or set(data.get("tool", {})) - {"noxline"}
            else "pyproject.toml holds only [tool.noxline] (without [build-system], as before)"
        )
        yield f"the metadata stays in {kept}, which setuptools keeps reading; {where}"
    data = with_setuptools_metadata(root, data)
    project, poetry = data.get("project", {}), data.get("tool", {}).get("poetry", {})
    readme = project.get("readme", poetry.get("readme"))
    strict = "fails the build" if settings.strict_metadata else "warns (strict-metadata fails)"
    if readme is None and "readme" not in project.get("dynamic", []):
        yield (
            f"the project names no readme, so PyPI would show no description and the build job "
            f'{strict}: add README.md and set readme = "README.md" in [project] (or '
            "[tool.poetry], or long_description = file: README.md in setup.cfg's [metadata])"
        )
    elif isinstance(readme, (str, dict)):
        name = readme if isinstance(readme, str) else str(readme.get("file", ""))
        path = root / name
        if (
            name
            and confine.is_file(root, path)
            and not confine.read_text(root, path, errors="replace").strip()
        ):
            yield (
                f"{name} is empty, so PyPI would show no description and the build job {strict}: "
                f"write a few lines into {name}"
            )
    if not (root / settings.tests_dir).is_dir():
        yield (
            "no tests found (no tests/, test/ or testing/ folder, none in the package): the "
            "tests job fails until you add tests or set tests-dir in [tool.noxline]"
        )
    elif not _count(root, settings):
        yield (
            f"no test function found in {settings.tests_dir.as_posix()}/ "
            f"({' or '.join(test_globs(settings.test_runner, settings.test_pattern))} files "
            f"defining test... functions, for {settings.test_runner}): the tests job fails when "
            "it runs no test; set tests-dir, test-runner or test-pattern in [tool.noxline] if "
            "your tests are elsewhere"
        )
    if settings.requires_python:
        running = ".".join(map(str, sys.version_info[:3]))
        pythons = tuple(settings.python) or (running,)
        try:
            specifiers = SpecifierSet(settings.requires_python)
        except InvalidSpecifier:
            specifiers = SpecifierSet()  # the build backend reports a malformed one itself
        # "3.11" in [tool.noxline] stands for its newest patch release.
        excluded = [
            python
            for python in pythons
            if not specifiers.contains(python if python.count(".") > 1 else f"{python}.999")
        ]
        if excluded:
            yield (
                f"requires-python {settings.requires_python!r} excludes Python "
                f"{', '.join(excluded)}, which the sessions would use: set python in "
                "[tool.noxline] to versions it allows"
            )
    if (root / _OLD_VERSION_SCRIPT).is_file():
        yield (
            f"{_OLD_VERSION_SCRIPT.as_posix()} is no longer used (the version job replaces it): "
            "delete it"
        )


def _docs_lines(settings: Settings) -> Iterator[str]:
    """Whether the docs job is on, what it builds with, and the key that turns it off."""
    if not settings.docs:
        yield (
            "docs job off: no mkdocs.yml or Sphinx conf.py and no docstrings in the package; "
            "set docs = true in [tool.noxline] for pdoc's API reference of the wheel"
        )
        return
    tool = docs_tool(settings.docs_config)
    what = (
        f"{settings.docs_config} built by {tool} (strict: a warning fails it)"
        if settings.docs_config
        else "pdoc's API reference of the wheel's docstrings, the README as front page"
    )
    source = "release tags" if settings.pages_from == "release" else "the default branch"
    yield (
        f"docs job on: {what}, into {settings.reports_dir.as_posix()}/docs/site/; GitLab Pages "
        f"publishes the site of {source} (pages-from); docs = false in [tool.noxline] turns "
        "both off"
    )


def _environment_lines(root: Path, settings: Settings) -> Iterator[str]:
    """What init found of the project's environment: its lock and how many packages it pins,
    and each tool's version with where it comes from (the jobs choose the same way)."""
    locked: dict[str, str] = {}
    if settings.lock_file:
        pins = locks.pins_at_init(root, settings.lock_file)
        locked = pins or {}
        count = f"{len(pins)} packages pinned" if pins is not None else "pins read by each job"
        yield (
            f"lock {settings.lock_file} ({count}): every job but wheel-install installs its "
            f"versions; a stale lock stops the version job (`{locks.FIXES[locks.kind(settings.lock_file)] or 'export it again'}`)"
        )
    shown = []
    for name in tools.DEFAULTS:
        if name in tools.DOCS_TOOLS and name != docs_tool(settings.docs_config):
            continue  # the docs job runs one of them
        choice = tools.choose(
            name,
            lock_file=settings.lock_file,
            locked=locked,
            pins=dict(settings.tool_pins),
            installed_with=settings.test_requirements,
        )
        spec = choice.requirement.removeprefix(name)
        version = locked.get(canonicalize_name(name), spec.removeprefix("=="))
        shown.append(f"{name} {version or 'any'} ({choice.source})")
    yield "tools: " + ", ".join(shown)
    blocking = [check for check in settings.checks if check in settings.blocking]
    yield (
        f"checks: {', '.join(settings.checks)}"
        + (f" ({', '.join(blocking)} blocking)" if blocking else " (allowed to fail)")
        + ("; ruff replaces pylint and black" if "ruff" in settings.checks else "")
    )
    yield from _docs_lines(settings)


def ratchet_thresholds(root: Path) -> int:
    """Run the measured checks once and write their figures into ``[tool.noxline]`` as floors."""
    print("ratchet: measuring with `nox -s tests pylint docstr` (pylint and docstr may warn)")
    try:
        done = commands.run(
            [sys.executable, "-m", "nox", "-s", "tests", "pylint", "docstr"],
            cwd=root,
            capture=False,
            timeout=RATCHET_TIMEOUT,
            what="measuring the project",
        )
    except commands.CommandError as error:
        raise ConfigError(
            f"could not measure the project ({error}): run `nox -s tests pylint docstr` by hand "
            "and set the thresholds in [tool.noxline]"
        ) from None
    settings = settings_from(root, read_pyproject(root))
    floors: dict[str, float] = {}
    # tests records coverage; with a matrix or shards the coverage job does.
    for job in define(settings).jobs:
        record = root / job.report_path("figure") if "figure" in job.files else None
        if record is not None and not job.per_copy_reports and record.is_file():
            measured = json.loads(confine.read_text(root, record))
            # A floor the same code always meets: rounded down to one decimal.
            floors[f"{measured['check']}-fail-under"] = math.floor(measured["figure"] * 10) / 10
    if not floors:
        raise ConfigError(
            f"the checks measured nothing (nox exited {done.returncode}; see its log above): fix "
            "the failing session and run `noxline init --ratchet` again"
        )
    pyproject = root / "pyproject.toml"
    document = tomlkit.parse(confine.read_text(root, pyproject))
    table = document["tool"]["noxline"]  # init wrote it just before
    for key, value in floors.items():
        table[key] = value
    confine.write_text(root, pyproject, tomlkit.dumps(document), exact=True)
    print("ratchet: wrote " + ", ".join(f"{k} = {v:g}" for k, v in floors.items()))
    return 0


__all__ = ["NOXFILE", "Plan", "Planned", "ignored_outputs", "init", "plan", "ratchet_thresholds"]
