"""The ``pylint`` job: the score, judged against a threshold when there is one; text, HTML and
GitLab Code Quality reports."""

from __future__ import annotations

import re
from pathlib import Path

import nox

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import (
    choose_tool,
    judge,
    read_file,
    refuse_links,
    report_file,
    report_tools,
)
from noxline.pipeline import Job

#: pylint's reporters for GitLab (Code Quality, HTML), installed beside the pylint chosen.
COMPANIONS = ("pylint-gitlab>=2,<3",)

#: pylint's own folder (``PYLINTHOME``: its caches; the last scores ``--reports=y`` would compare
#: with are not kept, ``--persistent=n``), in nox's folder (which init has git ignore) instead of
#: the user's cache folder.
HOME_DIR = Path(".nox", "noxline-pylint-home")

_SCORE = re.compile(r"rated at (-?[0-9.]+)/10")


def score(report: str) -> float | None:
    """The score in pylint's text report, or None when pylint gave none."""
    found = _SCORE.findall(report)
    return float(found[-1]) if found else None


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: pylint over the lint paths, every report written in one pass, then the
    score judged by noxline (pylint itself never fails the job: its exit code mixes message
    kinds with the score)."""
    project = (*settings.runtime_requirements, *settings.test_requirements)
    pylint = choose_tool(session, settings, "pylint", installed_with=project)
    session.install(pylint.requirement, *COMPANIONS, *project)
    report_tools(session, settings, job, pylint)
    home = settings.project_dir / HOME_DIR
    refuse_links(settings, home)
    session.env["PYLINTHOME"] = str(home)
    text = report_file(settings, job, "text")
    formats = ",".join(
        (
            f"text:{text}",
            f"pylint_gitlab.GitlabCodeClimateReporter:{report_file(settings, job, 'codequality')}",
            f"pylint_gitlab.GitlabPagesHtmlReporter:{report_file(settings, job, 'html')}",
            "colorized",
        )
    )
    ran = session.run(
        "pylint",
        "--recursive=y",
        "--reports=y",
        # No "previous run" columns: the report says what these inputs give, whatever ran
        # before (a report the result cache restores is then the one a run would write).
        "--persistent=n",
        "--exit-zero",
        f"--output-format={formats}",
        # A namespace package's modules are named from the folder it is imported from.
        *([f"--source-roots={settings.namespace_root}"] if settings.namespace_root else []),
        *settings.lint_paths,
        *session.posargs,
    )
    if ran is None or not text.is_file():  # --install-only runs nothing
        return
    figure = score(read_file(settings, text))
    if figure is None:
        # pylint scores nothing when it checked no statement (no Python file in the paths).
        raise NoxlineError(
            f"pylint checked no statement in {' '.join(settings.lint_paths) or '.'} (no score, "
            f"see {text}): set lint-paths in [tool.noxline] to your Python folders"
        )
    judge(session, settings, job, "pylint", figure, settings.pylint_fail_under)
