"""``noxline run``: the pipeline run locally with GitLab's semantics, each job a nox process.

A job starts as soon as every job in its ``needs`` has passed (``needs=()`` starts at once, as
GitLab's ``needs: []``); up to ``-j`` jobs run at a time; a failed job skips every job that needs
it, transitively; an ``allow_failure`` job that fails only warns ("allowed to fail") and its
dependents still run; jobs sharing a ``resource_group`` never overlap. Each job runs the very
command of its GitLab job, :meth:`noxline.pipeline.Job.command` (``nox --no-dependencies -s
<job>``), with the interpreter that has noxline, in the project folder; its output goes to
``<reports>/<job>/job.log``. The exit code is GitLab's verdict on the pipeline: 0 when every job
that may not fail passed, 1 otherwise; 130 after Ctrl-C.

Why not nox's own parallel mode (``nox -j N``, nox 2026.10.20)? It schedules by ``requires=`` and
runs each session as ``nox --no-dependencies`` in a child too, but it cannot express GitLab's rules:

* it has no ``allow_failure``: a failed session always aborts every session that requires it and
  makes nox exit 1, where GitLab runs the dependents and passes the pipeline with a warning;
* it buffers each session's output and prints it to the one terminal when the session ends; there
  is no per-job log file to point at from a summary (``--report`` holds statuses, not output);
* it knows no ``resource_group``; on Ctrl-C it kills every child without saying which sessions
  were left unfinished, and cannot spare a job that must not be cancelled half-way
  (``interruptible=False``: an upload).

So the scheduling is ours: :class:`Scheduler` is a small pure state machine over the jobs and
:func:`schedule` drives it through a "start job" callable, so both are tested with fake jobs; only
:class:`ProcessLauncher` starts processes.

Venv reuse: jobs run with ``--reuse-venv=yes`` (``-r``). nox then keeps a session's venv
(recreating it when its interpreter or backend changed) but still runs every ``session.install``,
which uv turns into a no-op when all is installed and into an install when the session's list or
the built wheel changed, so a reused venv is never stale. (A package dropped from a list stays
installed, unused.) ``-R``/``--no-install`` would skip those installs and run stale tools against
a stale wheel, so it is never used. ``wheel-install`` sets ``reuse_venv=False``, which nox honours
under ``yes``: it always proves the wheel installs into a fresh venv.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import BinaryIO, TextIO

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.pipeline import Job, Pipeline, define

#: Exit code after Ctrl-C (128 + SIGINT), as nox and shells use.
EXIT_INTERRUPTED = 130

#: Name of a job's log file inside its reports folder.
LOG_NAME = "job.log"

#: Machine-readable record of the last run, inside the reports folder.
RECORD_NAME = "run.json"

#: Seconds a stopped job gets to exit after SIGTERM before it is killed.
TERMINATE_TIMEOUT = 5.0

#: The return code a launcher gives a job it refused to start because the run is stopping.
NOT_STARTED_CODE = -1000


class Status(enum.Enum):
    """How a job ended, in GitLab's words where GitLab has one."""

    PASSED = "passed"
    FAILED = "failed"
    ALLOWED_TO_FAIL = "allowed to fail"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    NOT_STARTED = "not started"

    @property
    def lets_dependents_run(self) -> bool:
        """True when jobs that need a job with this status may start."""
        return self in (Status.PASSED, Status.ALLOWED_TO_FAIL)


@dataclass(frozen=True)
class JobResult:
    """One job's outcome; ``duration`` is None for a job that never ran."""

    job: Job
    status: Status
    duration: float | None = None
    #: Why a job did not run, or its return code when it failed.
    reason: str = ""


@dataclass(frozen=True)
class Event:
    """Something the display shows: a job started (``result`` None) or ended."""

    job: Job
    result: JobResult | None = None


