"""The generated .gitlab-ci.yml run for real (test_gitlab_schema validates its shapes).

gitlab-ci-local runs the minilib fixture's pipeline with the shell executor in isolated job folders
(artifacts and ``needs`` honoured). A pypiserver on 127.0.0.1 plays the team's index: it serves
noxline's own wheel, built from this checkout, and receives the release upload. Two pipelines run,
each once per module: a branch pipeline and a tag pipeline for 1.2.3.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from noxline import gitlab
from noxline.about import __version__
from noxline.cli import main
from noxline.config import load_settings
from noxline.dist import read_sums
from noxline.pipeline import COVERAGE_REGEX, DURATIONS_CACHE, define
from tests.e2e._fanout import (
    PYTHONS,
    case_ids,
    cobertura_percent,
    make_fanned_project,
    pyenv_bin,
    run_module,
)
from tests.e2e.gitlab import (
    ORIGIN,
    PipelineRun,
    build_noxline_wheel,
    gitlab_ci_local,
    make_job_python,
    prepare_project,
    run_pipeline,
    upload_to,
)
from tests.fakes import FakeGitLab, FakeOSV, running
from tests.helpers import DOCS_PIPELINE_JOBS, PIPELINE_JOBS, PackageIndex, git, pypiserver

PYPI = "https://pypi.org/simple"
RELEASE = "1.2.3"
#: Where GitLab Pages would serve minilib's site (GitLab sets CI_PAGES_URL; gitlab-ci-local not).
PAGES_URL = "https://group.gitlab.example.com/minilib"

#: One worker runs this module: its pipelines share one set-up job, one index and one Python.
pytestmark = pytest.mark.xdist_group("gitlab-ci-local")


# --- gitlab-ci-local ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lab:
    """gitlab-ci-local, the team's index, the jobs' Python, and the set-up run that filled it."""

    executable: Path
    index: PackageIndex
    job_bin: Path
    wheel: Path
    setup_run: PipelineRun
    #: The vulnerability service the audit jobs ask, and the GitLab the release job talks to.
    osv: FakeOSV
    gitlab: FakeGitLab

    @property
    def index_variables(self) -> dict[str, str]:
        """CI/CD variables naming the team's index first and PyPI for everything else."""
        return {"PIP_INDEX_URL": self.index.simple_url, "PIP_EXTRA_INDEX_URL": PYPI}

    @property
    def settings(self) -> str:
        """minilib's [tool.noxline] lines for these pipelines: the audit asks the fake OSV."""
        return f'audit-osv-url = "{self.osv.url}/v1/query"\n'


