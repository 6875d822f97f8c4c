"""What noxline reads from an adopting project: metadata, requirements, and where its package is."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from packaging.requirements import Requirement

from noxline import project
from noxline.config import load_settings
from noxline.errors import ConfigError
from noxline.project import (
    ANY_COMPONENTS,
    TWO_OR_THREE_COMPONENTS,
    VersionSource,
    black_names_targets,
    count_tests,
    coverage_settings,
    find_package,
    find_tests,
    poetry_constraint,
    read_metadata,
    read_pyproject,
    resolve,
    tag_convention,
    tox_test_tools,
)
from tests.helpers import git


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
    meta = read_metadata(
        _toml(
            """
            [project]
            name = "demo"
            version = "1.0.0"
            dependencies = ["attrs>=23"]
            [dependency-groups]
            lint = ["ruff"]
            test = ["hypothesis", {include-group = "lint"}]
            """
        )
    )
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
    with pytest.raises(
        ConfigError, match=r"\[dependency-groups\] 'test' cannot be resolved \(Cyclic"
    ):
        read_metadata(data)


def test_poetry_metadata_with_alternatives_markers_and_optional_dependencies() -> None:
    """Per-Python alternatives get markers; optional runtime and git dependencies are left out."""
    meta = read_metadata(
        _toml(
            """
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
            """
        )
    )
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
        "src/two_packages/__init__.py, two_packages/__init__.py and two_packages.py) "
        "(found alpha, beta): set package and source-dir in [tool.noxline]"
    )


# --- the project-facts resolver ------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path: text) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


_INIT = {"src/demo/__init__.py": '"""Demo."""\n__version__ = "1.4.0"\n'}


@pytest.mark.parametrize(
    ("pyproject", "files", "expected", "base"),
    [
        ('[project]\nname = "demo"\nversion = "1.0"\n', _INIT, VersionSource(), "1.0"),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n'
            '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n',
            _INIT,
            VersionSource("vcs", "setuptools-scm"),
            "0",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n'
            '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n[tool.hatch.version]\n'
            'source = "vcs"\n',
            _INIT,
            VersionSource("vcs", "hatch-vcs"),
            "0",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n[tool.pdm.version]\nsource = "scm"\n',
            _INIT,
            VersionSource("vcs", "pdm-backend"),
            "0",
        ),
        (
            '[tool.poetry]\nname = "demo"\nversion = "0.0.0"\n[tool.poetry-dynamic-versioning]\n'
            "enable = true\n",
            _INIT,
            VersionSource("vcs", "poetry-dynamic-versioning"),
            "0.0.0",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n[tool.hatch.version]\n'
            'path = "src/demo/__init__.py"\n',
            _INIT,
            VersionSource("file", "hatchling", (Path("src/demo/__init__.py"),), "__version__"),
            "1.4.0",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n[tool.setuptools.dynamic]\n'
            'version = {attr = "demo.__version__"}\n',
            _INIT,
            VersionSource("file", "setuptools", (Path("src/demo/__init__.py"),), "__version__"),
            "1.4.0",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n[tool.setuptools.dynamic]\n'
            'version = {file = "VERSION.txt"}\n',
            {**_INIT, "VERSION.txt": "2.0.1\n"},
            VersionSource("file", "setuptools", (Path("VERSION.txt"),)),
            "2.0.1",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version", "description"]\n'
            '[build-system]\nrequires = ["flit_core>=3.4"]\n',
            {
                "src/demo/__init__.py": '"""Demo."""\nfrom .about import __version__\n',
                "src/demo/about.py": '__version__ = "3.1"\n',
            },
            VersionSource(
                "file",
                "flit",
                (Path("src/demo/__init__.py"), Path("src/demo/about.py")),
                "__version__",
            ),
            "3.1",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n[build-system]\nrequires = '
            '["setuptools>=61", "setuptools-git-versioning>=2"]\n',
            _INIT,
            VersionSource("built", "setuptools-git-versioning"),
            "0",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n',
            {**_INIT, "setup.cfg": "[metadata]\n# the release\nversion = 2.3.4\n"},
            VersionSource("setup.cfg", "setuptools", (Path("setup.cfg"),), "version"),
            "2.3.4",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n',
            {**_INIT, "setup.cfg": "[metadata]\nversion = attr: demo.__version__\n"},
            VersionSource("file", "setuptools", (Path("src/demo/__init__.py"),), "__version__"),
            "1.4.0",
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n',
            {
                **_INIT,
                "setup.cfg": "[metadata]\nversion = file: VERSION.txt\n",
                "VERSION.txt": "5.0\n",
            },
            VersionSource("file", "setuptools", (Path("VERSION.txt"),)),
            "5.0",
        ),
        (
            # hatchling never reads setup.cfg: its version there is not the project's.
            '[project]\nname = "demo"\ndynamic = ["version"]\n[build-system]\nrequires = '
            '["hatchling", "versioningit"]\nbuild-backend = "hatchling.build"\n',
            {**_INIT, "setup.cfg": "[metadata]\nversion = 2.3.4\n"},
            VersionSource("built", "versioningit"),
            "0",
        ),
        (
            # setuptools reads no setup.cfg attr whose module is not a file: the build decides.
            '[project]\nname = "demo"\ndynamic = ["version"]\n',
            {**_INIT, "setup.cfg": "[metadata]\nversion = attr: demo.computed.VERSION\n"},
            VersionSource("built", "the build backend"),
            "0",
        ),
    ],
    ids=[
        "static",
        "setuptools-scm",
        "hatch-vcs",
        "pdm-scm",
        "poetry-dynamic-versioning",
        "hatch-path",
        "setuptools-attr",
        "setuptools-file",
        "flit-submodule",
        "unknown-plugin-built",
        "setup.cfg-literal",
        "setup.cfg-attr",
        "setup.cfg-file",
        "setup.cfg-not-setuptools",
        "setup.cfg-attr-computed",
    ],
)
def test_the_version_source_is_the_backends_own(
    tmp_path: Path, pyproject: str, files: dict[str, str], expected: VersionSource, base: str
) -> None:
    """Static, from git (each VCS plugin) or from a file: the resolver says which, and where."""
    root = _write(tmp_path, {"pyproject.toml": pyproject, **files})
    facts = resolve(root, _toml(pyproject))
    assert facts.version_source == expected
    assert facts.base_version == base


def test_an_unknown_dynamic_version_is_read_back_from_the_build(tmp_path: Path) -> None:
    """A dynamic version noxline cannot write into is the build's to decide: no refusal."""
    pyproject = '[project]\nname = "demo"\ndynamic = ["version"]\n'
    root = _write(tmp_path, {"pyproject.toml": pyproject, "setup.py": "setup()\n", **_INIT})
    facts = resolve(root, _toml(pyproject))
    assert facts.version_source == VersionSource("built", "setup.py")
    assert not facts.version_source.stampable and VersionSource().stampable


