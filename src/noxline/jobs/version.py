"""The ``version`` job: compute the PEP 440 version and write it where the build reads it."""

from __future__ import annotations

from pathlib import Path

import nox
import tomlkit

from noxline.config import Settings
from noxline.errors import ConfigError
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
    pyproject.write_text(tomlkit.dumps(document), encoding="utf-8")
    version_file = settings.project_dir / settings.version_file
    version_file.parent.mkdir(parents=True, exist_ok=True)
    version_file.write_text(version + "\n", encoding="utf-8")
    return [pyproject, version_file]


def run(session: nox.Session, settings: Settings) -> None:
    """Session body: decide the version, write it, and say where it came from."""
    decision = compute(settings)
    written = write_version(settings, decision.version)
    session.log(
        f"version {decision.version} ({decision.kind.value}, from {decision.source}); wrote "
        + ", ".join(str(path.relative_to(settings.project_dir)) for path in written)
    )
