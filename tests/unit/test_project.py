"""What noxline reads from an adopting project: metadata, requirements, and where its package is."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from noxline.errors import ConfigError
from noxline.project import find_package, poetry_constraint, read_metadata


def _toml(text: str) -> dict[str, Any]:
    """Parse a pyproject.toml snippet."""
    return tomllib.loads(text)


def _package(root: Path, *parts: str) -> Path:
    """Create an importable package folder under ``root``."""
    folder = root.joinpath(*parts)
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text('"""A package."""\n', encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.272", ">=0.0.272,<0.0.273"),
        ("^1.2.3a1", ">=1.2.3a1,<2"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.2", "~=1.2"),
        ("1.2.*", "==1.2.*"),
        ("2.0.1", "==2.0.1"),
        ("*", ""),
        (">=1.0, <2", ">=1.0,<2"),
        (">=1.0 <2", ">=1.0,<2"),
        ("^1.0 || ^2.0", ">=1.0"),
    ],
)
def test_poetry_constraints_become_pep_440(poetry: str, pep440: str) -> None:
    """Caret, tilde, wildcard, exact and "or" constraints translate into PEP 440 specifiers."""
    assert poetry_constraint(poetry) == pep440


def test_an_unreadable_poetry_constraint_names_itself() -> None:
    """A caret on something that is no version is refused with the clause quoted."""
    with pytest.raises(ConfigError, match=r"cannot read Poetry version constraint '\^latest'"):
        poetry_constraint("^latest")


def test_pep_621_metadata_and_pep_735_groups() -> None:
    """[project] gives name, version and dependencies; include-group entries are expanded."""
    meta = read_metadata(_toml("""
            [project]
            name = "demo"
            version = "1.0.0"
            dependencies = ["attrs>=23"]
            [dependency-groups]
            lint = ["ruff"]
            test = ["hypothesis", {include-group = "lint"}]
            """))
    assert (meta.name, meta.version, meta.uses_poetry_metadata) == ("demo", "1.0.0", False)
    assert meta.runtime_requirements == ("attrs>=23",)
    assert meta.test_requirements == ("hypothesis", "ruff")
    assert not meta.mentions_pytest


def test_a_dependency_group_that_includes_itself_is_refused() -> None:
    """A cycle of include-group entries would never end: it is reported by name."""
    data = _toml(
        '[project]\nname = "x"\nversion = "1"\n'
        '[dependency-groups]\ntest = [{include-group = "dev"}]\ndev = [{include-group = "test"}]\n'
    )
    with pytest.raises(ConfigError, match=r"\[dependency-groups\] 'test' cannot be resolved \(Cyclic"):
        read_metadata(data)


def test_poetry_metadata_with_alternatives_markers_and_optional_dependencies() -> None:
    """Per-Python alternatives get markers; optional runtime and git dependencies are left out."""
    meta = read_metadata(_toml("""
            [tool.poetry]
            name = "legacy"
            version = "2.1.0"
            [tool.poetry.dependencies]
            python = "^3.11"
            requests = { version = "^2.31", extras = ["socks"] }
            colorama = { version = "*", optional = true }
            local = { git = "https://example.invalid/local.git" }
            [tool.poetry.group.test.dependencies]
            pytest = [
                { version = "^7.0", python = "<3.12" },
                { version = "^8.0", python = ">=3.12 || ~3.8" },
            ]
            tomli = { version = "^2", markers = "platform_system == 'Linux'" }
            """))
    assert meta.uses_poetry_metadata
    assert (meta.name, meta.version) == ("legacy", "2.1.0")
    assert meta.runtime_requirements == ("requests[socks]<3,>=2.31",)
    older, newer, tomli = (Requirement(text) for text in meta.test_requirements)
    assert older.marker is not None and older.marker.evaluate({"python_full_version": "3.11.4"})
    assert newer.marker is not None and not newer.marker.evaluate({"python_full_version": "3.11.4"})
    assert newer.marker.evaluate({"python_full_version": "3.8.1"})
    assert str(tomli.specifier) == "<3,>=2"
    assert tomli.marker is not None and not tomli.marker.evaluate({"platform_system": "Darwin"})
    assert meta.mentions_pytest


def test_legacy_poetry_dev_dependencies_are_the_test_tools() -> None:
    """[tool.poetry.dev-dependencies] is read when no test or dev group exists."""
    meta = read_metadata(
        _toml(
            '[tool.poetry]\nname = "old"\nversion = "0.1.0"\n'
            '[tool.poetry.dev-dependencies]\ncoverage = "^7.0"\n'
        )
    )
    assert meta.test_requirements == ("coverage<8,>=7.0",)


def test_a_test_extra_is_the_last_resort() -> None:
    """Without groups, a ``test`` or ``dev`` extra of [project] holds the test tools."""
    meta = read_metadata(
        _toml(
            '[project]\nname = "x"\nversion = "1"\n'
            '[project.optional-dependencies]\ndocs = ["sphinx"]\ndev = ["pytest>=7"]\n'
        )
    )
    assert meta.test_requirements == ("pytest>=7",)
    assert meta.mentions_pytest


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        (
            '[build-system]\nrequires = ["x"]\n',
            r"names no project: add a \[project\] table with name",
        ),
        ('[project]\nname = "x"\n', r'\[project\] has no version: set version = "0.1.0"'),
        (
            '[tool.poetry]\nname = "x"\n',
            r'\[tool.poetry\] has no version: set version = "0.1.0" in \[tool.poetry\]',
        ),
    ],
)
def test_metadata_noxline_cannot_use_says_what_to_set(pyproject: str, message: str) -> None:
    """A missing name, a dynamic or a missing version each get one message naming the fix."""
    with pytest.raises(ConfigError, match=message):
        read_metadata(_toml(pyproject))


@pytest.mark.parametrize(
    ("tool", "folder"),
    [
        ('[tool.poetry]\npackages = [{ include = "core", from = "src" }]', "src/core"),
        (
            '[tool.poetry]\npackages = [{ include = "tests", format = "sdist" }, '
            '{ include = "core", from = "src" }]',
            "src/core",
        ),
        ('[tool.hatch.build.targets.wheel]\npackages = ["src/core"]', "src/core"),
        ('[tool.setuptools]\npackages = ["core"]\npackage-dir = { "" = "src" }', "src/core"),
        ('[tool.flit.module]\nname = "core"', "src/core"),
    ],
)
def test_a_package_named_by_the_build_backend_is_found(
    tmp_path: Path, tool: str, folder: str
) -> None:
    """When the package is not named after the project, the backend's own configuration says."""
    _package(tmp_path, "src", "core")
    _package(tmp_path, "src", "vendored")  # a second package: the src/ guess alone is ambiguous
    meta = read_metadata(_toml(f'[project]\nname = "some-dist"\nversion = "1"\n{tool}\n'))
    assert find_package(tmp_path, meta.name, meta.declared_packages) == ("core", Path(folder))


