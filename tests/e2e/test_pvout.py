"""The example library the seed pipeline was written for runs the whole noxline pipeline green."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.fakes import FakeOSV
from tests.helpers import PIPELINE_JOBS, REPO_ROOT, clean_env, git, run_nox

PVOUT = REPO_ROOT / "examples" / "pvout"


def test_the_whole_pipeline_is_green_on_a_copy_of_pvout(tmp_path: Path, osv: FakeOSV) -> None:
    """`nox` with no arguments runs every job; publish and release are dry runs on a branch build.

    The audit asks the local OSV service through pip-audit's own PIP_AUDIT_OSV_URL variable.
    """
    project = tmp_path / "pvout"
    shutil.copytree(
        PVOUT,
        project,
        ignore=shutil.ignore_patterns("__pycache__", ".nox", "reports", "dist", "*.egg-info"),
    )
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "pvout, adopted by noxline init")

    result = run_nox(project, env=clean_env(PIP_AUDIT_OSV_URL=f"{osv.url}/v1/query"))

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
    audited = {(request.body["package"]["name"]) for request in osv.requests}
    assert "pvout" in audited
    assert [item["filename"] for item in publish["files"]] == [
        "pvout-0.1.0.dev1-py3-none-any.whl",
        "pvout-0.1.0.dev1.tar.gz",
    ]