@pytest.mark.parametrize(
    ("files", "tests_dir", "runner"),
    [
        ({"tests/test_a.py": "import unittest\n"}, Path("tests"), "unittest"),
        ({"test/test_a.py": "import pytest\n"}, Path("test"), "pytest"),
        ({"testing/test_a.py": "", "testing/conftest.py": ""}, Path("testing"), "pytest"),
        (
            {"src/demo/tests/__init__.py": "", "src/demo/tests/test_a.py": ""},
            Path("src/demo/tests"),
            "unittest",
        ),
        ({"test_demo.py": "", "conftest.py": ""}, Path("."), "pytest"),
        ({"tests/a_test.py": "", "tox.ini": "[pytest]\n"}, Path("tests"), "pytest"),
        # pytest reads .pytest.ini as it reads pytest.ini (it was taken for unittest).
        ({"tests/a_test.py": "", ".pytest.ini": "[pytest]\n"}, Path("tests"), "pytest"),
        # pytest's testpaths, from whichever file pytest reads.
        (
            {
                "checks/test_a.py": "",
                "tests/x.py": "",
                "pytest.ini": "[pytest]\ntestpaths = checks\n",
            },
            Path("checks"),
            "pytest",
        ),
        (
            {"checks/test_a.py": "", "setup.cfg": "[tool:pytest]\ntestpaths =\n    checks\n"},
            Path("checks"),
            "pytest",
        ),
        ({"docs/index.md": ""}, None, "unittest"),
        # Test modules beside the code in the package (fire/core_test.py): the package.
        ({"src/demo/core_test.py": "import unittest\n"}, Path("src/demo"), "unittest"),
    ],
    ids=[
        "tests",
        "test",
        "testing",
        "in-package",
        "root-conftest",
        "tox-ini",
        "dot-pytest-ini",
        "pytest-ini-testpaths",
        "setup-cfg-testpaths",
        "none",
        "beside",
    ],
)
def test_tests_are_found_where_the_project_keeps_them(
    tmp_path: Path, files: dict[str, str], tests_dir: Path | None, runner: str
) -> None:
    """tests/, test/, testing/, inside the package, or modules at the root; pytest when any of
    its configuration or imports are there."""
    pyproject = '[project]\nname = "demo"\nversion = "1"\n'
    root = _write(tmp_path, {"pyproject.toml": pyproject, **_INIT, **files})
    facts = resolve(root, _toml(pyproject))
    assert (facts.tests_dir, facts.test_runner) == (tests_dir, runner)


_UNITTEST_CASE = "import unittest\nclass T(unittest.TestCase):\n    def test_a(self): pass\n"
_PLAIN_TEST = "def test_a():\n    assert 1\n\nasync def test_b():\n    assert 2\n"


@pytest.mark.parametrize(
    ("files", "runner", "pattern", "count"),
    [
        ({"tests/test_a.py": _UNITTEST_CASE}, "unittest", "", 1),
        (
            {"tests/a_test.py": _UNITTEST_CASE, "tests/b_test.py": _UNITTEST_CASE},
            "unittest",
            "*_test.py",
            2,
        ),
        (
            {"tests/a_test.py": _UNITTEST_CASE, "tests/test_b.py": _UNITTEST_CASE},
            "unittest",
            "*test*.py",
            2,
        ),
        (
            {"src/demo/tests/__init__.py": "", "src/demo/tests/x_test.py": _UNITTEST_CASE},
            "unittest",
            "*_test.py",
            1,
        ),
        # pytest's style without pytest named anywhere: unittest would find none of these.
        ({"tests/test_a.py": _PLAIN_TEST}, "pytest", "", 2),
        (
            {"tests/a_test.py": "class TestA:\n    def test_x(self):\n        assert 1\n"},
            "pytest",
            "",
            1,
        ),
        # A helper module's functions are no tests; a tests folder of helpers only has none.
        ({"tests/helpers.py": "def test_like():\n    pass\n"}, "unittest", "", 0),
        ({"tests/test_a.py": "X = 1\n"}, "unittest", "", 0),
        # Other namings: unittest's default finds test.py (decorator's shape), not *_tests.py.
        ({"tests/test.py": _UNITTEST_CASE}, "unittest", "", 1),
        ({"tests/a_tests.py": _UNITTEST_CASE, "tests/b_tests.py": ""}, "unittest", "*_tests.py", 1),
        # The -p the project's own unittest command names (tox.ini, Makefile) wins.
        (
            {
                "tests/check_a.py": _UNITTEST_CASE,
                "tox.ini": "[testenv]\ncommands = python -m unittest discover -p 'check_*.py'\n",
            },
            "unittest",
            "check_*.py",
            1,
        ),
        (
            {
                "tests/a_spec.py": _UNITTEST_CASE,
                "Makefile": "test:\n\tpython -m unittest "
                "discover -s tests --pattern=*_spec.py\n",
            },
            "unittest",
            "*_spec.py",
            1,
        ),  # fmt: skip
        # pytest's python_files, from the one file pytest reads (pytest.ini before setup.cfg).
        (
            {
                "tests/check_a.py": _PLAIN_TEST,
                "pytest.ini": "[pytest]\npython_files = check_*.py\n",
            },
            "pytest",
            "check_*.py",
            2,
        ),
        (
            {
                "tests/a_spec.py": _PLAIN_TEST,
                "tests/test_b.py": _PLAIN_TEST,
                "setup.cfg": "[tool:pytest]\npython_files = *_spec.py test_*.py\n",
            },
            "pytest",
            "*_spec.py test_*.py",
            4,
        ),
        (
            {
                "tests/test_a.py": _PLAIN_TEST,
                "pytest.ini": "[pytest]\naddopts = -q\n",
                "setup.cfg": "[tool:pytest]\npython_files = *_spec.py\n",
            },
            "pytest",
            "",
            2,
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "demo"\nversion = "1"\n'
                '[tool.pytest.ini_options]\npython_files = ["check_*.py"]\n',
                "tests/check_a.py": _UNITTEST_CASE,
            },
            "pytest",
            "check_*.py",
            1,
        ),
        # A base-less class written as `class TestA(object):` is pytest's style too.
        (
            {"tests/test_a.py": "class TestA(object):\n    def test_x(self):\n        assert 1\n"},
            "pytest",
            "",
            1,
        ),
        # A TestCase suite whose tox.ini installs pytest is run by pytest (cachetools' shape).
        (
            {"tests/test_a.py": _UNITTEST_CASE, "tox.ini": "[testenv]\ndeps =\n    pytest\n"},
            "pytest",
            "",
            1,
        ),
        # Globs holding a NUL byte or a terminal escape are no pattern: a NUL became the tests
        # job's "unexpected error (ValueError: embedded null byte)".
        (
            {
                "tests/test_a.py": _UNITTEST_CASE,
                "Makefile": "test:\n\tpython -m unittest discover -p te\0st*.py\n",
            },
            "unittest",
            "",
            1,
        ),
        (
            {
                "tests/test_a.py": _UNITTEST_CASE,
                "tox.ini": "[testenv]\ncommands = python -m unittest discover -p \x1b[2Kt*.py\n",
            },
            "unittest",
            "",
            1,
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "demo"\nversion = "1"\n'
                '[tool.pytest.ini_options]\npython_files = ["te\\u0000st*.py", "test_*.py"]\n',
                "tests/test_a.py": _PLAIN_TEST,
            },
            "pytest",
            "test_*.py",
            2,
        ),
    ],
    ids=[
        "test_-unittest",
        "_test-unittest",
        "both-unittest",
        "in-package-_test",
        "plain-functions",
        "plain-class",
        "helpers-only",
        "no-test-functions",
        "test.py",
        "_tests-unittest",
        "tox-discover-p",
        "makefile-discover-pattern",
        "pytest-ini-python-files",
        "setup-cfg-python-files",
        "pytest-ini-first",
        "pyproject-python-files",
        "object-class",
        "tox-deps-pytest",
        "makefile-nul-pattern",
        "tox-escape-pattern",
        "pyproject-nul-python-files",
    ],
)
def test_the_runner_and_file_pattern_follow_how_the_tests_are_written(
    tmp_path: Path, files: dict[str, str], runner: str, pattern: str, count: int
) -> None:
    """unittest's -p follows the test modules' naming or the project's own command; pytest's
    follows its python_files; pytest-style tests mean pytest; the count init reports is the test
    functions and methods of the files the runner collects."""
    pyproject = files.get("pyproject.toml", '[project]\nname = "demo"\nversion = "1"\n')
    root = _write(tmp_path, {"pyproject.toml": pyproject, **_INIT, **files})
    facts = resolve(root, _toml(pyproject))
    assert (facts.test_runner, facts.test_pattern) == (runner, pattern)
    assert count_tests(root, facts.tests_dir, facts.test_runner, facts.test_pattern) == count


