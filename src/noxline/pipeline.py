"""The pipeline, declared once as data: stages, jobs, needs, artifacts, reports, allow_failure.

Nox sessions (:mod:`noxline.sessions`), the GitLab YAML (:mod:`noxline.gitlab`) and the local runner
(:mod:`noxline.runner`) are all derived from :func:`define`; no other module states a job's facts.
The jobs mirror the seed GitLab + Poetry pipeline; its ``create-poetry-env`` stage is gone because
each session installs what it uses into its own venv.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from types import MappingProxyType

from noxline.config import Settings
from noxline.errors import ConfigError
from noxline.trusted_publishing import ID_TOKEN_VARIABLE

STAGES = ("pre-package", "package", "test", "publish", "release")

#: Checks of the source tree that start with the pipeline and only warn by default
#: (``allow_failure``), as in the seed; ``blocking`` flips them.
CHECKS = ("pylint", "black", "mypy", "docstr")

#: Every job ``blocking`` may name: the checks, and the audit of the built wheel's dependencies.
BLOCKABLE = (*CHECKS, "audit")

#: The SBOM's file name: the sbom job writes it, the release job links it.
SBOM_FILE = "sbom.cdx.json"

#: The total line of ``coverage report``: ``TOTAL   120   4   30   2   96%``.
COVERAGE_REGEX = r"/^TOTAL\s.*\s(\d+(?:\.\d+)?)%$/"


@dataclass(frozen=True)
class Reports:
    """Machine-readable reports GitLab shows in merge requests; each names a key of ``Job.files``."""

    junit: str | None = None
    cobertura: str | None = None
    codequality: str | None = None
    #: A CycloneDX SBOM (JSON), GitLab's dependency list.
    cyclonedx: str | None = None

    def roles(self) -> tuple[str, ...]:
        """The file roles these reports name."""
        named = (self.junit, self.cobertura, self.codequality, self.cyclonedx)
        return tuple(role for role in named if role)


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
    #: This job's reports folder, a POSIX path relative to the project; kept when the job fails.
    reports_folder: str = ""
    #: What the job writes into its reports folder: role -> name inside the folder (a trailing
    #: ``/`` marks a folder). The job body and GitLab both read the names from here.
    files: Mapping[str, str] = field(default_factory=dict, hash=False)
    reports: Reports = Reports()
    #: A browsable report, linked from merge requests: (label, role in :attr:`files`).
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
    #: True for jobs that prove something about a fresh venv, so they never reuse one.
    fresh_venv: bool = False
    #: OIDC id tokens GitLab gives the job: (environment variable, audience).
    id_tokens: tuple[tuple[str, str], ...] = ()
    #: When set, GitLab runs the job only in pipelines for tags matching this regex; locally it
    #: always runs (and decides itself whether this is a release or a dry run).
    only_tags_matching: str = ""
    #: Report files of other jobs this job reads or links: role -> POSIX path in the project.
    upstream_files: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        """Freeze :attr:`files` and refuse reports naming a file the job does not declare."""
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))
        object.__setattr__(self, "upstream_files", MappingProxyType(dict(self.upstream_files)))
        named = [*self.reports.roles(), *(self.exposed[1:] if self.exposed else ())]
        unknown = [role for role in named if role not in self.files]
        if unknown:  # a slip in the definition itself, not in a user's settings
            raise ValueError(f"job {self.name} reports undeclared files: {', '.join(unknown)}")

    def report_path(self, role: str) -> str:
        """POSIX path, relative to the project, of the report file declared for ``role``."""
        return f"{self.reports_folder}/{self.files[role]}"

    def exposed_report(self) -> tuple[str, str] | None:
        """The browsable report as (label, POSIX path relative to the project), if the job has one."""
        if self.exposed is None:
            return None
        label, role = self.exposed
        return label, self.report_path(role)

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
    unknown = sorted(set(settings.blocking) - set(BLOCKABLE))
    if unknown:
        raise ConfigError(
            f"[tool.noxline] blocking names {', '.join(unknown)}, which is not a check; "
            f"choose from {', '.join(BLOCKABLE)}"
        )

    def folder(name: str) -> str:
        """The reports folder of job ``name``, as a POSIX path GitLab understands."""
        return str(PurePosixPath(settings.reports_dir.as_posix()) / name)

    dist = settings.dist_dir.as_posix()
    declared = (
        Job(
            name="version",
            stage="pre-package",
            description="Compute the PEP 440 version; write it to pyproject.toml and VERSION",
            artifacts=("pyproject.toml", settings.version_file.as_posix()),
            uses_venv=False,
            needs_git_history=True,
        ),
        Job(
            name="build",
            stage="package",
            description="Build sdist and wheel reproducibly, check them, write dist/SHA256SUMS",
            needs=("version",),
            artifacts=(f"{dist}/",),
            files={
                "twine-check": "twine-check.txt",
                "wheel-contents": "check-wheel-contents.txt",
            },
        ),
        Job(
            name="wheel-install",
            stage="test",
            description="Install the built wheel into a fresh venv, import it, pip check",
            needs=("build",),
            files={"pip-check": "pip-check.txt", "installed": "installed.txt"},
            fresh_venv=True,
        ),
        Job(
            name="tests",
            stage="test",
            description="Unit tests against the installed wheel, under branch coverage",
            needs=("build",),
            files={
                "junit": "junit.xml",
                "coverage-xml": "coverage.xml",
                "coverage-html": "html/",
                "coverage-data": ".coverage",
                "coverage-config": "coverage.toml",
            },
            reports=Reports(junit="junit", cobertura="coverage-xml"),
            exposed=("coverage", "coverage-html"),
            coverage_regex=COVERAGE_REGEX,
        ),
        Job(
            name="pylint",
            stage="test",
            description="Pylint with a score threshold; text, HTML and Code Quality reports",
            files={
                "text": "pylint.txt",
                "codequality": "codequality.json",
                "html": "pylint.html",
            },
            reports=Reports(codequality="codequality"),
            exposed=("pylint report", "html"),
            allow_failure="pylint" not in settings.blocking,
        ),
        Job(
            name="black",
            stage="test",
            description="Black in check mode; the diff is the report",
            files={"diff": "black.txt"},
            exposed=("black report", "diff"),
            allow_failure="black" not in settings.blocking,
        ),
        Job(
            name="mypy",
            stage="test",
            description="Mypy; text, HTML and Code Quality reports",
            files={"text": "mypy.txt", "html": "html/", "codequality": "codequality.json"},
            reports=Reports(codequality="codequality"),
            exposed=("mypy report", "html"),
            allow_failure="mypy" not in settings.blocking,
        ),
        Job(
            name="docstr",
            stage="test",
            description="Docstring coverage with a threshold",
            files={"text": "docstr.txt"},
            exposed=("docstring coverage", "text"),
            allow_failure="docstr" not in settings.blocking,
        ),
        Job(
            name="audit",
            stage="test",
            description="Known vulnerabilities in the wheel's installed dependencies (pip-audit)",
            needs=("build",),
            files={
                "text": "audit.txt",
                "json": "pip-audit.json",
                "codequality": "codequality.json",
                "log": "pip-audit.log",
            },
            reports=Reports(codequality="codequality"),
            exposed=("audit report", "text"),
            allow_failure="audit" not in settings.blocking,
        ),
        Job(
            name="sbom",
            stage="test",
            description="CycloneDX SBOM of the wheel and its installed runtime dependencies",
            needs=("build",),
            files={"sbom": SBOM_FILE, "log": "cyclonedx-py.log"},
            reports=Reports(cyclonedx="sbom"),
            exposed=("SBOM", "sbom"),
        ),
        Job(
            name="publish",
            stage="publish",
            description="Upload the checked dist/ files for a release; a dry run otherwise",
            needs=(
                "build",
                "wheel-install",
                "tests",
                *(c for c in BLOCKABLE if c in settings.blocking),
            ),
            files={"record": "publish.json"},
            interruptible=False,
            resource_group="publish",
            needs_git_history=True,
            id_tokens=(
                ((ID_TOKEN_VARIABLE, settings.oidc_audience),) if settings.oidc_audience else ()
            ),
        ),
        Job(
            name="release",
            stage="release",
            description="GitLab Release of the tag: changelog notes, links to the files and SBOM",
            needs=("build", "sbom", "publish"),
            files={"record": "release.json"},
            upstream_files={"sbom": f"{folder('sbom')}/{SBOM_FILE}"},
            interruptible=False,
            resource_group="release",
            needs_git_history=True,
            only_tags_matching=settings.release_pattern,
        ),
    )
    # Every job keeps its reports in <reports-dir>/<job>/, named once here from the job's name.
    return Pipeline(jobs=tuple(replace(job, reports_folder=folder(job.name)) for job in declared))
