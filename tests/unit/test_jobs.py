"""Job bodies: one per job of the definition, each writing where its Job declares."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pkgutil
import re
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import nox
import pytest
from nox.command import CommandFailed

from noxline import confine, gitlab, jobs
from noxline.config import Settings, load_settings, replace
from noxline.jobs import BODIES
from noxline.errors import NoxlineError, describe_unexpected
from noxline.jobs import black as black_job
from noxline.jobs import build as build_job
from noxline.jobs import docstr as docstr_job
from noxline.jobs import mypy as mypy_job
from noxline.jobs import pylint as pylint_job
from noxline.jobs import _shards
from noxline.jobs import tests as tests_job
from noxline.jobs._support import report_file
from noxline.jobs._support import install_wheel, judge, session_tmp
from noxline.pipeline import Job, define
from tests.unit._dists import tiny_dist
from tests.unit._projects import write_project


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """Settings of a fresh tiny project."""
    return load_settings(write_project(tmp_path))


class RecordingSession:
    """Stands in for ``nox.Session`` where nothing may run: records each command it is given."""

    def __init__(self) -> None:
        """No commands yet, no posargs."""
        self.commands: list[tuple[str, ...]] = []
        self.posargs: list[str] = []
        self.env: dict[str, str] = {}

    def install(self, *args: str, **_options: Any) -> None:
        """Record an install."""
        self.commands.append(("install", *args))

    def log(self, *_args: Any) -> None:
        """Say nothing: the tests read the commands and the files."""

    def run(self, *args: str, **options: Any) -> str:
        """Record a command; answer an empty output, and write what a passing checker prints
        at its end (each reads its own line) where the command's output goes."""
        self.commands.append(args)
        stream = options.get("stdout")
        if isinstance(stream, io.TextIOBase):
            stream.write(_CHECKERS_PASSED)
        return ""


#: The last lines of black, mypy and docstr-coverage passing over one file.
_CHECKERS_PASSED = (
    "1 file would be left unchanged.\nSuccess: no issues found in 1 source file\n"
    "Total coverage: 100.0%\n"
)


def renamed(job: Job) -> Job:
    """``job`` with every declared report file renamed, and only that changed."""
    files = {
        role: ("renamed-" + name.rstrip("/") + "/") if name.endswith("/") else "renamed-" + name
        for role, name in job.files.items()
    }
    return dataclasses.replace(job, files=files)


def test_every_job_has_exactly_one_body(settings: Settings) -> None:
    """The registry pairs one-to-one with the definition's jobs; no job module lacks a job.

    Sharded tests bring the coverage job, tests-latest its own job, so that definition holds
    every job there is.
    """
    every = dataclasses.replace(
        settings,
        test_shards=2,
        tests_latest=True,
        checks=("pylint", "black", "mypy", "docstr", "ruff"),
    )
    names = define(every).names
    assert sorted(BODIES) == sorted(names)
    modules = {
        info.name.replace("_", "-")
        for info in pkgutil.iter_modules(jobs.__path__)
        if not info.name.startswith("_")
    }
    assert modules == set(names)
    for name, body in BODIES.items():
        assert jobs.job_name(body) == name
    with pytest.raises(KeyError):
        BODIES["wheel_install"]  # pylint: disable=pointless-statement


@pytest.mark.parametrize("name", ["black", "docstr", "mypy", "pylint"])
def test_a_renamed_report_file_moves_the_body_and_gitlab_together(
    settings: Settings, name: str
) -> None:
    """Renaming files in the definition alone: the body writes there and GitLab collects there."""
    job = renamed(define(settings).job(name))
    session = RecordingSession()
    BODIES[name](cast(nox.Session, session), settings, job)
    words = " ".join(" ".join(command) for command in session.commands)
    # The figure and the one-line summary are written from a real run's output, which a
    # recording session has none of.
    for role in (role for role in job.files if role not in ("figure", "summary")):
        path = settings.project_dir / job.report_path(role)
        assert path.exists() or str(path) in words, (role, words)
    original = define(settings).job(name)
    for old in original.files.values():
        assert f"/{old.rstrip('/')}" not in words, old
    artifacts = gitlab.artifacts(job)
    collected = [*artifacts["paths"], *_report_paths(artifacts.get("reports", {}))]
    declared = {job.report_path(role) for role in job.files}
    for path in collected:
        inside = path.startswith(job.reports_folder + "/") and path != job.reports_folder + "/"
        assert not inside or path in declared, path


def _report_paths(reports: dict[str, Any]) -> list[str]:
    """The file paths in GitLab's ``artifacts:reports``."""
    return [value["path"] if isinstance(value, dict) else value for value in reports.values()]


def test_a_renamed_tests_report_moves_junit_coverage_and_gitlab(settings: Settings) -> None:
    """The tests job's JUnit, Cobertura and HTML follow the definition; so does GitLab."""
    job = renamed(define(settings).job("tests"))
    command = tests_job.test_command(settings, job)
    junit = settings.project_dir / job.report_path("junit")
    assert f"--junitxml={junit}" in command
    config = tomllib.loads(tests_job.coverage_config(settings, job).read_text(encoding="utf-8"))
    coverage = config["tool"]["coverage"]
    assert coverage["xml"]["output"] == str(settings.project_dir / job.report_path("coverage-xml"))
    html = settings.project_dir / job.report_path("coverage-html")
    assert Path(coverage["html"]["directory"]) == html
    assert coverage["run"]["data_file"] == str(
        settings.project_dir / job.report_path("coverage-data")
    )
    artifacts = gitlab.artifacts(job)
    assert artifacts["reports"] == {
        "junit": "reports/tests/renamed-junit.xml",
        "coverage_report": {
            "coverage_format": "cobertura",
            "path": "reports/tests/renamed-coverage.xml",
        },
    }
    assert artifacts["paths"][0] == "reports/tests/renamed-html/"


