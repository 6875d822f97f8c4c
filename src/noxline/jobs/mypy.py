"""The ``mypy`` job: type checks with text, HTML and GitLab Code Quality reports."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import nox

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import (
    choose_tool,
    read_file,
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
    bases = package_bases(settings)
    if bases:
        namespace = ("--explicit-package-bases",)
        session.env["MYPYPATH"] = os.pathsep.join(
            filter(None, (*map(str, bases), os.environ.get("MYPYPATH", "")))
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
            # mypy reads no cache while it writes a report (--html-report), yet it would still
            # write one, beside the project (.mypy_cache/, 3.8 MB for a small library): none.
            f"--cache-dir={os.devnull}",
            *namespace,
            # The project's own configuration names its files: mypy checks exactly those.
            *(() if settings.mypy_targets else settings.lint_paths),
            *session.posargs,
            # 1 is "type errors found", judged below in one line; 2 is mypy failing to run.
            success_codes=(0, 1),
        )
    finally:
        codequality = report_file(settings, job, "codequality")
        session.run("python", "-c", _TO_CODE_QUALITY, str(text), str(codequality))
        if text.is_file():  # failed too: say what was checked
            output = read_file(settings, text)
            # A pass that checked no file, or mypy stopping because it found none to check.
            judge_checked(settings, job, output, empty_fails=ran or bool(_NOTHING.search(output)))


#: mypy stopping because a path it was given holds no file it checks.
_NOTHING = re.compile(r"There are no \.py\[i\] files|error: Cannot read file|can't read file")


def package_bases(settings: Settings) -> tuple[Path, ...]:
    """The folders mypy names modules from (``--explicit-package-bases`` with ``MYPYPATH``);
    empty when mypy's own naming serves.

    mypy names a module by the ``__init__.py`` folders above it. That stops at a namespace folder
    (``acme/``), so a namespace package's modules are named from the folder it is imported from.
    In folders without ``__init__.py`` it names ``tests/conftest.py`` and
    ``tests/unit/conftest.py`` both ``conftest``: "Duplicate module", nothing checked. Then,
    when noxline gives mypy its paths, each module is named from its own base: the package from
    the folder it is imported from (``src``), a folder without ``__init__.py`` from itself
    (``conftest``, ``unit.conftest``), the rest from the project root. With the project's own
    mypy configuration naming the files, that configuration decides.
    """
    namespace = (settings.namespace_root,) if settings.namespace_root else ()
    if settings.mypy_targets or not _duplicate_modules(settings):
        return namespace
    imported_from = settings.namespace_root or settings.source_dir.parent
    bases = [imported_from] + [
        Path(path)
        for path in settings.lint_paths
        if (settings.project_dir / path).is_dir()
        and not (settings.project_dir / path / "__init__.py").is_file()
    ]
    return tuple(dict.fromkeys(base for base in bases if base != Path()))


#: How many files are named to look for duplicates: a bounded look at the lint paths.
_NAMED_FILES = 20_000
#: Folders mypy never descends into when it collects a folder's files.
_SKIPPED = frozenset({"__pycache__", "site-packages", "node_modules"})


def _duplicate_modules(settings: Settings) -> bool:
    """True when two files of the lint paths get one module name as mypy names them by default
    (the ``__init__.py`` folders above each file)."""
    seen: set[str] = set()
    for path in _files(settings):
        parts = [] if path.stem == "__init__" else [path.stem]
        folder = path.parent
        while (folder / "__init__.py").is_file() or (folder / "__init__.pyi").is_file():
            parts.insert(0, folder.name)
            folder = folder.parent
        name = ".".join(parts)
        if name in seen:
            return True
        seen.add(name)
    return False


def _files(settings: Settings) -> Iterator[Path]:
    """The ``.py`` files mypy collects from the lint paths, at most :data:`_NAMED_FILES`."""
    count = 0
    for item in settings.lint_paths:
        start = settings.project_dir / item
        walked = [(str(start.parent), [], [start.name])] if start.is_file() else os.walk(start)
        for current, folders, files in walked:
            folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in _SKIPPED)
            for name in sorted(files):
                if name.endswith(".py"):
                    count += 1
                    if count > _NAMED_FILES:
                        return
                    yield Path(current, name)


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
    errors = _FOUND.findall(output)
    summarize(
        settings,
        job,
        f"{checked} source files checked" + (f", {errors[-1][0]} errors" if errors else ""),
        append=True,
    )
    if errors:
        count, files = errors[-1]
        raise NoxlineError(
            f"mypy found {count} errors in {files} of {checked} files (listed in "
            f"{job.report_path('text')}): fix them, or relax the project's mypy settings for "
            "those modules"
        )


#: mypy's closing line when it found errors: ``Found 3 errors in 2 files (checked 9 ...)``.
_FOUND = re.compile(r"Found ([0-9]+) errors? in ([0-9]+) files?")