def test_the_look_at_a_tests_tree_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However big the tree, a bounded number of its folders is read: the walk stops there."""
    for index in range(6):
        folder = tmp_path / "tests" / "/".join(f"d{level}" for level in range(index))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"test_{index}.py").write_text(_PLAIN_TEST, encoding="utf-8")
    assert count_tests(tmp_path, Path("tests"), "pytest") == 12
    monkeypatch.setattr(project, "_SCAN_FOLDERS", 2)
    assert count_tests(tmp_path, Path("tests"), "pytest") == 4
    monkeypatch.setattr(project, "_SCAN_FOLDERS", 2000)
    monkeypatch.setattr(project, "_SCAN_FILES", 3)
    assert count_tests(tmp_path, Path("tests"), "pytest") == 6


@pytest.mark.parametrize(
    ("black", "targets"),
    [
        ("", False),
        ("[tool.black]\nline-length = 79\n", False),
        ("[tool.black]\nextend-exclude = 'migrations'\n", True),
        ("[tool.black]\ninclude = '\\.pyi?$'\n", True),
        ("[tool.black]\nexclude = '/(build|docs)/'\n", True),
    ],
)
def test_black_follows_the_projects_own_file_selection(black: str, targets: bool) -> None:
    """[tool.black] include or exclude: black is given the project root, its config decides."""
    pyproject = '[project]\nname = "demo"\nversion = "1"\n' + black
    assert black_names_targets(_toml(pyproject)) is targets


@pytest.mark.parametrize(
    ("files", "names_targets"),
    [
        ({"mypy.ini": "[mypy]\nfiles = src\n"}, True),
        ({".mypy.ini": "[mypy]\npackages = demo\n"}, True),
        ({"setup.cfg": "[mypy]\nfiles = src/demo\n"}, True),
        ({"setup.cfg": "[metadata]\nname = demo\n"}, False),
        ({"mypy.ini": "[mypy]\nstrict = True\n"}, False),
        ({"mypy.ini": "not an ini file ["}, False),
        # mypy reads the first file it finds: mypy.ini before setup.cfg.
        ({"mypy.ini": "[mypy]\nstrict = True\n", "setup.cfg": "[mypy]\nfiles = src\n"}, False),
        ({}, False),
    ],
)
def test_mypy_checks_what_the_projects_own_configuration_names(
    tmp_path: Path, files: dict[str, str], names_targets: bool
) -> None:
    """The mypy configuration mypy itself would read decides whether it names its files."""
    pyproject = '[project]\nname = "demo"\nversion = "1"\n'
    root = _write(tmp_path, {"pyproject.toml": pyproject, **_INIT, **files})
    assert resolve(root, _toml(pyproject)).mypy_targets is names_targets


def test_mypy_files_in_pyproject_name_the_targets(tmp_path: Path) -> None:
    """[tool.mypy] files in pyproject.toml count like an ini file's."""
    pyproject = '[project]\nname = "demo"\nversion = "1"\n[tool.mypy]\nfiles = ["src"]\n'
    root = _write(tmp_path, {"pyproject.toml": pyproject, **_INIT})
    assert resolve(root, _toml(pyproject)).mypy_targets


def test_a_single_module_distribution_is_its_own_package(tmp_path: Path) -> None:
    """tabulate.py at the root (or under src/) is the package: import name and source file."""
    pyproject = '[project]\nname = "Single-Mod"\nversion = "1"\n'
    root = _write(tmp_path, {"pyproject.toml": pyproject, "src/single_mod.py": '"""One."""\n'})
    facts = resolve(root, _toml(pyproject))
    assert (facts.package, facts.source_dir) == ("single_mod", Path("src/single_mod.py"))


def test_a_single_modules_tests_beside_it_are_found(tmp_path: Path) -> None:
    """typing_extensions' shape: src/mod.py with src/test_mod.py, no tests folder."""
    pyproject = '[project]\nname = "single-mod"\nversion = "1"\n'
    files = {"src/single_mod.py": '"""One."""\n', "src/test_single_mod.py": "import unittest\n"}
    root = _write(tmp_path, {"pyproject.toml": pyproject, **files})
    facts = resolve(root, _toml(pyproject))
    assert (facts.source_dir, facts.tests_dir, facts.test_runner) == (
        Path("src/single_mod.py"),
        Path("src"),
        "unittest",
    )


