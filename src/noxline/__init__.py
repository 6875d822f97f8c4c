"""noxline: one pipeline definition, run as nox sessions locally and as a thin GitLab CI pipeline.

A project's ``noxfile.py`` needs two lines::

    import noxline
    noxline.register()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from noxline.about import __version__

if TYPE_CHECKING:
    from noxline.config import Settings


def register(settings: Settings | None = None) -> Settings:
    """Register the pipeline's sessions (and ``format``) with nox; return the settings used
    (:func:`noxline.sessions.register`).

    nox, the sessions and every job's module are imported here, when a noxfile registers them,
    not when ``noxline`` is imported: the ``noxline`` command (``noxline run`` restoring cached
    results, ``noxline version``) never needs them, and importing them took it about 0.3 s.
    """
    # pylint: disable-next=import-outside-toplevel
    from noxline.sessions import register as register_sessions

    return register_sessions(settings)


__all__ = ["__version__", "register"]