class LoggingSession(RecordingSession):
    """A recording session that also keeps what the body logs."""

    def __init__(self) -> None:
        """No log lines yet."""
        super().__init__()
        self.logged: list[str] = []

    def log(self, message: str) -> None:
        """Keep a log line."""
        self.logged.append(message)


@pytest.mark.parametrize(
    ("check", "figure", "threshold", "line", "failure"),
    [
        ("coverage", 78.1, None, "coverage 78.1 %: measured, no threshold", ""),
        ("coverage", 78.1, 80.0, "", "coverage 78.1 % < 80 %: raise it, or lower"),
        ("coverage", 91.25, 80.0, "coverage 91.25 % >= 80 %", ""),
        ("pylint", 6.2, 8.0, "", "pylint 6.2/10 < 8.0: raise it, or lower pylint-fail-under"),
        ("pylint", 9.5, None, "pylint 9.5/10: measured, no threshold", ""),
        ("docstr", 61.5, 60.0, "docstr 61.5 % >= 60 %", ""),
    ],
)
def test_a_check_ends_with_its_figure_and_says_why_it_failed(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    settings: Settings,
    check: str,
    figure: float,
    threshold: float | None,
    line: str,
    failure: str,
) -> None:
    """Undeclared thresholds only report; a failure names figure and threshold; figure.json."""
    job = define(settings).job("tests" if check == "coverage" else check)
    session = LoggingSession()
    if failure:
        with pytest.raises(NoxlineError, match=re.escape(failure)):
            judge(cast(nox.Session, session), settings, job, check, figure, threshold)
    else:
        judge(cast(nox.Session, session), settings, job, check, figure, threshold)
        assert session.logged[-1].startswith(line)
    record = settings.project_dir / job.report_path("figure")
    assert json.loads(record.read_text(encoding="utf-8")) == {
        "check": check,
        "figure": figure,
        "threshold": threshold,
    }


@pytest.mark.parametrize(
    ("output", "figure"),
    [
        (
            "Name  Stmts\nTOTAL     8414   1611   2866    326  78.6%\n\n2 empty files skipped.\n",
            78.6,
        ),
        ("TOTAL   120   4   30   2   96%\n", 96.0),
    ],
)
def test_the_coverage_figure_is_the_total_line_gitlab_reads(
    settings: Settings, output: str, figure: float
) -> None:
    """The threshold judges the figure the job's own GitLab coverage regex reads."""
    job = define(settings).job("tests")
    session = LoggingSession()
    tests_job.enforce_threshold(cast(nox.Session, session), settings, job, output)
    record = json.loads((settings.project_dir / job.report_path("figure")).read_text("utf-8"))
    assert record["figure"] == figure


def test_a_report_without_total_line_fails_the_job(settings: Settings) -> None:
    """No TOTAL line (coverage measured nothing): the job fails instead of judging nothing."""
    job = define(settings).job("tests")
    with pytest.raises(NoxlineError, match="no TOTAL line in the coverage report of tests"):
        tests_job.enforce_threshold(cast(nox.Session, LoggingSession()), settings, job, "")


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("Your code has been rated at 6.20/10 (previous run: 5.00/10, +1.20)", 6.2),
        ("Your code has been rated at -1.50/10", -1.5),
        ("No files to lint", None),
    ],
)
def test_the_pylint_score_is_read_from_its_report(text: str, score: float | None) -> None:
    """The last `rated at` line of pylint's text report is the score."""
    assert pylint_job.score(text) == score


@pytest.mark.parametrize(
    ("text", "total"),
    [("File: a.py\n...\nTotal coverage: 61.5%  -  Grade: Not bad", 61.5), ("empty", None)],
)
def test_docstring_coverage_is_read_from_its_report(text: str, total: float | None) -> None:
    """docstr-coverage's `Total coverage` line is the figure."""
    assert docstr_job.total(text) == total


# --- build empties dist-dir of its own files only -----------------------------------------------


@pytest.mark.parametrize(
    ("contents", "refused"),
    [
        ({}, ""),
        ({"demo-1.0.tar.gz": "f", "demo-1.0-py3-none-any.whl": "f", "SHA256SUMS": "f"}, ""),
        ({"demo-0.9.zip": "f"}, ""),
        ({"index.md": "f", "demo-1.0.tar.gz": "f"}, "holds index.md, which no build made"),
        ({".venv": "d"}, "holds .venv"),
        ({".gitignore": "f"}, "holds .gitignore"),
        ({"demo-1.0.tar.gz": "d"}, "holds demo-1.0.tar.gz"),
        ({"link.whl": "l"}, "holds link.whl"),
        ({f"note{number}.txt": "f" for number in range(8)}, "and 3 more"),
    ],
)
def test_build_empties_dist_dir_of_its_own_files_only(
    settings: Settings, contents: dict[str, str], refused: str
) -> None:
    """dist-dir pointed at a folder with other things in it: nothing is deleted, build stops."""
    dist_dir = settings.project_dir / settings.dist_dir
    dist_dir.mkdir()
    outside = settings.project_dir / "outside.txt"
    outside.write_text("keep", "utf-8")
    for name, kind in contents.items():
        path = dist_dir / name
        if kind == "d":
            path.mkdir()
        elif kind == "l":
            path.symlink_to(outside)
        else:
            path.write_text("x", "utf-8")
    if refused:
        with pytest.raises(NoxlineError, match=refused):
            build_job.empty_dist_dir(dist_dir, settings)
        assert sorted(path.name for path in dist_dir.iterdir()) == sorted(contents)
    else:
        build_job.empty_dist_dir(dist_dir, settings)
        assert not list(dist_dir.iterdir())
    assert outside.read_text("utf-8") == "keep"