@pytest.mark.parametrize(
    ("pyproject", "files", "expected"),
    [
        ("", {}, {}),
        ("[tool.coverage.report]\nfail_under = 91\n", {}, {"coverage-fail-under": 91.0}),
        ("[tool.interrogate]\nfail-under = 60\n", {}, {"docstr-fail-under": 60.0}),
        ("[tool.pylint.main]\nfail-under = 9.2\n", {}, {"pylint-fail-under": 9.2}),
        ("", {".pylintrc": "[MAIN]\nfail-under=7.5\n"}, {"pylint-fail-under": 7.5}),
        # coverage's own files, found as coverage finds them: .coveragerc wins over the rest.
        ("", {".coveragerc": "[report]\nfail_under = 88\n"}, {"coverage-fail-under": 88.0}),
        ("", {"setup.cfg": "[coverage:report]\nfail_under=77.5\n"}, {"coverage-fail-under": 77.5}),
        ("", {"tox.ini": "[coverage:report]\nfail_under = 66\n"}, {"coverage-fail-under": 66.0}),
        (
            "[tool.coverage.report]\nfail_under = 91\n",
            {".coveragerc": "[run]\nbranch = true\n"},
            {},
        ),
        # docstr-coverage's own file, the tool noxline runs: before interrogate's.
        (
            "[tool.interrogate]\nfail-under = 60\n",
            {".docstr.yaml": "paths: [src]\nfail_under: 95\n"},
            {"docstr-fail-under": 95.0},
        ),
        ("", {".docstr.yaml": "- not a mapping\n"}, {}),
    ],
    ids=[
        "none",
        "coverage",
        "interrogate",
        "pylint-pyproject",
        "pylintrc",
        "coveragerc",
        "setup-cfg",
        "tox-ini",
        "coveragerc-first",
        "docstr-yaml",
        "docstr-yaml-not-a-mapping",
    ],
)
def test_thresholds_are_the_projects_own(
    tmp_path: Path, pyproject: str, files: dict[str, str], expected: dict[str, float]
) -> None:
    """Only what the project declares to its own tools becomes a threshold, read from where
    each tool reads its configuration."""
    _write(tmp_path, files)
    found = project.thresholds_with_sources(tmp_path, _toml(pyproject).get("tool", {}))
    assert {key: value for key, (value, _) in found.items()} == expected


@pytest.mark.parametrize(
    ("files", "pyproject", "expected"),
    [
        ({}, "", ("", {})),
        (
            {
                ".coveragerc": "[run]\nbranch = False\nomit =\n  */vendored/*, */gen/*\n"
                "  */old.py\n[report]\nexclude_lines =\n  pragma: no cover\n"
                "  if (a, b):\nprecision = 2\nshow_missing = yes\n"
                "[paths]\nsource =\n  src/\n  */site-packages/\n"
            },
            "",
            (
                ".coveragerc",
                {
                    "run": {"branch": False, "omit": ["*/vendored/*", "*/gen/*", "*/old.py"]},
                    "report": {
                        "exclude_lines": ["pragma: no cover", "if (a, b):"],
                        "precision": 2,
                        "show_missing": True,
                    },
                    "paths": {"source": ["src/", "*/site-packages/"]},
                },
            ),
        ),
        (
            {"setup.cfg": "[metadata]\nname = x\n[coverage:html]\ntitle = My $X\n"},
            "",
            ("setup.cfg", {"html": {"title": "My $X"}}),
        ),
        # setup.cfg without coverage sections: coverage goes on to the next file.
        (
            {"setup.cfg": "[metadata]\nname = x\n"},
            "[tool.coverage.run]\nomit = ['a']\n",
            ("pyproject.toml", {"run": {"omit": ["a"]}}),
        ),
        # An empty .coveragerc is still coverage's file: pyproject.toml is not read.
        ({".coveragerc": ""}, "[tool.coverage.run]\nomit = ['a']\n", (".coveragerc", {})),
    ],
    ids=["none", "coveragerc-typed", "setup-cfg", "setup-cfg-without", "empty-coveragerc"],
)
def test_coverage_configuration_is_read_where_coverage_reads_it(
    tmp_path: Path, files: dict[str, str], pyproject: str, expected: tuple[str, dict[str, Any]]
) -> None:
    """The first of .coveragerc, setup.cfg, tox.ini, pyproject.toml holding coverage settings,
    ini values typed as coverage types them (lists split at lines and commas, regexes at lines
    only, booleans, numbers, the rest text)."""
    _write(tmp_path, files)
    assert coverage_settings(tmp_path, _toml(pyproject)) == expected


@pytest.mark.parametrize(
    ("tags", "prefix", "pattern"),
    [
        ((), "", None),
        (("1.0.0", "1.1.0"), "", None),
        (("v1.0.0", "v1.1.0", "0.9.0"), "v", None),
        (("0.15", "0.16"), "", TWO_OR_THREE_COMPONENTS),
        (("v3.9", "v3.10"), "v", TWO_OR_THREE_COMPONENTS),
        (("2024.1.15.1", "2024.2.1"), "", ANY_COMPONENTS),
        (("release-1", "nightly"), "", None),
    ],
    ids=[
        "no-tags",
        "plain",
        "v-prefix",
        "two-components",
        "v-two-components",
        "four-components",
        "not-versions",
    ],
)
def test_the_tag_convention_is_read_from_the_tags(
    tmp_path: Path, tags: tuple[str, ...], prefix: str, pattern: str | None
) -> None:
    """v-prefixed and two-component release tags are recognised."""
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "one")
    for tag in tags:
        git(tmp_path, "tag", tag)
    assert tag_convention(tmp_path) == (prefix, pattern)


def test_dependency_group_names_are_normalised() -> None:
    """A group named `Test` with an include resolves as PEP 735 says (dependency-groups)."""
    meta = read_metadata(
        _toml(
            '[project]\nname = "x"\nversion = "1"\n[dependency-groups]\n'
            'Test = ["pytest", {include-group = "Extra_Tools"}]\nextra-tools = ["hypothesis"]\n'
        )
    )
    assert meta.test_requirements == ("pytest", "hypothesis")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, ()),
        (
            {"requirements-test.txt": "pytest>=7  # the runner\n-e .\nhypothesis\n"},
            ("pytest>=7", "hypothesis"),
        ),
        (
            {
                "requirements/dev.txt": "-r base.txt\nruff\n--index-url https://x\n",
                "requirements/base.txt": "pytest\n",
            },
            ("pytest", "ruff"),
        ),
        ({"requirements-dev.txt": "./local/path\nfreezegun==1.5\n"}, ("freezegun==1.5",)),
    ],
    ids=["none", "test-file", "dev-with-include", "paths-skipped"],
)
def test_test_tools_from_requirement_files(
    tmp_path: Path, files: dict[str, str], expected: tuple[str, ...]
) -> None:
    """A project that names no test group or extra: its requirements file holds the test tools."""
    pyproject = '[project]\nname = "demo"\nversion = "1"\n'
    root = _write(tmp_path, {"pyproject.toml": pyproject, **_INIT, **files})
    assert resolve(root, _toml(pyproject)).metadata.test_requirements == expected


