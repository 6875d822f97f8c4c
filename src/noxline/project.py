"""What noxline reads from an adopting project's own ``pyproject.toml``.

PEP 621 ``[project]`` tables and Poetry's ``[tool.poetry]`` tables are both read, so a team can adopt noxline
without first migrating its metadata. Nothing here writes files.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from noxline.errors import ConfigError

#: Dependency groups, Poetry groups and extras that hold a project's test tools, in the order searched.
TEST_GROUP_NAMES = ("test", "tests", "testing", "dev")


@dataclass(frozen=True)
class ProjectMetadata:
    """The facts of a project's ``pyproject.toml`` that noxline's defaults are derived from."""

    name: str
    version: str
    runtime_requirements: tuple[str, ...]
    test_requirements: tuple[str, ...]
    uses_poetry_metadata: bool
    mentions_pytest: bool


def read_pyproject(project_dir: Path) -> dict[str, Any]:
    """Parse ``project_dir/pyproject.toml``, or fail with a message saying where it was looked for."""
    path = project_dir / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"no pyproject.toml in {project_dir.resolve()}: run noxline from the project's root directory"
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
    if "version" in project.get("dynamic", []) or "version" not in table:
        raise ConfigError(
            f"{where} has no static version (dynamic versions are not supported): noxline writes the "
            f'version itself, so set version = "0.1.0" in {where} and remove it from dynamic'
        )
    if uses_poetry:
        runtime = _poetry_requirements(poetry.get("dependencies", {}))
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
    )


def find_package(project_dir: Path, name: str) -> tuple[str, Path]:
    """Return the import name and source dir (``src/<pkg>`` or ``<pkg>``) of the project's package."""
    wanted = canonicalize_name(name).replace("-", "_")
    for root in (project_dir / "src", project_dir):
        candidate = root / wanted
        if (candidate / "__init__.py").is_file():
            return wanted, candidate.relative_to(project_dir)
    src = project_dir / "src"
    found = sorted(p.parent for p in src.glob("*/__init__.py")) if src.is_dir() else []
    if len(found) == 1:
        return found[0].name, found[0].relative_to(project_dir)
    raise ConfigError(
        f"cannot find the import package of project {name!r} (looked for src/{wanted}/__init__.py and "
        f"{wanted}/__init__.py): set package and source-dir in [tool.noxline]"
    )


def _test_requirements(data: dict[str, Any]) -> tuple[str, ...]:
    """Collect the test tools from PEP 735 groups, Poetry groups or a test extra (first one found)."""
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


def _poetry_requirements(table: dict[str, Any]) -> tuple[str, ...]:
    """Turn a Poetry dependency table into PEP 508 requirement strings (python itself skipped)."""
    result = []
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        extras: list[str] = []
        if isinstance(spec, dict):
            if "version" not in spec:
                continue  # git/path/url dependencies are the project's own business to install
            extras = list(spec.get("extras", []))
            spec = spec["version"]
        text = name + (f"[{','.join(extras)}]" if extras else "") + poetry_constraint(str(spec))
        try:
            result.append(str(Requirement(text)))
        except InvalidRequirement as error:
            raise ConfigError(f"cannot read Poetry dependency {name} = {spec!r}: {error}") from None
    return tuple(result)


def poetry_constraint(spec: str) -> str:
    """Translate one Poetry version constraint (``^1.2``, ``~1.2``, ``1.2.*``, ``*``) into PEP 440."""
    parts = [part.strip() for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", spec.strip()) if part]
    return ",".join(_one_constraint(part) for part in parts if part != "*")


def _one_constraint(part: str) -> str:
    """Translate a single Poetry constraint clause."""
    if part.startswith("^") or (part.startswith("~") and not part.startswith("~=")):
        numbers = [int(n) for n in part[1:].split(".")]
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
