"""The ``tests`` job: the project's unit tests against the installed wheel, under branch coverage.

Coverage measures the package by import name (``source_pkgs``) wherever it is installed and maps
``*/site-packages/<pkg>`` back to the source folder when combining (coveragepy issue 1280), so the
HTML, Cobertura and terminal reports point at the files a developer edits.
"""

from __future__ import annotations

import re
import sys
import tomllib
import xml.etree.ElementTree as ET  # nosec B405 - parses the JUnit report our own run wrote
from pathlib import Path
from typing import Any

import nox

from noxline import confine
from noxline.config import Settings
from noxline.errors import NoxlineError, name_some
from noxline.git import GitError, run_git
from noxline.jobs import _shards
from noxline.jobs._support import (
    built_dist,
    choose_tool,
    install_wheel,
    judge,
    remove_file,
    report_file,
    report_tools,
    summarize,
)

from noxline.pipeline import Job
from noxline.project import coverage_settings
from noxline.sharding import junit_totals, parse_xml

#: The counts a JUnit report gives (:func:`noxline.sharding.junit_totals`).
_COUNTS = ("tests", "failures", "errors", "skipped")
#: The distribution each runner needs (its JUnit writer): its version is chosen like a tool's.
RUNNER_TOOLS = {"unittest": "unittest-xml-reporting", "pytest": "pytest"}


def coverage_config(settings: Settings, job: Job) -> Path:
    """Write a coverage config: the project's own coverage configuration (wherever coverage
    would read it: ``.coveragerc``, ``setup.cfg``, ``tox.ini`` or ``pyproject.toml``) plus what
    this job needs."""
    data = tomllib.loads(confine.read_text(settings.project_dir, "pyproject.toml"))
    config: dict[str, Any] = coverage_settings(settings.project_dir, data)[1]
    run_table = dict(config.get("run", {}))
    # source_pkgs replaces source: measure the package wherever it is installed.
    run_table.pop("source", None)
    run_table.update(
        branch=True,
        parallel=True,
        source_pkgs=[settings.package],
        data_file=str(report_file(settings, job, "coverage-data")),
        relative_files=True,
    )
    if settings.source_dir.suffix == ".py":
        # A single module: coverage maps folders, so site-packages maps onto the module's folder.
        paths = {"source": [settings.source_dir.parent.as_posix(), "*/site-packages"]}
    else:
        installed = settings.package.replace(".", "/")  # acme.widgets in acme/widgets
        paths = {"source": [settings.source_dir.as_posix(), f"*/site-packages/{installed}"]}
    report = dict(config.get("report", {}))
    report.pop("fail_under", None)  # enforced once, by noxline (enforce_threshold)
    report.update(skip_empty=True)
    html = {
        "directory": str(report_file(settings, job, "coverage-html")),
        "skip_covered": True,
        "skip_empty": True,
    }
    xml = {"output": str(report_file(settings, job, "coverage-xml"))}
    merged = {"tool": {"coverage": config | {"run": run_table, "paths": paths, "report": report}}}
    merged["tool"]["coverage"].update(html=html, xml=xml)
    target = report_file(settings, job, "coverage-config")
    # Imported here: every nox process imports this module, few use it.
    import tomlkit  # pylint: disable=import-outside-toplevel

    confine.write_text(settings.project_dir, target, tomlkit.dumps(merged), exact=True)
    return target


def installed_tests(settings: Settings) -> str | None:
    """The dotted name of a tests folder inside the package (run from the installed wheel)."""
    tests, source = settings.tests_dir, settings.source_dir
    if source.suffix == ".py" or not tests.is_relative_to(source):
        return None
    if tests != source and not (settings.project_dir / tests / "__init__.py").is_file():
        # Not a subpackage (toolz/tests has no __init__.py): the wheel does not ship it, so
        # the tests run from their folder, against the installed package.
        return None
    # tests == source: tests in several subpackages, all found in the installed package.
    return ".".join((settings.package, *tests.relative_to(source).parts))


