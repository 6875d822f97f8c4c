"""`noxline init`: the three files it writes, its comments and choices, refusals and idempotence."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from noxline import gitlab
from noxline.adopt import NOXFILE, plan
from noxline.cli import main
from noxline.config import load_settings
from tests.helpers import REPO_ROOT, copy_shape

SEED_PIPELINE = "stages:\n  - pre-package\n  - package\n  - pre-test\n  - test\n  - publish\n"


def _shape(tmp_path: Path, name: str) -> Path:
    """A private copy of a shape fixture."""
    return copy_shape(tmp_path, name)


def _init(project: Path, *extra: str) -> int:
    """Run `noxline -C <project> init` through the real command-line entry point."""
    return main(["-C", str(project), "init", *extra])


def _table(project: Path) -> str:
    """The text of the [tool.noxline] table at the end of the project's pyproject.toml."""
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    return text[text.index("[tool.noxline]") :]


def test_init_writes_the_three_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The noxfile is the four fixed lines, the YAML the rendered pipeline, all said on stdout."""
    project = _shape(tmp_path, "poetry_legacy")
    assert _init(project) == 0
    out = capsys.readouterr().out
    assert (project / "noxfile.py").read_text(encoding="utf-8") == (
        'import nox\nimport noxline\n\nnox.needs_version = ">=2026.10.20"\nnoxline.register()\n'
    )
    settings = load_settings(project)
    assert (project / ".gitlab-ci.yml").read_text(encoding="utf-8") == gitlab.render(settings)
    assert "  created    noxfile.py\n" in out
    assert "  updated    pyproject.toml: added [tool.noxline]\n" in out
    assert "  created    .gitlab-ci.yml\n" in out
    assert "package poetrylegacy in src/poetrylegacy/, tests in tests/ run by unittest" in out


def test_the_table_is_appended_and_the_rest_is_kept_byte_for_byte(tmp_path: Path) -> None:
    """tomlkit adds the table at the end; every byte the project wrote before stays."""
    project = _shape(tmp_path, "poetry_groups")
    before = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert _init(project) == 0
    after = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert after.startswith(before)
    assert after[len(before) :].lstrip("\n").startswith("[tool.noxline]\n")
    assert tomllib.loads(after)["tool"]["poetry"] == tomllib.loads(before)["tool"]["poetry"]


def test_a_file_without_a_final_newline_gets_the_table_on_its_own_line(tmp_path: Path) -> None:
    """The missing newline is added, then an empty line, then the table."""
    project = _shape(tmp_path, "poetry_legacy")
    before = (project / "pyproject.toml").read_text(encoding="utf-8").rstrip("\n")
    (project / "pyproject.toml").write_text(before, encoding="utf-8")
    assert _init(project) == 0
    after = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert after.startswith(before + "\n\n[tool.noxline]\n")


def test_force_moves_a_table_from_the_middle_and_keeps_the_others(tmp_path: Path) -> None:
    """A [tool.noxline] between other tables is rewritten at the end; the others are untouched."""
    project = _shape(tmp_path, "hatch_groups")
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    text = text.replace(
        "[tool.pytest.ini_options]", "[tool.noxline]\npython = '3.11'\n\n[tool.pytest.ini_options]"
    )
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    assert _init(project, "--force") == 0
    after = (project / "pyproject.toml").read_text(encoding="utf-8")
    data, old = tomllib.loads(after), tomllib.loads(text)
    assert data["tool"]["noxline"] == {"python": "3.11"}
    assert {k: v for k, v in data.items() if k != "tool"} == {
        k: v for k, v in old.items() if k != "tool"
    }
    assert data["tool"]["pytest"] == old["tool"]["pytest"]
    assert after.index("[tool.pytest.ini_options]") < after.index("[tool.noxline]")


def test_detected_settings_are_comments_and_nothing_is_active(tmp_path: Path) -> None:
    """A project noxline reads fully by itself gets a table of comments only, with the values."""
    project = _shape(tmp_path, "hatch_groups")
    assert _init(project) == 0
    table = _table(project)
    assert '# package = "hatchdemo"  # detected\n' in table
    assert '# source-dir = "src/hatchdemo"  # detected\n' in table
    assert '# test-runner = "pytest"  # detected\n' in table
    assert '# test-requirements = ["pytest>=7", "ruff>=0.4"]  # detected\n' in table
    assert "# coverage-fail-under = 80.0  # none: measured and reported, never failing" in table
    assert tomllib.loads((project / "pyproject.toml").read_text())["tool"]["noxline"] == {}
    # Uncommenting a line gives valid TOML with that value.
    uncommented = table.replace('# package = "hatchdemo"', 'package = "hatchdemo"')
    assert tomllib.loads(uncommented)["tool"]["noxline"] == {"package": "hatchdemo"}


def test_what_the_resolver_finds_is_shown_and_nothing_is_pinned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tests in test/ with a conftest.py and coverage's own threshold: register() derives them
    too (one resolver), so init shows them as comments and sets no key."""
    project = _shape(tmp_path, "test_folder")
    assert _init(project) == 0
    assert tomllib.loads((project / "pyproject.toml").read_text())["tool"]["noxline"] == {}
    table = _table(project)
    assert '# tests-dir = "test"  # detected\n' in table
    assert '# test-runner = "pytest"  # detected\n' in table
    assert "# coverage-fail-under = 92.5  # fail_under in pyproject.toml\n" in table
    assert "tests in test/ run by pytest" in capsys.readouterr().out
    settings = load_settings(project)
    assert settings.lint_paths == ("src/testfolder", "test")
    assert settings.coverage_fail_under == 92.5


