"""The ``build`` job: sdist and wheel, byte-reproducible, checked, with ``dist/SHA256SUMS``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nox

from noxline.config import Settings
from noxline.dist import SUMS_NAME, write_sums
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
#: What builds leave in dist-dir: wheels and sdists (the old .zip sdists too).
_BUILD_SUFFIXES = (".whl", ".tar.gz", ".zip")


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


def empty_dist_dir(dist_dir: Path, settings: Settings) -> None:
    """Remove the previous build's files from ``dist_dir``, and nothing else.

    Only what a build leaves there (wheels, sdists, SHA256SUMS) is deleted; anything else
    (a docs folder someone pointed dist-dir at, a .venv, notes) stops the build with a message,
    untouched: noxline never deletes what it did not make.
    """
    if not dist_dir.exists() and not dist_dir.is_symlink():
        return
    if dist_dir.is_symlink() or not dist_dir.is_dir():
        raise NoxlineError(
            f"dist-dir {settings.dist_dir} is not a plain folder (a file or a symbolic link): "
            "remove it, or set dist-dir in [tool.noxline] to a folder of its own"
        )
    entries = sorted(dist_dir.iterdir())
    foreign = [
        entry.name
        for entry in entries
        if entry.is_symlink() or not entry.is_file() or not _is_build_output(entry.name)
    ]
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise NoxlineError(
            f"dist-dir {settings.dist_dir} holds {shown}, which no build made; noxline empties "
            "that folder before each build and deletes only its own files: move them, or set "
            "dist-dir in [tool.noxline] to a folder of its own (nothing was deleted)"
        )
    for entry in entries:
        entry.unlink()


def _is_build_output(name: str) -> bool:
    """True for the files a build writes into dist-dir."""
    return name == SUMS_NAME or name.endswith(_BUILD_SUFFIXES)


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: clean dist/, build, check, checksum."""
    session.install(*REQUIREMENTS)
    dist_dir = settings.project_dir / settings.dist_dir
    empty_dist_dir(dist_dir, settings)
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
