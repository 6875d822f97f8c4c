"""What noxline reads from an adopting project's own ``pyproject.toml``.

PEP 621 ``[project]`` tables and Poetry's ``[tool.poetry]`` tables are both read, so a team can
adopt noxline without first migrating its metadata. Nothing here writes files.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from noxline.errors import ConfigError

#: Dependency groups, Poetry groups and extras holding a project's test tools, in search order.
TEST_GROUP_NAMES = ("test", "tests", "testing", "dev")

#: Top-level folders that hold no importable package of the project, skipped when guessing one.
NOT_PACKAGES = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "scripts", "benchmarks"}
)


@dataclass(frozen=True)
class ProjectMetadata:
    """The facts of a project's ``pyproject.toml`` that noxline's defaults are derived from."""

    name: str
    version: str
    runtime_requirements: tuple[str, ...]
    test_requirements: tuple[str, ...]
    uses_poetry_metadata: bool
    mentions_pytest: bool
    #: Package folders the build backend's own configuration names (``src/foo``), first one first.
    declared_packages: tuple[Path, ...] = ()


def read_pyproject(project_dir: Path) -> dict[str, Any]:
    """Parse ``project_dir/pyproject.toml``, or fail with a message saying where it looked."""
    path = project_dir / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"no pyproject.toml in {project_dir.resolve()}: run noxline from the project's root "
            "directory"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None


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
    if "version" in project.get("dynamic", []):
        raise ConfigError(
            "[project] declares a dynamic version, which noxline cannot write (its version job "
            'sets the version of each build): set version = "0.1.0" in [project], remove "version" '
            "from dynamic and drop the build backend's own version source (such as "
            "[tool.hatch.version] or setuptools-scm)"
        )
    if "version" not in table:
        raise ConfigError(
            f'{where} has no version: set version = "0.1.0" in {where} (noxline\'s version job '
            "rewrites it for each build)"
        )
    if uses_poetry:
        runtime = _poetry_requirements(poetry.get("dependencies", {}), runtime=True)
    else:
        runtime = tuple(project.get("dependencies", []))
    tests = _test_requirements(data)
    text = repr(data.get("tool", {}).get("pytest", "")) + " ".join(tests)
    return ProjectMetadata(
        name=str(table["name"]),
        version=str(table["version"]),
        runtime_requirements=runtime,
        test_requirements=tests,
        uses_poetry_metadata=uses_poetry,
        mentions_pytest="pytest" in data.get("tool", {}) or "pytest" in text,
        declared_packages=tuple(_declared_packages(data.get("tool", {}))),
    )


def find_package(project_dir: Path, name: str, declared: Sequence[Path] = ()) -> tuple[str, Path]:
    """Return the import name and source dir (``src/<pkg>`` or ``<pkg>``) of the project's package.

    Searched in order: a package named after the project, the one package the build backend's
    configuration names (``declared``), the one package under ``src/``, the one package at the root.
    """
    wanted = canonicalize_name(name).replace("-", "_")
    for root in (project_dir / "src", project_dir):
        candidate = root / wanted
        if (candidate / "__init__.py").is_file():
            return wanted, candidate.relative_to(project_dir)
    found = _unique(p for p in declared if (project_dir / p / "__init__.py").is_file())
    src = project_dir / "src"
    if len(found) != 1 and src.is_dir():
        found = _unique(p.parent.relative_to(project_dir) for p in src.glob("*/__init__.py"))
    if not found:
        found = _unique(
            p.parent.relative_to(project_dir)
            for p in project_dir.glob("*/__init__.py")
            if p.parent.name not in NOT_PACKAGES and p.parent.name.isidentifier()
        )
    if len(found) == 1:
        return found[0].name, found[0]
    seen = f" (found {', '.join(sorted(p.as_posix() for p in found))})" if found else ""
    raise ConfigError(
        f"cannot find the import package of project {name!r} (looked for "
        f"src/{wanted}/__init__.py and {wanted}/__init__.py){seen}: set package and source-dir in "
        "[tool.noxline]"
    )


def _unique(paths: Iterator[Path]) -> list[Path]:
    """The distinct paths, in the order given."""
    return list(dict.fromkeys(paths))


def _declared_packages(tool: dict[str, Any]) -> Iterator[Path]:
    """Package folders named by Poetry, Hatch, setuptools or Flit configuration (static forms)."""
    for entry in tool.get("poetry", {}).get("packages", []):
        formats = entry.get("format", ["wheel"]) if isinstance(entry, dict) else []
        include = str(entry.get("include", "")) if isinstance(entry, dict) else ""
        # Entries only for the sdist (a tests folder) and globs or single modules name no package.
        if "wheel" in ([formats] if isinstance(formats, str) else formats) and _plain(include):
            yield Path(str(entry.get("from", "."))) / include
    hatch = tool.get("hatch", {}).get("build", {})
    for path in (
        hatch.get("targets", {}).get("wheel", {}).get("packages", hatch.get("packages", []))
    ):
        yield Path(str(path))
    setuptools = tool.get("setuptools", {})
    packages = setuptools.get("packages")
    if isinstance(packages, list):
        base = Path(str(setuptools.get("package-dir", {}).get("", ".")))
        for package in packages:
            if _plain(str(package)):
                yield base / str(package)
    module = tool.get("flit", {}).get("module", {}).get("name")
    if isinstance(module, str) and _plain(module):
        yield Path("src", module)
        yield Path(module)


def _plain(name: str) -> bool:
    """True for a top-level package name, not a glob, a module file or a subpackage."""
    return name.strip("/").isidentifier()


def _test_requirements(data: dict[str, Any]) -> tuple[str, ...]:
    """Collect the test tools from PEP 735 groups, Poetry groups or a test extra (first found)."""
    groups = data.get("dependency-groups", {})
    poetry = data.get("tool", {}).get("poetry", {})
    extras = data.get("project", {}).get("optional-dependencies", {})
    for name in TEST_GROUP_NAMES:
        if name in groups:
            return _resolve_group(groups, name, ())
        poetry_group = poetry.get("group", {}).get(name, {}).get("dependencies")
        if poetry_group is not None:
            return _poetry_requirements(poetry_group)
    if "dev-dependencies" in poetry:
        return _poetry_requirements(poetry["dev-dependencies"])
    for name in TEST_GROUP_NAMES:
        if name in extras:
            return tuple(extras[name])
    return ()


def _resolve_group(groups: dict[str, Any], name: str, seen: tuple[str, ...]) -> tuple[str, ...]:
    """Expand a PEP 735 group, following ``{include-group = ...}`` entries."""
    if name in seen:
        raise ConfigError(f"[dependency-groups] {name!r} includes itself")
    result: list[str] = []
    for item in groups.get(name, []):
        if isinstance(item, dict):
            result.extend(_resolve_group(groups, str(item["include-group"]), (*seen, name)))
        else:
            result.append(str(item))
    return tuple(result)


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
