"""Registration: the job sessions plus format, chained by requires=, with the uv backend."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nox
import pytest
from nox import registry as nox_registry

from noxline.config import load_settings, replace
from noxline.pipeline import define
from noxline.errors import NoxlineError
from noxline.sessions import (
    PYCACHE_DIR,
    VENV_BACKEND,
    _session_body,
    bytecode_env,
    seed_stdlib_bytecode,
    mask_reports,
    register,
    this_copy,
)
from tests.unit._projects import write_project


@pytest.fixture(name="registry")
def registry_fixture() -> Iterator[dict[str, object]]:
    """nox's session registry, emptied before and restored after the test."""
    # nox keeps one module-level registry; the test owns it while it runs.
    registry = nox_registry._REGISTRY  # pylint: disable=protected-access
    saved = dict(registry)
    registry.clear()
    yield registry  # type: ignore[misc]
    registry.clear()
    registry.update(saved)


def test_register_makes_every_job_a_session(
    tmp_path: Path, registry: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """register() reads ./pyproject.toml and registers one session per job, plus format.

    It sets no UV_COMPILE_BYTECODE for the whole process: each session decides by venv reuse.
    """
    monkeypatch.chdir(write_project(tmp_path))
    monkeypatch.delenv("UV_COMPILE_BYTECODE", raising=False)
    settings = register()
    assert settings.package == "tiny_lib"
    names = list(registry)
    assert names == [*define(settings).names, "format"]
    assert "UV_COMPILE_BYTECODE" not in os.environ


def test_sessions_carry_the_pipeline_facts(tmp_path: Path, registry: dict[str, object]) -> None:
    """requires= follows needs; venv backends, reuse and defaults are as documented."""
    settings = replace(load_settings(write_project(tmp_path)), blocking=("mypy",))
    register(settings)
    sessions: dict[str, nox._decorators.Func] = registry  # type: ignore[assignment]
    assert sessions["publish"].requires == ["build", "wheel-install", "tests", "mypy"]
    assert sessions["build"].requires == ["version"]
    assert sessions["black"].requires == []
    assert sessions["version"].venv_backend == "none"
    assert sessions["tests"].venv_backend == VENV_BACKEND
    assert sessions["wheel-install"].reuse_venv is False
    assert sessions["format"].default is False
    assert sessions["tests"].tags == ["test", "pipeline"]
    assert sessions["tests"].__doc__ == define(settings).job("tests").description


def test_bad_settings_exit_with_one_line(
    tmp_path: Path, registry: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed [tool.noxline] ends noxfile loading with one line; nothing is registered."""
    monkeypatch.chdir(write_project(tmp_path, extra="[tool.noxline]\ntests-dir = 3\n"))
    with pytest.raises(SystemExit) as stop:
        register()
    assert str(stop.value) == (
        "noxline: error: [tool.noxline] tests-dir = 3 is not a non-empty path; "
        "fix that key in pyproject.toml"
    )
    assert not registry


class _StandInSession:
    """Just what the session wrapper touches: a name, a venv, and error() as nox's raises."""

    name = "publish"
    virtualenv = None

    def __init__(self) -> None:
        """An environment of its own, as each nox session has."""
        self.env: dict[str, str] = {}

    def error(self, message: str) -> None:
        """nox ends the session with the message: raise it for the test to see."""
        raise SessionEnded(message)


class SessionEnded(Exception):
    """What the stand-in session's error() raises."""


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (NoxlineError("bad input: fix it"), r"^bad input: fix it$"),
        (ValueError("x" * 10), r"^unexpected error \(ValueError: x+\).*NOXLINE_TRACEBACK=1"),
        (KeyError("https://u:hunter2@h/"), r"unexpected error \(KeyError: .*\*\*\*\*@h"),
    ],
    ids=["noxline-error", "bug", "bug-with-credentials"],
)
def test_session_failures_are_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    raised: Exception,
    expected: str,
) -> None:
    """Any exception from a body ends the session with one masked line; a bug's traceback goes
    to a file inside the project, named in the line."""
    monkeypatch.chdir(write_project(tmp_path))
    monkeypatch.delenv("NOXLINE_TRACEBACK", raising=False)

    def body(session: nox.Session) -> None:
        """Fail."""
        raise raised

    wrapped = _session_body("fails", body, "fails", load_settings(Path.cwd()))
    with pytest.raises(SessionEnded, match=expected) as ended:
        wrapped(_StandInSession())  # type: ignore[arg-type]
    message = str(ended.value)
    assert "\n" not in message and "hunter2" not in message and "Traceback" not in message
    written = tmp_path / "reports" / "tracebacks" / "publish.txt"
    if isinstance(raised, NoxlineError):
        assert not written.exists()
    else:
        assert str(written) in message and "Traceback" in written.read_text(encoding="utf-8")
        assert "hunter2" not in written.read_text(encoding="utf-8")


