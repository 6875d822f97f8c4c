"""The ``wheel-install`` job: the built wheel in a fresh venv, imported, requirements checked."""

from __future__ import annotations

import nox

from noxline.config import Settings
from noxline.jobs._support import built_dist, install_wheel, reports_dir, run_to_report, uses_uv


def run(session: nox.Session, settings: Settings) -> None:
    """Session body: install the wheel (not the source tree), import it, ``pip check``."""
    dist = built_dist(settings)
    install_wheel(session, dist)
    reports = reports_dir(settings, "wheel-install")
    # Import from a neutral folder so the source tree cannot shadow the installed wheel.
    with session.chdir(reports):
        session.run(
            "python",
            "-c",
            f"import {settings.package} as p; print('imported', p.__name__, 'from', p.__file__)",
        )
    check = ("uv", "pip", "check") if uses_uv(session) else ("python", "-m", "pip", "check")
    run_to_report(session, reports / "pip-check.txt", *check, external=True)
    freeze = ("uv", "pip", "freeze") if uses_uv(session) else ("python", "-m", "pip", "freeze")
    run_to_report(session, reports / "installed.txt", *freeze, external=True)
