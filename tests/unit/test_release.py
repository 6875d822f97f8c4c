"""The release job's parts: notes from changelogs and git, and the GitLab releases API (a fake).

The fake GitLab (tests/fakes.py) is a real HTTP server on 127.0.0.1 that keeps releases like
GitLab does and refuses requests without the job token, so the tests assert the requests sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from noxline.config import Settings, load_settings, replace
from noxline.dist import sha256_of, write_sums
from noxline.errors import NoxlineError
from noxline.jobs import release
from noxline.jobs.release import (
    GitLabProject,
    Link,
    Plan,
    ReleaseError,
    apply_release,
    dry_run_reason,
    make_plan,
)
from noxline.pipeline import define
from noxline.release_notes import changelog_section, release_notes
from tests.fakes import FakeGitLab, FakeOIDCIndex, running
from tests.helpers import free_port, git
from tests.unit._projects import write_project
from tests.unit._releases import DEV, RELEASE

SBOM = "reports/sbom/sbom.cdx.json"

KEEP_A_CHANGELOG = """\
# Changelog

## [Unreleased]
- something cooking

## [1.2.3] - 2026-11-30
### Added
- `mean()` of an empty list raises a clear error

```
## [9.9.9] not a heading: inside a fence
```

## [1.2.2] - 2026-10-01
- first
"""

TOWNCRIER = """\
# tiny-lib 1.2.30 (2026-12-01)

- not this one

# tiny-lib 1.2.3 (2026-11-30)

## Features

- towncrier's fragment

# tiny-lib 1.2.2 (2026-10-01)
"""


@pytest.mark.parametrize(
    ("text", "versions", "expected"),
    [
        (
            KEEP_A_CHANGELOG,
            ("1.2.3",),
            "### Added\n- `mean()` of an empty list raises a clear error\n\n```\n"
            "## [9.9.9] not a heading: inside a fence\n```",
        ),
        (TOWNCRIER, ("1.2.3",), "## Features\n\n- towncrier's fragment"),
        ("## v1.2.3\n- with a v\n## v1.2.2\n", ("1.2.3",), "- with a v"),
        (KEEP_A_CHANGELOG, ("1.2.4",), None),
        ("## [1.2.3]\n\n## [1.2.2]\n- x\n", ("1.2.3",), None),  # an empty section is no notes
        (KEEP_A_CHANGELOG, ("1.2.3-final", "1.2.2"), "- first"),
    ],
)
def test_the_changelog_section_of_a_version(
    text: str, versions: tuple[str, ...], expected: str | None
) -> None:
    """Keep a Changelog and towncrier headings; 1.2.30 is not 1.2.3; fences are not headings."""
    assert changelog_section(text, versions) == expected


@pytest.fixture(name="project")
def project_fixture(tmp_path: Path) -> Path:
    """tiny-lib in git: release 1.2.2, two commits, release 1.2.3."""
    root = write_project(tmp_path / "tiny", git=True)
    git(root, "tag", "1.2.2")
    for subject in ("Fix the mean of one value", "Add median"):
        (root / "notes.txt").write_text(subject, encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", subject)
    git(root, "tag", "1.2.3")
    return root


def notes_of(project: Path, changelog: str = "") -> tuple[str, str]:
    """The release notes of 1.2.3 and where they came from."""
    notes = release_notes(
        project,
        changelog=changelog,
        version="1.2.3",
        tag="1.2.3",
        ref="1.2.3",
        release_pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$",
    )
    return notes.text, notes.source


def test_notes_come_from_the_changelog_when_it_has_the_version(project: Path) -> None:
    """CHANGELOG.md with a 1.2.3 section: that section, named as the source."""
    (project / "CHANGELOG.md").write_text(KEEP_A_CHANGELOG, encoding="utf-8")
    text, source = notes_of(project)
    assert text.startswith("### Added\n- `mean()` of an empty list")
    assert source == "the 1.2.3 section of CHANGELOG.md"


@pytest.mark.parametrize("changelog", [None, "## [1.0.0]\n- old\n"])
def test_notes_fall_back_to_commit_subjects_since_the_previous_release(
    project: Path, changelog: str | None
) -> None:
    """No changelog, or none for 1.2.3: the subjects of the commits since tag 1.2.2."""
    if changelog is not None:
        (project / "HISTORY.md").write_text(changelog, encoding="utf-8")
    text, source = notes_of(project)
    assert text == "Changes since 1.2.2:\n\n- Add median\n- Fix the mean of one value"
    assert source.startswith("commit subjects since 1.2.2")


@pytest.mark.parametrize(
    ("changelog", "words"),
    [
        ("NEWS.rst", r"changelog = 'NEWS.rst' does not exist"),
        ("../outside.md", r"changelog = '../outside.md' points outside the project"),
        ("/etc/hostname", r"changelog = '/etc/hostname' points outside the project"),
    ],
)
def test_a_configured_changelog_must_be_a_file_of_the_project(
    project: Path, changelog: str, words: str
) -> None:
    """A missing file, or one outside the project: one line naming the key."""
    (project.parent / "outside.md").write_text("## [1.2.3]\n- not ours\n", encoding="utf-8")
    with pytest.raises(NoxlineError, match=words):
        notes_of(project, changelog)


@pytest.fixture(name="gitlab")
def gitlab_fixture() -> Iterator[FakeGitLab]:
    """A fake GitLab releases API, stopped after the test."""
    with running(FakeGitLab()) as fake:
        assert isinstance(fake, FakeGitLab)
        yield fake


def project_of(gitlab: FakeGitLab, token: str | None = None) -> GitLabProject:
    """The fake's project as the job would see it."""
    return GitLabProject(gitlab.api_url, gitlab.project_id, token or gitlab.job_token)


