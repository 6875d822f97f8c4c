"""What each pipeline job does: one module per job, each with a ``run(session, settings, job)``.

A job's module is named after the job (``wheel-install`` is :mod:`noxline.jobs.wheel_install`), so
:data:`BODIES`, the one registry from job name to session body, spells no job name; the
pipeline's facts (stage, needs, artifacts, report files) live in :mod:`noxline.pipeline`, and
each body receives its :class:`~noxline.pipeline.Job` to read them from there.

A body's module is imported when its session runs, not when the sessions are registered: every
nox process registers every job but runs one or a few, and importing all job modules (with the
HTTP, TLS, XML and archive code they bring) cost each process about 50 ms.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping

import nox

from noxline.config import Settings
from noxline.pipeline import Job

#: A job's session body: it writes where its :class:`~noxline.pipeline.Job` says.
JobBody = Callable[[nox.Session, Settings, Job], None]
#: The body of a session that is not a pipeline job.
SessionBody = Callable[[nox.Session, Settings], None]


def job_name(body: JobBody) -> str:
    """The job a body belongs to: its module's name, with dashes for underscores."""
    return body.__module__.rpartition(".")[2].replace("_", "-")


def _function(module: str, name: str) -> Callable[..., None]:
    """Function ``name`` of job module ``module`` (``wheel_install``), imported now."""
    function: Callable[..., None] = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return function


class _Bodies(Mapping[str, JobBody]):
    """Job name -> session body: the job modules of this package, found without importing them,
    each imported when its body is first looked up."""

    def __init__(self) -> None:
        """The names of the job modules (private helpers start with an underscore)."""
        self._names = tuple(
            sorted(
                info.name.replace("_", "-")
                for info in pkgutil.iter_modules(__path__)
                if not info.name.startswith("_")
            )
        )

    def __getitem__(self, name: str) -> JobBody:
        """The ``run`` of job ``name``'s module."""
        if name not in self._names:
            raise KeyError(name)
        return _function(name.replace("-", "_"), "run")

    def __iter__(self) -> Iterator[str]:
        """The job names, sorted."""
        return iter(self._names)

    def __len__(self) -> int:
        """How many jobs there are."""
        return len(self._names)


#: Job name -> session body; a unit test proves it pairs exactly with the pipeline's jobs.
BODIES: Mapping[str, JobBody] = _Bodies()


def _format_code(session: nox.Session, settings: Settings) -> None:
    """Reformat with the project's formatter (:func:`noxline.jobs.black.format_code`)."""
    _function("black", "format_code")(session, settings)


#: Sessions that are not pipeline jobs: developer conveniences.
EXTRA_SESSIONS: dict[str, tuple[str, SessionBody]] = {
    "format": (
        "Reformat the code with the project's formatter, black or ruff (fixing what the "
        "black or ruff-format job reports)",
        _format_code,
    ),
}
