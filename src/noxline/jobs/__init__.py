"""What each pipeline job does: one module per job, each with a ``run(session, settings, job)``.

A job's module is named after the job (``wheel-install`` is :mod:`noxline.jobs.wheel_install`), so
:data:`BODIES`, the one registry from job name to session body, spells no job name; the
pipeline's facts (stage, needs, artifacts, report files) live in :mod:`noxline.pipeline`, and
each body receives its :class:`~noxline.pipeline.Job` to read them from there.
"""

from __future__ import annotations

from collections.abc import Callable

import nox

from noxline.config import Settings
from noxline.jobs import (
    audit,
    black,
    build,
    coverage,
    docs,
    docstr,
    mypy,
    pages,
    publish,
    pylint,
    release,
    ruff_check,
    ruff_format,
    sbom,
    tests,
    tests_latest,
    version,
    wheel_install,
)
from noxline.pipeline import Job

#: A job's session body: it writes where its :class:`~noxline.pipeline.Job` says.
JobBody = Callable[[nox.Session, Settings, Job], None]
#: The body of a session that is not a pipeline job.
SessionBody = Callable[[nox.Session, Settings], None]


def job_name(body: JobBody) -> str:
    """The job a body belongs to: its module's name, with dashes for underscores."""
    return body.__module__.rpartition(".")[2].replace("_", "-")


#: Job name -> session body; a unit test proves it pairs exactly with the pipeline's jobs.
BODIES: dict[str, JobBody] = {
    job_name(body): body
    for body in (
        version.run,
        build.run,
        wheel_install.run,
        tests.run,
        tests_latest.run,
        coverage.run,
        pylint.run,
        black.run,
        mypy.run,
        docstr.run,
        ruff_check.run,
        ruff_format.run,
        audit.run,
        sbom.run,
        docs.run,
        publish.run,
        release.run,
        pages.run,
    )
}

#: Sessions that are not pipeline jobs: developer conveniences.
EXTRA_SESSIONS: dict[str, tuple[str, SessionBody]] = {
    "format": (
        "Reformat the code with the project's formatter, black or ruff (fixing what the "
        "black or ruff-format job reports)",
        black.format_code,
    ),
}
