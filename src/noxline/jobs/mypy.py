"""The ``mypy`` job: type checks with text, HTML and GitLab Code Quality reports."""

from __future__ import annotations

import os
import re

import nox

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import (
    choose_tool,
    report_file,
    report_tools,
    run_to_report,
    summarize,
)
from noxline.pipeline import Job

#: The HTML report's and the Code Quality report's helpers, installed beside the mypy chosen.
COMPANIONS = ("lxml>=5", "mypy-gitlab-code-quality>=1.1,<2")

# mypy-gitlab-code-quality reads mypy's text output; feed it the saved report file.
_TO_CODE_QUALITY = (
    "import json, sys; from mypy_gitlab_code_quality import generate_report; "
    "lines = map(str.rstrip, open(sys.argv[1], encoding='utf-8')); "
    "json.dump(generate_report(lines), open(sys.argv[2], 'w', encoding='utf-8'), indent=2)"
)


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: mypy over the lint paths with the project's own mypy config."""
    project = (*settings.runtime_requirements, *settings.test_requirements)
    mypy = choose_tool(session, settings, "mypy", installed_with=project)
    session.install(mypy.requirement, *COMPANIONS, *project)
    report_tools(session, settings, job, mypy)
    text = report_file(settings, job, "text")
    namespace: tuple[str, ...] = ()
    if settings.namespace_root is not None:
        # mypy names a module by the __init__.py folders above it, which stop at a namespace
        # folder (acme/): module names start at the folder the package is imported from instead.
        namespace = ("--explicit-package-bases",)
        session.env["MYPYPATH"] = os.pathsep.join(
            filter(None, (str(settings.namespace_root), os.environ.get("MYPYPATH", "")))
        )
    ran = False
    try:
        ran = run_to_report(
            session,
            text,
            "mypy",
            "--html-report",
            str(report_file(settings, job, "html")),
            "--show-error-codes",
            *namespace,
            # The project's own configuration names its files: mypy checks exactly those.
            *(() if settings.mypy_targets else settings.lint_paths),
            *session.posargs,
        )
    finally:
        codequality = report_file(settings, job, "codequality")
        session.run("python", "-c", _TO_CODE_QUALITY, str(text), str(codequality))
        if text.is_file():  # failed too: say what was checked; only a pass can be empty
            output = text.read_text(encoding="utf-8", errors="replace")
            judge_checked(settings, job, output, empty_fails=ran)


#: mypy's closing line: ``Success: no issues found in 12 source files`` or ``Found 3 errors in 2
#: files (checked 12 source files)``.
_CHECKED = re.compile(r"(?:found in|checked) ([0-9]+) source files?")


def judge_checked(settings: Settings, job: Job, output: str, *, empty_fails: bool = True) -> None:
    """Summarise what mypy checked; a run that checked no source file is a failure (unless
    ``empty_fails`` is off: mypy failed already, with its own message)."""
    found = _CHECKED.findall(output)
    checked = int(found[-1]) if found else 0
    where = (
        "the files its configuration names"
        if settings.mypy_targets
        else " ".join(settings.lint_paths)
    )
    if checked == 0 and empty_fails:
        raise NoxlineError(
            f"mypy checked no source file ({where}): name your Python folders in lint-paths in "
            "[tool.noxline], or in files in your mypy configuration"
        )
    errors = re.findall(r"Found ([0-9]+) errors?", output)
    summarize(
        settings,
        job,
        f"{checked} source files checked" + (f", {errors[-1]} errors" if errors else ""),
        append=True,
    )
