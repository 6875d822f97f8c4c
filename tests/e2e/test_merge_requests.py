"""Merge-request pipelines under gitlab-ci-local: the jobs a change leaves out, and those it keeps.

gitlab-ci-local (4.x) evaluates ``rules:changes`` with ``git diff --name-only origin/<default
branch>`` (it ignores ``compare_to``, which GitLab reads as the target branch: the default branch
here), so a branch whose commits change only some files shows which jobs a merge request of it
would run. ``--list`` plans the pipeline without running a job: a second per case.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from noxline.cli import main as noxline_main
from tests.e2e.gitlab import ORIGIN, gitlab_ci_local
from tests.helpers import clean_env, git, make_project

#: One worker makes the repository once.
pytestmark = pytest.mark.xdist_group("merge-requests")

ALL_JOBS = {
    "version",
    "build",
    "wheel-install",
    "tests",
    "pylint",
    "black",
    "mypy",
    "docstr",
    "audit",
    "sbom",
    "docs",
    "publish",
}


@pytest.fixture(name="repository", scope="module")
def repository_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """minilib with its generated .gitlab-ci.yml, main known as origin's default branch."""
    project = make_project(tmp_path_factory.mktemp("merge-requests"))
    assert noxline_main(["-C", str(project), "gitlab-ci"]) == 0
    git(project, "add", "-A")
    git(project, "commit", "-qm", "pipeline")
    git(project, "remote", "add", "origin", ORIGIN)
    git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(project, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return project


def planned(project: Path, *variables: str) -> set[str]:
    """The jobs gitlab-ci-local puts in the pipeline (``--list``) with ``variables`` set."""
    command = [str(gitlab_ci_local()), "--list", "--ignore-predefined-vars", "CI_PIPELINE_SOURCE"]
    for variable in variables:
        command += ["--variable", variable]
    done = subprocess.run(
        command, cwd=project, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("name "))
    return {line.split()[0] for line in lines[start + 1 :] if line.strip()}


MERGE_REQUEST = (
    "CI_PIPELINE_SOURCE=merge_request_event",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main",
)

#: (branch, files its commit writes, jobs a merge request of it runs).
CASES = [
    # The tests may open any file (a page they check): they run too.
    ("docs-only", {"docs/guide.md": "# Guide\n"}, {"version", "build", "tests", "publish"}),
    (
        "data-beside-the-tests",
        {"examples/data.csv": "a,b\n"},
        {"version", "build", "tests", "publish"},
    ),
    # ruff takes the nearest pyproject.toml: one in a subfolder is configuration.
    ("a-sub-pyproject", {"tools/pyproject.toml": "[tool.ruff]\n"}, ALL_JOBS),
    (
        "a-test",
        {"tests/test_more.py": '"""More."""\n'},
        {"version", "build", "tests", "pylint", "black", "mypy", "docstr", "publish"},
    ),
    ("a-module", {"src/minilib/extra.py": '"""Extra."""\n'}, ALL_JOBS),
    (
        "the-readme",
        {"README.md": "# minilib, described anew\n"},
        ALL_JOBS - {"pylint", "black", "mypy", "docstr"},
    ),
]


@pytest.mark.parametrize(("branch", "files", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_merge_request_runs_the_jobs_whose_files_changed(
    repository: Path, branch: str, files: dict[str, str], expected: set[str]
) -> None:
    """A merge request runs version, build, tests and publish, plus the jobs that read a changed
    file; a branch pipeline runs everything."""
    git(repository, "checkout", "-q", "-B", branch, "main")
    try:
        for name, text in files.items():
            (repository / name).parent.mkdir(parents=True, exist_ok=True)
            (repository / name).write_text(text, encoding="utf-8")
        git(repository, "add", "-A")
        git(repository, "commit", "-qm", branch)
        assert planned(repository, *MERGE_REQUEST) == expected
        if branch == "docs-only":
            assert planned(repository) == ALL_JOBS
    finally:
        git(repository, "checkout", "-q", "main")
