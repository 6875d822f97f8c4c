"""The tests job's side of sharding: which copy this is, its reports folder, the tests it runs.

The split itself is pure (:mod:`noxline.sharding`); here the suite is collected by the project's
own test runner in the session's venv, so the shards see exactly the tests an unsharded run sees.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import refuse_links
from noxline.pipeline import Job
from noxline.sharding import (
    Instance,
    durations_from_junit,
    parse_label,
    shard_units,
)

#: Lists unittest's test ids the way ``python -m unittest discover -s START -t TOP`` finds them.
_UNITTEST_COLLECT = """\
import sys, unittest
def walk(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from walk(test)
        else:
            yield test.id()
loader = unittest.TestLoader()
suite = loader.discover(sys.argv[1], pattern=sys.argv[3] or "test*.py", top_level_dir=sys.argv[2])
print("\\n".join(walk(suite)))
"""


def fresh_copy_folder(settings: Settings, job: Job) -> None:
    """Empty this copy's reports folder, ``<tests reports>/<label>/``.

    Copies of another kind for the same Python (the whole suite vs shards, or another shard count)
    are removed, so the coverage job never mixes a stale run in; shards of this run never remove
    each other, because they run at the same time.
    """
    folder = settings.project_dir / job.reports_folder
    refuse_links(settings, folder)
    shutil.rmtree(folder, ignore_errors=True)
    instance = job.instance
    for sibling in folder.parent.iterdir() if folder.parent.is_dir() else ():
        other = parse_label(sibling.name)
        if other is None or not sibling.is_dir() or other.python != instance.python:
            continue
        same_kind = bool(other.shard) == bool(instance.shard) and other.shards == instance.shards
        if not same_kind:
            shutil.rmtree(sibling, ignore_errors=True)
    folder.mkdir(parents=True)


def collect(session: nox.Session, settings: Settings, command: tuple[str, ...]) -> list[str]:
    """The suite's test ids, listed by the test runner of ``command`` (the job's own command)."""
    env = {"PYTHONSAFEPATH": "1"}
    if settings.test_runner == "pytest":
        tests = command[-1]
        output = session.run(
            "python",
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "--import-mode=importlib",
            "-p",
            "no:cacheprovider",
            # Tests inside the package are found by import name, in the installed wheel.
            *(("--pyargs",) if "--pyargs" in command else ()),
            tests,
            *settings.test_args,
            silent=True,
            env=env,
        )
    else:
        start, top = command[command.index("-s") + 1], command[command.index("-t") + 1]
        pattern = settings.test_pattern
        output = session.run(
            "python", "-c", _UNITTEST_COLLECT, start, top, pattern, silent=True, env=env
        )
    if not isinstance(output, str):
        return []  # --install-only: nothing ran
    # pytest ends its list with a blank line and "N tests collected"; ids never contain spaces
    # outside parameters, and always "::".
    if settings.test_runner == "pytest":
        return [line.strip() for line in output.splitlines() if "::" in line]
    return [line.strip() for line in output.splitlines() if line.strip()]


def durations_reports(settings: Settings, job: Job) -> list[Path]:
    """JUnit reports whose durations balance the split: the ``durations`` the definition names.

    A ``test-durations`` file that is missing is refused (a typo would silently cost balance).
    """
    if settings.test_durations and not (settings.project_dir / settings.test_durations).is_file():
        raise NoxlineError(
            f"test-durations names {settings.test_durations}, which is not a file: commit a "
            "JUnit report there (e.g. the coverage job's) or remove the setting"
        )
    pattern = job.upstream_files.get("durations")
    return sorted(settings.project_dir.glob(pattern)) if pattern else []


def selection(
    session: nox.Session, settings: Settings, job: Job, command: tuple[str, ...]
) -> tuple[str, ...] | None:
    """The test runner's command narrowed to this shard's files; None when the shard has none."""
    instance = job.instance
    if not instance.shard:
        return command
    test_ids = collect(session, settings, command)
    durations = durations_from_junit(durations_reports(settings, job))
    units = shard_units(test_ids, instance.shard, instance.shards, durations)
    single = sum(1 for unit in units if "::" in unit)
    files = len(units) - single
    session.log(
        f"shard {instance.shard} of {instance.shards}: {files} test files"
        + (f" and {single} tests of files too heavy for one shard" if single else "")
        + f" ({'balanced by recorded durations' if durations else 'balanced by test count'})"
    )
    if not units:
        return None
    if settings.test_runner == "pytest":
        return (*command[:-1], *units)  # the files and node ids instead of the tests folder
    # unittest: discovery as usual, then only the tests of these modules (-k matches test ids).
    patterns = [arg for unit in units for arg in ("-k", f"{unit}.*")]
    return (*command, *patterns)


def empty_junit(path: Path, instance: Instance) -> None:
    """A JUnit report with no tests, for a shard that got no test files (more shards than files)."""
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n'
        f'<testsuites name="{instance.label}" tests="0" failures="0" errors="0" skipped="0"/>\n',
        encoding="utf-8",
    )
