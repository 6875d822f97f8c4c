"""The ``sbom`` job: a CycloneDX SBOM (JSON) of the built wheel and everything it installs.

The wheel goes into a fresh venv of its own (:func:`~noxline.jobs._support.wheel_environment`), and
``cyclonedx-py environment`` (cyclonedx-bom, from the session's venv) describes that venv: each
runtime dependency with its version, PURL and licence, and the dependency graph. The library
itself is the document's subject (``metadata.component``): the tool takes it from a PEP 621 table
written from the wheel's own METADATA (``--pyproject``), so name, version, licence and direct
dependencies are the published ones. ``--short-PURLs`` leaves out the PURL qualifiers that would
name the build machine's files, ``--output-reproducible`` and ``SOURCE_DATE_EPOCH`` make two
runs of one commit byte-identical. What the tool cannot say, this job adds: the subject's PURL and
the SHA-256 of the published files; the document is validated against its CycloneDX schema after
that. GitLab reads it as ``reports:cyclonedx``; the ``release`` job links it.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import nox
import tomlkit
from packaging.metadata import parse_email
from packaging.utils import canonicalize_name

from noxline import confine
from noxline.config import Settings
from noxline.dist import Dist, wheel_metadata
from noxline.errors import NoxlineError
from noxline.jobs._support import (
    built_dist,
    read_file,
    remove_file,
    report_file,
    run_to_report,
    summarize,
    wheel_environment,
)
from noxline.jobs.build import source_date_epoch
from noxline.pipeline import Job

REQUIREMENTS = ("cyclonedx-bom>=7,<8",)
#: The CycloneDX version written; GitLab reads 1.4 to 1.6.
SPEC_VERSION = "1.6"

#: Validates the finished document with the CycloneDX library the tool brought (session venv).
_VALIDATE = (
    "import sys; from cyclonedx.schema import SchemaVersion; "
    "from cyclonedx.validation.json import JsonStrictValidator; "
    "error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read()); "
    "sys.exit(error and f'the SBOM is not valid CycloneDX 1.6: {error}')"
)


def purl(name: str, version: str) -> str:
    """The package URL of a PyPI distribution: ``pkg:pypi/<normalised name>@<version>``."""
    return f"pkg:pypi/{canonicalize_name(name)}@{version}"


def root_pyproject(metadata: bytes) -> str:
    """A PEP 621 ``[project]`` table of the wheel's METADATA: the SBOM's subject as published
    (name, version, licence, summary, direct dependencies with their markers)."""
    raw, _ = parse_email(metadata)
    project: dict[str, Any] = {"name": raw.get("name", ""), "version": raw.get("version", "")}
    if raw.get("summary"):
        project["description"] = raw["summary"]
    if raw.get("license_expression"):
        project["license"] = raw["license_expression"]
    elif raw.get("license"):
        project["license"] = {"text": raw["license"]}
    project["dependencies"] = list(raw.get("requires_dist", []))
    return tomlkit.dumps({"project": project})


def name_subject(document: dict[str, Any], dist: Dist) -> dict[str, Any]:
    """The tool's document with its subject named: the library's PURL, the wheel's SHA-256, the
    published files with theirs, and a serial number derived from them (the same files give the
    same number); refused when a component has no PURL or a ``file:`` reference remains."""
    subject = document.setdefault("metadata", {}).setdefault("component", {})
    version = str(dist.version)
    subject["purl"] = purl(dist.wheel.name, version)
    subject["hashes"] = [{"alg": "SHA-256", "content": dist.wheel.sha256}]
    subject["externalReferences"] = [
        {
            "type": "distribution",
            "url": item.path.name,
            "comment": f"the published {item.kind}",
            "hashes": [{"alg": "SHA-256", "content": item.sha256}],
        }
        for item in dist.files
    ]
    seed = " ".join((subject["purl"], *(item.sha256 for item in dist.files)))
    document["serialNumber"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"
    unnamed = [str(c.get("name")) for c in document.get("components", []) if not c.get("purl")]
    if unnamed:
        raise NoxlineError(f"the SBOM lists components without a package URL: {unnamed}")
    if "file:" in json.dumps(document):
        raise NoxlineError("the SBOM names a file of the build machine (file:): see its log")
    return document


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: describe the wheel's own venv as CycloneDX JSON, name the library as its
    subject, validate the result."""
    dist = built_dist(settings)
    sbom = report_file(settings, job, "sbom")
    remove_file(settings, sbom)
    session.install(*REQUIREMENTS)
    python = wheel_environment(session, dist)
    tmp = Path(session.create_tmp())
    subject = confine.write_text(
        tmp, "subject/pyproject.toml", root_pyproject(wheel_metadata(dist.wheel)), exact=True
    )
    # One commit, one document: the build's own clock unless the caller set one.
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or source_date_epoch(settings)
    ran = run_to_report(
        session,
        report_file(settings, job, "log"),
        "cyclonedx-py",
        "environment",
        "--spec-version",
        SPEC_VERSION,
        "--output-format",
        "JSON",
        "--output-reproducible",
        "--validate",
        "--mc-type",
        "library",
        "--pyproject",
        str(subject),
        "--short-PURLs",
        "--output-file",
        str(sbom),
        str(python),
        env={"SOURCE_DATE_EPOCH": epoch},
    )
    if not ran or not sbom.is_file():  # --install-only
        return
    document = name_subject(json.loads(read_file(settings, sbom)), dist)
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    confine.write_text(settings.project_dir, sbom, text)
    session.run("python", "-c", _VALIDATE, str(sbom), silent=True)
    listed = {str(c.get("name")): str(c.get("version")) for c in document.get("components", [])}
    summarize(
        settings, job, f"{purl(dist.wheel.name, str(dist.version))}, {len(listed)} dependencies"
    )
    session.log(
        f"SBOM of {dist.wheel.path.name}: {len(listed)} dependencies ("
        + ", ".join(f"{name} {version}" for name, version in sorted(listed.items()))
        + f") in {job.report_path('sbom')}"
    )
