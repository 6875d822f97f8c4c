"""The ``build`` job: sdist and wheel, byte-reproducible, checked, with ``dist/SHA256SUMS``."""

from __future__ import annotations

import shutil
import subprocess

import nox

from noxline.config import Settings
from noxline.dist import write_sums
from noxline.errors import NoxlineError
from noxline.jobs._support import (
    built_dist,
    report_file,
    report_folder,
    run_to_report,
    uses_uv,
    uv_executable,
)
from noxline.pipeline import Job

REQUIREMENTS = ("build>=1.2", "twine>=6", "check-wheel-contents>=0.6")


def source_date_epoch(settings: Settings) -> str:
    """Commit time of HEAD, so two builds of one commit are byte-identical."""
    try:
        result = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=settings.project_dir,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise NoxlineError(
            f"cannot read the last commit's time for a reproducible build ({error}): "
            "build from a git checkout with at least one commit"
        ) from None
    return result.stdout.strip()


def build_env(session: nox.Session, settings: Settings) -> dict[str, str]:
    """Environment of ``python -m build``: reproducible, and cheap isolated build envs.

    The isolated envs are thrown away after one use, so uv does not compile their bytecode (the
    session-wide ``UV_COMPILE_BYTECODE=1`` would compile the whole build backend twice per run).
    ``UV`` names the uv that nox installs with, so build does not look it up on ``PATH`` (where it
    may be a slow shim, as pyenv's is: about 0.1 s per call, four calls per build).
    """
    env = {"SOURCE_DATE_EPOCH": source_date_epoch(settings), "UV_COMPILE_BYTECODE": "0"}
    uv = uv_executable() if uses_uv(session) else None
    if uv:
        env["UV"] = uv
    return env


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: clean dist/, build, check, checksum."""
    session.install(*REQUIREMENTS)
    dist_dir = settings.project_dir / settings.dist_dir
    shutil.rmtree(dist_dir, ignore_errors=True)
    # build's own installer for the isolated build env: uv when the session has it, else pip.
    installer = ("--installer", "uv") if uses_uv(session) else ()
    session.run(
        "python",
        "-m",
        "build",
        *installer,
        "--outdir",
        str(dist_dir),
        str(settings.project_dir),
        env=build_env(session, settings),
    )
    files = sorted(str(path) for path in dist_dir.iterdir())
    twine_check = report_file(settings, job, "twine-check")
    run_to_report(session, twine_check, "twine", "check", "--strict", *files)
    wheels = [name for name in files if name.endswith(".whl")]
    wheel_contents = report_file(settings, job, "wheel-contents")
    run_to_report(session, wheel_contents, "check-wheel-contents", *wheels)
    sums = write_sums(dist_dir)
    dist = built_dist(settings)
    shutil.copy(sums, report_folder(settings, job) / sums.name)
    session.log(f"built {dist.wheel.path.name} and {dist.sdist.path.name}; checksums in {sums}")
