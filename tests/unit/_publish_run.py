"""One publish run as the fault-injection tests watch it (unit: tests/unit/test_faults.py; with the
real twine: tests/e2e/test_hostile_publish.py).

:func:`run_publish` runs publish's real steps (:func:`noxline.jobs.publish.publish_dist`) with its
record at ``reports/publish/publish.json``, catches the one-line error the job would end with, and
returns what a test asserts on: the record, every line logged or warned, the seconds it took.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import NamedTuple

from noxline.config import Settings
from noxline.dist import Dist
from noxline.errors import NoxlineError
from noxline.jobs.publish import JobIO, Report, publish_dist
from noxline.versioning import VersionDecision

#: A twine that does not exist: a run that gets as far as an upload ends "cannot run twine".
NO_TWINE = "/nonexistent/twine"


def upload_env(url: str, password: str, **extra: str) -> dict[str, str]:
    """The job's variables for uploading to ``url`` as user "uploader" with ``password``, and
    ``extra`` (CI variables, or a variable replaced)."""
    return {
        "TWINE_REPOSITORY_URL": url,
        "TWINE_USERNAME": "uploader",
        "TWINE_PASSWORD": password,
        **extra,
    }


class Outcome(NamedTuple):
    """What one publish run left: its record, its output lines, its duration and its error."""

    report: Report
    lines: list[str]
    seconds: float
    error: NoxlineError | None

    @property
    def written(self) -> str:
        """The record as written to disk (what GitLab would keep as an artifact)."""
        assert self.report.path is not None
        return self.report.path.read_text(encoding="utf-8")


def run_publish(  # pylint: disable=too-many-arguments
    settings: Settings,
    decision: VersionDecision,
    dist: Dist,
    env: Mapping[str, str],
    *,
    twine: str = NO_TWINE,
    poll_interval: float = 0.1,
) -> Outcome:
    """Publish ``dist`` as ``decision`` says, with ``env`` as the job's variables; the index is
    polled every ``poll_interval`` seconds after an upload (quick, for tests)."""
    lines: list[str] = []
    io = JobIO(
        log=lines.append, warn=lines.append, env=env, twine=twine, poll_interval=poll_interval
    )
    settings.report_root.mkdir(exist_ok=True)
    report = Report(project=settings.name, path=settings.report_root / "publish.json")
    started = time.monotonic()
    error: NoxlineError | None = None
    try:
        publish_dist(settings, decision, dist, report, io)
    except NoxlineError as failure:
        error = failure
        report.outcome, report.error = "failed", str(failure)
    report.save()
    return Outcome(report, lines, time.monotonic() - started, error)