@pytest.fixture(name="lab", scope="module")
def lab_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Start the index with noxline's wheel on it and run one job, which installs the tools.

    The shell executor shares the jobs' Python, so the first job installs nox, uv and noxline
    alone; the pipelines' concurrent jobs then find them installed, as in a prebuilt image.
    """
    executable = gitlab_ci_local()
    root = tmp_path_factory.mktemp("gitlab-ci-local")
    wheel = build_noxline_wheel(root / "wheels")
    with (
        pypiserver(root / "index") as index,
        running(FakeOSV()) as osv,
        running(FakeGitLab()) as fake_gitlab,
    ):
        assert isinstance(osv, FakeOSV) and isinstance(fake_gitlab, FakeGitLab)
        upload_to(index, wheel)
        job_bin = make_job_python(root / "job-python")
        project = prepare_project(root / "setup")
        variables = {"PIP_INDEX_URL": index.simple_url, "PIP_EXTRA_INDEX_URL": PYPI}
        setup_run = run_pipeline(
            executable, project, job_bin=job_bin, variables=variables, jobs=("version",)
        )
        print(f"\nset-up job (version) took {setup_run.seconds:.0f} s")
        yield Lab(executable, index, job_bin, wheel, setup_run, osv, fake_gitlab)


@pytest.fixture(name="branch", scope="module")
def branch_fixture(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """A branch pipeline (main) of minilib, every job."""
    project = prepare_project(tmp_path_factory.mktemp("branch"), settings=lab.settings)
    run = run_pipeline(lab.executable, project, job_bin=lab.job_bin, variables=lab.index_variables)
    print(f"\nbranch pipeline took {run.seconds:.0f} s")
    return run


@pytest.fixture(name="tag", scope="module")
def tag_fixture(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """A tag pipeline for the release 1.2.3, with upload credentials as CI/CD variables and the
    fake GitLab's API, project and job token in place of GitLab's own.

    It runs the release path, ``release`` and ``pages`` and all they need (version, build,
    wheel-install, tests, publish, sbom, docs); the checks run the same way on a branch, where the
    branch pipeline proves them.
    """
    project = prepare_project(tmp_path_factory.mktemp("tag"), tag=RELEASE, settings=lab.settings)
    variables = {
        **lab.index_variables,
        "CI_COMMIT_TAG": RELEASE,
        "CI_COMMIT_REF_NAME": RELEASE,
        "CI_COMMIT_REF_PROTECTED": "true",
        "TWINE_REPOSITORY_URL": lab.index.url,
        "TWINE_USERNAME": lab.index.username,
        "TWINE_PASSWORD": lab.index.password,
        "CI_API_V4_URL": lab.gitlab.api_url,
        "CI_PROJECT_ID": lab.gitlab.project_id,
        "CI_JOB_TOKEN": lab.gitlab.job_token,
        "CI_PAGES_URL": PAGES_URL,
    }
    run = run_pipeline(
        lab.executable,
        project,
        job_bin=lab.job_bin,
        variables=variables,
        jobs=("release", "pages"),
    )
    print(f"\ntag pipeline took {run.seconds:.0f} s")
    return run


def setup_lines(project: Path) -> list[str]:
    """The before_script lines the generated file gives every job."""
    lines: list[str] = gitlab.document(load_settings(project))[gitlab.TEMPLATE]["before_script"]
    return lines


def release_path(project: Path) -> set[str]:
    """The release and pages jobs and every job they need, directly or not, by the project's
    definition."""
    needs = {job.name: job.needs for job in define(load_settings(project)).jobs}
    path, todo = set(), ["release", "pages"]
    while todo:
        name = todo.pop()
        if name not in path:
            path.add(name)
            todo.extend(needs[name])
    return path


def wheel_version(wheel: Path) -> str:
    """The version part of a wheel's file name."""
    return wheel.name.split("-")[1]