@dataclass(frozen=True)
class RunOutcome:
    """Every selected job's result (in pipeline order) and whether Ctrl-C cut the run short."""

    results: tuple[JobResult, ...]
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        """GitLab's verdict: 0 when every job that may not fail passed; 130 after an interrupt."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        ok = all(r.status in (Status.PASSED, Status.ALLOWED_TO_FAIL) for r in self.results)
        return 0 if ok else 1

    @property
    def unfinished(self) -> tuple[str, ...]:
        """Jobs that were running when the run was interrupted."""
        return tuple(r.job.name for r in self.results if r.status is Status.INTERRUPTED)


def select_jobs(pipeline: Pipeline, names: Sequence[str] = ()) -> tuple[Job, ...]:
    """The named jobs plus everything they need, transitively, in pipeline order (all when none)."""
    if not names:
        return pipeline.jobs
    by_name = {job.name: job for job in pipeline.jobs}
    wanted: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in wanted:
            continue
        if name not in by_name:
            raise NoxlineError(
                f"no job called {name!r} in the pipeline: choose from {', '.join(pipeline.names)}"
            )
        wanted.add(name)
        stack.extend(by_name[name].needs)
    return tuple(job for job in pipeline.jobs if job.name in wanted)


class Scheduler:
    """Which job may start now, given what has ended: the pure core of the runner.

    :meth:`advance` starts what may start (at most ``parallel`` at a time, one job per resource
    group) and skips jobs whose needs failed; :meth:`finish` records a job's end. No processes, no
    clock.
    """

    def __init__(self, jobs: Sequence[Job], parallel: int) -> None:
        """Plan ``jobs`` (in pipeline order; every need must be among them)."""
        if parallel < 1:
            raise NoxlineError(f"-j {parallel}: the number of parallel jobs must be at least 1")
        names = {job.name for job in jobs}
        for job in jobs:
            missing = [need for need in job.needs if need not in names]
            if missing:
                raise NoxlineError(
                    f"job {job.name} needs {', '.join(missing)}, which is not planned"
                )
        self.parallel = parallel
        self._pending = list(jobs)
        self.running: dict[str, Job] = {}
        self.results: dict[str, JobResult] = {}

    def advance(self) -> tuple[list[Job], list[JobResult]]:
        """Mark the jobs that may start now as running; skip those that never can. Return both."""
        started: list[Job] = []
        skipped: list[JobResult] = []
        busy = {job.resource_group for job in self.running.values() if job.resource_group}
        progressed = True
        while progressed:  # a skip can unblock (skip) jobs listed before it
            progressed = False
            for job in list(self._pending):
                needs = [self.results.get(need) for need in job.needs]
                if any(result is None for result in needs):
                    continue
                blocking = [r.job.name for r in needs if r and not r.status.lets_dependents_run]
                if blocking:
                    self._pending.remove(job)
                    result = JobResult(job, Status.SKIPPED, reason=f"needs {', '.join(blocking)}")
                    self.results[job.name] = result
                    skipped.append(result)
                    progressed = True
                elif len(self.running) < self.parallel and job.resource_group not in busy:
                    self._pending.remove(job)
                    self.running[job.name] = job
                    if job.resource_group:
                        busy.add(job.resource_group)
                    started.append(job)
        if self._pending and not self.running:
            names = ", ".join(job.name for job in self._pending)
            raise NoxlineError(f"jobs {names} can never start: their needs form a cycle")
        return started, skipped

    def finish(
        self, name: str, returncode: int, duration: float, interrupted: bool = False
    ) -> JobResult:
        """Record that a running job ended with ``returncode``; return its result."""
        job = self.running.pop(name)
        if returncode == 0:
            status, reason = Status.PASSED, ""
        elif returncode == NOT_STARTED_CODE:
            status, reason = Status.NOT_STARTED, ""
        elif interrupted:
            status, reason = Status.INTERRUPTED, "stopped by Ctrl-C"
        else:
            status = Status.ALLOWED_TO_FAIL if job.allow_failure else Status.FAILED
            reason = f"exit code {returncode}"
        ran = status is not Status.NOT_STARTED
        result = JobResult(job, status, duration if ran else None, reason)
        self.results[name] = result
        return result

    def unstart(self, name: str) -> None:
        """Put back a job that :meth:`advance` planned but that was never started."""
        self._pending.append(self.running.pop(name))

    def outcome(self, jobs: Sequence[Job], interrupted: bool) -> RunOutcome:
        """Every job's result in ``jobs`` order; after an interrupt, running jobs without a result
        are unfinished and jobs never started say so."""
        leftovers = [JobResult(job, Status.INTERRUPTED) for job in self.running.values()]
        leftovers += [JobResult(job, Status.NOT_STARTED) for job in self._pending]
        by_name = self.results | {result.job.name: result for result in leftovers}
        return RunOutcome(tuple(by_name[job.name] for job in jobs), interrupted)


#: Starts a job and returns a future of its return code.
StartJob = Callable[[Job], Future[int]]
#: Stops every running job (``force``: kill at once, sparing none); returns when they are stopped.
StopJobs = Callable[[bool], None]


def schedule(  # pylint: disable=too-many-arguments
    jobs: Sequence[Job],
    start: StartJob,
    parallel: int,
    *,
    on_event: Callable[[Event], None] = lambda event: None,
    stop: StopJobs = lambda force: None,
    clock: Callable[[], float] = time.monotonic,
) -> RunOutcome:
    """Run ``jobs`` with GitLab's semantics through ``start``; on Ctrl-C, ``stop`` them.

    A first KeyboardInterrupt calls ``stop(False)`` and waits for the running jobs to end (a
    launcher lets non-interruptible jobs finish); a second one calls ``stop(True)``.
    """
    scheduler = Scheduler(jobs, parallel)
    futures: dict[Future[int], tuple[Job, float]] = {}

    def collect(future: Future[int], interrupted: bool = False) -> None:
        """Record a finished job and show it."""
        job, began = futures.pop(future)
        result = scheduler.finish(job.name, future.result(), clock() - began, interrupted)
        on_event(Event(job, result))

    try:
        while True:
            started, skipped = scheduler.advance()
            for result in skipped:
                on_event(Event(result.job, result))
            for job in started:
                futures[start(job)] = (job, clock())
                on_event(Event(job))
            if not futures:
                return scheduler.outcome(jobs, interrupted=False)
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in done:
                collect(future)
    except KeyboardInterrupt:
        _stop_all(scheduler, futures, stop, collect)
    return scheduler.outcome(jobs, interrupted=True)


def _stop_all(
    scheduler: Scheduler,
    futures: Mapping[Future[int], tuple[Job, float]],
    stop: StopJobs,
    collect: Callable[[Future[int], bool], None],
) -> None:
    """After Ctrl-C: stop the running jobs and collect each as it ends (``futures`` shrinks)."""
    launched = {job.name for job, _ in futures.values()}
    for name in [name for name in scheduler.running if name not in launched]:
        scheduler.unstart(name)  # interrupted between planning it and starting it
    force = False
    while futures:
        try:
            stop(force)
            for future in list(futures):
                future.result()  # blocks until that job's process has ended
                collect(future, True)
        except KeyboardInterrupt:
            force = True  # a second Ctrl-C: kill what is left, even non-interruptible jobs


def log_path(settings: Settings, job: Job) -> Path:
    """Absolute path of a job's log file."""
    return settings.project_dir / settings.reports_for(job.name) / LOG_NAME


