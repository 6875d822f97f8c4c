"""The ``tests-latest`` job (opt-in, allowed to fail): the suite against the newest versions the
project's metadata allows, without its lock, so that an upstream release that breaks the library
shows up before a user of it meets it. The tests job proper keeps the locked versions."""

from __future__ import annotations

import dataclasses

import nox

from noxline.config import Settings
from noxline.jobs import tests
from noxline.pipeline import Job


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: the tests job's, in a fresh venv outside the lock, resolved to the newest
    releases, on one Python and unsharded (one report of its own)."""
    session.env["UV_RESOLUTION"] = "highest"
    session.env["PIP_UPGRADE"] = "1"
    whole = dataclasses.replace(settings, test_shards=1, python=settings.python[:1])
    tests.run(session, whole, job)
