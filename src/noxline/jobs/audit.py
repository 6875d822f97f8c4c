"""The ``audit`` job: known vulnerabilities in what the built wheel installs, by ``pip-audit``.

The wheel goes into a fresh venv of its own (no pip, no tools), and ``pip-audit`` (>= 2.10, run from
the session's venv) audits exactly that venv's packages against an OSV-compatible service: OSV's
own or the ``audit-osv-url`` a company mirrors it at. Its JSON is then read here: advisories listed
in ``accepted-advisories`` are reported but pass until their expiry date, after which they fail
the job again. Reports: ``audit.txt`` (also in the job log), pip-audit's ``pip-audit.json`` and a
GitLab Code Quality ``codequality.json``, so findings show in merge requests on every tier.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nox
from packaging.utils import canonicalize_name

from noxline import confine
from noxline.config import AcceptedAdvisory, Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import (
    built_dist,
    choose_tool,
    read_report as read_job_report,
    report_file,
    report_tools,
    session_tmp,
    wheel_environment,
    write_report,
)
from noxline.pipeline import Job

#: pip-audit's default service, named in messages when no mirror is set.
OSV_DEFAULT = "https://api.osv.dev/v1/query"
#: Seconds pip-audit waits for each answer of the vulnerability service.
SERVICE_TIMEOUT = 30
#: What pip-audit's log holds when the service could not be reached or answered an error.
_UNREACHABLE = re.compile(r"ConnectionError|Could not connect|Max retries|timed out|ServiceError")


class AuditError(NoxlineError):
    """The audit found open vulnerabilities, or could not ask the vulnerability service."""


@dataclass(frozen=True)
class Finding:
    """One advisory against one installed package, and whether the project accepted it."""

    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]
    description: str
    accepted: AcceptedAdvisory | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        """The advisory's id and its aliases."""
        return (self.id, *self.aliases)

    def is_open(self, today: datetime.date) -> bool:
        """True when the finding fails the audit: not accepted, or accepted but expired."""
        return self.accepted is None or self.accepted.expired(today)

    def line(self, today: datetime.date) -> str:
        """The finding in one line of the text report."""
        also = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fix = f"fixed in {', '.join(self.fix_versions)}" if self.fix_versions else "no fix yet"
        text = f"{self.package} {self.version}: {self.id}{also}, {fix}: {self.description}"
        if self.accepted is None:
            return text
        state = "EXPIRED" if self.accepted.expired(today) else "accepted"
        return f"{text} [{state} until {self.accepted.expires}: {self.accepted.reason}]"


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: audit the wheel's own environment, write the reports, fail on open findings."""
    dist = built_dist(settings)
    for role in ("json", "text", "codequality", "log"):
        confine.remove(settings.project_dir, report_file(settings, job, role))
    tool = choose_tool(session, settings, "pip-audit")
    session.install(tool.requirement)
    report_tools(session, settings, job, tool)
    python = wheel_environment(session, dist)
    site = session.run(
        str(python),
        "-c",
        "import sysconfig; print(sysconfig.get_path('purelib'))",
        silent=True,
        external=True,
    )
    if not isinstance(site, str):  # --install-only: nothing to audit
        return
    output = report_file(settings, job, "json")
    log = report_file(settings, job, "log")
    with confine.open_write(settings.project_dir, log) as stream:
        # Every exit code is read below: 1 means "found something" as well as "crashed".
        session.run(
            *pip_audit_command(settings, Path(site.strip()), output, session_tmp(session)),
            stdout=stream,
            stderr=subprocess.STDOUT,
            success_codes=range(256),
        )
    confine.mask_file(settings.project_dir, log)
    confine.mask_file(settings.project_dir, output)
    judge(settings, job, read_report(settings, job))


def pip_audit_command(settings: Settings, site: Path, output: Path, tmp: Path) -> list[str]:
    """pip-audit over the packages in ``site`` only, JSON into the reports folder."""
    command = [
        "pip-audit",
        "--path",
        str(site),
        "--vulnerability-service",
        "osv",
        "--format",
        "json",
        "--output",
        str(output),
        "--desc",
        "on",
        "--aliases",
        "on",
        "--progress-spinner",
        "off",
        "--timeout",
        str(SERVICE_TIMEOUT),
        # pip-audit's cache stays inside nox's folder, never in the home directory.
        "--cache-dir",
        str(tmp / "pip-audit-cache"),
    ]
    if settings.audit_osv_url:
        command += ["--osv-url", settings.audit_osv_url]
    return command


def judge(settings: Settings, job: Job, result: dict[str, Any]) -> None:
    """Write the text and Code Quality reports of ``result``; fail on open findings."""
    today = datetime.date.today()
    findings = evaluate(result, settings.accepted_advisories)
    pyproject = confine.read_text(settings.project_dir, "pyproject.toml", errors="replace")
    text = text_report(findings, settings.accepted_advisories, result, today)
    write_report(settings, job, "text", text)
    confine.write_json(
        settings.project_dir,
        report_file(settings, job, "codequality"),
        code_quality(findings, pyproject, today),
    )
    sys.stdout.write(text)
    sys.stdout.flush()
    failing = [finding for finding in findings if finding.is_open(today)]
    if failing:
        listed = "; ".join(f"{f.package} {f.version} {f.id}" for f in failing)
        raise AuditError(
            f"{len(failing)} known vulnerabilities in what the wheel installs ({listed}): upgrade "
            "them, or accept each in [tool.noxline] accepted-advisories with a reason and an "
            f"expiry date (see {job.report_path('text')})"
        )


