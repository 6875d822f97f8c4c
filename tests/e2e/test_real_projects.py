"""Adoption of real libraries: their PyPI sdists (poetry-core, tests included) under noxline.

Each sdist is downloaded by pip with its sha256 pinned, unpacked into a fresh git repository,
adopted with `noxline init`, and run through `nox -s version build wheel-install tests`. The outcome
is either green or exactly one noxline message naming what the project lacks, as an adopter sees it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import clean_env, git, run_nox

pytestmark = pytest.mark.network

FIRST_JOBS = ("version", "build", "wheel-install", "tests")

#: How nox reports a session that noxline stopped with a message (session.error).
ABORTED = re.compile(r"^nox > Session (\S+) aborted: (.*?)(?: \(took [^)]*\))?\.?$", re.MULTILINE)


@dataclass(frozen=True)
class RealProject:
    """A pinned sdist and what adopting it gives."""

    name: str
    version: str
    sha256: str
    #: None: the four jobs pass; otherwise a regex of the one noxline message, and its session.
    message: str | None = None
    failing_session: str = ""


PROJECTS = (
    # Flat layout, [project] metadata, poetry-core, pytest, test tools in a dev group.
    RealProject(
        "tomlkit", "0.15.2", "83e32755ba1d20d9340bd069ee97e9f6232ba2346b63ffcba425de01f7e327a6"
    ),
    # src layout, [tool.poetry] metadata, per-Python alternatives in its dev group, tests importing
    # `tests.fixtures`: everything passes but its coverage is under noxline's default threshold.
    RealProject(
        "cleo",
        "2.1.0",
        "0b2c880b5d13660a7ea651001fb4acb527696c01f15c9ee650f377aa543fd523",
        message=(
            r"coverage of cleo is \d+\.\d%, under coverage-fail-under = 80: test the lines the "
            r"report above lists as missing, or set coverage-fail-under in \[tool\.noxline\] to "
            r"the coverage the project keeps"
        ),
        failing_session="tests",
    ),
)


@pytest.fixture(scope="module", name="pip")
def fixture_pip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pip to download with: the test venv may have none, the standard library's venv does."""
    venv = tmp_path_factory.mktemp("pip-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    return venv / "bin" / "pip"


def download_sdist(pip: Path, project: RealProject, into: Path) -> Path:
    """Download the project's sdist from the package index, refusing any other bytes."""
    requirements = into / "requirements.txt"
    requirements.write_text(
        f"{project.name}=={project.version} --hash=sha256:{project.sha256}\n", encoding="utf-8"
    )
    subprocess.run(
        [
            str(pip),
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--require-hashes",
            "-r",
            str(requirements),
            "-d",
            str(into),
        ],
        check=True,
        capture_output=True,
        env=clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1"),
    )
    (sdist,) = into.glob(f"{project.name}-{project.version}.tar.gz")
    return sdist


def unpack(sdist: Path, into: Path) -> Path:
    """Unpack an sdist (one top folder) and return that folder."""
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")
    (top,) = [path for path in into.iterdir() if path.is_dir()]
    return top


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_a_real_library_adopts_noxline(tmp_path: Path, pip: Path, project: RealProject) -> None:
    """init, then the first four jobs: green, or one actionable noxline message and no other."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    root = unpack(download_sdist(pip, project, downloads), tmp_path / "src")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"{project.name} {project.version} from its sdist")
    adopted = subprocess.run(
        [sys.executable, "-m", "noxline.cli", "init"],
        cwd=root,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "adopt noxline")

    result = run_nox(root, "-s", *FIRST_JOBS, check=False)

    log = result.stdout + result.stderr
    stopped = [
        (session, text)
        for session, text in ABORTED.findall(log)
        if not text.startswith("Prerequisite session")
    ]
    if project.message is None:
        assert result.returncode == 0, log[-5000:]
        assert stopped == []
        return
    assert result.returncode != 0
    assert len(stopped) == 1, stopped or log[-5000:]
    session, text = stopped[0]
    assert session == project.failing_session
    assert re.fullmatch(project.message, text), text
    before = FIRST_JOBS[: FIRST_JOBS.index(session)]
    assert [job for job in before if f"* {job}: success" not in log] == []
