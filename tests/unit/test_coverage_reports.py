"""One coverage process writes what the coverage commands wrote: combined data, HTML, XML, table."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import coverage
import pytest

from noxline.jobs import _coverage_reports

#: A module with a branch each measured run takes one side of, like the files two shards cover.
MODULE = """\
def sign(number):
    if number < 0:
        return "negative"
    return "positive"


def unused():
    return 1
"""

CONFIG = """\
[tool.coverage.run]
branch = true
parallel = true
relative_files = true
source = ["{src}"]
data_file = "{out}/.coverage"

[tool.coverage.report]
skip_empty = true

[tool.coverage.html]
directory = "{out}/html"

[tool.coverage.xml]
output = "{out}/coverage.xml"
"""


@pytest.fixture(autouse=True)
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in the project folder, as the jobs do: the data names files relative to it."""
    monkeypatch.chdir(tmp_path)


def config(root: Path, name: str) -> Path:
    """A coverage config like the tests job's, writing everything into ``root/name/``."""
    out = root / name
    out.mkdir()
    path = root / f"{name}.toml"
    path.write_text(CONFIG.format(src=root / "src", out=out), encoding="utf-8")
    return path


def measured(root: Path) -> list[Path]:
    """Two parallel data files, each from a real ``coverage run`` taking one side of the branch."""
    (root / "src").mkdir()
    (root / "src" / "demo.py").write_text(MODULE, encoding="utf-8")
    rcfile = config(root, "copies")
    runner = root / "run_demo.py"  # outside the measured source
    runner.write_text("import sys, demo\ndemo.sign(int(sys.argv[1]))\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    for number in ("-1", "1"):
        subprocess.run(
            [sys.executable, "-m", "coverage", "run", f"--rcfile={rcfile}", str(runner), number],
            cwd=root,
            env=env,
            check=True,
        )
    files = sorted((root / "copies").glob(".coverage.*"))
    assert len(files) == 2
    return files


def commands(rcfile: Path, data: list[Path]) -> str:
    """What the tests and coverage jobs ran before: one coverage command per report."""
    cli = [sys.executable, "-m", "coverage"]
    subprocess.run([*cli, "combine", "--keep", f"--rcfile={rcfile}", *map(str, data)], check=True)
    for report in ("html", "xml"):
        subprocess.run([*cli, report, f"--rcfile={rcfile}"], check=True, capture_output=True)
    table = [*cli, "report", f"--rcfile={rcfile}", "--precision=1"]
    return subprocess.run(table, check=True, capture_output=True, text=True).stdout


def undated(path: Path) -> bytes:
    """A report file's bytes without the moment it was written (and, in the HTML report's
    status.json, the hash of the configuration, which here names another output folder)."""
    return re.sub(rb'timestamp="\d+"|created at [^<]*|"globals":"\w+"', b"", path.read_bytes())


def test_one_process_writes_the_reports_the_coverage_commands_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same combined figure, Cobertura file, HTML pages and table, from one process."""
    data = measured(tmp_path)
    table = commands(config(tmp_path, "commands"), data)
    rcfile = config(tmp_path, "one")
    assert _coverage_reports.main([f"--rcfile={rcfile}", "--table", *map(str, data)]) == 0
    printed = capsys.readouterr().out
    assert printed.endswith(table)
    assert re.search(r"^TOTAL\s.*\s(\d+(?:\.\d+)?)%$", printed, re.MULTILINE)
    before, after = tmp_path / "commands", tmp_path / "one"
    assert undated(after / "coverage.xml") == undated(before / "coverage.xml")
    pages = sorted(path.name for path in (before / "html").iterdir())
    assert pages == sorted(path.name for path in (after / "html").iterdir())
    for page in pages:
        assert undated(after / "html" / page) == undated(before / "html" / page), page
    assert all(path.is_file() for path in data)  # the copies' files stay for a re-run


def test_without_data_files_the_jobs_own_parallel_files_are_folded_in(tmp_path: Path) -> None:
    """The unsharded tests job names no files: its own parallel files become its data file."""
    data = measured(tmp_path)
    rcfile = config(tmp_path, "own")
    for path in data:
        path.rename(tmp_path / "own" / path.name)
    assert _coverage_reports.main([f"--rcfile={rcfile}"]) == 0
    assert [path.name for path in (tmp_path / "own").glob(".coverage*")] == [".coverage"]
    assert (tmp_path / "own" / "coverage.xml").is_file()


@pytest.mark.parametrize(("table", "code"), [(False, 0), (True, 1)])
def test_no_data_leaves_html_and_xml_be_and_fails_only_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: bool, code: int
) -> None:
    """A run that measured nothing: HTML and XML say so and pass; the table, which the threshold
    needs, fails the job."""
    rcfile = config(tmp_path, "empty")
    assert _coverage_reports.main([f"--rcfile={rcfile}", *(["--table"] if table else [])]) == code
    errors = capsys.readouterr().err
    assert "coverage html: No data" in errors
    assert ("coverage report: No data" in errors) is table


def test_each_file_is_parsed_once_for_every_report(tmp_path: Path) -> None:
    """With the coverage the jobs install, one reporter (one parse) per file serves all reports;
    this fails when a coverage release drops the hook, and the reports get slower."""
    data = measured(tmp_path)
    cov = coverage.Coverage(config_file=str(config(tmp_path, "parses")))
    assert _coverage_reports.keep_parses(cov)
    cov.combine([str(path) for path in data], keep=True)
    name = str(tmp_path / "src" / "demo.py")
    # pylint: disable-next=protected-access
    assert cov._get_file_reporter(name) is cov._get_file_reporter(name)


def test_a_coverage_plugin_in_the_project_folder_is_found(tmp_path: Path) -> None:
    """Run as the jobs run it (``python -I``, the project as working directory): a plugin module
    beside pyproject.toml loads, as it does for the coverage command."""
    data = measured(tmp_path)
    rcfile = config(tmp_path, "plugged")
    text = rcfile.read_text(encoding="utf-8")
    rcfile.write_text(
        text.replace("[tool.coverage.run]\n", '[tool.coverage.run]\nplugins = ["local_plugin"]\n'),
        encoding="utf-8",
    )
    (tmp_path / "local_plugin.py").write_text(
        "def coverage_init(reg, options):\n    print('local plugin loaded')\n", encoding="utf-8"
    )
    script = Path(_coverage_reports.__file__)
    done = subprocess.run(
        [sys.executable, "-I", str(script), f"--rcfile={rcfile}", "--table", *map(str, data)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "local plugin loaded" in done.stdout
    assert re.search(r"^TOTAL\s", done.stdout, re.MULTILINE)
