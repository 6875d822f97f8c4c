"""The ``wheel-install`` job: the built wheel in a fresh venv, imported, requirements checked."""

from __future__ import annotations

import nox

from noxline.config import Settings
from noxline.jobs._support import (
    built_dist,
    install_wheel,
    report_file,
    report_folder,
    run_to_report,
    summarize,
    uses_uv,
)
from noxline.pipeline import Job


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: install the wheel (not the source tree), import it, ``pip check``."""
    dist = built_dist(settings)
    install_wheel(session, dist)
    # Import from a neutral folder so the source tree cannot shadow the installed wheel.
    with session.chdir(report_folder(settings, job)):
        session.run(
            "python",
            "-c",
            f"import {settings.package} as p; print('imported', p.__name__, 'from', p.__file__)",
        )
    check = ("uv", "pip", "check") if uses_uv(session) else ("python", "-m", "pip", "check")
    run_to_report(session, report_file(settings, job, "pip-check"), *check, external=True)
    freeze = ("uv", "pip", "freeze") if uses_uv(session) else ("python", "-m", "pip", "freeze")
    if not run_to_report(session, report_file(settings, job, "installed"), *freeze, external=True):
        return  # --install-only: nothing ran
    summarize(settings, job, f"{settings.package} imported from the wheel, dependencies consistent")
    if settings.lock_file:
        # On purpose: this job proves the published metadata resolves as a user gets it.
        note = f"not from {settings.lock_file}: resolved as a user of the wheel gets it"
        session.log(f"wheel-install installed the wheel's dependencies {note}")
        summarize(settings, job, note, append=True)