def _namespace_tree(root: Path, layout: str) -> None:
    """Make the folders of ``layout`` (``src/acme/widgets``): the last one a package, the others
    namespace folders without ``__init__.py``; a trailing ``/__init__`` makes every one a package.
    """
    regular = layout.endswith("/__init__")
    parts = layout.removesuffix("/__init__").split("/")
    _package(root, *parts)
    if regular:
        for depth in range(1 if parts[0] != "src" else 2, len(parts)):
            (root.joinpath(*parts[:depth]) / "__init__.py").write_text("", encoding="utf-8")


@pytest.mark.parametrize(
    ("layout", "name", "tool", "expected"),
    [
        # Named after the project, the words cut into namespace folders.
        ("src/acme/widgets", "acme-widgets", "", ("acme.widgets", "src/acme/widgets")),
        ("acme/widgets", "acme.widgets", "", ("acme.widgets", "acme/widgets")),
        ("src/acme/data/tools", "acme-data-tools", "", ("acme.data.tools", "src/acme/data/tools")),
        ("src/acme/data_tools", "Acme_Data-Tools", "", ("acme.data_tools", "src/acme/data_tools")),
        # Not named after the project: the backend's configuration says, each in its own form.
        (
            "src/acme/widgets",
            "widgets-lib",
            '[tool.hatch.build.targets.wheel]\npackages = ["src/acme"]',
            ("acme.widgets", "src/acme/widgets"),
        ),
        (
            "src/acme/widgets",
            "widgets-lib",
            '[tool.poetry]\npackages = [{ include = "acme/widgets", from = "src" }]',
            ("acme.widgets", "src/acme/widgets"),
        ),
        (
            "src/acme/widgets",
            "widgets-lib",
            '[tool.setuptools]\npackages = ["acme.widgets", "acme.widgets.io"]\n'
            'package-dir = { "" = "src" }',
            ("acme.widgets", "src/acme/widgets"),
        ),
        # Nothing names it: the one package under src/, namespaces included.
        ("src/acme/widgets", "widgets-lib", "", ("acme.widgets", "src/acme/widgets")),
        # acme/ is a regular package: acme is the package, not a namespace.
        ("src/acme/widgets/__init__", "acme-widgets", "", ("acme", "src/acme")),
    ],
)
def test_a_package_in_namespace_folders_is_found_with_its_dotted_name(
    tmp_path: Path, layout: str, name: str, tool: str, expected: tuple[str, str]
) -> None:
    """Company libraries often ship ``acme.widgets`` inside the namespace ``acme`` (no
    ``acme/__init__.py``): the import name is dotted and the source dir the package's folder."""
    _namespace_tree(tmp_path, layout)
    meta = read_metadata(_toml(f'[project]\nname = "{name}"\nversion = "1"\n{tool}\n'))
    found = find_package(tmp_path, meta.name, meta.declared_packages)
    assert found == (expected[0], Path(expected[1]))


def test_a_poetry_single_module_include_is_no_package(tmp_path: Path) -> None:
    """``include = "tool.py"`` names a module file, not a dotted package ``tool.py``."""
    (tmp_path / "tool.py").write_text('"""A module."""\n', encoding="utf-8")
    poetry = '[tool.poetry]\npackages = [{include = "tool.py"}]'
    meta = read_metadata(_toml(f'[project]\nname = "x"\nversion = "1"\n{poetry}'))
    assert not meta.declared_packages
    assert find_package(tmp_path, "tool") == ("tool", Path("tool.py"))


_SETUP_CFG = """[metadata]
name = cfg-lib
version = attr: cfglib.__version__
long_description = file: README.rst

[options]
package_dir =
    = src
packages = find:
python_requires = >=3.9
install_requires =
    attrs>=21  # the runtime
    packaging; python_version < "3.12"

[options.packages.find]
where = src

[options.extras_require]
test = pytest>=7
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # declarative setup.cfg, no pyproject.toml, a setup.py shim
            {
                "setup.cfg": _SETUP_CFG,
                "setup.py": "from setuptools import setup\nsetup()\n",
                "src/cfglib/__init__.py": '__version__ = "0.9.1"\n',
            },
            (
                "cfg-lib",
                "cfglib",
                Path("src/cfglib"),
                VersionSource(
                    "file", "setuptools", (Path("src/cfglib/__init__.py"),), "__version__"
                ),
                "0.9.1",
                ("attrs>=21", 'packaging; python_version < "3.12"'),
                ("pytest>=7",),
                ">=3.9",
            ),
        ),
        (  # pyproject.toml with only [build-system], a literal version in setup.cfg
            {
                "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\n',
                "setup.cfg": "[metadata]\nname = flat\nversion = 1.2.3\n"
                "[options]\npackages = flat\n",
                "flat/__init__.py": "",
            },
            (
                "flat",
                "flat",
                Path("flat"),
                VersionSource("setup.cfg", "setuptools", (Path("setup.cfg"),), "version"),
                "1.2.3",
                (),
                (),
                "",
            ),
        ),
        (  # setup.py only, a literal name, a version computed by a plugin
            {
                "setup.py": "import setuptools\nsetuptools.setup(\n    name='oldlib',"
                " version=versioneer.get_version(),\n)\n",
                "oldlib/__init__.py": "",
            },
            (
                "oldlib",
                "oldlib",
                Path("oldlib"),
                VersionSource("built", "setup.py"),
                "0",
                (),
                (),
                "",
            ),
        ),
        (  # setup.py only, name and version as top-level constants
            {
                "setup.py": "from setuptools import setup\nNAME = 'constlib'\nVERSION = '3.1'\n"
                "setup(name=NAME, version=VERSION, install_requires=['six'])\n",
                "constlib.py": "",
            },
            (
                "constlib",
                "constlib",
                Path("constlib.py"),
                VersionSource("setup.py", "setuptools", (Path("setup.py"),), "version"),
                "3.1",
                ("six",),
                (),
                "",
            ),
        ),
        (  # find: in a folder noxline does not search by itself, the version in the package
            {
                "setup.cfg": "[metadata]\nname = libbed\nversion = attr: inner.__version__\n"
                "[options]\npackages = find:\npackage_dir =\n    =lib\n"
                "[options.packages.find]\nwhere = lib\nexclude = tests*\n",
                "lib/inner/__init__.py": '__version__ = "0.2"\n',
                "lib/tests/__init__.py": "",
            },
            (
                "libbed",
                "inner",
                Path("lib/inner"),
                VersionSource(
                    "file", "setuptools", (Path("lib/inner/__init__.py"),), "__version__"
                ),
                "0.2",
                (),
                (),
                "",
            ),
        ),
        (  # a single module named otherwise than the distribution
            {
                "setup.cfg": "[metadata]\nname = other-name\nversion = 1.0\n"
                "[options]\npy_modules = tool_mod\n",
                "tool_mod.py": "",
            },
            (
                "other-name",
                "tool_mod",
                Path("tool_mod.py"),
                VersionSource("setup.cfg", "setuptools", (Path("setup.cfg"),), "version"),
                "1.0",
                (),
                (),
                "",
            ),
        ),
    ],
    ids=[
        "setup.cfg-shim",
        "setup.cfg-build-system-only",
        "setup.py-only",
        "setup.py-constants",
        "setup.cfg-find-in-lib",
        "setup.cfg-py-modules",
    ],
)
def test_setuptools_metadata_outside_pyproject_is_read(
    tmp_path: Path, files: dict[str, str], expected: tuple[Any, ...]
) -> None:
    """setup.cfg's declarative metadata (and a literal setup(name=...)) adopts like [project]."""
    root = _write(tmp_path, files)
    facts = resolve(root, read_pyproject(root))
    meta = facts.metadata
    assert (
        meta.name,
        facts.package,
        facts.source_dir,
        facts.version_source,
        facts.base_version,
        meta.runtime_requirements,
        meta.test_requirements,
        facts.requires_python,
    ) == expected


