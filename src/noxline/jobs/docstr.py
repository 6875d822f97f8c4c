"""The ``docstr`` job: docstring coverage of the package with a threshold."""

from __future__ import annotations

import nox

from noxline.config import Settings
from noxline.jobs._support import report_file, run_to_report
from noxline.pipeline import Job

REQUIREMENTS = ("docstr-coverage>=2.3",)


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: docstr-coverage over the source folder; fails under ``docstr-fail-under``."""
    session.install(*REQUIREMENTS)
    report = report_file(settings, job, "text")
    run_to_report(
        session,
        report,
        "docstr-coverage",
        str(settings.source_dir),
        f"--fail-under={settings.docstr_fail_under}",
        *session.posargs,
    )
