"""The ``black`` job (check mode, the diff as its report) and the ``format`` session that fixes."""

from __future__ import annotations

import re

import nox

from noxline.config import Settings
from noxline.jobs._support import (
    choose_tool,
    constrain,
    judge_formatting,
    report_file,
    report_tools,
    run_to_report,
)
from noxline.pipeline import Job


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: ``black --check --diff``; fails when a file would be reformatted."""
    black = choose_tool(session, settings, "black")
    session.install(black.requirement)
    report_tools(session, settings, job, black)
    report = report_file(settings, job, "diff")
    if run_to_report(session, report, "black", "--check", "--diff", *settings.lint_paths):
        judge_checked(settings, job, report.read_text(encoding="utf-8", errors="replace"))


#: black's closing counts: ``3 files would be reformatted, 12 files would be left unchanged.``
_COUNT = re.compile(r"([0-9]+) files? would (be reformatted|be left unchanged|fail to reformat)")


def judge_checked(settings: Settings, job: Job, output: str) -> None:
    """Summarise how many files black checked; none checked is a failure, not a pass (black
    itself exits 0 when it finds no file)."""
    judge_formatting(
        settings,
        job,
        {kind: int(number) for number, kind in _COUNT.findall(output)},
        "be reformatted",
        f"black checked no file in {' '.join(settings.lint_paths) or '.'} (its own include and "
        "exclude settings apply): set lint-paths in [tool.noxline] to your Python folders",
    )


def format_code(session: nox.Session, settings: Settings) -> None:
    """Session body of ``format``: reformat in place with the project's formatter (ruff format
    when ruff is its check and black is not, else black over the lint paths)."""
    constrain(session, settings)  # the project's lock decides the formatter's version here too
    if "ruff" in settings.checks and "black" not in settings.checks:
        session.install(choose_tool(session, settings, "ruff").requirement)
        session.run("ruff", "format", "--no-cache", *session.posargs)
        return
    session.install(choose_tool(session, settings, "black").requirement)
    session.run("black", *settings.lint_paths, *session.posargs)