def test_command(settings: Settings, job: Job) -> tuple[str, ...]:
    """The test runner's command line, writing JUnit XML where the definition says."""
    tests = str(settings.project_dir / settings.tests_dir)
    junit = str(report_file(settings, job, "junit"))
    dotted = installed_tests(settings)
    if settings.test_runner == "pytest":
        if dotted is not None:
            # Tests inside the package run from the installed wheel, found by import name.
            return (
                "-m",
                "pytest",
                f"--junitxml={junit}",
                *_python_files(settings),
                "--pyargs",
                dotted,
            )
        # append mode puts the tests' base folder after site-packages: the wheel wins over the
        # source tree, and tests still import their siblings and get their usual module names.
        return (
            "-m",
            "pytest",
            "--import-mode=append",
            f"--junitxml={junit}",
            *_python_files(settings),
            *_not_tests(settings),
            tests,
        )
    pattern = ("-p", settings.test_pattern) if settings.test_pattern else ()
    if dotted is not None:
        # unittest discovers a dotted package name where the interpreter imports it: the wheel.
        return ("-m", "xmlrunner", "--output-file", junit, "discover", "-s", dotted, *pattern)
    top = str(unittest_top(settings))
    return ("-m", "xmlrunner", "--output-file", junit, "discover", "-s", tests, "-t", top, *pattern)


def _python_files(settings: Settings) -> tuple[str, ...]:
    """pytest's option for ``test-pattern`` (detected: the project's own ``python_files``,
    which pytest reads anyway; empty for pytest's default, ``test_*.py`` and ``*_test.py``)."""
    return ("-o", f"python_files={settings.test_pattern}") if settings.test_pattern else ()


#: The files each runner collects tests from when ``test-pattern`` is empty.
_DEFAULT_FILES = {"unittest": "test*.py", "pytest": "test_*.py and *_test.py"}


def looked_for(settings: Settings) -> str:
    """What the tests job looked for, in words: ``test*.py files in tests/ with unittest``."""
    files = " and ".join(settings.test_pattern.split()) or _DEFAULT_FILES[settings.test_runner]
    where = installed_tests(settings) or f"{settings.tests_dir.as_posix()}/"
    return f"{files} files in {where} with {settings.test_runner}"


def tests_ran(session: nox.Session, settings: Settings, job: Job, totals: dict[str, int]) -> None:
    """Record how many tests ran (the summary line) and fail when none did: a job that tested
    nothing is never green, whatever the runner's exit code said (unittest exits 0 on 3.11 when
    it finds nothing)."""
    summarize(settings, job, count_line(totals), append=True)
    if totals["tests"] - totals["skipped"] <= 0:
        skipped = f" ({totals['skipped']} skipped)" if totals["skipped"] else ""
        raise NoxlineError(
            f"no test ran in {job.name}{skipped}: looked for {looked_for(settings)}; point noxline "
            "at your tests with tests-dir, test-runner, test-pattern or test-args in [tool.noxline]"
        )


def count_line(totals: dict[str, int]) -> str:
    """The counts of a test run in words: ``10 tests ran, 1 failed, 2 skipped``."""
    failed = totals["failures"] + totals["errors"]
    words = [f"{totals['tests'] - totals['skipped']} tests ran"]
    words += [f"{failed} failed"] if failed else []
    words += [f"{totals['skipped']} skipped"] if totals["skipped"] else []
    return ", ".join(words)


def junit_counts(path: Path) -> dict[str, int] | None:
    """The test counts of a JUnit report (None when the runner wrote none)."""
    if not path.is_file() or path.is_symlink():
        return None
    try:
        root = parse_xml(path)
    except (ET.ParseError, NoxlineError):
        return None
    return junit_totals(root)


def _not_tests(settings: Settings) -> tuple[str, ...]:
    """pytest ``--ignore`` options for what noxline puts in a tests folder that is the project
    root: nox's folder (the build copy holds a second conftest.py) and the noxfile (which a
    project's ``--doctest-modules`` would import, without nox in the tests' venv). A project's
    own ``norecursedirs`` replaces pytest's default, which would skip ``.nox``."""
    if settings.tests_dir != Path():
        return ()
    return tuple(f"--ignore={settings.project_dir / name}" for name in (".nox", "noxfile.py"))