def read_report(settings: Settings, job: Job) -> dict[str, Any]:
    """pip-audit's JSON report; when it wrote none, one line saying why (from its log)."""
    try:
        data = json.loads(read_job_report(settings, job, "json"))
    except (OSError, ValueError, RecursionError, NoxlineError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("dependencies"), list):
        return _checked_shape(data, job.report_path("json"))
    try:
        said = read_job_report(settings, job, "log")
    except (OSError, NoxlineError):
        said = ""
    shown = job.report_path("log")
    if _UNREACHABLE.search(said):
        # pip-audit's own variable names the service when the setting does not.
        service = settings.audit_osv_url or os.environ.get("PIP_AUDIT_OSV_URL") or OSV_DEFAULT
        raise AuditError(
            f"cannot reach the vulnerability service at {service} (details in {shown}): check "
            "the network, or set audit-osv-url in [tool.noxline] to a reachable OSV mirror"
        )
    raise AuditError(f"pip-audit wrote no report: see {shown} for what it said")


def _checked_shape(data: dict[str, Any], shown: str) -> dict[str, Any]:
    """pip-audit's report, refused in one line unless it has the documented shape: its texts
    come from the vulnerability service (a mirror may be anyone's), so a list that is a string or
    an advisory that is a number must not turn into a traceback or a garbled report."""
    texts = (str, int, float)
    for dependency in data["dependencies"]:
        vulns = dependency.get("vulns", []) if isinstance(dependency, dict) else None
        ok = (
            isinstance(vulns, list)
            and isinstance(dependency.get("name", ""), str)
            and isinstance(dependency.get("version", ""), texts)
        )
        for vuln in vulns if ok and isinstance(vulns, list) else ():
            ok = ok and (
                isinstance(vuln, dict)
                and isinstance(vuln.get("id", ""), str)
                and isinstance(vuln.get("description") or "", str)
                and all(
                    isinstance(vuln.get(key, []), list)
                    and all(isinstance(item, texts) for item in vuln.get(key, []))
                    for key in ("aliases", "fix_versions")
                )
            )
        if not ok:
            raise AuditError(
                f"pip-audit's report {shown} does not have the shape pip-audit writes (a "
                "dependency or an advisory that is not a table of texts): the vulnerability "
                "service answered something malformed; check audit-osv-url in [tool.noxline]"
            )
    return data


def evaluate(result: dict[str, Any], accepted: tuple[AcceptedAdvisory, ...]) -> list[Finding]:
    """Every advisory of pip-audit's ``result``, matched with the project's accepted advisories."""
    findings = []
    for dependency in result.get("dependencies", []):
        for vuln in dependency.get("vulns", []):
            aliases = tuple(str(alias) for alias in vuln.get("aliases", []))
            ids = {str(vuln.get("id", "")), *aliases}
            findings.append(
                Finding(
                    package=str(dependency.get("name", "")),
                    version=str(dependency.get("version", "")),
                    id=str(vuln.get("id", "")),
                    aliases=aliases,
                    fix_versions=tuple(str(v) for v in vuln.get("fix_versions", [])),
                    description=" ".join(str(vuln.get("description") or "").split()),
                    accepted=next((entry for entry in accepted if entry.id in ids), None),
                )
            )
    return findings


def text_report(
    findings: list[Finding],
    accepted: tuple[AcceptedAdvisory, ...],
    result: dict[str, Any],
    today: datetime.date,
) -> str:
    """The human report: each finding, acceptances that match nothing, and a summary line."""
    audited = result.get("dependencies", [])
    lines = [finding.line(today) for finding in findings]
    matched = {finding.accepted for finding in findings if finding.accepted is not None}
    for entry in accepted:
        if entry not in matched:
            lines.append(
                f"note: accepted advisory {entry.id} matches nothing installed any more: remove "
                "it from [tool.noxline] accepted-advisories"
            )
    failing = sum(finding.is_open(today) for finding in findings)
    lines.append(
        f"audited {len(audited)} installed packages: {len(findings)} known vulnerabilities, "
        f"{len(findings) - failing} accepted, {failing} open"
    )
    return "\n".join(lines) + "\n"


def code_quality(findings: list[Finding], pyproject: str, today: datetime.date) -> list[Any]:
    """GitLab Code Quality issues, pointing at the line of pyproject.toml naming the package."""
    issues = []
    for finding in findings:
        identity = f"{canonicalize_name(finding.package)}:{finding.version}:{finding.id}"
        fingerprint = hashlib.sha256(f"pip-audit:{identity}".encode()).hexdigest()
        issues.append(
            {
                "description": finding.line(today),
                "check_name": "pip-audit",
                "fingerprint": fingerprint,
                "severity": "critical" if finding.is_open(today) else "info",
                "location": {
                    "path": "pyproject.toml",
                    "lines": {"begin": _line_naming(pyproject, finding.package)},
                },
            }
        )
    return issues


def _line_naming(text: str, package: str) -> int:
    """The first line of ``text`` that names ``package`` as a requirement; 1 for an indirect one."""
    wanted = canonicalize_name(package)
    for number, line in enumerate(text.splitlines(), start=1):
        for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", line):
            if canonicalize_name(word) == wanted:
                return number
    return 1