def test_the_package_named_after_the_project_wins(tmp_path: Path) -> None:
    """``my-lib`` is looked for as src/my_lib first, then my_lib/ (flat layout)."""
    _package(tmp_path, "my_lib")
    _package(tmp_path, "other")
    assert find_package(tmp_path, "My-Lib") == ("my_lib", Path("my_lib"))


def test_the_only_package_at_the_root_is_found_and_tests_are_not_one(tmp_path: Path) -> None:
    """In a flat layout, tests/ and docs/ are never taken for the project's package."""
    _package(tmp_path, "humps")
    _package(tmp_path, "tests")
    _package(tmp_path, "docs")
    assert find_package(tmp_path, "pyhumps") == ("humps", Path("humps"))


def test_an_ambiguous_package_lists_what_was_found(tmp_path: Path) -> None:
    """Two candidate packages and no hint: the message names both and the keys to set."""
    _package(tmp_path, "alpha")
    _package(tmp_path, "beta")
    with pytest.raises(ConfigError) as caught:
        find_package(tmp_path, "two-packages")
    assert str(caught.value) == (
        "cannot find the import package of project 'two-packages' (looked for "
        "src/two_packages/__init__.py, two_packages/__init__.py and two_packages.py) (found alpha, beta): set "
        "package and source-dir in [tool.noxline]"
    )
