"""The pipeline definition: stages, needs, allow_failure as in the seed; blocking flips checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from noxline.config import Settings, load_settings, replace
from noxline.errors import ConfigError
from noxline.pipeline import CHECKS, STAGES, define
from tests.helpers import PIPELINE_JOBS
from tests.unit._projects import write_project


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """Settings of a fresh tiny project."""
    return load_settings(write_project(tmp_path))


def test_jobs_in_stage_order_mirror_the_seed(settings: Settings) -> None:
    """Nine jobs, named like the sessions, in the seed's stage order."""
    pipeline = define(settings)
    assert pipeline.names == PIPELINE_JOBS
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
    assert pipeline.job("version").reports.dotenv == "reports/version/version.env"
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
    """Every job keeps its reports in <reports-dir>/<job>; tests carries GitLab's reports."""
    pipeline = define(replace(settings, reports_dir=Path("out")))
    for job in pipeline.jobs:
        assert job.reports_dir == f"out/{job.name}"
    tests = pipeline.job("tests")
    assert tests.reports.junit == "out/tests/junit.xml"
    assert tests.reports.cobertura == "out/tests/coverage.xml"
    assert tests.coverage_regex is not None
    assert pipeline.job("pylint").reports.codequality == "out/pylint/codequality.json"


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
