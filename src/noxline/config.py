"""Settings: the ``[tool.noxline]`` table, validated, with defaults derived from the project itself.

There is one settings type, :class:`Settings`; every field but ``project_dir`` can be set in
``[tool.noxline]`` under its name with dashes (``coverage-fail-under``). Unknown keys and wrong
types are refused with a message naming the key.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.version import InvalidVersion, Version

from noxline import confine
from noxline.errors import ConfigError, VersionError
from noxline.net import NetError, check_url
from noxline.project import VersionSource, read_pyproject, resolve
from noxline.audiences import AUDIENCE, KNOWN_AUDIENCES
from noxline.versioning import DEFAULT_RELEASE_PATTERN, compile_release_pattern

TestRunner = Literal["unittest", "pytest"]
#: Which site GitLab Pages serves: the latest release's, or the default branch's.
PagesFrom = Literal["release", "default-branch"]

#: The most test shards: GitLab's ``parallel:`` allows 200, far beyond any useful split.
MAX_SHARDS = 200

#: What a ``python`` entry may look like: "3.12", "3.13t", "pypy3.10".
_PYTHON_NAME = re.compile(r"^[A-Za-z]*[0-9]+(\.[0-9]+)*[a-z]?\Z")
#: A GitLab environment name as both GitLab and PyPI's trusted-publisher form accept it.
_ENVIRONMENT = re.compile(r"[A-Za-z0-9_/${} -]+")
#: A variable an environment name refers to ($NAME or ${NAME}): GitLab expands it into the name
#: shown on its Environments page, so only its predefined CI_ variables (never a CI/CD secret).
_ENVIRONMENT_VARIABLE = re.compile(r"\$\{?([A-Za-z0-9_]*)")


@dataclass(frozen=True)
class AcceptedAdvisory:
    """A known vulnerability the project accepts for a while: the audit reports it, but passes."""

    #: The advisory's id or one of its aliases (``GHSA-...``, ``PYSEC-...``, ``CVE-...``).
    id: str
    #: Why it is acceptable, shown beside the finding.
    reason: str
    #: The last day the acceptance holds; from the day after, the audit fails on it again.
    expires: datetime.date

    def expired(self, today: datetime.date) -> bool:
        """True once ``today`` is past the expiry date."""
        return today > self.expires


@dataclass(frozen=True)
class Settings:  # pylint: disable=too-many-instance-attributes
    """Everything a session needs to know about the project it runs on."""

    project_dir: Path
    #: Distribution name, as in ``[project] name``.
    name: str
    #: The version in pyproject.toml before ``version`` rewrites it.
    base_version: str
    #: Import name of the package.
    package: str
    #: The package's source folder, ``src/<package>`` or ``<package>``.
    source_dir: Path
    tests_dir: Path = Path("tests")
    dist_dir: Path = Path("dist")
    #: The plain-text file holding the version, written by the ``version`` session.
    version_file: Path = Path()
    #: The folder holding every job's reports folder, ``<reports-dir>/<job>/`` (the definition
    #: names each job's folder: :attr:`noxline.pipeline.Job.reports_folder`).
    reports_dir: Path = Path("reports")
    test_runner: TestRunner = "unittest"
    #: Extra arguments for the test runner.
    test_args: tuple[str, ...] = ()
    #: Which files hold tests (unittest's ``-p``, pytest's ``python_files``); empty: the runner's
    #: default, or the naming the project's test modules use (``*_test.py``).
    test_pattern: str = ""
    #: Pythons the tests and wheel-install jobs run on, each its own session and GitLab job when
    #: there are several (a matrix); empty means the one nox runs on. One string is one version.
    python: tuple[str, ...] = ()
    #: Python of every other job (build, the checks, coverage); empty means the first of ``python``.
    check_python: str = ""
    #: Copies of the tests job, each running a part of the suite (GitLab ``parallel:``).
    test_shards: int = 1
    #: Add the ``tests-latest`` job: the suite against the newest releases the metadata allows,
    #: outside the lock, allowed to fail.
    tests_latest: bool = False
    #: A committed JUnit report whose durations balance the shards (else the last local run's).
    test_durations: str = ""
    runtime_requirements: tuple[str, ...] = ()
    test_requirements: tuple[str, ...] = ()
    #: Paths that pylint, black and mypy check; defaults to the source and tests dirs (mypy: none
    #: when the project's own mypy configuration names its files, see ``mypy_targets``).
    lint_paths: tuple[str, ...] = ()
    #: True when the project's mypy configuration names what it checks (detected).
    mypy_targets: bool = False
    #: True when the project's [tool.black] chooses black's files (include, exclude,
    #: extend-exclude): black then checks the project root as that configuration selects.
    black_targets: bool = False
    #: The lock file every job's dependencies come from (detected: uv.lock, poetry.lock,
    #: pdm.lock, pylock.toml); "none" installs without it.
    lock_file: str = ""
    #: Exact pins (name, version) the project declares outside the lock (detected).
    tool_pins: tuple[tuple[str, str], ...] = ()
    #: Package indexes the project declares (name, URL, "uv" or "poetry"; detected).
    package_indexes: tuple[tuple[str, str, str], ...] = ()
    #: Thresholds: None (the default, unless the project declares its own) measures and reports.
    coverage_fail_under: float | None = None
    docstr_fail_under: float | None = None
    pylint_fail_under: float | None = None
    #: Where each threshold the project declares itself was read ("check" -> "fail_under in
    #: .coveragerc"); a threshold set in [tool.noxline] has none (detected).
    threshold_sources: tuple[tuple[str, str], ...] = ()
    #: The checks the pipeline runs (pylint, black, mypy, docstr, ruff); detected: ruff, mypy and
    #: docstr for a project that lints and formats with ruff, else pylint, black, mypy, docstr.
    checks: tuple[str, ...] = ()
    #: Checks (and audit) that fail the pipeline instead of warning.
    blocking: tuple[str, ...] = ()
    release_pattern: str = DEFAULT_RELEASE_PATTERN
    #: What release tags start with (``v`` for ``v1.2.3``); stripped before the pattern applies.
    tag_prefix: str = ""
    publish_prereleases: bool = False
    #: True: ``twine check --strict`` (a missing long description or content type fails the
    #: build and publish); False: they are warnings, rendering errors still fail.
    strict_metadata: bool = False
    #: OSV-compatible vulnerability service the audit asks (a company mirror); empty means OSV's.
    audit_osv_url: str = ""
    #: Advisories the audit reports but accepts until their expiry date.
    accepted_advisories: tuple[AcceptedAdvisory, ...] = ()
    #: Audience of the GitLab id token publish exchanges for an upload token; empty: no exchange.
    #: ``"pypi"`` or ``"testpypi"`` also sets where publish uploads (repository-url, index-url).
    oidc_audience: str = ""
    #: The GitLab environment of the publish job (``environment:``): PyPI's trusted publisher can
    #: be restricted to it, GitLab's protected environments can gate it; empty: none.
    publish_environment: str = ""
    #: The ``docs`` job (and GitLab Pages): the project's documentation site, built strictly;
    #: detected: on when the project has docs configuration or a package with docstrings.
    docs: bool = False
    #: The docs configuration built with its own tool: a mkdocs.yml (MkDocs) or a Sphinx conf.py;
    #: empty: an API reference of the built wheel by pdoc (detected: Read the Docs' choice, else
    #: mkdocs.yml, docs/conf.py, doc/conf.py, docs/source/conf.py).
    docs_config: str = ""
    #: What the docs job installs beside the wheel (detected: a docs group or extra, Read the
    #: Docs' requirements, docs/requirements.txt); the tool itself, when none names it.
    docs_requirements: tuple[str, ...] = ()
    #: The site GitLab Pages publishes: the latest release's ("release", from the release tag's
    #: pipeline) or the default branch's ("default-branch").
    pages_from: PagesFrom = "release"
    #: The changelog the release notes come from; empty: the first of CHANGELOG.md, CHANGES.md, ...
    changelog: str = ""
    #: Upload URL used when ``TWINE_REPOSITORY_URL`` is not set.
    repository_url: str = ""
    #: Simple-index URL (PEP 503/691) that publish reads; derived from the upload URL when empty.
    index_url: str = ""
    #: Seconds one index read may take (retries included); also how long publish waits, after
    #: the upload, for the index to list the files.
    index_timeout: float = 60.0
    #: Seconds one twine upload may take before it is stopped.
    upload_timeout: float = 600.0
    #: Seconds the whole publish job may take.
    publish_timeout: float = 1800.0
    #: Minutes any one job may run: GitLab's ``timeout:``, and where ``noxline run`` stops a job
    #: (a test that hangs must not hold the pipeline, or a resource group, forever).
    job_timeout: float = 60.0
    #: Docker image of the generated GitLab jobs; ``{python}`` stands for each job's Python.
    gitlab_image: str = "python:{python}-slim"
    #: How the GitLab jobs install noxline itself (a pip requirement).
    noxline_requirement: str = ""
    #: Tools the GitLab set-up installs beside noxline.
    setup_requirements: tuple[str, ...] = ("nox>=2026.10.20", "uv>=0.9")
    #: How the build backend reads the version (detected, never set in [tool.noxline]).
    version_source: VersionSource = VersionSource()
    #: The project's ``requires-python`` (detected).
    requires_python: str = ""
    #: The project's own modules (``ci_helpers.py``) and packages (``tools/nox_support/``) its
    #: noxfile.py imports: every job's input, as the noxfile is (detected).
    noxfile_imports: tuple[str, ...] = ()
    #: The paths of the project's git submodules (detected): a merge request that bumps one
    #: changes that path only, never the paths of the files in it.
    submodules: tuple[str, ...] = ()
    #: The project files its configuration files name (``files = ["bin/tool"]`` in [tool.mypy],
    #: ruff's ``extend``): every job reading configuration reads them too (detected).
    config_named: tuple[str, ...] = ()
    #: The checks (jobs) whose own configuration selects files beyond Python's by pattern (black's
    #: ``include``, ruff's ``extend-include``): every file is their input (detected).
    widened_checks: tuple[str, ...] = ()

    @property
    def report_root(self) -> Path:
        """Absolute folder that holds every session's reports."""
        return self.project_dir / self.reports_dir

    @property
    def namespace_root(self) -> Path | None:
        """For a package inside namespace folders (``acme.widgets`` in ``src/acme/widgets``), the
        folder it is imported from (``src``), which pylint and mypy must be told; else None."""
        if "." not in self.package or self.source_dir.suffix == ".py":
            return None
        return self.source_dir.parents[self.package.count(".")]

    @property
    def matrix(self) -> tuple[str, ...]:
        """The Pythons the tests and wheel-install jobs fan out over; empty for just one."""
        return self.python if len(self.python) > 1 else ()

    @property
    def release_tag_pattern(self) -> str:
        """``release-pattern`` for whole tags (``tag-prefix`` in front), as GitLab sees them."""
        return whole_tag_pattern(self.release_pattern, self.tag_prefix)

    @property
    def job_python(self) -> str:
        """Python of the jobs outside the matrix; empty means the one nox runs on."""
        return self.check_python or (self.python[0] if self.python else "")

    @property
    def fans_out(self) -> bool:
        """True when tests run as several jobs, so a ``coverage`` job combines their reports."""
        return bool(self.matrix) or self.test_shards > 1


