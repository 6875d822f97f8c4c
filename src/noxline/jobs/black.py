"""The ``black`` job (check mode, the diff as its report) and the ``format`` session that fixes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nox

from noxline import confine
from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import (
    choose_tool,
    constrain,
    FORMATTER_FINDINGS,
    judge_formatting,
    read_file,
    refuse_links,
    report_file,
    report_tools,
    run_to_report,
)

from noxline.pipeline import Job


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: ``black --check`` against black's own cache, then, when a file would be
    reformatted, ``black --check --diff`` for the diff; fails when a file would be reformatted.

    black keeps its cache (files it found formatted, by size, time and content hash, per black
    version and formatting options) only in check mode without ``--diff``, so a ``--diff`` run
    formats every file again; the cache lives under ``.nox`` (:func:`use_own_cache`), never
    outside the project.
    """
    black = choose_tool(session, settings, "black")
    session.install(black.requirement)
    report_tools(session, settings, job, black)
    use_own_cache(session, settings)
    report = report_file(settings, job, "diff")
    command = ("black", "--check", *targets(settings))
    if not run_to_report(session, report, *command, success_codes=FORMATTER_FINDINGS):
        return  # --install-only
    output = read_file(settings, report)
    if _reformat_count(output):
        # The report is the diff: black run again to write it (only when there is one).
        run_to_report(
            session, report, *command[:2], "--diff", *command[2:], success_codes=FORMATTER_FINDINGS
        )
        output = read_file(settings, report)
    judge_checked(settings, job, output)


#: Where black keeps its cache: in nox's own folder (which init has git ignore).
CACHE_DIR = Path(".nox", "noxline-black-cache")


def use_own_cache(session: nox.Session, settings: Settings) -> None:
    """Point black's cache (``BLACK_CACHE_DIR``, by default in the user's home) at
    :data:`CACHE_DIR`, inside the project's ignored outputs (black adds a folder per version)."""
    folder = settings.project_dir / CACHE_DIR
    refuse_links(settings, folder)
    session.env["BLACK_CACHE_DIR"] = str(folder)


def _reformat_count(output: str) -> int:
    """How many files black's closing counts say it would reformat."""
    return sum(int(number) for number, kind in _COUNT.findall(output) if kind == "be reformatted")


def targets(settings: Settings) -> tuple[str, ...]:
    """What black is given: the lint paths, or, when the project's [tool.black] chooses its
    files (``black_targets``), the project root, with noxline's own folders (``.nox``, the
    reports and dist folders) added to the project's ``extend-exclude``: a project ``exclude``
    replaces black's default one, which skips ``.nox``, and a command line ``--extend-exclude``
    replaces the configuration's."""
    if not settings.black_targets:
        return settings.lint_paths
    ours = "|".join(
        re.escape(path.as_posix().strip("/"))
        for path in (Path(".nox"), settings.reports_dir, settings.dist_dir)
    )
    own = f"^/(?:{ours})/"
    try:
        data = tomllib.loads(confine.read_text(settings.project_dir, "pyproject.toml"))
    except (OSError, NoxlineError, tomllib.TOMLDecodeError):
        data = {}
    theirs = str(data.get("tool", {}).get("black", {}).get("extend-exclude") or "")
    if theirs:
        # black reads a pattern holding a newline as a verbose one: the newline ends a
        # trailing comment of the project's pattern before noxline's part.
        own = f"(?:{theirs}\n)|{own}" if "\n" in theirs else f"(?:{theirs})|{own}"
    return ("--extend-exclude", own, ".")


#: black's closing counts: ``3 files would be reformatted, 12 files would be left unchanged.``
_COUNT = re.compile(r"([0-9]+) files? would (be reformatted|be left unchanged|fail to reformat)")


def judge_checked(settings: Settings, job: Job, output: str) -> None:
    """Summarise how many files black checked; none checked is a failure, not a pass (black
    itself exits 0 when it finds no file)."""
    judge_formatting(
        settings,
        job,
        {kind: int(number) for number, kind in _COUNT.findall(output)},
        "be reformatted",
        (
            f"black checked no file in {' '.join(settings.lint_paths) or '.'} (its own include and "
            "exclude settings apply): set lint-paths in [tool.noxline] to your Python folders"
            if not settings.black_targets
            else "black checked no file in the project as its [tool.black] include and exclude "
            "select them: fix those in pyproject.toml, or set lint-paths in [tool.noxline]"
        ),
    )


def format_code(session: nox.Session, settings: Settings) -> None:
    """Session body of ``format``: reformat in place with the project's formatter (ruff format
    when ruff is its check and black is not, else black over the lint paths)."""
    constrain(session, settings)  # the project's lock decides the formatter's version here too
    if "ruff" in settings.checks and "black" not in settings.checks:
        session.install(choose_tool(session, settings, "ruff").requirement)
        session.run("ruff", "format", "--no-cache", *session.posargs)
        return
    session.install(choose_tool(session, settings, "black").requirement)
    use_own_cache(session, settings)
    session.run("black", *targets(settings), *session.posargs)