def test_a_setup_cfg_naming_no_project_is_one_line(tmp_path: Path) -> None:
    """A setup.cfg holding only tool settings, no pyproject.toml: one line naming the fix."""
    root = _write(tmp_path, {"setup.cfg": "[flake8]\nmax-line-length = 100\n"})
    with pytest.raises(ConfigError) as caught:
        resolve(root, read_pyproject(root))
    message = str(caught.value)
    assert "setup.cfg names no project ([metadata] name)" in message and "\n" not in message


def test_a_setup_py_name_noxline_cannot_read_is_one_line(tmp_path: Path) -> None:
    """setup.py computing its name, no setup.cfg name: one line naming where to write it."""
    root = _write(tmp_path, {"setup.py": "from setuptools import setup\nsetup(name=NAME)\n"})
    with pytest.raises(ConfigError) as caught:
        resolve(root, read_pyproject(root))
    message = str(caught.value)
    assert "\n" not in message and "literal" in message and "setup.cfg's [metadata] name" in message


@pytest.mark.parametrize(
    ("folders", "expected"),
    [
        # networkx's shape: a tests folder in each subpackage: the package is the tests folder.
        (("nx/algorithms/tests", "nx/classes/tests", "nx/tests"), "nx"),
        # One tests folder inside the package: that folder.
        (("nx/tests",), "nx/tests"),
        # A tests folder at the root wins over any inside the package.
        (("tests", "nx/a/tests", "nx/b/tests"), "tests"),
    ],
)
def test_tests_spread_through_the_package_make_the_package_the_tests_folder(
    tmp_path: Path, folders: tuple[str, ...], expected: str
) -> None:
    """Tests in several subpackages are all found by running the package itself."""
    _package(tmp_path, "nx")
    for folder in folders:
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "test_it.py").write_text("def test_it(): pass\n", encoding="utf-8")
    assert find_tests(tmp_path, {}, Path("nx")) == Path(expected)


@pytest.mark.parametrize(
    ("tox_ini", "expected"),
    [
        # pyparsing's shape: deps plus an extra of the project's own.
        (
            "[testenv]\ndeps=\n    pytest\n    matplotlib; implementation_name != 'pypy'\n"
            "extras=diagrams\ncommands=pytest tests\n",
            ("pytest", 'matplotlib; implementation_name != "pypy"', "railroad-diagrams", "jinja2"),
        ),
        # -r files are followed; factor conditions and substitutions are not guessed.
        (
            "[testenv]\ndeps =\n    -r requirements-ci.txt\n    py311: tomli\n    {[base]deps}\n",
            ("hypothesis>=6",),
        ),
        ("[tox]\nenvlist = py311\n", ()),  # no [testenv]
        ("[testenv\ndeps = pytest\n", ()),  # not INI
    ],
    ids=["deps-and-extras", "includes-not-factors", "no-testenv", "broken"],
)
def test_tox_testenv_names_the_test_tools(
    tmp_path: Path, tox_ini: str, expected: tuple[str, ...]
) -> None:
    """Without groups, extras or requirements files, tox.ini's [testenv] says what tests need."""
    (tmp_path / "tox.ini").write_text(tox_ini, encoding="utf-8")
    (tmp_path / "requirements-ci.txt").write_text("hypothesis>=6\n", encoding="utf-8")
    data = _toml(
        '[project]\nname = "x"\nversion = "1"\n'
        '[project.optional-dependencies]\ndiagrams = ["railroad-diagrams", "jinja2"]\n'
    )
    assert tox_test_tools(tmp_path, data) == expected


def test_dynamic_project_fields_come_from_setup_cfg(tmp_path: Path) -> None:
    """[project] dynamic = ["dependencies"] with setuptools: setup.cfg's install_requires are the
    runtime requirements; a field [project] states itself is never replaced."""
    pyproject = (
        '[project]\nname = "demo"\nversion = "1.0"\ndynamic = ["dependencies", "readme"]\n'
        'requires-python = ">=3.10"\n'
    )
    root = _write(
        tmp_path,
        {
            "pyproject.toml": pyproject,
            "setup.cfg": "[options]\ninstall_requires =\n    attrs\npython_requires = >=3.8\n",
            **_INIT,
        },
    )
    facts = resolve(root, read_pyproject(root))
    assert facts.metadata.runtime_requirements == ("attrs",)
    assert facts.requires_python == ">=3.10"
    hatch = pyproject + '[build-system]\nbuild-backend = "hatchling.build"\n'
    (root / "pyproject.toml").write_text(hatch, encoding="utf-8")
    assert not resolve(root, read_pyproject(root)).metadata.runtime_requirements


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (VersionSource(), "static in pyproject.toml"),
        (VersionSource("vcs", "hatch-vcs"), "from git tags through hatch-vcs"),
        (
            VersionSource("setup.cfg", "setuptools", (Path("setup.cfg"),), "version"),
            "in setup.cfg (version)",
        ),
        (
            VersionSource("file", "flit", (Path("a/__init__.py"), Path("a/v.py")), "__version__"),
            "in a/__init__.py (__version__)",
        ),
        (VersionSource("built", "versioneer"), "from versioneer, read back from the built wheel"),
    ],
)
def test_init_says_where_the_version_comes_from(source: VersionSource, words: str) -> None:
    """Every kind of source in words."""
    assert source.describe() == words


def test_setuptools_find_in_another_folder_finds_the_package(tmp_path: Path) -> None:
    """[tool.setuptools.packages.find] where = ["lib"]: the package there, as setuptools finds it
    (include and exclude patterns applied)."""
    pyproject = (
        '[project]\nname = "demo"\nversion = "1"\n[tool.setuptools.packages.find]\n'
        'where = ["lib"]\nexclude = ["skip*"]\n'
    )
    root = _write(
        tmp_path,
        {"pyproject.toml": pyproject, "lib/inner/__init__.py": "", "lib/skipped/__init__.py": ""},
    )
    facts = resolve(root, _toml(pyproject))
    assert (facts.package, facts.source_dir) == ("inner", Path("lib/inner"))


