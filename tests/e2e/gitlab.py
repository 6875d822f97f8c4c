"""Running a generated .gitlab-ci.yml for real with gitlab-ci-local (shell executor, isolation).

gitlab-ci-local is found through the ``GITLAB_CI_LOCAL`` environment variable (the path of its
executable), or ``ci/.node/node_modules/.bin/gitlab-ci-local``, where ./ci/run-tests puts it. Its
folder goes first on ``PATH``: npm's ``node@22`` package puts the Node 22 it needs beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from noxline.cli import main as noxline_main
from tests.helpers import REPO_ROOT, PackageIndex, clean_env, git, make_project

#: Where the tests look for gitlab-ci-local when GITLAB_CI_LOCAL is not set.
DEFAULT_GITLAB_CI_LOCAL = REPO_ROOT / "ci" / ".node" / "node_modules" / ".bin" / "gitlab-ci-local"

#: gitlab-ci-local wants an origin remote; any URL does, nothing is fetched from it.
ORIGIN = "https://gitlab.example.com/group/minilib.git"

#: Variables of the test process that would change what the jobs import or install.
_NOT_FOR_JOBS = frozenset(
    {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "UV_INDEX_URL", "UV_DEFAULT_INDEX"}
)

#: Status lines of gitlab-ci-local's summary, `` PASS  tests   100.0% coverage`` (``--no-color``);
#: its warnings (`` WARN  Avoid overriding ...``) go on with more words and do not match.
_SUMMARY = re.compile(r"^\s*(PASS|FAIL|WARN)\s+(\S+)(?:\s+[\d.]+% coverage)?\s*$", re.MULTILINE)


def gitlab_ci_local() -> Path:
    """The gitlab-ci-local executable; skips the test when it is missing, unless CI requires it."""
    executable = Path(os.environ.get("GITLAB_CI_LOCAL") or DEFAULT_GITLAB_CI_LOCAL)
    fixes = {
        f"gitlab-ci-local is not at {executable}": (
            executable.is_file(),
            "`./ci/run-tests` installs it, or set GITLAB_CI_LOCAL to its path",
        ),
        "rsync is not installed": (shutil.which("rsync") is not None, "`apt-get install rsync`"),
    }
    missing = [f"{problem}: {fix}" for problem, (there, fix) in fixes.items() if not there]
    if missing:
        reason = "; ".join(missing)
        if os.environ.get("NOXLINE_REQUIRE_E2E") == "1":
            pytest.fail(f"NOXLINE_REQUIRE_E2E=1 but {reason}")
        pytest.skip(reason)
    return executable


def build_noxline_wheel(out_dir: Path) -> Path:
    """Build noxline's own wheel from this checkout into ``out_dir``; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv")
    if uv:
        command = [uv, "build", "--quiet", "--wheel", "--out-dir", str(out_dir), str(REPO_ROOT)]
    else:
        command = [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--outdir",
            str(out_dir),
            str(REPO_ROOT),
        ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"building noxline's wheel failed:\n{done.stdout}\n{done.stderr}"
    (wheel,) = out_dir.glob("noxline-*.whl")
    return wheel


def upload_to(index: PackageIndex, wheel: Path) -> None:
    """Upload ``wheel`` to the index with twine, credentials in twine's environment only."""
    env = clean_env(
        TWINE_REPOSITORY_URL=index.url,
        TWINE_USERNAME=index.username,
        TWINE_PASSWORD=index.password,
        TWINE_NON_INTERACTIVE="1",
    )
    done = subprocess.run(
        [sys.executable, "-m", "twine", "upload", str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"uploading {wheel.name} failed:\n{done.stdout}\n{done.stderr}"
    assert (index.packages / wheel.name).is_file()


def make_job_python(root: Path) -> Path:
    """A fresh Python 3.11 venv with pip and nothing else; return its bin folder.

    The shell executor runs jobs on this machine: the jobs' ``python -m pip install`` goes into this
    venv (as it goes into the image's Python on a real runner), never into the machine's Python.
    """
    command = ["uv", "venv", "--quiet", "--seed", "--python", sys.executable, str(root)]
    if not shutil.which("uv"):
        command = [sys.executable, "-m", "venv", str(root)]
    subprocess.run(command, check=True, capture_output=True)
    # An image's pip is byte-compiled; uncompiled, every job's `pip install` would compile pip
    # again (PYTHONDONTWRITEBYTECODE), about 0.5 s of CPU per job.
    subprocess.run(
        [str(root / "bin" / "python"), "-m", "compileall", "-q", str(root / "lib")],
        check=True,
        capture_output=True,
    )
    return root / "bin"


def prepare_project(tmp_path: Path, *, tag: str | None = None, settings: str = "") -> Path:
    """minilib in a git repo with its generated .gitlab-ci.yml committed and an origin remote.

    ``settings`` are lines appended to minilib's ``[tool.noxline]`` table (its last table).
    """
    project = make_project(tmp_path, tag=None)
    if settings:
        with (project / "pyproject.toml").open("a", encoding="utf-8") as stream:
            stream.write(settings)
        git(project, "commit", "-q", "-am", "Settings of this test")
    assert noxline_main(["-C", str(project), "gitlab-ci"]) == 0
    git(project, "add", ".gitlab-ci.yml")
    git(project, "commit", "-q", "-m", "Add the generated pipeline")
    if tag:
        git(project, "tag", tag)
    git(project, "remote", "add", "origin", ORIGIN)
    return project


@dataclass(frozen=True)
class PipelineRun:
    """What one gitlab-ci-local run left: its output, exit code, duration and state folder."""

    project: Path
    returncode: int
    output: str
    seconds: float

    @property
    def state(self) -> Path:
        """gitlab-ci-local's folder in the project (logs, artifacts, job folders)."""
        return self.project / ".gitlab-ci-local"

    def statuses(self) -> dict[str, str]:
        """Job name → PASS, WARN (allowed failure) or FAIL, from the closing summary."""
        return {name: status for status, name in _SUMMARY.findall(self.output)}

    def log(self, job: str) -> str:
        """The job's full log."""
        return (self.state / "output" / f"{job}.log").read_text(encoding="utf-8")

    def commands(self, job: str) -> list[str]:
        """The shell lines the job ran, in order (gitlab-ci-local echoes each as ``$ <line>``)."""
        return [line[2:] for line in self.log(job).splitlines() if line.startswith("$ ")]

    def artifacts(self, job: str) -> Path:
        """The folder holding the artifacts the job exported."""
        return self.state / "artifacts" / job

    def workdir(self, job: str) -> Path:
        """The isolated copy of the project the job ran in."""
        return self.state / "builds" / job


def run_pipeline(  # pylint: disable=too-many-arguments
    executable: Path,
    project: Path,
    *,
    job_bin: Path,
    variables: Mapping[str, str],
    jobs: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
) -> PipelineRun:
    """Run the project's pipeline (or ``jobs`` with what they need) with gitlab-ci-local.

    ``variables`` are passed as ``--variable``, as CI/CD variables would be. The job environment
    sees one pip configuration only, the variables': the machine's pip.conf and find-links are
    cut off, so the jobs install from the index the test names.
    """
    # The test's own Python set-up (PYTHONPATH, a venv, pip options) must not reach the jobs.
    env = {
        key: value
        for key, value in clean_env().items()
        if not key.startswith("PIP_") and key not in _NOT_FOR_JOBS
    }
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            # The jobs install into the job Python's venv only: were another Python found first,
            # pip refuses instead of installing into the machine's Python.
            "PIP_REQUIRE_VIRTUALENV": "1",
            "PATH": os.pathsep.join([str(job_bin), str(executable.parent), env.get("PATH", "")]),
        }
    )
    env.update(extra_env or {})
    command = [
        str(executable),
        "--force-shell-executor",
        "--shell-isolation",
        "--no-color",
        "--no-artifacts-to-source",
    ]
    for name, value in variables.items():
        command += ["--variable", f"{name}={value}"]
    if jobs:
        command += ["--needs", *jobs]
    start = time.monotonic()
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False, timeout=1800
    )
    return PipelineRun(
        project=project,
        returncode=done.returncode,
        output=done.stdout + done.stderr,
        seconds=time.monotonic() - start,
    )
