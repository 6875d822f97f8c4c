"""End-to-end tests of audit, sbom and release: real nox runs of the minilib fixture.

pip-audit asks a fake OSV service, the release job talks to a fake GitLab releases API (both real
HTTP servers on 127.0.0.1, tests/fakes.py) and publish uploads to a real pypiserver. minilib gains
one runtime dependency here (idna 3.6), so the audit and the SBOM have something to find; the fake
OSV knows one advisory against it. The SBOM and release tests read the session's release run of
minilib (tests/e2e/_release.py), the audit tests a build of their own.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e._release import (
    ADVISORY,
    ALIAS,
    DEPENDENCY,
    RELEASE,
    TODAY,
    ReleaseRuns,
    accepted,
    with_dependency,
)
from tests.fakes import FakeOSV, osv_advisory, running
from tests.helpers import MINILIB_RUNS, cyclonedx_errors, free_port, make_project, run_nox

#: One worker runs the audit tests: they share one build. (The SBOM and release tests read the
#: session's release run, on the worker of the tests that share it: pytest-xdist would join two
#: groups of one test into a third, so no group is set for the whole module.)
FEATURES = "features"


@pytest.fixture(name="osv", scope="module")
def osv_fixture() -> Iterator[FakeOSV]:
    """A fake OSV service with one advisory against idna 3.6."""
    fake = FakeOSV(advisories={DEPENDENCY: [osv_advisory(ADVISORY, "idna", "3.7", ALIAS)]})
    with running(fake):
        yield fake


@pytest.fixture(name="built", scope="module")
def built_fixture(tmp_path_factory: pytest.TempPathFactory, osv: FakeOSV) -> Path:
    """minilib with its dependency, built once (version, build) for the audit and SBOM tests."""
    project = with_dependency(make_project(tmp_path_factory.mktemp("features")), osv)
    run_nox(project, "-s", "build")
    return project


def audit(project: Path, acceptance: str) -> subprocess.CompletedProcess[str]:
    """Run the audit alone with ``acceptance`` as the accepted-advisories key (or none)."""
    pyproject = project / "pyproject.toml"
    base = pyproject.read_text(encoding="utf-8").split("accepted-advisories", 1)[0]
    pyproject.write_text(base + acceptance, encoding="utf-8")
    return run_nox(project, "--no-dependencies", "-s", "audit", check=False)


@pytest.mark.xdist_group(FEATURES)
@pytest.mark.parametrize(
    ("acceptance", "passes", "severity", "words"),
    [
        ("", False, "critical", "1 known vulnerabilities in what the wheel installs"),
        (accepted(TODAY + datetime.timedelta(days=30)), True, "info", "1 accepted, 0 open"),
        (accepted(TODAY - datetime.timedelta(days=1)), False, "critical", "EXPIRED until"),
    ],
    ids=["open", "accepted", "expired"],
)
def test_audit_reports_the_advisory_in_every_format(  # pylint: disable=too-many-arguments,too-many-positional-arguments,too-many-locals
    built: Path, osv: FakeOSV, acceptance: str, passes: bool, severity: str, words: str
) -> None:
    """The advisory shows in text, JSON and Code Quality; only an unexpired acceptance passes."""
    before = len(osv.requests)
    result = audit(built, acceptance)
    said = result.stdout + result.stderr
    assert (result.returncode == 0) is passes, said
    assert words in said
    assert "Traceback" not in said
    reports = built / "reports" / "audit"
    text = (reports / "audit.txt").read_text(encoding="utf-8")
    # pip-audit names the advisory by its CVE alias first when it has one.
    assert text.startswith(f"idna 3.6: {ALIAS} ({ADVISORY}), fixed in 3.7: ")
    raw = json.loads((reports / "pip-audit.json").read_text(encoding="utf-8"))
    audited = {d["name"]: d for d in raw["dependencies"]}
    assert [{v["id"], *v["aliases"]} for v in audited["idna"]["vulns"]] == [{ADVISORY, ALIAS}]
    (issue,) = json.loads((reports / "codequality.json").read_text(encoding="utf-8"))
    assert issue["severity"] == severity and ADVISORY in issue["description"]
    lines = (built / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    assert "idna==3.6" in lines[issue["location"]["lines"]["begin"] - 1]
    # pip-audit asked the fake about exactly the wheel's environment: minilib and idna.
    asked = {(r.body["package"]["name"], r.body["version"]) for r in osv.requests[before:]}
    assert DEPENDENCY in asked and {name for name, _ in asked} == {"idna", "minilib"}


@pytest.mark.xdist_group(FEATURES)
def test_an_unreachable_vulnerability_service_is_one_line(built: Path, osv: FakeOSV) -> None:
    """No service at the URL: the job fails with one line, pip-audit's traceback in its log."""
    pyproject = built / "pyproject.toml"
    before = pyproject.read_text(encoding="utf-8")
    nowhere = f"http://127.0.0.1:{free_port()}/v1/query"
    pyproject.write_text(before.replace(f"{osv.url}/v1/query", nowhere), encoding="utf-8")
    try:
        result = run_nox(built, "--no-dependencies", "-s", "audit", check=False)
    finally:
        pyproject.write_text(before, encoding="utf-8")
    said = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"cannot reach the vulnerability service at {nowhere}" in said
    assert "Traceback" not in said
    log = (built / "reports" / "audit" / "pip-audit.log").read_text(encoding="utf-8")
    assert "ConnectionError" in log


