"""Test sharding: which tests shard k of N runs, and JUnit reports merged back into one.

Pure functions, no processes: the ``tests`` job collects the suite's test ids with the test runner
itself, then asks :func:`shard_units` which test files (modules, the unit of the split) its shard
runs. A pytest file heavier than a shard's fair share is split into its single tests (node ids),
so one slow file cannot hold the whole stage back. Every unit goes to exactly one shard, so every
test runs exactly once across the shards. The split is balanced with the durations recorded in an
earlier JUnit report when one is given (heaviest unit first onto the least loaded shard), by test
count otherwise; ties are broken by name, so the split does not depend on the order in which the
tests were collected.

Which shard a process is comes from GitLab's ``CI_NODE_INDEX``/``CI_NODE_TOTAL`` (``parallel: N``,
also what ``noxline run`` sets), or from ``NOXLINE_SHARD`` where a ``parallel:matrix`` job carries
the shard number as a matrix variable (GitLab numbers matrix jobs across all their variables).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET  # nosec B405 - parses JUnit files our own test runs wrote
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from noxline import confine
from noxline.errors import NoxlineError

#: The shard number of a ``parallel:matrix`` job (1-based), as a matrix variable.
SHARD_VARIABLE = "NOXLINE_SHARD"

#: unittest's stand-in for a module that failed to import: ``unittest.loader._FailedTest.<module>``.
_FAILED_IMPORT = "unittest.loader._FailedTest."


@dataclass(frozen=True)
class Instance:
    """One copy of a fanned-out job: an interpreter of the matrix and/or one shard of N."""

    #: Python version ("3.12"); empty when the job has no matrix.
    python: str = ""
    #: 1-based shard number; 0 for a run of the whole suite.
    shard: int = 0
    shards: int = 1

    @property
    def label(self) -> str:
        """Folder name of this copy's reports: ``3.12``, ``3.12-1of2``, ``1of2`` or ``all``."""
        part = f"{self.shard}of{self.shards}" if self.shard else ""
        return "-".join(p for p in (self.python, part) if p) or "all"


_LABEL = re.compile(r"^(?:(?P<python>\d+\.\d+))?-?(?:(?P<shard>\d+)of(?P<shards>\d+))?\Z")


def parse_label(label: str) -> Instance | None:
    """The copy a reports folder name stands for; None for a name :attr:`label` never makes."""
    if label == "all":
        return Instance()
    match = _LABEL.match(label)
    if not match or not label or label.startswith("-") or label.endswith("-"):
        return None
    shard, shards = match["shard"], match["shards"]
    instance = Instance(match["python"] or "", int(shard or 0), int(shards or 1))
    return instance if instance.label == label else None


def shard_from_env(env: Mapping[str, str], shards: int) -> int:
    """The 1-based shard this process runs, 0 for the whole suite (no shard variables set).

    ``shards`` is the configured ``test-shards``; a ``CI_NODE_TOTAL`` that disagrees with it means
    the pipeline file is stale, which is refused rather than silently running the wrong part.
    """
    if shards <= 1:
        return 0
    explicit = env.get(SHARD_VARIABLE, "").strip()
    if explicit:
        return _shard_number(SHARD_VARIABLE, explicit, shards)
    index = env.get("CI_NODE_INDEX", "").strip()
    if not index:
        return 0
    total = env.get("CI_NODE_TOTAL", "").strip()
    if total != str(shards):
        raise NoxlineError(
            f"CI_NODE_TOTAL={total or '(unset)'} but test-shards = {shards}: run "
            "`noxline gitlab-ci` so the pipeline's `parallel:` matches [tool.noxline]"
        )
    return _shard_number("CI_NODE_INDEX", index, shards)


def _shard_number(variable: str, value: str, shards: int) -> int:
    """Parse a 1-based shard number, refusing one outside 1..shards."""
    # isascii: str.isdigit() also takes "²", which int() then refuses with a traceback.
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= shards:
        raise NoxlineError(
            f"{variable}={value} is not a shard number from 1 to {shards} (test-shards); "
            "unset it to run the whole suite"
        )
    return int(value)


