"""minilib released: the 1.2.3 tag of minilib with a runtime dependency and a changelog, and the
services a release talks to (a fake OSV that knows one advisory against that dependency, a real
pypiserver, a fake GitLab releases API).

The whole pipeline at that tag is the most that one ``noxline run`` proves, so the end-to-end tests
run it once (:func:`release_runs`, in ``conftest.py``) and read it: the green pipeline's jobs and
reports (``minilib_run``), and audit, SBOM, upload and release (test_features_e2e.py).
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.fakes import FakeGitLab, FakeOSV
from tests.helpers import NoxlineRun, PackageIndex, clean_env, git, make_project, run_noxline

DEPENDENCY = ("idna", "3.6")
ADVISORY = "GHSA-jjg7-2v4v-x38h"
ALIAS = "CVE-2024-3651"
RELEASE = "1.2.3"
TODAY = datetime.date.today()
CHANGELOG = f"""\
# Changelog

## [Unreleased]

## [{RELEASE}] - 2026-12-01
### Added
- `mean()` of one value

## [1.2.2] - 2026-11-01
- older
"""


def with_dependency(project: Path, osv: FakeOSV, extra: str = "") -> Path:
    """minilib depending on idna 3.6, auditing against ``osv``, ``extra`` [tool.noxline] lines."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace(
        "dependencies = []", f'dependencies = ["{DEPENDENCY[0]}=={DEPENDENCY[1]}"]'
    )
    text += f'audit-osv-url = "{osv.url}/v1/query"\n{extra}'
    pyproject.write_text(text, encoding="utf-8")
    git(project, "commit", "-q", "-am", "Depend on idna, audit against the fake OSV")
    return project


def accepted(expires: datetime.date) -> str:
    """An accepted-advisories key accepting the alias until ``expires``."""
    return (
        f'accepted-advisories = [{{id = "{ALIAS}", reason = "we never encode untrusted names", '
        f"expires = {expires.isoformat()}}}]\n"
    )


@dataclass(frozen=True)
class ReleaseRuns:  # pylint: disable=too-many-instance-attributes
    """Two ``noxline run`` at the release tag: the whole pipeline, then the release path again.

    ``first.project / "reports"`` holds the first run's reports; the second run's are in
    ``second_reports``.
    """

    first: NoxlineRun
    second: subprocess.CompletedProcess[str]
    second_reports: Path
    osv: FakeOSV
    index: PackageIndex
    gitlab: FakeGitLab
    #: How many of the fake GitLab's requests the first run made (the second's follow).
    first_requests: int


def run_release(root: Path, osv: FakeOSV, index: PackageIndex, gitlab: FakeGitLab) -> ReleaseRuns:
    """minilib 1.2.3 released: ``noxline run`` (every job), then ``noxline run release`` (the
    release path again, which must change nothing)."""
    project = make_project(root)
    (project / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    git(project, "add", "CHANGELOG.md")
    with_dependency(project, osv, accepted(TODAY + datetime.timedelta(days=30)))
    # A local release is made from a clean tree: the release commit carries its version already.
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text("utf-8").replace('version = "0.1.0"', f'version = "{RELEASE}"'), "utf-8"
    )
    (project / "src" / "minilib" / "VERSION").write_text(f"{RELEASE}\n", encoding="utf-8")
    git(project, "commit", "-q", "-am", f"Release {RELEASE}")
    git(project, "tag", RELEASE)
    env = clean_env(
        TWINE_REPOSITORY_URL=index.url,
        TWINE_USERNAME=index.username,
        TWINE_PASSWORD=index.password,
        CI_API_V4_URL=gitlab.api_url,
        CI_PROJECT_ID=gitlab.project_id,
        CI_JOB_TOKEN=gitlab.job_token,
        CI_PROJECT_URL="https://gitlab.example/group/minilib",
    )
    first = run_noxline(project, "run", env=env)
    first_requests = len(gitlab.requests)
    # The first run's reports stay where the tests read them; the second run writes its own.
    reports = project / "reports"
    kept = root / "first-reports"
    shutil.move(reports, kept)
    second = run_noxline(project, "run", "release", env=env)
    second_reports = root / "second-reports"
    shutil.move(reports, second_reports)
    shutil.move(kept, reports)
    return ReleaseRuns(
        NoxlineRun(project, first), second, second_reports, osv, index, gitlab, first_requests
    )
