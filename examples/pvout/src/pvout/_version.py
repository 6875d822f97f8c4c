"""Resolve the installed version of :mod:`pvout`."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

__all__ = ["get_version"]


def get_version() -> str:
    """Return the distribution version, or the bundled ``VERSION`` file when not installed."""
    try:
        return metadata.version("pvout")
    except metadata.PackageNotFoundError:
        return Path(__file__).with_name("VERSION").read_text(encoding="utf-8").strip()