def test_the_backend_env_holds_what_the_build_system_requires(tmp_path: Path) -> None:
    """The reused backend env is made from ``build-system.requires``; a tree declaring none (or
    declaring it wrongly) is built isolated, as build decides for it."""
    cases = {
        '[build-system]\nrequires = ["poetry-core>=2.0"]\n': ["poetry-core>=2.0"],
        '[project]\nname = "x"\n': None,
        "[build-system]\nrequires = 'setuptools'\n": None,
        "not toml [": None,
    }
    for text, expected in cases.items():
        (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
        assert build_job.backend_requirements(tmp_path) == expected, text
    (tmp_path / "pyproject.toml").unlink()
    assert build_job.backend_requirements(tmp_path) is None


class _BackendSession(RecordingSession):
    """A uv session whose build in the backend env fails (a backend asking for more than it
    declares), or whose Python answers nothing (``--install-only``)."""

    venv_backend = "uv"
    bin = "/venv/bin"

    def __init__(self, *, answers: bool) -> None:
        """Answer the description of the session's Python, or nothing."""
        super().__init__()
        self.answers = answers
        self.warned: list[str] = []

    def run(self, *args: str, **options: Any) -> str | None:  # type: ignore[override]
        """Record; describe the Python; fail the frontend's build."""
        self.commands.append(args)
        if args[:2] == ("python", "-c"):
            return "/venv/lib/site-packages\n/usr/bin/python3.11 3.11.7" if self.answers else None
        if "--no-isolation" in args:
            raise CommandFailed("Missing dependencies")
        if args[1:2] == ("venv",):
            Path(args[-1]).mkdir(parents=True)
        return ""

    def warn(self, message: str) -> None:
        """Keep a warning."""
        self.warned.append(message)


def test_a_failed_backend_env_build_falls_back_to_the_isolated_build(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When building with the reused backend env fails, dist/ is emptied of what it left and the
    caller builds isolated (False), with a warning; under --install-only the build job installs
    and stops: dist/ and the backend env are left as they are."""
    monkeypatch.setattr(build_job, "uv_executable", lambda: "/usr/bin/uv")
    copy = settings.project_dir
    (copy / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["poetry-core>=2.0"]\n', encoding="utf-8"
    )
    dist = settings.project_dir / settings.dist_dir
    dist.mkdir()
    (dist / "x-1.0.tar.gz").write_bytes(b"half a build")
    session = _BackendSession(answers=True)
    described = "/venv/lib/site-packages\n/usr/bin/python3.11 3.11.7"
    assert not build_job.build_in_backend_env(
        cast(nox.Session, session), settings, copy, {}, described
    )
    assert session.warned and not list(dist.iterdir())
    installs = [args for args in session.commands if args[1:3] == ("pip", "install")]
    assert installs and installs[0][-1] == "poetry-core>=2.0"
    (dist / "x-1.0.tar.gz").write_bytes(b"an earlier build")
    backend = settings.project_dir / build_job.BACKEND_DIR
    backend.mkdir(parents=True, exist_ok=True)
    (backend / "kept").write_text("made by an earlier run", encoding="utf-8")
    before = {path.name: path.read_bytes() for path in backend.iterdir()}
    quiet = _BackendSession(answers=False)
    build_job.run(cast(nox.Session, quiet), settings, _build_job(settings))
    assert [args[0] for args in quiet.commands] == ["install", "python"]
    assert [path.name for path in dist.iterdir()] == ["x-1.0.tar.gz"]
    assert {path.name: path.read_bytes() for path in backend.iterdir()} == before


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_build_refuses_a_dist_dir_that_is_no_plain_folder(settings: Settings, kind: str) -> None:
    """A dist-dir that became a file or a link after the settings were read is not emptied."""
    dist_dir = settings.project_dir / settings.dist_dir
    target = settings.project_dir / "elsewhere"
    target.mkdir()
    (target / "precious.whl").write_text("x", "utf-8")
    if kind == "file":
        dist_dir.write_text("x", "utf-8")
    else:
        dist_dir.symlink_to(target)
    with pytest.raises(NoxlineError, match="is not a plain folder"):
        build_job.empty_dist_dir(dist_dir, settings)
    assert (target / "precious.whl").exists() and dist_dir.exists()


# --- reports never go through a symbolic link out of the project --------------------------------


def _build_job(settings: Settings) -> Job:
    """The build job of ``settings``' pipeline."""
    return next(job for job in define(settings).jobs if job.name == "build")


@pytest.mark.parametrize("linked", ["reports", "reports/build"])
def test_a_linked_reports_folder_is_refused(settings: Settings, linked: str) -> None:
    """A committed link at the job's reports folder (or above it): refused, nothing written."""
    outside = settings.project_dir.parent / f"{settings.project_dir.name}-outside"
    outside.mkdir()
    link = settings.project_dir / linked
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside, target_is_directory=True)
    with pytest.raises(NoxlineError, match=f"{linked} is a symbolic link"):
        report_file(settings, _build_job(settings), "twine-check")
    assert not list(outside.iterdir())


def test_a_linked_report_file_is_replaced_not_written_through(settings: Settings) -> None:
    """A link where a report goes is removed; the file it pointed at is untouched."""
    precious = settings.project_dir.parent / f"{settings.project_dir.name}-precious.txt"
    precious.write_text("keep", "utf-8")
    job = _build_job(settings)
    folder = settings.project_dir / job.reports_folder
    folder.mkdir(parents=True)
    (folder / job.files["twine-check"]).symlink_to(precious)
    path = report_file(settings, job, "twine-check")
    path.write_text("report", "utf-8")
    assert not path.is_symlink() and precious.read_text("utf-8") == "keep"


@pytest.mark.parametrize("linked", ["file", "folder"])
def test_a_traceback_is_never_written_through_a_link(tmp_path: Path, linked: str) -> None:
    """The traceback file of an unexpected error is not written where a committed link points."""
    outside = tmp_path / "outside"
    outside.mkdir()
    reports = tmp_path / "project" / "reports"
    reports.mkdir(parents=True)
    if linked == "file":
        (reports / "noxline-traceback.txt").symlink_to(outside / "victim.txt")
    else:
        reports.rmdir()
        reports.symlink_to(outside, target_is_directory=True)
    message = describe_unexpected(
        ValueError("boom"), reports / "noxline-traceback.txt", tmp_path / "project"
    )
    assert not list(outside.iterdir())
    # A link in the file's place is replaced by the file; a linked folder is never entered.
    assert ("traceback is in" in message) == (linked == "file")


@pytest.mark.parametrize(
    ("source_dir", "package", "paths"),
    [
        ("src/demo", "demo", ["src/demo", "*/site-packages/demo"]),
        ("src/single.py", "single", ["src", "*/site-packages"]),
        ("single.py", "single", [".", "*/site-packages"]),
    ],
    ids=["package", "module-in-src", "module-at-root"],
)
def test_coverage_maps_the_installed_code_onto_its_source(
    settings: Settings, source_dir: str, package: str, paths: list[str]
) -> None:
    """Reports name the files a developer edits: a package folder, or a single module's folder
    (coverage maps folders, not files)."""
    moved = replace(settings, source_dir=Path(source_dir), package=package)
    job = define(moved).job("tests")
    config = tomllib.loads(tests_job.coverage_config(moved, job).read_text(encoding="utf-8"))
    assert config["tool"]["coverage"]["paths"]["source"] == paths


@pytest.mark.parametrize(
    ("package", "source_dir", "root", "installed"),
    [
        ("tiny", "src/tiny", None, "*/site-packages/tiny"),
        ("acme.widgets", "src/acme/widgets", "src", "*/site-packages/acme/widgets"),
        ("acme.data.tools", "acme/data/tools", ".", "*/site-packages/acme/data/tools"),
    ],
)
def test_a_namespace_package_is_measured_and_checked_from_its_import_root(
    settings: Settings, package: str, source_dir: str, root: str | None, installed: str
) -> None:
    """Coverage maps the installed ``acme/widgets`` back onto the source folder; pylint and
    mypy are told the folder the package is imported from (only for a namespace package)."""
    moved = replace(settings, package=package, source_dir=Path(source_dir))
    assert moved.namespace_root == (None if root is None else Path(root))
    job = define(moved).job("tests")
    config = tomllib.loads(tests_job.coverage_config(moved, job).read_text(encoding="utf-8"))
    coverage = config["tool"]["coverage"]
    assert coverage["paths"]["source"] == [source_dir, installed]
    assert coverage["run"]["source_pkgs"] == [package]


def test_pylint_and_mypy_name_a_namespace_package_from_its_import_root(
    settings: Settings,
) -> None:
    """``acme.widgets`` in src/acme/widgets: pylint gets ``--source-roots=src``, mypy explicit
    package bases with src on MYPYPATH (without them both report its own imports missing)."""
    moved = replace(settings, package="acme.widgets", source_dir=Path("src/acme/widgets"))
    for module, flag in (
        (pylint_job, "--source-roots=src"),
        (mypy_job, "--explicit-package-bases"),
    ):
        session = RecordingSession()
        module.run(
            cast(nox.Session, session), moved, define(moved).job(module.__name__.rpartition(".")[2])
        )
        (command,) = [c for c in session.commands if c[0] == module.__name__.rpartition(".")[2]]
        assert flag in command
    assert session.env["MYPYPATH"].split(os.pathsep)[0] == "src"
    plain = RecordingSession()
    mypy_job.run(cast(nox.Session, plain), settings, define(settings).job("mypy"))
    assert "--explicit-package-bases" not in plain.commands[1] and "MYPYPATH" not in plain.env


@pytest.mark.parametrize(("tests_dir", "ignored"), [(".", True), ("tests", False)])
def test_tests_at_the_project_root_never_collect_noxlines_own_files(
    settings: Settings, tests_dir: str, ignored: bool
) -> None:
    """Tests in the project root (jaraco.functools' shape): pytest skips .nox (the build copy's
    second conftest.py) and the noxfile, which a project's own norecursedirs and
    --doctest-modules would otherwise collect."""
    moved = replace(settings, tests_dir=Path(tests_dir))
    command = tests_job.test_command(moved, define(moved).job("tests"))
    expected = {f"--ignore={settings.project_dir / name}" for name in (".nox", "noxfile.py")}
    assert (expected <= set(command)) is ignored
    assert command[-1] == str(settings.project_dir / tests_dir)


def test_shards_collect_tests_inside_the_package_by_import_name(settings: Settings) -> None:
    """Tests in the package run with --pyargs from the wheel; a shard's collection must find them
    the same way (without it pytest looks for a folder named ``tiny.tests`` and fails)."""
    inside = replace(settings, tests_dir=settings.source_dir / "tests")
    folder = inside.project_dir / inside.tests_dir
    folder.mkdir(parents=True)
    # Without __init__.py the folder is no subpackage, and the wheel does not ship it (toolz).
    outside = tests_job.test_command(inside, define(inside).job("tests"))
    assert outside[-1] == str(folder) and "--pyargs" not in outside
    (folder / "__init__.py").write_text("", encoding="utf-8")
    command = tests_job.test_command(inside, define(inside).job("tests"))
    assert command[-2:] == ("--pyargs", f"{inside.package}.tests")
    session = RecordingSession()
    _shards.collect(cast(nox.Session, session), inside, command)
    assert len(session.commands) == 1
    collected = session.commands[0]
    assert "--collect-only" in collected and collected[-2:] == command[-2:]


def test_tests_in_the_package_itself_run_from_the_wheel_by_import_name(
    settings: Settings,
) -> None:
    """When the package is the tests folder (tests in several subpackages), pytest runs
    ``--pyargs <package>``: the installed wheel's tests, not the source tree's."""
    inside = replace(settings, tests_dir=settings.source_dir)
    command = tests_job.test_command(inside, define(inside).job("tests"))
    assert command[-2:] == ("--pyargs", inside.package)


class WarningSession(RecordingSession):
    """A recording session that also keeps what it was asked to warn about."""

    def __init__(self) -> None:
        """No commands, no warnings yet."""
        super().__init__()
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        """Keep a warning."""
        self.warnings.append(message)


def test_files_the_tests_leave_in_the_project_are_named(tmp_path: Path) -> None:
    """pyparsing's suite writes HTML files into the working directory: the tests job names what
    git now sees (ignored files and files there before are not the tests' doing)."""
    settings = load_settings(write_project(tmp_path, git=True))
    (tmp_path / ".gitignore").write_text("*.log\n", encoding="utf-8")
    before = tests_job.untracked_files(settings)
    assert before == {".gitignore"}
    (tmp_path / "ignored.log").write_text("", encoding="utf-8")
    for ours in ("reports/tests/junit.xml", "dist/SHA256SUMS", ".nox/tests/x"):  # not ignored
        (tmp_path / ours).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ours).write_text("", encoding="utf-8")
    (tmp_path / "range_check.html").write_text("<html/>", encoding="utf-8")
    session = WarningSession()
    tests_job.warn_of_files_left(cast(nox.Session, session), settings, before)
    assert session.warnings == [
        "the tests left range_check.html in the project (untracked, not ignored): have the tests "
        "write to a temporary folder, or ignore the files in .gitignore"
    ]
    quiet = WarningSession()
    tests_job.warn_of_files_left(cast(nox.Session, quiet), settings, None)  # not a git tree
    assert not quiet.warnings


