"""What noxline reads from an adopting project's own ``pyproject.toml``.

PEP 621 ``[project]`` tables and Poetry's ``[tool.poetry]`` tables are both read, so a team can
adopt noxline without first migrating its metadata. Nothing here writes files.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import fnmatch
import itertools
import os
import re
import shlex
import tomllib
from collections.abc import Iterator, Sequence
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from dependency_groups import resolve as resolve_group
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from noxline import confine
from noxline.errors import ConfigError, NoxlineError
from noxline.git import GitError, run_git
from noxline.setuptools_config import (
    TESTS_REQUIRE,
    as_pyproject,
    cfg_version,
    parse_module,
    read_setup_cfg,
    setup_py_metadata,
    setup_py_run_name,
    setup_py_version,
)

#: Dependency groups, Poetry groups and extras holding a project's test tools, in search order.
TEST_GROUP_NAMES = ("test", "tests", "testing", "dev")

#: Test runners: a group or extra naming one holds the project's test tools.
TEST_RUNNERS = frozenset({"pytest", "nose2", "unittest-xml-reporting"})

#: Top-level folders that hold no importable package of the project, skipped when guessing one.
NOT_PACKAGES = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "scripts", "benchmarks"}
)


@dataclass(frozen=True)
class ProjectMetadata:
    """The facts of a project's ``pyproject.toml`` that noxline's defaults are derived from."""

    name: str
    #: The static version; empty when ``[project] dynamic`` names the version.
    version: str
    runtime_requirements: tuple[str, ...]
    test_requirements: tuple[str, ...]
    uses_poetry_metadata: bool
    mentions_pytest: bool
    #: Packages the build backend's own configuration names, first one first, each as (the folder
    #: it is imported from, its import name): ``(src, foo)``, or ``(src, acme.widgets)`` for a
    #: package of the namespace ``acme``.
    declared_packages: tuple[tuple[Path, str], ...] = ()


#: The deepest pyproject.toml read: tables and arrays inside one another, as tomlkit (which init
#: and the version job edit it with) reads at most; tomllib reads about 400, so a file between the
#: two passed every check and then stopped init with "unexpected error (ParseError)".
MAX_TOML_NESTING = 100


def nesting(data: Any) -> int:
    """How deeply tables (dicts) and arrays (lists) nest inside the parsed TOML document ``data``
    (``x = [[1]]`` nests 2, ``[a.b]`` 2), counted without recursion."""
    deepest = 0
    pending = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return deepest


def read_pyproject(project_dir: Path) -> dict[str, Any]:
    """Parse ``project_dir/pyproject.toml``, or fail with a message saying where it looked."""
    path = project_dir / "pyproject.toml"
    too_deep = ConfigError(f"{path} nests tables or arrays too deeply to read: flatten it")
    try:
        data = tomllib.loads(confine.read_text(project_dir, "pyproject.toml"))
        if nesting(data) > MAX_TOML_NESTING:
            raise too_deep
        return data
    except FileNotFoundError:
        if _legacy_metadata(project_dir):
            return {}  # setuptools' own files hold the metadata: resolve() reads them
        raise ConfigError(
            f"no pyproject.toml in {project_dir.resolve()}: run noxline from the project's root "
            "directory"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"{path} is not UTF-8 text, which TOML requires: re-save it as UTF-8"
        ) from None
    except RecursionError:
        raise too_deep from None
    except OSError as error:
        raise ConfigError(
            f"cannot read {path} ({error.strerror or type(error).__name__}): make it a "
            "readable file"
        ) from None


def _legacy_metadata(project_dir: Path) -> list[str]:
    """The setuptools files that may hold a project's metadata instead of pyproject.toml."""
    return [name for name in ("setup.cfg", "setup.py") if (project_dir / name).is_file()]


def _legacy_metadata_message(project_dir: Path) -> str:
    """Why neither setup.cfg nor setup.py gives the project's name, and where to write it."""
    if not (project_dir / "setup.py").is_file():
        return (
            f"{project_dir.resolve() / 'setup.cfg'} names no project ([metadata] name) and there "
            "is no pyproject.toml: set name in setup.cfg's [metadata], or in [project] in "
            "pyproject.toml, or run noxline from the project's root directory"
        )
    return (
        'the project\'s metadata is in setup.py, whose setup() call has no literal name="..." '
        f"and `python setup.py --name` gave none ({project_dir.resolve()}): write the name as a "
        'literal (name="mylib", or NAME = "mylib" at the top of setup.py), or in setup.cfg\'s '
        "[metadata] name, or in [project] name in pyproject.toml"
    )


def with_setuptools_metadata(root: Path, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a parsed pyproject.toml, maybe empty) completed with the metadata setuptools
    reads from ``setup.cfg`` and from the literal arguments of ``setup()`` in ``setup.py``: all
    of it when pyproject.toml names no project, else the fields ``[project] dynamic`` leaves to
    them (dependencies, say); the version stays dynamic (see :func:`version_source`)."""
    project = data.get("project", {})
    tool = data.get("tool", {})
    names = "name" in project or "name" in tool.get("poetry", {})
    if not _legacy_metadata(root) or (names and not _builds_with_setuptools(data)):
        return data
    try:
        parser = read_setup_cfg(root)
    except ConfigError:
        if names:  # [project] describes the project: setuptools reports its own setup.cfg
            return data
        raise
    declared = as_pyproject(parser) if parser is not None else {"project": {}}
    table = declared["project"] | {"dynamic": ["version"]}
    if (root / "setup.py").is_file():
        # setup()'s literal arguments fill what setup.cfg leaves out, as setuptools merges them.
        table = {**setup_py_metadata(root), **table}
        if "readme" not in table:
            table["dynamic"].append("readme")  # setup(long_description=...) may set it
    if names:
        dynamic = [key for key in project.get("dynamic", []) if key not in project]
        filled = {key: table[key] for key in dynamic if key in table and key != "dynamic"}
        return data | {"project": project | filled} if filled else data
    if "name" not in table and (root / "setup.py").is_file():
        table["name"] = setup_py_run_name(root)  # a computed name: setup.py asked, bounded
    if not table.get("name"):
        raise ConfigError(_legacy_metadata_message(root))
    setuptools = declared.get("tool", {}).get("setuptools", {}) | tool.get("setuptools", {})
    completed = data | {"project": table, "tool": tool | {"setuptools": setuptools}}
    tests_require = table.pop(TESTS_REQUIRE, None)
    if tests_require and not data.get("dependency-groups"):
        # setuptools' tests_require names the test tools: noxline's test group.
        completed["dependency-groups"] = {"test": list(tests_require)}
    return completed


#: A distribution's name as PEP 508 (and every index) accepts it.
PROJECT_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)


def read_metadata(data: dict[str, Any]) -> ProjectMetadata:
    """Extract name, static version and requirements from a parsed pyproject.toml."""
    project = data.get("project", {})
    poetry = data.get("tool", {}).get("poetry", {})
    uses_poetry = "name" not in project and "name" in poetry
    table, where = (poetry, "[tool.poetry]") if uses_poetry else (project, "[project]")
    if "name" not in table:
        raise ConfigError(
            "pyproject.toml names no project: add a [project] table with name and version "
            "(or Poetry's [tool.poetry] name and version)"
        )
    name = str(table["name"])
    if not PROJECT_NAME.fullmatch(name):
        # The name reaches the generated YAML (the publish environment's URL, where GitLab
        # expands "$TWINE_PASSWORD"), the docs and the SBOM: only a name an index accepts.
        raise ConfigError(
            f"{where} name = {name!r} is not a project name an index accepts (letters, digits and "
            f". _ -, starting and ending with a letter or digit; PEP 508): rename it in {where}"
        )
    dynamic = "version" in project.get("dynamic", []) and not uses_poetry
    if "version" not in table and not dynamic:
        raise ConfigError(
            f'{where} has no version: set version = "0.1.0" in {where}, or declare "version" in '
            "[project] dynamic with the build backend's own version source"
        )
    if uses_poetry:
        runtime = _poetry_requirements(poetry.get("dependencies", {}), runtime=True)
    else:
        runtime = tuple(project.get("dependencies", []))
    tests = _test_requirements(data)
    text = repr(data.get("tool", {}).get("pytest", "")) + " ".join(tests)
    return ProjectMetadata(
        name=name,
        version=str(table.get("version", "")),
        runtime_requirements=runtime,
        test_requirements=tests,
        uses_poetry_metadata=uses_poetry,
        mentions_pytest="pytest" in data.get("tool", {}) or "pytest" in text,
        declared_packages=tuple(_declared_packages(data.get("tool", {}))),
    )


def find_package(
    project_dir: Path, name: str, declared: Sequence[tuple[Path, str]] = ()
) -> tuple[str, Path]:
    """Return the import name and source dir (``src/<pkg>`` or ``<pkg>``) of the project's package.

    Searched in order: a package named after the project, also inside namespace folders (folders
    without ``__init__.py``: ``acme-widgets`` as ``src/acme/widgets``), the one package the build
    backend's configuration names (``declared``; a namespace folder it names stands for the
    packages in it), the one package under ``src/`` (namespaces included), the one package at
    the root.
    """
    wanted = canonicalize_name(name).replace("-", "_")
    for root in (project_dir / "src", project_dir):
        candidate = root / wanted
        if (candidate / "__init__.py").is_file():
            return wanted, candidate.relative_to(project_dir)
    for root in (Path("src"), Path()):
        for dotted in _namespaced_names(name):
            if _is_namespace_package(project_dir, root, dotted):
                return dotted, root / dotted.replace(".", "/")
    found = _unique(
        package
        for base, dotted in declared
        for package in _packages_in(project_dir, base, dotted, depth=_NAMESPACE_DEPTH)
    )
    src = project_dir / "src"
    if len(found) != 1 and src.is_dir():
        found = _unique(
            package
            for folder in sorted(src.iterdir())
            if folder.name.isidentifier()
            for package in _packages_in(project_dir, Path("src"), folder.name, _NAMESPACE_DEPTH)
        )
    if not found:
        found = _unique(
            (p.parent.name, p.parent.relative_to(project_dir))
            for p in project_dir.glob("*/__init__.py")
            if p.parent.name not in NOT_PACKAGES and p.parent.name.isidentifier()
        )
    if len(found) == 1:
        return found[0]
    module = _single_module(project_dir, wanted, declared)
    if module is not None:
        return module.stem, module
    seen = f" (found {', '.join(sorted(p.as_posix() for _, p in found))})" if found else ""
    raise ConfigError(
        f"cannot find the import package of project {name!r} (looked for "
        f"src/{wanted}/__init__.py, {wanted}/__init__.py and {wanted}.py){seen}: set package and "
        "source-dir in [tool.noxline]"
    )


#: How many namespace folders may sit above a package (``acme/platform/widgets``: two).
_NAMESPACE_DEPTH = 3


def _namespaced_names(name: str) -> Iterator[str]:
    """The dotted import names a distribution name can stand for with namespace folders.

    ``acme-data-tools`` may be ``acme.data_tools``, ``acme_data.tools`` or ``acme.data.tools``:
    every way of cutting its words into at least two consecutive runs (a few, for real names).
    """
    words = [word for word in re.split(r"[-_.]+", canonicalize_name(name)) if word]
    for cuts in range(1, min(len(words), _NAMESPACE_DEPTH + 1)):
        for positions in itertools.combinations(range(1, len(words)), cuts):
            bounds = (0, *positions, len(words))
            yield ".".join("_".join(words[a:b]) for a, b in itertools.pairwise(bounds))


def _is_namespace_package(project_dir: Path, root: Path, dotted: str) -> bool:
    """True when ``root/a/b`` (for ``a.b``) is a package whose parents below ``root`` are namespace
    folders (no ``__init__.py``), as an installer would lay them out."""
    parts = dotted.split(".")
    if not all(part.isidentifier() for part in parts):
        return False
    folder = project_dir / root
    for part in parts[:-1]:
        folder = folder / part
        if not folder.is_dir() or (folder / "__init__.py").exists():
            return False
    return (folder / parts[-1] / "__init__.py").is_file()


def _packages_in(
    project_dir: Path, base: Path, dotted: str, depth: int
) -> Iterator[tuple[str, Path]]:
    """The packages ``base/<dotted as folders>`` holds: itself when it is a package, else (a
    namespace folder) the packages inside it, up to ``depth`` namespace folders down."""
    folder = base / dotted.replace(".", "/")
    if (project_dir / folder / "__init__.py").is_file():
        yield dotted, folder
    elif depth > 0 and (project_dir / folder).is_dir():
        for child in sorted((project_dir / folder).iterdir()):
            if child.is_dir() and child.name.isidentifier():
                yield from _packages_in(project_dir, base, f"{dotted}.{child.name}", depth - 1)


def _single_module(
    project_dir: Path, wanted: str, declared: Sequence[tuple[Path, str]]
) -> Path | None:
    """A single-module distribution's module (``tabulate.py``), at the root or under ``src/``."""
    names = [wanted, *(dotted for _, dotted in declared if "." not in dotted)]
    for root in (Path("src"), Path()):
        for module in names:
            candidate = root / f"{module}.py"
            if (project_dir / candidate).is_file():
                return candidate
    return None


