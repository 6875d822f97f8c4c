"""The runner: scheduling semantics on fake pipelines, job selection, summary, launcher, `run`.

The scheduler is a pure function of the jobs and a "start job" callable; most tests give it fake
jobs whose futures are already resolved with a chosen return code, so every assertion is about
which job started when, never about time. The launcher and :func:`run` are then tested with real
nox processes running stub sessions (no venvs, no network).
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sys
import subprocess
import time
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path

import pytest

from noxline import confine
from noxline.config import Settings, load_settings, replace
from noxline.errors import NoxlineError
from noxline.jobs._support import summarize
from noxline.pipeline import BLOCKABLE, CHECKS, Job, Pipeline, define
from noxline.runner.processes import TERMINATE_TIMEOUT, TIMED_OUT_CODE
from noxline.runner import (
    EXIT_INTERRUPTED,
    Display,
    Event,
    JobResult,
    ProcessLauncher,
    RunOutcome,
    Scheduler,
    Status,
    is_live_terminal,
    job_argv,
    log_path,
    run,
    schedule,
    select_jobs,
    summary,
    write_record,
)
from tests.unit._projects import write_project


#: Mostly waiting on deadlines and slow servers: run first among the single tests, beside the last
#: groups' runs, not at the end (tests/e2e/conftest.py orders the run).
pytestmark = pytest.mark.waits


def job(name: str, *needs: str, allow_failure: bool = False, **fields: object) -> Job:
    """A fake job: only its name, needs and flags matter to the scheduler."""
    return Job(
        name=name,
        stage="test",
        description=f"fake {name}",
        needs=needs,
        allow_failure=allow_failure,
        **fields,  # type: ignore[arg-type]
    )


class FakeRun:
    """Runs fake jobs: each start returns a future already holding that job's return code.

    It records the events the scheduler emits, so tests can see the order of starts and ends and
    how many jobs were in flight (started, not yet reported ended) at each start.
    """

    def __init__(self, codes: Mapping[str, int] | None = None) -> None:
        """``codes`` maps job name to return code; unnamed jobs pass."""
        self.codes = dict(codes or {})
        self.log: list[tuple[str, str]] = []
        self.in_flight_at_start: list[int] = []
        self._in_flight = 0

    def start(self, started: Job) -> Future[int]:
        """Start a fake job: its result is known at once."""
        future: Future[int] = Future()
        future.set_result(self.codes.get(started.name, 0))
        return future

    def event(self, event: Event) -> None:
        """Record a start or an end."""
        if event.result is None:
            self._in_flight += 1
            self.in_flight_at_start.append(self._in_flight)
            self.log.append(("start", event.job.name))
        else:
            if event.result.duration is not None:
                self._in_flight -= 1
            self.log.append((event.result.status.value, event.job.name))

    def run(self, jobs: tuple[Job, ...], parallel: int = 2) -> RunOutcome:
        """Schedule ``jobs`` through this fake."""
        return schedule(jobs, self.start, parallel, on_event=self.event)

    def index(self, kind: str, name: str) -> int:
        """Position of an event in the log."""
        return self.log.index((kind, name))

    @property
    def started(self) -> list[str]:
        """Names of the jobs that started, in order."""
        return [name for kind, name in self.log if kind == "start"]


def statuses(outcome: RunOutcome) -> dict[str, Status]:
    """Job name → status."""
    return {result.job.name: result.status for result in outcome.results}


#: The shape of the real pipeline: a chain with a fan-out, and checks that need nothing.
DIAMOND = (
    job("version"),
    job("build", "version"),
    job("wheel-install", "build"),
    job("tests", "build"),
    job("lint", allow_failure=True),
    job("publish", "build", "wheel-install", "tests"),
)


def test_a_job_starts_only_after_all_its_needs_passed() -> None:
    """Every job's start comes after the end of each job it needs; all pass; exit code 0."""
    fake = FakeRun()
    outcome = fake.run(DIAMOND, parallel=3)
    assert sorted(fake.started) == sorted(j.name for j in DIAMOND)
    for each in DIAMOND:
        for need in each.needs:
            assert fake.index("passed", need) < fake.index("start", each.name), (need, each.name)
    assert set(statuses(outcome).values()) == {Status.PASSED}
    assert outcome.exit_code == 0
    assert [r.job.name for r in outcome.results] == [j.name for j in DIAMOND]


