"""The pipeline definition: stages, needs, allow_failure as in the seed; blocking flips checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from noxline.config import Settings, load_settings, replace, whole_tag_pattern
from noxline.errors import ConfigError
from noxline.pipeline import CHECKS, STAGES, Job, Reports, define, reaches_below
from tests.helpers import DOCS_PIPELINE_JOBS, PIPELINE_JOBS
from tests.unit._projects import write_project


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """Settings of a fresh tiny project."""
    return load_settings(write_project(tmp_path))


def test_jobs_in_stage_order_mirror_the_seed(settings: Settings) -> None:
    """The jobs, named like the sessions, in the seed's stage order, then audit, SBOM, release."""
    pipeline = define(settings)
    assert pipeline.names == DOCS_PIPELINE_JOBS  # a package with docstrings: docs on
    assert define(replace(settings, docs=False)).names == PIPELINE_JOBS
    stage_index = [STAGES.index(job.stage) for job in pipeline.jobs]
    assert stage_index == sorted(stage_index)
    assert {job.name: job.stage for job in pipeline.jobs}["version"] == "pre-package"


def test_needs_follow_the_artifacts(settings: Settings) -> None:
    """build needs version; wheel-install and tests need build; checks need nothing."""
    pipeline = define(settings)
    assert pipeline.job("build").needs == ("version",)
    assert pipeline.job("wheel-install").needs == ("build",)
    assert pipeline.job("tests").needs == ("build",)
    assert pipeline.job("publish").needs == ("build", "wheel-install", "tests")
    for check in CHECKS:
        assert pipeline.job(check).needs == ()
        assert pipeline.job(check).allow_failure
    # The version travels as a dotenv report: no tracked file is handed on (or edited).
    assert pipeline.job("version").artifacts == ()
    version = pipeline.job("version")
    assert version.report_path(version.reports.dotenv or "") == "reports/version/version.env"
    assert pipeline.job("build").upstream_files == {"version": "reports/version/version.env"}
    assert pipeline.job("build").artifacts == ("dist/",)


def test_every_need_is_an_earlier_job(settings: Settings) -> None:
    """needs never point forward or at unknown jobs (GitLab would refuse the YAML)."""
    pipeline = define(replace(settings, blocking=CHECKS))
    seen: set[str] = set()
    for job in pipeline.jobs:
        assert set(job.needs) <= seen, job.name
        seen.add(job.name)


def test_blocking_checks_gate_publish(settings: Settings) -> None:
    """A check made blocking stops allowing failure and becomes a need of publish."""
    pipeline = define(replace(settings, blocking=("mypy", "black")))
    assert not pipeline.job("mypy").allow_failure
    assert not pipeline.job("black").allow_failure
    assert pipeline.job("pylint").allow_failure
    assert pipeline.job("publish").needs == ("build", "wheel-install", "tests", "black", "mypy")


def test_unknown_blocking_name_is_refused(settings: Settings) -> None:
    """A typo in blocking names the key and the choices."""
    with pytest.raises(ConfigError, match="blocking names pylnt.*choose from pylint"):
        define(replace(settings, blocking=("pylnt",)))


def test_reports_live_under_the_reports_dir(settings: Settings) -> None:
    """Every job keeps its reports in <reports-dir>/<job>/, each declared file inside it."""
    pipeline = define(replace(settings, reports_dir=Path("out")))
    for job in pipeline.jobs:
        assert job.reports_folder == f"out/{job.name}"
        for role in job.files:
            assert job.report_path(role).startswith(f"out/{job.name}/"), (job.name, role)
    tests = pipeline.job("tests")
    assert tests.reports.junit and tests.reports.cobertura and tests.coverage_regex
    assert pipeline.job("pylint").reports.codequality
    assert pipeline.job("mypy").reports.codequality


def test_reports_must_name_declared_files() -> None:
    """A GitLab report or exposed link naming an undeclared file is refused when defined."""
    with pytest.raises(ValueError, match="job x reports undeclared files: junit"):
        Job(name="x", stage="test", description="x", reports=Reports(junit="junit"))
    with pytest.raises(ValueError, match="undeclared files: html"):
        Job(name="x", stage="test", description="x", files={"text": "x.txt"}, exposed=("x", "html"))


def test_only_wheel_install_insists_on_a_fresh_venv(settings: Settings) -> None:
    """The fresh-venv rule is a fact of the definition, not a name check elsewhere."""
    fresh = [job.name for job in define(settings).jobs if job.fresh_venv]
    assert fresh == ["wheel-install"]


def test_command_is_the_same_everywhere(settings: Settings) -> None:
    """Each job runs its own session alone; prerequisites arrive as artifacts."""
    for job in define(settings).jobs:
        assert job.command() == ("nox", "--no-dependencies", "-s", job.name)


def test_publish_is_never_interrupted(settings: Settings) -> None:
    """An upload must not be cancelled half-way, and two never run at once."""
    publish = define(settings).job("publish")
    assert not publish.interruptible
    assert publish.resource_group == "publish"
    with pytest.raises(KeyError):
        define(settings).job("deploy")


def test_coverage_regex_reads_the_total_line(settings: Settings) -> None:
    """GitLab's coverage regex finds the percentage in the tests session's TOTAL line."""
    pattern = define(settings).job("tests").coverage_regex
    assert pattern is not None and pattern.startswith("/") and pattern.endswith("/")
    line = "TOTAL                         883    432    196      4  47.2%"
    match = re.search(pattern[1:-1], line)
    assert match is not None and match.group(1) == "47.2"
    assert re.search(pattern[1:-1], "src/pkg/mod.py   10   0   100.0%") is None


