"""The ``docstr`` job: docstring coverage of the package with a threshold."""

from __future__ import annotations

import nox

from noxline.config import Settings
from noxline.jobs._support import reports_dir, run_to_report

REQUIREMENTS = ("docstr-coverage>=2.3",)


def run(session: nox.Session, settings: Settings) -> None:
    """Session body: docstr-coverage over the source folder; fails under ``docstr-fail-under``."""
    session.install(*REQUIREMENTS)
    report = reports_dir(settings, "docstr") / "docstr.txt"
    run_to_report(
        session,
        report,
        "docstr-coverage",
        str(settings.source_dir),
        f"--fail-under={settings.docstr_fail_under}",
        *session.posargs,
    )
