"""`noxline run`, for real, on the minilib fixture: real nox processes, logs, summary, Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.helpers import (
    MINILIB_RUNS,
    NoxlineRun,
    DOCS_PIPELINE_JOBS,
    clean_env,
    make_project,
    run_noxline,
)

#: A test that never ends by itself: it leaves a marker file, then sleeps.
HANGING_TEST = '''\
"""A test that runs until it is stopped."""

import os
import re
import time
import unittest


class HangTest(unittest.TestCase):
    """Runs until stopped."""

    def test_hang(self) -> None:
        """Say it started, then sleep."""
        with open(os.environ["RUNNER_TEST_MARKER"], "w", encoding="utf-8"):
            pass
        time.sleep(600)
'''


def noxline_run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `noxline run ARGS` in ``project`` (not a terminal, no CI variables)."""
    return run_noxline(project, "run", *args)


def summary_rows(stdout: str) -> dict[str, list[str]]:
    """The summary table as job → cells (status words joined)."""
    lines = stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("job "))
    rows: dict[str, list[str]] = {}
    for line in lines[start + 1 :]:
        if line.startswith(("pipeline ", "interrupted:")):
            break
        name, *cells = line.split()
        rows[name] = cells
    return rows


@pytest.mark.xdist_group(MINILIB_RUNS)
def test_the_whole_pipeline_passes_with_logs_and_a_summary(minilib_run: NoxlineRun) -> None:
    """All nine jobs pass, exit 0; the summary lists each with its log, and every log exists."""
    project, result = minilib_run.project, minilib_run.result
    assert result.returncode == 0, result.stdout + result.stderr
    rows = summary_rows(result.stdout)
    assert tuple(rows) == DOCS_PIPELINE_JOBS
    for name in DOCS_PIPELINE_JOBS:
        assert rows[name][0] == "passed", (name, rows[name])
        log = project / "reports" / name / "job.log"
        assert f"reports/{name}/job.log" in rows[name]
        text = log.read_text(encoding="utf-8")
        assert f"-m nox --no-dependencies -s {name} --reuse-venv=yes" in text.splitlines()[0]
        assert f"Session {name} was successful" in text
    assert "coverage: reports/tests/html/" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("pipeline passed in ")
    record = json.loads((project / "reports/run.json").read_text(encoding="utf-8"))
    assert [job["name"] for job in record["jobs"]] == list(DOCS_PIPELINE_JOBS)
    assert record["exit_code"] == 0
    # Plain output off a terminal: one line per event, no escape codes.
    assert "noxline: build started" in result.stdout and "\x1b[" not in result.stdout


@pytest.mark.xdist_group(MINILIB_RUNS)
def test_a_failing_test_skips_publish_and_black_only_warns(broken_minilib_run: NoxlineRun) -> None:
    """A broken test fails `tests` and skips publish (exit 1); badly formatted code makes black
    'allowed to fail' without stopping anything; the failed job's log tail is shown."""
    project, result = broken_minilib_run.project, broken_minilib_run.result
    assert result.returncode == 1, result.stdout + result.stderr
    rows = summary_rows(result.stdout)
    assert rows["tests"][0] == "failed"
    assert rows["publish"][:1] == ["skipped"] and "(needs tests)" in " ".join(rows["publish"])
    assert rows["black"][:3] == ["allowed", "to", "fail"]
    assert rows["wheel-install"][0] == "passed"
    assert "--- tests failed; last lines of reports/tests/job.log:" in result.stdout
    assert "AssertionError: 3.0 != 4.0" in result.stdout
    assert not (project / "reports/publish/job.log").exists()
    assert result.stdout.rstrip().splitlines()[-1].startswith("pipeline failed in ")


def test_a_job_whose_python_is_missing_fails_and_shows_no_earlier_result(tmp_path: Path) -> None:
    """nox skips a session whose interpreter it cannot find (exit 0): under `noxline run` that
    job checked nothing, so it fails, and the summary never shows the result an earlier run
    left in its reports folder."""
    project = make_project(tmp_path)
    earlier = project / "reports/mypy/summary.txt"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("mypy 1.0, 18 source files checked\n", encoding="utf-8")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            "[tool.noxline]\n", '[tool.noxline]\ncheck-python = "3.99"\nblocking = ["mypy"]\n'
        ),
        encoding="utf-8",
    )
    result = noxline_run(project, "mypy", "--no-cache")
    assert result.returncode == 1, result.stdout + result.stderr
    assert summary_rows(result.stdout)["mypy"][0] == "failed"
    assert "18 source files" not in result.stdout and not earlier.exists()
    assert "3.99" in result.stdout  # the log's tail names the missing interpreter