def job_argv(job: Job) -> list[str]:
    """The job's GitLab command, run by this interpreter's nox, reusing venvs (see the module)."""
    program, *args = job.command()
    if program != "nox":  # pragma: no cover - Job.command always runs nox
        raise NoxlineError(f"job {job.name} does not run nox: {job.command()}")
    return [sys.executable, "-m", "nox", *args, "--reuse-venv=yes"]


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
        previous run's log.
        """
        log = log_path(self.settings, job)
        log.parent.mkdir(parents=True, exist_ok=True)
        stream = log.open("wb")  # pylint: disable=consider-using-with  # _run closes it
        argv = job_argv(job)
        stream.write(f"$ {shlex.join(argv)}\n".encode())
        stream.flush()
        return self._executor.submit(self._run, job, argv, stream)

    def _run(self, job: Job, argv: list[str], stream: BinaryIO) -> int:
        """Worker: run the job's process to its end, its output going to ``stream``."""
        with stream, self._lock:
            if self._stopping:
                stream.write(b"noxline: not started, the run was interrupted\n")
                return NOT_STARTED_CODE
            try:
                proc = subprocess.Popen(  # pylint: disable=consider-using-with
                    argv,
                    cwd=self.settings.project_dir,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=stream,
                    stderr=subprocess.STDOUT,
                    # Its own process group: Ctrl-C reaches noxline only, and stopping a job
                    # signals the job's whole tree (nox and the tool it runs).
                    start_new_session=True,
                )
            except OSError as error:
                stream.write(f"noxline: cannot start {argv[0]}: {error}\n".encode())
                return 127
            self._procs[job.name] = (job, proc)
        # The child holds its own copy of the log's descriptor; ours is closed above.
        try:
            return proc.wait()
        finally:
            with self._lock:
                del self._procs[job.name]

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


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to the process group a job leads (it may be gone already)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signum)


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_COLORS = {
    Status.PASSED: "32",
    Status.FAILED: "31",
    Status.ALLOWED_TO_FAIL: "33",
    Status.SKIPPED: "2",
    Status.INTERRUPTED: "35",
    Status.NOT_STARTED: "2",
}


