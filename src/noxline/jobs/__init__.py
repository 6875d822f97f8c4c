"""What each pipeline job does: one module per job, each with a ``run(session, settings)`` function.

:data:`JOBS` is the one registry from job name to its session body; the pipeline's facts
(stage, needs, artifacts) live in :mod:`noxline.pipeline`, not here.
"""

from __future__ import annotations

from collections.abc import Callable

import nox

from noxline.config import Settings
from noxline.jobs import (
    black,
    build,
    coverage,
    docstr,
    mypy,
    publish,
    pylint,
    tests,
    version,
    wheel_install,
)

JobBody = Callable[[nox.Session, Settings], None]

JOBS: dict[str, JobBody] = {
    "version": version.run,
    "build": build.run,
    "wheel-install": wheel_install.run,
    "tests": tests.run,
    "coverage": coverage.run,
    "pylint": pylint.run,
    "black": black.run,
    "mypy": mypy.run,
    "docstr": docstr.run,
    "publish": publish.run,
}

#: Sessions that are not pipeline jobs: developer conveniences.
EXTRA_SESSIONS: dict[str, tuple[str, JobBody]] = {
    "format": (
        "Reformat the code with black (fixing what the black job reports)",
        black.format_code,
    ),
}
