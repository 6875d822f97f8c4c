"""The suite's own speed rests on ``--dist loadgroup``: tests of one ``xdist_group`` share a worker.

pytest-xdist stops grouping silently with some pytest versions (pytest-xdist#1386): the suite
would still pass, only slower, running each shared whole-pipeline fixture once per worker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GROUPED_TESTS = """\
import os

import pytest


@pytest.mark.xdist_group("shared")
@pytest.mark.parametrize("index", range(4))
def test_grouped(index):
    print("worker", os.environ["PYTEST_XDIST_WORKER"])


@pytest.mark.parametrize("index", range(4))
def test_free(index):
    pass
"""


def test_tests_of_one_group_run_on_one_worker(tmp_path: Path) -> None:
    """Eight grouped tests in two files all report the same worker."""
    for name in ("test_one.py", "test_two.py"):
        (tmp_path / name).write_text(GROUPED_TESTS, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # not our settings
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider"]
        + ["-v", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    grouped = [line for line in lines if " PASSED " in line and "::test_grouped" in line]
    assert len(grouped) == 8, result.stdout
    workers = {line.split("]", 1)[0] for line in grouped}
    assert len(workers) == 1, grouped