def unit_of(test_id: str) -> str:
    """The file (as a dotted module, or a path for pytest) a collected test id belongs to.

    pytest ids look like ``tests/test_a.py::TestX::test_m``; unittest ids like
    ``tests.test_a.TestX.test_m`` (a module that fails to import: ``unittest.loader._FailedTest.
    tests.test_a``).
    """
    if "::" in test_id:
        return test_id.split("::", 1)[0]
    if test_id.startswith(_FAILED_IMPORT):
        return test_id[len(_FAILED_IMPORT) :]
    return test_id.rsplit(".", 2)[0] if test_id.count(".") >= 2 else test_id


def module_name(unit: str) -> str:
    """A unit as a dotted module name, the form JUnit ``classname`` attributes start with."""
    if unit.endswith(".py"):
        unit = unit[: -len(".py")]
    return unit.replace("\\", "/").strip("/").replace("/", ".")


def junit_key(test_id: str) -> str:
    """A collected test id as JUnit names the test, ``classname.name``.

    ``tests/test_a.py::TestX::test_m[a::b]`` is ``tests.test_a.TestX.test_m[a::b]`` (parameters
    kept as they are); a unittest id already is one.
    """
    if "::" not in test_id:
        return test_id
    path, _, rest = test_id.partition("::")
    name, bracket, parameters = rest.partition("[")
    return f"{module_name(path)}.{name.replace('::', '.')}{bracket}{parameters}"


def durations_from_junit(paths: Iterable[Path]) -> dict[str, float]:
    """Seconds per test, keyed ``classname.name`` as :func:`junit_key` names a collected test
    (summed over the reports); unreadable files count as none."""
    seconds: dict[str, float] = {}
    for path in paths:
        try:
            root = parse_xml(path)
        except (OSError, ET.ParseError, NoxlineError):
            continue  # a missing, torn or refused report only costs balance, never correctness
        for case in root.iter("testcase"):
            try:
                took = float(case.get("time", "0") or 0)
            except ValueError:
                took = 0.0
            if not math.isfinite(took):  # "nan", "inf": a report from anywhere (a CI cache)
                took = 0.0
            name = ".".join(part for part in (case.get("classname"), case.get("name")) if part)
            seconds[name] = seconds.get(name, 0.0) + max(took, 0.0)
    return seconds


def unit_weights(test_ids: Sequence[str], durations: Mapping[str, float]) -> dict[str, float]:
    """Each unit's expected cost: its recorded seconds, else its test count (scaled to seconds).

    Units the report does not know (new files) cost their test count times the mean recorded
    seconds per test, so a new file is neither free nor a giant.
    """
    counts: dict[str, int] = {}
    for test_id in test_ids:
        unit = unit_of(test_id)
        counts[unit] = counts.get(unit, 0) + 1
    recorded: dict[str, float] = {}
    for unit in counts:
        module = module_name(unit)
        total = sum(
            took
            for name, took in durations.items()
            if name == module or name.startswith(module + ".")
        )
        if total > 0:
            recorded[unit] = total
    known_tests = sum(counts[unit] for unit in recorded)
    per_test = sum(recorded.values()) / known_tests if known_tests else 1.0
    return {unit: recorded.get(unit, count * per_test) for unit, count in counts.items()}


def split(weights: Mapping[str, float], shards: int) -> list[list[str]]:
    """Split units into ``shards`` lists of about equal weight; each unit lands in exactly one.

    Greedy longest-processing-time: the heaviest unit first onto the lightest shard; ties by name
    (and by shard number), so the result depends only on the weights, not on their order.
    """
    if shards < 1:
        raise NoxlineError(f"test-shards = {shards}: the number of shards must be at least 1")
    loads = [0.0] * shards
    parts: list[list[str]] = [[] for _ in range(shards)]
    for unit in sorted(weights, key=lambda name: (-weights[name], name)):
        lightest = min(range(shards), key=lambda index: (loads[index], index))
        parts[lightest].append(unit)
        loads[lightest] += weights[unit]
    return [sorted(part) for part in parts]