def test_jobs_without_needs_start_at_once() -> None:
    """needs=() is GitLab's `needs: []`: such jobs start in the first wave, before anything ends."""
    fake = FakeRun()
    fake.run(DIAMOND, parallel=4)
    first_end = next(i for i, (kind, _) in enumerate(fake.log) if kind != "start")
    assert set(fake.started[:first_end]) == {"version", "lint"}


@pytest.mark.parametrize("parallel", [1, 2, 3])
def test_the_parallel_limit_is_respected_and_used(parallel: int) -> None:
    """No more than -j jobs are ever in flight, and with enough ready jobs the limit is reached."""
    wide = tuple(job(f"check{i}") for i in range(5))
    fake = FakeRun()
    outcome = fake.run(wide, parallel=parallel)
    assert max(fake.in_flight_at_start) == parallel
    assert len(fake.started) == 5
    assert outcome.exit_code == 0


def test_one_job_per_resource_group_at_a_time() -> None:
    """Jobs sharing a resource group never overlap, even with free slots."""
    jobs = (job("a", resource_group="deploy"), job("b", resource_group="deploy"), job("c"))
    fake = FakeRun()
    fake.run(jobs, parallel=3)
    assert fake.index("passed", "a") < fake.index("start", "b")
    assert fake.index("start", "c") < fake.index("passed", "a")


def test_a_failure_skips_its_dependents_transitively() -> None:
    """build fails: wheel-install, tests and publish are skipped; unrelated lint still runs."""
    fake = FakeRun({"build": 1})
    outcome = fake.run(DIAMOND)
    assert statuses(outcome) == {
        "version": Status.PASSED,
        "build": Status.FAILED,
        "wheel-install": Status.SKIPPED,
        "tests": Status.SKIPPED,
        "lint": Status.PASSED,
        "publish": Status.SKIPPED,
    }
    assert "publish" not in fake.started and "tests" not in fake.started
    skipped = {r.job.name: r for r in outcome.results}["tests"]
    assert skipped.reason == "needs build" and skipped.duration is None
    assert outcome.exit_code == 1


def test_a_failure_deep_in_the_chain_skips_only_what_follows() -> None:
    """tests fails: publish (which needs it) is skipped; wheel-install, a sibling, passes."""
    outcome = FakeRun({"tests": 1}).run(DIAMOND)
    assert statuses(outcome)["wheel-install"] is Status.PASSED
    assert statuses(outcome)["publish"] is Status.SKIPPED
    assert {r.job.name: r for r in outcome.results}["tests"].reason == "exit code 1"
    assert outcome.exit_code == 1


def test_allow_failure_warns_but_does_not_stop_dependents() -> None:
    """An allow_failure job that fails is 'allowed to fail'; what needs it runs; exit code 0."""
    jobs = (job("lint", allow_failure=True), job("report", "lint"))
    fake = FakeRun({"lint": 3})
    outcome = fake.run(jobs)
    assert statuses(outcome) == {"lint": Status.ALLOWED_TO_FAIL, "report": Status.PASSED}
    assert fake.started == ["lint", "report"]
    assert outcome.exit_code == 0


def test_a_skipped_job_does_not_count_as_allowed() -> None:
    """A job skipped behind a failure stays skipped even if it is allowed to fail itself."""
    jobs = (job("a"), job("b", "a", allow_failure=True), job("c", "b"))
    outcome = FakeRun({"a": 1}).run(jobs)
    assert statuses(outcome) == {"a": Status.FAILED, "b": Status.SKIPPED, "c": Status.SKIPPED}


def test_skips_cascade_whatever_the_listing_order() -> None:
    """Dependents listed before what they need are still skipped when a need fails."""
    jobs = (job("c", "b"), job("b", "a"), job("a"))
    outcome = FakeRun({"a": 2}).run(jobs)
    assert statuses(outcome) == {"c": Status.SKIPPED, "b": Status.SKIPPED, "a": Status.FAILED}


def test_a_cycle_of_needs_is_refused() -> None:
    """Needs that can never be met stop the run with a message naming the jobs."""
    with pytest.raises(NoxlineError, match="a, b can never start"):
        FakeRun().run((job("a", "b"), job("b", "a")))