@pytest.mark.parametrize(
    ("python", "shards", "copies"),
    [
        ((), 2, ["tests 1/2", "tests 2/2"]),
        (("3.11", "3.12"), 1, ["tests-3.11", "tests-3.12"]),
        (
            ("3.11", "3.12"),
            2,
            ["tests-3.11 1/2", "tests-3.11 2/2", "tests-3.12 1/2", "tests-3.12 2/2"],
        ),
    ],
    ids=["shards", "matrix", "matrix-and-shards"],
)
def test_fanned_out_tests_expand_into_copies_a_coverage_job_needs(
    settings: Settings, python: tuple[str, ...], shards: int, copies: list[str]
) -> None:
    """Each copy runs its own nox session (nox's naming) with GitLab's shard variables; the
    coverage job needs every copy and alone carries the coverage regex and Cobertura report."""
    pipeline = define(replace(settings, python=python, test_shards=shards))
    assert pipeline.job("coverage").needs == ("tests",)
    assert "coverage" in pipeline.job("publish").needs
    assert pipeline.job("tests").coverage_regex is None
    assert pipeline.job("tests").reports.cobertura is None
    assert pipeline.job("tests").report_path("junit") == "reports/tests/*/junit.xml"
    assert dict(pipeline.job("coverage").upstream_files) == {
        "junit": "reports/tests/*/junit.xml",
        "coverage-data": "reports/tests/*/.coverage",
    }
    assert [job.name for job in pipeline.jobs if job.coverage_regex] == ["coverage"]
    expanded = pipeline.expand()
    tests = [job for job in expanded.jobs if job.template == "tests"]
    assert [job.name for job in tests] == copies
    assert expanded.job("coverage").needs == tuple(copies)
    for job in tests:
        assert job.command()[-1] == (f"tests-{job.instance.python}" if python else "tests")
        shard = job.instance.shard
        expected = {"CI_NODE_INDEX": str(shard), "CI_NODE_TOTAL": str(shards)} if shard else {}
        assert job.environment() == expected


def test_one_python_and_one_shard_keep_the_plain_pipeline(settings: Settings) -> None:
    """No fan-out: no coverage job, tests reports as before, expand() changes nothing."""
    pipeline = define(replace(settings, python=("3.12",)))
    assert pipeline.names == DOCS_PIPELINE_JOBS
    assert pipeline.expand() == pipeline
    assert pipeline.job("tests").coverage_regex
    assert {job.pythons for job in pipeline.jobs if job.uses_venv} == {("3.12",)}


def test_the_matrix_covers_tests_and_wheel_install_only(settings: Settings) -> None:
    """Checks, build and coverage run on check-python; tests and wheel-install on each version."""
    pipeline = define(replace(settings, python=("3.11", "3.12"), check_python="3.12"))
    matrix = {job.name for job in pipeline.jobs if job.matrix}
    assert matrix == {"tests", "wheel-install"}
    for job in pipeline.jobs:
        if job.uses_venv and not job.matrix:
            assert job.pythons == ("3.12",), job.name


@pytest.mark.parametrize(
    ("pattern", "prefix", "tag", "matches"),
    [
        (r"^[0-9]+\.[0-9]+\.[0-9]+$", "", "1.2.3", True),
        (r"^[0-9]+\.[0-9]+\.[0-9]+$", "v", "v1.2.3", True),
        (r"^[0-9]+\.[0-9]+\.[0-9]+$", "v", "1.2.3", False),
        (r"^[0-9]+\.[0-9]+(\.[0-9]+)?$", "v", "v3.20", True),
        (r"[0-9]+$", "rel-", "rel-build-7", True),
        (r"[0-9]+$", "rel-", "build-7", False),
    ],
)
def test_gitlab_matches_release_tags_with_their_prefix(
    pattern: str, prefix: str, tag: str, matches: bool
) -> None:
    """The release job's tag rule sees whole tags: v1.2.3 matches when tag-prefix is v."""
    assert bool(re.search(whole_tag_pattern(pattern, prefix), tag)) is matches


#: (glob, folder, whether the glob may match a path below the folder): a submodule's own path is
#: what a merge request bumping it changes, so each job whose globs reach into it names it.
REACHES_BELOW = [
    ("**/*.py", "vendor/lib", True),
    ("src/pkg/**/*", "src/pkg/vendored", True),
    ("src/pkg/**/*", "vendor", False),
    ("src/*/data/*", "src/pkg", True),
    ("pyproject.toml", "vendor", False),
    ("requirements/**/*", "requirements/pinned", True),
    ("requirements/**/*", "docs/requirements", False),
    ("docs/*", "docs/theme", False),  # the submodule's path itself: matched as a path
    ("src/a\\[1\\]/**/*", "src/a[1]/x", True),  # escapes: any name (more, never fewer)
    ("{src,lib}/**/*", "tools", True),
]


@pytest.mark.parametrize(("glob", "folder", "below"), REACHES_BELOW)
def test_a_glob_reaches_below_a_folder_when_a_path_in_it_may_match(
    glob: str, folder: str, below: bool
) -> None:
    """Each row: reaches_below compares the glob with the folder name by name."""
    assert reaches_below(glob, folder) is below