def split_weights(
    test_ids: Sequence[str], durations: Mapping[str, float], shards: int
) -> dict[str, float]:
    """The units to split and their weights: test files, except that a pytest file heavier than
    a shard's fair share (one file holding most of a suite's time) is split into its tests.

    Each of those tests weighs its recorded seconds, else its file's mean per test. unittest
    files stay whole: its ``-k`` selects by substring, so one test's id could select another's.
    """
    weights = unit_weights(test_ids, durations)
    fair = sum(weights.values()) / max(shards, 1)
    tests_of: dict[str, set[str]] = {}
    for test_id in test_ids:
        tests_of.setdefault(unit_of(test_id), set()).add(test_id)
    units: dict[str, float] = {}
    for unit, weight in weights.items():
        tests = sorted(tests_of[unit])
        if shards < 2 or weight <= fair or len(tests) < 2 or "::" not in tests[0]:
            units[unit] = weight
        else:
            units.update(_test_weights(tests, durations, weight))
    return units


def _test_weights(
    tests: Sequence[str], durations: Mapping[str, float], file_weight: float
) -> dict[str, float]:
    """Each test of one file: its recorded seconds, else (new since the report) the file's mean."""
    recorded = {test: durations.get(junit_key(test)) for test in tests}
    known = [took for took in recorded.values() if took is not None]
    mean = (sum(known) / len(known)) if known else file_weight / len(tests)
    return {test: mean if took is None else took for test, took in recorded.items()}


def shard_units(
    test_ids: Sequence[str], shard: int, shards: int, durations: Mapping[str, float]
) -> list[str]:
    """What shard ``shard`` of ``shards`` runs, sorted: test files, and single tests (pytest node
    ids) of a file too heavy for one shard (see :func:`split_weights`)."""
    return split(split_weights(test_ids, durations, shards), shards)[shard - 1]


#: The largest JUnit report read (a suite of tens of thousands of tests stays far below).
MAX_JUNIT_BYTES = 64 * 1024 * 1024


def parse_xml(path: Path) -> ET.Element:
    """The root of the XML file ``path`` (a JUnit report), read through :mod:`noxline.confine`
    inside its folder: a committed test-durations file that is a link leading out, a FIFO or
    larger than :data:`MAX_JUNIT_BYTES` is one line, never read or waited for."""
    data = confine.read_bytes(path.parent, path.name, limit=MAX_JUNIT_BYTES)
    return ET.fromstring(data)  # nosec B314 - JUnit reports; expat refuses entity expansion bombs


def merge_junit(reports: Iterable[Path], name: str) -> ET.ElementTree[ET.Element[str]]:
    """One JUnit document holding every test case of ``reports``, with totals that add up.

    Each input's ``<testsuite>`` elements are kept as they are (both pytest's and
    unittest-xml-reporting's shapes), under one ``<testsuites name=...>`` whose counts are the sums.
    """
    merged = ET.Element("testsuites", name=name)
    for path in sorted(reports):
        try:
            root = parse_xml(path)
        except (OSError, ET.ParseError) as error:
            raise NoxlineError(
                f"cannot read the JUnit report {path} ({error}): re-run the tests job it came from"
            ) from None
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            merged.append(suite)
    totals = junit_totals(merged)
    for key, value in totals.items():
        merged.set(key, str(value))
    merged.set("time", f"{sum(float(s.get('time', '0') or 0) for s in merged):.3f}")
    return ET.ElementTree(merged)


def junit_totals(root: ET.Element) -> dict[str, int]:
    """Counts of test cases by outcome, from the ``<testcase>`` elements themselves."""
    cases = list(root.iter("testcase"))
    return {
        "tests": len(cases),
        "failures": sum(1 for case in cases if case.find("failure") is not None),
        "errors": sum(1 for case in cases if case.find("error") is not None),
        "skipped": sum(1 for case in cases if case.find("skipped") is not None),
    }


def junit_case_ids(root: ET.Element) -> list[str]:
    """``classname.name`` of every test case in a JUnit document (to check each runs once)."""
    return [f"{case.get('classname', '')}.{case.get('name', '')}" for case in root.iter("testcase")]


__all__ = [
    "Instance",
    "SHARD_VARIABLE",
    "durations_from_junit",
    "junit_case_ids",
    "junit_key",
    "junit_totals",
    "merge_junit",
    "parse_xml",
    "module_name",
    "parse_label",
    "shard_from_env",
    "shard_units",
    "split",
    "split_weights",
    "unit_of",
    "unit_weights",
]