def is_live_terminal(stream: TextIO, env: Mapping[str, str]) -> bool:
    """True when progress may be redrawn in place: a terminal, and not a CI job log."""
    if env.get("CI") or env.get("GITLAB_CI") or env.get("TERM") == "dumb":
        return False
    return stream.isatty()


def _duration(seconds: float | None) -> str:
    """Seconds as ``12.3s`` or ``2m05s``; ``-`` for a job that never ran."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}m{rest:02d}s"


def _last_line(path: Path, size: int = 4096) -> str:
    """The last non-empty line of a log (its tail only is read), without control characters."""
    try:
        with path.open("rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - size))
            tail = stream.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [_ANSI.sub("", line).rsplit("\r", 1)[-1].strip() for line in tail.splitlines()]
    text = next((line for line in reversed(lines) if line), "")
    return "".join(char for char in text if char.isprintable())


class Display:  # pylint: disable=too-many-instance-attributes
    """Progress of a run: a live line per running job on a terminal, else one line per event."""

    def __init__(self, settings: Settings, stream: TextIO, live: bool) -> None:
        """Show progress on ``stream``; ``live`` redraws the running jobs' lines in place."""
        self.settings = settings
        self.stream = stream
        self.live = live
        self._lock = threading.Lock()
        self._running: dict[str, tuple[Job, float]] = {}
        self._board = 0
        self._frame = 0
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Display:
        """Start redrawing (on a live terminal)."""
        if self.live:
            self._thread = threading.Thread(target=self._redraw_loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop redrawing and clear the board."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._clear()

    def color(self, text: str, code: str) -> str:
        """``text`` in an ANSI colour on a live terminal, plain elsewhere."""
        return f"\x1b[{code}m{text}\x1b[0m" if self.live else text

    def event(self, event: Event) -> None:
        """Show a job starting or ending."""
        with self._lock:
            self._clear()
            name = event.job.name
            if event.result is None:
                self._running[name] = (event.job, time.monotonic())
                if not self.live:
                    self.stream.write(f"noxline: {name} started\n")
            else:
                self._running.pop(name, None)
                self.stream.write(self._ended_line(event.result) + "\n")
            self._draw()
            self.stream.flush()

    def note(self, text: str) -> None:
        """Show a line of its own above the running jobs."""
        with self._lock:
            self._clear()
            self.stream.write(text + "\n")
            self._draw()
            self.stream.flush()

    def _ended_line(self, result: JobResult) -> str:
        """One line saying how a job ended."""
        status = self.color(result.status.value, _COLORS[result.status])
        text = f"noxline: {result.job.name} {status}"
        if result.duration is not None:
            text += f" in {_duration(result.duration)}"
        if result.reason and result.status is not Status.PASSED:
            text += f" ({result.reason})"
        return text

    def _redraw_loop(self) -> None:
        """Redraw the running jobs' lines a few times a second until stopped."""
        while not self._stopped.wait(0.25):
            with self._lock:
                self._frame += 1
                self._clear()
                self._draw()
                self.stream.flush()

    def _draw(self) -> None:
        """Write one line per running job (live terminals only); remember how many."""
        if not self.live:
            return
        width = shutil.get_terminal_size().columns - 1
        now = time.monotonic()
        spinner = _SPINNER[self._frame % len(_SPINNER)]
        lines = []
        for name, (job, began) in self._running.items():
            head = f"{spinner} {name} ({int(now - began)}s)"
            preview = _last_line(log_path(self.settings, job))
            room = width - len(head) - 2
            line = head + (f"  {preview[:room]}" if preview and room > 0 else "")
            lines.append(self.color(line[:width], "36"))
        for line in lines:
            self.stream.write(line + "\n")
        self._board = len(lines)

    def _clear(self) -> None:
        """Erase the running jobs' lines drawn last."""
        if self._board:
            self.stream.write(f"\x1b[{self._board}A\x1b[J")
            self._board = 0


def summary(settings: Settings, outcome: RunOutcome, wall_time: float, live: bool = False) -> str:
    """The end-of-run table (job, status, duration, log and report) and the pipeline's verdict."""
    rows = [("job", "status", "duration", "log / report")]
    rows += [_summary_row(settings, result) for result in outcome.results]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = []
    for index, (name, status, duration, where) in enumerate(rows):
        shown = f"{status:<{widths[1]}}"
        if live and index:  # colour the status cell only, after padding it
            colour = _COLORS[outcome.results[index - 1].status]
            shown = f"\x1b[{colour}m{shown}\x1b[0m"
        lines.append(f"{name:<{widths[0]}}  {shown}  {duration:>{widths[2]}}  {where}".rstrip())
    if outcome.interrupted:
        lines.append(
            f"interrupted: jobs left unfinished: {', '.join(outcome.unfinished) or 'none'}"
        )
    lines.append(
        f"pipeline {_verdict(outcome)} in {_duration(wall_time)} (exit code {outcome.exit_code})"
    )
    return "\n".join(lines) + "\n"


def _summary_row(settings: Settings, result: JobResult) -> tuple[str, str, str, str]:
    """One job's row: name, status, duration, and its log (plus its browsable report, if any)."""
    if result.duration is None:
        where = f"({result.reason})" if result.reason else "-"
    else:
        where = str(log_path(settings, result.job).relative_to(settings.project_dir))
        exposed = result.job.exposed
        ended = result.status in (Status.PASSED, Status.FAILED, Status.ALLOWED_TO_FAIL)
        if exposed and ended and (settings.project_dir / exposed[1]).exists():
            where += f"  {exposed[0]}: {exposed[1]}"
    return (result.job.name, result.status.value, _duration(result.duration), where)


def _verdict(outcome: RunOutcome) -> str:
    """The pipeline's status in words, naming the jobs that were allowed to fail."""
    if outcome.interrupted:
        return "interrupted"
    if outcome.exit_code:
        return "failed"
    warned = [r.job.name for r in outcome.results if r.status is Status.ALLOWED_TO_FAIL]
    return f"passed with warnings ({', '.join(warned)} allowed to fail)" if warned else "passed"


def failure_tails(settings: Settings, outcome: RunOutcome, count: int = 30) -> str:
    """The last lines of each failed job's log, so the cause shows without opening the file."""
    parts = []
    for result in outcome.results:
        if result.status is not Status.FAILED:
            continue
        path = log_path(settings, result.job)
        with contextlib.suppress(OSError):
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-count:]
            rel = path.relative_to(settings.project_dir)
            parts.append(f"--- {result.job.name} failed; last lines of {rel}:\n" + "\n".join(lines))
    return "".join(part + "\n" for part in parts)


