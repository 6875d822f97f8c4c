"""The split of a suite over shards, shard numbers from the environment, JUnit merging."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from noxline.errors import NoxlineError
from noxline.sharding import (
    Instance,
    durations_from_junit,
    junit_key,
    junit_case_ids,
    junit_totals,
    merge_junit,
    module_name,
    parse_label,
    shard_from_env,
    shard_units,
    split_weights,
    split,
    unit_of,
    unit_weights,
)

#: A pytest suite of 7 files with uneven sizes: file i holds i + 1 tests.
PYTEST_IDS = [f"tests/test_{i}.py::test_{j}" for i in range(7) for j in range(i + 1)]
#: The same shape as unittest ids.
UNITTEST_IDS = [f"tests.test_{i}.Case.test_{j}" for i in range(7) for j in range(i + 1)]


@pytest.mark.parametrize(
    ("test_id", "unit"),
    [
        ("tests/test_a.py::test_m", "tests/test_a.py"),
        ("tests/test_a.py::TestX::test_m[a::b]", "tests/test_a.py"),
        ("tests.test_a.TestX.test_m", "tests.test_a"),
        ("test_a.TestX.test_m", "test_a"),
        ("unittest.loader._FailedTest.tests.test_broken", "tests.test_broken"),
    ],
)
def test_unit_of_a_test_is_its_file(test_id: str, unit: str) -> None:
    """pytest node ids and unittest ids both map to the module they live in."""
    assert unit_of(test_id) == unit


@pytest.mark.parametrize(
    ("unit", "module"),
    [("tests/test_a.py", "tests.test_a"), ("tests.test_a", "tests.test_a"), ("a/b/c.py", "a.b.c")],
)
def test_module_names_match_junit_classnames(unit: str, module: str) -> None:
    """A unit's dotted module is the prefix of its JUnit classnames."""
    assert module_name(unit) == module


@pytest.mark.parametrize("ids", [PYTEST_IDS, UNITTEST_IDS], ids=["pytest", "unittest"])
@pytest.mark.parametrize("shards", [1, 2, 3, 7, 10])
def test_every_test_runs_exactly_once(ids: list[str], shards: int) -> None:
    """Across the shards each test is selected exactly once, whether its file went whole to one
    shard or (a pytest file heavier than a shard's share) was split into its tests."""
    parts = [shard_units(ids, k, shards, {}) for k in range(1, shards + 1)]
    selected = [test for part in parts for unit in part for test in selects(ids, unit)]
    assert sorted(selected) == sorted(ids)


def selects(ids: list[str], unit: str) -> list[str]:
    """The tests a shard's unit runs: a whole file's, or the one test a node id names."""
    return [unit] if unit in ids else [test for test in ids if unit_of(test) == unit]


def test_a_file_heavier_than_a_shard_is_split_into_its_tests() -> None:
    """Werkzeug's shape: one file holds most of the time. Its tests are spread over the shards
    by their recorded seconds (a new test costs the file's mean); light files stay whole; unittest
    files never split (its -k selects by substring)."""
    ids = [f"tests/test_routing.py::test_{j}" for j in range(6)] + [
        "tests/test_a.py::test_x",
        "tests/test_b.py::TestB::test_y[p::q]",
    ]
    durations = {f"tests.test_routing.test_{j}": 1.0 for j in range(5)} | {
        "tests.test_a.test_x": 0.5,
        "tests.test_b.TestB.test_y[p::q]": 0.5,
    }
    weights = split_weights(ids, durations, 2)
    assert weights == {f"tests/test_routing.py::test_{j}": 1.0 for j in range(6)} | {
        "tests/test_a.py": 0.5,
        "tests/test_b.py": 0.5,
    }
    loads = [sum(weights[unit] for unit in shard_units(ids, k, 2, durations)) for k in (1, 2)]
    assert loads == [3.5, 3.5]
    unittest_ids = [f"tests.test_big.Case.test_{j}" for j in range(6)] + ["tests.test_a.C.t"]
    assert set(split_weights(unittest_ids, {}, 2)) == {"tests.test_big", "tests.test_a"}


