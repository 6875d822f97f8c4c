"""The ``coverage`` job: one report from every copy of the tests job (each Python, each shard).

It exists when the tests fan out (several Pythons or ``test-shards > 1``). Each copy of ``tests``
leaves its JUnit report and coverage data in its own folder (named by
:attr:`noxline.sharding.Instance.label`); the definition names both in this job's
``upstream_files``. The data is combined with the tests job's own coverage config (the same path
mapping from ``site-packages`` back to the source folder) into the one Cobertura XML, the HTML
report and the ``TOTAL … NN%`` line; coverage-fail-under is enforced once; the JUnit reports are
merged into one per Python, each listing every test once.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # nosec B405 - writes the merged report
from pathlib import Path

import nox

from noxline import confine
from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import choose_tool, remove_file, report_file, report_tools
from noxline.jobs.tests import (
    coverage_config,
    enforce_threshold,
    junit_counts,
    tests_ran,
    write_reports,
)
from noxline.pipeline import Job
from noxline.sharding import Instance, junit_totals, merge_junit, parse_label

#: (copy, its JUnit report or None, its coverage data files) of one Python's copies.
Copy = tuple[Instance, Path | None, list[Path]]


def copies_by_python(settings: Settings, job: Job) -> dict[str, list[Copy]]:
    """The tests copies' reports, by Python, for the Pythons and shard count configured.

    A Python whose shards are incomplete is refused; folders of other Pythons or of an unrelated
    earlier configuration are left out.
    """
    pythons = settings.matrix or ("",)
    found: dict[str, list[Copy]] = {python: [] for python in pythons}
    for folder, (junit, data) in sorted(_copy_folders(settings, job).items()):
        instance = parse_label(folder.name)
        if instance is None or instance.python not in found:
            continue
        if instance.shard and instance.shards != settings.test_shards:
            continue
        found[instance.python].append((instance, junit, sorted(data)))
    for python, copies in found.items():
        if not copies or any(not instance.shard for instance, _, _ in copies):
            continue
        missing = sorted(set(range(1, settings.test_shards + 1)) - {i.shard for i, _, _ in copies})
        if missing:
            where = f"tests-{python}" if python else "tests"
            raise NoxlineError(
                f"no reports of {where} shard {', '.join(map(str, missing))} of "
                f"{settings.test_shards}: run every shard (noxline run tests) first"
            )
    if not any(found.values()):
        raise NoxlineError(
            f"no test reports matching {job.upstream_files['junit']}: run the tests first "
            "(`nox -s coverage` does)"
        )
    return found


def _copy_folders(settings: Settings, job: Job) -> dict[Path, tuple[Path | None, list[Path]]]:
    """Each folder holding a copy's reports: its JUnit report (if any) and coverage data files."""
    junit_glob, data_glob = job.upstream_files["junit"], job.upstream_files["coverage-data"]
    folders: dict[Path, tuple[Path | None, list[Path]]] = {}
    for path in settings.project_dir.glob(junit_glob):
        folders[path.parent] = (path, [])
    # coverage's parallel mode names its files .coverage.<host>.<pid>.<random>
    for path in settings.project_dir.glob(data_glob + ".*"):
        folders.setdefault(path.parent, (None, []))[1].append(path)
    return folders


def merged_junit(settings: Settings, job: Job, python: str) -> Path:
    """Where one Python's merged JUnit report goes: ``junit-3.12.xml``, or ``junit.xml``."""
    path = report_file(settings, job, "junit")
    return path.with_name(f"{path.stem}-{python}{path.suffix}") if python else path


def _remove_earlier_outputs(settings: Settings, job: Job) -> None:
    """Delete this job's combined data and merged JUnit reports of an earlier run."""
    data_file = report_file(settings, job, "coverage-data")
    junit = report_file(settings, job, "junit")
    for old in [
        *data_file.parent.glob(data_file.name + "*"),
        *junit.parent.glob(f"{junit.stem}*{junit.suffix}"),
    ]:
        remove_file(settings, old)


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: combine coverage, write the reports, merge JUnit, enforce the threshold."""
    found = copies_by_python(settings, job)
    _remove_earlier_outputs(settings, job)
    for python, copies in found.items():
        if not copies:
            session.warn(f"no reports from tests-{python} (interpreter missing?): left out")
            continue
        reports = [report for _, report, _ in copies if report is not None]
        merged = merge_junit(reports, name=f"tests-{python}" if python else "tests")
        target = merged_junit(settings, job, python)
        confine.write_bytes(
            settings.project_dir,
            target,
            ET.tostring(merged.getroot(), encoding="utf-8", xml_declaration=True),
        )
        counts = junit_totals(merged.getroot())
        session.log(
            f"{target.name}: {counts['tests']} tests from {len(copies)} job(s), "
            f"{counts['failures']} failures, {counts['errors']} errors, {counts['skipped']} skipped"
        )
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for merged_path in (merged_junit(settings, job, python) for python in found):
        for key, value in (junit_counts(merged_path) or {}).items():
            totals[key] += value
    # Copies that together ran no test checked nothing (one copy may rightly have none).
    tests_ran(session, settings, job, totals)
    coverage_tool = choose_tool(session, settings, "coverage", "toml")
    session.install(coverage_tool.requirement)
    report_tools(session, settings, job, coverage_tool)
    rcfile = coverage_config(settings, job)
    data = [str(path) for copies in found.values() for _, _, files in copies for path in files]
    output = write_reports(session, rcfile, *data, table=True)
    if output is not None:
        enforce_threshold(session, settings, job, output)
