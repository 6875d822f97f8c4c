"""The ``sbom`` job: a CycloneDX SBOM (JSON) of the built wheel and everything it installs.

The wheel goes into a fresh venv of its own (:func:`~noxline.jobs._support.wheel_environment`), and
``cyclonedx-py environment`` (cyclonedx-bom, from the session's venv) describes that venv: the wheel
itself, each runtime dependency with its version, PURL and licence, and the dependency graph. The
tool validates the document against the CycloneDX schema before writing it. GitLab reads it as
``reports:cyclonedx``; the ``release`` job links it.
"""

from __future__ import annotations

import json

import nox
from packaging.utils import canonicalize_name

from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import built_dist, report_file, run_to_report, wheel_environment
from noxline.pipeline import Job

REQUIREMENTS = ("cyclonedx-bom>=7",)
#: The CycloneDX version written; GitLab reads 1.4 to 1.6.
SPEC_VERSION = "1.6"


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: describe the wheel's own venv as CycloneDX JSON, schema-checked."""
    dist = built_dist(settings)
    sbom = report_file(settings, job, "sbom")
    sbom.unlink(missing_ok=True)
    session.install(*REQUIREMENTS)
    python = wheel_environment(session, dist)
    run_to_report(
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
        "--output-file",
        str(sbom),
        str(python),
    )
    if not sbom.is_file():  # --install-only
        return
    components = json.loads(sbom.read_text(encoding="utf-8")).get("components", [])
    listed = {str(c.get("name")): str(c.get("version")) for c in components}
    if dist.wheel.name not in {canonicalize_name(name) for name in listed}:
        raise NoxlineError(
            f"the SBOM {job.report_path('sbom')} does not list the wheel {dist.wheel.path.name}: "
            f"see {job.report_path('log')}"
        )
    session.log(
        f"SBOM of {dist.wheel.path.name}: {len(listed)} components ("
        + ", ".join(f"{name} {version}" for name, version in sorted(listed.items()))
        + f") in {job.report_path('sbom')}"
    )