@pytest.mark.xdist_group(MINILIB_RUNS)
def test_sbom_names_its_subject_and_is_reproducible(release_runs: ReleaseRuns) -> None:
    """CycloneDX 1.6 JSON, valid against the schema: the library is its subject (PURL, licence,
    the published files' SHA-256), idna its dependency; no path of this machine; the second run
    of the same commit gives the same bytes."""
    project = release_runs.first.project
    text = (project / "reports" / "sbom" / "sbom.cdx.json").read_text(encoding="utf-8")
    assert cyclonedx_errors(text) is None
    sbom = json.loads(text)
    (wheel,) = (project / "dist").glob("minilib-*.whl")
    (sdist,) = (project / "dist").glob("minilib-*.tar.gz")
    version = wheel.name.split("-")[1]
    subject = sbom["metadata"]["component"]
    assert (subject["name"], subject["version"], subject["type"]) == ("minilib", version, "library")
    assert subject["purl"] == f"pkg:pypi/minilib@{version}"
    # minilib's `license = "MIT"`, from the wheel's License-Expression.
    assert subject["licenses"] == [{"license": {"acknowledgement": "declared", "id": "MIT"}}]
    sums: dict[str, str] = {}
    for line in (project / "dist" / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split()
        sums[name] = digest
    assert subject["hashes"] == [{"alg": "SHA-256", "content": sums[wheel.name]}]
    assert {ref["url"]: ref["hashes"][0]["content"] for ref in subject["externalReferences"]} == {
        wheel.name: sums[wheel.name],
        sdist.name: sums[sdist.name],
    }
    assert {(c["name"], c["version"]) for c in sbom["components"]} == {DEPENDENCY}
    assert all(c["purl"] == f"pkg:pypi/{c['name']}@{c['version']}" for c in sbom["components"])
    assert {"ref": subject["bom-ref"], "dependsOn": ["idna==3.6"]} in sbom["dependencies"]
    assert "file:" not in text and str(project) not in text and "/tmp" not in text
    again = release_runs.second_reports / "sbom" / "sbom.cdx.json"
    assert again.read_text(encoding="utf-8") == text


def read_json(path: Path) -> Any:
    """A JSON file's content."""
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.xdist_group(MINILIB_RUNS)
def test_noxline_run_at_a_release_tag_publishes_and_releases_once(
    release_runs: ReleaseRuns,
) -> None:
    """At tag 1.2.3: audit report, valid SBOM, upload, one GitLab release with the changelog's
    notes and links that download the published files; a second run changes nothing."""
    first, gitlab, index = release_runs.first, release_runs.gitlab, release_runs.index
    assert first.result.returncode == 0, first.result.stdout + first.result.stderr
    reports = first.project / "reports"
    assert "1 accepted, 0 open" in (reports / "audit" / "audit.txt").read_text("utf-8")
    sbom = (reports / "sbom" / "sbom.cdx.json").read_text(encoding="utf-8")
    assert cyclonedx_errors(sbom) is None
    assert read_json(reports / "release" / "release.json")["outcome"] == "created"
    assert list(gitlab.releases) == [RELEASE]
    release = gitlab.releases[RELEASE]
    assert release["tag_name"] == RELEASE and release["name"] == f"minilib {RELEASE}"
    assert release["description"] == "### Added\n- `mean()` of one value"
    links = {link["name"]: link["url"] for link in release["assets"]["links"]}
    for name in (f"minilib-{RELEASE}-py3-none-any.whl", f"minilib-{RELEASE}.tar.gz"):
        with urllib.request.urlopen(links[name], timeout=10) as response:
            served = hashlib.sha256(response.read()).hexdigest()
        assert served == hashlib.sha256((index.packages / name).read_bytes()).hexdigest(), name
    assert links["SBOM (CycloneDX): sbom.cdx.json"] == (
        "https://gitlab.example/group/minilib/-/jobs/artifacts/1.2.3/raw/"
        "reports/sbom/sbom.cdx.json?job=sbom"
    )
    assert all(r.headers.get("job-token") == gitlab.job_token for r in gitlab.requests)
    writes = [r for r in gitlab.requests[: release_runs.first_requests] if r.method != "GET"]
    assert writes

    # The release path again (release and all it needs): nothing is uploaded or written twice.
    second, again = release_runs.second, release_runs.second_reports
    assert second.returncode == 0, second.stdout + second.stderr
    assert read_json(again / "release" / "release.json")["outcome"] == "unchanged"
    assert [r for r in gitlab.requests if r.method != "GET"] == writes
    assert len(gitlab.releases) == 1
    assert read_json(again / "publish" / "publish.json")["outcome"] == "already-published"
    logs = "".join(
        path.read_text("utf-8") for path in [*reports.glob("*/job.log"), *again.glob("*/job.log")]
    )
    assert gitlab.job_token not in logs + first.result.stdout + second.stdout
