"""The pipeline, declared once as data: stages, jobs, needs, artifacts, reports, allow_failure.

Nox sessions (:mod:`noxline.sessions`), the GitLab YAML (:mod:`noxline.gitlab`) and the local runner
(:mod:`noxline.runner`) are all derived from :func:`define`; no other module states a job's facts.
The jobs mirror the seed GitLab + Poetry pipeline; its ``create-poetry-env`` stage is gone because
each session installs what it uses into its own venv.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from types import MappingProxyType

from noxline.config import Settings
from noxline.errors import ConfigError
from noxline.project import CONFIG_FILES
from noxline.sharding import Instance
from noxline.audiences import ID_TOKEN_VARIABLE, KNOWN_AUDIENCES

STAGES = ("pre-package", "package", "test", "publish", "release")

#: Checks of the source tree that start with the pipeline and only warn by default
#: (``allow_failure``), as in the seed; ``blocking`` flips them. The default set; a project that
#: lints and formats with ruff gets ruff instead of pylint and black (``checks``).
CHECKS = ("pylint", "black", "mypy", "docstr")

#: Every check a project may choose (``checks``), and the jobs it brings.
CHECK_JOBS = {
    "pylint": ("pylint",),
    "black": ("black",),
    "mypy": ("mypy",),
    "docstr": ("docstr",),
    "ruff": ("ruff-check", "ruff-format"),
}

#: Every name ``blocking`` may use: the checks, and the audit of the built wheel's dependencies.
BLOCKABLE = (*CHECK_JOBS, "audit")

#: Where a measured check (coverage, pylint, docstr) leaves its figure: ``init --ratchet`` reads it.
FIGURE_FILE = "figure.json"
#: The version job's dotenv report: GitLab hands its variables on, the build reads the file.
VERSION_ENV = "version.env"
#: The SBOM's file name: the sbom job writes it, the release job links it.
SBOM_FILE = "sbom.cdx.json"
#: Every job's one-line result (``312 tests``, ``black 23.12.1 (uv.lock)``): the job body writes it
#: (:func:`noxline.jobs._support.summarize`), ``noxline run``'s summary table shows it.
SUMMARY_FILE = "summary.txt"

#: Jobs whose venvs install the project's dependencies or its tools: each installs within the
#: project's lock (its exported pins, as constraints). wheel-install is left out on purpose: it
#: proves the published metadata resolves as a user of the library gets it.
LOCKED_JOBS = frozenset(
    {"tests", "coverage", "pylint", "black", "mypy", "docstr", "audit", "sbom", "docs"}
)

#: The docs job's site folder (its ``index.html`` is the page to open): GitLab Pages publishes it.
DOCS_SITE = "site/"

#: GitLab's rule for pipelines of the default branch.
DEFAULT_BRANCH_RULE = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"

#: The total line of ``coverage report``: ``TOTAL   120   4   30   2   96%``.
COVERAGE_REGEX = r"/^TOTAL\s.*\s(\d+(?:\.\d+)?)%$/"


@dataclass(frozen=True)
class Reports:
    """Machine-readable reports GitLab shows in merge requests, each a key of ``Job.files``."""

    junit: str | None = None
    cobertura: str | None = None
    codequality: str | None = None
    #: A CycloneDX SBOM (JSON), GitLab's dependency list.
    cyclonedx: str | None = None
    #: A dotenv file whose variables GitLab passes to the jobs that need this one.
    dotenv: str | None = None

    def roles(self) -> tuple[str, ...]:
        """The file roles these reports name."""
        named = (self.junit, self.cobertura, self.codequality, self.cyclonedx, self.dotenv)
        return tuple(role for role in named if role)


#: The GitLab cache key under which the coverage job's merged JUnit reports travel to the next
#: pipeline's test shards (fixed: every pipeline of the project reads the newest durations).
DURATIONS_CACHE = "noxline-test-durations"


@dataclass(frozen=True)
class Cache:
    """Files GitLab carries from one pipeline to the next: a ``cache:`` entry with a fixed key.

    Locally the files simply stay where the last run left them, so only GitLab reads this.
    """

    key: str
    #: POSIX paths or globs relative to the project.
    paths: tuple[str, ...]
    #: ``pull`` (restore only), ``push`` (save only) or ``pull-push``.
    policy: str


#: The venv the build backend runs in, reused while build-system.requires and the interpreter
#: stay the same (jobs/build.py), in nox's folder, which init has git ignore.
BUILD_BACKEND_DIR = ".nox/noxline-build-backend"
#: The file in it naming what it was made for.
BUILD_BACKEND_MARKER = "noxline-backend.json"
#: What that file says after a build in build's isolated envs, whose backend came from the index
#: as it was then: the build's inputs then never match (inputs.venv_contents).
BUILD_ISOLATED = "isolated build"

#: Files a wheel is made of besides the package: its metadata and the files it names.
PACKAGE_FILES = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "MANIFEST.in",
    "README*",
    "LICENSE*",
    "LICENCE*",
    "LICENSES/**/*",
    "COPYING*",
    "NOTICE*",
    "AUTHORS*",
)
#: Every file of the tree.
ALL_FILES = "**/*"
#: Environment variables every job reads: where its tools and interpreters are found, what the
#: installers resolve against (pip, uv), nox's and noxline's own switches, the CI context, the
#: locale and time zone (tools' messages and timestamps), the home folder (user configuration).
COMMON_VARIABLES = (
    "PATH",
    "HOME",
    "PYTHON*",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "PIP_*",
    "UV_*",
    "NOX*",
    "NOXLINE_*",
    "CI",
    "CI_*",
    "GITLAB_CI",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TZ",
    "SOURCE_DATE_EPOCH",
    "XDG_CONFIG_HOME",
)
#: User-level configuration every job's installers read (pip's; uv's, though sessions set
#: UV_NO_CONFIG, the lock tools' exports may read it).
COMMON_USER_FILES = (
    "~/.config/pip/pip.conf",
    "~/.pip/pip.conf",
    "/etc/pip.conf",
    "/etc/xdg/pip/pip.conf",
    "~/.config/uv/uv.toml",
    "/etc/uv/uv.toml",
    "/etc/xdg/uv/uv.toml",
)


@dataclass(frozen=True)
class Inputs:
    """Everything a job's result can depend on, declared once: ``noxline run``'s result cache keys
    on it (:mod:`noxline.inputs`), and merge-request pipelines leave a job out while none of its
    files changed (:mod:`noxline.gitlab`).

    :func:`define` writes :attr:`files` as kinds, which it resolves into globs (GitLab's
    ``rules:changes`` syntax: ``**`` any folders, ``*`` within one) before anything reads them.
    """

    #: Project files the job reads: the kinds ``source`` (the package), ``tests``, ``python``
    #: (every Python file: checkers follow imports), ``config`` (:data:`CONFIG_FILES`, the
    #: project files they name, what the noxfile imports), ``lint`` (every file of the paths the
    #: checkers are given), ``package`` (what the wheel is made of), ``all``; resolved into
    #: globs by :func:`define`.
    files: tuple[str, ...] = ()
    #: True for jobs that read the built ``dist/`` files (keyed on their sha256).
    dist: bool = False
    #: True for jobs that read git's history (HEAD's commit and time, tags).
    git: bool = False
    #: Environment variables the job reads besides :data:`COMMON_VARIABLES`: names, ``PREFIX*``,
    #: or ``*`` for every variable (the project's own code runs: it may read any).
    env: tuple[str, ...] = ()
    #: Configuration files outside the project the job's tools read (``~`` is the home folder).
    user_files: tuple[str, ...] = ()
    #: Why a green result of the job is never reused (it uploads, or asks a service whose answer
    #: changes by itself); empty when it may be.
    never_cached: str = ""
    #: True for jobs installing the built wheel with its requirements resolved as a user of the
    #: wheel gets them (from the index now, never the lock): never reused while the wheel
    #: requires anything, however its metadata declares it (a ``file =`` of setuptools, a hook).
    resolves_requirements: bool = False
    #: Venvs of its own (project-relative folders) the job installs into besides its session's:
    #: what they hold, and the marker file each keeps, are inputs as the session venv's are.
    venvs: tuple[str, ...] = ()

    def resolved(self, settings: Settings) -> Inputs:
        """These inputs with the file kinds turned into globs, the common ones added, and each
        submodule whose files a glob may match named itself: a merge request bumping one
        changes its path only (the result cache keys the files in it either way)."""
        globs = [glob for kind in self.files for glob in _kind_globs(kind, settings)]
        globs += [
            escape_glob(folder)
            for folder in settings.submodules
            if any(reaches_below(glob, folder) for glob in globs)
        ]
        return replace(
            self,
            files=tuple(dict.fromkeys(globs)),
            env=tuple(dict.fromkeys((*COMMON_VARIABLES, *self.env))),
            user_files=tuple(dict.fromkeys((*COMMON_USER_FILES, *self.user_files))),
        )

    @property
    def reads_everything(self) -> bool:
        """True when every file of the tree is an input (no change can leave the job out)."""
        return ALL_FILES in self.files


def escape_glob(path: str) -> str:
    """A literal path as a glob: the characters globs give a meaning to, backslash-escaped."""
    return "".join(f"\\{char}" if char in "*?[]{}\\" else char for char in path)


def reaches_below(glob: str, folder: str) -> bool:
    """True when ``glob`` may match a path below the POSIX ``folder`` (``**/*.py`` below any
    folder, ``src/pkg/**/*`` below ``src/pkg/vendored``), compared name by name; a name with
    escapes, classes or alternatives (``\\[``, ``[ab]``, ``{a,b}``) is taken to match any name:
    more, never fewer."""
    parts = glob.split("/")
    for index, name in enumerate(folder.split("/")):
        if parts[index].startswith("**"):
            return True
        if index == len(parts) - 1:  # the glob's last name: a path at this depth, not below
            return False
        if not set(parts[index]) & set("\\[{") and not fnmatch.fnmatchcase(name, parts[index]):
            return False
    return True


def _kind_globs(kind: str, settings: Settings) -> tuple[str, ...]:
    """The globs of one file kind of :attr:`Inputs.files` for this project."""
    source = escape_glob(settings.source_dir.as_posix())
    source_globs = (source,) if settings.source_dir.suffix == ".py" else (f"{source}/**/*",)
    tests = settings.tests_dir.as_posix()
    tests_globs = (ALL_FILES,) if tests in ("", ".") else (f"{escape_glob(tests)}/**/*",)
    lock = (escape_glob(settings.lock_file),) if settings.lock_file else ()
    # Every file of the paths the checkers are given: their own configuration selects which
    # they check (black's include, ruff's extend-include, a .pyw, a script without a suffix).
    lint = [PurePosixPath(path).as_posix() for path in settings.lint_paths]
    lint_globs = tuple(
        glob
        for path in lint
        for glob in (
            (ALL_FILES,) if path == "." else (escape_glob(path), f"{escape_glob(path)}/**/*")
        )
    )
    # What the noxfile imports from the project configures every job as the noxfile does.
    noxfile = tuple(
        escape_glob(path) + "**/*" if path.endswith("/") else escape_glob(path)
        for path in settings.noxfile_imports
    )
    table = {
        "source": source_globs,
        "tests": tests_globs,
        "python": ("**/*.py", "**/*.pyi", "**/*.ipynb", "**/py.typed"),
        "config": (*CONFIG_FILES, *lock, *noxfile, *map(escape_glob, settings.config_named)),
        "lint": lint_globs,
        "package": (*source_globs, *PACKAGE_FILES),
        "all": (ALL_FILES,),
    }
    if kind not in table:  # a slip in the definition itself
        raise ValueError(f"unknown kind of input files {kind!r}: choose from {', '.join(table)}")
    return table[kind]


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
    #: True for jobs that install within the project's lock (:data:`LOCKED_JOBS`).
    locked: bool = False
    #: OIDC id tokens GitLab gives the job: (environment variable, audience).
    id_tokens: tuple[tuple[str, str], ...] = ()
    #: The GitLab environment the job deploys to (its ``environment:``): (name, URL or "").
    deploys_to: tuple[str, str] | tuple[()] = ()
    #: When set, GitLab runs the job only in pipelines for tags matching this regex; locally it
    #: always runs (and decides itself whether this is a release or a dry run).
    only_tags_matching: str = ""
    #: True: GitLab runs the job only in pipelines of the default branch; locally it always runs.
    only_default_branch: bool = False
    #: The folder (POSIX, relative to the project) this job publishes with GitLab Pages
    #: (``pages: publish:``); the job is then GitLab's Pages job.
    pages_publish: str = ""
    #: Report files of other jobs this job reads or links: role -> POSIX path in the project.
    upstream_files: Mapping[str, str] = field(default_factory=dict, hash=False)
    #: Interpreters of the job's venv: none (the one nox runs on), one, or several (a matrix: one
    #: nox session ``<name>-<version>`` and one GitLab job each).
    pythons: tuple[str, ...] = ()
    #: Copies of the job, each running a part of the tests (GitLab ``parallel:``).
    shards: int = 1
    #: Files carried between pipelines besides the download caches every job shares.
    caches: tuple[Cache, ...] = ()
    #: Each copy (Python, shard) writes its :attr:`files` into ``<reports_folder>/<label>/``
    #: (:attr:`noxline.sharding.Instance.label`), so copies never overwrite each other's reports.
    per_copy_reports: bool = False
    #: What the job's result depends on (files, the built dist, git, variables): the one
    #: declaration the result cache and merge-request pipelines' ``rules:changes`` derive from.
    inputs: Inputs = Inputs()
    #: Set on the concrete copies :meth:`copies` makes: the job they copy and which copy.
    template: str = ""
    instance: Instance = Instance()

    def __post_init__(self) -> None:
        """Freeze :attr:`files` and refuse reports naming a file the job does not declare."""
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))
        object.__setattr__(self, "upstream_files", MappingProxyType(dict(self.upstream_files)))
        named = [*self.reports.roles(), *(self.exposed[1:] if self.exposed else ())]
        unknown = [role for role in named if role not in self.files]
        if unknown:  # a slip in the definition itself, not in a user's settings
            raise ValueError(f"job {self.name} reports undeclared files: {', '.join(unknown)}")

    def report_path(self, role: str) -> str:
        """POSIX path, relative to the project, of the report file declared for ``role``.

        For a job whose copies keep their own folders, a glob over all of them (GitLab reads
        report globs).
        """
        folder = f"{self.reports_folder}/*" if self.per_copy_reports else self.reports_folder
        return f"{folder}/{self.files[role]}"

    def for_copy(self, instance: Instance) -> Job:
        """The job as the copy ``instance`` runs it: with per-copy reports, its own folder."""
        if not self.per_copy_reports:
            return replace(self, instance=instance)
        folder = f"{self.reports_folder}/{instance.label}"
        return replace(self, reports_folder=folder, per_copy_reports=False, instance=instance)

    def exposed_report(self) -> tuple[str, str] | None:
        """The browsable report as (label, POSIX path relative to the project), or None."""
        if self.exposed is None:
            return None
        label, role = self.exposed
        return label, self.report_path(role)

    @property
    def copy_folder(self) -> str:
        """The reports folder this copy's body writes into (its own, for per-copy reports)."""
        return self.for_copy(self.instance).reports_folder if self.template else self.reports_folder

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
        """The concrete jobs GitLab makes of this one: one per Python and shard (or itself).

        Copies keep the job's reports folder (``noxline run`` writes their logs there side by
        side); each copy's body moves into its own folder with :meth:`for_copy`.
        """
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


def publish_environment(settings: Settings) -> tuple[str, str] | tuple[()]:
    """The publish job's GitLab environment (``publish-environment``), with the project's page
    on the index its trusted-publishing audience belongs to (PyPI, TestPyPI) as its URL."""
    if not settings.publish_environment:
        return ()
    known = KNOWN_AUDIENCES.get(settings.oidc_audience)
    return (settings.publish_environment, f"{known[2]}{settings.name}" if known else "")


def define(settings: Settings) -> Pipeline:
    """Declare the pipeline for a project; the only place where a job's facts are written."""
    unknown = sorted(set(settings.blocking) - set(BLOCKABLE))
    if unknown:
        raise ConfigError(
            f"[tool.noxline] blocking names {', '.join(unknown)}, which is not a check; "
            f"choose from {', '.join(BLOCKABLE)}"
        )
    unknown = sorted(set(settings.checks) - set(CHECK_JOBS))
    if unknown:
        raise ConfigError(
            f"[tool.noxline] checks names {', '.join(unknown)}, which is not a check; "
            f"choose from {', '.join(CHECK_JOBS)}"
        )
    left_out = sorted(set(settings.blocking) - {*settings.checks, "audit"})
    if left_out:
        raise ConfigError(
            f"[tool.noxline] blocking names {', '.join(left_out)}, which checks leaves out: add "
            "it to checks or remove it from blocking"
        )
    # The jobs of the checks the project chose, each allowed to fail unless its check blocks.
    chosen = {job: check for check in settings.checks for job in CHECK_JOBS[check]}

    def folder(name: str) -> str:
        """The reports folder of job ``name``, as a POSIX path GitLab understands."""
        return str(PurePosixPath(settings.reports_dir.as_posix()) / name)

    dist = settings.dist_dir.as_posix()
    # Jobs outside the matrix run on one Python; tests and wheel-install on each of the matrix.
    one_python = (settings.job_python,) if settings.job_python else ()
    matrix = settings.matrix or one_python
    coverage_files = {
        "coverage-xml": "coverage.xml",
        "coverage-html": "html/",
        "coverage-data": ".coverage",
        "coverage-config": "coverage.toml",
        "figure": FIGURE_FILE,
    }
    tests_files = {"junit": "junit.xml", **coverage_files}
    # The shards balance by the coverage job's merged JUnit reports of the last run (junit.xml,
    # or one per Python: junit-3.12.xml): locally they stay in its reports folder; GitLab carries
    # them to the next pipeline in a cache the coverage job pushes and the shards pull. A
    # committed test-durations file needs no cache.
    merged = PurePosixPath(tests_files["junit"])
    merged_junit = f"{folder('coverage')}/{merged.stem}*{merged.suffix}"
    durations = settings.test_durations or merged_junit
    carried = settings.test_shards > 1 and not settings.test_durations

    def durations_cache(policy: str) -> tuple[Cache, ...]:
        """The durations cache with ``policy``, when the durations travel between pipelines."""
        return (Cache(DURATIONS_CACHE, (merged_junit,), policy),) if carried else ()

    # The project's own code runs in the tests: it may read any variable, any file of the tree
    # (an example, a documentation page, a data folder beside the tests), or run git.
    tests_inputs = Inputs(files=("all",), dist=True, git=True, env=("*",))
    checks_inputs = Inputs(files=("python", "config", "lint"))

    def widened(job: str, inputs: Inputs) -> Inputs:
        """``inputs``, reading every file when the project's configuration widens the job's
        files by a pattern (black's include, ruff's extend-include)."""
        return (
            replace(inputs, files=(*inputs.files, "all"))
            if job in settings.widened_checks
            else inputs
        )

    ruff_inputs = replace(
        widened("ruff-check", checks_inputs),
        env=("RUFF_*",),
        user_files=(
            "~/.config/ruff/ruff.toml",
            "~/.config/ruff/.ruff.toml",
            "~/.config/ruff/pyproject.toml",
        ),
    )
    coverage_jobs: tuple[Job, ...] = ()
    if settings.fans_out:
        # The copies of tests (Pythons, shards) write data and JUnit into their own folders; this
        # job combines them into the one figure, Cobertura file and HTML report.
        coverage_jobs = (
            Job(
                name="coverage",
                stage="test",
                description="Combine every test job's coverage and JUnit reports; one threshold",
                needs=("tests",),
                # Each copy's JUnit report and coverage data (globs), in reports/tests/<label>/.
                upstream_files={
                    role: f"{folder('tests')}/*/{tests_files[role]}"
                    for role in ("junit", "coverage-data")
                },
                files={**coverage_files, "junit": merged.name},
                reports=Reports(cobertura="coverage-xml"),
                exposed=("coverage", "coverage-html"),
                coverage_regex=COVERAGE_REGEX,
                caches=durations_cache("push"),
                inputs=tests_inputs,
            ),
        )
    docs_jobs: tuple[Job, ...] = ()
    pages_jobs: tuple[Job, ...] = ()
    if settings.docs:
        site = f"{folder('docs')}/{DOCS_SITE}"
        from_release = settings.pages_from == "release"
        docs_jobs = (
            Job(
                name="docs",
                stage="test",
                description="Build the documentation site: the project's MkDocs or Sphinx, else "
                "pdoc's API reference of the wheel; warnings fail",
                needs=("build",),
                files={"site": DOCS_SITE, "index": f"{DOCS_SITE}index.html", "log": "docs.log"},
                # Merge requests link the built site, so reviewers browse the change.
                exposed=("documentation", "site"),
                # pdoc reads only the wheel (what the package files make of it); MkDocs and
                # Sphinx read pages anywhere (an include of README.md, a docs_dir elsewhere).
                # The documented modules and conf.py are the project's code: any variable.
                inputs=Inputs(
                    files=("all",) if settings.docs_config else ("package", "config"),
                    dist=True,
                    env=("*",),
                ),
            ),
        )
        pages_jobs = (
            Job(
                name="pages",
                stage="release",
                description="Publish the docs site with GitLab Pages: "
                + ("the latest release's" if from_release else "the default branch's"),
                # A release's site goes live once the release is published.
                needs=("docs", *(("publish",) if from_release else ())),
                artifacts=(site,),
                upstream_files={"site": site},
                uses_venv=False,
                interruptible=False,
                resource_group="pages",
                only_tags_matching=settings.release_tag_pattern if from_release else "",
                only_default_branch=not from_release,
                pages_publish=site.rstrip("/"),
                inputs=Inputs(
                    files=("all",),
                    env=("CI_PAGES_URL",),
                    never_cached="GitLab deploys the site it passes on",
                ),
            ),
        )
    declared = (
        Job(
            name="version",
            stage="pre-package",
            description="Decide the PEP 440 version; hand it on as a dotenv report",
            files={"dotenv": VERSION_ENV},
            reports=Reports(dotenv="dotenv"),
            uses_venv=False,
            needs_git_history=True,
            # The decision reads HEAD, the tags and the CI variables; the stale-lock check reads
            # pyproject.toml and the lock.
            inputs=Inputs(files=("config",), git=True),
        ),
        Job(
            name="build",
            stage="package",
            description="Build sdist and wheel reproducibly, check them, write dist/SHA256SUMS",
            needs=("version",),
            artifacts=(f"{dist}/",),
            # The version job's dotenv report: the version this build stamps into its copy.
            upstream_files={"version": f"{folder('version')}/{VERSION_ENV}"},
            files={
                "twine-check": "twine-check.txt",
                "wheel-contents": "check-wheel-contents.txt",
            },
            # The build copy is the whole tree; SOURCE_DATE_EPOCH is HEAD's commit time; the
            # backends read their version overrides and twine its settings. The backend runs in
            # a reused venv (BUILD_BACKEND_DIR): what it holds is an input, as a session venv's
            # is. A build in build's isolated envs (no uv, no build-system.requires, or that venv
            # failed) resolves the backend from the index as it is now: the job then marks that
            # venv (BUILD_ISOLATED), and such a result is never reused.
            inputs=Inputs(
                files=("all",),
                git=True,
                # The backend runs the project's code (setup.py, build hooks, an in-tree
                # backend): any variable may decide the wheel (CC, CFLAGS, a feature switch).
                env=("*",),
                venvs=(BUILD_BACKEND_DIR,),
            ),
        ),
        Job(
            name="wheel-install",
            stage="test",
            description="Install the built wheel into a fresh venv, import it, pip check",
            needs=("build",),
            files={"pip-check": "pip-check.txt", "installed": "installed.txt"},
            fresh_venv=True,
            pythons=matrix,
            per_copy_reports=bool(settings.matrix),
            # It imports the package: the package's import-time code may read any variable.
            inputs=Inputs(
                files=("package", "config"), dist=True, env=("*",), resolves_requirements=True
            ),
        ),
        Job(
            name="tests",
            stage="test",
            description="Unit tests against the installed wheel, under branch coverage",
            needs=("build",),
            files=tests_files,
            # Fanned out, the coverage job reports coverage: one figure, not one per copy.
            reports=Reports(junit="junit", cobertura=None if settings.fans_out else "coverage-xml"),
            exposed=None if settings.fans_out else ("coverage", "coverage-html"),
            coverage_regex=None if settings.fans_out else COVERAGE_REGEX,
            pythons=matrix,
            shards=settings.test_shards,
            per_copy_reports=settings.fans_out,
            # A committed report, else the coverage job's merged ones from the last run (a glob):
            # written after every shard ended, so all shards of a run read the same files.
            upstream_files={"durations": durations} if settings.test_shards > 1 else {},
            caches=durations_cache("pull"),
            inputs=tests_inputs,
        ),
        *coverage_jobs,
        *(
            (
                Job(
                    name="tests-latest",
                    stage="test",
                    description="Unit tests against the newest releases the metadata allows "
                    "(outside the lock; allowed to fail)",
                    needs=("build",),
                    files=tests_files,
                    reports=Reports(junit="junit"),
                    allow_failure=True,
                    fresh_venv=True,
                    inputs=replace(
                        tests_inputs,
                        never_cached="it installs the newest releases the index offers now",
                    ),
                ),
            )
            if settings.tests_latest
            else ()
        ),
        Job(
            name="pylint",
            stage="test",
            description="Pylint score (a threshold when one is set); text, HTML, Code Quality",
            files={
                "text": "pylint.txt",
                "codequality": "codequality.json",
                "html": "pylint.html",
                "figure": FIGURE_FILE,
            },
            reports=Reports(codequality="codequality"),
            exposed=("pylint report", "html"),
            allow_failure="pylint" not in settings.blocking,
            inputs=replace(
                checks_inputs,
                env=("PYLINT*",),
                user_files=("~/.pylintrc", "~/.config/pylintrc", "/etc/pylintrc"),
            ),
        ),
        Job(
            name="black",
            stage="test",
            description="Black in check mode; the diff is the report",
            files={"diff": "black.txt"},
            exposed=("black report", "diff"),
            allow_failure="black" not in settings.blocking,
            inputs=replace(
                widened("black", checks_inputs), env=("BLACK_*",), user_files=("~/.config/black",)
            ),
        ),
        Job(
            name="mypy",
            stage="test",
            description="Mypy; text, HTML and Code Quality reports",
            files={"text": "mypy.txt", "html": "html/", "codequality": "codequality.json"},
            reports=Reports(codequality="codequality"),
            exposed=("mypy report", "html"),
            allow_failure="mypy" not in settings.blocking,
            inputs=replace(
                checks_inputs,
                env=("MYPY*",),
                user_files=("~/.config/mypy/config", "~/.mypy.ini"),
            ),
        ),
        Job(
            name="docstr",
            stage="test",
            description="Docstring coverage (a threshold when one is set)",
            files={"text": "docstr.txt", "figure": FIGURE_FILE},
            exposed=("docstring coverage", "text"),
            allow_failure="docstr" not in settings.blocking,
            inputs=checks_inputs,
        ),
        Job(
            name="ruff-check",
            stage="test",
            description="ruff check with the project's ruff configuration; Code Quality",
            files={"text": "ruff.txt", "codequality": "codequality.json"},
            reports=Reports(codequality="codequality"),
            exposed=("ruff report", "text"),
            allow_failure="ruff" not in settings.blocking,
            inputs=ruff_inputs,
        ),
        Job(
            name="ruff-format",
            stage="test",
            description="ruff format in check mode; the diff is the report",
            files={"diff": "ruff-format.txt"},
            exposed=("ruff format report", "diff"),
            allow_failure="ruff" not in settings.blocking,
            inputs=ruff_inputs,
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
            inputs=Inputs(
                files=("package", "config"),
                dist=True,
                never_cached="the vulnerability database it asks learns of new advisories daily",
            ),
        ),
        Job(
            name="sbom",
            stage="test",
            description="CycloneDX SBOM of the wheel and its installed runtime dependencies",
            needs=("build",),
            files={"sbom": SBOM_FILE, "log": "cyclonedx-py.log"},
            reports=Reports(cyclonedx="sbom"),
            exposed=("SBOM", "sbom"),
            # Its timestamp is HEAD's commit time.
            inputs=Inputs(
                files=("package", "config"), dist=True, git=True, resolves_requirements=True
            ),
        ),
        *docs_jobs,
        Job(
            name="publish",
            stage="publish",
            description="Upload the checked dist/ files for a release; a dry run otherwise",
            needs=(
                "build",
                "wheel-install",
                "tests",
                *(job.name for job in coverage_jobs),
                *(job for job, check in chosen.items() if check in settings.blocking),
                *(("audit",) if "audit" in settings.blocking else ()),
            ),
            files={"record": "publish.json"},
            interruptible=False,
            resource_group="publish",
            needs_git_history=True,
            id_tokens=(
                ((ID_TOKEN_VARIABLE, settings.oidc_audience),) if settings.oidc_audience else ()
            ),
            deploys_to=publish_environment(settings),
            inputs=Inputs(
                files=("all",),
                dist=True,
                git=True,
                never_cached="it uploads a release, or checks one against the index as it is now",
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
            only_tags_matching=settings.release_tag_pattern,
            inputs=Inputs(
                files=("all",),
                dist=True,
                git=True,
                never_cached="it creates a GitLab Release",
            ),
        ),
        *pages_jobs,
    )
    # Every job keeps its reports in <reports-dir>/<job>/, named once here from the job's name,
    # with its one-line summary; every job with a venv outside the matrix runs on the one Python
    # (check-python).
    checks = {job for jobs in CHECK_JOBS.values() for job in jobs}
    return Pipeline(
        jobs=tuple(
            replace(
                job,
                reports_folder=folder(job.name),
                files={**job.files, "summary": SUMMARY_FILE},
                locked=job.name in LOCKED_JOBS and bool(settings.lock_file),
                pythons=job.pythons or (one_python if job.uses_venv else ()),
                inputs=job.inputs.resolved(settings),
            )
            for job in declared
            if job.name not in checks or job.name in chosen
        )
    )