@pytest.mark.parametrize(
    ("totals", "summary", "error"),
    [
        ({"tests": 12, "failures": 0, "errors": 0, "skipped": 2}, "10 tests ran, 2 skipped", ""),
        ({"tests": 3, "failures": 1, "errors": 1, "skipped": 0}, "3 tests ran, 2 failed", ""),
        (
            {"tests": 0, "failures": 0, "errors": 0, "skipped": 0},
            "0 tests ran",
            r"^no test ran in tests: looked for test_\*\.py and \*_test\.py files in tests/ with "
            r"pytest; point noxline at your tests with tests-dir, test-runner, test-pattern or "
            r"test-args in \[tool.noxline\]$",
        ),
        (
            {"tests": 4, "failures": 0, "errors": 0, "skipped": 4},
            "0 tests ran, 4 skipped",
            r"^no test ran in tests \(4 skipped\): looked for",
        ),
    ],
    ids=["passed", "failed", "none", "all-skipped"],
)
def test_a_tests_job_that_ran_no_test_is_red(
    settings: Settings, totals: dict[str, int], summary: str, error: str
) -> None:
    """The JUnit counts decide: 0 tests run (none found, or all skipped) fails with one line
    naming what was looked for; the summary line says how many ran either way."""
    job = define(settings).job("tests")
    pytest_settings = replace(settings, test_runner="pytest")
    if error:
        with pytest.raises(NoxlineError, match=error):
            tests_job.tests_ran(cast(nox.Session, RecordingSession()), pytest_settings, job, totals)
    else:
        tests_job.tests_ran(cast(nox.Session, RecordingSession()), pytest_settings, job, totals)
    assert report_text(pytest_settings, job, "summary") == summary + "\n"


