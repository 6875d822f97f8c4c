"""The rules kept by construction: each has one owning module, and code elsewhere cannot bypass it.

These tests read the source of ``src/noxline`` (its syntax tree, not its text, so comments and
strings do not count) and fail when a module does itself what only the owner of a rule may do:

* files: opening, writing, creating or deleting files only in :mod:`noxline.confine` (inside the
  project, never through a link, reports masked);
* processes: starting a command only in :mod:`noxline.git` (git), :mod:`noxline.commands`
  (every other command noxline runs itself, bounded) and :mod:`noxline.runner.processes` (the
  jobs of ``noxline run``); nox's ``session.run`` is bounded by the session deadline;
* network: sockets, ``http.client``, ``urllib.request`` and TLS only in :mod:`noxline.net`;
* patterns: ``regex`` (the time-limited engine) only in :mod:`noxline.patterns`, and the
  standard ``re`` only with patterns written in the code (a literal, or pieces passed through
  ``re.escape``): a pattern from settings or from outside never reaches ``re``;
* whole matches: no pattern written in the code ends in ``$`` (which lets a trailing newline
  through) unless it is searched line by line (``re.MULTILINE``).

A deliberate exception is listed in :data:`ALLOWED` with the reason it is not a hole; anything new
fails with the module, the line and the owner to use instead.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dependency_groups import resolve
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

SOURCE = Path(__file__).resolve().parents[2] / "src" / "noxline"


@dataclass(frozen=True)
class Use:
    """One use of a guarded operation: where, and what (``os.replace``, ``.write_text``)."""

    module: str
    line: int
    what: str

    def __str__(self) -> str:
        """``noxline/jobs/x.py:12 .write_text``."""
        return f"{self.module}:{self.line} {self.what}"


def modules() -> Iterator[tuple[str, ast.Module]]:
    """(path relative to src/, parsed tree) of every module of noxline."""
    for path in sorted(SOURCE.rglob("*.py")):
        yield path.relative_to(SOURCE.parent).as_posix(), ast.parse(path.read_text("utf-8"))


def _dotted(node: ast.expr) -> str:
    """``os.path.join`` for an attribute chain of names; the last attribute otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner and not inner.startswith(".") else f".{node.attr}"
    return ""


#: Methods of paths and file objects that open, write, create or delete files.
FILE_METHODS = frozenset(
    {
        "open",
        "write_text",
        "write_bytes",
        "read_text",
        "read_bytes",
        "mkdir",
        "unlink",
        "rmdir",
        "touch",
        "symlink_to",
        "hardlink_to",
        "rename",
    }
)
#: Functions that do the same.
FILE_FUNCTIONS = frozenset(
    {
        "open",
        "io.open",
        "os.open",
        "os.remove",
        "os.unlink",
        "os.rmdir",
        "os.replace",
        "os.rename",
        "os.mkdir",
        "os.makedirs",
        "os.symlink",
        "os.link",
        "os.truncate",
        "shutil.rmtree",
        "shutil.copy",
        "shutil.copy2",
        "shutil.copyfile",
        "shutil.copytree",
        "shutil.move",
        "tempfile.NamedTemporaryFile",
        "tempfile.mkstemp",
        "tempfile.mkdtemp",
        "tempfile.TemporaryDirectory",
        "tarfile.open",
        "zipfile.ZipFile",
        "ET.parse",
        "ElementTree.parse",
    }
)
#: Functions that start a process.
PROCESS_FUNCTIONS = frozenset(
    {
        "subprocess.run",
        "subprocess.Popen",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
        "os.execv",
        "os.execvp",
        "os.execve",
        "os.spawnv",
        "os.posix_spawn",
        "pty.spawn",
    }
)
#: Modules that reach the network.
NETWORK_MODULES = frozenset(
    {"socket", "ssl", "http.client", "urllib.request", "urllib3", "requests", "httpx", "ftplib"}
)
#: ``re`` functions whose first argument is a pattern.
RE_FUNCTIONS = frozenset(
    {
        "re.compile",
        "re.match",
        "re.search",
        "re.fullmatch",
        "re.sub",
        "re.subn",
        "re.split",
        "re.findall",
        "re.finditer",
    }
)