_Item = TypeVar("_Item")


def _unique(items: Iterator[_Item]) -> list[_Item]:
    """The distinct items, in the order given."""
    return list(dict.fromkeys(items))


def _declared_packages(tool: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """Packages named by Poetry, Hatch, setuptools or Flit configuration (static forms), each as
    (the folder it is imported from, its dotted import name)."""
    for entry in tool.get("poetry", {}).get("packages", []):
        formats = entry.get("format", ["wheel"]) if isinstance(entry, dict) else []
        include = str(entry.get("include", "")) if isinstance(entry, dict) else ""
        # Entries only for the sdist (a tests folder) and globs or single modules name no package.
        if "wheel" in ([formats] if isinstance(formats, str) else formats) and _plain(include):
            yield Path(str(entry.get("from", "."))), _dotted(include)
    hatch = tool.get("hatch", {}).get("build", {})
    for path in (
        hatch.get("targets", {}).get("wheel", {}).get("packages", hatch.get("packages", []))
    ):
        # Hatch keeps a listed folder's last component as the top-level name.
        folder = Path(str(path))
        if folder.name.isidentifier():
            yield folder.parent, folder.name
    setuptools = tool.get("setuptools", {})
    packages = setuptools.get("packages")
    if isinstance(packages, list):
        base = Path(str(setuptools.get("package-dir", {}).get("", ".")))
        names = {str(package) for package in packages}
        for package in map(str, packages):
            # Subpackages are listed too; the outermost listed one stands for them.
            if _plain(package) and package.rpartition(".")[0] not in names:
                yield base, _dotted(package)
    for module in setuptools.get("py-modules", []):
        if isinstance(module, str) and module.isidentifier():  # a single-module distribution
            yield Path(str(setuptools.get("package-dir", {}).get("", "."))), module
    module = tool.get("flit", {}).get("module", {}).get("name")
    if isinstance(module, str) and _plain(module):
        yield Path("src"), _dotted(module)
        yield Path(), _dotted(module)


def _plain(name: str) -> bool:
    """True for a package's import path (``foo``, ``acme.widgets``, ``acme/widgets``), not a glob
    or a module file."""
    name = name.strip("/")
    return not name.endswith(".py") and all(part.isidentifier() for part in re.split(r"[./]", name))


def _dotted(name: str) -> str:
    """``acme/widgets`` or ``acme.widgets`` as the import name ``acme.widgets``."""
    return name.strip("/").replace("/", ".")


def _named_group(data: dict[str, Any], names: Sequence[str]) -> tuple[str, ...] | None:
    """The requirements of the first of ``names`` (normalised) that the project declares as a
    PEP 735 dependency group or, for that name, a Poetry group; None when it declares none."""
    groups = data.get("dependency-groups", {})
    by_name: dict[str, Any] = {canonicalize_name(str(name)): name for name in groups}
    poetry_groups = data.get("tool", {}).get("poetry", {}).get("group", {})
    for name in names:
        if name in by_name:
            return _resolve_group(groups, str(by_name[name]))
        poetry_group = poetry_groups.get(name, {}).get("dependencies")
        if isinstance(poetry_group, dict):
            return _poetry_requirements(poetry_group)
    return None


def _named_extra(data: dict[str, Any], names: Sequence[str]) -> tuple[str, ...] | None:
    """The requirements of the first of ``names`` (normalised) that the project declares as an
    extra (``[project.optional-dependencies]``); None when it declares none."""
    extras = data.get("project", {}).get("optional-dependencies", {})
    by_name: dict[str, Any] = {canonicalize_name(str(name)): name for name in extras}
    for name in names:
        if name in by_name:
            return tuple(str(r) for r in extras[by_name[name]])
    return None


def _test_requirements(data: dict[str, Any]) -> tuple[str, ...]:
    """Collect the test tools from PEP 735 groups, Poetry groups or a test extra (first found)."""
    found = _named_group(data, TEST_GROUP_NAMES)
    if found is not None:
        return found
    poetry = data.get("tool", {}).get("poetry", {})
    if "dev-dependencies" in poetry:
        return _poetry_requirements(poetry["dev-dependencies"])
    found = _named_extra(data, TEST_GROUP_NAMES)
    if found is not None:
        return found
    # Otherwise the first group or extra that names a test runner holds the test tools.
    groups = data.get("dependency-groups", {})
    extras = data.get("project", {}).get("optional-dependencies", {})
    candidates = [_resolve_group(groups, str(name)) for name in groups]
    candidates += [tuple(str(r) for r in extra) for extra in extras.values()]
    for requirements in candidates:
        if any(_requirement_name(r) in TEST_RUNNERS for r in requirements):
            return requirements
    return ()


#: Documentation configurations built with their own tool, in the order noxline looks for them:
#: MkDocs' mkdocs.yml, then a Sphinx conf.py where Sphinx's quickstart puts it.
DOCS_CONFIGS = (
    "mkdocs.yml",
    "mkdocs.yaml",
    "docs/conf.py",
    "doc/conf.py",
    "docs/source/conf.py",
    "doc/source/conf.py",
)
#: Dependency groups, Poetry groups and extras holding a project's documentation tools.
DOCS_GROUP_NAMES = ("docs", "doc", "documentation")
#: Requirements files holding them, when no group or extra does.
DOCS_REQUIREMENT_FILES = (
    "docs/requirements.txt",
    "doc/requirements.txt",
    "docs/requirements-docs.txt",
    "requirements/docs.txt",
    "requirements-docs.txt",
    "docs-requirements.txt",
)
#: Read the Docs' configuration file names (it names the docs configuration and requirements).
READ_THE_DOCS = (".readthedocs.yaml", ".readthedocs.yml")
#: Most source files read looking for docstrings.
_DOCSTRING_FILES = 200
#: Largest source file read looking for docstrings (a bigger one is skipped, never loaded).
_DOCSTRING_BYTES = 8 * 1024 * 1024


def docs_tool(config: str) -> str:
    """The tool that builds a docs configuration: ``mkdocs`` for mkdocs.yml, ``sphinx`` for a
    conf.py, ``pdoc`` (an API reference of the built wheel) for none."""
    if not config:
        return "pdoc"
    return "sphinx" if Path(config).name == "conf.py" else "mkdocs"


def read_the_docs(root: Path) -> dict[str, Any]:
    """The project's Read the Docs configuration (``.readthedocs.yaml``), or {} without one or
    when it is not a YAML mapping (nor one PyYAML can read: nested deeper than Python recurses)."""
    for name in READ_THE_DOCS:
        if (root / name).is_file():
            text = _head(root, root / name)
            import yaml  # pylint: disable=import-outside-toplevel  # as in docstr_settings

            try:
                loaded = yaml.safe_load(text)
            except (yaml.YAMLError, RecursionError):
                return {}
            return loaded if isinstance(loaded, dict) else {}
    return {}


def find_docs_config(root: Path, rtd: dict[str, Any]) -> str:
    """The project's docs configuration as a POSIX path in ``root`` ("" for none): the one Read
    the Docs builds, else the first of :data:`DOCS_CONFIGS` that exists."""
    for tool in ("mkdocs", "sphinx"):
        section = rtd.get(tool)
        named = section.get("configuration") if isinstance(section, dict) else None
        # Named by the project's own file: only a file inside the project counts.
        if isinstance(named, str) and named and confine.is_file(root, named):
            return Path(named).as_posix()
    # The same for the usual places: a docs/conf.py linking out of the project is no
    # configuration (taken, it stopped every command naming a docs-config key never written).
    return next((name for name in DOCS_CONFIGS if confine.is_file(root, name)), "")


def docs_requirements(root: Path, data: dict[str, Any], rtd: dict[str, Any]) -> tuple[str, ...]:
    """The tools and plugins the project's docs need (first found): a docs dependency group or
    Poetry group, what Read the Docs installs (its requirements files, the project's extras it
    names), a docs extra, a docs requirements file."""
    found = _named_group(data, DOCS_GROUP_NAMES)
    if found is not None:
        return found
    extras = data.get("project", {}).get("optional-dependencies", {})
    extras_by_name: dict[str, Any] = {canonicalize_name(str(name)): name for name in extras}
    installs = (
        rtd.get("python", {}).get("install", []) if isinstance(rtd.get("python"), dict) else []
    )
    from_rtd: list[str] = []
    for entry in installs if isinstance(installs, list) else []:
        if not isinstance(entry, dict):
            continue
        named = entry.get("requirements")
        if isinstance(named, str) and named and confine.is_file(root, named):
            from_rtd.extend(_requirement_lines(root, root / named, depth=0))
        for extra in entry.get("extra_requirements") or ():
            from_rtd.extend(
                str(r)
                for r in extras.get(extras_by_name.get(canonicalize_name(str(extra)), ""), [])
            )
    if from_rtd:
        return tuple(dict.fromkeys(from_rtd))
    found = _named_extra(data, DOCS_GROUP_NAMES)
    if found is not None:
        return found
    for name in DOCS_REQUIREMENT_FILES:
        if (root / name).is_file():
            return tuple(dict.fromkeys(_requirement_lines(root, root / name, depth=0)))
    return ()


def has_docstrings(root: Path, source_dir: Path) -> bool:
    """True when a module, class or function of the package (or single module) has a docstring:
    an API reference of it would say something."""
    source = root / source_dir
    files = [source] if source.is_file() else sorted(source.rglob("*.py"))
    for path in itertools.islice(files, _DOCSTRING_FILES):
        try:
            tree = parse_module(confine.read_bytes(root, path, limit=_DOCSTRING_BYTES))
        except (OSError, NoxlineError):
            continue
        if tree is None:
            continue
        for node in ast.walk(tree):
            kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
            if isinstance(node, kinds) and ast.get_docstring(node):
                return True
    return False


#: Files that configure what a job does: the build's metadata, the checkers' and test runners'
#: configuration (every file each tool looks for: pytest's .pytest.ini, pylint's pylintrc.toml,
#: docstr-coverage's .docstr.yaml or .docstr.yml, ruff's in any folder, as ruff takes the nearest
#: ruff.toml, .ruff.toml or pyproject.toml with a [tool.ruff] table), the noxfile,
#: every lock file noxline reads, requirement files, git's ignore rules (black, ruff and the
#: build copy follow them) and ruff's .ignore files, the interpreter pin.
CONFIG_FILES = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "MANIFEST.in",
    "tox.ini",
    "noxfile.py",
    "conftest.py",
    "pytest.ini",
    ".pytest.ini",
    "pytest.toml",
    ".pytest.toml",
    ".coveragerc",
    ".pylintrc",
    "pylintrc",
    ".pylintrc.toml",
    "pylintrc.toml",
    "mypy.ini",
    ".mypy.ini",
    ".docstr.yaml",
    ".docstr.yml",
    "**/ruff.toml",
    "**/.ruff.toml",
    "**/pyproject.toml",
    ".python-version",
    "uv.toml",
    "**/.gitignore",
    "**/.ignore",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "pylock.toml",
    "pylock.*.toml",
    "*requirements*.txt",
    "requirements/**/*",
)
#: Configuration files whose text names no file: git's and ruff's ignore patterns (``/build`` is
#: anchored to the project), Python code (its strings are anything), the locks (package data).
_NOT_NAMING = (".gitignore", ".ignore", ".py", ".lock", "pylock.toml")
#: Files a configuration file may name that configure no tool: the package's metadata and docs.
_DOCUMENTS = (
    "README*",
    "CHANGELOG*",
    "CHANGES*",
    "HISTORY*",
    "NEWS*",
    "LICEN[CS]E*",
    "COPYING*",
    "NOTICE*",
    "AUTHORS*",
    "*.md",
    "*.rst",
    "*.adoc",
)
#: The most project files configuration files may name (one run's worth of globs).
_MAX_NAMED = 40


