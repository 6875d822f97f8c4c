"""noxline: one pipeline definition, run as nox sessions locally and as a thin GitLab CI pipeline.

A project's ``noxfile.py`` needs two lines::

    import noxline
    noxline.register()
"""

from __future__ import annotations

from noxline.about import __version__
from noxline.sessions import register

__all__ = ["__version__", "register"]
