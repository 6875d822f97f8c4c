"""The one way noxline runs git: bounded in time, in a given folder, never in a hook's repository.

Versioning, the build copy, the release notes and the project resolver all read git; each used to
start its own subprocess with its own (or no) deadline. :func:`run_git` is the one place that
decides how git runs; what a failed command means stays with the caller, which knows the fix.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from noxline.errors import NoxlineError

#: Seconds any one git command may take; a small history takes well under a second.
GIT_TIMEOUT = 120.0

#: Variables that point git at another repository (a git hook sets them): dropped, so ``cwd`` is
#: the repository git works on.
_LOCATION_VARIABLES = frozenset(
    {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"}
)


class GitError(NoxlineError):
    """git is missing, or a git command did not finish in time."""


def run_git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``git <args>`` in ``cwd`` under :data:`GIT_TIMEOUT`; the exit code is the caller's.

    Raises :class:`GitError` when git is not installed or does not answer in time.
    """
    env = {key: value for key, value in os.environ.items() if key not in _LOCATION_VARIABLES}
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=GIT_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise GitError(
            f"`git {' '.join(args)}` did not finish within {GIT_TIMEOUT:g} s in {cwd}: check the "
            "repository (a hung file system, a huge history) and try again"
        ) from None
    except FileNotFoundError:
        raise GitError(
            "git was not found on PATH: install git (in CI, use an image that includes it)"
        ) from None
    except OSError as error:
        raise GitError(f"cannot run git in {cwd} ({error.strerror or error})") from None


def git_output(cwd: Path, *args: str, fix: str) -> str:
    """The output of ``git <args>`` in ``cwd``.

    A failure is one :class:`GitError` ending in ``fix``.
    """
    done = run_git(cwd, *args)
    if done.returncode != 0:
        raise GitError(f"`git {' '.join(args)}` failed in {cwd} ({said(done)}): {fix}")
    return done.stdout


def said(done: subprocess.CompletedProcess[str]) -> str:
    """What a failed git command said (its last line), for an error message."""
    lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return f"git said: {lines[-1]}" if lines else f"git exited with {done.returncode}"


__all__ = ["GIT_TIMEOUT", "GitError", "git_output", "run_git", "said"]