#: Where a configuration file's words split besides whitespace: quotes, brackets, assignments,
#: lists and path lists.
CONFIG_SEPARATORS = "\"'`[](){}<>|=,;:"
#: The longest word taken for a path.
MAX_WORD = 4096


def config_words(text: str, separators: str = CONFIG_SEPARATORS) -> tuple[str, ...]:
    """The words of ``text`` that may name a file or folder: split at whitespace and
    ``separators`` (a configuration file's: ``mypy_path = "a:/b"``, ``files = ["src",
    "bin/tool"]``, ``extend = "ci/ruff-base.toml"``); options and words longer than a path may
    be (:data:`MAX_WORD`) are left out."""
    spaced = text.translate({ord(char): " " for char in separators})
    return tuple(
        dict.fromkeys(
            word for word in spaced.split() if not word.startswith("-") and len(word) <= MAX_WORD
        )
    )


def config_named_files(root: Path) -> tuple[str, ...]:
    """The project files the project's configuration files name (POSIX paths, sorted): mypy's
    ``files = ["bin/tool"]``, ruff's ``extend = "ci/ruff-base.toml"`` (from ``tests/ruff.toml``:
    ``extend = "../ci/ruff-tests.toml"``), pylint's spelling dictionary, hatch's version
    ``path``. The tool reads what its configuration names, whatever its name, so each is as much
    an input as the configuration itself. Folders, the package's metadata and documents (README,
    LICENSE, ``*.md``), and files of noxline's outputs are left out; at most :data:`_MAX_NAMED`.

    Read: the configuration files at the project root (:data:`CONFIG_FILES` by name) and those
    tools take from any folder (``**/ruff.toml``, ``**/pyproject.toml``: git lists them), each
    word taken relative to its file's folder.
    """
    names = {
        pattern.removeprefix("**/")
        for pattern in CONFIG_FILES
        if "/" not in pattern.removeprefix("**/")
    }
    anywhere = {pattern[3:] for pattern in CONFIG_FILES if pattern.startswith("**/")}
    try:
        present = sorted(entry.name for entry in root.iterdir() if entry.is_file())
        listed = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except (OSError, GitError):
        return ()
    nested = sorted(
        name
        for name in listed.stdout.split("\0")
        if "/" in name and name.rpartition("/")[2] in anywhere
    )
    found: dict[str, None] = {}
    for config in (*present, *nested):
        base = Path(config).name
        if base.endswith(_NOT_NAMING) or not any(fnmatch.fnmatchcase(base, n) for n in names):
            continue
        for word in config_words(_text(root, root / config)):
            if word.startswith(("/", "~")) or "\0" in word:
                continue  # outside the project: the result cache keys those (inputs.py)
            path = Path(os.path.normpath(Path(config).parent / word))
            posix = path.as_posix()
            if (
                path.parts[:1] in (("..",), (".",), (".nox",))
                or posix == config
                or any(fnmatch.fnmatchcase(path.name, pattern) for pattern in _DOCUMENTS)
                or not os.path.isfile(root / path)
            ):
                continue
            try:
                confine.path_of(root, path)
            except NoxlineError:
                continue
            found.setdefault(posix)
            if len(found) >= _MAX_NAMED:
                return tuple(sorted(found))
    return tuple(sorted(found))


#: The most of the project's own Python files read to follow what noxfile.py imports.
_NOXFILE_IMPORTS = 200
#: The longest string of those files taken for a folder name (``sys.path.insert(0, "ci")``).
_FOLDER_NAME = 255


def noxfile_imports(root: Path) -> tuple[str, ...]:
    """The project's own modules ``noxfile.py`` imports, directly or through each other: POSIX
    paths of module files (``ci_helpers.py``) and package folders (``tools/nox_support/``: a
    package counts with every file below it, as it may import its modules by name or read its
    data). What they do decides every job as the noxfile does, so they are every job's input.

    A name is looked for where nox's import finds it: the noxfile's folder (nox runs the noxfile
    from there), and each project folder a string in the files read names (``sys.path.insert(0,
    "ci")``, ``Path(__file__).parent / "src"``). Names found nowhere in the project (the standard
    library, nox, installed packages) are none of its files. Read, never run.
    """
    folders: dict[Path, None] = {Path("."): None}
    found: dict[str, None] = {}
    # (file, inside a package found whole): a package's own files are scanned for the imports
    # of other project modules only (its folder is keyed whole; a line scan is a fraction of a
    # parse: noxline's own noxfile imports all of noxline).
    queue: list[tuple[Path, bool]] = [(Path("noxfile.py"), False)]
    read: set[Path] = set()
    looked_up: set[str] = set()
    while queue and len(read) < _NOXFILE_IMPORTS:
        path, in_package = queue.pop(0)
        if path in read:
            continue
        read.add(path)
        try:
            source = confine.read_bytes(root, path, limit=_DOCSTRING_BYTES)
        except (OSError, NoxlineError):
            continue
        if in_package:
            names = _imported_names(source.decode("utf-8", "replace"))
        else:
            names = _parsed_imports(root, source, folders)
        for name in names:
            if name in looked_up:
                continue
            looked_up.add(name)
            for folder in folders:
                module = folder / f"{name}.py"
                if os.path.isfile(root / module) and module.as_posix() != "noxfile.py":
                    found.setdefault(module.as_posix())
                    queue.append((module, False))
                    break
                if os.path.isdir(root / folder / name):
                    found.setdefault((folder / name).as_posix() + "/")
                    inside = sorted((root / folder / name).rglob("*.py"))
                    queue.extend(
                        (file.relative_to(root), True)
                        for file in itertools.islice(inside, _NOXFILE_IMPORTS)
                    )
                    break
    return tuple(found)


#: An import statement's start: ``from x.y import`` (absolute) or ``import a.b as c, d``.
_IMPORT_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+([\w., \t]+))", re.M
)


def _imported_names(text: str) -> tuple[str, ...]:
    """The top-level names a module's ``text`` imports absolutely, by a line scan (a docstring
    line that reads like an import counts too: more, never fewer)."""
    names: list[str] = []
    for match in _IMPORT_LINE.finditer(text):
        if match.group(1):
            names.append(match.group(1))
        else:
            names.extend(part.split()[0] for part in match.group(2).split(",") if part.split())
    return tuple(dict.fromkeys(name.partition(".")[0] for name in names))