def file_uses() -> Iterator[Use]:
    """Every call that opens, writes, creates or deletes a file."""
    for module, tree in modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func)
            method = name.rsplit(".", 1)[-1] if "." in name else ""
            if name.startswith("confine."):
                continue  # the owner's own functions, called by name
            if name in FILE_FUNCTIONS or (method in FILE_METHODS and name != method):
                what = name if name in FILE_FUNCTIONS else f".{method}"
                yield Use(module, node.lineno, what)


def process_uses() -> Iterator[Use]:
    """Every call that starts a process."""
    for module, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _dotted(node.func) in PROCESS_FUNCTIONS:
                yield Use(module, node.lineno, _dotted(node.func))


def network_imports() -> Iterator[Use]:
    """Every import of a module that reaches the network."""
    for module, tree in modules():
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                if name in NETWORK_MODULES:
                    yield Use(module, node.lineno, f"import {name}")


def _written_in_code(node: ast.expr) -> bool:
    """True for a pattern written in the code: a literal, a literal f-string whose pieces are
    ``re.escape(...)`` calls or literals, or a name bound to a module-level literal (upper case,
    a constant)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(part, ast.Constant)
            or (
                isinstance(part, ast.FormattedValue)
                and isinstance(part.value, ast.Call)
                and _dotted(part.value.func) == "re.escape"
            )
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _written_in_code(node.left) and (
            isinstance(node.op, ast.Mod) or _written_in_code(node.right)
        )
    return False


def pattern_uses() -> Iterator[Use]:
    """Every ``re`` call with a pattern not written in the code, and every use of ``regex``."""
    for module, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _dotted(node.func) in RE_FUNCTIONS:
                pattern = node.args[0] if node.args else None
                if pattern is None or not _written_in_code(pattern):
                    yield Use(module, node.lineno, f"{_dotted(node.func)}(<not a literal>)")
            if isinstance(node, ast.Import) and any(a.name == "regex" for a in node.names):
                yield Use(module, node.lineno, "import regex")
            if isinstance(node, ast.ImportFrom) and node.module == "regex":
                yield Use(module, node.lineno, "import regex")


def _flags_multiline(node: ast.Call) -> bool:
    """True when the call's flags include ``re.MULTILINE`` (``re.M``)."""
    flags = [kw.value for kw in node.keywords if kw.arg == "flags"] + node.args[1:]
    return any(
        isinstance(sub, ast.Attribute) and sub.attr in ("M", "MULTILINE")
        for flag in flags
        for sub in ast.walk(flag)
    )


def dollar_uses() -> Iterator[Use]:
    """Every pattern written in the code that ends in ``$`` without re.MULTILINE."""
    for module, tree in modules():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _dotted(node.func) in RE_FUNCTIONS):
                continue
            pattern = node.args[0] if node.args else None
            pieces: list[ast.expr] = [pattern] if isinstance(pattern, ast.Constant) else []
            if isinstance(pattern, ast.JoinedStr) and pattern.values:
                pieces = [pattern.values[-1]]
            for piece in pieces:
                text = piece.value if isinstance(piece, ast.Constant) else None
                if (
                    isinstance(text, str)
                    and text.endswith("$")
                    and not text.endswith("\\$")
                    and not _flags_multiline(node)
                ):
                    yield Use(module, node.lineno, f"{_dotted(node.func)}(...$)")


#: Deliberate exceptions: (module, what) -> why it is no hole. Keep it short.
ALLOWED: dict[tuple[str, str], str] = {
    ("noxline/about.py", ".read_text"): "noxline's own VERSION file beside its code, no project's",
    ("noxline/dist.py", ".open"): "a member inside a wheel opened through confine.open_read",
    ("noxline/dist.py", "zipfile.ZipFile"): "reads a wheel opened through confine.open_read",
    ("noxline/dist.py", "tarfile.open"): "reads an sdist opened through confine.open_read",
    ("noxline/runner/cache.py", "zipfile.ZipFile"): (
        "a cache entry, read from confine.open_read and written to confine.open_write; its "
        "members are restored through confine.write_bytes"
    ),
    ("noxline/jobs/tests.py", "re.findall(<not a literal>)"): (
        "the coverage regex is noxline's own constant (pipeline.COVERAGE_REGEX), never a setting"
    ),
}

#: Modules that own a rule, and what they may do.
OWNERS = {
    "file": ("noxline/confine.py",),
    "process": ("noxline/git.py", "noxline/commands.py", "noxline/runner/processes.py"),
    "network": ("noxline/net.py",),
    "pattern": ("noxline/patterns.py",),
}


