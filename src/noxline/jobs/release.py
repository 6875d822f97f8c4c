"""The ``release`` job: a GitLab Release for a release tag, after ``publish``; a dry run elsewhere.

The release carries the notes of the version (:mod:`noxline.release_notes`: the changelog's section,
else the commit subjects since the previous release tag) and asset links to the package files as the
index serves them and to the SBOM of the ``sbom`` job. It talks to the GitLab releases API with
the job's own ``CI_JOB_TOKEN`` (header ``JOB-TOKEN``), which is never printed.

Idempotent: the release of the tag is read first; a missing one is created, an existing one is
updated only where it differs (name, notes, a link), so a re-run never duplicates anything and a
second identical run changes nothing. Anything but a release tag in GitLab CI (a branch, a
rehearsal tag, a local run without the GitLab variables) logs what it would create and writes the
same plan to ``reports/release/release.json``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import nox

from noxline.ci import CIContext
from noxline.config import Settings
from noxline.dist import listed_as
from noxline.errors import NoxlineError
from noxline import confine, masking
from noxline.index import mask, project_file_urls, resolve_repository
from noxline.jobs._support import built_dist, report_file, summarize
from noxline.jobs.publish import check_protected, check_version
from noxline.jobs.version import compute
from noxline.pipeline import Job
from noxline.release_notes import release_notes
from noxline.versioning import ReleaseKind, VersionDecision
from noxline.webapi import Response, request_json

#: The GitLab variables a real release needs; without any of them the job is a dry run.
GITLAB_VARIABLES = ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_JOB_TOKEN")


class ReleaseError(NoxlineError):
    """The GitLab API refused the release, or something it links to is missing."""


@dataclass(frozen=True)
class Link:
    """One asset link of the release."""

    name: str
    url: str
    link_type: str = "package"

    def payload(self) -> dict[str, str]:
        """The link as the releases API takes it."""
        return {"name": self.name, "url": self.url, "link_type": self.link_type}


@dataclass(frozen=True)
class Plan:
    """The release to create or update."""

    tag: str
    name: str
    description: str
    links: tuple[Link, ...]

    def summary_lines(self) -> list[str]:
        """The release in a few lines a person reads: tag, title, the notes' size, the links."""
        notes = self.description.splitlines()
        lines = [
            f"tag {self.tag}, title {self.name!r}",
            f"notes: {len(notes)} lines" + (f", starting {notes[0][:80]!r}" if notes else ""),
        ]
        lines += [f"link {link.name}: {link.url}" for link in self.links]
        return lines

    def payload(self) -> dict[str, Any]:
        """The release as ``POST /projects/:id/releases`` takes it."""
        return {
            "tag_name": self.tag,
            "name": self.name,
            "description": self.description,
            "assets": {"links": [link.payload() for link in self.links]},
        }


