"""The ``version`` job: decide the PEP 440 version and hand it on, never editing a tracked file.

The decision travels as a dotenv report, ``<reports-dir>/version/version.env`` holding
``NOXLINE_VERSION=<version>``: GitLab passes it to later jobs as a variable, and locally the build
reads the file. The build stamps the version into its own copy of the tree (:func:`stamp`), the way
the project's build backend expects it: pyproject.toml for a static version, the backend's own
override variable for versions from git, the version file for file-sourced versions, setup.cfg's
``[metadata] version``. A source noxline cannot write into (a setuptools plugin it does not know)
gets the version as the build copy's release tag, and the build reads the version back from the
wheel: see :mod:`noxline.jobs.build`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nox
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from noxline import confine
from noxline.config import Settings
from noxline.errors import ConfigError, VersionError
from noxline.jobs._support import check_lock, report_file, summarize
from noxline.pipeline import Job
from noxline.project import VERSION_ASSIGNMENT
from noxline.setuptools_config import stamp_setup_cfg, stamp_setup_py
from noxline.versioning import VersionDecision, decide_version

#: setuptools' own files that may hold a literal version, and how each gets a new one.
_SETUPTOOLS_FILES = {"setup.cfg": stamp_setup_cfg, "setup.py": stamp_setup_py}

#: The variable (and dotenv key) that carries the version from the version job to later jobs.
VERSION_VARIABLE = "NOXLINE_VERSION"


@dataclass(frozen=True)
class Stamp:
    """What stamping a version did: the files written and the variables the build needs."""

    written: tuple[Path, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


def compute(settings: Settings) -> VersionDecision:
    """Decide the version of this checkout (CI variables first, then git)."""
    return decide_version(
        settings.project_dir,
        base_version=settings.base_version,
        release_pattern=settings.release_pattern,
        tag_prefix=settings.tag_prefix,
    )


def decided_version(dotenv: Path) -> str:
    """The version the version job decided: GitLab's dotenv variable, else its ``dotenv`` file."""
    text = os.environ.get(VERSION_VARIABLE, "")
    if not text:
        try:
            lines = confine.read_text(dotenv.parent, dotenv.name, errors="replace").splitlines()
        except FileNotFoundError:
            raise VersionError(
                f"no version decided yet ({dotenv} is missing): run `nox -s version` first "
                "(`nox -s build` runs it for you)"
            ) from None
        values = dict(line.split("=", 1) for line in lines if "=" in line)
        text = values.get(VERSION_VARIABLE, "")
    try:
        return str(Version(text.strip()))
    except InvalidVersion:
        raise VersionError(
            f"{VERSION_VARIABLE}={text!r} is not a PEP 440 version: run `nox -s version` again"
        ) from None


def stamp(tree: Path, settings: Settings, version: str) -> Stamp:
    """Hand ``version`` to the build of ``tree`` (a build copy, or the project for ``--write``)."""
    source = settings.version_source
    written: list[Path] = []
    env: dict[str, str] = {}
    if source.kind == "static":
        written.append(_write_pyproject_version(tree, version))
    elif source.kind == "vcs":
        env = override_env(settings.name, source.tool, version)
        if source.tool == "poetry-dynamic-versioning":
            written.append(_write_pyproject_version(tree, version))
    elif source.kind in _SETUPTOOLS_FILES:
        path = tree / source.kind
        _replace_text(
            tree, path, _SETUPTOOLS_FILES[source.kind](confine.read_text(tree, path), version)
        )
        written.append(path)
    elif source.kind == "built":
        # No file to write: the build copy carries the version as its release tag (for plugins
        # that read git), and the variables setuptools-scm's relatives document are set too.
        env = override_env(settings.name, "setuptools-scm", version)
    else:
        written.extend(_write_version_files(tree, settings, version))
    if (tree / settings.source_dir).is_dir():  # a single module has no folder to carry it
        version_file = tree / settings.version_file
        _replace_text(tree, version_file, version + "\n")
        written.append(version_file)
    return Stamp(tuple(dict.fromkeys(written)), env)


