"""Jobs as processes: each job's nox command in its own process group, logged, stoppable."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import IO

from noxline import confine
from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.masking import env_secrets, mask, split_for_masking
from noxline.pipeline import Job
from noxline.runner.scheduler import NOT_STARTED_CODE

#: Name of a job's log file inside its reports folder.
LOG_NAME = "job.log"

#: Seconds a stopped job gets to exit after SIGTERM before it is killed.
TERMINATE_TIMEOUT = 5.0

#: The longest piece of a job's output masked at once (a line, or a piece of a longer one).
_MAX_LINE = 1024 * 1024

#: The exit code of a job stopped at its deadline (as coreutils' ``timeout`` reports it).
TIMED_OUT_CODE = 124


def log_path(settings: Settings, job: Job) -> Path:
    """Absolute path of a job's log file; copies of a job (Pythons, shards) log side by side."""
    if job.template:
        name = f"{Path(LOG_NAME).stem}-{job.instance.label}{Path(LOG_NAME).suffix}"
        return settings.project_dir / job.reports_folder / name
    return settings.project_dir / job.reports_folder / LOG_NAME


def summary_path(settings: Settings, job: Job) -> Path | None:
    """Absolute path of the one-line result the job's body writes (None for a job without)."""
    if "summary" not in job.files:
        return None
    return settings.project_dir / job.copy_folder / job.files["summary"]


def job_argv(job: Job) -> list[str]:
    """The job's GitLab command, run by this interpreter's nox, reusing venvs (see the module)."""
    program, *args = job.command()
    if program != "nox":  # pragma: no cover - Job.command always runs nox
        raise NoxlineError(f"job {job.name} does not run nox: {job.command()}")
    # A session nox skips for want of its Python checked nothing: a failure, never a green.
    argv = [
        sys.executable,
        "-m",
        "nox",
        *args,
        "--reuse-venv=yes",
        "--error-on-missing-interpreters",
    ]
    if job.instance.shard:
        # Shards of one session run at the same time: each needs a venv of its own, as each
        # GitLab job has, instead of two installs racing in one folder.
        argv += ["--envdir", str(Path(".nox") / f"shard-{job.instance.shard}of{job.shards}")]
    return argv