@pytest.mark.parametrize(
    "files",
    [
        {
            "setup.py": "from setuptools import setup\nT = ['hypothesis', 'pytest']\n"
            "setup(name='demo', tests_require=T)\n"
        },
        {
            "setup.py": "from setuptools import setup\nsetup()\n",
            "setup.cfg": "[metadata]\nname = demo\n[options]\ntests_require =\n  hypothesis\n  pytest\n",
        },
    ],
    ids=["setup.py", "setup.cfg"],
)
def test_setuptools_tests_require_are_the_test_tools(tmp_path: Path, files: dict[str, str]) -> None:
    """setuptools' tests_require (fire's hypothesis) is what the tests job installs."""
    root = _write(tmp_path, {**_INIT, **files})
    facts = resolve(root, {})
    assert facts.metadata.test_requirements == ("hypothesis", "pytest")


def _nested(kind: str, depth: int) -> str:
    """A pyproject.toml whose ``[tool.x]`` nests ``depth`` deep in one way (counting its root)."""
    inner = depth - 2  # [tool] nests 1, [tool.x] 2
    if kind == "arrays":
        return f"[tool.x]\ny = {'[' * (inner)}{']' * (inner)}\n"
    if kind == "inline-tables":
        return f"[tool.x]\ny = {'{a = ' * inner}1{'}' * inner}\n"
    return "[" + ".".join(["tool", "x", *["a"] * inner]) + "]\ny = 1\n"


NESTED = [
    (kind, depth, depth <= project.MAX_TOML_NESTING)
    for kind in ("arrays", "inline-tables", "table-headers")
    for depth in (3, project.MAX_TOML_NESTING, project.MAX_TOML_NESTING + 1, 150, 250)
]


@pytest.mark.parametrize(("kind", "depth", "read"), NESTED)
def test_a_pyproject_read_is_one_tomlkit_edits(
    tmp_path: Path, kind: str, depth: int, read: bool
) -> None:
    """tomllib reads nesting up to ~400 deep, tomlkit (init, ratchet, the version job) only 100:
    a pyproject.toml between the two passed every check, then stopped ``noxline init --force``
    with "unexpected error (ParseError)". read_pyproject refuses it first, in one line."""
    text = _nested(kind, depth)
    assert project.nesting(tomllib.loads(text)) == depth
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    if read:
        project.read_pyproject(tmp_path)
        tomlkit.parse(text)  # what read_pyproject reads, tomlkit edits
    else:
        with pytest.raises(ConfigError, match="nests tables or arrays too deeply to read"):
            project.read_pyproject(tmp_path)


HOSTILE_TESTPATHS = {  # pytest.ini's testpaths → made how
    "leaves-the-project": "../outside",
    "absolute": "/tmp",
    "link-leading-out": "linked",
    "newline-in-the-name": '"t\\nx"',
}