def override_env(name: str, tool: str, version: str) -> dict[str, str]:
    """The variables through which a VCS-versioned backend takes a version instead of git's."""
    dist = re.sub(r"[^A-Z0-9]", "_", canonicalize_name(name).upper())
    if tool == "pdm-backend":
        return {"PDM_BUILD_SCM_VERSION": version}
    if tool == "poetry-dynamic-versioning":
        return {"POETRY_DYNAMIC_VERSIONING_BYPASS": version}
    # setuptools-scm, and hatch-vcs, which uses it.
    return {
        f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{dist}": version,
        "SETUPTOOLS_SCM_PRETEND_VERSION": version,
    }


def _write_pyproject_version(tree: Path, version: str) -> Path:
    """Write ``version`` into the static version of ``tree/pyproject.toml`` (format kept)."""
    pyproject = tree / "pyproject.toml"
    # Imported here: every nox process imports this module, few use it.
    import tomlkit  # pylint: disable=import-outside-toplevel

    document = tomlkit.parse(confine.read_text(tree, pyproject))
    project = document.get("project")
    poetry = document.get("tool", {}).get("poetry")
    if isinstance(project, dict) and "version" in project:
        project["version"] = version
    elif isinstance(poetry, dict) and "version" in poetry:
        poetry["version"] = version
    else:
        raise ConfigError(f"{pyproject} has no static version to write: set [project] version")
    _replace_text(tree, pyproject, tomlkit.dumps(document))
    return pyproject


def _write_version_files(tree: Path, settings: Settings, version: str) -> list[Path]:
    """Write ``version`` into the file(s) a file-sourced dynamic version is read from."""
    source = settings.version_source
    written = []
    for relative in source.paths:
        path = tree / relative
        if not source.attribute:
            _replace_text(tree, path, version + "\n")
            written.append(path)
            continue
        text = confine.read_text(tree, path)
        new, count = VERSION_ASSIGNMENT.subn(
            lambda match: f"{match['head']}{match['quote']}{version}{match['quote']}", text, 1
        )
        if count == 0 and path.name == "__init__.py" and len(source.paths) == 1:
            # The module computes its version (importlib.metadata, say): a literal replaces it.
            new, count = re.subn(
                rf"^{re.escape(source.attribute)}\s*(?::\s*str\s*)?=.*$",
                f'{source.attribute} = "{version}"',
                text,
                count=1,
                flags=re.MULTILINE,
            )
        if count:
            _replace_text(tree, path, new)
            written.append(path)
    if not written:
        where = ", ".join(p.as_posix() for p in source.paths)
        raise ConfigError(
            f'found no `__version__ = "..."` line in {where} to write the version into: add one '
            'there, or set a static version = "0.1.0" in [project]'
        )
    return written


def write_version(settings: Settings, version: str) -> list[Path]:
    """Write ``version`` into the project itself (``noxline version --write``); return the files."""
    return list(stamp(settings.project_dir, settings, version).written)


def _replace_text(tree: Path, path: Path, text: str) -> None:
    """Write ``text`` to ``path`` inside ``tree`` atomically (confined: never through a link),
    and not at all when it is already there."""
    if confine.is_file(tree, path) and confine.read_text(tree, path, errors="replace") == text:
        return
    confine.replace_atomically(tree, path, text, exact=True, what="writes the version")


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: stop on a stale lock (the first job, so nothing installs from it), decide
    the version and leave it as a dotenv report for the later jobs."""
    check_lock(session, settings)
    decision = compute(settings)
    report = report_file(settings, job, "dotenv")
    _replace_text(settings.project_dir, report, f"{VERSION_VARIABLE}={decision.version}\n")
    session.log(
        f"version {decision.version} ({decision.kind.value}, from {decision.source}); "
        f"handed on in {report.relative_to(settings.project_dir)}"
    )
    summarize(settings, job, f"{decision.version} ({decision.kind.value}, from {decision.source})")
    if not settings.version_source.stampable:
        session.log(
            f"the version comes from {settings.version_source.tool}, which noxline cannot write "
            "into: the build tags its copy with this version and reads the version back from the "
            "wheel (a development build keeps the built version; a release must match)"
        )