#: Fields that are computed, never read from [tool.noxline].
_NOT_KEYS = frozenset(
    {
        "project_dir",
        "version_source",
        "requires_python",
        "noxfile_imports",
        "submodules",
        "config_named",
        "widened_checks",
        "mypy_targets",
        "black_targets",
        "tool_pins",
        "package_indexes",
        "threshold_sources",
    }
)
#: Keys that may no longer be set in the tree, and why.
_RETIRED_KEYS = {
    "allow-unprotected-tags": (
        "the tree being released must not decide whether unprotected tags may publish (whoever "
        "pushes the tag controls the tree): remove the key and, if you really need it, have a "
        "Maintainer set the CI/CD variable NOXLINE_ALLOW_UNPROTECTED_TAGS=true"
    ),
}


def whole_tag_pattern(release_pattern: str, tag_prefix: str) -> str:
    """The release pattern as GitLab must match whole tag names: with the tag prefix in front.

    The version rules strip the prefix before the pattern applies; GitLab's ``rules:`` see the
    whole tag (``v1.2.3``), so the prefix joins the pattern there.
    """
    if not tag_prefix:
        return release_pattern
    prefix = re.escape(tag_prefix)
    if release_pattern.startswith("^"):
        return f"^{prefix}(?:{release_pattern[1:]})"
    return f"^{prefix}.*(?:{release_pattern})"