PLAN = Plan(
    tag="1.2.3",
    name="tiny-lib 1.2.3",
    description="- Add median",
    links=(
        Link("tiny_lib-1.2.3-py3-none-any.whl", "https://index.example/files/w.whl"),
        Link("SBOM (CycloneDX): sbom.cdx.json", "https://gitlab.example/sbom", "other"),
    ),
)


def test_a_release_is_created_once_and_a_second_run_changes_nothing(gitlab: FakeGitLab) -> None:
    """First run POSTs tag, notes and links with the job token; the second only reads."""
    lines: list[str] = []
    assert apply_release(project_of(gitlab), PLAN, lines.append) == "created"
    (create,) = gitlab.calls("POST")
    assert create.path == "/api/v4/projects/42/releases"
    assert create.headers["job-token"] == gitlab.job_token
    assert create.body == {
        "tag_name": "1.2.3",
        "name": "tiny-lib 1.2.3",
        "description": "- Add median",
        "assets": {
            "links": [
                {
                    "name": "tiny_lib-1.2.3-py3-none-any.whl",
                    "url": "https://index.example/files/w.whl",
                    "link_type": "package",
                },
                {
                    "name": "SBOM (CycloneDX): sbom.cdx.json",
                    "url": "https://gitlab.example/sbom",
                    "link_type": "other",
                },
            ]
        },
    }
    before = len(gitlab.requests)
    assert apply_release(project_of(gitlab), PLAN, lines.append) == "unchanged"
    assert [r.method for r in gitlab.requests[before:]] == ["GET"]
    assert len(gitlab.releases) == 1 and len(gitlab.releases["1.2.3"]["assets"]["links"]) == 2


def test_a_rerun_with_other_notes_and_a_new_link_updates_in_place(gitlab: FakeGitLab) -> None:
    """Changed notes → PUT the release; a moved link → PUT it; a new link → POST it; no dupes."""
    apply_release(project_of(gitlab), PLAN, lambda line: None)
    moved = Link(PLAN.links[0].name, "https://index.example/files/moved.whl")
    added = Link("tiny_lib-1.2.3.tar.gz", "https://index.example/files/s.tar.gz")
    changed = Plan(PLAN.tag, PLAN.name, "- Add median\n- Fix mean", (moved, PLAN.links[1], added))
    before = len(gitlab.requests)
    assert apply_release(project_of(gitlab), changed, lambda line: None) == "updated"
    sent = [(r.method, r.path.rsplit("/releases", 1)[1]) for r in gitlab.requests[before:]]
    assert sent == [
        ("GET", "/1.2.3"),
        ("PUT", "/1.2.3"),
        ("PUT", "/1.2.3/assets/links/1"),
        ("POST", "/1.2.3/assets/links"),
    ]
    release = gitlab.releases["1.2.3"]
    assert release["description"] == "- Add median\n- Fix mean"
    assert sorted(link["url"] for link in release["assets"]["links"]) == sorted(
        link.url for link in changed.links
    )


def test_a_refused_job_token_is_one_line_without_the_token(gitlab: FakeGitLab) -> None:
    """A wrong token: 401, one line naming the permission, the token nowhere in it."""
    with pytest.raises(
        ReleaseError, match=r"refused the job token \(GET /releases/1.2.3: HTTP 401"
    ):
        apply_release(project_of(gitlab, "wrong-token-value"), PLAN, lambda line: None)
    assert not gitlab.releases