def test_init_ignores_noxlines_outputs_keeping_the_projects_own_entries(tmp_path: Path) -> None:
    """.gitignore gains .nox/, dist/ and reports/ (only those missing), created when absent."""
    project = _shape(tmp_path, "flat_setuptools")
    (project / ".gitignore").write_text("*.pyc\ndist\n", encoding="utf-8")
    assert _init(project) == 0
    assert (project / ".gitignore").read_text(encoding="utf-8") == (
        "*.pyc\ndist\n# noxline's outputs (noxline init)\n.nox/\nreports/\n"
    )
    other = _shape(tmp_path / "b", "poetry_legacy")
    assert _init(other) == 0
    assert (other / ".gitignore").read_text(encoding="utf-8").splitlines()[1:] == [
        ".nox/",
        "dist/",
        "reports/",
    ]


def test_a_second_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Idempotent: the same three files, each reported unchanged, exit 0."""
    project = _shape(tmp_path, "flat_setuptools")
    assert _init(project) == 0
    files = ("noxfile.py", "pyproject.toml", ".gitlab-ci.yml", ".gitignore")
    first = {name: (project / name).read_bytes() for name in files}
    capsys.readouterr()
    assert _init(project) == 0
    out = capsys.readouterr().out
    assert {name: (project / name).read_bytes() for name in files} == first
    assert out.count("  unchanged  ") == 4
    assert "next:" not in out


def test_a_different_file_is_refused_with_its_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An old pipeline is shown as a unified diff, exit 1, and nothing at all is written."""
    project = _shape(tmp_path, "poetry_legacy")
    (project / ".gitlab-ci.yml").write_text(SEED_PIPELINE, encoding="utf-8")
    before = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert _init(project) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(
        "--- .gitlab-ci.yml (existing)\n+++ .gitlab-ci.yml (noxline init)\n"
    )
    assert "\n-  - pre-test\n" in captured.out
    assert ".gitlab-ci.yml in " in captured.err and "`noxline init --force`" in captured.err
    assert not (project / "noxfile.py").exists()
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == before
    assert (project / ".gitlab-ci.yml").read_text(encoding="utf-8") == SEED_PIPELINE


def test_force_replaces_a_different_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --force the old pipeline and noxfile are replaced, and said so."""
    project = _shape(tmp_path, "poetry_legacy")
    (project / ".gitlab-ci.yml").write_text(SEED_PIPELINE, encoding="utf-8")
    (project / "noxfile.py").write_text("import nox\n", encoding="utf-8")
    assert _init(project, "--force") == 0
    out = capsys.readouterr().out
    assert "  replaced   .gitlab-ci.yml\n" in out and "  replaced   noxfile.py\n" in out
    assert (project / "noxfile.py").read_text(encoding="utf-8") == NOXFILE
    assert "run-unit-tests" not in (project / ".gitlab-ci.yml").read_text(encoding="utf-8")


def test_an_existing_table_is_kept_and_force_keeps_its_keys(tmp_path: Path) -> None:
    """The project's own [tool.noxline] is never rewritten without --force; with it, keys stay."""
    project = _shape(tmp_path, "test_folder")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as stream:
        stream.write('\n[tool.noxline]\ntests-dir = "test"  # ours\nblocking = ["mypy"]\n')
    before = (project / "pyproject.toml").read_text(encoding="utf-8")
    result = plan(project.resolve())
    pyproject = result.files[1]
    assert not pyproject.changed and pyproject.new == before
    assert result.settings.blocking == ("mypy",)
    assert _init(project, "--force") == 0
    table = _table(project)
    assert 'tests-dir = "test"  # ours\n' in table  # the project's comment survives
    assert 'blocking = ["mypy"]\n' in table
    assert "# tests-dir" not in table and "# blocking" not in table
    assert tomllib.loads((project / "pyproject.toml").read_text())["tool"]["noxline"] == {
        "tests-dir": "test",
        "blocking": ["mypy"],
    }
    assert table.count("[tool.noxline]") == 1