@pytest.mark.parametrize(
    ("runner", "pattern", "looked_for"),
    [
        ("unittest", "", "test*.py files in tests/ with unittest"),
        ("unittest", "*_test.py", "*_test.py files in tests/ with unittest"),
        ("pytest", "", "test_*.py and *_test.py files in tests/ with pytest"),
        ("pytest", "check_*.py *_spec.py", "check_*.py and *_spec.py files in tests/ with pytest"),
    ],
)
def test_the_zero_tests_line_names_pattern_folder_and_runner(
    settings: Settings, runner: str, pattern: str, looked_for: str
) -> None:
    """What the tests job looked for, in the words of its failure line."""
    chosen = replace(settings, test_runner=runner, test_pattern=pattern)
    assert tests_job.looked_for(chosen) == looked_for


@pytest.mark.parametrize(
    ("output", "summary"),
    [
        ("All done!\n3 files would be left unchanged.\n", "3 files checked"),
        (
            "1 file would be reformatted, 2 files would be left unchanged.\n",
            "3 files checked, 1 would be reformatted",
        ),
        ("No Python files are present to be formatted. Nothing to do\n", None),
    ],
)
def test_black_that_checked_no_file_is_red(
    settings: Settings, output: str, summary: str | None
) -> None:
    """black exits 0 when it finds no file; noxline reads its counts and fails on none. A file
    that would be reformatted fails in one line with the count, the diff and the fix."""
    job = define(settings).job("black")
    if summary is None:
        with pytest.raises(NoxlineError, match="^black checked no file in src/tiny_lib tests"):
            black_job.judge_checked(settings, job, output)
    elif "would be reformatted" in summary:
        with pytest.raises(NoxlineError) as caught:
            black_job.judge_checked(settings, job, output)
        assert str(caught.value) == (
            "black would reformat 1 of 3 files (the diff is in reports/black/black.txt): "
            "run `nox -s format` and commit the result"
        )
        assert report_text(settings, job, "summary") == summary + "\n"
    else:
        black_job.judge_checked(settings, job, output)
        assert report_text(settings, job, "summary") == summary + "\n"


