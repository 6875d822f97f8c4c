"""The ``ruff-check`` job: ``ruff check`` with the project's own ruff configuration (which files,
which rules); the findings as text and as GitLab Code Quality, in ruff's own ``gitlab`` format."""

from __future__ import annotations

import re

import nox

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import choose_tool, report_file, report_tools, run_to_report, summarize
from noxline.pipeline import Job

#: ruff's note when its configuration and the tree leave it nothing to check.
_NOTHING = "No Python files found"
#: ``Found 3 errors.``
_FOUND = re.compile(r"Found ([0-9]+) errors?")


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: ruff check over what the project's configuration selects (no paths of
    noxline's: ruff reads its include/exclude), text report, then the Code Quality report."""
    ruff = choose_tool(session, settings, "ruff")
    session.install(ruff.requirement)
    report_tools(session, settings, job, ruff)
    text = report_file(settings, job, "text")
    try:
        ran = run_to_report(session, text, "ruff", "check", "--output-format=full", "--no-cache")
    finally:
        session.run(
            "ruff",
            "check",
            "--exit-zero",
            "--no-cache",
            "--output-format=gitlab",
            f"--output-file={report_file(settings, job, 'codequality')}",
            silent=True,
        )
        if text.is_file():
            judge_checked(settings, job, text.read_text(encoding="utf-8", errors="replace"))
    if not ran:
        return


def judge_checked(settings: Settings, job: Job, output: str) -> None:
    """Summarise ruff's findings; a run that found no file to check is a failure."""
    if _NOTHING in output:
        raise NoxlineError(
            "ruff checked no file (its include and exclude settings left none): fix the ruff "
            "configuration, or leave ruff out of checks in [tool.noxline]"
        )
    found = _FOUND.findall(output)
    summarize(settings, job, f"{found[-1]} findings" if found else "no findings", append=True)
