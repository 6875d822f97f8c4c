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

import os
import signal
import sys
import time
from concurrent.futures import Future
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from noxline import confine
from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.inputs import Interpreters, job_python, take_snapshot
from noxline.pipeline import Job, Pipeline, define
from noxline.runner.cache import CACHE_DIR, CachingStarter, ResultCache, why_off
from noxline.runner.display import (
    Display,
    failure_tails,
    is_live_terminal,
    summary,
    uses_color,
)
from noxline.runner.processes import ProcessLauncher, interrupts, job_argv, log_path
from noxline.runner.scheduler import (
    EXIT_INTERRUPTED,
    Event,
    JobResult,
    RunOutcome,
    Scheduler,
    StartJob,
    Status,
    schedule,
    select_jobs,
)

#: Machine-readable record of the last run, inside the reports folder.
RECORD_NAME = "run.json"


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
                **({"reused": r.reason} if r.status is Status.CACHED else {}),
                "needs": list(r.job.needs),
                "log": str(log_path(settings, r.job).relative_to(settings.project_dir)),
            }
            for r in outcome.results
        ],
    }
    return confine.write_json(settings.project_dir, settings.report_root / RECORD_NAME, record)


def run(
    settings: Settings,
    jobs: Sequence[str] | None = None,
    parallel: int = 1,
    *,
    stream: TextIO | None = None,
    env: Mapping[str, str] | None = None,
    no_cache: bool = False,
) -> int:
    """Run the pipeline (or ``jobs`` and what they need) in the project; return GitLab's exit code.

    ``stream`` receives the progress and the summary (default stdout); ``env`` is the jobs'
    environment (default this process's). A job whose inputs are those of an earlier green run is
    not run again: its reports are restored (:mod:`noxline.runner.cache`), unless ``no_cache``.
    """
    out = stream or sys.stdout
    environ = dict(os.environ if env is None else env)
    if not (settings.project_dir / "noxfile.py").is_file():
        raise NoxlineError(
            f"no noxfile.py in {settings.project_dir}: run `noxline init`, or write a noxfile.py "
            "with `import noxline` and `noxline.register()`"
        )
    # Fanned-out jobs run as GitLab runs them: one process per Python and shard.
    selected = select_jobs(define(settings).expand(), _copy_names(define(settings), jobs or ()))
    Scheduler(selected, parallel)  # refuses a bad -j before anything starts
    parallel = min(parallel, len(selected))
    # One run at a time in a tree; its jobs run inside this run's lock.
    lock = confine.lock_project(settings.project_dir, "noxline run")
    environ[confine.LOCK_VARIABLE] = str(os.getpid())
    try:
        return _run_locked(settings, selected, parallel, out, environ, no_cache=no_cache)
    finally:
        if lock is not None:
            lock.close()


def _run_locked(
    settings: Settings,
    selected: Sequence[Job],
    parallel: int,
    out: TextIO,
    environ: dict[str, str],
    *,
    no_cache: bool,
) -> int:
    """Run the selected jobs (the project's lock held), behind the result cache unless
    ``no_cache``; GitLab's exit code."""
    live = is_live_terminal(out, environ)
    colored = live and uses_color(environ)
    began = time.monotonic()
    off = why_off(settings, environ, no_cache)
    interpreters = Interpreters(settings.project_dir, environ)
    if not off:
        # Asked in threads (a process each) while the snapshot is read: keys need both.
        interpreters.prefetch(job_python(job) for job in selected)
    snapshot = None if off else take_snapshot(settings, define(settings), environ)
    if snapshot is None and not off:
        off = "not a git repository"
    cache = ResultCache(settings)
    note = f"results cache off: {off}" if off else f"results cache {CACHE_DIR.as_posix()}/"
    out.write(f"noxline: running {len(selected)} jobs, up to {parallel} at a time ({note})\n")
    caching = None
    if snapshot is not None:
        known = snapshot

        def caching(start: Callable[[Job], Future[int]]) -> StartJob:
            """``start`` behind the result cache."""
            return CachingStarter(cache, known, interpreters, start).start

    with interrupts() as caught:
        display = Display(settings, out, live, colored=colored)
        outcome = _execute(settings, selected, parallel, display, environ, caching)
    cache.evict()
    wall_time = time.monotonic() - began
    write_record(settings, outcome, wall_time, parallel)
    out.write("\n" + failure_tails(settings, outcome))
    out.write(summary(settings, outcome, wall_time, colored))
    out.flush()
    if outcome.interrupted and caught and caught[0] != signal.SIGINT:
        return 128 + caught[0]  # stopped by SIGTERM: say so as shells do
    return outcome.exit_code


def _copy_names(pipeline: Pipeline, names: Sequence[str]) -> list[str]:
    """Names given on the command line, a fanned-out job's name standing for all its copies."""
    result: list[str] = []
    for name in names:
        try:
            result.extend(copy.name for copy in pipeline.job(name).copies())
        except KeyError:
            result.append(name)  # a copy's own name, or unknown: select_jobs says which
    return result


def _execute(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    settings: Settings,
    selected: Sequence[Job],
    parallel: int,
    display: Display,
    env: Mapping[str, str],
    caching: Callable[[Callable[[Job], Future[int]]], StartJob] | None = None,
) -> RunOutcome:
    """Schedule the selected jobs as processes, showing progress on ``display``; ``caching``
    wraps the launcher's start with the result cache."""
    with display, ProcessLauncher(settings, parallel, env) as launcher:

        def stop(force: bool) -> None:
            """Say what stopping does, then stop the jobs."""
            spared = [] if force else launcher.spared
            note = f"; letting {', '.join(spared)} finish (Ctrl-C again kills it)" if spared else ""
            display.note(f"noxline: interrupted, stopping the running jobs{note}")
            launcher.stop(force)

        start: StartJob = caching(launcher.start) if caching else launcher.start
        return schedule(selected, start, parallel, on_event=display.event, stop=stop)


__all__ = [
    "Display",
    "EXIT_INTERRUPTED",
    "Event",
    "JobResult",
    "ProcessLauncher",
    "RunOutcome",
    "Scheduler",
    "Status",
    "is_live_terminal",
    "job_argv",
    "log_path",
    "run",
    "schedule",
    "select_jobs",
    "summary",
    "uses_color",
    "write_record",
]