@pytest.mark.parametrize(
    ("output", "summary"),
    [
        ("Success: no issues found in 7 source files\n", "7 source files checked"),
        (
            "a.py:1: error: x  [misc]\nFound 2 errors in 1 file (checked 4 source files)\n",
            "4 source files checked, 2 errors",
        ),
        ("There are no .py[i] files in directory 'src'\n", None),
    ],
)
def test_mypy_that_checked_no_file_is_red(
    settings: Settings, output: str, summary: str | None
) -> None:
    """mypy's closing line gives the count of source files checked; none is a failure. Errors
    fail in one line with the counts, where they are listed and the fix."""
    job = define(settings).job("mypy")
    if summary is None:
        with pytest.raises(NoxlineError, match="^mypy checked no source file"):
            mypy_job.judge_checked(settings, job, output)
    elif "errors" in summary:
        with pytest.raises(NoxlineError) as caught:
            mypy_job.judge_checked(settings, job, output)
        assert str(caught.value) == (
            "mypy found 2 errors in 1 of 4 files (listed in reports/mypy/mypy.txt): fix them, "
            "or relax the project's mypy settings for those modules"
        )
        assert report_text(settings, job, "summary") == summary + "\n"
    else:
        mypy_job.judge_checked(settings, job, output)
        assert report_text(settings, job, "summary") == summary + "\n"


def report_text(settings: Settings, job: Job, role: str) -> str:
    """The text of a job's report file."""
    return (settings.project_dir / job.report_path(role)).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("files", "bases"),
    [
        # mypy's own naming serves: no explicit bases.
        (("tests/test_a.py", "tests/unit/test_b.py"), ()),
        # Two conftest.py in folders without __init__.py: both "conftest" to mypy.
        (("tests/conftest.py", "tests/unit/conftest.py"), ("src", "tests")),
        (("tests/unit/test_a.py", "tests/functional/test_a.py"), ("src", "tests")),
        # A package's subpackages give distinct names.
        (("tests/__init__.py", "tests/a/__init__.py", "tests/a/test_x.py", "tests/test_x.py"), ()),
    ],
)
def test_mypy_names_modules_from_their_own_folders_when_its_naming_would_collide(
    settings: Settings, files: tuple[str, ...], bases: tuple[str, ...]
) -> None:
    """Same-named modules in folders without __init__.py ("Duplicate module", nothing checked):
    mypy gets explicit package bases, the package's import root and each such lint folder."""
    for name in files:
        path = settings.project_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")
    session = RecordingSession()
    mypy_job.run(cast(nox.Session, session), settings, define(settings).job("mypy"))
    (command,) = [c for c in session.commands if c[0] == "mypy"]
    assert ("--explicit-package-bases" in command) is bool(bases)
    assert session.env.get("MYPYPATH", "").split(os.pathsep) == list(bases or [""])
    # The project's own configuration names the files: it decides, noxline adds nothing.
    configured = RecordingSession()
    targeted = replace(settings, mypy_targets=True)
    mypy_job.run(cast(nox.Session, configured), targeted, define(targeted).job("mypy"))
    (command,) = [c for c in configured.commands if c[0] == "mypy"]
    assert "--explicit-package-bases" not in command and "src/tiny_lib" not in command


def test_mypy_stopping_for_want_of_files_is_one_line(settings: Settings) -> None:
    """mypy's own "no .py[i] files" stop ends in noxline's line naming what was looked at."""
    job = define(settings).job("mypy")
    with pytest.raises(NoxlineError, match=r"^mypy checked no source file \(src/tiny_lib tests\)"):
        mypy_job.judge_checked(settings, job, "There are no .py[i] files in directory 'tests'\n")


@pytest.mark.parametrize("reformat", [False, True])
def test_black_checks_against_its_cache_in_the_project_and_diffs_only_what_would_change(
    settings: Settings, reformat: bool
) -> None:
    """black runs in check mode without ``--diff`` (the only mode that reads and keeps black's
    cache), its cache under ``.nox`` in the project; only when a file would be reformatted does
    it run again with ``--diff`` for the report, and the job fails on that count."""
    job = define(settings).job("black")
    closing = "1 file would be reformatted, 2 files would be left unchanged.\n"

    class BlackSession(RecordingSession):
        """Prints black's closing counts: one file to reformat, or none."""

        def run(self, *args: str, **options: Any) -> str:
            """Record the command; write the counts where its output goes."""
            self.commands.append(args)
            stream = options.get("stdout")
            if isinstance(stream, io.TextIOBase):
                stream.write(closing if reformat else "3 files would be left unchanged.\n")
            return ""

    session = BlackSession()
    if reformat:
        with pytest.raises(NoxlineError, match="black would reformat 1 of 3 files"):
            black_job.run(cast(nox.Session, session), settings, job)
    else:
        black_job.run(cast(nox.Session, session), settings, job)
    checks = [command for command in session.commands if command[:1] == ("black",)]
    assert checks[0][:2] == ("black", "--check") and "--diff" not in checks[0]
    assert [("--diff" in command) for command in checks[1:]] == ([True] if reformat else [])
    cache = Path(session.env["BLACK_CACHE_DIR"])
    assert cache == settings.project_dir / ".nox" / "noxline-black-cache"


def test_mypy_writes_no_cache_beside_the_project(settings: Settings) -> None:
    """mypy reads no cache while it writes its HTML report, so it is told to write none."""
    session = RecordingSession()
    mypy_job.run(cast(nox.Session, session), settings, define(settings).job("mypy"))
    (command,) = [args for args in session.commands if args[:1] == ("mypy",)]
    assert "--html-report" in command and f"--cache-dir={os.devnull}" in command


def test_pylint_keeps_its_home_in_the_project(settings: Settings) -> None:
    """pylint's own folder (the last scores ``--reports=y`` compares with) is under ``.nox`` in
    the project, never the user's cache folder."""
    session = RecordingSession()
    pylint_job.run(cast(nox.Session, session), settings, define(settings).job("pylint"))
    assert session.env["PYLINTHOME"] == str(settings.project_dir / ".nox" / "noxline-pylint-home")