def test_bad_parallel_and_unplanned_needs_are_refused() -> None:
    """-j 0 and a need outside the planned jobs are errors, before anything starts."""
    with pytest.raises(NoxlineError, match="at least 1"):
        Scheduler((job("a"),), 0)
    with pytest.raises(NoxlineError, match="needs ghost"):
        Scheduler((job("a", "ghost"),), 1)


def test_the_scheduler_alone_starts_one_wave_at_a_time() -> None:
    """The pure state machine: advance starts what may start, finish unblocks the next wave."""
    scheduler = Scheduler(DIAMOND, parallel=2)
    started, skipped = scheduler.advance()
    assert [j.name for j in started] == ["version", "lint"] and not skipped
    assert scheduler.advance() == ([], [])  # both slots busy
    scheduler.finish("version", 0, 1.0)
    assert [j.name for j in scheduler.advance()[0]] == ["build"]
    assert scheduler.finish("lint", 1, 2.0).status is Status.ALLOWED_TO_FAIL
    scheduler.finish("build", 0, 3.0)
    assert [j.name for j in scheduler.advance()[0]] == ["wheel-install", "tests"]


def test_ctrl_c_stops_running_jobs_and_says_which() -> None:
    """A KeyboardInterrupt while jobs run: stop is called, they end 'interrupted', the rest
    'not started', and the exit code is 130.

    The fake's futures stay pending until ``stop`` resolves them, as killed processes would end.
    """
    pending: list[Future[int]] = []
    stops: list[bool] = []

    def start(started: Job) -> Future[int]:
        """version passes at once; every other job runs until stopped."""
        future: Future[int] = Future()
        if started.name == "version":
            future.set_result(0)
        else:
            pending.append(future)
        return future

    def on_event(event: Event) -> None:
        """Ctrl-C as soon as build is running."""
        if event.result is None and event.job.name == "build":
            raise KeyboardInterrupt

    def stop(force: bool) -> None:
        """Kill what runs: each pending future ends with SIGTERM's return code."""
        stops.append(force)
        for future in pending:
            future.set_result(-15)

    jobs = (job("version"), job("build", "version"), job("lint"), job("publish", "build"))
    outcome = schedule(jobs, start, 2, on_event=on_event, stop=stop)
    assert outcome.interrupted and outcome.exit_code == EXIT_INTERRUPTED
    assert stops == [False]
    assert statuses(outcome) == {
        "version": Status.PASSED,
        "build": Status.INTERRUPTED,
        "lint": Status.INTERRUPTED,
        "publish": Status.NOT_STARTED,
    }
    assert outcome.unfinished == ("build", "lint")


def test_a_non_interruptible_job_may_finish_after_ctrl_c() -> None:
    """When stop spares a job (an upload), its real result counts; a second Ctrl-C forces."""
    upload: Future[int] = Future()
    stops: list[bool] = []

    def on_event(event: Event) -> None:
        """Ctrl-C once the upload runs."""
        if event.result is None:
            raise KeyboardInterrupt

    def stop(force: bool) -> None:
        """First call spares the upload, which then completes; no second call is needed."""
        stops.append(force)
        upload.set_result(0)

    outcome = schedule(
        (job("upload", interruptible=False),), lambda j: upload, 1, on_event=on_event, stop=stop
    )
    assert stops == [False]
    assert statuses(outcome) == {"upload": Status.PASSED}
    assert outcome.interrupted and not outcome.unfinished


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """Settings of a fresh tiny project."""
    return load_settings(write_project(tmp_path))


def test_naming_a_job_pulls_in_what_it_needs(settings: Settings) -> None:
    """`noxline run tests` runs version, build and tests, in pipeline order; none → all."""
    pipeline = define(settings)
    assert [j.name for j in select_jobs(pipeline, ["tests"])] == ["version", "build", "tests"]
    assert [j.name for j in select_jobs(pipeline, ["black", "build"])] == [
        "version",
        "build",
        "black",
    ]
    assert select_jobs(pipeline) == pipeline.jobs
    publish = [j.name for j in select_jobs(pipeline, ["publish"])]
    assert publish == ["version", "build", "wheel-install", "tests", "publish"]
    blocking = define(replace(settings, blocking=(*CHECKS, "audit")))
    # Blocking checks and the audit gate publish.
    assert [j.name for j in select_jobs(blocking, ["publish"])] == [
        *publish[:-1],
        *CHECKS,
        "audit",
        "publish",
    ]
    ruff = define(replace(settings, checks=("ruff", "mypy"), blocking=("ruff",)))
    assert [j.name for j in select_jobs(ruff, ["publish"])] == [
        *publish[:-1],
        "ruff-check",
        "ruff-format",
        "publish",
    ]
    release = [j.name for j in select_jobs(pipeline, ["release"])]
    assert release == ["version", "build", "wheel-install", "tests", "sbom", "publish", "release"]