def unittest_top(settings: Settings) -> Path:
    """The folder unittest's discovery imports the tests from (its ``-t``).

    A tests folder without __init__.py is its own top; so is a package named `test`, which the
    standard library's own `test` package would shadow. Otherwise the project root is the top.
    Either is already on sys.path after site-packages (the .pth of :func:`_project_root_last`),
    so discover does not put it first and the wheel wins over the source it tests.
    """
    folder = settings.project_dir / settings.tests_dir
    if not (folder / "__init__.py").is_file() or folder.name == "test":
        return folder
    return settings.project_dir


def _project_root_last(session: nox.Session, settings: Settings) -> None:
    """Put the project folder on the venv's ``sys.path`` after site-packages, through a .pth file.

    Test suites import their own helpers as ``tests.<module>``; appended after site-packages, the
    project folder provides ``tests`` while the package under test still comes from the wheel.
    """
    purelib = session.run(
        "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", silent=True
    )
    if isinstance(purelib, str):  # None under --install-only, which runs nothing
        folders = [settings.project_dir]
        if shadows_wheel(settings, unittest_top(settings)):
            # unittest's top folder too when it holds the package's source (src/mod.py beside
            # src/test_mod.py): discover puts a top first on sys.path unless it is there
            # already, and first the source would shadow the wheel. Any other top goes first,
            # as in the project's own `unittest discover` (tests/test.py is imported as
            # `test`, not as the standard library's test package).
            folders.append(unittest_top(settings))
        text = "".join(f"{folder}\n" for folder in dict.fromkeys(folders))
        confine.write_text(Path(purelib.strip()), "noxline-project.pth", text, exact=True)