@pytest.mark.parametrize(
    ("extend_exclude", "expected"),
    [
        (None, None),
        ("", r"^/(?:\.nox|reports|dist)/"),
        ("/migrations/", r"(?:/migrations/)|^/(?:\.nox|reports|dist)/"),
        ("/(\n  a  # old\n)/", "(?:/(\n  a  # old\n)/\n)|^/(?:\\.nox|reports|dist)/"),
    ],
    ids=["silent", "own-selection", "extend-exclude", "verbose"],
)
def test_black_checks_the_project_root_when_its_config_selects_files(
    settings: Settings, extend_exclude: str | None, expected: str | None
) -> None:
    """[tool.black] choosing its files: black gets the project root, noxline's own folders added
    to the project's extend-exclude (a verbose pattern's comment cannot swallow them); a project
    silent about black's files gets the lint paths."""
    if extend_exclude is not None:
        pyproject = settings.project_dir / "pyproject.toml"
        table = f"\n[tool.black]\nextend-exclude = {json.dumps(extend_exclude)}\n"
        if not extend_exclude:
            table = "\n[tool.black]\nexclude = '/docs/'\n"
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + table, encoding="utf-8")
    chosen = load_settings(settings.project_dir)
    assert chosen.black_targets is (expected is not None)
    if expected is None:
        assert black_job.targets(chosen) == ("src/tiny_lib", "tests")
        return
    assert black_job.targets(chosen) == ("--extend-exclude", expected, ".")
    pattern = re.compile(expected, re.VERBOSE if "\n" in expected else 0)
    assert pattern.search("/.nox/") and pattern.search("/reports/")
    assert not pattern.search("/src/") and not pattern.search("/tests/")


def test_pylint_and_docstr_that_checked_nothing_say_where_they_looked(settings: Settings) -> None:
    """No score, no total: one line naming the folders looked at and the key to change."""

    class NothingSession(RecordingSession):
        """Every checker ran and printed nothing countable."""

        def run(self, *args: str, **options: Any) -> str:
            """Record; write an empty report where a report file is given."""
            self.commands.append(args)
            for arg in args:
                if arg.startswith("--output-format="):
                    text = Path(arg.split(",")[0].removeprefix("--output-format=text:"))
                    text.write_text("", encoding="utf-8")
            return ""

    for name, message in (
        ("pylint", r"^pylint checked no statement in src/tiny_lib tests \(no score, see "),
        ("docstr", r"^docstr-coverage checked nothing in src/tiny_lib \(no total, see "),
    ):
        job = define(settings).job(name)
        report_file(settings, job, "text").parent.mkdir(parents=True, exist_ok=True)
        with pytest.raises(NoxlineError, match=message) as caught:
            BODIES[name](cast(nox.Session, NothingSession()), settings, job)
        assert "\n" not in str(caught.value) and "[tool.noxline]" in str(caught.value)


@pytest.mark.parametrize(
    ("files", "folder", "shadows"),
    [
        # A tests folder of its own: first on sys.path, as unittest's discover puts it.
        (("tests/test.py",), "tests", False),
        # The module's own folder (src/tiny_lib.py beside src/test_tiny_lib.py): after the wheel.
        (("src/tiny_lib.py", "src/test_tiny_lib.py"), "src", True),
        (("src/tiny_lib/__init__.py",), "src", True),
    ],
)
def test_only_a_unittest_top_holding_the_package_comes_after_the_wheel(
    settings: Settings, files: tuple[str, ...], folder: str, shadows: bool
) -> None:
    """unittest's top folder goes after site-packages only where it would shadow the wheel."""
    for name in files:
        path = settings.project_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")
    assert tests_job.shadows_wheel(settings, settings.project_dir / folder) is shadows


@pytest.mark.parametrize(
    ("counts", "zero"),
    [((0, 0), True), ((0, 3), False)],
    ids=["copies-ran-none", "one-shard-empty"],
)
def test_the_coverage_job_is_red_when_the_copies_together_ran_no_test(
    settings: Settings, counts: tuple[int, int], zero: bool
) -> None:
    """A shard without files is fine; shards that together ran no test fail the coverage job in
    the tests job's one line, before anything is installed."""
    sharded = replace(settings, test_shards=2)
    for shard, count in enumerate(counts, start=1):
        folder = settings.project_dir / "reports" / "tests" / f"{shard}of2"
        folder.mkdir(parents=True)
        cases = "".join(f'<testcase classname="t" name="t{i}"/>' for i in range(count))
        (folder / "junit.xml").write_text(
            f'<testsuites><testsuite name="s" tests="{count}" failures="0" errors="0" '
            f'skipped="0">{cases}</testsuite></testsuites>',
            encoding="utf-8",
        )
    session = RecordingSession()
    with pytest.raises(NoxlineError) as caught:
        BODIES["coverage"](cast(nox.Session, session), sharded, define(sharded).job("coverage"))
    assert str(caught.value).startswith("no test ran in coverage: looked for ") is zero
    assert bool(session.commands) is not zero  # red before any install


class _RelativeTmpSession:  # pylint: disable=too-few-public-methods
    """A session whose temporary folder is named as nox names it: relative (``.nox/x/tmp``)."""

    def create_tmp(self) -> str:
        """Make and name the folder, relative to the working folder."""
        os.makedirs(".nox/x/tmp", exist_ok=True)
        return ".nox/x/tmp"


