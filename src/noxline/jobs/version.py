"""The ``version`` job: compute the PEP 440 version and write it where the build reads it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nox
import tomlkit

from noxline.config import Settings
from noxline.errors import ConfigError
from noxline.pipeline import Job
from noxline.versioning import VersionDecision, decide_version


def compute(settings: Settings) -> VersionDecision:
    """Decide the version of this checkout (CI variables first, then git)."""
    return decide_version(
        settings.project_dir,
        base_version=settings.base_version,
        release_pattern=settings.release_pattern,
    )


def write_version(settings: Settings, version: str) -> list[Path]:
    """Write ``version`` into pyproject.toml (format kept) and the VERSION file; return both."""
    pyproject = settings.project_dir / "pyproject.toml"
    document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    project = document.get("project")
    if isinstance(project, dict) and "version" in project:
        project["version"] = version
    else:
        poetry = document.get("tool", {}).get("poetry")
        if not isinstance(poetry, dict) or "version" not in poetry:
            raise ConfigError(f"{pyproject} has no static version to write: set [project] version")
        poetry["version"] = version
    _replace_text(pyproject, tomlkit.dumps(document))
    version_file = settings.project_dir / settings.version_file
    version_file.parent.mkdir(parents=True, exist_ok=True)
    _replace_text(version_file, version + "\n")
    return [pyproject, version_file]


def _replace_text(path: Path, text: str) -> None:
    """Write ``text`` atomically, and not at all when it is already there.

    Other jobs (the checks, under ``noxline run``) read pyproject.toml while this job runs: they
    must see the old file or the new one, never half of one.
    """
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as stream:
        stream.write(text)
    if path.exists():
        shutil.copymode(path, stream.name)
    os.replace(stream.name, path)


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: decide the version, write it, and say where it came from.

    The version job writes no reports: its results are the files the definition hands on.
    """
    del job  # the same signature as every job body
    decision = compute(settings)
    written = write_version(settings, decision.version)
    session.log(
        f"version {decision.version} ({decision.kind.value}, from {decision.source}); wrote "
        + ", ".join(str(path.relative_to(settings.project_dir)) for path in written)
    )
