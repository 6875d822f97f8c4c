"""A Python matrix and test shards, for real: `noxline run` on CPython 3.11 and 3.12 (pyenv), two
shards each, against the same project unsharded; pytest shards; `nox -s tests` still runs all."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e._fanout import (
    PYTHONS,
    case_ids,
    cobertura_percent,
    make_fanned_project,
    run_module,
)

MATRIX = f"python = {list(PYTHONS)!r}".replace("'", '"')


@dataclass(frozen=True)
class Run:
    """One `noxline run` in a project: its output and exit code."""

    project: Path
    returncode: int
    output: str

    def reports(self, *parts: str) -> Path:
        """A path under the project's reports folder."""
        return self.project.joinpath("reports", *parts)


def noxline_run(project: Path, *args: str) -> Run:
    """`noxline run ARGS` in ``project`` with pyenv's 3.12 reachable."""
    done = run_module(project, "noxline.cli", "run", *args)
    return Run(project, done.returncode, done.stdout + done.stderr)


@pytest.fixture(name="runs", scope="module")
def runs_fixture(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """The matrix sharded (run twice: the second balances by the first's durations) and not."""
    sharded = make_fanned_project(tmp_path_factory.mktemp("sharded"), f"{MATRIX}\ntest-shards = 2")
    whole = make_fanned_project(tmp_path_factory.mktemp("whole"), MATRIX)
    return {
        "sharded": noxline_run(sharded, "coverage", "-j", "4"),
        "whole": noxline_run(whole, "coverage", "-j", "2"),
        "again": noxline_run(sharded, "coverage", "-j", "4"),
    }


def test_both_runs_are_green(runs: dict[str, Run]) -> None:
    """Every copy and the coverage job pass, sharded or not."""
    for name, run in runs.items():
        assert run.returncode == 0, (name, run.output)
    for python in PYTHONS:
        for shard in (1, 2):
            assert f"tests-{python} {shard}/2" in runs["sharded"].output
        assert f"tests-{python} " in runs["whole"].output


def test_shards_really_split_and_each_version_lists_every_test_once(
    runs: dict[str, Run],
) -> None:
    """Per version the two shards ran disjoint, non-empty parts; the merged JUnit of each version
    holds exactly the tests of the unsharded run, each once."""
    sharded, whole = runs["sharded"], runs["whole"]
    for python in PYTHONS:
        parts = [
            case_ids(sharded.reports("tests", f"{python}-{k}of2", "junit.xml")) for k in (1, 2)
        ]
        assert all(parts), parts
        assert not set(parts[0]) & set(parts[1])
        expected = case_ids(whole.reports("coverage", f"junit-{python}.xml"))
        assert len(expected) == 7 and len(set(expected)) == 7
        merged = sharded.reports("coverage", f"junit-{python}.xml")
        assert case_ids(merged) == expected == sorted(parts[0] + parts[1])
        assert ET.parse(merged).getroot().get("tests") == "7"


def test_combined_coverage_equals_the_unsharded_run(runs: dict[str, Run]) -> None:
    """One figure from four jobs equals the figure from the whole suite (±0.1 %), and is below
    100 %, so the shards' partial coverage really had to be combined."""
    sharded = cobertura_percent(runs["sharded"].reports("coverage", "coverage.xml"))
    whole = cobertura_percent(runs["whole"].reports("coverage", "coverage.xml"))
    assert abs(sharded - whole) <= 0.1, (sharded, whole)
    assert 50 < sharded < 100
    total_lines = [line for line in runs["sharded"].output.splitlines() if "TOTAL" in line]
    assert not total_lines  # the summary shows no per-copy figure; the coverage log has the one
    log = runs["sharded"].reports("coverage", "job.log").read_text(encoding="utf-8")
    assert sum(1 for line in log.splitlines() if line.startswith("TOTAL")) == 1


def test_a_second_run_balances_by_the_recorded_durations(runs: dict[str, Run]) -> None:
    """The first run's merged JUnit reports feed the next split; the first had only counts."""
    log = runs["again"].reports("tests", "job-3.11-1of2.log").read_text(encoding="utf-8")
    assert "balanced by recorded durations" in log


def test_pytest_shards_and_a_local_run_of_everything(tmp_path: Path) -> None:
    """pytest gets each shard's files; three shards cover three files once; `nox -s tests` then
    runs the whole suite into its own folder and drops the shards' stale reports."""
    project = make_fanned_project(tmp_path, 'test-runner = "pytest"\ntest-shards = 3')
    run = noxline_run(project, "coverage", "-j", "3")
    assert run.returncode == 0, run.output
    parts = [case_ids(run.reports("tests", f"{k}of3", "junit.xml")) for k in (1, 2, 3)]
    assert all(len(part) in (2, 3) for part in parts), parts
    merged = case_ids(run.reports("coverage", "junit.xml"))
    assert merged == sorted(parts[0] + parts[1] + parts[2]) and len(set(merged)) == 7
    done = run_module(project, "nox", "-s", "tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert case_ids(run.reports("tests", "all", "junit.xml")) == merged
    assert not list(run.reports("tests").glob("*of3"))
