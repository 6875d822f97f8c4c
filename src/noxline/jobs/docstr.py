"""The ``docstr`` job: docstring coverage of the package, judged against a threshold when there
is one."""

from __future__ import annotations

import re

import nox

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import choose_tool, judge, report_file, report_tools, run_to_report
from noxline.pipeline import Job

_TOTAL = re.compile(r"Total coverage:\s*([0-9.]+)%")


def total(report: str) -> float | None:
    """The total docstring coverage in docstr-coverage's report, or None when it gave none."""
    found = _TOTAL.findall(report)
    return float(found[-1]) if found else None


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: docstr-coverage over the source folder; noxline judges the total."""
    tool = choose_tool(session, settings, "docstr-coverage")
    session.install(tool.requirement)
    report_tools(session, settings, job, tool)
    report = report_file(settings, job, "text")
    run_to_report(
        session,
        report,
        "docstr-coverage",
        str(settings.source_dir),
        "--fail-under=0",
        *session.posargs,
    )
    if not report.is_file() or not report.read_text(encoding="utf-8"):
        return  # --install-only runs nothing
    figure = total(report.read_text(encoding="utf-8"))
    if figure is None:
        raise NoxlineError(
            f"docstr-coverage gave no total (see {report}): check source-dir in [tool.noxline]"
        )
    judge(session, settings, job, "docstr", figure, settings.docstr_fail_under)