def write_record(settings: Settings, outcome: RunOutcome, wall_time: float, parallel: int) -> Path:
    """Write ``<reports>/run.json``: each job's status, duration and needs (benchmarks read it)."""
    record = {
        "wall_time": wall_time,
        "parallel": parallel,
        "exit_code": outcome.exit_code,
        "jobs": [
            {
                "name": r.job.name,
                "status": r.status.value,
                "duration": r.duration,
                "needs": list(r.job.needs),
                "log": str(log_path(settings, r.job).relative_to(settings.project_dir)),
            }
            for r in outcome.results
        ],
    }
    path = settings.report_root / RECORD_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def _interrupts() -> Iterator[list[int]]:
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


def run(
    settings: Settings,
    jobs: Sequence[str] | None = None,
    parallel: int = 1,
    *,
    stream: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run the pipeline (or ``jobs`` and what they need) in the project; return GitLab's exit code.

    ``stream`` receives the progress and the summary (default stdout); ``env`` is the jobs'
    environment (default this process's).
    """
    out = stream or sys.stdout
    environ = dict(os.environ if env is None else env)
    if not (settings.project_dir / "noxfile.py").is_file():
        raise NoxlineError(
            f"no noxfile.py in {settings.project_dir}: run `noxline init`, or write a noxfile.py "
            "with `import noxline` and `noxline.register()`"
        )
    selected = select_jobs(define(settings), jobs or ())
    Scheduler(selected, parallel)  # refuses a bad -j before anything starts
    parallel = min(parallel, len(selected))
    live = is_live_terminal(out, environ)
    out.write(f"noxline: running {len(selected)} jobs, up to {parallel} at a time\n")
    began = time.monotonic()
    with _interrupts() as caught:
        outcome = _execute(settings, selected, parallel, Display(settings, out, live), environ)
    wall_time = time.monotonic() - began
    write_record(settings, outcome, wall_time, parallel)
    out.write("\n" + failure_tails(settings, outcome))
    out.write(summary(settings, outcome, wall_time, live))
    out.flush()
    if outcome.interrupted and caught and caught[0] != signal.SIGINT:
        return 128 + caught[0]  # stopped by SIGTERM: say so as shells do
    return outcome.exit_code


def _execute(
    settings: Settings,
    selected: Sequence[Job],
    parallel: int,
    display: Display,
    env: Mapping[str, str],
) -> RunOutcome:
    """Schedule the selected jobs as processes, showing progress on ``display``."""
    with display, ProcessLauncher(settings, parallel, env) as launcher:

        def stop(force: bool) -> None:
            """Say what stopping does, then stop the jobs."""
            spared = [] if force else launcher.spared
            note = f"; letting {', '.join(spared)} finish (Ctrl-C again kills it)" if spared else ""
            display.note(f"noxline: interrupted, stopping the running jobs{note}")
            launcher.stop(force)

        return schedule(selected, launcher.start, parallel, on_event=display.event, stop=stop)


__all__ = [
    "EXIT_INTERRUPTED",
    "Event",
    "JobResult",
    "ProcessLauncher",
    "RunOutcome",
    "Scheduler",
    "Status",
    "run",
    "schedule",
    "select_jobs",
]
