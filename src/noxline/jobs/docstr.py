"""The ``docstr`` job: docstring coverage of the package, judged against a threshold when there
is one."""

from __future__ import annotations

import re

import nox

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import (
    choose_tool,
    judge,
    read_file,
    report_file,
    report_tools,
    run_to_report,
)
from noxline.pipeline import Job
from noxline.project import DOCSTR_CONFIG, docstr_settings

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
    # The project's .docstr.yaml naming its paths decides what is checked (a path on the command
    # line would replace them); its other options apply either way.
    own_paths = bool(docstr_settings(settings.project_dir).get("paths"))
    where = f"the paths {DOCSTR_CONFIG} names" if own_paths else settings.source_dir.as_posix()
    ran = run_to_report(
        session,
        report,
        "docstr-coverage",
        *(() if own_paths else (str(settings.source_dir),)),
        # Its fail_under (read as the docstr-fail-under threshold) is judged by noxline, once.
        "--fail-under=0",
        # No Python file found: no total, which noxline judges below in its own one line.
        "--accept-empty",
        *session.posargs,
    )
    if not ran:
        return  # --install-only runs nothing
    figure = total(read_file(settings, report))
    if figure is None:
        # No total: it found no Python file there, so it checked no object.
        raise NoxlineError(
            f"docstr-coverage checked nothing in {where} (no total, see {report}): "
            + (
                f"fix paths in {DOCSTR_CONFIG}"
                if own_paths
                else "set source-dir in [tool.noxline] to the package's folder"
            )
        )
    judge(session, settings, job, "docstr", figure, settings.docstr_fail_under)
