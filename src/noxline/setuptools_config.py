"""setuptools' own metadata files, read into the PEP 621 shape :mod:`noxline.project` reads.

A project may keep its metadata in ``setup.cfg`` (setuptools' declarative configuration: a
``[metadata]`` and an ``[options]`` section) or as literal arguments of ``setup()`` in ``setup.py``.
Only the few keys noxline derives its defaults from are read: name, version (literal, ``attr:``
or ``file:``), packages and package_dir, the requirements, python_requires and the long
description. Nothing here runs the project's code or writes a file.

Why configparser and not ``setuptools.config.setupcfg.read_configuration``: setuptools is no
dependency of noxline (Python 3.12's venvs no longer carry it), and the resolver runs on every nox
start, where a subprocess with setuptools installed would cost seconds. setuptools itself reads
setup.cfg with ``configparser.ConfigParser`` (keys case-sensitive, ``%`` interpolation): so does
this module, and it reads the values of these keys as setuptools documents them. The build is
still setuptools' own (``python -m build``), and the build job compares the name and version in
the built wheel's METADATA with what was read here, so a misreading cannot ship unnoticed.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from noxline import commands, confine
from noxline.errors import ConfigError, NoxlineError

#: Seconds ``python setup.py --name`` may take (it runs the project's own setup.py).
SETUP_PY_TIMEOUT = 60
#: A valid distribution name (PEP 508), as packaging checks it.
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", re.IGNORECASE)

#: The version of a ``setup.cfg`` project when it declares none (setuptools' own default).
SETUPTOOLS_DEFAULT_VERSION = "0.0.0"


@dataclass(frozen=True)
class CfgVersion:
    """How ``[metadata] version`` gives the version: ``literal`` (``value`` is the version),
    ``attr`` (``value`` is ``pkg.module.__version__``) or ``file`` (``value`` is the first file)."""

    kind: str
    value: str


def read_setup_cfg(root: Path) -> configparser.ConfigParser | None:
    """``root/setup.cfg`` parsed as setuptools parses it, or None when there is none.

    A file that is not valid INI is refused with one line: setuptools would refuse it too.
    """
    path = root / "setup.cfg"
    if not path.is_file():
        return None
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # as setuptools does
    try:
        parser.read_string(confine.read_text(root, path), source=str(path))
    except (configparser.Error, confine.ConfinementError) as error:
        first = str(error).splitlines()[0]
        raise ConfigError(
            f"{path} cannot be read as setuptools reads it ({first}): fix it"
        ) from None
    return parser


def _get(parser: configparser.ConfigParser, section: str, key: str) -> str:
    """One value, stripped; empty when missing or when ``%`` interpolation fails."""
    try:
        return parser.get(section, key, fallback="").strip()
    except configparser.Error:
        return parser.get(section, key, raw=True, fallback="").strip()


def cfg_version(parser: configparser.ConfigParser) -> CfgVersion | None:
    """``[metadata] version`` as setuptools reads it, or None when setup.cfg sets no version."""
    raw = _get(parser, "metadata", "version")
    if not raw:
        return None
    if raw.startswith("attr:"):
        return CfgVersion("attr", raw.removeprefix("attr:").strip())
    if raw.startswith("file:"):
        files = _list(raw.removeprefix("file:"))
        return CfgVersion("file", files[0]) if files else None
    return CfgVersion("literal", raw)


def _list(value: str) -> list[str]:
    """A setuptools list value: one item a line (a "dangling list"), else comma-separated."""
    separator = "\n" if "\n" in value.strip() else ","
    return [item.strip() for item in value.split(separator) if item.strip()]


def _requirements(value: str) -> list[str]:
    """A requirements value: one a line or ``;``-separated (setuptools' legacy form), comments
    dropped, a line ending in a backslash joined with the next (as setuptools' requirement
    parser joins them)."""
    value = re.sub(r"\s*\\\s*\n\s*", " ", value)
    lines = [line.split(" #", 1)[0].strip() for line in value.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if len(lines) == 1 and ";" in lines[0] and not re.search(r";\s*[a-z_]+\s*[<>=!]", lines[0]):
        lines = [part.strip() for part in lines[0].split(";") if part.strip()]
    return lines


def _package_dir(value: str) -> dict[str, str]:
    """``package_dir`` (``=src``, or ``pkg = lib``) as a mapping: ``{"": "src"}``."""
    mapping: dict[str, str] = {}
    for item in _list(value):
        key, _, folder = item.partition("=")
        mapping[key.strip()] = folder.strip()
    return mapping


def as_pyproject(parser: configparser.ConfigParser) -> dict[str, Any]:
    """setup.cfg's metadata as the ``[project]`` and ``[tool.setuptools]`` tables a pyproject.toml
    would hold (only the keys noxline reads; the version is read by :func:`cfg_version`).
    """
    project: dict[str, Any] = {"dynamic": ["version"]}
    name = _get(parser, "metadata", "name")
    if name:
        project["name"] = name
    description = _get(parser, "metadata", "long_description")
    if description.startswith("file:"):
        files = _list(description.removeprefix("file:"))
        if files:
            project["readme"] = files[0]
    elif description:
        project["readme"] = {"text": description}
    options = "options"
    requires = _get(parser, options, "install_requires")
    if requires:
        project["dependencies"] = _requirements(requires)
    tests = _get(parser, options, "tests_require")
    if tests:
        project[TESTS_REQUIRE] = _requirements(tests)
    python = _get(parser, options, "python_requires")
    if python:
        project["requires-python"] = python
    if parser.has_section("options.extras_require"):
        project["optional-dependencies"] = {
            extra: _requirements(_get(parser, "options.extras_require", extra))
            for extra in parser.options("options.extras_require")
        }
    setuptools: dict[str, Any] = {}
    package_dir = _package_dir(_get(parser, options, "package_dir"))
    if package_dir:
        setuptools["package-dir"] = package_dir
    packages = _get(parser, options, "packages")
    if packages and not packages.startswith("find"):
        setuptools["packages"] = _list(packages)
    elif packages:  # find: or find_namespace:, with [options.packages.find]
        found = "options.packages.find"
        setuptools["packages"] = {
            "find": {
                key: _list(_get(parser, found, key))
                for key in ("where", "include", "exclude")
                if _get(parser, found, key)
            }
        }
    modules = _list(_get(parser, options, "py_modules"))
    if modules:
        setuptools["py-modules"] = modules
    data: dict[str, Any] = {"project": project}
    if setuptools:
        data["tool"] = {"setuptools": setuptools}
    return data


#: The key under which setup.py's or setup.cfg's ``tests_require`` is returned.
TESTS_REQUIRE = "tests-require"


def setup_py_metadata(root: Path) -> dict[str, Any]:
    """What the ``setup(...)`` call in ``root/setup.py`` states literally, as ``[project]`` keys:
    name, dependencies, optional-dependencies and requires-python.

    A value is read when it is a literal, or a name bound once at the module's top level to a
    literal (``NAME = "mylib"`` ... ``setup(name=NAME)``); anything computed is left out. The file
    is parsed, never run.
    """
    path = root / "setup.py"
    try:
        tree = parse_module(confine.read_text(root, path, errors="replace"), str(path))
    except (OSError, NoxlineError):
        return {}
    if tree is None:
        return {}
    constants = _module_constants(tree)
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        function = node.func if isinstance(node, ast.Call) else None
        if getattr(function, "id", getattr(function, "attr", "")) != "setup":
            continue
        for keyword in getattr(node, "keywords", []):
            key = _SETUP_KEYWORDS.get(keyword.arg or "")
            value = _literal(keyword.value, constants)
            if key and value is not None and _fits(key, value):
                found[key] = value
    return found


#: ``setup()`` keywords noxline reads, and the ``[project]`` key each becomes.
_SETUP_KEYWORDS = {
    "name": "name",
    "install_requires": "dependencies",
    "extras_require": "optional-dependencies",
    "python_requires": "requires-python",
    # Not a [project] key: setuptools' own (deprecated) list of test tools, which noxline reads
    # as the project's test requirements (project.with_setuptools_metadata).
    "tests_require": TESTS_REQUIRE,
}


def setup_py_run_name(root: Path) -> str:
    """The name ``python setup.py --name`` prints, for a setup.py that computes its name
    (``name=about["__title__"]``); empty when it fails, takes too long or prints no valid name.

    It runs the project's setup.py with noxline's own Python (setuptools must be importable
    there), in the project folder, no bytecode written, within :data:`SETUP_PY_TIMEOUT`.
    """
    try:
        done = commands.run(
            [sys.executable, "setup.py", "--name"],
            cwd=root,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            timeout=SETUP_PY_TIMEOUT,
            what="asking setup.py for its name",
        )
    except commands.CommandError:
        return ""
    lines = done.stdout.strip().splitlines()
    name = lines[-1].strip() if done.returncode == 0 and lines else ""
    return name if _NAME.match(name) else ""


def parse_module(source: str | bytes, filename: str = "<unknown>") -> ast.Module | None:
    """The syntax tree of a project's Python file (parsed, never run); None when Python cannot
    parse it: a syntax error, a NUL byte, or nesting deeper than the parser goes (``1 + 1 + ...``
    a hundred thousand times is a RecursionError, ``- - ... 1`` a MemoryError), which is the
    project's file, never a bug of noxline. Every reading of the project's Python goes here."""
    try:
        return ast.parse(source, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def setup_py_version(text: str) -> tuple[str, int, int] | None:
    """The literal version of ``setup(version=...)`` in setup.py's ``text`` (directly, or through
    a top-level constant) and where its string literal stands, as character offsets; None when
    the version is computed or absent."""
    tree = parse_module(text)
    if tree is None:
        return None
    constants = _module_constants(tree)
    for node in ast.walk(tree):
        function = node.func if isinstance(node, ast.Call) else None
        if getattr(function, "id", getattr(function, "attr", "")) != "setup":
            continue
        for keyword in getattr(node, "keywords", []):
            value = keyword.value
            if keyword.arg != "version":
                continue
            if isinstance(value, ast.Name) and value.id in constants:
                value = constants[value.id]
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                start = _offset(text, value.lineno, value.col_offset)
                end = _offset(text, value.end_lineno or value.lineno, value.end_col_offset or 0)
                return value.value, start, end
    return None


def _offset(text: str, line: int, column: int) -> int:
    """The character offset in ``text`` of ast's (line, UTF-8 byte column) position."""
    lines = text.splitlines(keepends=True)
    before = sum(len(earlier) for earlier in lines[: line - 1])
    return before + len(lines[line - 1].encode("utf-8")[:column].decode("utf-8", "replace"))


