"""The ``ruff-format`` job: ``ruff format --check --diff`` with the project's own configuration;
the diff is the report (``nox -s format`` reformats)."""

from __future__ import annotations

import re

import nox

from noxline.config import Settings
from noxline.jobs._support import (
    choose_tool,
    FORMATTER_FINDINGS,
    judge_formatting,
    read_file,
    report_file,
    report_tools,
    run_to_report,
)

from noxline.pipeline import Job

#: ``3 files would be reformatted, 12 files already formatted``.
_COUNT = re.compile(r"([0-9]+) files? (would be reformatted|already formatted)")


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: ruff format in check mode over what the project's configuration selects."""
    ruff = choose_tool(session, settings, "ruff")
    session.install(ruff.requirement)
    report_tools(session, settings, job, ruff)
    report = report_file(settings, job, "diff")
    if run_to_report(
        session,
        report,
        "ruff",
        "format",
        "--check",
        "--diff",
        "--no-cache",
        success_codes=FORMATTER_FINDINGS,
    ):
        judge_checked(settings, job, read_file(settings, report))


def judge_checked(settings: Settings, job: Job, output: str) -> None:
    """Summarise how many files ruff format checked; none is a failure."""
    judge_formatting(
        settings,
        job,
        {kind: int(number) for number, kind in _COUNT.findall(output)},
        "would be reformatted",
        "ruff format checked no file (its include and exclude settings left none): fix the ruff "
        "configuration, or leave ruff out of checks in [tool.noxline]",
    )
