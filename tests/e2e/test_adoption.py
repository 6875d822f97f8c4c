"""Adoption end to end: `noxline init` in a project shape, then its pipeline's first jobs."""

from __future__ import annotations

import re
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import git, make_project, run_nox, run_noxline

#: Shape fixture → (distribution file stem at the second commit, test cases the suite has).
SHAPES = {
    "flat_setuptools": ("flatcalc-1.4.0.dev2", 3),  # flat layout, setuptools, pytest, test extra
    "hatch_groups": ("hatchdemo_lib-0.3.0.dev2", 1),  # hatchling, src, PEP 735 groups
    "poetry_legacy": ("poetrylegacy-2.0.1.dev2", 1),  # [tool.poetry], dev-dependencies, unittest
    # Made today: src layout, hatchling, unittest in tests/ without __init__.py, a sibling helper.
    "today_unittest": ("today-1.0.0.dev2", 2),
}


def noxline_init(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `noxline init` command in ``project``, as a user would."""
    return run_noxline(project, "init", *args)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_init_then_the_pipeline_is_green(tmp_path: Path, shape: str) -> None:
    """init adopts the shape; version, build, wheel-install and tests then pass on the wheel,
    and the tree stays clean."""
    stem, cases = SHAPES[shape]
    project = make_project(tmp_path, f"shapes/{shape}")
    adopted = noxline_init(project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "  created    noxfile.py" in adopted.stdout
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "adopt noxline")

    result = run_nox(project, "-s", "version", "build", "wheel-install", "tests")

    log = result.stdout + result.stderr
    for session in ("version", "build", "wheel-install", "tests"):
        assert f"* {session}: success" in log
    built = sorted(path.name for path in (project / "dist").iterdir())
    assert built == ["SHA256SUMS", f"{stem}-py3-none-any.whl", f"{stem}.tar.gz"]
    junit = ET.parse(project / "reports" / "tests" / "junit.xml").getroot()
    assert len(list(junit.iter("testcase"))) == cases
    assert not list(junit.iter("failure")) and not list(junit.iter("error"))
    assert (project / "reports" / "tests" / "coverage.xml").is_file()
    # The tree is left as found: no tracked file rewritten, every output ignored.
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    again = noxline_init(project)
    assert again.returncode == 0 and again.stdout.count("  unchanged  ") == 4, again.stdout


def test_ratchet_writes_the_measured_figures_as_floors(tmp_path: Path) -> None:
    """`init --ratchet` runs tests, pylint and docstr once; their figures become thresholds that
    the same code then meets."""
    project = make_project(tmp_path, "shapes/today_unittest")
    adopted = noxline_init(project, "--ratchet")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    table = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    floors = table["noxline"]
    assert set(floors) == {"coverage-fail-under", "pylint-fail-under", "docstr-fail-under"}
    assert floors["coverage-fail-under"] == 100.0  # the shape's two tests cover every line
    assert 0 < floors["pylint-fail-under"] <= 10
    assert "ratchet: wrote coverage-fail-under = 100" in adopted.stdout
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "adopt noxline with floors")
    result = run_nox(project, "-s", "tests", "pylint", "docstr")
    log = result.stdout + result.stderr
    assert "coverage 100 % >= 100 %" in log
    assert re.search(r"pylint \d+(\.\d)?/10 >= \d+\.\d", log), log[-2000:]


def test_a_namespace_package_is_adopted_green_with_every_check(tmp_path: Path) -> None:
    """``acme-widgets`` ships ``acme.widgets`` in the namespace folder src/acme/ (no
    ``__init__.py``): init finds it, the wheel's coverage maps back onto the source, and pylint
    and mypy resolve the package's own imports."""
    project = make_project(tmp_path, "shapes/namespace_pkg")
    adopted = noxline_init(project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "package acme.widgets in src/acme/widgets/" in adopted.stdout
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "adopt noxline")

    jobs = ("version", "build", "wheel-install", "tests", "pylint", "mypy", "docstr")
    result = run_nox(project, "-s", *jobs)

    log = result.stdout + result.stderr
    assert [job for job in jobs if f"* {job}: success" not in log] == [], log[-3000:]
    assert "coverage 100 %" in log  # the installed acme/widgets measured as src/acme/widgets
    assert "pylint 10.0/10" in log  # no import-error for acme.widgets.core
    assert "Success: no issues found" in log
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
