"""Test sharding: which tests shard k of N runs, and JUnit reports merged back into one.

Pure functions, no processes: the ``tests`` job collects the suite's test ids with the test runner
itself, then asks :func:`shard_units` which test files (modules, the unit of the split) its shard
runs. Every file goes to exactly one shard, so every test runs exactly once across the shards.
The split is balanced with the durations recorded in an earlier JUnit report when one is given
(longest file first onto the least loaded shard), by test count per file otherwise; ties are broken
by name, so the split does not depend on the order in which the tests were collected.

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


_LABEL = re.compile(r"^(?:(?P<python>\d+\.\d+))?-?(?:(?P<shard>\d+)of(?P<shards>\d+))?$")


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


def durations_from_junit(paths: Iterable[Path]) -> dict[str, float]:
    """Seconds per test ``classname`` (summed over the reports); unreadable files count as none."""
    seconds: dict[str, float] = {}
    for path in paths:
        try:
            root = ET.parse(path).getroot()  # nosec B314 - our own reports
        except (OSError, ET.ParseError):
            continue  # a missing or torn report only costs balance, never correctness
        for case in root.iter("testcase"):
            try:
                took = float(case.get("time", "0") or 0)
            except ValueError:
                took = 0.0
            if not math.isfinite(took):  # "nan", "inf": a report from anywhere (a CI cache)
                took = 0.0
            name = case.get("classname", "")
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


def shard_units(
    test_ids: Sequence[str], shard: int, shards: int, durations: Mapping[str, float]
) -> list[str]:
    """The units (test files) that shard ``shard`` of ``shards`` runs, sorted."""
    return split(unit_weights(test_ids, durations), shards)[shard - 1]


def merge_junit(reports: Iterable[Path], name: str) -> ET.ElementTree[ET.Element[str]]:
    """One JUnit document holding every test case of ``reports``, with totals that add up.

    Each input's ``<testsuite>`` elements are kept as they are (both pytest's and
    unittest-xml-reporting's shapes), under one ``<testsuites name=...>`` whose counts are the sums.
    """
    merged = ET.Element("testsuites", name=name)
    for path in sorted(reports):
        try:
            root = ET.parse(path).getroot()  # nosec B314 - our own reports
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
    "junit_totals",
    "merge_junit",
    "module_name",
    "parse_label",
    "shard_from_env",
    "shard_units",
    "split",
    "unit_of",
    "unit_weights",
]