def test_an_unknown_job_name_is_refused_with_the_choices(settings: Settings) -> None:
    """A typo names the pipeline's jobs in the message."""
    with pytest.raises(NoxlineError, match=r"no job called 'test'.*version, build"):
        select_jobs(define(settings), ["test"])


def test_the_real_pipeline_runs_in_dependency_order(settings: Settings) -> None:
    """The real jobs through the fake: publish, then release and Pages last, build before tests;
    black failing is a warning only."""
    pipeline: Pipeline = define(settings)
    fake = FakeRun({"black": 1})
    outcome = fake.run(pipeline.jobs, parallel=2)
    assert fake.started[-3:] in (["publish", "release", "pages"], ["publish", "pages", "release"])
    assert fake.index("passed", "build") < fake.index("start", "tests")
    assert statuses(outcome)["black"] is Status.ALLOWED_TO_FAIL
    assert outcome.exit_code == 0


def test_each_job_runs_its_gitlab_command_reusing_venvs(settings: Settings) -> None:
    """The argv is the job's own command (nox --no-dependencies -s <job>) plus venv reuse."""
    build = define(settings).job("build")
    argv = job_argv(build)
    assert argv[1:] == [
        "-m",
        *build.command(),
        "--reuse-venv=yes",
        "--error-on-missing-interpreters",
    ]
    assert "-R" not in argv and "--no-install" not in argv


def _outcome(settings: Settings, codes: Mapping[str, int]) -> RunOutcome:
    """Results of the real pipeline, run through the fake with the given return codes."""
    return FakeRun(codes).run(define(settings).jobs)


def test_summary_lists_every_job_and_the_verdict(settings: Settings) -> None:
    """One row per job with its status and log; the last line says how the pipeline ended."""
    text = summary(settings, _outcome(settings, {"tests": 1, "mypy": 1}), 12.5)
    rows = {line.split()[0]: line for line in text.splitlines()[1:-1]}
    assert set(rows) == set(define(settings).names)
    assert "failed" in rows["tests"] and "reports/tests/job.log" in rows["tests"]
    assert "allowed to fail" in rows["mypy"]
    assert "skipped" in rows["publish"] and "(needs tests)" in rows["publish"]
    assert text.splitlines()[-1] == "pipeline failed in 12.5s (exit code 1)"


def test_summary_of_a_green_run_with_warnings(settings: Settings) -> None:
    """Exit code 0 and the allowed failures named in the verdict."""
    text = summary(settings, _outcome(settings, {"black": 1}), 75)
    assert text.splitlines()[-1] == (
        "pipeline passed with warnings (black allowed to fail) in 1m15s (exit code 0)"
    )


def test_summary_of_an_interrupted_run_names_unfinished_jobs(settings: Settings) -> None:
    """After Ctrl-C the summary says which jobs were left unfinished, exit code 130."""
    jobs = define(settings).jobs
    results = tuple(
        JobResult(j, Status.INTERRUPTED if j.name in ("build", "pylint") else Status.NOT_STARTED)
        for j in jobs
    )
    text = summary(settings, RunOutcome(results, interrupted=True), 3)
    assert "interrupted: jobs left unfinished: build, pylint" in text
    assert text.splitlines()[-1].endswith("(exit code 130)")


def test_the_run_record_holds_durations_and_needs(settings: Settings) -> None:
    """run.json: every job with status, duration and needs, for benchmarks and tools."""
    path = write_record(settings, _outcome(settings, {}), 9.0, 2)
    text = path.read_text(encoding="utf-8")
    assert path == settings.report_root / "run.json"
    assert '"name": "publish"' in text and '"exit_code": 0' in text and '"wall_time": 9.0' in text