def test_force_keeps_the_comment_lines_the_project_wrote(tmp_path: Path) -> None:
    """--force keeps the comment lines the project wrote in its table, each above the key it
    stood above (or at the end), and drops only the lines init writes itself (its header, its
    commented keys), which it writes anew (run twice: nothing doubles)."""
    project = _shape(tmp_path, "test_folder")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as stream:
        stream.write(
            "\n[tool.noxline]\n# noxline init wrote this once\n"
            "# Written by `noxline init`. Commented lines show what noxline detected or uses by "
            'default;\n# docs-config = ""  # detected\n'
            "# The audit asks our mirror: osv.dev is blocked here.\n"
            'audit-osv-url = "https://osv.example/v1/query"\n'
            '#our test folder\ntests-dir = "test"\n# See the wiki for why.\n'
        )
    for _ in range(2):
        assert _init(project, "--force") == 0
        table = _table(project)
        assert (
            "# The audit asks our mirror: osv.dev is blocked here.\n"
            'audit-osv-url = "https://osv.example/v1/query"\n'
        ) in table
        assert '# our test folder\ntests-dir = "test"\n' in table
        assert table.rstrip().endswith("# See the wiki for why.")
        assert table.count("# noxline init wrote this once") == 1
        assert table.count("Written by `noxline init`") == 1
        # A key init never shows, commented out by the project: the project's line, kept once.
        assert table.count('# docs-config = ""  # detected') == 1
        assert table.count("# test-runner = ") == 1  # init's own line, written anew


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("no_package", "noxline: error: cannot find the import package of project 'two-packages'"),
    ],
)
def test_a_project_init_cannot_read_gets_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: str, message: str
) -> None:
    """The CLI prints the one message (cause and what to set), exits 2 and writes nothing."""
    project = _shape(tmp_path, shape)
    before = sorted(path.name for path in project.iterdir())
    assert _init(project) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert sorted(path.name for path in project.iterdir()) == before


def test_notes_name_what_the_pipeline_will_lack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No readme, no tests, an excluding requires-python and the seed's script are pointed out."""
    project = _shape(tmp_path, "no_package")
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    text = text.replace("[project]\n", '[project]\nrequires-python = "<3.0"\n', 1)
    text += '\n[tool.noxline]\npackage = "alpha"\nsource-dir = "alpha"\n'
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    (project / "scripts").mkdir()
    (project / "scripts" / "update_version.py").write_text("print('1.0')\n", encoding="utf-8")
    assert _init(project) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  note: ")]
    assert len(notes) == 4
    assert "names no readme" in notes[0] and 'set readme = "README.md"' in notes[0]
    assert "no tests found" in notes[1] and "set tests-dir" in notes[1]
    assert "requires-python '<3.0' excludes Python 3." in notes[2]
    assert "scripts/update_version.py is no longer used" in notes[3]


def test_an_empty_readme_is_pointed_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty description warns in the build (fails with strict-metadata): init says so."""
    project = _shape(tmp_path, "hatch_groups")
    (project / "README.md").write_text("\n", encoding="utf-8")
    assert _init(project) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  note: ")]
    assert notes == [
        "  note: README.md is empty, so PyPI would show no description and the build job warns "
        "(strict-metadata fails): write a few lines into README.md"
    ]


def test_a_project_without_pyproject_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """init runs in a project's root: elsewhere it says so."""
    assert _init(tmp_path) == 2
    assert "no pyproject.toml in" in capsys.readouterr().err
    assert not (tmp_path / "noxfile.py").exists()


def test_the_pvout_example_is_adopted_as_init_writes_it() -> None:
    """examples/pvout holds exactly what `noxline init` writes: re-running it changes nothing."""
    result = plan((REPO_ROOT / "examples" / "pvout").resolve())
    stale = [item.path.name for item in result.files if item.changed]
    assert not stale, f"run `noxline -C examples/pvout init --force`: {stale} are stale"
    assert result.settings.coverage_fail_under == 95.0  # carried over from [tool.coverage.report]


def test_init_says_whether_the_docs_job_is_on_and_the_key_that_turns_it_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A package with docstrings gets pdoc's API reference, one with a mkdocs.yml MkDocs, one
    with neither nothing; each time init says so, with the key; the tools line names only the
    docs tool the job runs."""
    project = _shape(tmp_path, "hatch_groups")
    assert _init(project) == 0
    output = capsys.readouterr().out
    (line,) = [line for line in output.splitlines() if "docs job" in line]
    assert line == (
        "  docs job on: pdoc's API reference of the wheel's docstrings, the README as front page, "
        "into reports/docs/site/; GitLab Pages publishes the site of release tags (pages-from); "
        "docs = false in [tool.noxline] turns both off"
    )
    (tools_line,) = [line for line in output.splitlines() if line.startswith("  tools: ")]
    assert "pdoc " in tools_line and "mkdocs" not in tools_line and "sphinx" not in tools_line
    assert "docs:" in (project / ".gitlab-ci.yml").read_text(encoding="utf-8")

    (project / "mkdocs.yml").write_text("site_name: hatchdemo\n", encoding="utf-8")
    assert _init(project, "--force") == 0
    assert "docs job on: mkdocs.yml built by mkdocs (strict" in capsys.readouterr().out

    (project / "mkdocs.yml").unlink()
    package = project / "src" / "hatchdemo"
    for module in package.glob("*.py"):
        module.write_text("VALUE = 1\n", encoding="utf-8")
    assert _init(project, "--force") == 0
    assert "docs job off: no mkdocs.yml or Sphinx conf.py" in capsys.readouterr().out
    assert "\ndocs:" not in (project / ".gitlab-ci.yml").read_text(encoding="utf-8")
