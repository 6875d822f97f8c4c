"""The ``publish`` job (being written: see index.py)."""

from __future__ import annotations

import nox

from noxline.config import Settings


def run(session: nox.Session, settings: Settings) -> None:
    """Session body: upload for a release, dry run otherwise."""
    raise NotImplementedError(f"publish is not written yet ({session.name}, {settings.name})")