def test_setup_installs_noxline_from_the_team_index(lab: Lab) -> None:
    """The jobs' set-up pip-installs the pinned tools and noxline, from PIP_INDEX_URL's index."""
    run = lab.setup_run
    assert run.returncode == 0, run.output
    assert wheel_version(lab.wheel) == __version__, (
        f"the checkout builds noxline {wheel_version(lab.wheel)} but the tests import "
        f"{__version__}: reinstall noxline into the test venv"
    )
    log = run.log("version")
    assert f"Looking in indexes: {lab.index.simple_url}, {PYPI}" in log
    assert f"Collecting noxline=={__version__}" in log
    # noxline exists only on this index, so an installed noxline came from it.
    shown = subprocess.run(
        [str(lab.job_bin / "python"), "-m", "pip", "show", "noxline"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Version: {__version__}" in shown


def test_branch_pipeline_is_green(branch: PipelineRun, lab: Lab) -> None:
    """Every job of the branch pipeline passes, the allowed-to-fail checks included; release
    is not in it (release tags only), so the fake GitLab hears nothing."""
    assert branch.returncode == 0, branch.output
    # Pages publishes releases (pages-from = "release"): not in a branch pipeline either.
    expected = {job: "PASS" for job in DOCS_PIPELINE_JOBS if job not in ("release", "pages")}
    assert branch.statuses() == expected, branch.output
    assert not [r for r in lab.gitlab.requests if r.method != "GET"]
    # The docs job's site is its artifact, which merge requests link (expose_as).
    assert (branch.artifacts("docs") / "reports" / "docs" / "site" / "index.html").is_file()


def test_each_job_ran_exactly_its_command(branch: PipelineRun) -> None:
    """Parity: gitlab-ci-local ran each job's set-up, then its Job.command(), then only the
    download cache's pruning."""
    settings = load_settings(branch.project)
    setup = setup_lines(branch.project)
    for job in define(settings).jobs:
        if job.only_tags_matching:
            continue  # not in a branch pipeline
        ran = branch.commands(job.name)
        assert ran == [*setup, shlex.join(job.command()), gitlab.PRUNE_CACHE], job.name
        assert shlex.split(ran[-2]) == list(job.command())


def test_the_saved_download_cache_holds_no_downloaded_wheel(branch: PipelineRun) -> None:
    """Every job pruned uv's cache before it was saved: no unpacked wheel is left in it (unpruned,
    the tools of minilib's jobs grow it to about 185 MB, which every job restores and saves)."""
    saved = list((branch.state / "cache").glob("*/.cache/uv"))
    assert saved, "no uv cache was saved"
    for uv_cache in saved:
        unpacked = list(uv_cache.glob("archive-v*/*"))
        assert unpacked == [], unpacked[:5]


def test_dist_is_handed_from_build_to_the_jobs_that_need_it(branch: PipelineRun) -> None:
    """build's dist/ (checksummed) reaches wheel-install, tests and publish unchanged."""
    built = branch.artifacts("build") / "dist"
    sums = read_sums(built)
    (wheel,) = [name for name in sums if name.endswith(".whl")]
    dotenv = (branch.artifacts("version") / "reports" / "version" / "version.env").read_text()
    assert dotenv.startswith("NOXLINE_VERSION=")
    version = dotenv.strip().removeprefix("NOXLINE_VERSION=")
    assert wheel == f"minilib-{version}-py3-none-any.whl"
    assert ".dev" in version  # a branch builds a development version
    for job in ("wheel-install", "tests", "publish"):
        received = branch.workdir(job) / "dist"
        assert read_sums(received) == sums, job
        for name, digest in sums.items():
            assert hashlib.sha256((received / name).read_bytes()).hexdigest() == digest
    assert wheel in branch.log("wheel-install")
    assert wheel in branch.log("tests")
    # Jobs that need nothing get nothing: a check never sees dist/.
    assert not (branch.workdir("pylint") / "dist").exists()


def test_publish_on_a_branch_is_a_dry_run(branch: PipelineRun, lab: Lab) -> None:
    """publish runs in the branch pipeline, uploads nothing and says it was a dry run."""
    report = json.loads(
        (branch.artifacts("publish") / "reports" / "publish" / "publish.json").read_text()
    )
    assert report["mode"] == "dry-run"
    assert "dry run" in branch.log("publish")
    assert not list(lab.index.packages.glob("minilib-*"))


def test_gitlab_reads_coverage_and_keeps_the_reports(branch: PipelineRun) -> None:
    """The coverage regex reads the tests log; JUnit, Cobertura, Code Quality and HTML are kept."""
    assert re.search(r"PASS\s+tests\s+100\.0% coverage", branch.output), branch.output
    reports = {job: branch.artifacts(job) / "reports" / job for job in PIPELINE_JOBS}
    for path in (
        reports["tests"] / "junit.xml",
        reports["tests"] / "coverage.xml",
        reports["tests"] / "html" / "index.html",
        reports["pylint"] / "pylint.html",
        reports["mypy"] / "html" / "index.html",
        reports["black"] / "black.txt",
        reports["docstr"] / "docstr.txt",
        reports["build"] / "SHA256SUMS",
    ):
        assert path.is_file(), path
    for job in ("pylint", "mypy", "audit"):
        assert json.loads((reports[job] / "codequality.json").read_text()) == [], job
    sbom = json.loads((reports["sbom"] / "sbom.cdx.json").read_text())
    # minilib is the subject (no runtime dependencies: no components).
    assert sbom["metadata"]["component"]["purl"].startswith("pkg:pypi/minilib@")
    assert sbom.get("components", []) == []


def test_tag_pipeline_uploads_what_build_checksummed(tag: PipelineRun, lab: Lab) -> None:
    """At tag 1.2.3 publish uploads to the index the exact files of build's dist/SHA256SUMS."""
    assert tag.returncode == 0, tag.output
    path = release_path(tag.project)
    assert {"version", "build", "tests", "publish", "sbom"} < path
    assert tag.statuses() == {job: "PASS" for job in path}, tag.output
    sums = read_sums(tag.artifacts("build") / "dist")
    assert sorted(sums) == [f"minilib-{RELEASE}-py3-none-any.whl", f"minilib-{RELEASE}.tar.gz"]
    for name, digest in sums.items():
        stored = lab.index.packages / name
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest, name
    # The index's own simple page announces the same checksums.
    with urllib.request.urlopen(lab.index.simple_url + "minilib/", timeout=10) as response:
        page = response.read().decode("utf-8")
    announced = dict(re.findall(r'href="[^"]*/([^/"#]+)#sha256=([0-9a-f]{64})"', page))
    assert announced == sums
    report = json.loads(
        (tag.artifacts("publish") / "reports" / "publish" / "publish.json").read_text()
    )
    assert report["mode"] == "upload"
    assert {item["filename"]: item["action"] for item in report["files"]} == {
        name: "uploaded" for name in sums
    }


def test_tag_pipeline_creates_the_release(tag: PipelineRun, lab: Lab) -> None:
    """The release job ran after publish and created one release linking the uploaded files."""
    assert tag.statuses().get("release") == "PASS", tag.output
    release = lab.gitlab.releases[RELEASE]
    assert release["name"] == f"minilib {RELEASE}"
    links = {link["name"]: link["url"] for link in release["assets"]["links"]}
    for name in (f"minilib-{RELEASE}-py3-none-any.whl", f"minilib-{RELEASE}.tar.gz"):
        assert links[name].startswith(lab.index.url), links
    assert any(name.startswith("SBOM") for name in links)
    assert links["Documentation"] == PAGES_URL
    record = tag.artifacts("release") / "reports" / "release" / "release.json"
    assert json.loads(record.read_text())["outcome"] == "created"


def test_tag_pipeline_publishes_the_release_site_with_pages(tag: PipelineRun) -> None:
    """pages ran after docs and publish, received the docs site as an artifact and keeps it as
    its own, in the folder its `pages: publish:` names, which GitLab deploys."""
    assert {"docs", "pages"} <= release_path(tag.project)
    assert (tag.statuses().get("docs"), tag.statuses().get("pages")) == ("PASS", "PASS")
    site = tag.artifacts("pages") / "reports" / "docs" / "site"
    assert f"minilib {RELEASE}" in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "minilib.html").is_file()
    assert f"pages of reports/docs/site/ published at {PAGES_URL}" in tag.log("pages")
    assert tag.commands("pages")[-2:] == ["nox --no-dependencies -s pages", gitlab.PRUNE_CACHE]


def test_tag_pipeline_never_shows_the_password(tag: PipelineRun, lab: Lab) -> None:
    """The upload password and the job token are in no job log, no artifact and not in
    gitlab-ci-local's output."""
    for secret in (lab.index.password, lab.gitlab.job_token):
        assert secret not in tag.output
        for log in (tag.state / "output").glob("*.log"):
            assert secret not in log.read_text(encoding="utf-8"), log.name
        for job in release_path(tag.project):
            for path in tag.artifacts(job).rglob("*"):
                if path.is_file():
                    assert secret.encode() not in path.read_bytes(), path


# --- the Python matrix and test shards --------------------------------------------------------


@pytest.fixture(name="fanned", scope="module")
def fanned_fixture(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """minilib with `python = ["3.11", "3.12"]` and `test-shards = 2`: the coverage job and all it
    needs (version, build, four test jobs), pyenv's 3.12 reachable as the image would provide it."""
    settings = 'python = ["3.11", "3.12"]\ntest-shards = 2'
    project = make_fanned_project(tmp_path_factory.mktemp("fanned"), settings)
    assert main(["-C", str(project), "gitlab-ci"]) == 0
    git(project, "add", ".gitlab-ci.yml")
    git(project, "commit", "-q", "-m", "Add the generated pipeline")
    git(project, "remote", "add", "origin", ORIGIN)
    run = run_fanned(lab, project)
    print(f"\nmatrix + shards pipeline took {run.seconds:.0f} s")
    return run


def run_fanned(lab: Lab, project: Path, jobs: tuple[str, ...] = ("coverage",)) -> PipelineRun:
    """``jobs`` (the coverage job) and all they need, pyenv's 3.12 reachable as the image would
    provide it."""
    path = os.pathsep.join(
        [
            str(lab.job_bin),
            str(lab.executable.parent),
            str(pyenv_bin(PYTHONS[1])),
            os.environ["PATH"],
        ]
    )
    return run_pipeline(
        lab.executable,
        project,
        job_bin=lab.job_bin,
        variables=lab.index_variables,
        jobs=jobs,
        extra_env={"PATH": path},
    )


def coverage_figures(log: str) -> list[float]:
    """The percentages GitLab's coverage regex (the definition's) reads from a job log."""
    pattern = re.compile(COVERAGE_REGEX.strip("/"), re.MULTILINE)
    return [float(figure) for figure in pattern.findall(log)]


def test_matrix_and_shards_pipeline_is_green_with_one_coverage_figure(fanned: PipelineRun) -> None:
    """Two versions times two shards run as four jobs; GitLab's regex finds a figure in the
    coverage job's log only, and it equals a local unsharded `nox -s coverage` (±0.1 %)."""
    assert fanned.returncode == 0, fanned.output
    test_logs = sorted(fanned.state.glob("output/tests*.log"))
    assert len(test_logs) == 4
    for log in test_logs:
        text = log.read_text(encoding="utf-8")
        assert re.search(r"Session tests-3\.1[12] was successful", text), text
        assert not coverage_figures(text)
    (figure,) = coverage_figures(fanned.log("coverage"))
    combined = fanned.artifacts("coverage") / "reports" / "coverage" / "coverage.xml"
    assert abs(figure - cobertura_percent(combined)) <= 0.1
    local = run_module(fanned.project, "nox", "-s", "coverage")
    assert local.returncode == 0, local.stdout + local.stderr
    unsharded = cobertura_percent(fanned.project / "reports" / "coverage" / "coverage.xml")
    assert abs(figure - unsharded) <= 0.1 and figure < 100, (figure, unsharded)


def test_shards_split_and_junit_counts_add_up(fanned: PipelineRun) -> None:
    """Each test job ran part of the suite; per version the parts are disjoint and add up to the
    merged report, which lists all seven tests once."""
    for python in PYTHONS:
        merged = case_ids(
            fanned.artifacts("coverage") / "reports" / "coverage" / f"junit-{python}.xml"
        )
        assert len(merged) == len(set(merged)) == 7
        parts = [
            case_ids(report)
            for report in fanned.state.glob(
                f"artifacts/tests*/reports/tests/{python}-*of2/junit.xml"
            )
        ]
        assert len(parts) == 2 and all(parts), parts
        assert sorted(parts[0] + parts[1]) == merged
    logs = "".join(
        path.read_text(encoding="utf-8") for path in fanned.state.glob("output/tests*.log")
    )
    assert logs.count("shard 1 of 2:") == 2 and logs.count("shard 2 of 2:") == 2


#: The shard jobs of the next pipeline, as gitlab-ci-local names matrix jobs.
NEXT_SHARDS = (f"tests: [{PYTHONS[0]},1]", f"tests: [{PYTHONS[0]},2]")


def shard_logs(run: PipelineRun) -> str:
    """Every test job's log of the run, one after another."""
    return "".join(path.read_text(encoding="utf-8") for path in run.state.glob("output/tests*.log"))


@pytest.fixture(name="fanned_again", scope="module")
def fanned_again_fixture(lab: Lab, fanned: PipelineRun) -> tuple[str, PipelineRun]:
    """The first pipeline's test job logs, then the next pipeline in the same project: the cache
    (gitlab-ci-local keeps it in its state folder, as a runner keeps GitLab's) now holds what the
    first pipeline's coverage job pushed. The next pipeline runs the shards of one Python (and
    what they need): the other Python's shards pull the same cache the same way."""
    first = shard_logs(fanned)
    run = run_fanned(lab, fanned.project, NEXT_SHARDS)
    print(f"\nsecond matrix + shards pipeline took {run.seconds:.0f} s")
    return first, run


def test_the_next_pipeline_splits_by_the_durations_this_one_recorded(
    fanned_again: tuple[str, PipelineRun],
) -> None:
    """The first pipeline has no durations (a fresh clone) and splits by test count; its coverage
    job pushes the merged JUnit reports to the durations cache, and the next pipeline's shards
    pull them and balance by recorded durations."""
    first, again = fanned_again
    assert again.returncode == 0, again.output
    assert first.count("balanced by test count") == 4, first
    cached = again.state / "cache" / DURATIONS_CACHE / "reports" / "coverage"
    assert sorted(path.name for path in cached.glob("junit*.xml")) == [
        f"junit-{python}.xml" for python in PYTHONS
    ]
    assert again.output.count(f"imported cache '{DURATIONS_CACHE}'") == len(NEXT_SHARDS)
    logs = shard_logs(again)
    assert logs.count("balanced by recorded durations") == len(NEXT_SHARDS), logs
