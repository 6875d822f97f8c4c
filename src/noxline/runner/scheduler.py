"""The pure core of ``noxline run``: which job starts when, with GitLab's semantics.

No processes here: :func:`schedule` drives :class:`Scheduler` through a "start job" callable, so
the rules are tested with fake jobs.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any

from noxline.errors import NoxlineError
from noxline.pipeline import Job, Pipeline

#: Exit code after Ctrl-C (128 + SIGINT), as nox and shells use.
EXIT_INTERRUPTED = 130

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
    #: Not run: its inputs are those of an earlier green run, whose reports were restored.
    CACHED = "cached"

    @property
    def lets_dependents_run(self) -> bool:
        """True when jobs that need a job with this status may start."""
        return self in (Status.PASSED, Status.ALLOWED_TO_FAIL, Status.CACHED)


@dataclass(frozen=True)
class Reused:
    """What a launcher gives for a job it did not run because a green result of it was restored."""

    #: Why it counts as green, for the summary: ``green 4 min ago``.
    reason: str


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
        ok = all(r.status.lets_dependents_run for r in self.results)
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
        self, name: str, returncode: int | Reused, duration: float, interrupted: bool = False
    ) -> JobResult:
        """Record that a running job ended with ``returncode`` (or was :class:`Reused`); return
        its result."""
        job = self.running.pop(name)
        if isinstance(returncode, Reused):
            status, reason = Status.CACHED, returncode.reason
        elif returncode == 0:
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


#: Starts a job and returns a future of its return code (or of :class:`Reused`: not run).
StartJob = Callable[[Job], "Future[int] | Future[int | Reused]"]
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
    futures: dict[Future[Any], tuple[Job, float]] = {}

    def collect(future: Future[Any], interrupted: bool = False) -> None:
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
                future = start(job)
                futures[future] = (job, clock())
                if not (future.done() and not future.exception() and _reused(future)):
                    on_event(Event(job))  # a restored result never ran: it only ends
            if not futures:
                return scheduler.outcome(jobs, interrupted=False)
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in done:
                collect(future)
    except KeyboardInterrupt:
        _stop_all(scheduler, futures, stop, collect)
    return scheduler.outcome(jobs, interrupted=True)


def _reused(future: Future[Any]) -> bool:
    """True for the future of a job that was not run: its green result was restored."""
    return isinstance(future.result(), Reused)


def _stop_all(
    scheduler: Scheduler,
    futures: Mapping[Future[Any], tuple[Job, float]],
    stop: StopJobs,
    collect: Callable[[Future[Any], bool], None],
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