@pytest.mark.parametrize(
    ("test_id", "key"),
    [
        ("tests/test_a.py::test_m", "tests.test_a.test_m"),
        ("tests/test_a.py::TestX::test_m[a::b]", "tests.test_a.TestX.test_m[a::b]"),
        ("tests.test_a.TestX.test_m", "tests.test_a.TestX.test_m"),
    ],
)
def test_a_collected_test_is_named_as_junit_names_it(test_id: str, key: str) -> None:
    """pytest's node ids become JUnit's classname.name, parameters untouched."""
    assert junit_key(test_id) == key


@pytest.mark.parametrize("ids", [PYTEST_IDS, UNITTEST_IDS], ids=["pytest", "unittest"])
def test_the_split_does_not_depend_on_collection_order(ids: list[str]) -> None:
    """Shuffled ids (another runner's order, another machine) give the very same split."""
    shuffled = list(ids)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        for shard in (1, 2, 3):
            assert shard_units(shuffled, shard, 3, {}) == shard_units(ids, shard, 3, {})


def test_without_durations_the_shards_carry_equal_test_counts() -> None:
    """28 tests in files of 1..7 tests: 2 shards get 14 each (greedy fits exactly here)."""
    parts = [shard_units(PYTEST_IDS, k, 2, {}) for k in (1, 2)]
    counts = [sum(1 for t in PYTEST_IDS if unit_of(t) in part) for part in parts]
    assert counts == [14, 14]


def test_recorded_durations_outweigh_test_counts() -> None:
    """One slow file with a single test gets a shard to itself; the rest share the other."""
    ids = [f"tests.test_{i}.Case.test_{j}" for i in range(4) for j in range(5)] + [
        "tests.test_slow.Case.test_it"
    ]
    durations = {f"tests.test_{i}.Case": 0.5 for i in range(4)} | {"tests.test_slow.Case": 30.0}
    assert shard_units(ids, 1, 2, durations) == ["tests.test_slow"]
    assert shard_units(ids, 2, 2, durations) == [f"tests.test_{i}" for i in range(4)]


@pytest.mark.parametrize(
    ("durations", "expected"),
    [
        ({}, {"tests/test_a.py": 2.0, "tests/test_b.py": 1.0}),
        ({"tests.test_a": 4.0}, {"tests/test_a.py": 4.0, "tests/test_b.py": 2.0}),
        (
            {"tests.test_a.Case": 1.0, "tests.test_ab": 9.0},
            {"tests/test_a.py": 1.0, "tests/test_b.py": 0.5},
        ),
    ],
    ids=["counts", "new-file-costs-the-mean", "prefix-is-a-module-not-a-string"],
)
def test_unit_weights(durations: dict[str, float], expected: dict[str, float]) -> None:
    """Recorded seconds where known; unknown files cost their tests times the mean per test."""
    ids = ["tests/test_a.py::t1", "tests/test_a.py::t2", "tests/test_b.py::t1"]
    assert unit_weights(ids, durations) == expected


def test_more_shards_than_files_leaves_some_empty() -> None:
    """Two files over four shards: two shards run nothing rather than something twice."""
    parts = split({"a": 1.0, "b": 1.0}, 4)
    assert sorted(len(part) for part in parts) == [0, 0, 1, 1]


def test_zero_shards_is_refused() -> None:
    """A split needs at least one shard."""
    with pytest.raises(NoxlineError, match="at least 1"):
        split({"a": 1.0}, 0)