def load_settings(project_dir: Path | str = ".") -> Settings:
    """Read ``pyproject.toml`` in ``project_dir`` and return the validated settings."""
    root = Path(project_dir).resolve()
    return settings_from(root, read_pyproject(root))


def settings_from(root: Path, data: dict[str, Any]) -> Settings:
    """The validated settings of the project in ``root`` whose parsed pyproject.toml is ``data``."""
    table = data.get("tool", {}).get("noxline", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.noxline] must be a table")
    given = _validate(table)
    facts = resolve(
        root,
        data,
        package=given.get("package"),
        source_dir=given.get("source_dir"),
        tests_dir=given.get("tests_dir"),
    )
    source_dir = facts.source_dir
    tests_dir = facts.tests_dir or Path("tests")
    defaults: dict[str, Any] = {
        "project_dir": root,
        "name": facts.metadata.name,
        "base_version": facts.base_version,
        "package": facts.package,
        "source_dir": source_dir,
        # A single-module distribution has no package folder: its VERSION file is never written.
        "version_file": (source_dir / "VERSION" if source_dir.suffix != ".py" else Path("VERSION")),
        "runtime_requirements": facts.metadata.runtime_requirements,
        "test_requirements": facts.metadata.test_requirements,
        "tests_dir": tests_dir,
        "test_runner": facts.test_runner,
        "test_pattern": facts.test_pattern,
        # Tests inside the package are checked with it, never handed over a second time.
        "lint_paths": tuple(
            dict.fromkeys(
                str(p)
                for p in (source_dir, tests_dir)
                if str(p) != "." and not (p != source_dir and p.is_relative_to(source_dir))
            )
        ),
        "checks": (
            ("ruff", "mypy", "docstr") if facts.uses_ruff else ("pylint", "black", "mypy", "docstr")
        ),
        "lock_file": facts.lock_file,
        "docs": bool(given.get("docs_config") or facts.docs_config) or facts.has_docstrings,
        "docs_config": facts.docs_config,
        "docs_requirements": facts.docs_requirements,
        "tool_pins": tuple(sorted(facts.pins.items())),
        "package_indexes": facts.indexes,
        # Paths set in [tool.noxline] are what every checker gets, mypy too.
        "mypy_targets": facts.mypy_targets and "lint_paths" not in given,
        "black_targets": facts.black_targets and "lint_paths" not in given,
        "tag_prefix": facts.tag_prefix,
        "version_source": facts.version_source,
        "requires_python": facts.requires_python,
        "noxfile_imports": facts.noxfile_imports,
        "submodules": facts.submodules,
        "config_named": facts.config_named,
        "widened_checks": facts.widened_checks,
        **{key.replace("-", "_"): value for key, value in facts.thresholds.items()},
        "threshold_sources": tuple(
            (key.removesuffix("-fail-under"), where)
            for key, where in sorted(facts.threshold_sources.items())
            if key.replace("-", "_") not in given
        ),
    }
    if facts.release_pattern is not None:
        defaults["release_pattern"] = facts.release_pattern
    audience_index = KNOWN_AUDIENCES.get(str(given.get("oidc_audience", "")))
    if audience_index and not given.get("repository_url"):
        # The one setting trusted publishing to PyPI needs: the index follows from the audience.
        defaults["repository_url"], defaults["index_url"] = audience_index[:2]
    settings = Settings(**(defaults | given))
    if settings.lock_file == "none":
        settings = dataclasses.replace(settings, lock_file="")
    elif settings.lock_file and not (root / settings.lock_file).is_file():
        raise ConfigError(
            f"lock-file names {settings.lock_file}, which is not a file in {root}: name the "
            'project\'s lock file, or set lock-file = "none" to install without one'
        )
    elif settings.lock_file and Path(settings.lock_file).name != settings.lock_file:
        raise ConfigError("lock-file must name a file in the project folder, not a path")
    _check(settings)
    return settings


