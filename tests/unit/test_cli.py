"""The noxline command: version printing and writing, and one clear message for bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from noxline.cli import main
from tests.unit._projects import write_project

#: A GitLab tag pipeline for release 1.2.3, as the version rules see it.
TAG_PIPELINE = {"CI_COMMIT_TAG": "1.2.3", "CI_COMMIT_REF_NAME": "1.2.3", "CI_PIPELINE_ID": "77"}


def _ci(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> None:
    """Set GitLab variables for the test, clearing ones the machine may have."""
    for name in ("CI", "GITLAB_CI", "CI_COMMIT_TAG", "CI_COMMIT_REF_NAME", "CI_PIPELINE_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def test_version_prints_the_release_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At a release tag pipeline, `noxline version` prints the tag and writes nothing."""
    project = write_project(tmp_path, git=True)
    before = (project / "pyproject.toml").read_text(encoding="utf-8")
    _ci(monkeypatch, TAG_PIPELINE)
    assert main(["-C", str(project), "version"]) == 0
    assert capsys.readouterr().out == "1.2.3\n"
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == before


def test_version_write_keeps_the_toml_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--write changes only the version string: comments and layout stay."""
    project = write_project(tmp_path, git=True)
    _ci(monkeypatch, TAG_PIPELINE)
    assert main(["-C", str(project), "version", "--write", "--explain"]) == 0
    assert capsys.readouterr().out.startswith("1.2.3 (release, from tag 1.2.3)")
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert 'version = "1.2.3"  # the version noxline rewrites' in text
    assert (project / "src/tiny_lib/VERSION").read_text(encoding="utf-8") == "1.2.3\n"


def test_version_on_a_branch_is_a_dev_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A branch pipeline gets <pyproject version>.dev<pipeline id>."""
    project = write_project(tmp_path, git=True)
    _ci(monkeypatch, {"CI_COMMIT_REF_NAME": "1.2.3", "CI_PIPELINE_ID": "5"})
    assert main(["-C", str(project), "version"]) == 0
    assert capsys.readouterr().out == "0.3.0.dev5\n"


def test_poetry_metadata_version_is_written_under_tool_poetry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Projects that keep their metadata in [tool.poetry] get the version written there."""
    (tmp_path / "src" / "legacy").mkdir(parents=True)
    (tmp_path / "src" / "legacy" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "legacy"\nversion = "1.0.0"\n', encoding="utf-8"
    )
    _ci(monkeypatch, TAG_PIPELINE)
    assert main(["-C", str(tmp_path), "version", "--write"]) == 0
    text = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    assert text == '[tool.poetry]\nname = "legacy"\nversion = "1.2.3"\n'


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        (None, "no pyproject.toml in"),
        ("[tool.noxline]\ncoverage-fail-undr = 3\n", "unknown key 'coverage-fail-undr'"),
        ("[tool.noxline]\ncoverage-fail-under = 'high'\n", "coverage-fail-under = 'high' is not"),
        ("[tool.noxline]\ncoverage-fail-under = 300\n", "must be between 0 and 100"),
        ("[tool.noxline]\ntest-runner = 'nose'\n", "one of 'unittest', 'pytest'"),
        ("[tool.noxline]\nblocking = 'mypy'\n", "blocking = 'mypy' is not a list of strings"),
        ("[tool.noxline]\nrelease-pattern = '('\n", "is not a valid regular expression"),
        ("[tool.noxline\n", "is not valid TOML"),
    ],
)
def test_bad_settings_end_with_one_message(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pyproject: str | None,
    message: str,
) -> None:
    """A malformed [tool.noxline] exits 2 with one line naming the key, no traceback."""
    if pyproject is not None:
        write_project(tmp_path, extra=pyproject)
    assert main(["-C", str(tmp_path), "version"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("noxline: error: ")
    assert message in error
    assert "Traceback" not in error
    assert len(error.strip().splitlines()) == 1


def test_not_a_git_checkout_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside CI and outside git, the version cannot be computed: the message says so."""
    project = write_project(tmp_path)
    _ci(monkeypatch, {})
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert main(["-C", str(project), "version"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("noxline: error: ") and "git" in error
    assert len(error.strip().splitlines()) == 1


@pytest.mark.parametrize("traceback_wanted", [False, True])
def test_unexpected_errors_are_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    traceback_wanted: bool,
) -> None:
    """A bug in a command: one masked line naming the traceback file, exit 70; the traceback
    itself only with NOXLINE_TRACEBACK=1."""
    project = write_project(tmp_path)
    monkeypatch.setenv("TWINE_PASSWORD", "pw-in-a-bug")

    def broken(args: object) -> int:
        """A command with a bug."""
        raise RuntimeError("failed with pw-in-a-bug\nsecond line")

    monkeypatch.setattr("noxline.cli._version", broken)
    if traceback_wanted:
        monkeypatch.setenv("NOXLINE_TRACEBACK", "1")
        with pytest.raises(RuntimeError):
            main(["-C", str(project), "version"])
        return
    monkeypatch.delenv("NOXLINE_TRACEBACK", raising=False)
    assert main(["-C", str(project), "version"]) == 70
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error and "pw-in-a-bug" not in error
    written = project / "reports" / "noxline-traceback.txt"
    assert str(written) in error and "RuntimeError" in written.read_text(encoding="utf-8")
    assert "pw-in-a-bug" not in written.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "command", [[], ["version"], ["init"], ["gitlab-ci"], ["run"]], ids=" ".join
)
def test_help_is_plain_prose(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """`noxline [COMMAND] --help` shows no reST markup (double backticks, :role: references)."""
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: noxline")
    assert not re.search(r"``|:(func|class|mod|meth|data|attr):", text), text


@pytest.mark.parametrize("output", ["../elsewhere.yml", "/tmp/noxline-ci.yml", "."])
def test_gitlab_ci_writes_only_inside_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    """--output outside the project (or the project itself) is refused, nothing written."""
    project = write_project(tmp_path / "p")
    assert main(["-C", str(project), "gitlab-ci", "--output", output]) == 2
    assert "is not a file inside the project" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere.yml").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe[project]\n", "is not UTF-8 text"),
        (b"a = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "too deeply"),
        (None, "cannot read"),
    ],
    ids=["not-utf8", "deep", "a-folder"],
)
def test_unreadable_pyproject_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    """A pyproject.toml that cannot be read at all is bad input (exit 2), not a bug."""
    if content is None:
        (tmp_path / "pyproject.toml").mkdir()
    else:
        (tmp_path / "pyproject.toml").write_bytes(content)
    assert main(["-C", str(tmp_path), "version"]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