def test_an_unreachable_gitlab_is_one_line() -> None:
    """Nothing listens on the API port: one line naming the GitLab API."""
    project = GitLabProject(f"http://127.0.0.1:{free_port()}/api/v4", "42", "t")
    with pytest.raises(NoxlineError, match="the GitLab API: cannot reach http://127"):
        apply_release(project, PLAN, lambda line: None)


@pytest.fixture(name="settings")
def settings_fixture(project: Path) -> Settings:
    """tiny-lib at tag 1.2.3 with a dist/ of 1.2.3."""
    settings = load_settings(project)
    dist = project / "dist"
    dist.mkdir()
    (dist / "tiny_lib-1.2.3-py3-none-any.whl").write_bytes(b"wheel bytes")
    (dist / "tiny_lib-1.2.3.tar.gz").write_bytes(b"sdist bytes")
    write_sums(dist)
    return settings


def test_the_plan_links_the_files_the_index_lists_and_the_sbom(settings: Settings) -> None:
    """Files as the index serves them; the SBOM as the sbom job's artifact of the tag."""
    with running(FakeOIDCIndex()) as index:
        assert isinstance(index, FakeOIDCIndex)
        dist = settings.project_dir / "dist"
        index.files["tiny-lib"] = {p.name: sha256_of(p) for p in dist.glob("tiny_lib-*")}
        env = {
            "TWINE_REPOSITORY_URL": f"{index.url}/",
            "CI_PROJECT_URL": "https://gitlab.example/group/tiny-lib",
        }
        plan = make_plan(
            settings, RELEASE, env, sbom=SBOM, files_on_index=True, log=lambda line: None
        )
    assert plan.name == "tiny-lib 1.2.3" and plan.tag == "1.2.3"
    assert plan.description == "Changes since 1.2.2:\n\n- Add median\n- Fix the mean of one value"
    assert [(link.name, link.url, link.link_type) for link in plan.links] == [
        (
            "tiny_lib-1.2.3-py3-none-any.whl",
            f"{index.url}/files/tiny_lib-1.2.3-py3-none-any.whl",
            "package",
        ),
        ("tiny_lib-1.2.3.tar.gz", f"{index.url}/files/tiny_lib-1.2.3.tar.gz", "package"),
        (
            "SBOM (CycloneDX): sbom.cdx.json",
            "https://gitlab.example/group/tiny-lib/-/jobs/artifacts/1.2.3/raw/"
            "reports/sbom/sbom.cdx.json?job=sbom",
            "other",
        ),
    ]


@pytest.mark.parametrize(
    "spelling", ["Tiny_Lib-1.2.3.tar.gz", "tiny-lib-1.2.3.tar.gz", "TINY.LIB-1.2.3.tar.gz"]
)
def test_the_release_finds_a_file_the_index_spells_otherwise(
    settings: Settings, spelling: str
) -> None:
    """File names are compared by the one normalised key (dist.file_key), as publish compares
    them: an index listing the sdist under another spelling still holds it."""
    with running(FakeOIDCIndex()) as index:
        assert isinstance(index, FakeOIDCIndex)
        dist = settings.project_dir / "dist"
        listed = {p.name: sha256_of(p) for p in dist.glob("tiny_lib-*.whl")}
        listed[spelling] = sha256_of(dist / "tiny_lib-1.2.3.tar.gz")
        index.files["tiny-lib"] = listed
        env = {"TWINE_REPOSITORY_URL": f"{index.url}/"}
        plan = make_plan(
            settings, RELEASE, env, sbom=SBOM, files_on_index=True, log=lambda line: None
        )
    assert [(link.name, link.url) for link in plan.links][1] == (
        "tiny_lib-1.2.3.tar.gz",
        f"{index.url}/files/{spelling}",
    )


def test_a_release_whose_files_are_not_on_the_index_fails(settings: Settings) -> None:
    """The release links published files: missing ones mean publish did not upload them."""
    with running(FakeOIDCIndex()) as index:
        env = {"TWINE_REPOSITORY_URL": f"{index.url}/"}
        with pytest.raises(ReleaseError, match=r"does not list tiny_lib-1.2.3-py3-none-any.whl"):
            make_plan(settings, RELEASE, env, sbom=SBOM, files_on_index=True, log=lambda line: None)