def _parsed_imports(root: Path, source: bytes, folders: dict[Path, None]) -> tuple[str, ...]:
    """The top-level names a module imports absolutely, parsed; every project folder one of its
    strings names is added to ``folders`` (where its imports are looked for)."""
    tree = parse_module(source)
    names: list[str] = []
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            folder = _project_folder(root, node.value)
            if folder is not None:
                folders.setdefault(folder)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return tuple(dict.fromkeys(name.partition(".")[0] for name in names))


def _project_folder(root: Path, text: str) -> Path | None:
    """The project folder ``text`` names relative to the project (``"ci"``, ``"tools/nox"``);
    None for any other string (a folder outside, a file, prose)."""
    if not text or len(text) > _FOLDER_NAME or "\0" in text or os.path.isabs(text):
        return None
    folder = Path(os.path.normpath(text))
    if folder.parts[:1] == ("..",) or folder == Path(".") or not os.path.isdir(root / folder):
        return None
    try:
        confine.path_of(root, folder)
    except NoxlineError:
        return None
    return folder


def submodules(root: Path) -> tuple[str, ...]:
    """The POSIX paths of the project's git submodules (the gitlinks of git's index, with or
    without a ``.gitmodules``); none outside a repository."""
    try:
        done = run_git(root, "ls-files", "-z", "--stage")
    except GitError:
        return ()
    if done.returncode != 0:
        return ()
    entries = (entry.partition("\t") for entry in done.stdout.split("\0") if entry)
    return tuple(path for mode, _, path in entries if mode.startswith("160000 "))


#: Lock files noxline installs from, in the order it looks for them (one project, one lock).
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml")
#: PEP 751's named lock files, ``pylock.<name>.toml``.
_NAMED_PYLOCK = re.compile(r"pylock\.[^.]+\.toml")


def find_lock(root: Path) -> str:
    """The project's lock file (a name in ``root``), or "" when it has none."""
    for name in LOCK_FILES:
        if (root / name).is_file():
            return name
    named = sorted(p.name for p in root.glob("pylock.*.toml") if _NAMED_PYLOCK.fullmatch(p.name))
    return named[0] if named else ""


def uses_ruff(root: Path, data: dict[str, Any]) -> bool:
    """True when the project configures ruff (``[tool.ruff]``, ``ruff.toml``, ``.ruff.toml``) and
    names it among its dependencies (a group, an extra, a requirements file, tox deps)."""
    configured = "ruff" in data.get("tool", {}) or any(
        (root / name).is_file() for name in ("ruff.toml", ".ruff.toml")
    )
    return configured and "ruff" in _declared_names(root, data)


def _declared_names(root: Path, data: dict[str, Any]) -> set[str]:
    """The canonical names of every requirement the project declares for its tools."""
    names: set[str] = set()
    for text in _declared_requirements(root, data):
        with contextlib.suppress(InvalidRequirement):
            names.add(canonicalize_name(Requirement(text).name))
    return names