def test_the_session_tmp_folder_is_absolute_so_confine_writes_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nox names .nox/<session>/tmp relative to the working folder; confine reads a relative path
    as relative to its root, so a relative root would put tmp/x at tmp/tmp/x (the lock's
    constraints file was written there and uv never found it)."""
    monkeypatch.chdir(tmp_path)
    tmp = session_tmp(cast(nox.Session, _RelativeTmpSession()))
    assert tmp == tmp_path / ".nox/x/tmp"
    written = confine.write_text(tmp, tmp / "noxline-lock/constraints.txt", "a==1\n", exact=True)
    assert written == tmp_path / ".nox/x/tmp/noxline-lock/constraints.txt" and written.is_file()


def test_the_projects_coveragerc_reaches_the_tests_jobs_config(settings: Settings) -> None:
    """A .coveragerc's omit, exclusions and precision are in the job's own config (typed); its
    fail_under is left to noxline's one judgement; noxline's own run options win."""
    (settings.project_dir / ".coveragerc").write_text(
        "[run]\nomit = */gen/*\nbranch = false\n[report]\nexclude_also =\n  def __repr__\n"
        "precision = 2\nfail_under = 99\n",
        encoding="utf-8",
    )
    job = define(settings).job("tests")
    config = tomllib.loads(tests_job.coverage_config(settings, job).read_text(encoding="utf-8"))
    coverage = config["tool"]["coverage"]
    assert coverage["run"]["omit"] == ["*/gen/*"] and coverage["run"]["branch"] is True
    assert coverage["report"]["exclude_also"] == ["def __repr__"]
    assert coverage["report"]["precision"] == 2 and "fail_under" not in coverage["report"]
    assert load_settings(settings.project_dir).coverage_fail_under == 99.0


@pytest.mark.parametrize(
    ("docstr_yaml", "source_given"),
    [("", True), ("fail_under: 10\n", True), ("paths:\n  - src\n  - scripts\n", False)],
    ids=["none", "options-only", "own-paths"],
)
def test_docstr_checks_the_paths_its_own_config_names(
    settings: Settings, docstr_yaml: str, source_given: bool
) -> None:
    """docstr-coverage reads .docstr.yaml itself; a path on the command line would replace the
    paths it names, so noxline gives one only when the project names none."""
    if docstr_yaml:
        (settings.project_dir / ".docstr.yaml").write_text(docstr_yaml, encoding="utf-8")
    session = RecordingSession()
    BODIES["docstr"](cast(nox.Session, session), settings, define(settings).job("docstr"))
    (command,) = [c for c in session.commands if c[0] == "docstr-coverage"]
    assert (str(settings.source_dir) in command) is source_given


@pytest.mark.parametrize(
    ("files", "noxline_key", "fix"),
    [
        (
            {".coveragerc": "[report]\nfail_under = 99\n"},
            "",
            "lower fail_under in .coveragerc (or set coverage-fail-under in [tool.noxline])",
        ),
        (
            {"setup.cfg": "[coverage:report]\nfail_under = 99\n"},
            "",
            "lower fail_under in setup.cfg (or set coverage-fail-under in [tool.noxline])",
        ),
        (
            {".coveragerc": "[report]\nfail_under = 50\n"},
            "\n[tool.noxline]\ncoverage-fail-under = 99\n",
            "lower coverage-fail-under in [tool.noxline]",
        ),
    ],
    ids=["coveragerc", "setup-cfg", "noxline-key-wins"],
)
def test_a_failed_threshold_names_the_file_it_was_read_from(
    settings: Settings, files: dict[str, str], noxline_key: str, fix: str
) -> None:
    """The fix a failed threshold names is where the threshold is: the project's coverage file,
    or [tool.noxline] when the key is set there (it then wins)."""
    root = settings.project_dir
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    if noxline_key:
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + noxline_key, encoding="utf-8")
    chosen = load_settings(root)
    assert chosen.coverage_fail_under == 99.0
    job = define(chosen).job("tests")
    report_file(chosen, job, "summary").parent.mkdir(parents=True, exist_ok=True)
    with pytest.raises(NoxlineError) as caught:
        judge(cast(nox.Session, RecordingSession()), chosen, job, "coverage", 80.0, 99.0)
    assert str(caught.value) == f"coverage 80 % < 99 %: raise it, or {fix}"


class VenvSession(RecordingSession):
    """A :class:`RecordingSession` in a uv venv at ``location`` that nox made in this run
    (``reused`` False), kept from an earlier one (True), or says nothing of (None)."""

    venv_backend = "uv"

    def __init__(self, location: Path, reused: bool | None) -> None:
        """The venv as nox describes it."""
        super().__init__()
        said = {} if reused is None else {"_reused": reused}
        self.virtualenv = SimpleNamespace(location=str(location), **said)


@pytest.mark.parametrize(
    ("reused", "marked", "refreshed"),
    [(False, False, False), (True, False, True), (True, True, False), (None, False, True)],
    ids=["made-in-this-run", "reused-with-another-build", "reused-with-this-build", "no-word"],
)
def test_the_wheel_is_installed_again_only_where_another_build_may_be(
    settings: Settings, tmp_path: Path, reused: bool | None, marked: bool, refreshed: bool
) -> None:
    """A venv made in this run holds the wheel its install named: no second install. A reused
    venv holding another build of the same version, or one nox says nothing of, gets it again."""
    dist = tiny_dist(settings)
    venv = tmp_path / "venv"
    venv.mkdir()
    marker = venv / "noxline-wheel.sha256"
    if marked:
        marker.write_text(dist.wheel.sha256, encoding="utf-8")
    session = VenvSession(venv, reused)
    install_wheel(cast(nox.Session, session), dist, "pytest")
    wheel = str(dist.wheel.path)
    again = [("uv", "pip", "install", "--no-deps", "--reinstall", wheel)] if refreshed else []
    assert session.commands == [("install", wheel, "pytest"), *again]
    assert marker.read_text(encoding="utf-8") == dist.wheel.sha256
