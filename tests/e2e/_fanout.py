"""A minilib that fans out: two test files, code that each file covers only in part, and the
settings for a Python matrix and shards; interpreters come from the machine's pyenv set."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from noxline.sharding import junit_case_ids
from tests.helpers import clean_env, git, make_project

#: The two interpreters the matrix uses: 3.11 is on PATH, 3.12 comes from pyenv.
PYTHONS = ("3.11", "3.12")

#: Branches the two test files split between them: each covers one sign, nobody covers zero.
SIGN_MODULE = '''\
"""sign: a function whose branches the two test files share."""


def sign(value: float) -> int:
    """-1, 0 or 1."""
    if value > 0:
        return 1
    if value < 0:
        return -1
    return 0
'''

SIGN_TESTS = '''\
"""Tests of minilib.sign.{which}: one sign per file, so each shard covers part of it."""

import unittest

from minilib.sign import sign


class {which}SignTest(unittest.TestCase):
    """sign of {which} numbers."""

    def test_one(self) -> None:
        """A unit."""
        self.assertEqual(sign({value}), {expected})

    def test_large(self) -> None:
        """A large number."""
        self.assertEqual(sign({value} * 1e9), {expected})
'''


def pyenv_bin(version: str) -> Path:
    """The bin folder of pyenv's CPython ``version`` (newest patch); skip when there is none."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(root.glob(f"{version}.*/bin/python{version}"))
    if not found:
        pytest.skip(f"no pyenv CPython {version} under {root}")
    return found[-1].parent


def fanned_env() -> dict[str, str]:
    """The environment for runs: pyenv's 3.12 after everything else on PATH, no shard variables."""
    env = clean_env()
    for name in ("CI_NODE_INDEX", "CI_NODE_TOTAL", "NOXLINE_SHARD"):
        env.pop(name, None)
    env["PATH"] = os.pathsep.join([env.get("PATH", ""), str(pyenv_bin(PYTHONS[1]))])
    return env


def run_module(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` (nox, noxline.cli) in ``project`` with :func:`fanned_env`, bounded."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=project,
        env=fanned_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def make_fanned_project(tmp_path: Path, settings: str) -> Path:
    """minilib plus sign.py and two test files, ``settings`` added to [tool.noxline], committed."""
    project = make_project(tmp_path)
    (project / "src" / "minilib" / "sign.py").write_text(SIGN_MODULE, encoding="utf-8")
    for which, value, expected in (("Positive", "2.0", "1"), ("Negative", "-3.0", "-1")):
        (project / "tests" / f"test_{which.lower()}.py").write_text(
            SIGN_TESTS.format(which=which, value=value, expected=expected), encoding="utf-8"
        )
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace(
        "coverage-fail-under = 90", f"coverage-fail-under = 50\n{settings}"
    )
    pyproject.write_text(text, encoding="utf-8")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "sign, two more test files, fan-out settings")
    return project


def cobertura_percent(report: Path) -> float:
    """Branch-and-line coverage in percent from a Cobertura file (coverage's own figure)."""
    root = ET.parse(report).getroot()
    lines_valid, lines_covered = int(root.get("lines-valid", 0)), int(root.get("lines-covered", 0))
    branches_valid = int(root.get("branches-valid", 0))
    branches_covered = int(root.get("branches-covered", 0))
    total = lines_valid + branches_valid
    return 100.0 * (lines_covered + branches_covered) / total


def case_ids(report: Path) -> list[str]:
    """Every test case of a JUnit file, sorted."""
    return sorted(junit_case_ids(ET.parse(report).getroot()))