def _outside(uses: Iterator[Use], owners: tuple[str, ...]) -> list[str]:
    """The uses outside ``owners`` and not listed in :data:`ALLOWED`."""
    return [
        str(use)
        for use in uses
        if use.module not in owners and (use.module, use.what) not in ALLOWED
    ]


@pytest.mark.parametrize(
    ("rule", "found", "fix"),
    [
        ("file", file_uses, "read and write files through noxline.confine"),
        ("process", process_uses, "run commands through noxline.commands (git: noxline.git)"),
        ("network", network_imports, "make requests through noxline.net"),
        ("pattern", pattern_uses, "compile patterns from settings with noxline.patterns"),
    ],
)
def test_only_the_owner_of_a_rule_does_what_it_guards(rule: str, found: object, fix: str) -> None:
    """Files, processes, network and patterns each go through their one module."""
    assert callable(found)
    bypasses = _outside(found(), OWNERS[rule])
    assert not bypasses, f"{rule} rule bypassed ({fix}): " + "; ".join(bypasses)


def test_no_pattern_lets_a_trailing_newline_through() -> None:
    """``$`` matches before a final newline (``"3.12\\n"`` passes ``^[0-9.]+$``): patterns end in
    ``\\Z`` or are used with ``fullmatch`` instead."""
    found = [str(use) for use in dollar_uses()]
    assert not found, "use fullmatch (or \\Z) instead of a final $: " + "; ".join(found)


def test_the_checks_see_what_they_guard(tmp_path: Path) -> None:
    """Each scanner finds a planted bypass, so a passing test is not a blind one."""
    del tmp_path
    planted = ast.parse(
        "import socket\nimport subprocess, re\nopen('x')\nPath('r').write_text('y')\n"
        "subprocess.run(['x'])\nre.compile(setting)\nre.match(r'^a$', s)\n"
        "re.search(rf'{re.escape(v)}b', s)\nshutil.rmtree(p)\n"
    )
    calls = [_dotted(node.func) for node in ast.walk(planted) if isinstance(node, ast.Call)]
    assert {"open", ".write_text", "subprocess.run", "re.compile", "shutil.rmtree"} <= {
        (
            call
            if call in FILE_FUNCTIONS | PROCESS_FUNCTIONS | RE_FUNCTIONS
            else f".{call.split('.')[-1]}"
        )
        for call in calls
    } | set(calls)
    escaped = [
        node
        for node in ast.walk(planted)
        if isinstance(node, ast.Call) and _dotted(node.func) == "re.search"
    ]
    assert _written_in_code(escaped[0].args[0])
    compiled = [
        n for n in ast.walk(planted) if isinstance(n, ast.Call) and _dotted(n.func) == "re.compile"
    ]
    assert not _written_in_code(compiled[0].args[0])


def test_the_unit_tests_import_only_what_the_test_group_installs() -> None:
    """README command 1 runs these tests in our own ``tests`` session, which installs noxline's
    wheel and the ``test`` dependency group only (CI's venv has the ``e2e`` group too, so a
    unit test importing an e2e-only package passes there and fails there alone)."""

    root = Path(__file__).parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        canonicalize_name(Requirement(text).name)
        for text in (
            *data["project"]["dependencies"],
            *resolve(data["dependency-groups"], "test"),
        )
    }
    # What those install with them (nox brings its own, coverage[toml] tomli...): their
    # dependencies, followed in the installed metadata.
    pending: list[str] = list(declared)
    installed: set[str] = set(declared)
    while pending:
        try:
            requires = importlib.metadata.requires(pending.pop()) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            dependency = canonicalize_name(Requirement(text).name)
            if dependency not in installed:
                installed.add(dependency)
                pending.append(dependency)
    owners = importlib.metadata.packages_distributions()
    missing: dict[str, str] = {}
    for path in sorted((root / "tests" / "unit").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else (
                    [node.module]
                    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                    else []
                )
            )
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("noxline", "tests"):
                    continue
                dists = {canonicalize_name(dist) for dist in owners.get(top, [top])}
                if not dists & installed:
                    missing[f"{path.name}: {name}"] = ", ".join(sorted(dists))
    assert not missing, f"add to the test group in pyproject.toml: {missing}"