@pytest.mark.parametrize(
    ("env", "shards", "expected"),
    [
        ({}, 2, 0),
        ({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}, 2, 2),
        ({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}, 1, 0),
        ({"NOXLINE_SHARD": "1", "CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "4"}, 2, 1),
    ],
    ids=["local-whole-suite", "parallel-n", "not-sharded", "matrix-variable-wins"],
)
def test_shard_from_env(env: dict[str, str], shards: int, expected: int) -> None:
    """GitLab's node variables, or the matrix variable, name the shard; none means everything."""
    assert shard_from_env(env, shards) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"}, "CI_NODE_TOTAL=3 but test-shards = 2"),
        ({"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "2"}, "CI_NODE_INDEX=3 is not a shard number"),
        ({"NOXLINE_SHARD": "x"}, "NOXLINE_SHARD=x is not a shard number"),
        # A superscript two is a digit to str.isdigit(), not to int().
        ({"CI_NODE_INDEX": "\u00b2", "CI_NODE_TOTAL": "2"}, "CI_NODE_INDEX=\u00b2 is not a shard"),
    ],
)
def test_bad_shard_variables_are_refused(env: dict[str, str], message: str) -> None:
    """A stale pipeline or a wrong variable stops the job with the fix, never a wrong split."""
    with pytest.raises(NoxlineError, match=message):
        shard_from_env(env, 2)


@pytest.mark.parametrize(
    ("instance", "label"),
    [
        (Instance(), "all"),
        (Instance("3.12"), "3.12"),
        (Instance("3.12", 1, 2), "3.12-1of2"),
        (Instance("", 2, 3), "2of3"),
    ],
)
def test_labels_round_trip(instance: Instance, label: str) -> None:
    """Each copy's reports folder name says which copy it is, and reads back."""
    assert instance.label == label
    assert parse_label(label) == instance


@pytest.mark.parametrize("name", ["html", "3.12-", "-1of2", "junit.xml", ""])
def test_foreign_folders_are_no_labels(name: str) -> None:
    """Other folders next to the copies' are not mistaken for one."""
    assert parse_label(name) is None


def _junit(path: Path, suite: str, cases: list[tuple[str, str, float, str]]) -> Path:
    """Write a JUnit file: (classname, name, seconds, outcome tag or "")."""
    root = ET.Element("testsuites")
    node = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)))
    for classname, name, seconds, outcome in cases:
        case = ET.SubElement(node, "testcase", classname=classname, name=name, time=str(seconds))
        if outcome:
            ET.SubElement(case, outcome)
    ET.ElementTree(root).write(path)
    return path


def test_merged_junit_holds_every_case_once_with_totals_that_add_up(tmp_path: Path) -> None:
    """Two shards' reports merge into one whose counts are the sums of the cases."""
    first = _junit(
        tmp_path / "1.xml", "s1", [("t.a.C", "x", 1.0, ""), ("t.a.C", "y", 2.0, "failure")]
    )
    second = _junit(tmp_path / "2.xml", "s2", [("t.b.C", "z", 0.5, "skipped")])
    merged = merge_junit([second, first], name="tests-3.12").getroot()
    assert sorted(junit_case_ids(merged)) == ["t.a.C.x", "t.a.C.y", "t.b.C.z"]
    assert junit_totals(merged) == {"tests": 3, "failures": 1, "errors": 0, "skipped": 1}
    assert merged.get("tests") == "3" and merged.get("failures") == "1"
    assert merged.get("name") == "tests-3.12"


def test_a_torn_junit_report_is_named(tmp_path: Path) -> None:
    """A report that is not XML stops the merge with its path."""
    torn = tmp_path / "junit.xml"
    torn.write_text("<testsuites><testsuite>", encoding="utf-8")
    with pytest.raises(NoxlineError, match="cannot read the JUnit report .*junit.xml"):
        merge_junit([torn], name="tests")


def test_durations_sum_over_reports_and_skip_unreadable_ones(tmp_path: Path) -> None:
    """Seconds per test (classname.name) over several reports; a missing file only costs
    balance."""
    one = _junit(tmp_path / "1.xml", "s", [("t.a.C", "x", 1.0, ""), ("t.a.C", "y", 2.0, "")])
    two = _junit(tmp_path / "2.xml", "s", [("t.a.C", "x", 0.5, "")])
    assert durations_from_junit([one, two, tmp_path / "missing.xml"]) == {
        "t.a.C.x": 1.5,
        "t.a.C.y": 2.0,
    }


@pytest.mark.parametrize("time", ["nan", "inf", "-3", "soon"])
def test_a_durations_time_that_is_no_duration_counts_as_none(tmp_path: Path, time: str) -> None:
    """A report from a shared CI cache could say anything: only real seconds weigh a file."""
    report = tmp_path / "junit.xml"
    report.write_text(
        f'<testsuite><testcase classname="t.a.C" name="x" time="{time}"/>'
        '<testcase classname="t.a.C" name="y" time="2"/></testsuite>',
        encoding="utf-8",
    )
    assert durations_from_junit([report]) == {"t.a.C.x": 0.0, "t.a.C.y": 2.0}
