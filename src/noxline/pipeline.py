"""The pipeline, declared once as data: stages, jobs, needs, artifacts, reports, allow_failure.

Nox sessions (:mod:`noxline.sessions`), the GitLab YAML (:mod:`noxline.gitlab`) and the local runner
(:mod:`noxline.runner`) are all derived from :func:`define`; no other module states a job's facts.
The jobs mirror the seed GitLab + Poetry pipeline; its ``create-poetry-env`` stage is gone because
each session installs what it uses into its own venv.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from noxline.config import Settings
from noxline.errors import ConfigError

STAGES = ("pre-package", "package", "test", "publish")

#: Checks that only warn by default (``allow_failure``), as in the seed; ``blocking`` flips them.
CHECKS = ("pylint", "black", "mypy", "docstr")

#: The total line of ``coverage report``: ``TOTAL   120   4   30   2   96%``.
COVERAGE_REGEX = r"/^TOTAL\s.*\s(\d+(?:\.\d+)?)%$/"


@dataclass(frozen=True)
class Reports:
    """Machine-readable reports GitLab shows in merge requests (paths relative to the project)."""

    junit: str | None = None
    cobertura: str | None = None
    codequality: str | None = None
    #: A dotenv file whose variables GitLab passes to the jobs that need this one.
    dotenv: str | None = None


@dataclass(frozen=True)
class Job:  # pylint: disable=too-many-instance-attributes
    """One pipeline job; its nox session has the same name."""

    name: str
    stage: str
    description: str
    #: Jobs that must pass first, and whose artifacts this job receives.
    needs: tuple[str, ...] = ()
    #: Paths this job hands to the jobs that need it (besides its reports folder).
    artifacts: tuple[str, ...] = ()
    #: This job's reports folder; kept even when the job fails.
    reports_dir: str = ""
    reports: Reports = Reports()
    #: A browsable report, linked from merge requests: (label, path).
    exposed: tuple[str, str] | None = None
    #: Regex GitLab uses to read the coverage percentage from the job log.
    coverage_regex: str | None = None
    allow_failure: bool = False
    #: False for jobs that run inside nox's own environment (no venv to create).
    uses_venv: bool = True
    #: False for jobs that must never be cancelled half-way (an upload).
    interruptible: bool = True
    #: Jobs with one resource group never run at the same time.
    resource_group: str | None = None
    #: Jobs that read git history (tags, commit counts) need a full clone.
    needs_git_history: bool = False

    def command(self) -> tuple[str, ...]:
        """The command that runs this job alone (CI, ``noxline run``): needs come as artifacts."""
        return ("nox", "--no-dependencies", "-s", self.name)


@dataclass(frozen=True)
class Pipeline:
    """The jobs, in stage order."""

    jobs: tuple[Job, ...]
    stages: tuple[str, ...] = STAGES

    def job(self, name: str) -> Job:
        """Return the job called ``name``."""
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Job names in stage order."""
        return tuple(job.name for job in self.jobs)


def define(settings: Settings) -> Pipeline:
    """Declare the pipeline for a project; the only place where a job's facts are written."""
    unknown = sorted(set(settings.blocking) - set(CHECKS))
    if unknown:
        raise ConfigError(
            f"[tool.noxline] blocking names {', '.join(unknown)}, which is not a check; "
            f"choose from {', '.join(CHECKS)}"
        )

    def reports(name: str) -> str:
        """The reports folder of job ``name``, as a POSIX path GitLab understands."""
        return str(PurePosixPath(settings.reports_dir.as_posix()) / name)

    dist = settings.dist_dir.as_posix()
    jobs = (
        Job(
            name="version",
            stage="pre-package",
            description="Decide the PEP 440 version; hand it on as a dotenv report",
            reports_dir=reports("version"),
            reports=Reports(dotenv=f"{reports('version')}/version.env"),
            uses_venv=False,
            needs_git_history=True,
        ),
        Job(
            name="build",
            stage="package",
            description="Build sdist and wheel reproducibly, check them, write dist/SHA256SUMS",
            needs=("version",),
            artifacts=(f"{dist}/",),
            reports_dir=reports("build"),
        ),
        Job(
            name="wheel-install",
            stage="test",
            description="Install the built wheel into a fresh venv, import it, pip check",
            needs=("build",),
            reports_dir=reports("wheel-install"),
        ),
        Job(
            name="tests",
            stage="test",
            description="Unit tests against the installed wheel, under branch coverage",
            needs=("build",),
            reports_dir=reports("tests"),
            reports=Reports(
                junit=f"{reports('tests')}/junit.xml",
                cobertura=f"{reports('tests')}/coverage.xml",
            ),
            exposed=("coverage", f"{reports('tests')}/html/"),
            coverage_regex=COVERAGE_REGEX,
        ),
        Job(
            name="pylint",
            stage="test",
            description="Pylint with a score threshold; text, HTML and Code Quality reports",
            reports_dir=reports("pylint"),
            reports=Reports(codequality=f"{reports('pylint')}/codequality.json"),
            exposed=("pylint report", f"{reports('pylint')}/pylint.html"),
            allow_failure="pylint" not in settings.blocking,
        ),
        Job(
            name="black",
            stage="test",
            description="Black in check mode; the diff is the report",
            reports_dir=reports("black"),
            exposed=("black report", f"{reports('black')}/black.txt"),
            allow_failure="black" not in settings.blocking,
        ),
        Job(
            name="mypy",
            stage="test",
            description="Mypy; text, HTML and Code Quality reports",
            reports_dir=reports("mypy"),
            reports=Reports(codequality=f"{reports('mypy')}/codequality.json"),
            exposed=("mypy report", f"{reports('mypy')}/html/"),
            allow_failure="mypy" not in settings.blocking,
        ),
        Job(
            name="docstr",
            stage="test",
            description="Docstring coverage with a threshold",
            reports_dir=reports("docstr"),
            exposed=("docstring coverage", f"{reports('docstr')}/docstr.txt"),
            allow_failure="docstr" not in settings.blocking,
        ),
        Job(
            name="publish",
            stage="publish",
            description="Upload the checked dist/ files for a release; a dry run otherwise",
            needs=(
                "build",
                "wheel-install",
                "tests",
                *(c for c in CHECKS if c in settings.blocking),
            ),
            reports_dir=reports("publish"),
            interruptible=False,
            resource_group="publish",
            needs_git_history=True,
        ),
    )
    return Pipeline(jobs=jobs)
