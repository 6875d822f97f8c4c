"""The one way noxline runs a command itself: bounded in time, the command's whole process group.

Every program noxline starts outside a nox session (git through :mod:`noxline.git`, twine, uv
exporting a lock, Poetry or pdm, ``setup.py --name``, the ratchet's nox run) goes through
:func:`run` (``tests/unit/test_architecture.py`` fails when another module starts a process), so
one rule holds for all of them:

* a deadline: past ``timeout`` seconds the command is stopped, and not only the command: it
  leads a process group of its own, and the whole group is killed, so a child it left running (a
  ``setup.py`` that forks, a tool's helper server) neither outlives noxline nor holds its output
  open;
* no input (stdin is ``/dev/null``: a command that asks a question fails instead of waiting);
* output decoded as UTF-8, bytes that are not UTF-8 replaced (``errors="replace"``) or kept as
  surrogates for file names (``errors="surrogateescape"``), never a traceback;
* a command that cannot start, or runs out of time, is one :class:`CommandError` line naming
  what it was for; the exit code is the caller's to judge.

Jobs of ``noxline run`` are started by :mod:`noxline.runner.processes` (they stream into logs);
commands inside a nox session run through ``session.run``, bounded by the session's deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from noxline.errors import NoxlineError

#: Seconds the output of a stopped command is still read (what it printed until then).
_DRAIN_TIMEOUT = 5.0


class CommandError(NoxlineError):
    """A command could not start, or did not finish in time and was stopped."""

    def __init__(self, message: str, *, output: str = "", timed_out: bool = False) -> None:
        """Keep what the command printed until it was stopped."""
        super().__init__(message)
        self.output = output
        self.timed_out = timed_out


def run(  # pylint: disable=too-many-arguments
    argv: Sequence[str],
    *,
    cwd: Path | None,
    timeout: float,
    what: str,
    env: Mapping[str, str] | None = None,
    capture: bool = True,
    merge_stderr: bool = False,
    errors: Literal["replace", "surrogateescape"] = "replace",
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``cwd`` within ``timeout`` seconds; its exit code is the caller's.

    ``what`` says what the command is for ("exporting uv.lock"), for the messages. ``capture``
    keeps stdout and stderr (``merge_stderr``: one stream, stdout); without it they go where
    noxline's own output goes.
    """
    pipe = subprocess.PIPE if capture else None
    try:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            list(argv),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=pipe,
            stderr=subprocess.STDOUT if capture and merge_stderr else pipe,
            start_new_session=True,  # its own group: stopped as a whole
        )
    except OSError as error:
        raise CommandError(
            f"cannot run {argv[0]} for {what} ({error.strerror or error}): check that it is "
            "installed"
        ) from None
    with process:
        try:
            out, err = process.communicate(timeout=max(timeout, 0.01))
        except subprocess.TimeoutExpired:
            _kill_group(process)
            try:
                out, err = process.communicate(timeout=_DRAIN_TIMEOUT)
            except subprocess.TimeoutExpired:  # a child outside the group holds the pipes
                out, err = b"", b""
            raise CommandError(
                f"{what} did not finish within {timeout:g} s and was stopped (with everything "
                "it started)",
                output=(out or b"").decode("utf-8", errors),
                timed_out=True,
            ) from None
        except BaseException:  # Ctrl-C: the group goes too
            _kill_group(process)
            raise
    return subprocess.CompletedProcess(
        process.args,
        process.returncode,
        (out or b"").decode("utf-8", errors),
        (err or b"").decode("utf-8", errors),
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group ``process`` leads (it may be gone already)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()


__all__ = ["CommandError", "run"]