def _validate(table: dict[str, Any]) -> dict[str, Any]:
    """Map TOML keys onto Settings fields, refusing unknown keys and wrong types."""
    hints = typing.get_type_hints(Settings)
    known = {f.name.replace("_", "-"): f.name for f in dataclasses.fields(Settings)}
    result: dict[str, Any] = {}
    for key, value in table.items():
        if key in _RETIRED_KEYS:
            raise ConfigError(f"[tool.noxline] {key} is no longer read: {_RETIRED_KEYS[key]}")
        name = known.get(key)
        if name is None or name in _NOT_KEYS:
            choices = ", ".join(sorted(k for k, n in known.items() if n not in _NOT_KEYS))
            raise ConfigError(f"unknown key {key!r} in [tool.noxline]; known keys: {choices}")
        if name == "python" and isinstance(value, str):
            value = [value] if value.strip() else []  # one version, as before lists were allowed
        _refuse_control_characters(key, value)
        result[name] = _convert(key, value, hints[name])
    return result


#: Characters no setting needs: C0 and C1 controls (a newline, a NUL, an escape sequence).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _refuse_control_characters(key: str, value: Any) -> None:
    """Refuse a string setting (or a string in a list setting) that holds control characters:
    every setting string is taken whole, and a trailing newline or an escape sequence would
    reach a tag pattern, a command line, the generated YAML or a terminal as something else
    than what the line shows."""
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for text in texts:
        if isinstance(text, str) and _CONTROL.search(text):
            raise ConfigError(
                f"[tool.noxline] {key} = {text!r} holds control characters (a newline, a tab, "
                "an escape, ...): no setting needs them; fix the key in pyproject.toml"
            )


