"""The sessions, run for real by nox on the minilib fixture (poetry-core, src, unittest)."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from tests.helpers import DOCS_PIPELINE_JOBS, MINILIB_RUNS, NoxlineRun, git, make_project, run_nox


def test_nox_lists_the_pipeline_sessions_and_format(tmp_path: Path) -> None:
    """`nox -l` in an adopting project shows the pipeline's sessions, in stage order."""
    listing = run_nox(make_project(tmp_path), "-l").stdout
    listed = [line.split()[1] for line in listing.splitlines() if line[:2] in ("* ", "- ")]
    assert tuple(listed[: len(DOCS_PIPELINE_JOBS)]) == DOCS_PIPELINE_JOBS
    assert "format" in listed[len(DOCS_PIPELINE_JOBS) :]


def test_version_build_makes_verifiable_reproducible_dist(tmp_path: Path) -> None:
    """`nox -s version build` at tag 1.2.3: wheel + sdist + SHA256SUMS that sha256sum -c accepts.

    Building the same commit again gives byte-identical files (SOURCE_DATE_EPOCH from the commit).
    """
    project = make_project(tmp_path, tag="1.2.3")
    run_nox(project, "-s", "version", "build")
    dist = project / "dist"
    names = sorted(path.name for path in dist.iterdir())
    assert names == ["SHA256SUMS", "minilib-1.2.3-py3-none-any.whl", "minilib-1.2.3.tar.gz"]
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 2
    first = (dist / "SHA256SUMS").read_text(encoding="utf-8")
    shutil.rmtree(dist)
    run_nox(project, "-R", "--no-dependencies", "-s", "build")
    assert (dist / "SHA256SUMS").read_text(encoding="utf-8") == first
    # The version travels as a dotenv report; the tree is left exactly as it was.
    version_env = project / "reports/version/version.env"
    assert version_env.read_text(encoding="utf-8") == "NOXLINE_VERSION=1.2.3\n"
    outputs = (":!reports", ":!dist", ":!.nox")  # minilib has no .gitignore for them
    assert git(project, "status", "--porcelain", "--untracked-files=all", "--", *outputs) == ""
    with zipfile.ZipFile(dist / "minilib-1.2.3-py3-none-any.whl") as wheel:
        assert wheel.read("minilib/VERSION").decode() == "1.2.3\n"  # the wheel still carries it


@pytest.mark.xdist_group(MINILIB_RUNS)
def test_tests_session_reports_against_the_installed_wheel(minilib_run: NoxlineRun) -> None:
    """tests: JUnit, Cobertura mapped to src/, HTML, and a TOTAL line; the wheel is what ran."""
    reports = minilib_run.project / "reports" / "tests"
    log = minilib_run.report("tests/job.log")
    assert re.search(r"^TOTAL\s.*\s100\.0%$", log, re.MULTILINE), log
    junit = ET.parse(reports / "junit.xml").getroot()
    cases = [case.get("name") for case in junit.iter("testcase")]
    assert "test_installed_not_source" in cases
    assert not list(junit.iter("failure")) and not list(junit.iter("error"))
    cobertura = ET.parse(reports / "coverage.xml").getroot()
    files = {cls.get("filename") for cls in cobertura.iter("class")}
    assert files == {"src/minilib/__init__.py"}, files
    assert float(cobertura.get("branch-rate", "0")) == 1.0
    assert (reports / "html" / "index.html").is_file()


@pytest.mark.xdist_group(MINILIB_RUNS)
def test_wheel_install_imports_the_wheel_not_the_tree(minilib_run: NoxlineRun) -> None:
    """wheel-install imports the package from the venv's site-packages and runs pip check."""
    assert "site-packages/minilib/__init__.py" in minilib_run.report("wheel-install/job.log")
    assert "minilib @ file://" in minilib_run.report("wheel-install/installed.txt")


@pytest.mark.xdist_group(MINILIB_RUNS)
def test_checks_write_their_reports(minilib_run: NoxlineRun) -> None:
    """pylint, black, mypy and docstr pass on the fixture and leave their reports."""
    reports = minilib_run.project / "reports"
    assert "rated at" in (reports / "pylint/pylint.txt").read_text(encoding="utf-8")
    assert (reports / "pylint/codequality.json").read_text(encoding="utf-8").strip() == "[]"
    assert "<html" in (reports / "pylint/pylint.html").read_text(encoding="utf-8").lower()
    assert "would be left unchanged" in (reports / "black/black.txt").read_text(encoding="utf-8")
    assert "Success" in (reports / "mypy/mypy.txt").read_text(encoding="utf-8")
    assert (reports / "mypy/html/index.html").is_file()
    assert "100.0%" in (reports / "docstr/docstr.txt").read_text(encoding="utf-8")


@pytest.mark.xdist_group(MINILIB_RUNS)
def test_a_failing_check_keeps_its_report(broken_minilib_run: NoxlineRun) -> None:
    """black on a badly formatted file fails in one line naming the count and the fix, and the
    diff is both in the log and the report."""
    log = broken_minilib_run.report("black/job.log")
    assert re.search(
        r"Session black aborted: black would reformat 1 of [0-9]+ files \(the diff is in "
        r"reports/black/black.txt\): run `nox -s format` and commit the result",
        log,
    ), log
    assert "+x = [1, 2]" in broken_minilib_run.report("black/black.txt")
    assert "+x = [1, 2]" in log


def test_missing_tests_dir_is_one_clear_message(tmp_path: Path) -> None:
    """No tests/ folder: the tests session fails saying what to add or set."""
    project = make_project(tmp_path)
    shutil.rmtree(project / "tests")
    git(project, "commit", "-qam", "no tests")
    result = run_nox(project, "-s", "tests", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "no tests folder tests/" in output and "tests-dir" in output


def test_malformed_settings_stop_nox_with_the_key(tmp_path: Path) -> None:
    """A wrong type in [tool.noxline] stops nox before any session, naming the key."""
    project = make_project(tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            "coverage-fail-under = 90", 'coverage-fail-under = "ninety"'
        ),
        encoding="utf-8",
    )
    result = run_nox(project, "-l", check=False)
    assert result.returncode != 0
    assert "coverage-fail-under = 'ninety' is not a number" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