def package_indexes(data: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """The package indexes the project declares for its dependencies, as (name, URL, whose
    settings: "uv" or "poetry"): ``[[tool.uv.index]]`` and ``[[tool.poetry.source]]``."""
    tool = data.get("tool", {})
    found: list[tuple[str, str, str]] = []
    for owner, entries in (
        ("uv", tool.get("uv", {}).get("index", [])),
        ("poetry", tool.get("poetry", {}).get("source", [])),
    ):
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                found.append((str(entry.get("name", "")), entry["url"], owner))
    return tuple(found)


def _declared_requirements(root: Path, data: dict[str, Any]) -> list[str]:
    """Every requirement the project declares besides its runtime ones: PEP 735 groups, Poetry
    groups and dev-dependencies, extras, requirements files, tox deps."""
    groups = data.get("dependency-groups", {})
    poetry = data.get("tool", {}).get("poetry", {})
    extras = data.get("project", {}).get("optional-dependencies", {})
    declared: list[str] = []
    for name in groups:
        with contextlib.suppress(ConfigError, ValueError, TypeError):
            declared += _resolve_group(groups, str(name))
    for group in poetry.get("group", {}).values():
        if isinstance(group, dict) and isinstance(group.get("dependencies"), dict):
            with contextlib.suppress(ConfigError, ValueError, TypeError):
                declared += _poetry_requirements(group["dependencies"])
    if isinstance(poetry.get("dev-dependencies"), dict):
        with contextlib.suppress(ConfigError, ValueError, TypeError):
            declared += _poetry_requirements(poetry["dev-dependencies"])
    for extra in extras.values():
        declared += [str(item) for item in extra] if isinstance(extra, list) else []
    declared += requirement_file_tools(root) + tox_test_tools(root, data)
    return declared


def exact_pins(root: Path, data: dict[str, Any]) -> dict[str, str]:
    """Every exact pin (``name==1.2.3``) the project declares for its tools: in any PEP 735
    group, Poetry group or dev-dependencies, extra, requirements file or tox deps; canonical
    name -> version (the first one found)."""
    pins: dict[str, str] = {}
    for text in _declared_requirements(root, data):
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        specifiers = list(requirement.specifier)
        if (
            len(specifiers) == 1
            and specifiers[0].operator == "=="
            and "*" not in specifiers[0].version
        ):
            pins.setdefault(canonicalize_name(requirement.name), specifiers[0].version)
    return pins


def _requirement_name(requirement: str) -> str:
    """The normalised project name of a PEP 508 requirement string."""
    return canonicalize_name(re.split(r"[<>=!~\[;@ ]", requirement.strip())[0])


def _resolve_group(groups: dict[str, Any], name: str) -> tuple[str, ...]:
    """Expand a PEP 735 group with the ``dependency-groups`` package (names normalised)."""
    try:
        return tuple(resolve_group(groups, name))
    except (ValueError, LookupError, TypeError) as error:
        raise ConfigError(
            f"[dependency-groups] {name!r} cannot be resolved ({error}): fix the group's "
            "include-group entries"
        ) from None


def _poetry_requirements(table: dict[str, Any], *, runtime: bool = False) -> tuple[str, ...]:
    """Turn a Poetry dependency table into PEP 508 requirement strings (python itself skipped).

    With ``runtime``, optional dependencies (installed only through an extra) are left out.
    """
    result: list[str] = []
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        # A list holds alternatives for different Pythons, each with its own marker.
        for one in spec if isinstance(spec, list) else [spec]:
            # git/path/url dependencies are the project's own business to install.
            if isinstance(one, dict) and (
                (runtime and one.get("optional")) or "version" not in one
            ):
                continue
            result.append(_poetry_requirement(name, one))
    return tuple(result)


def _poetry_requirement(name: str, spec: Any) -> str:
    """One Poetry dependency (``"^1.2"`` or ``{version, extras, python, markers}``) as PEP 508."""
    extras: list[str] = []
    markers: list[str] = []
    if isinstance(spec, dict):
        extras = [str(extra) for extra in spec.get("extras", [])]
        python = _python_marker(str(spec.get("python", "*")))
        if python:
            markers.append(python)
        if "markers" in spec:
            markers.append(f"({spec['markers']})")
        spec = spec["version"]
    text = name + (f"[{','.join(extras)}]" if extras else "") + poetry_constraint(str(spec))
    if markers:
        text += "; " + " and ".join(markers)
    try:
        return str(Requirement(text))
    except InvalidRequirement as error:
        raise ConfigError(f"cannot read Poetry dependency {name} = {spec!r}: {error}") from None


def _python_marker(spec: str) -> str:
    """A Poetry ``python`` constraint (``^3.7``, ``>=3.5,<3.7 || ^3.9``) as a PEP 508 marker.

    Returns an empty string for a constraint that every Python meets (``*``).
    """
    alternatives = []
    for alternative in spec.split("||"):
        try:
            specifiers = SpecifierSet(poetry_constraint(alternative))
        except InvalidSpecifier as error:
            raise ConfigError(f"cannot read Poetry python constraint {spec!r}: {error}") from None
        clauses = [f'python_full_version {s.operator} "{s.version}"' for s in specifiers]
        if not clauses:
            return ""
        alternatives.append(" and ".join(clauses))
    return "(" + ") or (".join(alternatives) + ")"


def poetry_constraint(spec: str) -> str:
    """Translate one Poetry version constraint (``^1.2``, ``~1.2``, ``1.2.*``, ``*``) into PEP 440.

    PEP 440 has no "or": a constraint with ``||`` keeps only its first alternative's lower bound
    (Poetry lists them in ascending order), so at worst a newer version than Poetry's is installed.
    """
    if "||" in spec:
        lows = [
            clause for clause in poetry_constraint(spec.split("||")[0]).split(",") if ">" in clause
        ]
        return ",".join(lows)
    parts = [part.strip() for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", spec.strip()) if part]
    return ",".join(_one_constraint(part) for part in parts if part != "*")


def _one_constraint(part: str) -> str:
    """Translate a single Poetry constraint clause."""
    if part.startswith("^") or (part.startswith("~") and not part.startswith("~=")):
        try:
            numbers = list(Version(part[1:]).release)
        except InvalidVersion:
            raise ConfigError(f"cannot read Poetry version constraint {part!r}") from None
        if part.startswith("^"):
            # Caret: the first non-zero component may not change.
            index = next((i for i, n in enumerate(numbers) if n), len(numbers) - 1)
        else:
            # Tilde: the minor version may not change (or the major when only that is given).
            index = min(1, len(numbers) - 1)
        upper = numbers[: index + 1]
        upper[index] += 1
        return f">={part[1:]},<{'.'.join(map(str, upper))}"
    if part[0].isdigit():
        return f"=={part}"
    return part


# --- the project-facts resolver ---------------------------------------------------------------

#: Folders that hold a project's tests, in the order they are looked for (after pytest's testpaths).
TEST_FOLDERS = ("tests", "test", "testing")

#: Release tags of two components (``0.16``) or three (``1.2.3``).
TWO_OR_THREE_COMPONENTS = r"^[0-9]+\.[0-9]+(\.[0-9]+)?$"
#: Release tags of two or more components (``2024.1.15.1``).
ANY_COMPONENTS = r"^[0-9]+(\.[0-9]+)+$"

#: Requirement files that hold test tools, in search order, when pyproject.toml names none.
TEST_REQUIREMENT_FILES = (
    "requirements-test.txt",
    "requirements-tests.txt",
    "requirements-testing.txt",
    "test-requirements.txt",
    "tests/requirements.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "requirements/testing.txt",
    "requirements-dev.txt",
    "dev-requirements.txt",
    "requirements/dev.txt",
)

_IMPORTS_PYTEST = re.compile(r"^\s*(import pytest|from pytest import|from _pytest)\b", re.MULTILINE)
_VERSION_TAG = re.compile(r"^(v?)([0-9]+(?:\.[0-9]+)+)\Z")
#: A literal version assignment, as Hatch's regex source and flit read it.
VERSION_ASSIGNMENT = re.compile(
    r"""^(?P<head>(?:__version__|VERSION)\s*(?::\s*str\s*)?=\s*)(?P<quote>['"])"""
    r"""v?(?P<version>[^'"]+)(?P=quote)""",
    re.MULTILINE,
)
#: ``from .about import __version__`` (not ``... import __version__ as something_else``).
_VERSION_IMPORT = re.compile(
    r"^from\s+\.([\w.]+)\s+import\s+\(?[^\n]*?\b__version__\b(?!\s+as\b)", re.MULTILINE
)
#: Build requirements that take a version from git tags, and the tool each belongs to.
_VCS_REQUIREMENTS = {
    "setuptools-scm": "setuptools-scm",
    "hatch-vcs": "hatch-vcs",
    "poetry-dynamic-versioning": "poetry-dynamic-versioning",
}


@dataclass(frozen=True)
class VersionSource:
    """Where the build backend reads the version, so the build can be handed noxline's version.

    ``kind`` is ``static`` (pyproject.toml), ``vcs`` (the backend asks git: ``tool`` names it),
    ``file`` (``paths`` hold it; ``attribute`` is the assignment's name, empty for a whole file),
    ``setup.cfg`` (its ``[metadata] version``), ``setup.py`` (a literal ``setup(version=...)``),
    or ``built``: a source noxline cannot write into
    (``tool`` names the plugin), so the build reads the version back from the wheel it made.
    """

    kind: str = "static"
    tool: str = ""
    paths: tuple[Path, ...] = ()
    attribute: str = ""

    @property
    def stampable(self) -> bool:
        """True when noxline hands the version to the build (then the build must carry it)."""
        return self.kind != "built"

    def describe(self) -> str:
        """Where the version comes from, in words (``noxline init`` reports it)."""
        if self.kind == "static":
            return "static in pyproject.toml"
        if self.kind == "vcs":
            return f"from git tags through {self.tool}"
        if self.kind == "built":
            return f"from {self.tool}, read back from the built wheel"
        where = ", ".join(path.as_posix() for path in self.paths[:1])
        return f"in {where}" + (f" ({self.attribute})" if self.attribute else "")


@dataclass(frozen=True)
class ProjectFacts:  # pylint: disable=too-many-instance-attributes
    """Everything noxline infers about a project: the one source of its defaults and of init."""

    metadata: ProjectMetadata
    package: str
    source_dir: Path
    tests_dir: Path | None
    test_runner: str
    version_source: VersionSource
    #: The version noxline counts from: the static or file version, else "0".
    base_version: str
    #: Thresholds the project declares itself (coverage, docstr, pylint), by settings key.
    thresholds: dict[str, float]
    #: Where each of :attr:`thresholds` was read (``fail_under in .coveragerc``), by key.
    threshold_sources: dict[str, str]
    tag_prefix: str
    release_pattern: str | None
    requires_python: str
    #: unittest's file pattern for the project's test modules; empty for its default.
    test_pattern: str = ""
    #: True when the project's mypy configuration names the files it checks.
    mypy_targets: bool = False
    #: True when the project's [tool.black] chooses the files black checks.
    black_targets: bool = False
    #: The project's lock file ("" for none).
    lock_file: str = ""
    #: Exact pins of the project's tools and dependencies outside the lock: name -> version.
    pins: dict[str, str] = dataclasses.field(default_factory=dict)
    #: The package indexes it declares: (name, URL, "uv" or "poetry").
    indexes: tuple[tuple[str, str, str], ...] = ()
    #: True when the project lints and formats with ruff (its configuration, and ruff among
    #: its dependencies).
    uses_ruff: bool = False
    #: The project's docs configuration (mkdocs.yml, a Sphinx conf.py; "" for none).
    docs_config: str = ""
    #: What its docs need installed (a docs group or extra, Read the Docs' requirements).
    docs_requirements: tuple[str, ...] = ()
    #: True when the package has docstrings to make an API reference of.
    has_docstrings: bool = False
    #: The project's own modules and packages noxfile.py imports (:func:`noxfile_imports`).
    noxfile_imports: tuple[str, ...] = ()
    #: The paths of its git submodules (:func:`submodules`).
    submodules: tuple[str, ...] = ()
    #: The project files its configuration files name (:func:`config_named_files`).
    config_named: tuple[str, ...] = ()
    #: The checks its configuration widens beyond Python files (:func:`widened_checks`).
    widened_checks: tuple[str, ...] = ()


def resolve(
    root: Path,
    data: dict[str, Any],
    *,
    package: str | None = None,
    source_dir: Path | None = None,
    tests_dir: Path | None = None,
) -> ProjectFacts:
    """Infer the facts of the project in ``root`` (parsed pyproject ``data``); given ones win."""
    data = with_setuptools_metadata(root, data)
    setuptools = data.get("tool", {}).get("setuptools")
    if isinstance(setuptools, dict):  # find: in a folder find_package does not search itself
        data = data | {"tool": data["tool"] | {"setuptools": _found_packages(root, setuptools)}}
    meta = read_metadata(data)
    if not meta.test_requirements:
        tools = tox_test_tools(root, data) or requirement_file_tools(root)
        # Test tools from tox.ini or a requirements file name the runner as declared ones do.
        meta = dataclasses.replace(
            meta,
            test_requirements=tools,
            mentions_pytest=meta.mentions_pytest
            or any(_requirement_name(r) == "pytest" for r in tools),
        )
    if package is None or source_dir is None:
        found_package, found_source = find_package(
            root, package or meta.name, meta.declared_packages
        )
        package, source_dir = package or found_package, source_dir or found_source
    tool = data.get("tool", {})
    if tests_dir is None:
        tests_dir = find_tests(root, tool, source_dir)
    source = version_source(root, data, meta, package, source_dir)
    prefix, pattern = tag_convention(root)
    runner = "pytest" if uses_pytest(root, tests_dir, meta, data) else "unittest"
    rtd = read_the_docs(root)
    thresholds = thresholds_with_sources(root, tool)  # the tools' files, read once
    return ProjectFacts(
        metadata=meta,
        package=package,
        source_dir=source_dir,
        tests_dir=tests_dir,
        test_runner=runner,
        test_pattern=test_pattern(root, tests_dir, runner, tool),
        mypy_targets=mypy_names_targets(root, data),
        black_targets=black_names_targets(data),
        lock_file=find_lock(root),
        pins=exact_pins(root, data),
        indexes=package_indexes(data),
        uses_ruff=uses_ruff(root, data),
        docs_config=find_docs_config(root, rtd),
        docs_requirements=docs_requirements(root, data, rtd),
        has_docstrings=has_docstrings(root, source_dir),
        noxfile_imports=noxfile_imports(root),
        submodules=submodules(root),
        config_named=config_named_files(root),
        widened_checks=widened_checks(root, data),
        version_source=source,
        base_version=meta.version or _file_version(root, source) or "0",
        thresholds={key: value for key, (value, _) in thresholds.items()},
        threshold_sources={key: where for key, (_, where) in thresholds.items()},
        tag_prefix=prefix,
        release_pattern=pattern,
        requires_python=str(data.get("project", {}).get("requires-python", "")),
    )


def requirement_file_tools(root: Path) -> tuple[str, ...]:
    """Test tools from the first requirements file that names them (``requirements-test.txt``,
    ``requirements/dev.txt``, ...), following ``-r`` includes; options and URLs are left out."""
    for name in TEST_REQUIREMENT_FILES:
        path = root / name
        if path.is_file():
            return tuple(dict.fromkeys(_requirement_lines(root, path, depth=0)))
    return ()


def tox_test_tools(root: Path, data: dict[str, Any]) -> tuple[str, ...]:
    """Test tools from tox.ini's ``[testenv]``: its ``deps`` (``-r`` files followed) and the
    requirements of the project's own extras it names in ``extras``.

    Lines tox would transform (factor conditions ``py311: x``, substitutions ``{[base]deps}``)
    are left out rather than guessed; a tox.ini that is not valid INI gives nothing.
    """
    path = root / "tox.ini"
    # configparser (standard library) reads tox.ini as tox 4's own ini loader does; tox itself
    # is not a dependency of noxline.
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_text(root, path))
    except configparser.Error:
        return ()
    if not parser.has_section("testenv"):
        return ()
    tools: list[str] = []
    for line in parser.get("testenv", "deps", fallback="").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line.startswith(("-r", "--requirement")):
            included = root / line.removeprefix("--requirement").removeprefix("-r").strip()
            if included.is_file():
                tools.extend(_requirement_lines(root, included, depth=1))
            continue
        if "{" not in line and not re.match(r"^[\w,!-]+:", line):
            tools.extend(_requirement(line))
    extras = data.get("project", {}).get("optional-dependencies", {})
    for extra in re.split(r"[\s,]+", parser.get("testenv", "extras", fallback="")):
        tools.extend(str(r) for r in extras.get(extra, []) if extra)
    return tuple(dict.fromkeys(tools))


def _requirement_lines(root: Path, path: Path, depth: int) -> Iterator[str]:
    """The PEP 508 requirements in one pip requirements file of the project (includes followed,
    3 deep; an include outside the project reads as nothing)."""
    for raw in _text(root, path).splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line.startswith(("-r ", "--requirement ")) and depth < 3:
            included = path.parent / line.split(None, 1)[1].strip()
            if included.is_file():
                yield from _requirement_lines(root, included, depth + 1)
            continue
        yield from _requirement(line)


def _requirement(line: str) -> Iterator[str]:
    """The PEP 508 requirement one line names, if it names one by name (not a comment, an
    option, a path, a URL or pip syntax PEP 508 lacks)."""
    if not line or line.startswith(("#", "-")):
        return
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return
    if requirement.url is None:
        yield str(requirement)


def find_tests(root: Path, tool: dict[str, Any], source_dir: Path) -> Path | None:
    """The folder holding the tests: pytest's ``testpaths`` (from the configuration file pytest
    reads), ``tests``/``test``/``testing``, the package itself when tests folders sit in several
    of its subpackages, a tests folder inside the package, the project root when test modules sit
    there (conftest users), or a single module's own folder when its test modules sit beside it
    (``src/test_x.py``).
    """
    ini = pytest_ini(root, tool)
    source = source_dir.as_posix()
    # A testpaths entry no setting could hold (one leaving the project, itself or through a link,
    # or a name with control characters) is passed over, as pytest passes over a missing one:
    # found here, it stopped every command with an error naming a tests-dir key never written.
    testpaths = (path.strip("/") for path in ini.get("testpaths", []))
    outside = [*(path for path in testpaths if _folder_inside(root, path)), *TEST_FOLDERS]
    if not any((root / candidate).is_dir() for candidate in outside if candidate != source):
        # Tests spread through the package's subpackages (networkx/algorithms/tests, ...): the
        # package is the tests folder, run from the installed wheel by import name.
        package = root / source_dir
        if package.is_dir() and len(list(itertools.islice(_test_folders(package), 2))) > 1:
            return source_dir
    candidates = [*outside, *(f"{source}/{name}" for name in TEST_FOLDERS)]
    for candidate in candidates:
        folder = root / candidate
        # The source folder itself (testpaths = ["src", "tests"]) holds doctests at most.
        if candidate in (source, "src", ".", "") or not folder.is_dir():
            continue
        # A folder named for tests counts with any module (unittest finds `testextensions.py`).
        if next(_walk(folder), None) is not None:
            return Path(candidate)
    globs = (*PYTEST_FILES, *ini.get("python_files", []))
    if any(_matches(path.name, globs) for path in root.glob("*.py")):
        return Path(".")
    # Test modules beside the code they test, in the package (fire/core_test.py): the package
    # is the tests folder, run from the installed wheel.
    package = root / source_dir
    if package.is_dir() and any(
        _matches(path.name, globs) for path in _python_files(root, source_dir)
    ):
        return source_dir
    # A single module's tests beside it: src/typing_extensions.py with src/test_*.py.
    beside = (root / source_dir).parent
    if (root / source_dir).is_file() and beside != root:
        if any(_matches(path.name, globs) for path in beside.glob("*.py")):
            return beside.relative_to(root)
    return None


def _folder_inside(root: Path, name: str) -> bool:
    """True when ``name`` (from a project file) may name a folder of the project: printable,
    relative, and inside ``root`` once links are followed."""
    if not name.isprintable() or Path(name).is_absolute():
        return False
    try:
        real_root = root.resolve()
        return real_root in (root / name).resolve().parents
    except (OSError, RuntimeError):  # a link loop, a name the file system cannot hold
        return False


#: The configuration files pytest reads, in the order pytest looks for them, with the section
#: that makes a file pytest's (``""``: the file counts even without one, as pytest.ini does).
_PYTEST_CONFIGS = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", ""),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)


def pytest_ini(root: Path, tool: dict[str, Any]) -> dict[str, list[str]]:
    """The options that say where pytest looks for tests (``testpaths``, ``python_files``), from
    the one configuration file pytest itself would read in ``root`` (``tool`` is pyproject.toml's
    parsed ``[tool]``: ``[tool.pytest.ini_options]``, or pytest 9's ``[tool.pytest]``). {} when
    the project configures neither; an unreadable file counts as silent."""
    for name, section in _PYTEST_CONFIGS:
        path = root / name
        if name == "pyproject.toml":
            table = tool.get("pytest")
            if not isinstance(table, dict):
                continue
            options = table.get("ini_options", table)
            options = options if isinstance(options, dict) else {}
            return {key: _words(options.get(key)) for key in _PYTEST_KEYS if options.get(key)}
        if not path.is_file():
            continue
        # configparser reads these as pytest's own iniconfig does (sections, key = value).
        parser = configparser.ConfigParser(interpolation=None)
        with contextlib.suppress(configparser.Error):
            parser.read_string(_head(root, path), source=name)
        if parser.has_section(section):
            values = {key: parser.get(section, key, fallback="") for key in _PYTEST_KEYS}
            return {key: _words(value) for key, value in values.items() if value.strip()}
        if name in ("pytest.ini", ".pytest.ini"):
            return {}  # pytest reads it even without a [pytest] section
    return {}


#: The pytest options that decide which files hold tests.
_PYTEST_KEYS = ("testpaths", "python_files")


def _words(value: Any) -> list[str]:
    """An ini or TOML option as pytest reads it: a list, or a string split on white space."""
    if isinstance(value, list):
        return [str(item) for item in value]
    try:
        return shlex.split(str(value or ""))
    except ValueError:
        return str(value or "").split()


def uses_pytest(  # pylint: disable=too-many-return-statements
    root: Path, tests: Path | None, meta: ProjectMetadata, data: dict[str, Any]
) -> bool:
    """True when pytest configuration, a conftest.py, a test importing pytest, the test
    requirements, or pytest-style tests (plain test functions, base-less test classes) name
    pytest; unittest otherwise."""
    if "pytest" in data.get("tool", {}) or meta.mentions_pytest:
        return True
    if any((root / name).is_file() for name in ("pytest.ini", ".pytest.ini", "conftest.py")):
        return True
    for config, section in (("setup.cfg", "[tool:pytest]"), ("tox.ini", "[pytest]")):
        path = root / config
        if path.is_file() and section in _text(root, path):
            return True
    if tests is None or not (root / tests).is_dir():
        return False
    for path in _python_files(root, tests):
        if path.name == "conftest.py":
            return True
        head = _head(root, path)
        if _IMPORTS_PYTEST.search(head):
            return True
        # Plain test functions (or classes without a base) are pytest's style: unittest finds
        # none of them, so the project runs them with pytest even when it never names it.
        if _matches(path.name, PYTEST_FILES) and _PYTEST_STYLE.search(head):
            return True
    return False


#: pytest's default ``python_files``; unittest's default ``-p`` is :data:`UNITTEST_FILES`.
PYTEST_FILES = ("test_*.py", "*_test.py")
UNITTEST_FILES = "test*.py"
#: Patterns a unittest suite's modules are matched against when the default does not find
#: them all, narrowest first: the first that names every test module is the suite's ``-p``.
_UNITTEST_PATTERNS = ("*_test.py", "*_tests.py", "*test*.py")

#: How much of a tests tree is read to learn how it is written: a bounded look, never a walk of
#: a huge tree, never an import of the project's code.
_SCAN_FILES = 3000
_SCAN_FOLDERS = 2000
_SCAN_BYTES = 256 * 1024
#: Folders never looked into for tests (environments, caches, VCS data, build outputs).
_NOT_SCANNED = frozenset(
    {"node_modules", "site-packages", "__pycache__", "build", "dist", "venv", "env", "reports"}
)
#: A module-level test function or a base-less test class: pytest-style tests.
_PYTEST_STYLE = re.compile(
    r"^(?:async[ \t]+)?def[ \t]+test\w*[ \t]*\("
    r"|^class[ \t]+Test\w*[ \t]*(?:\([ \t]*(?:object)?[ \t]*\))?[ \t]*:",
    re.M,
)
#: A test function or method (a static estimate of the number of tests).
_TEST_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+test\w*[ \t]*\(", re.M)
#: A unittest command naming its file pattern: ``python -m unittest discover -p '*_test.py'``.
_DISCOVER = re.compile(r"\bunittest\s+discover\b(?P<args>[^\n;&|]*)")
_DISCOVER_PATTERN = re.compile(r"(?:^|\s)(?:-p|--pattern)(?:\s+|=)['\"]?(?P<glob>[^\s'\"]+)")
#: Where a project says how it runs its tests: task files and CI definitions, read bounded.
_TASK_FILES = ("tox.ini", "Makefile", "noxfile.py", ".gitlab-ci.yml", ".travis.yml", "setup.cfg")


def _matches(name: str, globs: Sequence[str]) -> bool:
    """True when the file name matches one of the globs (case-sensitive, as unittest and pytest
    match on POSIX)."""
    return any(fnmatch.fnmatchcase(name, glob) for glob in globs)


def _walk(folder: Path) -> Iterator[Path]:
    """The ``.py`` files under ``folder``, in a stable order (each folder's files sorted, then
    its subfolders), hidden, environment and build folders skipped; at most
    :data:`_SCAN_FOLDERS` folders are visited: a bounded look, whatever the tree's size."""
    visited = 0
    for current, folders, files in os.walk(folder):
        visited += 1
        if visited > _SCAN_FOLDERS:
            return
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in _NOT_SCANNED)
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(current, name)


def _test_folders(package: Path) -> Iterator[Path]:
    """The folders named for tests (``tests``, ``test``, ``testing``) inside ``package``, found
    in the same bounded walk as :func:`_walk`."""
    visited = 0
    for current, folders, _ in os.walk(package):
        visited += 1
        if visited > _SCAN_FOLDERS:
            return
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in _NOT_SCANNED)
        yield from (Path(current, name) for name in folders if name in TEST_FOLDERS)