def stamp_setup_py(text: str, version: str) -> str:
    """setup.py's ``text`` with its literal ``setup(version=...)`` replaced by ``version``."""
    found = setup_py_version(text)
    if found is None:
        raise ConfigError("setup.py has no literal setup(version=...) to write the version into")
    _, start, end = found
    return f"{text[:start]}{version!r}{text[end:]}"


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Names assigned exactly once at the module's top level, to their value's node."""
    assigned: dict[str, list[ast.expr]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                assigned.setdefault(target.id, []).append(statement.value)
    return {name: values[0] for name, values in assigned.items() if len(values) == 1}


def _literal(node: ast.expr, constants: dict[str, ast.expr]) -> Any:
    """The literal value of ``node`` (or of the constant it names), None when computed."""
    if isinstance(node, ast.Name) and node.id in constants:
        node = constants[node.id]
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _fits(key: str, value: Any) -> bool:
    """True when ``value`` has the shape ``[project] key`` takes."""
    if key in ("name", "requires-python"):
        return isinstance(value, str) and bool(value.strip())
    if key in ("dependencies", TESTS_REQUIRE):
        return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict) and all(
        isinstance(extra, str) and isinstance(items, (list, tuple))
        for extra, items in value.items()
    )


def stamp_setup_cfg(text: str, version: str) -> str:
    """``text`` (a setup.cfg) with ``[metadata] version`` set to ``version``, every other line
    kept as written (configparser would drop the comments)."""
    section = ""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            section = header[1].strip()
            continue
        match = re.match(r"^(version\s*[=:]\s*)(\S.*?)(\s*)\Z", line)
        if section == "metadata" and match:
            lines[index] = f"{match[1]}{version}{match[3] or ''}"
            if not lines[index].endswith("\n") and line.endswith("\n"):
                lines[index] += "\n"
            return "".join(lines)
    raise ConfigError("setup.cfg has no [metadata] version line to write the version into")
