"""The ``pages`` job: GitLab Pages publishes the docs job's site.

GitLab deploys the folder the job's ``pages: publish:`` names once the job passes; this body only
makes sure there is a site to publish (the docs job's, received as its artifact) and says where it
goes: ``CI_PAGES_URL`` in GitLab, nowhere locally, where the job shows what GitLab would publish.
Which pipelines run it (release tags or the default branch, ``pages-from``) is the definition's.
"""

from __future__ import annotations

import os

import nox

from noxline import confine
from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.jobs._support import summarize
from noxline.pipeline import Job


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: check the docs site is there; name the URL it is published at."""
    site = job.upstream_files["site"]
    # A regular file inside the project (an index.html linking out of it is no site).
    if not confine.is_file(settings.project_dir, f"{site}index.html"):
        raise NoxlineError(
            f"pages: {site}index.html is missing, so there is no site to publish: the docs job "
            "builds it (run `nox -s docs`; in GitLab, pages needs docs and gets its artifacts)"
        )
    pages = sum(1 for _ in (settings.project_dir / site).rglob("*.html"))
    url = os.environ.get("CI_PAGES_URL", "")
    source = "the latest release" if settings.pages_from == "release" else "the default branch"
    if url:
        line = f"{pages} pages of {site} published at {url}"
    else:
        line = f"{pages} pages of {site}: GitLab Pages publishes the site of {source}"
    session.log(line)
    summarize(settings, job, line)
