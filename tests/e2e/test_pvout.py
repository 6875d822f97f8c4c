"""The example library the seed pipeline was written for runs the whole noxline pipeline green,
and its API reference, built from the wheel, reads right in a browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.browser import open_page
from tests.fakes import FakeOSV
from tests.helpers import DOCS_PIPELINE_JOBS, REPO_ROOT, clean_env, git, run_nox

PVOUT = REPO_ROOT / "examples" / "pvout"

#: The tests here read one run of pvout's whole pipeline.
pytestmark = pytest.mark.xdist_group("pvout")


@dataclass(frozen=True)
class PvoutRun:
    """pvout's whole pipeline, run once by plain `nox` in a copy of it."""

    project: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(name="pvout", scope="module")
def pvout_fixture(tmp_path_factory: pytest.TempPathFactory, osv: FakeOSV) -> PvoutRun:
    """`nox` with no arguments on a committed copy of pvout: every job, the audit asking the local
    OSV service through pip-audit's own PIP_AUDIT_OSV_URL variable."""
    project = tmp_path_factory.mktemp("pvout") / "pvout"
    shutil.copytree(
        PVOUT,
        project,
        ignore=shutil.ignore_patterns("__pycache__", ".nox", "reports", "dist", "*.egg-info"),
    )
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "pvout, adopted by noxline init")
    result = run_nox(project, env=clean_env(PIP_AUDIT_OSV_URL=f"{osv.url}/v1/query"))
    return PvoutRun(project, result)


def test_the_whole_pipeline_is_green_on_a_copy_of_pvout(pvout: PvoutRun, osv: FakeOSV) -> None:
    """`nox` with no arguments runs every job, docs and pages included; publish and release are
    dry runs on a branch build; the tree is left as it was."""
    project, result = pvout.project, pvout.result
    log = result.stdout + result.stderr
    assert [job for job in DOCS_PIPELINE_JOBS if f"* {job}: success" not in log] == []
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
    assert git(project, "status", "--porcelain") == ""


def test_pvouts_api_reference_is_built_from_the_wheel(pvout: PvoutRun) -> None:
    """pdoc documents the installed wheel (no docs configuration in pvout): the page to open is
    named in the job's result, every page carries the version, Pages would publish the site."""
    project = pvout.project
    reports = project / "reports"
    summary = (reports / "docs" / "summary.txt").read_text(encoding="utf-8")
    assert summary.startswith("reports/docs/site/index.html, pdoc ")
    assert summary.rstrip().endswith("(noxline default)")
    pages = sorted((reports / "docs" / "site").rglob("*.html"))
    assert [page.name for page in pages] == ["index.html", "pvout.html"]
    for page in pages:
        assert "pvout 0.1.0.dev1" in page.read_text(encoding="utf-8"), page.name
    log = (reports / "docs" / "docs.log").read_text(encoding="utf-8")
    assert "site-packages" not in log and str(project / "src") not in log
    assert "2 pages of reports/docs/site/" in (reports / "pages" / "summary.txt").read_text()


def test_pvouts_docs_look_right_in_a_browser(pvout: PvoutRun, tmp_path: Path) -> None:
    """Opened in headless Chromium: the front page is the README with the version beside it; the
    package page shows a public function with its signature and docstring; no page logs a
    console error. A page with a broken script shows that the console is read."""
    site = pvout.project / "reports" / "docs" / "site"
    front = open_page(site.joinpath("index.html").as_uri(), tmp_path / "docs-index.png")
    assert "Small, pure-standard-library helpers" in front.dom  # README.md, from the wheel
    assert "<footer>pvout 0.1.0.dev1</footer>" in front.dom
    assert 'href="pvout.html"' in front.dom
    api = open_page(site.joinpath("pvout.html").as_uri(), tmp_path / "docs.png")
    assert api.text_of("energy_kwh") == (
        "def energy_kwh( power: PowerSeries, rule: Literal['trapezoid', 'rectangle'] = "
        "'trapezoid') -> float: Return the energy in kWh delivered by a power series in kW."
    )
    assert "pvout 0.1.0.dev1" in api.dom
    assert front.console == () and api.console == ()
    broken = tmp_path / "broken.html"
    broken.write_text("<script>console.error('shown'); notDefined();</script>", encoding="utf-8")
    control = open_page(broken.as_uri(), tmp_path / "broken.png", height=200)
    assert "shown" in control.console
    assert any(line.startswith("Uncaught ReferenceError: notDefined") for line in control.console)
    # Kept in the test's folder: the screenshots of the two docs pages, to look at.
    assert (tmp_path / "docs.png").stat().st_size > 50_000
