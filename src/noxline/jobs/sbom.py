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
that (strictly, formats included), once: the tool's own ``--validate`` of its draft would import
the same validator again, the costliest step of the job. GitLab reads it as ``reports:cyclonedx``; the ``release`` job links it.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nox
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
    session_tmp,
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
    (name, version, licence, summary, project URLs, direct dependencies with their markers).

    The licence goes where the tool reads it: ``License-Expression`` as PEP 639's string (the tool
    then ignores the rest, as PEP 639 says), else the licence classifiers (mapped to SPDX ids by
    the tool) and ``License`` as ``{text = ...}``; only licence classifiers are passed, the others
    say nothing the SBOM has a field for.
    """
    raw, _ = parse_email(metadata)
    project: dict[str, Any] = {"name": raw.get("name", ""), "version": raw.get("version", "")}
    if raw.get("summary"):
        project["description"] = raw["summary"]
    if raw.get("license_expression"):
        project["license"] = raw["license_expression"]
    elif raw.get("license"):
        project["license"] = {"text": raw["license"]}
    licence_classifiers = [c for c in raw.get("classifiers", []) if c.startswith("License ::")]
    if licence_classifiers:
        project["classifiers"] = licence_classifiers
    urls = dict(raw.get("project_urls", {}))
    if raw.get("home_page") and raw["home_page"] not in urls.values():
        urls.setdefault("Homepage", raw["home_page"])
    if urls:
        project["urls"] = urls
    project["dependencies"] = list(raw.get("requires_dist", []))
    # Imported here: every nox process imports this module, few use it.
    import tomlkit  # pylint: disable=import-outside-toplevel

    return tomlkit.dumps({"project": project})


def declared_licence(metadata: bytes) -> list[dict[str, Any]]:
    """The subject's licence as CycloneDX ``licenses`` when the tool finds none it can name: a
    ``License`` field that is neither an SPDX id nor an expression (``BSD 3-Clause``, a whole
    licence text) is dropped by cyclonedx-py unless it gathers every dependency's licence files
    too (``--gather-license-texts``); this keeps the subject's words, in the tool's own shape."""
    if not metadata:
        return []
    raw, _ = parse_email(metadata)
    text = str(raw.get("license", "")).strip()
    if not text or raw.get("license_expression"):
        return []
    name = raw.get("name", "")
    return [
        {
            "license": {
                "acknowledgement": "declared",
                "name": f"declared license of '{name}'",
                "text": {"content": text, "contentType": "text/plain"},
            }
        }
    ]


def name_subject(
    document: dict[str, Any],
    dist: Dist,
    *,
    metadata: bytes = b"",
    machine_paths: Sequence[str] = (),
) -> dict[str, Any]:
    """The tool's document with its subject named: the library's PURL, the wheel's SHA-256, the
    published files with theirs, its licence when the tool dropped it (:func:`declared_licence`,
    from the wheel's ``metadata``), and a serial number derived from them (the same files give
    the same number). Refused, in one line, when a component has no PURL or the document names a
    file of the build machine: a ``file:`` reference, or any of ``machine_paths`` (the project,
    the venvs and temporary folders the job used).

    This is what cyclonedx-py has no option for (it gives the root component no PURL and no
    hashes, and ``--output-reproducible`` leaves the serial number out). The document is edited
    as JSON data, not through cyclonedx-python-lib's model: that library lives in the session's
    venv with the tool, not in noxline's process, and the same library's strict validator
    checks the finished document (``_VALIDATE``).
    """
    subject = document.setdefault("metadata", {}).setdefault("component", {})
    version = str(dist.version)
    subject["purl"] = purl(dist.wheel.name, version)
    subject["hashes"] = [{"alg": "SHA-256", "content": dist.wheel.sha256}]
    if not subject.get("licenses") and (declared := declared_licence(metadata)):
        subject["licenses"] = declared
    published = [
        {
            "type": "distribution",
            "url": item.path.name,
            "comment": f"the published {item.kind}",
            "hashes": [{"alg": "SHA-256", "content": item.sha256}],
        }
        for item in dist.files
    ]
    others = [
        ref for ref in subject.get("externalReferences", []) if ref.get("type") != "distribution"
    ]
    subject["externalReferences"] = sorted(
        others + published, key=lambda ref: (str(ref.get("type")), str(ref.get("url")))
    )
    seed = " ".join((subject["purl"], *(item.sha256 for item in dist.files)))
    document["serialNumber"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"
    unnamed = [str(c.get("name")) for c in document.get("components", []) if not c.get("purl")]
    if unnamed:
        raise NoxlineError(f"the SBOM lists components without a package URL: {unnamed}")
    text = json.dumps(document)
    named = [path for path in ("file:", *machine_paths) if path and path in text]
    if named:
        raise NoxlineError(
            f"the SBOM names a file of the build machine ({named[0]}): no path of this machine "
            "may reach a published document; see the sbom job's log"
        )
    return document


def machine_paths(session: nox.Session, settings: Settings, *more: Path) -> tuple[str, ...]:
    """The folders of this machine an SBOM must never name: the project, the session's venv, its
    temporary folder, and ``more`` (the wheel's own venv), each as given and resolved."""
    location = getattr(session.virtualenv, "location", "") or ""
    found = {str(settings.project_dir), str(location), session.create_tmp(), *map(str, more)}
    found |= {str(Path(path).resolve()) for path in list(found) if path}
    # A folder that is the file system's root would match any absolute path: never a leak.
    return tuple(sorted(path for path in found if path and Path(path).parent != Path(path)))


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: describe the wheel's own venv as CycloneDX JSON, name the library as its
    subject, validate the result."""
    dist = built_dist(settings)
    sbom = report_file(settings, job, "sbom")
    remove_file(settings, sbom)
    session.install(*REQUIREMENTS)
    python = wheel_environment(session, dist)
    metadata = wheel_metadata(dist.wheel)
    subject = confine.write_text(
        session_tmp(session), "subject/pyproject.toml", root_pyproject(metadata), exact=True
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
        # Validated once, the finished document (_VALIDATE): the schema's format checks build an
        # RFC 3987 parser on import (rfc3987-syntax, about 1.5 s), so validating the tool's
        # draft too paid for it twice; the draft is only ever published as edited.
        "--no-validate",
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
    document = name_subject(
        json.loads(read_file(settings, sbom)),
        dist,
        metadata=metadata,
        machine_paths=machine_paths(session, settings, python.parent.parent),
    )
    # The document as built (exact): it is data (purls such as pkg:pypi/x@1.0), reproducible.
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    confine.write_text(settings.project_dir, sbom, text, exact=True)
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
