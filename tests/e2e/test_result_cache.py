"""The result cache for real: ``noxline run`` on minilib twice, then after an edit, then on a
release tag (real nox, uv, builds and tests; four jobs to keep it cheap)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import git, make_project, run_noxline

#: A chain through the wheel (version → build → tests) and a check that needs nothing.
JOBS = ("tests", "black")


def reports(project: Path) -> dict[str, bytes]:
    """Every report file of the run but its record, by path."""
    root = project / "reports"
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "run.json"
    }


def without_build(found: dict[str, bytes]) -> dict[str, bytes]:
    """The reports but the build's, which runs every time (its log tells its own run)."""
    return {path: data for path, data in found.items() if not path.startswith("build/")}


def record(project: Path) -> dict[str, object]:
    """The last run's record."""
    data = json.loads((project / "reports/run.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def statuses(project: Path) -> dict[str, str]:
    """Job → status in the last run."""
    jobs = record(project)["jobs"]
    assert isinstance(jobs, list)
    return {job["name"]: job["status"] for job in jobs}


def noxline_run(project: Path, *args: str) -> str:
    """``noxline run`` the jobs; its output (it must pass)."""
    done = run_noxline(project, "run", *JOBS, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.xdist_group("result-cache")
def test_a_second_run_restores_an_edit_reruns_a_release_tag_runs_all(tmp_path: Path) -> None:
    """Run 2 restores every job but the build, byte for byte; after one module is edited, the
    jobs reading it run (the version, from git, stays cached); on a release tag, the cache is
    off; no tracked file changed."""
    project = make_project(tmp_path)
    noxline_run(project)
    assert set(statuses(project).values()) == {"passed"}
    first = reports(project)

    out = noxline_run(project)
    # The build always runs (its backend is installed as the index offers it now); it builds the
    # same bytes, so the jobs reading the wheel are restored.
    assert statuses(project) == {
        **dict.fromkeys(("version", "tests", "black"), "cached"),
        **{"build": "passed"},
    }
    assert without_build(reports(project)) == without_build(first)
    assert "cached (green " in out and "3 tests ran" in out  # the restored one-line results

    module = project / "src/minilib/__init__.py"
    module.write_text(module.read_text(encoding="utf-8").replace('"""', '"""Edited. ', 1), "utf-8")
    noxline_run(project)
    assert statuses(project) == {
        "version": "cached",
        "build": "passed",
        "tests": "passed",
        "black": "passed",
    }

    git(project, "commit", "-qam", "the answer")
    git(project, "tag", "0.1.0")
    out = noxline_run(project)
    assert "results cache off: a run for release tag 0.1.0 (HEAD)" in out
    assert set(statuses(project).values()) == {"passed"}
    assert git(project, "status", "--porcelain", "--untracked-files=no") == ""