def shadows_wheel(settings: Settings, folder: Path) -> bool:
    """True when ``folder`` holds something importable under the package's top-level name."""
    top = settings.package.split(".")[0]
    return (folder / top).is_dir() or (folder / f"{top}.py").is_file()


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: install wheel and test tools, run the tests, write the coverage reports."""
    if not (settings.project_dir / settings.tests_dir).is_dir():
        raise NoxlineError(
            f"no tests folder {settings.tests_dir}/ in {settings.project_dir}: "
            "add your tests there or set tests-dir in [tool.noxline]"
        )
    dist = built_dist(settings)
    project = settings.test_requirements
    coverage = choose_tool(session, settings, "coverage", "toml", installed_with=project)
    runner = choose_tool(
        session, settings, RUNNER_TOOLS[settings.test_runner], installed_with=project
    )
    install_wheel(session, dist, coverage.requirement, runner.requirement, *project)
    report_tools(session, settings, job, coverage, runner)
    _project_root_last(session, settings)
    if settings.fans_out:
        # One of several copies (Pythons, shards): a fresh folder of its own, no report of its
        # own; the coverage job combines every copy's data and enforces the threshold once.
        _shards.fresh_copy_folder(settings, job)
    data_file = report_file(settings, job, "coverage-data")
    for old in data_file.parent.glob(data_file.name + "*"):
        remove_file(settings, old)
    rcfile = coverage_config(settings, job)
    command = _shards.selection(session, settings, job, test_command(settings, job))
    if command is None:  # a shard without test files (more shards than files)
        _shards.empty_junit(report_file(settings, job, "junit"), job.instance)
        return
    # PYTHONSAFEPATH keeps `-m` from putting the working directory (the source tree) on sys.path.
    env = {"PYTHONSAFEPATH": "1"}
    passed = False
    before = untracked_files(settings)
    junit = report_file(settings, job, "junit")
    remove_file(settings, junit)  # a report of an earlier run never counts for this one
    totals = None
    try:
        ran = session.run(
            "coverage",
            "run",
            f"--rcfile={rcfile}",
            *command,
            *settings.test_args,
            *session.posargs,
            env=env,
            # pytest's 5 is "no tests collected": the count below says so in noxline's words.
            success_codes=(0, 5) if settings.test_runner == "pytest" else (0,),
        )
        if ran is None:
            return  # --install-only ran nothing
        totals = junit_counts(junit) or dict.fromkeys(_COUNTS, 0)
        if not any(totals.values()):
            # A runner that found nothing writes no report or one without counts
            # (unittest-xml-reporting's `<testsuites/>`): the report says 0 in so many words.
            _shards.empty_junit(junit, job.instance)
        tests_ran(session, settings, job, totals)
        passed = True
    finally:
        if totals is None and junit.is_file():  # the runner failed: still say what ran
            totals_then = junit_counts(junit) or dict.fromkeys(_COUNTS, 0)
            summarize(settings, job, count_line(totals_then), append=True)
        # A copy leaves its data to the coverage job; a failed run still writes HTML and XML
        # (a run of no test has no data to write).
        tested = totals is None or totals["tests"] > totals["skipped"]
        output = (
            write_reports(session, rcfile, table=passed)
            if tested and not settings.fans_out
            else None
        )
        warn_of_files_left(session, settings, before)
    if output is not None:
        enforce_threshold(session, settings, job, output)


def untracked_files(settings: Settings) -> set[str] | None:
    """The project's untracked files that git does not ignore, noxline's own outputs (reports,
    dist, .nox) aside; None outside a git work tree."""
    try:
        done = run_git(settings.project_dir, "ls-files", "--others", "--exclude-standard")
    except GitError:
        return None
    if done.returncode != 0:
        return None
    ours = (settings.reports_dir, settings.dist_dir, Path(".nox"))
    return {
        name
        for name in done.stdout.splitlines()
        if not any(Path(name).is_relative_to(folder) for folder in ours)
    }


def warn_of_files_left(session: nox.Session, settings: Settings, before: set[str] | None) -> None:
    """Say which files the test run left in the project that git would see (a suite writing
    ``diagram.html`` into the working directory): the tree is no longer as it was found."""
    after = untracked_files(settings)
    if before is None or after is None:
        return
    left = sorted(after - before)
    if left:
        session.warn(
            f"the tests left {name_some(left)} in the project (untracked, not ignored): have "
            "the tests write to a temporary folder, or ignore the files in .gitignore"
        )


#: Writes every coverage report in one process; run by the session's Python, never imported here.
REPORTS_SCRIPT = Path(__file__).with_name("_coverage_reports.py")


def write_reports(session: nox.Session, rcfile: Path, *data: str, table: bool) -> str | None:
    """Combine coverage data (the ``data`` files, else the configured data file's parallel ones)
    into HTML and Cobertura and, with ``table``, print the terminal table with its TOTAL line.

    One coverage process does it all (:mod:`noxline.jobs._coverage_reports`), parsing each
    source file once. Returns what it printed (the log shows it too); None when nothing ran
    (``--install-only``).
    """
    flags = ("--table",) if table else ()
    output = session.run(
        "python", "-I", str(REPORTS_SCRIPT), f"--rcfile={rcfile}", *flags, *data, silent=True
    )
    if not isinstance(output, str):
        return None
    sys.stdout.write(output)
    sys.stdout.flush()
    return output


def enforce_threshold(session: nox.Session, settings: Settings, job: Job, output: str) -> None:
    """Judge the figure of the ``TOTAL … NN%`` line in ``output``, read with the job's own GitLab
    coverage regex (the figure GitLab shows is the one judged): under a threshold fails, without
    one it is reported."""
    pattern = (job.coverage_regex or "").removeprefix("/").removesuffix("/")
    found = re.findall(pattern, output, re.MULTILINE) if pattern else []
    if not found:
        raise NoxlineError(
            f"no TOTAL line in the coverage report of {job.name}: see the coverage messages above"
        )
    judge(session, settings, job, "coverage", float(found[-1]), settings.coverage_fail_under)