def _convert(key: str, value: Any, hint: Any) -> Any:
    """Check one value against its field's type; return it in the field's type."""
    origin = typing.get_origin(hint)
    if isinstance(hint, types.UnionType):  # an optional value: None is never written in TOML
        (hint,) = [arg for arg in typing.get_args(hint) if arg is not types.NoneType]
        return _convert(key, value, hint)
    if hint is bool or hint is str:
        ok = isinstance(value, hint)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif hint is Path:
        ok = isinstance(value, str) and value != ""
        value = Path(value) if ok else value
    elif hint == tuple[AcceptedAdvisory, ...]:
        ok = isinstance(value, list) and all(isinstance(item, dict) for item in value)
        value = tuple(_advisory(key, item) for item in value) if ok else value
    elif origin is tuple:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        value = tuple(value) if ok else value
    elif origin is Literal:
        ok = value in typing.get_args(hint)
    else:  # pragma: no cover - a field type this function does not know is a programming error
        raise TypeError(f"unsupported settings type {hint!r}")
    if not ok:
        raise ConfigError(
            f"[tool.noxline] {key} = {value!r} is not {_describe(hint)}; "
            "fix that key in pyproject.toml"
        )
    return value


def _describe(hint: Any) -> str:
    """Say in words what a field type accepts."""
    if typing.get_origin(hint) is Literal:
        return "one of " + ", ".join(repr(arg) for arg in typing.get_args(hint))
    if hint == tuple[AcceptedAdvisory, ...]:
        return "a list of tables with id, reason and expires"
    if typing.get_origin(hint) is tuple:
        return "a list of strings"
    words = {
        bool: "true or false",
        str: "a string",
        int: "a whole number",
        float: "a number",
        Path: "a non-empty path",
    }
    return words.get(hint, str(hint)) if not isinstance(hint, types.UnionType) else str(hint)


