"""noxline: one pipeline definition, run as nox sessions locally and as a thin GitLab CI pipeline.

A project's ``noxfile.py`` needs two lines::

    import noxline
    noxline.register()
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from noxline.sessions import register


def _read_version() -> str:
    """Installed metadata first; the VERSION file when run from a source tree (our own noxfile)."""
    try:
        return version("noxline")
    except PackageNotFoundError:
        return (Path(__file__).parent / "VERSION").read_text(encoding="utf-8").strip()


__version__ = _read_version()

__all__ = ["__version__", "register"]
