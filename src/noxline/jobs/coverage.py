"""The ``coverage`` job: one report from every copy of the tests job (each Python, each shard).

It exists when the tests fan out (several Pythons or ``test-shards > 1``). Each copy of ``tests``
leaves its coverage data and JUnit report in ``<reports>/tests/<label>/`` (see
:class:`noxline.sharding.Instance`); this job combines the data with the tests job's own coverage
config (the same path mapping from ``site-packages`` back to the source folder), writes the one
Cobertura XML, the HTML report and the ``TOTAL … NN%`` line, enforces coverage-fail-under once,
and merges the JUnit reports into one per Python, each listing every test once.
"""

from __future__ import annotations

from pathlib import Path

import nox

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import reports_dir
from noxline.jobs.tests import COVERAGE, coverage_config, enforce_threshold, write_reports
from noxline.sharding import Instance, junit_totals, merge_junit, parse_label


def copies_by_python(settings: Settings) -> dict[str, list[tuple[Instance, Path]]]:
    """The tests copies' report folders, by Python, for the Pythons and shard count configured.

    A Python whose copies are incomplete (a shard missing) is refused; folders of other Pythons or
    of an unrelated earlier configuration are left out.
    """
    root = settings.project_dir / settings.reports_for("tests")
    pythons = settings.matrix or ("",)
    found: dict[str, list[tuple[Instance, Path]]] = {python: [] for python in pythons}
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        instance = parse_label(folder.name)
        if instance is None or not folder.is_dir() or instance.python not in found:
            continue
        if instance.shard and instance.shards != settings.test_shards:
            continue
        found[instance.python].append((instance, folder))
    for python, copies in found.items():
        if not copies or any(not instance.shard for instance, _ in copies):
            continue
        missing = sorted(set(range(1, settings.test_shards + 1)) - {i.shard for i, _ in copies})
        if missing:
            where = f"tests-{python}" if python else "tests"
            raise NoxlineError(
                f"no reports of {where} shard {', '.join(map(str, missing))} of "
                f"{settings.test_shards} in {root}: run every shard (noxline run tests) first"
            )
    if not any(found.values()):
        raise NoxlineError(
            f"no test reports in {root}: run the tests first (`nox -s coverage` does)"
        )
    return found


def merged_junit_name(python: str) -> str:
    """File name of one Python's merged JUnit report: ``junit-3.12.xml``, or ``junit.xml``."""
    return f"junit-{python}.xml" if python else "junit.xml"


def run(session: nox.Session, settings: Settings) -> None:
    """Session body: combine coverage, write the reports, merge JUnit, enforce the threshold."""
    found = copies_by_python(settings)
    reports = reports_dir(settings, "coverage")
    for old in [*reports.glob(".coverage*"), *reports.glob("junit*.xml")]:
        old.unlink()
    for python, copies in found.items():
        if not copies:
            session.warn(f"no reports from tests-{python} (interpreter missing?): left out")
            continue
        junit = [folder / "junit.xml" for _, folder in copies if (folder / "junit.xml").is_file()]
        merged = merge_junit(junit, name=f"tests-{python}" if python else "tests")
        merged.write(reports / merged_junit_name(python), encoding="utf-8", xml_declaration=True)
        counts = junit_totals(merged.getroot())
        session.log(
            f"{merged_junit_name(python)}: {counts['tests']} tests from {len(copies)} job(s), "
            f"{counts['failures']} failures, {counts['errors']} errors, {counts['skipped']} skipped"
        )
    session.install(COVERAGE)
    rcfile = f"--rcfile={coverage_config(settings, reports)}"
    data = [str(folder) for copies in found.values() for _, folder in copies]
    write_reports(session, rcfile, *data)
    enforce_threshold(session, settings, rcfile)
