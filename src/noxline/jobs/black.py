"""The ``black`` job (check mode, the diff as its report) and the ``format`` session that fixes."""

from __future__ import annotations

import nox

from noxline.config import Settings
from noxline.jobs._support import report_file, run_to_report
from noxline.pipeline import Job

REQUIREMENTS = ("black>=24",)


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: ``black --check --diff``; fails when a file would be reformatted."""
    session.install(*REQUIREMENTS)
    report = report_file(settings, job, "diff")
    run_to_report(session, report, "black", "--check", "--diff", *settings.lint_paths)


def format_code(session: nox.Session, settings: Settings) -> None:
    """Session body of ``format``: reformat the lint paths in place."""
    session.install(*REQUIREMENTS)
    session.run("black", *settings.lint_paths, *session.posargs)