def test_a_dry_run_says_why_and_reads_nothing(settings: Settings) -> None:
    """Outside a release tag or GitLab: no index read; the reason names what is missing."""
    plan = make_plan(
        replace(settings), DEV, {}, sbom=SBOM, files_on_index=False, log=lambda line: None
    )
    assert not plan.links  # no index configured, no project URL: nothing to link yet
    assert dry_run_reason(DEV, None) == "1.2.4.dev7 is not a release (branch main (pipeline 7))"
    assert dry_run_reason(RELEASE, None) == (
        "not in a GitLab job: CI_API_V4_URL, CI_PROJECT_ID, CI_JOB_TOKEN are needed"
    )


def test_a_dry_run_shows_a_short_summary() -> None:
    """Tag, title, the notes' size and first line, each link: lines a person reads, not the
    whole request (that goes to release.json)."""
    plan = Plan(
        "v1.2.3",
        "mylib 1.2.3",
        "### Fixed\n- a bug\n- another\n",
        (Link("mylib-1.2.3.tar.gz", "https://index.example/mylib-1.2.3.tar.gz", "package"),),
    )
    assert plan.summary_lines() == [
        "tag v1.2.3, title 'mylib 1.2.3'",
        "notes: 3 lines, starting '### Fixed'",
        "link mylib-1.2.3.tar.gz: https://index.example/mylib-1.2.3.tar.gz",
    ]


class _LoggingSession:  # pylint: disable=too-few-public-methods
    """Stands in for ``nox.Session`` in the release body, which only logs: keeps each line."""

    def __init__(self) -> None:
        """No line yet."""
        self.logged: list[str] = []

    def log(self, message: str) -> None:
        """Keep a log line."""
        self.logged.append(message)


#: Secrets a release job's environment may hold, none of which a dry run may show or write.
JOB_TOKEN = "job-token-value-1234"
API_TOKEN = "deploy-api-token-5678"
INDEX_PASSWORD = "index-password-9012"


def test_a_release_dry_run_shows_a_summary_and_records_the_request_masked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release job's body at a release tag outside a GitLab job (no CI_API_V4_URL): a few
    lines a person reads (why, tag and title, the notes' size, each link, where the request is)
    and no JSON blob; the whole request in release.json; no secret of the environment in either,
    not even one the notes or a link carry."""
    git(settings.project_dir, "commit", "-q", "--allow-empty", "-m", f"Rotate {API_TOKEN}")
    git(settings.project_dir, "tag", "-f", "1.2.3")
    variables = {
        "CI_COMMIT_TAG": "1.2.3",
        "CI_COMMIT_REF_NAME": "1.2.3",
        "CI_PIPELINE_ID": "7",
        "CI_JOB_TOKEN": JOB_TOKEN,
        "DEPLOY_API_TOKEN": API_TOKEN,
        "CI_PROJECT_URL": "https://gitlab.example/group/tiny-lib",
        "TWINE_REPOSITORY_URL": "https://index.example/legacy/",
        "TWINE_USERNAME": "uploader",
        "TWINE_PASSWORD": INDEX_PASSWORD,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CI_API_V4_URL", raising=False)
    job = next(job for job in define(settings).jobs if job.name == "release")
    session = _LoggingSession()
    release.run(session, settings, job)  # type: ignore[arg-type]
    record = settings.project_dir / job.report_path("record")
    written = record.read_text(encoding="utf-8")
    logged = "\n".join(session.logged)
    for secret in (JOB_TOKEN, API_TOKEN, INDEX_PASSWORD):
        assert secret not in logged and secret not in written
    assert not any(line.lstrip().startswith(("{", "[", '"')) for line in session.logged)
    summary = session.logged[
        session.logged.index(next(l for l in session.logged if "would create" in l)) :
    ]
    assert summary[0].startswith("dry run (not in a GitLab job: CI_API_V4_URL")
    assert summary[1:3] == [
        "  tag 1.2.3, title 'tiny-lib 1.2.3'",
        "  notes: 5 lines, starting 'Changes since 1.2.2:'",
    ]
    assert [line.split(":", 1)[0] for line in summary[3:6]] == [
        "  link tiny_lib-1.2.3-py3-none-any.whl",
        "  link tiny_lib-1.2.3.tar.gz",
        "  link SBOM (CycloneDX)",
    ]
    assert summary[6:] == [f"the whole request is in {job.report_path('record')}"]
    data = json.loads(written)
    assert (data["mode"], data["outcome"], data["version"]) == ("dry-run", "dry-run", "1.2.3")
    request = data["release"]
    assert request["tag_name"] == "1.2.3" and "- Rotate ****" in request["description"]
    assert len(request["assets"]["links"]) == 3
    assert request["assets"]["links"][0]["url"] == (
        "https://index.example/legacy/simple/tiny-lib/#tiny_lib-1.2.3-py3-none-any.whl"
    )