def test_traceback_on_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NOXLINE_TRACEBACK=1 lets the exception through (nox then prints the traceback)."""
    monkeypatch.chdir(write_project(tmp_path))
    monkeypatch.setenv("NOXLINE_TRACEBACK", "1")

    def body(session: nox.Session) -> None:
        """Fail."""
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        wrapped = _session_body("fails", body, "fails", load_settings(Path.cwd()))
        wrapped(_StandInSession())  # type: ignore[arg-type]


def test_a_matrix_becomes_parametrised_sessions(
    tmp_path: Path, registry: dict[str, object]
) -> None:
    """Several Pythons: tests and wheel-install are nox's parametrised sessions; the other jobs
    and the coverage job that needs every copy run on check-python."""
    settings = replace(
        load_settings(write_project(tmp_path)),
        python=("3.11", "3.12"),
        check_python="3.12",
        test_shards=2,
    )
    register(settings)
    sessions: dict[str, nox._decorators.Func] = registry  # type: ignore[assignment]
    assert sessions["tests"].python == ["3.11", "3.12"]
    assert sessions["wheel-install"].python == ["3.11", "3.12"]
    assert sessions["coverage"].requires == ["tests"]
    for name in ("build", "pylint", "coverage", "publish", "format"):
        assert sessions[name].python == "3.12", name
    assert sessions["version"].python is None


class _PythonSession:  # pylint: disable=too-few-public-methods
    """Stands in for a nox session where only its interpreter is read."""

    def __init__(self, python: str | None) -> None:
        """A session on ``python``."""
        self.python = python


@pytest.mark.parametrize(
    ("python", "shards", "env", "session_python", "folder"),
    [
        ((), 1, {}, None, "reports/tests"),
        (("3.11", "3.12"), 1, {}, "3.12", "reports/tests/3.12"),
        (
            ("3.11", "3.12"),
            2,
            {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"},
            "3.11",
            "reports/tests/3.11-2of2",
        ),
        (("3.11", "3.12"), 2, {"NOXLINE_SHARD": "1"}, "3.12", "reports/tests/3.12-1of2"),
        ((), 2, {}, None, "reports/tests/all"),
        ((), 2, {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"}, None, "reports/tests/1of2"),
    ],
    ids=["plain", "matrix", "gitlab-parallel", "matrix-shard-variable", "local-all", "shard"],
)
def test_each_copy_writes_into_its_own_folder(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    python: tuple[str, ...],
    shards: int,
    env: dict[str, str],
    session_python: str | None,
    folder: str,
) -> None:
    """The session's Python and the shard variables pick the copy, and with it the folder."""
    for name in ("CI_NODE_INDEX", "CI_NODE_TOTAL", "NOXLINE_SHARD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = replace(load_settings(write_project(tmp_path)), python=python, test_shards=shards)
    job = define(settings).job("tests")
    copy = this_copy(job, _PythonSession(session_python))  # type: ignore[arg-type]
    assert copy.reports_folder == folder
    assert copy.report_path("junit") == f"{folder}/junit.xml"


def test_every_declared_report_is_masked_when_the_job_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reports a tool wrote (JUnit XML holding what a test printed) pass the masking step when
    the job ends; a file that is not text (coverage's database) is left byte for byte."""
    settings = load_settings(write_project(tmp_path))
    monkeypatch.setenv("TWINE_PASSWORD", "s3cret-value-Zq81x")
    job = define(settings).job("tests")
    folder = tmp_path / job.reports_folder
    folder.mkdir(parents=True)
    junit = folder / job.files["junit"]
    junit.write_text(
        "<testsuite><system-out>pw s3cret-value-Zq81x at https://u:p@h/</system-out></testsuite>",
        encoding="utf-8",
    )
    binary = folder / job.files["coverage-data"]
    binary.write_bytes(b"SQLite format 3\0 s3cret-value-Zq81x \xff")
    mask_reports(settings, job)
    assert junit.read_text(encoding="utf-8") == (
        "<testsuite><system-out>pw **** at https://****@h/</system-out></testsuite>"
    )
    assert binary.read_bytes() == b"SQLite format 3\0 s3cret-value-Zq81x \xff"


#: Environment -> what a reused venv's session adds ("prefix": bytecode kept under .nox).
BYTECODE_CASES = {
    "writing-forbidden": ({"PYTHONDONTWRITEBYTECODE": "1"}, "prefix"),
    "writing-allowed": ({}, None),
    "forbidden-by-an-empty-value-is-allowed": ({"PYTHONDONTWRITEBYTECODE": ""}, None),
    "uv-compiles": ({"PYTHONDONTWRITEBYTECODE": "1", "UV_COMPILE_BYTECODE": "1"}, None),
    "uv-told-not-to": ({"PYTHONDONTWRITEBYTECODE": "1", "UV_COMPILE_BYTECODE": "0"}, None),
    "own-prefix": ({"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/c"}, None),
}


@pytest.mark.parametrize("case", sorted(BYTECODE_CASES))
def test_reused_venvs_keep_bytecode_where_the_environment_leaves_it_to_noxline(
    tmp_path: Path, case: str
) -> None:
    """Bytecode is never compiled at install time; where PYTHONDONTWRITEBYTECODE forbids writing
    it beside the sources, it is written under .nox instead; an environment that decides about
    bytecode itself is left alone."""
    environ, expected = BYTECODE_CASES[case]
    added = bytecode_env(tmp_path, environ)
    assert "UV_COMPILE_BYTECODE" not in added
    if expected is None:
        assert added == {}
    else:
        assert added == {
            "PYTHONDONTWRITEBYTECODE": "",
            "PYTHONPYCACHEPREFIX": str(tmp_path / PYCACHE_DIR),
        }


def test_the_standard_librarys_bytecode_is_linked_into_the_prefix_once(tmp_path: Path) -> None:
    """Under PYTHONPYCACHEPREFIX Python passes over the standard library's own __pycache__:
    its compiled files are linked into the project's prefix, so a first import compiles none of
    them (the prefix gains no new file for json), and a second seeding is a no-op."""
    prefix = tmp_path / ".nox" / "noxline-pycache"
    seed_stdlib_bytecode(tmp_path, prefix)
    seeded = sorted(prefix.rglob("*.pyc"))
    assert any(path.name.startswith("decoder.") and path.parent.name == "json" for path in seeded)
    assert seeded[0].stat().st_nlink >= 1 and not (tmp_path / "__pycache__").exists()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(prefix)}
    subprocess.run([sys.executable, "-c", "import json.decoder"], env=env, check=True)
    assert sorted(prefix.rglob("*.pyc")) == seeded
    (seeded[0]).unlink()
    seed_stdlib_bytecode(tmp_path, prefix)  # the marker says it is done: nothing linked again
    assert not seeded[0].exists()
    # Without it, the same import compiles json into an empty prefix.
    empty = tmp_path / "empty"
    env["PYTHONPYCACHEPREFIX"] = str(empty)
    subprocess.run([sys.executable, "-c", "import json.decoder"], env=env, check=True)
    assert any(path.parent.name == "json" for path in empty.rglob("*.pyc"))