def _python_files(root: Path, tests: Path) -> Iterator[Path]:
    """The ``.py`` files of the tests folder (:func:`_walk`), at most :data:`_SCAN_FILES` of
    them; for tests at the project root only the root's own modules (its subfolders are the
    package, environments and tools)."""
    folder = root / tests
    if tests == Path("."):
        yield from sorted(folder.glob("*.py"))[:_SCAN_FILES]
        return
    yield from itertools.islice(_walk(folder), _SCAN_FILES)


def _head(root: Path, path: Path) -> str:
    """The first :data:`_SCAN_BYTES` of a project file as text (undecodable bytes replaced);
    empty when it cannot be read inside the project (see :func:`_text`)."""
    try:
        return confine.read_part(root, path, _SCAN_BYTES).decode("utf-8", "replace")
    except (OSError, NoxlineError):
        return ""


def _text(root: Path, path: Path) -> str:
    """The text of a project file read to detect something (undecodable bytes replaced); empty
    when it cannot be read inside the project: missing, a link leading out, a FIFO, a folder or
    larger than :data:`noxline.confine.MAX_READ_BYTES` (:mod:`noxline.confine`)."""
    try:
        return confine.read_text(root, path, errors="replace")
    except (OSError, NoxlineError):
        return ""


def test_pattern(root: Path, tests: Path | None, runner: str, tool: dict[str, Any]) -> str:
    """Which files hold the project's tests, for its runner (``test-pattern``).

    pytest: the project's own ``python_files`` when it configures one (the tests job then
    names what pytest reads anyway), else empty for pytest's default. unittest: the ``-p`` the
    project's own ``unittest discover`` command names (tox.ini, Makefile, CI files), else empty
    when the default ``test*.py`` finds every module holding tests, else the narrowest of
    ``*_test.py``, ``*_tests.py`` and ``*test*.py`` that finds them all.
    """
    # Globs read from the project's files become a runner's argument: a name holding a NUL byte
    # or a terminal escape (a TOML "\u0000", a Makefile's bytes) is no file pattern, passed over
    # (a NUL stopped the tests job with "unexpected error (ValueError: embedded null byte)").
    if runner == "pytest":
        globs = pytest_ini(root, tool).get("python_files", [])
        return " ".join(glob for glob in globs if glob.isprintable() and glob.strip())
    declared = _declared_discover_pattern(root)
    if declared.isprintable() and declared:
        return declared
    if tests is None or not (root / tests).is_dir():
        return ""
    names = {
        path.name
        for path in _python_files(root, tests)
        if "test" in path.name.lower() and _TEST_DEF.search(_head(root, path))
    }
    if all(_matches(name, (UNITTEST_FILES,)) for name in names):
        return ""
    covering = (glob for glob in _UNITTEST_PATTERNS if all(_matches(n, (glob,)) for n in names))
    return next(covering, _UNITTEST_PATTERNS[-1])