@pytest.mark.parametrize("testpaths", HOSTILE_TESTPATHS.values(), ids=HOSTILE_TESTPATHS.keys())
def test_a_testpaths_entry_outside_the_project_is_passed_over(
    tmp_path: Path, testpaths: str
) -> None:
    """A testpaths entry no setting could hold was taken as the tests folder, and every command
    stopped with "[tool.noxline] tests-dir = '../outside' leaves the project", a key the project
    never wrote: it is passed over (as pytest passes over a missing one) and tests/ found."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "test_o.py").write_text("def test_o():\n    pass\n", encoding="utf-8")
    root = tmp_path / "demo"
    pyproject = '[project]\nname = "demo"\nversion = "1"\n'
    ini = "[pytest]\ntestpaths = " + testpaths.strip('"').replace("\\n", "\n ") + "\n"
    if testpaths.startswith('"'):  # in pyproject.toml, where a name may hold a newline
        pyproject += f"\n[tool.pytest.ini_options]\ntestpaths = [{testpaths}]\n"
        (tmp_path / "demo" / "t\nx").mkdir(parents=True)
        (root / "t\nx" / "test_n.py").write_text("def test_n():\n    pass\n", encoding="utf-8")
        files = {"pyproject.toml": pyproject}
    else:
        files = {"pyproject.toml": pyproject, "pytest.ini": ini}
    _write(root, {**files, **_INIT, "tests/test_a.py": "def test_a():\n    pass\n"})
    (root / "linked").symlink_to(outside)
    facts = resolve(root, _toml(pyproject))
    assert facts.tests_dir == Path("tests")
    assert load_settings(root).tests_dir == Path("tests")


PROJECT_NAMES = {  # [project] or [tool.poetry] name → accepted
    "plain": ("minilib", True),
    "dots-dashes-underscores": ("Acme.Widgets_x-2", True),
    "one-letter": ("x", True),
    # GitLab expands variables in the publish environment's URL, which holds the name.
    "variable": ("minilib$TWINE_PASSWORD", False),
    "braced-variable": ("x${CI_JOB_TOKEN}", False),
    "newline": ("x\nscript: evil", False),
    "space": ("my lib", False),
    "slash": ("a/../b", False),
    "leading-dash": ("-x", False),
    "trailing-dot": ("x.", False),
    "empty": ("", False),
}


@pytest.mark.parametrize(("name", "accepted"), PROJECT_NAMES.values(), ids=PROJECT_NAMES.keys())
@pytest.mark.parametrize("table", ["project", "tool.poetry"])
def test_only_a_name_an_index_accepts_is_read(name: str, accepted: bool, table: str) -> None:
    """The name reaches the generated YAML (the publish environment's URL, where GitLab expands
    ``$TWINE_PASSWORD``), the docs pages and the SBOM: it was taken as written."""
    fields = {"name": name, "version": "1"}
    data: dict[str, Any] = {"project": fields}
    if table == "tool.poetry":
        data = {"tool": {"poetry": fields}}
    if accepted:
        assert read_metadata(data).name == name
        return
    with pytest.raises(ConfigError, match=r"name = .* is not a project name an index accepts"):
        read_metadata(data)


#: (files of the project, what noxfile.py imports from it): a helper the noxfile imports decides
#: every job as the noxfile does, so each is found, through each other, where nox's import finds
#: it; what no project file provides (the standard library, nox, installed packages) is none.
NOXFILE_IMPORTS = {
    "a helper module beside it": (
        {"noxfile.py": "import nox\nimport ci_helpers\n", "ci_helpers.py": "X = 1\n"},
        ("ci_helpers.py",),
    ),
    "a package, with every file below it": (
        {
            "noxfile.py": "from nox_support.sessions import lint\n",
            "nox_support/__init__.py": "",
            "nox_support/sessions.py": "import json\n",
            "nox_support/data/pins.txt": "black==25.1\n",
        },
        ("nox_support/",),
    ),
    "a package's module importing another project module": (
        {
            "noxfile.py": "import nox_support\n",
            "nox_support/__init__.py": "from nox_support import jobs\n",
            "nox_support/jobs.py": '"""Jobs."""\n\nimport os\nimport ci_helpers as helpers, json\n',
            "ci_helpers.py": "",
        },
        ("nox_support/", "ci_helpers.py"),
    ),
    "through a module it imports": (
        {"noxfile.py": "import a_helper\n", "a_helper.py": "import b_helper\n", "b_helper.py": ""},
        ("a_helper.py", "b_helper.py"),
    ),
    "in a folder it puts on sys.path": (
        {
            "noxfile.py": 'import sys\nsys.path.insert(0, "ci")\nfrom shared import jobs\n',
            "ci/shared/__init__.py": "",
            "ci/shared/jobs.py": "",
        },
        ("ci/shared/",),
    ),
    "the standard library, nox and installed packages are not the project's": (
        {"noxfile.py": "import os, sys\nimport nox\nfrom pathlib import Path\n"},
        (),
    ),
    "a folder outside the project is never searched": (
        {"noxfile.py": 'import sys\nsys.path.insert(0, "../elsewhere")\nimport outside\n'},
        (),
    ),
    "a noxfile Python cannot parse imports nothing": ({"noxfile.py": "import (\n"}, ()),
    "no noxfile": ({"setup.py": "import ci_helpers\n", "ci_helpers.py": ""}, ()),
    "importing itself is no loop": (
        {"noxfile.py": "import a_helper\n", "a_helper.py": "import a_helper\n"},
        ("a_helper.py",),
    ),
}


@pytest.mark.parametrize(
    ("files", "imported"), NOXFILE_IMPORTS.values(), ids=NOXFILE_IMPORTS.keys()
)
def test_the_project_modules_a_noxfile_imports_are_found(
    tmp_path: Path, files: dict[str, str], imported: tuple[str, ...]
) -> None:
    """Each row: the project's files, and what noxfile_imports finds among them."""
    project_dir = tmp_path / "project"
    for name, text in files.items():
        (project_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (project_dir / name).write_text(text, encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/outside.py").write_text("", encoding="utf-8")
    assert project.noxfile_imports(project_dir) == imported


def test_the_submodules_are_the_gitlinks_of_the_index(tmp_path: Path) -> None:
    """A submodule is a gitlink in git's index (with or without .gitmodules); none outside a
    repository."""
    assert project.submodules(tmp_path) == ()
    git(tmp_path, "init", "-q")
    (tmp_path / "README.md").write_text("x\n", encoding="utf-8")
    git(tmp_path, "add", "README.md")
    commit = "1" * 40
    git(tmp_path, "update-index", "--add", "--cacheinfo", f"160000,{commit},vendor/theme lib")
    assert project.submodules(tmp_path) == ("vendor/theme lib",)


#: (configuration files at the root, the project files they name): a tool reads what its
#: configuration names whatever its name, so each is an input as the configuration is.
CONFIG_NAMED = {
    "mypy's files, a script without a suffix": (
        {"pyproject.toml": '[tool.mypy]\nfiles = ["src/pkg", "bin/tool"]\n'},
        ("bin/tool",),
    ),
    "ruff's extend": ({"ruff.toml": 'extend = "ci/ruff-base.toml"\n'}, ("ci/ruff-base.toml",)),
    "a nested ruff.toml's extend, relative to its folder": (
        {"tests/ruff.toml": 'extend = "../ci/ruff-base.toml"\n'},
        ("ci/ruff-base.toml",),
    ),
    "pylint's spelling dictionary": (
        {".pylintrc": "[SPELLING]\nspelling-private-dict-file=ci/words.txt\n"},
        ("ci/words.txt",),
    ),
    "a requirements file's include": (
        {"requirements-dev.txt": "-r ci/base.txt\npytest\n"},
        ("ci/base.txt",),
    ),
    "documents, folders, ignore patterns and paths outside are not": (
        {
            "pyproject.toml": '[project]\nreadme = "README.md"\nlicense-files = ["LICENSE"]\n'
            'x = ["src/pkg", "../outside.txt", "/etc/hostname", "docs/guide.md"]\n',
            ".gitignore": "bin/tool\n",
        },
        (),
    ),
}


@pytest.mark.parametrize(("files", "named"), CONFIG_NAMED.values(), ids=CONFIG_NAMED.keys())
def test_the_project_files_configuration_names_are_found(
    tmp_path: Path, files: dict[str, str], named: tuple[str, ...]
) -> None:
    """Each row: the configuration files, and what config_named_files finds they name."""
    project_dir = tmp_path / "project"
    for name in (
        "bin/tool",
        "ci/ruff-base.toml",
        "ci/words.txt",
        "ci/base.txt",
        "README.md",
        "LICENSE",
        "src/pkg/__init__.py",
        "docs/guide.md",
    ):
        (project_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (project_dir / name).write_text("x\n", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("x\n", encoding="utf-8")
    for name, text in files.items():
        (project_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (project_dir / name).write_text(text, encoding="utf-8")
    git(project_dir, "init", "-q")  # git lists the nested configuration files
    assert project.config_named_files(project_dir) == named


#: (configuration, the checks it widens beyond Python files by a pattern).
WIDENED = {
    "black's include": ({"pyproject.toml": "[tool.black]\ninclude = '\\\\.pyw?$'\n"}, ("black",)),
    "black's extend-exclude narrows only": (
        {"pyproject.toml": "[tool.black]\nextend-exclude = 'gen/'\n"},
        (),
    ),
    "ruff's extend-include": (
        {"ruff.toml": 'extend-include = ["*.pyw"]\n'},
        ("ruff-check", "ruff-format"),
    ),
    "ruff's include in pyproject": (
        {"pyproject.toml": '[tool.ruff]\ninclude = ["*.py", "scripts/*"]\n'},
        ("ruff-check", "ruff-format"),
    ),
    "none": ({"pyproject.toml": "[tool.ruff]\nline-length = 100\n"}, ()),
}


@pytest.mark.parametrize(("files", "widened"), WIDENED.values(), ids=WIDENED.keys())
def test_checks_whose_configuration_selects_more_than_python_are_found(
    tmp_path: Path, files: dict[str, str], widened: tuple[str, ...]
) -> None:
    """Each row: the configuration, and the checks widened_checks names."""
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    data = (
        _toml((tmp_path / "pyproject.toml").read_text(encoding="utf-8"))
        if (tmp_path / "pyproject.toml").exists()
        else {}
    )
    assert project.widened_checks(tmp_path, data) == widened
