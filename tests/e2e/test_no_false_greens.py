"""No false greens, end to end: the tests job runs the tests a project has, however they are
written, and fails when it ran none; mypy and black check what the project checks.

Each shape is a small real project written here, adopted with ``noxline init`` alone, committed,
and run once through real nox: the shapes' runs share one module fixture, run side by side.
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers import git, run_nox, run_noxline

pytestmark = pytest.mark.xdist_group("no-false-greens")

_BUILD = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'

_UNITTEST_CASE = '''\
"""Tests of {name}."""

import unittest

from {package} import double


class DoubleTest(unittest.TestCase):
    """double()."""

    def test_{name}(self) -> None:
        """Twice the number."""
        self.assertEqual(double(2), 4)
'''

#: Shapes: files of the project, the sessions run, and what the run must show.
SHAPES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    # A unittest suite of *_test.py files inside the package (no pytest anywhere), checked by
    # mypy (strict, no config: the package and its tests folder once) and black, whose own
    # exclude (replacing black's default one, which skips .nox) leaves docs/ out.
    "suffix_in_package": (
        {
            "pyproject.toml": f'{_BUILD}[project]\nname = "suffixed"\nversion = "1.0"\n'
            '[tool.black]\nexclude = "^/docs/"\n',
            "docs/conf.py": "project='suffixed'\n",
            "src/suffixed/__init__.py": '"""Suffixed."""\n\n\ndef double(x: int) -> int:\n'
            '    """Twice x."""\n    return 2 * x\n',
            "src/suffixed/tests/__init__.py": '"""Tests."""\n',
            "src/suffixed/tests/double_test.py": _UNITTEST_CASE.format(
                name="double", package="suffixed"
            ),
            "src/suffixed/tests/again_test.py": _UNITTEST_CASE.format(
                name="again", package="suffixed"
            ),
            "src/suffixed/py.typed": "",
        },
        ("version", "build", "tests", "mypy", "black"),
    ),
    # pytest-style functions and bare asserts; pytest named nowhere. mypy's own config checks
    # only src (strict): the untyped tests are not judged.
    "plain_functions": (
        {
            "src/plain/__init__.py": '"""Plain."""\n\n\ndef double(x: int) -> int:\n'
            '    """Twice x."""\n    return 2 * x\n',
            "tests/test_plain.py": "from plain import double\n\n\ndef test_double():\n"
            "    assert double(2) == 4\n\n\ndef test_zero():\n    assert double(0) == 0\n",
            "mypy.ini": "[mypy]\nfiles = src\nstrict = True\n",
        },
        ("version", "build", "tests", "mypy"),
    ),
    # A project that lints and formats with ruff: ruff's jobs, not pylint's and black's.
    "ruff_project": (
        {
            "src/ruffed/__init__.py": '"""Ruffed."""\n\nimport os\n\n\ndef home() -> str:\n'
            '    """The home folder."""\n    return os.path.expanduser("~")\n',
            "tests/test_ruffed.py": "from ruffed import home\n\n\ndef test_home():\n"
            "    assert home()\n",
            "ruff.toml": 'line-length = 100\n[lint]\nselect = ["E", "F", "I"]\n',
            "requirements-dev.txt": "ruff\npytest\n",
            # Two conftest.py in folders without __init__.py: one module name to mypy's naming.
            "tests/conftest.py": "",
            "tests/unit/conftest.py": "",
            "tests/unit/test_unit.py": "def test_unit():\n    assert True\n",
        },
        ("ruff-check", "ruff-format", "mypy"),
    ),
    # pytest's own ini file names the folder and the files (testpaths, python_files): both
    # followed, the helper module beside the tests collected by neither runner.
    "pytest_ini_files": (
        {
            "src/checked/__init__.py": '"""Checked."""\n\nVALUE = 1\n',
            "pytest.ini": "[pytest]\ntestpaths = checks\npython_files = check_*.py\n",
            "checks/check_values.py": "from checked import VALUE\n\n\ndef test_one():\n"
            "    assert VALUE == 1\n\n\ndef test_two():\n    assert VALUE\n",
            "checks/helpers.py": "def test_helper_not_a_test():\n    raise AssertionError\n",
            "tests/test_stale.py": "def test_not_run():\n    raise AssertionError\n",
        },
        ("version", "build", "tests"),
    ),
    # A tests folder holding no test at all: red, one line.
    "no_tests": (
        {
            "src/notests/__init__.py": '"""No tests."""\n',
            "tests/helpers.py": '"""Only helpers."""\n',
        },
        ("version", "build", "tests"),
    ),
}


def _project(root: Path, name: str) -> Path:
    """The shape ``name`` written, adopted with `noxline init` and committed."""
    files, _ = SHAPES[name]
    project = root / name
    package = next(path.split("/")[1] for path in files if path.startswith("src/"))
    pyproject = f'{_BUILD}[project]\nname = "{package}"\nversion = "1.0"\n'
    for path, text in {"pyproject.toml": pyproject, "README.md": "# x\n", **files}.items():
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(project, "init", "-q", "-b", "main")
    adopted = run_noxline(project, "init")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    (project / "init.txt").write_text(adopted.stdout, encoding="utf-8")
    git(project, "add", "-A")
    git(project, "rm", "-q", "--cached", "init.txt")
    (project / ".git" / "info" / "exclude").write_text("init.txt\n", encoding="utf-8")
    git(project, "commit", "-q", "-m", "initial")
    return project


#: Each shape's project and its nox run.
Runs = dict[str, tuple[Path, subprocess.CompletedProcess[str]]]


@pytest.fixture(name="runs", scope="module")
def runs_fixture(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Every shape adopted and run through its sessions, side by side."""
    root = tmp_path_factory.mktemp("no-false-greens")

    def run(name: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
        project = _project(root, name)
        return project, run_nox(project, "-s", *SHAPES[name][1], check=False)

    with ThreadPoolExecutor(max_workers=len(SHAPES)) as pool:
        return dict(zip(SHAPES, pool.map(run, SHAPES)))


def _summary(project: Path, job: str) -> str:
    """A job's one-line result."""
    return (project / "reports" / job / "summary.txt").read_text(encoding="utf-8").strip()


def test_a_unittest_suite_of_suffixed_files_in_the_package_runs(runs: Runs) -> None:
    """*_test.py modules inside the package: init says so, unittest gets -p, both tests run;
    mypy checks the package once (no "Duplicate module"), black checks its files."""
    project, result = runs["suffix_in_package"]
    assert result.returncode == 0, result.stdout + result.stderr
    init = (project / "init.txt").read_text(encoding="utf-8")
    assert "run by unittest (*_test.py files): 2 test functions found" in init
    assert "unittest-xml-reporting " in _summary(project, "tests")
    assert _summary(project, "tests").endswith(", 2 tests ran, coverage 100 %")
    assert _summary(project, "mypy").endswith(" (noxline default), 4 source files checked")
    # The package's four files and the noxfile; not docs/ (the project's exclude), not .nox.
    assert _summary(project, "black").endswith(" (noxline default), 5 files checked")
    assert not git(project, "status", "--porcelain")


def test_pytest_style_tests_run_with_pytest_though_no_file_names_it(runs: Runs) -> None:
    """Plain test functions mean pytest; mypy's own config (src only, strict) is what it checks."""
    project, result = runs["plain_functions"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "run by pytest: 2 test functions found" in (project / "init.txt").read_text("utf-8")
    assert "pytest " in _summary(project, "tests")
    assert _summary(project, "tests").endswith(", 2 tests ran, coverage 100 %")
    assert _summary(project, "mypy").endswith(" (noxline default), 1 source files checked")
    assert not git(project, "status", "--porcelain")


def test_pytests_own_testpaths_and_python_files_decide(runs: Runs) -> None:
    """pytest.ini's testpaths and python_files: init finds the tests there, pytest runs them."""
    project, result = runs["pytest_ini_files"]
    assert result.returncode == 0, result.stdout + result.stderr
    init = (project / "init.txt").read_text(encoding="utf-8")
    assert "tests in checks/ run by pytest (check_*.py files): 2 test functions found" in init
    assert _summary(project, "tests").endswith(", 2 tests ran, coverage 100 %")
    junit = (project / "reports" / "tests" / "junit.xml").read_text(encoding="utf-8")
    assert 'tests="2"' in junit
    assert not git(project, "status", "--porcelain")


def test_a_tests_folder_without_tests_is_red_in_one_line(runs: Runs) -> None:
    """No test found: init warns, the tests job fails naming pattern, folder and runner."""
    project, result = runs["no_tests"]
    assert result.returncode != 0
    assert "no test function found in tests/" in (project / "init.txt").read_text("utf-8")
    failure = [line for line in result.stderr.splitlines() if "no test ran in tests" in line]
    assert len(failure) == 1, result.stderr
    assert (
        "no test ran in tests: looked for test*.py files in tests/ with unittest; point noxline "
        "at your tests with tests-dir, test-runner, test-pattern or test-args in [tool.noxline]"
    ) in failure[0]
    assert "Traceback" not in result.stderr
    assert _summary(project, "tests").endswith(" (noxline default), 0 tests ran")
    # The JUnit report says so too (unittest's writer left no count of its own).
    junit = (project / "reports" / "tests" / "junit.xml").read_text(encoding="utf-8")
    assert re.search(r'tests="0"', junit), junit


def test_a_ruff_project_gets_ruffs_checks_instead_of_pylint_and_black(runs: Runs) -> None:
    """ruff configured and declared: init says the checks, ruff check and ruff format run with
    the project's configuration, and there is no pylint or black job."""
    project, result = runs["ruff_project"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert _summary(project, "ruff-check").endswith("(noxline default), no findings")
    # The project's files as ruff's configuration selects them (noxline's noxfile among them).
    assert re.search(r"\(noxline default\), [2-9] files checked$", _summary(project, "ruff-format"))
    listed = {line.split()[1] for line in run_nox(project, "-l").stdout.splitlines()
              if line[:2] in ("* ", "- ")}  # fmt: skip
    assert {"ruff-check", "ruff-format", "mypy", "docstr"} <= listed
    assert not {"pylint", "black"} & listed
    # tests/conftest.py and tests/unit/conftest.py named from their folder: no duplicate.
    assert _summary(project, "mypy").endswith(" (noxline default), 5 source files checked")
    report = project / "reports" / "ruff-check" / "codequality.json"
    assert report.read_text(encoding="utf-8").strip() == "[]"
    assert not git(project, "status", "--porcelain")
