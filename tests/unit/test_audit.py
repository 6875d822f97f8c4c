"""The audit job's reading of pip-audit's report: acceptance, expiry, the three report formats.

pip-audit itself runs against a fake OSV service in tests/e2e/test_features_e2e.py; here its JSON
report (the shape pip-audit >= 2.10 writes) is the input, and noxline's judgement the output.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from noxline.config import AcceptedAdvisory, Settings, load_settings, replace
from noxline.jobs._support import report_file
from noxline.jobs.audit import AuditError, code_quality, evaluate, read_report, text_report
from noxline.pipeline import define
from tests.unit._projects import write_project

TODAY = datetime.date(2026, 12, 1)
REPORT: dict[str, Any] = {
    "dependencies": [
        {
            "name": "idna",
            "version": "3.6",
            "vulns": [
                {
                    "id": "GHSA-jjg7-2v4v-x38h",
                    "fix_versions": ["3.7"],
                    "aliases": ["CVE-2024-3651", "PYSEC-2024-60"],
                    "description": "Quadratic complexity\nin encode",
                }
            ],
        },
        {"name": "packaging", "version": "24.2", "vulns": []},
    ],
    "fixes": [],
}
PYPROJECT = '[project]\nname = "tiny-lib"\ndependencies = [\n  "idna==3.6",\n]\n'


def accepted(identifier: str, expires: datetime.date) -> AcceptedAdvisory:
    """An acceptance of ``identifier`` until ``expires``."""
    return AcceptedAdvisory(identifier, "we never encode untrusted names", expires)


@pytest.mark.parametrize(
    ("acceptances", "state", "severity"),
    [
        ((), "open", "critical"),
        ((accepted("CVE-2024-3651", TODAY),), "accepted", "info"),  # by alias, last valid day
        (
            (accepted("GHSA-jjg7-2v4v-x38h", TODAY - datetime.timedelta(days=1)),),
            "EXPIRED",
            "critical",
        ),
        ((accepted("GHSA-other", TODAY),), "open", "critical"),
    ],
)
def test_findings_are_open_accepted_or_expired(
    acceptances: tuple[AcceptedAdvisory, ...], state: str, severity: str
) -> None:
    """Each finding in text and Code Quality, marked by its acceptance; only open ones fail."""
    findings = evaluate(REPORT, acceptances)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.is_open(TODAY) is (state != "accepted")
    text = text_report([finding], acceptances, REPORT, TODAY)
    first = text.splitlines()[0]
    assert first.startswith(
        "idna 3.6: GHSA-jjg7-2v4v-x38h (CVE-2024-3651, PYSEC-2024-60), fixed in 3.7: "
        "Quadratic complexity in encode"
    )
    if state != "open":
        assert f"[{state} until " in first and "we never encode untrusted names" in first
    open_count = 0 if state == "accepted" else 1
    assert text.splitlines()[-1] == (
        f"audited 2 installed packages: 1 known vulnerabilities, {1 - open_count} accepted, "
        f"{open_count} open"
    )
    issues = code_quality([finding], PYPROJECT, TODAY)
    assert len(issues) == 1
    issue = issues[0]
    assert issue["severity"] == severity
    assert issue["check_name"] == "pip-audit"
    assert issue["location"] == {"path": "pyproject.toml", "lines": {"begin": 4}}
    assert issue["description"] == first
    assert len(issue["fingerprint"]) == 64


def test_a_stale_acceptance_is_a_note() -> None:
    """An accepted advisory that matches nothing is named for removal."""
    stale = accepted("GHSA-gone", TODAY)
    text = text_report(evaluate(REPORT, (stale,)), (stale,), REPORT, TODAY)
    assert "note: accepted advisory GHSA-gone matches nothing installed any more" in text


def test_fingerprints_are_stable_and_distinct() -> None:
    """The same finding keeps its fingerprint (GitLab compares MRs by it); others differ."""
    report = json.loads(json.dumps(REPORT))
    report["dependencies"][1]["vulns"] = [{"id": "PYSEC-1", "fix_versions": [], "aliases": []}]
    first = [i["fingerprint"] for i in code_quality(evaluate(report, ()), PYPROJECT, TODAY)]
    again = [i["fingerprint"] for i in code_quality(evaluate(report, ()), PYPROJECT, TODAY)]
    assert first == again and len(set(first)) == 2


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """tiny-lib."""
    return load_settings(write_project(tmp_path / "tiny"))


@pytest.mark.parametrize(
    ("log", "osv_url", "words"),
    [
        (
            "requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9)",
            "",
            r"cannot reach the vulnerability service at https://api.osv.dev/v1/query "
            r"\(details in reports/audit/pip-audit.log\).*audit-osv-url",
        ),
        (
            "pip_audit._service.interface.ServiceError",
            "https://osv.example/v1/query",
            r"cannot reach the vulnerability service at https://osv.example/v1/query",
        ),
        (
            "ERROR: something else",
            "",
            r"pip-audit wrote no report: see reports/audit/pip-audit.log",
        ),
    ],
)
def test_no_report_is_one_line_saying_why(
    settings: Settings, log: str, osv_url: str, words: str
) -> None:
    """pip-audit crashed (it prints a traceback): the job says why in one line."""
    settings = replace(settings, audit_osv_url=osv_url)
    job = define(settings).job("audit")
    report_file(settings, job, "log").write_text(f"Traceback ...\n{log}\n", encoding="utf-8")
    with pytest.raises(AuditError, match=words) as caught:
        read_report(settings, job)
    assert "\n" not in str(caught.value)


def test_a_written_report_is_read(settings: Settings) -> None:
    """A report pip-audit wrote is returned as it is."""
    job = define(settings).job("audit")
    report_file(settings, job, "json").write_text(json.dumps(REPORT), encoding="utf-8")
    assert read_report(settings, job) == REPORT


@pytest.mark.parametrize(
    "dependencies",
    [
        [1],
        [{"name": "idna", "vulns": "GHSA-x"}],
        [{"name": "idna", "vulns": [{"id": "GHSA-x", "aliases": "CVE-1"}]}],
        [{"name": "idna", "vulns": [{"id": "GHSA-x", "fix_versions": [{"a": 1}]}]}],
        [{"name": ["idna"], "vulns": []}],
        [{"name": "idna", "vulns": [{"id": {"x": 1}}]}],
    ],
    ids=["number", "vulns-text", "aliases-text", "fix-table", "name-list", "id-table"],
)
def test_a_malformed_report_is_one_line(settings: Settings, dependencies: list[Any]) -> None:
    """Texts in pip-audit's report come from the vulnerability service: a report of another
    shape is one line naming the setting, never a traceback or a garbled finding."""
    job = define(settings).job("audit")
    report_file(settings, job, "json").write_text(
        json.dumps({"dependencies": dependencies}), encoding="utf-8"
    )
    with pytest.raises(AuditError, match="does not have the shape.*audit-osv-url"):
        read_report(settings, job)


def test_pip_audits_own_variable_is_named_when_the_setting_is_not(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PIP_AUDIT_OSV_URL (pip-audit reads it itself) is the service the message names."""
    monkeypatch.setenv("PIP_AUDIT_OSV_URL", "https://osv.mirror.example/v1/query")
    job = define(settings).job("audit")
    report_file(settings, job, "log").write_text("ConnectionError\n", encoding="utf-8")
    with pytest.raises(AuditError, match="at https://osv.mirror.example/v1/query"):
        read_report(settings, job)
