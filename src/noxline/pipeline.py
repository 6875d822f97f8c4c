"""The pipeline, declared once as data: stages, jobs, needs, artifacts, reports, allow_failure.

Nox sessions (:mod:`noxline.sessions`), the GitLab YAML (:mod:`noxline.gitlab`) and the local runner
(:mod:`noxline.runner`) are all derived from :func:`define`; no other module states a job's facts.
The jobs mirror the seed GitLab + Poetry pipeline; its ``create-poetry-env`` stage is gone because
each session installs what it uses into its own venv.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from noxline.config import Settings
from noxline.errors import ConfigError
from noxline.sharding import Instance

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
    #: Interpreters of the job's venv: none (the one nox runs on), one, or several (a matrix: one
    #: nox session ``<name>-<version>`` and one GitLab job each).
    pythons: tuple[str, ...] = ()
    #: Copies of the job, each running a part of the tests (GitLab ``parallel:``).
    shards: int = 1
    #: Set on the concrete copies :meth:`Pipeline.expand` makes: the job they copy and which copy.
    template: str = ""
    instance: Instance = Instance()

    @property
    def matrix(self) -> tuple[str, ...]:
        """The Pythons this job fans out over; empty when it runs on one."""
        return self.pythons if len(self.pythons) > 1 else ()

    @property
    def session(self) -> str:
        """The nox session a copy runs: ``tests-3.12`` for a matrix copy (nox's own naming)."""
        base = self.template or self.name
        return f"{base}-{self.instance.python}" if self.instance.python else base

    def command(self) -> tuple[str, ...]:
        """The command that runs this job alone (CI, ``noxline run``): needs come as artifacts."""
        return ("nox", "--no-dependencies", "-s", self.session)

    def environment(self) -> dict[str, str]:
        """Variables GitLab sets for this copy: which shard of how many (``parallel: N``)."""
        if not self.instance.shard:
            return {}
        return {"CI_NODE_INDEX": str(self.instance.shard), "CI_NODE_TOTAL": str(self.shards)}

    def copies(self) -> tuple[Job, ...]:
        """The concrete jobs GitLab makes of this one: one per Python and shard (or itself)."""
        if not self.matrix and self.shards <= 1:
            return (self,)
        shard_numbers = range(1, self.shards + 1) if self.shards > 1 else (0,)
        result = []
        for python in self.matrix or ("",):
            for shard in shard_numbers:
                instance = Instance(python, shard, self.shards)
                suffix = f" {shard}/{self.shards}" if shard else ""
                name = f"{self.name}-{python}" if python else self.name
                result.append(
                    replace(self, name=name + suffix, template=self.name, instance=instance)
                )
        return tuple(result)


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

    def expand(self) -> Pipeline:
        """The pipeline as GitLab runs it: each fanned-out job replaced by its copies, and a need
        on such a job replaced by needs on all its copies (as GitLab's ``needs:`` means)."""
        copies = {job.name: job.copies() for job in self.jobs}
        jobs: list[Job] = []
        for job in self.jobs:
            needs = tuple(copy.name for need in job.needs for copy in copies[need])
            jobs.extend(replace(copy, needs=needs) for copy in copies[job.name])
        return Pipeline(jobs=tuple(jobs), stages=self.stages)


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
    # Jobs outside the matrix run on one Python; tests and wheel-install on each of the matrix.
    one_python = (settings.job_python,) if settings.job_python else ()
    matrix = settings.matrix or one_python
    tests_reports = reports("tests")
    if settings.fans_out:
        # Each copy writes into its own folder, reports/tests/<label>/ (see sharding.Instance);
        # the coverage job combines them into the one figure, Cobertura file and HTML report.
        tests_job_reports = Reports(junit=f"{tests_reports}/*/junit.xml")
        tests_exposed: tuple[str, str] | None = None
        tests_regex: str | None = None
    else:
        tests_job_reports = Reports(
            junit=f"{tests_reports}/junit.xml", cobertura=f"{tests_reports}/coverage.xml"
        )
        tests_exposed, tests_regex = ("coverage", f"{tests_reports}/html/"), COVERAGE_REGEX
    coverage_jobs: tuple[Job, ...] = ()
    if settings.fans_out:
        coverage_jobs = (
            Job(
                name="coverage",
                stage="test",
                description="Combine every test job's coverage and JUnit reports; one threshold",
                needs=("tests",),
                reports_dir=reports("coverage"),
                reports=Reports(cobertura=f"{reports('coverage')}/coverage.xml"),
                exposed=("coverage", f"{reports('coverage')}/html/"),
                coverage_regex=COVERAGE_REGEX,
                pythons=one_python,
            ),
        )
    jobs = (
        Job(
            name="version",
            stage="pre-package",
            description="Compute the PEP 440 version; write it to pyproject.toml and VERSION",
            artifacts=("pyproject.toml", settings.version_file.as_posix()),
            reports_dir=reports("version"),
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
            pythons=one_python,
        ),
        Job(
            name="wheel-install",
            stage="test",
            description="Install the built wheel into a fresh venv, import it, pip check",
            needs=("build",),
            reports_dir=reports("wheel-install"),
            pythons=matrix,
        ),
        Job(
            name="tests",
            stage="test",
            description="Unit tests against the installed wheel, under branch coverage",
            needs=("build",),
            reports_dir=tests_reports,
            reports=tests_job_reports,
            exposed=tests_exposed,
            coverage_regex=tests_regex,
            pythons=matrix,
            shards=settings.test_shards,
        ),
        *coverage_jobs,
        Job(
            name="pylint",
            stage="test",
            description="Pylint with a score threshold; text, HTML and Code Quality reports",
            reports_dir=reports("pylint"),
            reports=Reports(codequality=f"{reports('pylint')}/codequality.json"),
            exposed=("pylint report", f"{reports('pylint')}/pylint.html"),
            allow_failure="pylint" not in settings.blocking,
            pythons=one_python,
        ),
        Job(
            name="black",
            stage="test",
            description="Black in check mode; the diff is the report",
            reports_dir=reports("black"),
            exposed=("black report", f"{reports('black')}/black.txt"),
            allow_failure="black" not in settings.blocking,
            pythons=one_python,
        ),
        Job(
            name="mypy",
            stage="test",
            description="Mypy; text, HTML and Code Quality reports",
            reports_dir=reports("mypy"),
            reports=Reports(codequality=f"{reports('mypy')}/codequality.json"),
            exposed=("mypy report", f"{reports('mypy')}/html/"),
            allow_failure="mypy" not in settings.blocking,
            pythons=one_python,
        ),
        Job(
            name="docstr",
            stage="test",
            description="Docstring coverage with a threshold",
            reports_dir=reports("docstr"),
            exposed=("docstring coverage", f"{reports('docstr')}/docstr.txt"),
            allow_failure="docstr" not in settings.blocking,
            pythons=one_python,
        ),
        Job(
            name="publish",
            stage="publish",
            description="Upload the checked dist/ files for a release; a dry run otherwise",
            needs=(
                "build",
                "wheel-install",
                "tests",
                *(job.name for job in coverage_jobs),
                *(c for c in CHECKS if c in settings.blocking),
            ),
            reports_dir=reports("publish"),
            pythons=one_python,
            interruptible=False,
            resource_group="publish",
            needs_git_history=True,
        ),
    )
    return Pipeline(jobs=jobs)
