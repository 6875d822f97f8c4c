"""noxline's own version, from the installed metadata or, in a source tree, the VERSION file."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _read_version() -> str:
    """Installed metadata first; the VERSION file when run from a source tree (our own noxfile)."""
    try:
        return version("noxline")
    except PackageNotFoundError:
        return (Path(__file__).parent / "VERSION").read_text(encoding="utf-8").strip()


__version__ = _read_version()