def _declared_discover_pattern(root: Path) -> str:
    """The ``-p`` of a ``python -m unittest discover`` command in the project's task files and
    CI definitions (``""`` when none names one); each file read bounded."""
    workflows = sorted((root / ".github" / "workflows").glob("*.y*ml"))[:20]
    for path in (*(root / name for name in _TASK_FILES), *workflows):
        if not path.is_file():
            continue
        for command in _DISCOVER.finditer(_head(root, path)):
            found = _DISCOVER_PATTERN.search(command["args"])
            if found:
                return found["glob"]
    return ""


def test_globs(runner: str, pattern: str) -> tuple[str, ...]:
    """The file globs the runner collects tests from: ``pattern`` (``test-pattern``, several
    white-space separated for pytest), else the runner's default."""
    if pattern:
        return tuple(pattern.split()) if runner == "pytest" else (pattern,)
    return PYTEST_FILES if runner == "pytest" else (UNITTEST_FILES,)


#: mypy's configuration files in the order mypy itself looks for them, with their section.
_MYPY_CONFIGS = (
    ("mypy.ini", "mypy"),
    (".mypy.ini", "mypy"),
    ("pyproject.toml", ""),
    ("setup.cfg", "mypy"),
)


def mypy_names_targets(root: Path, data: dict[str, Any]) -> bool:
    """True when the project's own mypy configuration (the file mypy reads, found as mypy finds
    it) names what to check (``files``, ``packages`` or ``modules``): mypy is then run without
    paths, checking exactly what the project checks."""
    for name, section in _MYPY_CONFIGS:
        path = root / name
        if not path.is_file():
            continue
        if name == "pyproject.toml":
            table = data.get("tool", {}).get("mypy")
            if not isinstance(table, dict):
                continue
            return any(table.get(key) for key in ("files", "packages", "modules"))
        # mypy reads its ini files with configparser too.
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(_head(root, path), source=name)
        except configparser.Error:
            return False  # mypy stops on it with its own message
        if not parser.has_section(section):
            continue  # setup.cfg without [mypy]: mypy reads no configuration from it
        return any(
            parser.get(section, key, fallback="").strip()
            for key in ("files", "packages", "modules")
        )
    return False


#: The [tool.black] keys that choose which files black checks.
_BLACK_FILE_KEYS = ("include", "exclude", "extend-exclude", "force-exclude")


def widened_checks(root: Path, data: dict[str, Any]) -> tuple[str, ...]:
    """The checks whose own configuration selects files beyond Python's by pattern, which no
    list of globs can follow: black's ``include`` (a regular expression: ``\\.pyw?$``), ruff's
    ``include`` or ``extend-include`` (in pyproject.toml, ruff.toml or .ruff.toml). Every file of
    the tree may be one they check."""
    tool = data.get("tool", {})
    black = tool.get("black")
    ruff_tables = [tool.get("ruff")]
    for name in ("ruff.toml", ".ruff.toml"):
        with contextlib.suppress(tomllib.TOMLDecodeError):
            ruff_tables.append(tomllib.loads(_text(root, root / name)))
    ruff = any(
        isinstance(table, dict) and (table.get("include") or table.get("extend-include"))
        for table in ruff_tables
    )
    return (
        *(("black",) if isinstance(black, dict) and black.get("include") else ()),
        *(("ruff-check", "ruff-format") if ruff else ()),
    )


def black_names_targets(data: dict[str, Any]) -> bool:
    """True when the project's own ``[tool.black]`` (black reads pyproject.toml only) chooses
    its files (``include``, ``exclude``, ``extend-exclude``, ``force-exclude``): black is then
    given the project root and its configuration decides, as the project's own ``black .`` does."""
    table = data.get("tool", {}).get("black")
    return isinstance(table, dict) and any(table.get(key) for key in _BLACK_FILE_KEYS)


def count_tests(root: Path, tests: Path | None, runner: str, pattern: str = "") -> int:
    """An estimate of the number of tests: test functions and methods in the modules the runner
    collects (:func:`test_globs`), counted in the source without importing anything."""
    if tests is None or not (root / tests).is_dir():
        return 0
    globs = test_globs(runner, pattern)
    return sum(
        len(_TEST_DEF.findall(_head(root, path)))
        for path in _python_files(root, tests)
        if _matches(path.name, globs)
    )


def version_source(  # pylint: disable=too-many-return-statements
    root: Path, data: dict[str, Any], meta: ProjectMetadata, package: str, source_dir: Path
) -> VersionSource:
    """How the project's build backend gets its version (see :class:`VersionSource`)."""
    tool = data.get("tool", {})
    requirement_names = {
        _requirement_name(r)
        for r in data.get("build-system", {}).get("requires", [])
        if isinstance(r, str)
    }
    if meta.uses_poetry_metadata:
        if (
            tool.get("poetry-dynamic-versioning", {}).get("enable")
            or "poetry-dynamic-versioning" in requirement_names
        ):
            return VersionSource("vcs", "poetry-dynamic-versioning")
        return VersionSource()
    if meta.version:
        return VersionSource()
    hatch = tool.get("hatch", {}).get("version", {})
    pdm = tool.get("pdm", {}).get("version", {})
    dynamic = tool.get("setuptools", {}).get("dynamic", {}).get("version", {})
    if hatch.get("source") == "vcs" or "hatch-vcs" in requirement_names:
        return VersionSource("vcs", "hatch-vcs")
    if pdm.get("source") == "scm":
        return VersionSource("vcs", "pdm-backend")
    if isinstance(hatch.get("path"), str):
        return VersionSource("file", "hatchling", (Path(hatch["path"]),), "__version__")
    if pdm.get("source") == "file" and isinstance(pdm.get("path"), str):
        return VersionSource("file", "pdm-backend", (Path(pdm["path"]),), "__version__")
    if isinstance(dynamic, dict) and "file" in dynamic:
        files = dynamic["file"]
        paths = tuple(Path(str(f)) for f in ([files] if isinstance(files, str) else files))
        return VersionSource("file", "setuptools", paths[:1])
    if isinstance(dynamic, dict) and isinstance(dynamic.get("attr"), str):
        module, _, attribute = dynamic["attr"].rpartition(".")
        return VersionSource(
            "file", "setuptools", _module_files(root, module, tool), attribute or "__version__"
        )
    from_setup_cfg = (
        _setup_cfg_version_source(root, data, source_dir) if _builds_with_setuptools(data) else None
    )
    if from_setup_cfg is not None:
        return from_setup_cfg
    if "setuptools-scm" in requirement_names or "setuptools_scm" in tool:
        return VersionSource("vcs", "setuptools-scm")
    if "flit-core" in requirement_names or "flit" in requirement_names:
        module = str(tool.get("flit", {}).get("module", {}).get("name", package))
        return VersionSource(
            "file", "flit", _module_files(root, module, tool, source_dir), "__version__"
        )
    return _built_source(root, requirement_names)


def _built_source(root: Path, requirement_names: set[str]) -> VersionSource:
    """A source noxline does not know (setuptools-git-versioning, versioneer, a setup.py that
    computes it, ...), named by its build requirements: the version is read back from the wheel."""
    plugins = ", ".join(sorted(requirement_names - _BACKEND_REQUIREMENTS))
    setup_py = "setup.py" if (root / "setup.py").is_file() else ""
    return VersionSource("built", plugins or setup_py or "the build backend")


def _read_setup_py_version(root: Path) -> str:
    """The literal ``setup(version=...)`` of the project's setup.py; empty when there is none."""
    try:
        text = confine.read_text(root, "setup.py")
    except (OSError, NoxlineError):
        return ""
    found = setup_py_version(text)
    return found[0] if found else ""


def _setup_cfg_version_source(
    root: Path, data: dict[str, Any], source_dir: Path
) -> VersionSource | None:
    """setup.cfg's ``[metadata] version`` (else setup.py's literal ``setup(version=...)``) as a
    source, when one is set (setuptools builds the project)."""
    setup_cfg = read_setup_cfg(root)
    declared = cfg_version(setup_cfg) if setup_cfg is not None else None
    if declared is None:
        literal = _read_setup_py_version(root)
        return (
            VersionSource("setup.py", "setuptools", (Path("setup.py"),), "version")
            if literal
            else None
        )
    if declared.kind == "literal":
        return VersionSource("setup.cfg", "setuptools", (Path("setup.cfg"),), "version")
    if declared.kind == "file":
        return VersionSource("file", "setuptools", (Path(declared.value),))
    module, _, attribute = declared.value.rpartition(".")  # attr: pkg.__version__
    try:
        files = _module_files(root, module, data.get("tool", {}), source_dir)
    except ConfigError:  # no module file to write into: the built version stands
        return None
    return VersionSource("file", "setuptools", files, attribute or "__version__")


#: Build requirements that are the backend itself or its helpers, never a version plugin.
_BACKEND_REQUIREMENTS = frozenset(
    {"setuptools", "wheel", "hatchling", "flit-core", "pdm-backend", "poetry-core", "cython"}
)