class ProcessLauncher:
    """Runs each job as a nox process in its own process group, output to its log file."""

    def __init__(self, settings: Settings, parallel: int, env: Mapping[str, str] | None = None):
        """Prepare up to ``parallel`` concurrent jobs for the project of ``settings``."""
        self.settings = settings
        self.env = dict(os.environ if env is None else env)
        # Unbuffered children: the live status line previews each job's latest log line.
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self._executor = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="noxline-job")
        self._lock = threading.Lock()
        self._procs: dict[str, tuple[Job, subprocess.Popen[bytes]]] = {}
        self._stopping = False

    def __enter__(self) -> ProcessLauncher:
        """Use as a context manager: the worker threads end on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Wait for the worker threads (every process has ended by then)."""
        self._executor.shutdown(wait=True)

    def start(self, job: Job) -> Future[int]:
        """Start ``job`` in a worker thread; the future holds its return code.

        The log is truncated here, before the thread runs, so the display never previews the
        previous run's log. It is opened through :mod:`noxline.confine` (inside the project,
        never through a link).
        """
        log = log_path(self.settings, job)
        # _run closes it
        stream = confine.open_write(self.settings.project_dir, log, "wb", what="writes job logs")
        summary = summary_path(self.settings, job)
        if summary is not None:
            # The job body clears it too, but a job that ends before its body runs (no such
            # Python, an install that failed) must not show the previous run's result.
            confine.remove(self.settings.project_dir, summary)
        argv = job_argv(job)
        variables = job.environment()
        env = {**self.env, **variables}
        secrets = env_secrets(env)
        shown = "".join(f"{key}={value} " for key, value in variables.items())
        stream.write(_masked(f"$ {shown}{shlex.join(argv)}\n", secrets))
        stream.flush()
        return self._executor.submit(self._run, job, argv, stream, env)

    def _run(self, job: Job, argv: list[str], stream: IO[bytes], env: dict[str, str]) -> int:
        """Worker: run the job's process to its end, its output masked into ``stream``.

        Every byte a job prints passes :func:`noxline.masking.mask` (with the secrets of its
        environment) on its way to the log: the command lines nox prints, the tools' output.
        """
        with stream:
            with self._lock:
                if self._stopping:
                    stream.write(b"noxline: not started, the run was interrupted\n")
                    return NOT_STARTED_CODE
                try:
                    proc = subprocess.Popen(  # pylint: disable=consider-using-with
                        argv,
                        cwd=self.settings.project_dir,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        # Its own process group: Ctrl-C reaches noxline only, and stopping a job
                        # signals the job's whole tree (nox and the tool it runs).
                        start_new_session=True,
                    )
                except OSError as error:
                    stream.write(f"noxline: cannot start {argv[0]}: {error}\n".encode())
                    return 127
                self._procs[job.name] = (job, proc)
            assert proc.stdout is not None  # stdout=PIPE
            pump = threading.Thread(
                target=_pump,
                args=(proc.stdout, stream, env_secrets(env)),
                name=f"noxline-log {job.name}",
                daemon=True,
            )
            pump.start()
            try:
                code = proc.wait(timeout=self.settings.job_timeout * 60)
            except subprocess.TimeoutExpired:
                code = self._time_out(job, proc)
            finally:
                with self._lock:
                    del self._procs[job.name]
            # What the job left running (outside its group) may hold the pipe: not waited for.
            pump.join(timeout=TERMINATE_TIMEOUT)
            if code == TIMED_OUT_CODE:
                stream.write(
                    f"noxline: {job.name} ran longer than job-timeout = "
                    f"{self.settings.job_timeout:g} minutes and was stopped: find what hangs in "
                    "the log above, or raise job-timeout in [tool.noxline]\n".encode()
                )
            return code

    def _time_out(self, job: Job, proc: subprocess.Popen[bytes]) -> int:
        """Stop a job that outlived job-timeout (its whole process group)."""
        del job
        _signal_group(proc, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=TERMINATE_TIMEOUT)
        _signal_group(proc, signal.SIGKILL)
        proc.wait()
        return TIMED_OUT_CODE

    def stop(self, force: bool) -> None:
        """Stop running jobs: SIGTERM their process groups, SIGKILL what is left after a timeout.

        Non-interruptible jobs (an upload) are left to finish unless ``force``.
        """
        with self._lock:
            self._stopping = True
            procs = [proc for job, proc in self._procs.values() if force or job.interruptible]
        for proc in procs:
            _signal_group(proc, signal.SIGKILL if force else signal.SIGTERM)
        deadline = time.monotonic() + TERMINATE_TIMEOUT
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            # Also reaches what the job started and left behind, even after nox itself exited.
            _signal_group(proc, signal.SIGKILL)

    @property
    def spared(self) -> list[str]:
        """Running jobs that a first Ctrl-C lets finish."""
        with self._lock:
            return [job.name for job, _ in self._procs.values() if not job.interruptible]


def _masked(text: str, secrets: tuple[str, ...]) -> bytes:
    """``text`` (a line of a job's log, decoded with ``surrogateescape``) masked, as bytes again:
    bytes that are not UTF-8 are written as they came."""
    return mask(text, secrets).encode("utf-8", "surrogateescape")


def _pump(source: IO[bytes], log: IO[bytes], secrets: tuple[str, ...]) -> None:
    """Copy a job's output to its log line by line, each line masked; ends with the output."""
    with contextlib.suppress(OSError, ValueError):  # the log closed under a job left behind
        waiting = ""
        # Lines of at most 1 MiB: a job printing without newlines cannot fill memory. A longer
        # line comes in pieces; the end of each waits for the next (masking.split_for_masking),
        # so a secret across two pieces is still masked.
        for piece in iter(lambda: source.readline(_MAX_LINE), b""):
            text = waiting + piece.decode("utf-8", "surrogateescape")
            now, waiting = (text, "") if text.endswith("\n") else split_for_masking(text, secrets)
            log.write(_masked(now, secrets))
            log.flush()
        log.write(_masked(waiting, secrets))
        log.flush()
    source.close()


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to the process group a job leads (it may be gone already)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signum)


@contextlib.contextmanager
def interrupts() -> Iterator[list[int]]:
    """Turn SIGINT and SIGTERM into KeyboardInterrupt while jobs run; yield the signals caught.

    SIGINT is set even where the parent ignored it (a background job), and SIGTERM too: the jobs run
    in their own process groups, so noxline must stop them itself rather than leave them running.
    """
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        """Record the signal and interrupt the main thread."""
        del frame
        caught.append(signum)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