def _advisory(key: str, item: dict[str, Any]) -> AcceptedAdvisory:
    """One ``accepted-advisories`` entry: an id, a reason and an expiry date, nothing else."""
    identifier, reason, expires = item.get("id"), item.get("reason"), item.get("expires")
    if isinstance(expires, str):
        try:
            expires = datetime.date.fromisoformat(expires)
        except ValueError:
            expires = None
    # A TOML date; a datetime (also a date) would make the expiry ambiguous.
    if isinstance(expires, datetime.datetime) or not isinstance(expires, datetime.date):
        expires = None
    texts = [text.strip() for text in (identifier, reason) if isinstance(text, str)]
    if set(item) == {"id", "reason", "expires"} and all(texts) and len(texts) == 2 and expires:
        return AcceptedAdvisory(texts[0], texts[1], expires)
    raise ConfigError(
        f"[tool.noxline] {key} holds {item!r}; each entry needs exactly an id, a reason and an "
        "expiry date, like {id = 'GHSA-xxxx-xxxx-xxxx', reason = 'why it is acceptable', "
        "expires = 2027-01-31}"
    )


def _check(settings: Settings) -> None:
    """Cross-field checks that single types cannot express."""
    _confine(settings)
    try:
        compile_release_pattern(settings.release_pattern)
    except VersionError as error:
        raise ConfigError(str(error)) from None
    _check_pythons(settings)
    _check_urls(settings)
    _check_docs_config(settings)
    _check_trusted_publishing(settings)
    for key, low, high in (
        ("test_shards", 1, MAX_SHARDS),
        ("coverage_fail_under", 0, 100),
        ("docstr_fail_under", 0, 100),
        ("pylint_fail_under", 0, 10),
        ("index_timeout", 1, 86400),
        ("upload_timeout", 1, 86400),
        ("publish_timeout", 1, 86400),
        ("job_timeout", 1, 10080),
    ):
        number = getattr(settings, key)
        if number is not None and not low <= number <= high:
            raise ConfigError(
                f"[tool.noxline] {key.replace('_', '-')} = {number} "
                f"must be between {low} and {high}"
            )


def _check_trusted_publishing(settings: Settings) -> None:
    """An audience and an environment GitLab and the index accept as they are written: an
    audience that is a known one but for its case or blanks ("PyPI") would get an id token
    PyPI refuses, and publish to the GitLab registry instead of PyPI."""
    audience, environment = settings.oidc_audience, settings.publish_environment
    near = audience.strip().lower()
    if audience not in KNOWN_AUDIENCES and near in KNOWN_AUDIENCES:
        raise ConfigError(
            f"[tool.noxline] oidc-audience = {audience!r} is not the audience the index expects: "
            f"write {near!r} exactly"
        )
    if audience and not AUDIENCE.fullmatch(audience):
        raise ConfigError(
            f"[tool.noxline] oidc-audience = {audience!r} holds characters no audience has (or "
            "more than 256): "
            'write the index\'s audience ("pypi", "testpypi", or what its /_/oidc/audience says)'
        )
    if environment and (not _ENVIRONMENT.fullmatch(environment) or not environment.strip()):
        raise ConfigError(
            f"[tool.noxline] publish-environment = {environment!r} is not a GitLab environment "
            'name: use letters, digits, spaces and - _ / $ { } only (for example "pypi")'
        )
    named = [
        name for name in _ENVIRONMENT_VARIABLE.findall(environment) if not name.startswith("CI_")
    ]
    if named:
        raise ConfigError(
            f"[tool.noxline] publish-environment = {environment!r} refers to "
            f"{'$' + named[0] if named[0] else 'a variable'}: "
            "GitLab would expand it into the environment's name, shown to everyone with access; "
            "use GitLab's predefined CI_ variables only (for example $CI_COMMIT_REF_SLUG)"
        )