def _found_packages(root: Path, setuptools: dict[str, Any]) -> dict[str, Any]:
    """setuptools' ``packages`` (``find:`` with ``where``) listed as setuptools' finder lists
    them, when ``where`` is a folder :func:`find_package` does not search itself (``lib``)."""
    packages = setuptools.get("packages")
    find = packages.get("find") if isinstance(packages, dict) else None
    wheres = find.get("where", ["."]) if isinstance(find, dict) else ["."]
    wheres = [wheres] if isinstance(wheres, str) else [str(where) for where in wheres]
    if not isinstance(find, dict) or not set(wheres) - {".", "src", ""}:
        return setuptools
    include = [str(pattern) for pattern in find.get("include", ["*"])]
    exclude = [str(pattern) for pattern in find.get("exclude", [])]
    names = [
        child.name
        for where in wheres
        if (root / where).is_dir()
        for child in sorted((root / where).iterdir())
        if child.is_dir() and child.name.isidentifier() and child.name not in NOT_PACKAGES
        if any(fnmatch.fnmatchcase(child.name, pattern) for pattern in include)
        and not any(fnmatch.fnmatchcase(child.name, pattern) for pattern in exclude)
    ]
    package_dir = setuptools.get("package-dir", {}) or {"": wheres[0]}
    return setuptools | {"packages": names, "package-dir": package_dir}


def _builds_with_setuptools(data: dict[str, Any]) -> bool:
    """True when setuptools builds the project (named as the backend, or no backend named)."""
    backend = data.get("build-system", {}).get("build-backend", "")
    return not backend or str(backend).startswith("setuptools")


def _module_files(
    root: Path, module: str, tool: dict[str, Any], source_dir: Path | None = None
) -> tuple[Path, ...]:
    """The source files of a dotted module that hold its version assignment.

    A package's ``__init__.py`` comes first; when it only imports the version (``from .about
    import __version__``), the package's other modules that assign one literally follow.
    """
    parts = module.split(".")
    package_dir = tool.get("setuptools", {}).get("package-dir", {}).get("", "")
    bases = [Path(str(package_dir))] if package_dir else []
    bases += [Path("src"), Path()]
    if source_dir is not None:
        bases.insert(0, source_dir.parent)
    for base in bases:
        folder = base.joinpath(*parts)
        init = root / folder / "__init__.py"
        if init.is_file():
            text = _text(root, init)
            imported = _VERSION_IMPORT.search(text)
            if VERSION_ASSIGNMENT.search(text) or imported is None:
                return (folder / "__init__.py",)
            # `from .about import __version__`: the version lives in that module.
            return (
                folder / "__init__.py",
                folder.joinpath(*imported[1].split(".")).with_suffix(".py"),
            )
        single = base.joinpath(*parts[:-1], parts[-1] + ".py")
        if (root / single).is_file():
            return (single,)
    raise ConfigError(
        f"cannot find module {module!r}, which holds the project's version: set a static "
        'version = "0.1.0" in [project] and remove "version" from dynamic'
    )


def _file_version(root: Path, source: VersionSource) -> str:
    """The version a file source holds now (empty when none can be read)."""
    if source.kind == "setup.py":
        return _read_setup_py_version(root)
    if source.kind == "setup.cfg":
        parser = read_setup_cfg(root)
        declared = cfg_version(parser) if parser is not None else None
        return declared.value if declared is not None else ""
    for path in source.paths:
        try:
            text = confine.read_text(root, path)
        except (OSError, NoxlineError):
            continue
        if not source.attribute:
            return text.strip()
        match = VERSION_ASSIGNMENT.search(text)
        if match:
            try:
                return str(Version(match["version"]))
            except InvalidVersion:
                return ""
    return ""


def thresholds_with_sources(root: Path, tool: dict[str, Any]) -> dict[str, tuple[float, str]]:
    """Thresholds the project declares to its own tools, by noxline settings key, each with
    where it was read (``fail_under in .coveragerc``), which a failure names.

    coverage's ``fail_under`` (wherever coverage reads its configuration:
    :func:`coverage_settings`), docstr-coverage's ``fail_under`` (``.docstr.yaml``), else
    interrogate's ``fail-under``, and pylint's ``fail-under`` (in pyproject.toml or a pylintrc).
    """
    coverage_file, coverage = coverage_settings(root, {"tool": tool})
    found: dict[str, tuple[Any, str]] = {
        "coverage-fail-under": (
            coverage.get("report", {}).get("fail_under"),
            f"fail_under in {coverage_file}",
        ),
    }
    docstr = docstr_settings(root)
    if "fail_under" in docstr:
        found["docstr-fail-under"] = (docstr["fail_under"], f"fail_under in {DOCSTR_CONFIG}")
    else:
        found["docstr-fail-under"] = (
            tool.get("interrogate", {}).get("fail-under"),
            "fail-under in [tool.interrogate]",
        )
    pylint = tool.get("pylint", {})
    for section in ("main", "MAIN", "master", "MASTER"):
        if "fail-under" in pylint.get(section, {}):
            found["pylint-fail-under"] = (
                pylint[section]["fail-under"],
                f"fail-under in [tool.pylint.{section}]",
            )
    for name in ("pylintrc", ".pylintrc"):
        path = root / name
        if "pylint-fail-under" not in found and path.is_file():
            match = re.search(r"^fail[-_]under\s*=\s*([0-9.]+)", _text(root, path), re.MULTILINE)
            if match:
                found["pylint-fail-under"] = (match[1], f"fail-under in {name}")
    result: dict[str, tuple[float, str]] = {}
    for key, (value, where) in found.items():
        try:
            if value is not None and not isinstance(value, bool):
                result[key] = (float(value), where)
        except (TypeError, ValueError):
            continue
    return result


def tag_convention(root: Path) -> tuple[str, str | None]:
    """The project's release tags: their prefix (``v`` or none) and, when they have two
    components (``0.16``), a release pattern that takes them; None keeps the default pattern."""
    try:
        listed = run_git(root, "tag", "--list").stdout.split()
    except GitError:
        return "", None
    matches = [m for m in map(_VERSION_TAG.match, listed) if m]
    prefixed = [m for m in matches if m[1]]
    prefix = "v" if matches and len(prefixed) * 2 > len(matches) else ""
    counts = {m[2].count(".") + 1 for m in matches if m[1] == prefix}
    if counts <= {3}:
        return prefix, None
    return prefix, (TWO_OR_THREE_COMPONENTS if counts <= {2, 3} else ANY_COMPONENTS)


# --- coverage's own configuration ------------------------------------------------------------

#: coverage's options whose ini text is a list (one per line or comma-separated), by section;
#: every option of ``[paths]`` is one too.
_COVERAGE_LISTS = {
    "run": {
        "concurrency",
        "debug",
        "disable_warnings",
        "include",
        "omit",
        "plugins",
        "source",
        "source_pkgs",
        "source_dirs",
        "patch",
    },
    "report": {"include", "omit"},
}
#: Options holding regexes, one per line (a comma belongs to the regex).
_COVERAGE_REGEX_LISTS = {
    "report": {"exclude_lines", "exclude_also", "partial_branches", "partial_also"}
}
_COVERAGE_BOOLS = {
    "run": {"branch", "cover_pylib", "parallel", "relative_files", "sigterm", "timid"},
    "report": {
        "ignore_errors",
        "include_namespace_packages",
        "show_missing",
        "skip_covered",
        "skip_empty",
    },
    "html": {"show_contexts", "skip_covered", "skip_empty"},
    "json": {"pretty_print", "show_contexts"},
    "lcov": {"line_checksums"},
}
_COVERAGE_NUMBERS = {"report": {"fail_under", "precision"}, "xml": {"package_depth"}}


def coverage_settings(root: Path, pyproject: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The project's coverage configuration as coverage itself finds it, and the file it is in.

    coverage reads the first of ``.coveragerc`` (any content), ``setup.cfg`` and ``tox.ini``
    (their ``[coverage:*]`` sections) and ``pyproject.toml`` (``[tool.coverage.*]``) that holds
    its settings. The ini forms are turned into the types coverage gives their options (lists,
    regex lists, booleans, numbers; the rest stays text), so the job writes one TOML config
    holding exactly what the project configured. ("", {}) when the project configures nothing.
    """
    for name, prefix in ((".coveragerc", ""), ("setup.cfg", "coverage:"), ("tox.ini", "coverage:")):
        path = root / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(_text(root, path), source=name)
        except configparser.Error:
            continue  # coverage would stop on it; the tests job then says so in coverage's words
        sections = {
            section.removeprefix(prefix): dict(parser.items(section))
            for section in parser.sections()
            if section.startswith(prefix)
        }
        if sections or (name == ".coveragerc"):
            return name, {
                section: {key: _coverage_value(section, key, text) for key, text in options.items()}
                for section, options in sections.items()
            }
    table = pyproject.get("tool", {}).get("coverage", {})
    if isinstance(table, dict) and table:
        return "pyproject.toml", {k: v for k, v in table.items() if isinstance(v, dict)}
    return "", {}


#: docstr-coverage's configuration file (it reads no other unless given ``--config``).
DOCSTR_CONFIG = ".docstr.yaml"


def docstr_settings(root: Path) -> dict[str, Any]:
    """The project's ``.docstr.yaml`` (docstr-coverage's options), empty when it has none or it
    is not a YAML mapping (docstr-coverage would then fail in its own words)."""
    text = _text(root, root / DOCSTR_CONFIG)
    if not text:
        return {}
    # PyYAML is imported where a YAML file is there to read: every nox process resolves the
    # project, few projects have these files, and its import is a tenth of register()'s time.
    import yaml  # pylint: disable=import-outside-toplevel

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _coverage_value(section: str, key: str, text: str) -> Any:
    """One ini option of coverage in the type coverage reads it as."""
    if section == "paths" or key in _COVERAGE_LISTS.get(section, ()):
        return [
            word.strip() for line in text.splitlines() for word in line.split(",") if word.strip()
        ]
    if key in _COVERAGE_REGEX_LISTS.get(section, ()):
        return [line.strip() for line in text.splitlines() if line.strip()]
    if key in _COVERAGE_BOOLS.get(section, ()):
        return text.strip().lower() in ("1", "yes", "true", "on")
    if key in _COVERAGE_NUMBERS.get(section, ()):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and key != "fail_under" else number
    return text