def test_black_allowed_to_fail_still_passes_the_pipeline(tmp_path: Path) -> None:
    """`noxline run black` on unformatted code: black is allowed to fail, exit code 0."""
    project = make_project(tmp_path)
    (project / "src/minilib/ugly.py").write_text('"""Ugly."""\nx = {  "a":1 }\n', "utf-8")
    result = noxline_run(project, "black")
    assert result.returncode == 0, result.stdout + result.stderr
    assert tuple(summary_rows(result.stdout)) == ("black",)
    assert "noxline: black allowed to fail" in result.stdout
    log = (project / "reports/black/job.log").read_text(encoding="utf-8")
    assert re.search(
        r"black would reformat 1 of [0-9]+ files \(the diff is in reports/black/black.txt\): "
        r"run `nox -s format` and commit the result",
        log,
    ), log
    assert "1 would be reformatted" in " ".join(summary_rows(result.stdout)["black"])
    last = result.stdout.rstrip().splitlines()[-1]
    assert last.startswith("pipeline passed with warnings (black allowed to fail)")


def test_a_reused_venv_keeps_the_bytecode_its_tool_imported_under_nox(tmp_path: Path) -> None:
    """Without UV_COMPILE_BYTECODE (as users run), nothing is compiled at install time; with
    PYTHONDONTWRITEBYTECODE set, the modules the tool imported get their bytecode under
    .nox/noxline-pycache, and no __pycache__ appears beside any file of the project.

    uv gets an empty cache of its own: the suite's cache holds compiled tools
    (ci/warm_tool_cache.py), whose bytecode uv links into every venv it installs them in."""
    project = make_project(tmp_path)
    env = clean_env(PYTHONDONTWRITEBYTECODE="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    del env["UV_COMPILE_BYTECODE"]
    result = run_noxline(project, "run", "--no-cache", "docstr", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    (installed,) = (project / ".nox" / "docstr").glob("lib/python*/site-packages/docstr_coverage")
    assert not (installed / "__pycache__").exists()  # not compiled at install
    kept = project / ".nox" / "noxline-pycache"
    assert list(kept.rglob("docstr_coverage/__init__.cpython-*.pyc"))
    beside = [
        path.relative_to(project)
        for path in project.rglob("__pycache__")
        if not path.is_relative_to(kept)
    ]
    assert beside == []


def test_an_unknown_job_is_one_clear_error(tmp_path: Path) -> None:
    """A typo in a job name: one message with the choices, exit 2, nothing run."""
    project = make_project(tmp_path)
    result = noxline_run(project, "test")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("noxline: error: no job called 'test'")
    assert not (project / "reports").exists()


def _processes_with(token: str) -> list[int]:
    """PIDs of live processes whose environment carries ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone, or not ours to read
        if token.encode() in environ:
            found.append(int(entry.name))
    return found


def test_ctrl_c_stops_the_jobs_and_leaves_no_process(tmp_path: Path) -> None:
    """SIGINT while `tests` runs a hanging test: exit 130, the job is named as unfinished, and no
    process of the run (nox, coverage, the test) is left behind."""
    project = make_project(tmp_path)
    (project / "tests/test_hang.py").write_text(HANGING_TEST, encoding="utf-8")
    marker = tmp_path / "hang-started"
    token = f"runner-test-{uuid.uuid4()}"
    env = clean_env(RUNNER_TEST_MARKER=str(marker), RUNNER_TEST_TOKEN=token)
    with subprocess.Popen(
        [sys.executable, "-m", "noxline.cli", "run", "tests", "pylint"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        try:
            deadline = time.monotonic() + 600  # a cold venv install may take a while
            while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            assert marker.exists(), "the hanging test never started"
            proc.send_signal(signal.SIGINT)
            stdout, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:  # the test failed: SIGTERM makes noxline stop its jobs too
                proc.terminate()
                proc.wait(timeout=60)
    assert proc.returncode == 130, stdout
    assert "noxline: interrupted, stopping the running jobs" in stdout
    unfinished = next(line for line in stdout.splitlines() if line.startswith("interrupted:"))
    assert "tests" in unfinished.split(": ")[-1].split(", ")
    assert summary_rows(stdout)["tests"][0] == "interrupted"
    assert stdout.rstrip().splitlines()[-1].endswith("(exit code 130)")
    leftovers = _processes_with(token)
    assert not leftovers, f"processes left behind: {leftovers}"
    assert os.path.getsize(project / "reports/tests/job.log") > 0