#: Path settings, checked to stay inside the project.
_PATH_KEYS = ("source_dir", "tests_dir", "dist_dir", "reports_dir", "version_file")
#: Path settings that may be empty (then a default applies), checked when set: files noxline
#: reads and hands on (the changelog becomes public release notes), so never one outside.
_OPTIONAL_PATH_KEYS = ("changelog", "test_durations", "docs_config")
#: Most bytes of an existing version-file read to check it holds a version.
_VERSION_FILE_PEEK = 256
#: Folders noxline owns: build empties dist-dir, every job writes under reports-dir.
_OWNED_KEYS = ("dist_dir", "reports_dir")


def _confine(settings: Settings) -> None:
    """Keep every path setting inside the project, and noxline's own folders to themselves.

    A path must be relative, resolve (symbolic links followed) strictly inside the project, not
    be the project itself nor reach into ``.git``. dist-dir and reports-dir must hold nothing but
    noxline's output: not pyproject.toml, .git, the sources, the tests, each other.
    """
    root = settings.project_dir.resolve()
    resolved = {
        key: _inside(root, getattr(settings, key), key, root_ok=key == "tests_dir")
        for key in _PATH_KEYS
    }
    for item in settings.lint_paths:
        _inside(root, Path(item), "lint_paths")
    for key in _OPTIONAL_PATH_KEYS:
        if getattr(settings, key):
            _inside(root, Path(getattr(settings, key)), key)
    protected = {
        "pyproject.toml": root / "pyproject.toml",
        ".git": root / ".git",
        **{_key(key): path for key, path in resolved.items()},
    }
    for key in _OWNED_KEYS:
        owned = resolved[key]
        for what, path in protected.items():
            if what != _key(key) and (path == owned or owned in path.parents):
                raise ConfigError(
                    f"[tool.noxline] {_key(key)} = {str(getattr(settings, key))!r} would hold "
                    f"{what}, but noxline empties and rewrites that folder: set it to a folder "
                    f"of its own, such as {_key(key).split('-', 1)[0]!r}"
                )
    if resolved["version_file"] == protected["pyproject.toml"]:
        raise ConfigError(
            "[tool.noxline] version-file = 'pyproject.toml' would overwrite the project file: "
            "set it to a plain text file such as 'src/<package>/VERSION'"
        )
    for key in _OWNED_KEYS:
        if resolved[key].exists() and not resolved[key].is_dir():
            raise ConfigError(
                f"[tool.noxline] {_key(key)} = {str(getattr(settings, key))!r} is a file, not a "
                "folder: set it to a folder of its own, such as "
                f"{_key(key).split('-', 1)[0]!r}"
            )
    _check_version_file(root, resolved["version_file"], settings.version_file)


def _check_version_file(root: Path, target: Path, setting: Path) -> None:
    """Refuse a version-file that exists and is anything but a text file holding a version.

    The version job overwrites it: pointed at a module, a README or a script, it would destroy
    them. An empty file or one holding a version (what the job wrote last time) is fine.
    """
    if not target.exists():
        return
    held = ""
    if target.is_file():
        try:
            head = confine.read_part(root, target, _VERSION_FILE_PEEK + 1)
        except (OSError, ConfigError, confine.ConfinementError):
            head = b"\0" * (_VERSION_FILE_PEEK + 1)  # a FIFO, unreadable: no version file
        held = head.decode("utf-8", errors="replace").strip()
        if len(head) <= _VERSION_FILE_PEEK and (not held or _is_version(held)):
            return
    what = "a folder" if target.is_dir() else f"{held[:40]!r}..., not a version"
    raise ConfigError(
        f"[tool.noxline] version-file = {str(setting)!r} holds {what}, and the version job "
        "overwrites it: point version-file at a plain text file that holds only the version, "
        "such as 'src/<package>/VERSION'"
    )


def _is_version(text: str) -> bool:
    """True when ``text`` is one PEP 440 version (what the version job writes)."""
    try:
        Version(text)
    except (InvalidVersion, ValueError):
        return False
    return True


