"""The example library the seed pipeline was written for runs the whole noxline pipeline green."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.fakes import FakeOSV
from tests.helpers import PIPELINE_JOBS, REPO_ROOT, git, run_nox

PVOUT = REPO_ROOT / "examples" / "pvout"


def test_the_whole_pipeline_is_green_on_a_copy_of_pvout(tmp_path: Path, osv: FakeOSV) -> None:
    """`nox` with no arguments runs every job; publish is a dry run on a branch build."""
    project = tmp_path / "pvout"
    shutil.copytree(
        PVOUT,
        project,
        ignore=shutil.ignore_patterns("__pycache__", ".nox", "reports", "dist", "*.egg-info"),
    )
    # OSV's own service is out of reach here: audit asks a local one that knows no advisory.
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    setting = f'[tool.noxline]\naudit-osv-url = "{osv.url}/v1/query"\n'
    pyproject.write_text(text.replace("[tool.noxline]\n", setting, 1), encoding="utf-8")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "pvout, adopted by noxline init")

    result = run_nox(project)

    log = result.stdout + result.stderr
    assert [job for job in PIPELINE_JOBS if f"* {job}: success" not in log] == []
    assert "* format" not in log  # a developer convenience, not a pipeline job
    junit = ET.parse(project / "reports" / "tests" / "junit.xml").getroot()
    assert len(list(junit.iter("testcase"))) >= 50
    assert not list(junit.iter("failure")) and not list(junit.iter("error"))
    coverage = ET.parse(project / "reports" / "tests" / "coverage.xml").getroot()
    assert float(coverage.get("line-rate", "0")) >= 0.95  # pvout's own bar, kept by init
    publish = json.loads((project / "reports" / "publish" / "publish.json").read_text())
    assert (publish["mode"], publish["decision"]["kind"]) == ("dry-run", "dev")
    assert publish["decision"]["version"] == "0.1.0.dev1"
    assert [item["filename"] for item in publish["files"]] == [
        "pvout-0.1.0.dev1-py3-none-any.whl",
        "pvout-0.1.0.dev1.tar.gz",
    ]
