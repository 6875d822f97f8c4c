"""The ``pylint`` job: a score threshold, with text, HTML and GitLab Code Quality reports."""

from __future__ import annotations

import nox

from noxline.config import Settings
from noxline.jobs._support import reports_dir

REQUIREMENTS = ("pylint>=3", "pylint-gitlab>=2")


def run(session: nox.Session, settings: Settings) -> None:
    """Session body: pylint over the lint paths, every report written in one pass."""
    session.install(*REQUIREMENTS, *settings.runtime_requirements, *settings.test_requirements)
    reports = reports_dir(settings, "pylint")
    formats = ",".join(
        (
            f"text:{reports / 'pylint.txt'}",
            f"pylint_gitlab.GitlabCodeClimateReporter:{reports / 'codequality.json'}",
            f"pylint_gitlab.GitlabPagesHtmlReporter:{reports / 'pylint.html'}",
            "colorized",
        )
    )
    session.run(
        "pylint",
        "--recursive=y",
        "--reports=y",
        f"--fail-under={settings.pylint_fail_under}",
        f"--output-format={formats}",
        *settings.lint_paths,
        *session.posargs,
    )
