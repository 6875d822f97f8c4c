"""The ``pylint`` job: a score threshold, with text, HTML and GitLab Code Quality reports."""

from __future__ import annotations

import nox

from noxline.config import Settings
from noxline.jobs._support import report_file
from noxline.pipeline import Job

REQUIREMENTS = ("pylint>=3", "pylint-gitlab>=2")


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: pylint over the lint paths, every report written in one pass."""
    session.install(*REQUIREMENTS, *settings.runtime_requirements, *settings.test_requirements)
    formats = ",".join(
        (
            f"text:{report_file(settings, job, 'text')}",
            f"pylint_gitlab.GitlabCodeClimateReporter:{report_file(settings, job, 'codequality')}",
            f"pylint_gitlab.GitlabPagesHtmlReporter:{report_file(settings, job, 'html')}",
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