def test_plain_display_prints_one_line_per_event(settings: Settings) -> None:
    """Off a terminal: 'started' and 'passed in …' lines, no escape codes."""
    stream = io.StringIO()
    with Display(settings, stream, live=False) as display:
        schedule(define(settings).jobs[:2], FakeRun().start, 1, on_event=display.event)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "noxline: version started"
    assert lines[1].startswith("noxline: version passed in ")
    assert lines[2] == "noxline: build started"
    assert lines[3].startswith("noxline: build passed in ")
    assert "\x1b" not in stream.getvalue()


class _Tty(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a terminal."""
        return True


@pytest.mark.parametrize(
    ("env", "tty", "live"),
    [
        ({}, True, True),
        ({"CI": "true"}, True, False),
        ({"GITLAB_CI": "true"}, True, False),
        ({"TERM": "dumb"}, True, False),
        ({}, False, False),
    ],
)
def test_live_redraw_only_on_a_terminal_outside_ci(
    env: dict[str, str], tty: bool, live: bool
) -> None:
    """Redraw in place only on a real terminal when not in a CI job."""
    stream = _Tty() if tty else io.StringIO()
    assert is_live_terminal(stream, env) is live


def test_live_display_redraws_running_jobs_and_clears_them(settings: Settings) -> None:
    """On a terminal, a running job gets a status line that is erased when it ends."""
    stream = _Tty()
    version = define(settings).job("version")
    with Display(settings, stream, live=True) as display:
        display.event(Event(version))
        board = stream.getvalue()
        display.event(Event(version, JobResult(version, Status.PASSED, 1.0)))
    assert "version (0s)" in board
    assert "\x1b[1A\x1b[J" in stream.getvalue()  # the running line was erased
    assert "version \x1b[32mpassed\x1b[0m in 1.0s" in stream.getvalue()


#: A noxfile whose sessions are named like the pipeline's jobs but run no tools and need no venv:
#: the launcher and `run` are tested with real nox processes, in a second, without network.
STUB_NOXFILE = '''\
"""Stub sessions named like the pipeline's jobs."""

import os
import time

import nox

NAMES = ("version", "build", "wheel-install", "tests", "pylint", "black", "mypy", "docstr",
         "publish", "hang")


def _body(session: nox.Session) -> None:
    """Pass, fail when named in STUB_FAIL, or hang until stopped."""
    if session.name in os.environ.get("STUB_FAIL", "").split(","):
        session.error(f"{session.name} failed on purpose")
    if session.name == "hang":
        with open(os.environ["STUB_MARKER"], "w", encoding="utf-8"):
            pass
        time.sleep(120)
    if os.environ.get("STUB_PRINT"):
        print(os.environ["STUB_PRINT"], flush=True)
    session.log(f"{session.name} ran")


for _name in NAMES:
    nox.session(_body, name=_name, python=False)
'''


@pytest.fixture(name="stub")
def stub_fixture(settings: Settings) -> Settings:
    """The tiny project with the stub noxfile."""
    (settings.project_dir / "noxfile.py").write_text(STUB_NOXFILE, encoding="utf-8")
    return settings


def test_run_executes_real_processes_with_gitlab_semantics(stub: Settings) -> None:
    """`run` on stub sessions: tests fails, publish is skipped, logs and record are written, the
    failed job's log tail is shown, exit code 1."""
    stream = io.StringIO()
    env = dict(os.environ, STUB_FAIL="tests")
    code = run(stub, jobs=["publish"], parallel=2, stream=stream, env=env)
    text = stream.getvalue()
    assert code == 1
    assert "noxline: running 5 jobs, up to 2 at a time" in text
    assert "noxline: tests failed in " in text and "noxline: publish skipped (needs tests)" in text
    assert "--- tests failed; last lines of reports/tests/job.log:" in text
    assert "tests failed on purpose" in text
    log = (stub.report_root / "build" / "job.log").read_text(encoding="utf-8")
    assert "-s build --reuse-venv=yes --error-on-missing-interpreters" in log and "build ran" in log
    assert not (stub.report_root / "publish" / "job.log").exists()
    record = json.loads((stub.report_root / "run.json").read_text(encoding="utf-8"))
    assert {job["name"]: job["status"] for job in record["jobs"]} == {
        "version": "passed",
        "build": "passed",
        "wheel-install": "passed",
        "tests": "failed",
        "publish": "skipped",
    }


def test_every_line_of_a_jobs_log_is_masked(stub: Settings) -> None:
    """What a job prints reaches its log masked: the environment's secrets (even a short one
    standing alone), URL user-info; bytes of the job's output are kept otherwise."""
    printed = "token s3cret-token-value at https://user:pw@index.example/ and pw=abc"
    env = dict(os.environ, STUB_PRINT=printed, TWINE_PASSWORD="s3cret-token-value")
    env["PRIVATE_TOKEN"] = "abcd"
    assert run(stub, jobs=["version"], stream=io.StringIO(), env=env) == 0
    log = (stub.report_root / "version" / "job.log").read_text(encoding="utf-8")
    assert "token **** at https://****@index.example/ and pw=abc" in log
    assert "s3cret" not in log and "user:pw" not in log and "version ran" in log


def test_a_second_run_in_the_same_tree_is_one_line_naming_the_first(stub: Settings) -> None:
    """Two runs in one tree would overwrite each other's reports and venvs: while another
    process holds the project's run lock, `run` stops at once, naming it, and starts nothing."""
    holder = subprocess.Popen(  # pylint: disable=consider-using-with
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from noxline import confine; "
            "lock = confine.lock_project(Path(sys.argv[1]), 'noxline run'); print('held', "
            "flush=True); time.sleep(60)",
            str(stub.project_dir),
        ],
        stdout=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != confine.LOCK_VARIABLE},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(confine.ProjectBusy) as caught:
            run(stub, jobs=["version"], stream=io.StringIO())
        assert f"another noxline run is using this project (pid {holder.pid}, noxline run" in str(
            caught.value
        )
        assert not (stub.report_root / "version" / "job.log").exists()
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    # The lock goes with the process that held it: the next run proceeds.
    assert run(stub, jobs=["version"], stream=io.StringIO()) == 0


def test_run_passes_when_only_allowed_failures_fail(stub: Settings) -> None:
    """A failing check that is allowed to fail: exit code 0 and a warning in the verdict."""
    stream = io.StringIO()
    code = run(stub, jobs=["black"], stream=stream, env=dict(os.environ, STUB_FAIL="black"))
    assert code == 0
    assert (
        stream.getvalue()
        .splitlines()[-1]
        .startswith("pipeline passed with warnings (black allowed to fail)")
    )


#: An ANSI colour code (a status in green, red, ...), as opposed to cursor movement.
_COLOUR = re.compile(r"\x1b\[3\dm")


@pytest.mark.parametrize(
    ("tty", "env", "redraws", "colours"),
    [
        (True, {}, True, True),
        (True, {"NO_COLOR": "1"}, True, False),
        (True, {"NO_COLOR": ""}, True, True),  # no-color.org: set and not empty
        (False, {}, False, False),
        (False, {"NO_COLOR": "1"}, False, False),
    ],
    ids=["terminal", "terminal-no-color", "terminal-empty-no-color", "pipe", "pipe-no-color"],
)
def test_run_colours_only_a_terminal_without_no_color(
    stub: Settings, tty: bool, env: dict[str, str], redraws: bool, colours: bool
) -> None:
    """Colours need a live terminal and no NO_COLOR; off a terminal there are no escapes at all."""
    stream = _Tty() if tty else io.StringIO()
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI", "GITLAB_CI")}
    assert run(stub, jobs=["black"], stream=stream, env=clean | env | {"TERM": "xterm"}) == 0
    text = stream.getvalue()
    assert bool(_COLOUR.search(text)) is colours, text
    assert ("\x1b[" in text) is redraws, text
    assert "passed" in text.splitlines()[-2]


def test_run_refuses_a_project_without_noxfile_and_a_bad_limit(settings: Settings) -> None:
    """No noxfile: say how to add one. -j below 1: refused before anything runs."""
    with pytest.raises(NoxlineError, match="no noxfile.py in .*noxline init"):
        run(settings, stream=io.StringIO())
    (settings.project_dir / "noxfile.py").write_text(STUB_NOXFILE, encoding="utf-8")
    with pytest.raises(NoxlineError, match="at least 1"):
        run(settings, parallel=-1, stream=io.StringIO())
    assert not settings.report_root.exists()


def _start_hang(
    stub: Settings, marker: Path, interruptible: bool
) -> tuple[ProcessLauncher, Future[int]]:
    """Start the stub `hang` session and wait until it runs."""
    launcher = ProcessLauncher(stub, 1, dict(os.environ, STUB_MARKER=str(marker)))
    future = launcher.start(job("hang", interruptible=interruptible))
    deadline = time.monotonic() + 60
    while not marker.exists() and not future.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), (stub.report_root / "hang/job.log").read_text(encoding="utf-8")
    return launcher, future


def test_stop_terminates_a_running_job(stub: Settings, tmp_path: Path) -> None:
    """stop() ends a running job's whole process group with SIGTERM."""
    launcher, future = _start_hang(stub, tmp_path / "started", interruptible=True)
    with launcher:
        launcher.stop(False)
        assert future.result(timeout=30) == -signal.SIGTERM


def test_stop_spares_a_non_interruptible_job_until_forced(stub: Settings, tmp_path: Path) -> None:
    """A job that must not be cancelled half-way survives stop(False); stop(True) kills it."""
    launcher, future = _start_hang(stub, tmp_path / "started", interruptible=False)
    with launcher:
        assert launcher.spared == ["hang"]
        launcher.stop(False)
        assert not future.done()
        launcher.stop(True)
        assert future.result(timeout=30) == -signal.SIGKILL


def test_a_job_past_job_timeout_is_stopped_and_says_why(stub: Settings, tmp_path: Path) -> None:
    """A job that hangs is stopped at job-timeout (its process group too), exit code 124, and
    its log names the setting to raise."""
    bounded = replace(stub, job_timeout=0.05)  # three seconds
    launcher = ProcessLauncher(bounded, 1, dict(os.environ, STUB_MARKER=str(tmp_path / "m")))
    started = time.monotonic()
    hang = job("hang")
    with launcher:
        future = launcher.start(hang)
        assert future.result(timeout=60) == TIMED_OUT_CODE
    assert time.monotonic() - started < 3 + TERMINATE_TIMEOUT + 20  # generous: shared cores
    log = log_path(bounded, hang).read_text(encoding="utf-8")
    assert "ran longer than job-timeout = 0.05 minutes and was stopped" in log


def test_copies_run_side_by_side_with_their_shard_and_own_venvs_and_logs(
    settings: Settings,
) -> None:
    """`noxline run tests` on a matrix with shards: each copy its own process, with GitLab's
    shard variables, its own envdir (shards of one session run at once) and its own log."""
    fanned = replace(settings, python=("3.11", "3.12"), test_shards=2)
    expanded = define(fanned).expand()
    names = [job.name for job in select_jobs(expanded, ["coverage"])]
    copies = ["tests-3.11 1/2", "tests-3.11 2/2", "tests-3.12 1/2", "tests-3.12 2/2"]
    assert names == ["version", "build", *copies, "coverage"]
    shard = expanded.job("tests-3.12 2/2")
    argv = job_argv(shard)
    assert argv[argv.index("-s") + 1] == "tests-3.12"
    assert argv[-2:] == ["--envdir", ".nox/shard-2of2"]
    assert shard.environment() == {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}
    assert log_path(fanned, shard) == fanned.project_dir / "reports/tests/job-3.12-2of2.log"
    unsharded = job_argv(
        define(replace(settings, python=("3.11", "3.12"))).expand().job("tests-3.11")
    )
    assert "--envdir" not in unsharded
    fake = FakeRun({})
    outcome = fake.run(select_jobs(expanded, ["coverage"]), parallel=4)
    assert outcome.exit_code == 0
    assert fake.index("passed", "tests-3.12 2/2") < fake.index("start", "coverage")


def test_summary_shows_each_jobs_one_line_result(settings: Settings) -> None:
    """What a job body summarised (summarize) stands in its row, on one line; a job that wrote
    none shows nothing there; a copy of a fanned-out job shows what it wrote in its own folder."""
    summarize(settings, define(settings).job("tests"), "12 tests\n  passed")
    text = summary(settings, _outcome(settings, {}), 1)
    rows = {line.split()[0]: line for line in text.splitlines()}
    assert "12 tests passed" in rows["tests"]
    assert "12 tests" not in rows["pylint"]
    sharded = replace(settings, test_shards=2)
    second = define(sharded).expand().job("tests 2/2")
    summarize(sharded, second.for_copy(second.instance), "5 tests")
    text = summary(sharded, FakeRun({}).run(define(sharded).expand().jobs), 1)
    assert [line for line in text.splitlines() if "5 tests" in line][0].startswith("tests 2/2")