def _inside(root: Path, path: Path, key: str, *, root_ok: bool = False) -> Path:
    """``root / path`` resolved, refused unless it lies strictly inside ``root`` (not .git);
    ``root_ok`` also allows the project folder itself (test modules at the project's root)."""
    if any(ord(char) < 32 or ord(char) == 127 for char in str(path)):
        raise ConfigError(
            f"[tool.noxline] {_key(key)} = {str(path)!r} holds control characters (a NUL byte, "
            "a newline, ...): no path setting needs them; fix the key in pyproject.toml"
        )
    try:
        target = (root / path).resolve()
        target.exists()  # OSError for a name the file system cannot hold
    except (OSError, RuntimeError) as error:  # a symlink loop, a name too long
        raise ConfigError(
            f"[tool.noxline] {_key(key)} = {str(path)!r} cannot be resolved "
            f"({type(error).__name__}): fix the path or the links it goes through"
        ) from None
    if root_ok and target == root and not path.is_absolute():
        return target
    if path.is_absolute() or target == root or root not in target.parents:
        where = "is the project folder itself" if target == root else "leaves the project"
        raise ConfigError(
            f"[tool.noxline] {_key(key)} = {str(path)!r} {where} (it resolves to {target}): "
            "path settings must name something inside the project, relative to pyproject.toml"
        )
    git = root / ".git"
    if target == git or git in target.parents:
        raise ConfigError(
            f"[tool.noxline] {_key(key)} = {str(path)!r} points into .git: choose a path "
            "outside the repository's own data"
        )
    return target


def _key(name: str) -> str:
    """The [tool.noxline] key of a Settings field."""
    return name.replace("_", "-")


#: URL settings: http(s), a host, no credentials inside (URLs get logged; the values are
#: committed in the tree).
_URL_KEYS = ("repository_url", "index_url", "audit_osv_url")


def _check_urls(settings: Settings) -> None:
    """Refuse a URL setting that is no http(s) URL, holds whitespace or control characters, or
    carries a credential (user-info, a secret query value): the one rule of :mod:`noxline.net`,
    applied when the settings are loaded."""
    for key in _URL_KEYS:
        value = getattr(settings, key)
        if value:
            try:
                check_url(value, what=f"[tool.noxline] {_key(key)}")
            except NetError as error:
                raise ConfigError(str(error)) from None


def _check_pythons(settings: Settings) -> None:
    """Python versions are names nox and Docker tags understand, each listed once."""
    for version in (*settings.python, settings.check_python):
        if version and not _PYTHON_NAME.match(version):
            raise ConfigError(
                f"[tool.noxline] python {version!r} is not a Python version like '3.12' "
                "(or an interpreter name nox knows, like 'pypy3.10')"
            )
    repeated = sorted(
        {version for version in settings.python if settings.python.count(version) > 1}
    )
    if repeated:
        raise ConfigError(
            f"[tool.noxline] python lists {', '.join(repeated)} twice: list each version once"
        )


#: The file names a docs configuration may have: MkDocs' and Sphinx's.
_DOCS_CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml", "conf.py")


def _check_docs_config(settings: Settings) -> None:
    """A docs-config names an existing mkdocs.yml or Sphinx conf.py (which decides the tool)."""
    config = settings.docs_config
    if not config:
        return
    if Path(config).name not in _DOCS_CONFIG_NAMES:
        raise ConfigError(
            f"[tool.noxline] docs-config = {config!r} is neither a mkdocs.yml nor a Sphinx "
            "conf.py: name one of them, or remove the key for an API reference made by pdoc"
        )
    if not (settings.project_dir / config).is_file():
        raise ConfigError(
            f"[tool.noxline] docs-config = {config!r} is not a file in {settings.project_dir}: "
            "name the project's mkdocs.yml or Sphinx conf.py, relative to pyproject.toml"
        )


def replace(settings: Settings, **changes: Any) -> Settings:
    """Return a copy of ``settings`` with some fields changed (for tests and the CLI)."""
    return dataclasses.replace(settings, **changes)


__all__ = [
    "AcceptedAdvisory",
    "DEFAULT_RELEASE_PATTERN",
    "PagesFrom",
    "Settings",
    "TestRunner",
    "load_settings",
    "replace",
    "settings_from",
    "whole_tag_pattern",
]