@dataclass(frozen=True)
class GitLabProject:
    """The project's releases API, spoken to with the job token."""

    api_url: str
    project_id: str
    job_token: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitLabProject | None:
        """The project of this GitLab job; None outside GitLab CI (no API URL, id or token)."""
        if not all(env.get(name) for name in GITLAB_VARIABLES):
            return None
        return cls(env["CI_API_V4_URL"].rstrip("/"), env["CI_PROJECT_ID"], env["CI_JOB_TOKEN"])

    def call(self, method: str, path: str, payload: Any = None) -> Response:
        """One request to ``/projects/:id<path>``; a refused token is one clear error."""
        url = f"{self.api_url}/projects/{quote(self.project_id, safe='')}{path}"
        answer = request_json(
            method,
            url,
            service="the GitLab API",
            token_header=("JOB-TOKEN", self.job_token),
            payload=payload,
        )
        if answer.status in (401, 403):
            raise ReleaseError(
                f"the GitLab API refused the job token ({method} {path}: HTTP {answer.status}): "
                "the release job must run in a pipeline of a user allowed to create releases "
                "(Developer or more; Maintainer for a protected tag)"
            )
        return answer


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: plan the release; create or update it for a release tag in GitLab CI."""
    record = report_file(settings, job, "record")
    confine.remove(settings.project_dir, record)
    env = dict(os.environ)
    decision = compute(settings)
    dist = built_dist(settings)
    check_version(settings, decision, dist)
    project = GitLabProject.from_env(env)
    # CI_JOB_TOKEN, TWINE_PASSWORD and every other secret-named variable: out of the log lines
    # and out of release.json (URL user-info is masked in both as well).
    secrets = masking.env_secrets(env)
    real = decision.kind is ReleaseKind.RELEASE and project is not None
    report: dict[str, Any] = {"version": decision.version, "mode": "release" if real else "dry-run"}
    try:
        if real:
            check_protected(decision, CIContext.from_env(env))
        sbom = job.upstream_files["sbom"]
        plan = make_plan(settings, decision, env, sbom=sbom, files_on_index=real, log=session.log)
        report["release"] = plan.payload()
        if project is not None and real:
            report["outcome"] = apply_release(project, plan, session.log)
        else:
            report["outcome"] = "dry-run"
            session.log(f"dry run ({dry_run_reason(decision, project)}); would create:")
            for line in plan.summary_lines():
                session.log("  " + masking.mask(line, secrets))
            rel = record.relative_to(settings.project_dir)
            session.log(f"the whole request is in {rel}")
            summarize(settings, job, f"dry run: {plan.tag}, {len(plan.links)} links")
    except NoxlineError as error:
        report["outcome"], report["error"] = "failed", str(error)
        raise
    finally:
        confine.write_json(
            settings.project_dir,
            record,
            report,
            secrets=(*secrets, *((project.job_token,) if project else ())),
        )


def dry_run_reason(decision: VersionDecision, project: GitLabProject | None) -> str:
    """Why this run only shows the release."""
    if decision.kind is not ReleaseKind.RELEASE:
        return f"{decision.version} is not a release ({decision.source})"
    missing = ", ".join(GITLAB_VARIABLES)
    return f"not in a GitLab job: {missing} are needed" if project is None else "release"


def make_plan(  # pylint: disable=too-many-arguments
    settings: Settings,
    decision: VersionDecision,
    env: Mapping[str, str],
    *,
    sbom: str,
    files_on_index: bool,
    log: Callable[[str], None],
) -> Plan:
    """The release: notes, links to the files (read from the index when asked to), SBOM.

    ``sbom`` is the SBOM's path in the project, as the ``sbom`` job writes it.
    """
    tag = decision.tag or decision.version
    notes = release_notes(
        settings.project_dir,
        changelog=settings.changelog,
        version=decision.version,
        tag=tag,
        ref=decision.tag or "HEAD",
        release_pattern=settings.release_tag_pattern,
    )
    log(f"release notes from {notes.source}")
    links = [
        *file_links(settings, env, files_on_index),
        *sbom_link(sbom, env, tag),
        *docs_link(settings, env),
    ]
    return Plan(tag, f"{settings.name} {decision.version}", notes.text, tuple(links))


def file_links(settings: Settings, env: Mapping[str, str], read_index: bool) -> list[Link]:
    """A link to each dist file on the index; in a dry run, where they would be listed."""
    dist = built_dist(settings)
    repository = resolve_repository(
        env, repository_url=settings.repository_url, index_url=settings.index_url
    )
    if repository is None:
        if read_index:
            raise ReleaseError(
                "no package index is configured, so the release cannot link its files: set "
                "TWINE_REPOSITORY_URL or repository-url in [tool.noxline]"
            )
        return []
    if not read_index:
        page = repository.project_url(settings.name)
        return [Link(item.path.name, f"{page}#{item.path.name}") for item in dist.files]
    try:
        listed = project_file_urls(repository, settings.name)
    except NoxlineError as error:
        raise ReleaseError(mask(str(error), repository.secrets)) from None
    # The index may spell a file otherwise (Tiny_Lib-1.2.3.tar.gz): compared by the one key.
    urls = {item.path.name: listed_as(listed, item.path.name) for item in dist.files}
    missing = [name for name, url in urls.items() if url is None]
    if missing:
        raise ReleaseError(
            f"{repository.project_url(settings.name)} does not list {', '.join(missing)}: the "
            "release links the published files, so publish must have uploaded them first"
        )
    return [Link(name, str(url)) for name, url in urls.items()]


def sbom_link(sbom: str, env: Mapping[str, str], tag: str) -> list[Link]:
    """A link to the ``sbom`` job's SBOM of this tag's pipeline (GitLab's artifact-by-ref URL)."""
    project_url = env.get("CI_PROJECT_URL", "").rstrip("/")
    if not project_url:
        return []
    url = f"{project_url}/-/jobs/artifacts/{quote(tag, safe='')}/raw/{sbom}?job=sbom"
    return [Link(f"SBOM (CycloneDX): {sbom.rsplit('/', 1)[-1]}", url, "other")]


def docs_link(settings: Settings, env: Mapping[str, str]) -> list[Link]:
    """A link to the documentation site GitLab Pages serves (``CI_PAGES_URL``), when the
    pipeline publishes one (the ``docs`` key)."""
    url = env.get("CI_PAGES_URL", "")
    return [Link("Documentation", url, "other")] if settings.docs and url else []


def apply_release(project: GitLabProject, plan: Plan, log: Callable[[str], None]) -> str:
    """Create the release, or update what differs; return created, updated or unchanged."""
    path = f"/releases/{quote(plan.tag, safe='')}"
    current = project.call("GET", path)
    if current.status == 404:
        _expect(project.call("POST", "/releases", plan.payload()), (201,), "create the release")
        log(f"created the GitLab release {plan.name} for tag {plan.tag}")
        return "created"
    _expect(current, (200,), "read the release")
    data = current.data if isinstance(current.data, dict) else {}
    existing = _existing_links(project, data)
    changes = []
    if data.get("name") != plan.name or data.get("description") != plan.description:
        update = {"name": plan.name, "description": plan.description}
        _expect(project.call("PUT", path, update), (200,), "update the release")
        changes.append("name and notes")
    for link in plan.links:
        old = existing.get(link.name)
        if old is None:
            answer = project.call("POST", f"{path}/assets/links", link.payload())
            _expect(answer, (201,), f"add the link {link.name}")
            changes.append(f"link {link.name} added")
        elif old.get("url") != link.url or old.get("link_type", link.link_type) != link.link_type:
            answer = project.call(
                "PUT",
                f"{path}/assets/links/{old.get('id')}",
                {"url": link.url, "link_type": link.link_type},
            )
            _expect(answer, (200,), f"update the link {link.name}")
            changes.append(f"link {link.name} updated")
    if not changes:
        log(f"the GitLab release {plan.name} for tag {plan.tag} is up to date: nothing changed")
        return "unchanged"
    log(f"updated the GitLab release {plan.name} for tag {plan.tag}: {', '.join(changes)}")
    return "updated"


def _existing_links(project: GitLabProject, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The release's asset links by name, checked for the shape the API documents (each a name
    and a URL, an id that is a number): anything else is one line naming the API, never a
    traceback, and an id never becomes a path of another API call."""
    assets = data.get("assets", {})
    links = assets.get("links", []) if isinstance(assets, dict) else None
    valid = isinstance(links, list) and all(
        isinstance(link, dict)
        and isinstance(link.get("name"), str)
        and isinstance(link.get("url"), str)
        and _LINK_ID.fullmatch(str(link.get("id", "")))
        and not isinstance(link.get("id"), bool)
        for link in links
    )
    if not valid or not isinstance(links, list):
        raise ReleaseError(
            f"the GitLab API at {masking.mask(project.api_url)} answered a release whose asset "
            "links are not a list of links with a name, a URL and a numeric id: check that "
            "CI_API_V4_URL points at GitLab"
        )
    return {link["name"]: link for link in links}


#: What a release link's id is: a number.
_LINK_ID = re.compile(r"[0-9]{1,18}")


def _expect(answer: Response, statuses: tuple[int, ...], doing: str) -> None:
    """Fail with what the API said unless it answered one of ``statuses``."""
    if answer.status in statuses:
        return
    said = answer.data.get("message") if isinstance(answer.data, dict) else None
    # What the API says is shown on one line, bounded: it is text from outside.
    shown = " ".join(str(said).split())[:300] if said else ""
    raise ReleaseError(
        f"the GitLab API answered HTTP {answer.status} when asked to {doing}"
        + (f" ({shown})" if shown else "")
        + ": check the tag exists and the project's release settings"
    )


__all__ = ["GitLabProject", "Link", "Plan", "apply_release", "make_plan", "run"]
