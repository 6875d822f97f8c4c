"""Fault injection: publish against hostile and broken indexes on 127.0.0.1, and hostile input.

Each case runs the real publish steps (:func:`publish_dist`) against a misbehaving HTTP server and
asserts the outcome: the error, what the servers received (never credentials off their origin),
what was printed and written (never a secret), and that it ended within its deadline. Uploads that
reach twine are in tests/e2e/test_hostile_publish.py; here the twine path does not exist, so a case
that gets as far as an upload shows it with "cannot run twine".
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from noxline.config import Settings, load_settings, replace
from noxline.dist import Dist, verified_dist, write_sums
from noxline.errors import NoxlineError, PublishError
from noxline.jobs.publish import JobIO, Report, publish_dist
from noxline.versioning import ReleaseKind, VersionDecision
from tests.unit._dists import (
    TINY_SDIST,
    TINY_SDIST_BYTES,
    TINY_WHEEL,
    TINY_WHEEL_BYTES,
    committed_tiny_project,
    sdist_bytes,
    tiny_dist,
    wheel_bytes,
)
from tests.unit._hostile_server import Server, answer, drip, endless, hang, redirect, running

WHEEL, SDIST, WHEEL_BYTES, SDIST_BYTES = TINY_WHEEL, TINY_SDIST, TINY_WHEEL_BYTES, TINY_SDIST_BYTES
RELEASE = VersionDecision("1.2.3", ReleaseKind.RELEASE, "tag 1.2.3", "1.2.3", None)
DEV = VersionDecision("1.2.4.dev1", ReleaseKind.DEV, "branch main", None, None)
PASSWORD = "pw-Zq81-secret"
PAGE = "/simple/tiny-lib/"
JSON_TYPE = {"Content-Type": "application/vnd.pypi.simple.v1+json"}
HTML_TYPE = {"Content-Type": "text/html"}


@dataclass
class Run:
    """One publish run's output: what was logged and warned, and the record it wrote."""

    lines: list[str] = field(default_factory=list)

    def io(self, env: dict[str, str]) -> JobIO:
        """A JobIO collecting output; twine does not exist; the index is polled quickly."""
        return JobIO(
            log=self.lines.append,
            warn=self.lines.append,
            env=env,
            twine="/nonexistent/twine",
            poll_interval=0.1,
        )


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """tiny-lib, committed, with short deadlines so every hostile case ends in seconds."""
    project = committed_tiny_project(tmp_path / "tiny")
    return replace(load_settings(project), index_timeout=1.5, publish_timeout=10.0)


@pytest.fixture(name="dist")
def dist_fixture(settings: Settings) -> Dist:
    """A checked dist/ of tiny-lib 1.2.3 with well-formed metadata."""
    return tiny_dist(settings)


@pytest.fixture(name="index")
def index_fixture() -> Iterator[Server]:
    """A hostile index."""
    with running() as server:
        yield server


@pytest.fixture(name="elsewhere")
def elsewhere_fixture() -> Iterator[Server]:
    """A second server: another origin, where credentials must never arrive."""
    with running() as server:
        yield server


def env_for(index: Server, **extra: str) -> dict[str, str]:
    """Upload to ``index`` with credentials."""
    return {
        "TWINE_REPOSITORY_URL": index.url + "/",
        "TWINE_USERNAME": "uploader",
        "TWINE_PASSWORD": PASSWORD,
        **extra,
    }


def json_page(*files: tuple[str, str, str]) -> bytes:
    """A PEP 691 page listing (filename, url, sha256) entries."""
    entries = [{"filename": n, "url": u, "hashes": {"sha256": h}} for n, u, h in files]
    return json.dumps({"meta": {"api-version": "1.1"}, "files": entries}).encode()


def publish(
    settings: Settings, dist: Dist, env: dict[str, str], decision: VersionDecision = RELEASE
) -> tuple[Report, Run, float, NoxlineError | None]:
    """Run publish; return the report (also written to disk), the output, seconds, the error."""
    run = Run()
    settings.report_root.mkdir(exist_ok=True)
    path = settings.report_root / "publish.json"
    report = Report(project=settings.name, path=path)
    started = time.monotonic()
    failure: NoxlineError | None = None
    try:
        publish_dist(settings, decision, dist, report, run.io(env))
    except NoxlineError as error:
        failure = error
        report.outcome, report.error = "failed", str(error)
    report.save()
    return report, run, time.monotonic() - started, failure


def assert_nothing_leaked(settings: Settings, run: Run, failure: NoxlineError | None) -> None:
    """No secret in what was printed, raised or written."""
    written = (settings.report_root / "publish.json").read_text(encoding="utf-8")
    for text in (written, "\n".join(run.lines), str(failure or "")):
        assert PASSWORD not in text and "uploader:" not in text
    assert "\n" not in str(failure or "")


# --- hostile indexes -----------------------------------------------------------------------------

SHA_WHEEL = hashlib.sha256(WHEEL_BYTES).hexdigest()
SHA_SDIST = hashlib.sha256(SDIST_BYTES).hexdigest()

HOSTILE_PAGES = {
    "drip": (drip(0.2), "did not answer completely within"),
    "drip-headers": (drip(0.2, in_headers=True), "did not answer completely within"),
    "hang": (hang, "did not answer completely within"),
    "huge-body": (endless, "the cap for one answer"),
    "file-links": (
        answer(b'<a href="file:///etc/passwd#sha256=' + b"a" * 64 + b'">x.whl</a>', 200, HTML_TYPE),
        "not an http(s) link",
    ),
    "file-links-json": (
        answer(json_page((WHEEL, "file:///etc/passwd", SHA_WHEEL)), 200, JSON_TYPE),
        "not an http(s) link",
    ),
    "duplicate-listing": (
        answer(json_page((WHEEL, "/a", SHA_WHEEL), (WHEEL, "/b", "b" * 64)), 200, JSON_TYPE),
        f"lists {WHEEL} twice with different sha256",
    ),
    "wrong-hash": (
        answer(json_page((WHEEL, "/a", "c" * 64)), 200, JSON_TYPE),
        "already holds a different file under the same name",
    ),
    "bad-json": (answer(b"{not json", 200, JSON_TYPE), "is not valid PEP 691 JSON"),
    "json-deep": (answer(b"[" * 200_000, 200, JSON_TYPE), "is not valid PEP 691 JSON"),
    "json-meta-not-a-table": (
        answer(b'{"meta": 3, "files": []}', 200, JSON_TYPE),
        "not a PEP 691 version 1 project page",
    ),
    "json-files-odd": (
        answer(b'{"meta": {"api-version": "1.0"}, "files": [{"url": 5}]}', 200, JSON_TYPE),
        "lists a file without a url",
    ),
    "json-filename-odd": (
        answer(
            b'{"meta": {"api-version": "1.0"}, "files": [{"url": "/x", "filename": []}]}',
            200,
            JSON_TYPE,
        ),
        "non-text file name",
    ),
    "bogus-charset": (
        answer(b"<html>\xff\xfe</html>", 200, {"Content-Type": "text/html; charset=nope-42"}),
        "cannot run twine",  # read fine (utf-8 fallback): reaches the upload
    ),
    "server-error": (answer(b"", 503), "answered HTTP 503"),
}


@pytest.mark.parametrize(("route", "expected"), HOSTILE_PAGES.values(), ids=HOSTILE_PAGES.keys())
def test_hostile_index_page(
    settings: Settings, dist: Dist, index: Server, route: object, expected: str
) -> None:
    """Every hostile answer ends publish with one clear, masked line within the deadline."""
    index.routes[PAGE] = route  # type: ignore[assignment]
    report, run, seconds, failure = publish(settings, dist, env_for(index))
    assert isinstance(failure, PublishError), failure
    assert expected in str(failure)
    assert seconds < settings.index_timeout + 6  # slack for 2 shared cores
    assert report.outcome == "failed" and not [f for f in report.files if f["action"] == "uploaded"]
    assert_nothing_leaked(settings, run, failure)


def test_redirect_to_another_origin_carries_no_credentials(
    settings: Settings, dist: Dist, index: Server, elsewhere: Server
) -> None:
    """The project page redirects to another origin: not followed, nothing sent there."""
    index.routes[PAGE] = redirect(elsewhere.url + "/steal/")
    _, run, _, failure = publish(settings, dist, env_for(index))
    assert elsewhere.seen == []
    assert "cannot run twine" in str(failure)  # read as "not on this index": on to the upload
    assert_nothing_leaked(settings, run, failure)


def test_index_url_elsewhere_is_read_anonymously(
    settings: Settings, dist: Dist, index: Server, elsewhere: Server
) -> None:
    """index-url on another origin than the upload URL: read, but never with the credentials."""
    elsewhere.routes[PAGE] = answer(json_page(), 200, JSON_TYPE)
    hostile = replace(settings, index_url=elsewhere.url + "/simple/")
    _, run, _, failure = publish(hostile, dist, env_for(index))
    assert [item.path for item in elsewhere.seen] == [PAGE]
    assert elsewhere.auth_seen() == [None]
    assert index.seen == [] and "cannot run twine" in str(failure)
    assert_nothing_leaked(settings, run, failure)


def test_dry_run_sends_credentials_nowhere_else(
    settings: Settings, dist: Dist, index: Server, elsewhere: Server
) -> None:
    """A merge request's dry run pointing index-url elsewhere learns no credentials."""
    hostile = replace(settings, index_url=elsewhere.url + "/simple/")
    elsewhere.routes[PAGE] = redirect(index.url + PAGE)
    publish(hostile, dist, env_for(index, CI_JOB_TOKEN="job-tok-123"), DEV)
    assert all(header is None for header in elsewhere.auth_seen())
    assert all(header is None for header in index.auth_seen())


def test_job_token_only_for_the_gitlab_api_origin(
    settings: Settings, dist: Dist, index: Server
) -> None:
    """repository-url on another origin than CI_API_V4_URL: the job token is not used at all."""
    env = {
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CI_PROJECT_ID": "7",
        "CI_JOB_TOKEN": "job-tok-123",
    }
    hostile = replace(settings, repository_url=index.url + "/")
    _, run, _, failure = publish(hostile, dist, env)
    assert "needs credentials" in str(failure)
    assert index.auth_seen() == []
    assert "job-tok-123" not in "\n".join(run.lines) + str(failure)


# --- hostile settings and variables --------------------------------------------------------------

HOSTILE_URLS = {
    "userinfo-malformed": "https:/uploader:pw-Zq81-secret@index.example.com/",
    "userinfo": "https://uploader:pw-Zq81-secret@index.example.com/",
    "userinfo-at-in-password": "https://uploader:pw-Zq81-secret@x@index.example.com/",
    "file-scheme": "file:///home/uploader:pw-Zq81-secret@/x",
    "plain-http-remote": "http://index.example.com/",
    "no-host": "https://",
    "port-zero": "https://index.example.com:0/",
}


@pytest.mark.parametrize("url", HOSTILE_URLS.values(), ids=HOSTILE_URLS.keys())
def test_hostile_upload_url_never_leaks(settings: Settings, dist: Dist, url: str) -> None:
    """Malformed or unsafe upload URLs are refused, and nothing resembling the password shows."""
    env = {"TWINE_REPOSITORY_URL": url, "TWINE_USERNAME": "uploader", "TWINE_PASSWORD": PASSWORD}
    for decision in (RELEASE, DEV):
        _, run, _, failure = publish(settings, dist, env, decision)
        assert isinstance(failure, PublishError)
        assert_nothing_leaked(settings, run, failure)


def test_non_latin1_password_is_one_clear_line(
    settings: Settings, dist: Dist, index: Server
) -> None:
    """twine (requests) cannot send a non-Latin-1 password: refused before it crashes."""
    index.routes[PAGE] = answer(json_page(), 200, JSON_TYPE)
    env = env_for(index, TWINE_PASSWORD="pässwörd-€")
    _, _, _, failure = publish(settings, dist, env)
    assert isinstance(failure, PublishError) and "only Latin-1" in str(failure)
    assert "€" not in str(failure)


@pytest.mark.parametrize(
    ("meta_name", "meta_version", "target"),
    [("tiny-lib", "1.2.4", "wheel"), ("other-lib", "1.2.3", "sdist")],
)
def test_metadata_must_match_the_release(
    settings: Settings, index: Server, meta_name: str, meta_version: str, target: str
) -> None:
    """A file whose metadata names another version or project is never uploaded."""
    folder = settings.project_dir / "dist"
    folder.mkdir()
    lie = {"meta_name": meta_name, "meta_version": meta_version}
    wheel = wheel_bytes("tiny-lib", "1.2.3", **(lie if target == "wheel" else {}))
    sdist = sdist_bytes("tiny-lib", "1.2.3", **(lie if target == "sdist" else {}))
    (folder / WHEEL).write_bytes(wheel)
    (folder / SDIST).write_bytes(sdist)
    write_sums(folder)
    dist = verified_dist(folder, settings.name)
    _, _, _, failure = publish(settings, dist, env_for(index))
    assert isinstance(failure, PublishError) and "in its metadata" in str(failure)
    assert index.seen == []


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("pyproject.toml", True),  # a tracked file changed
        ("src/tiny_lib/extra.py", True),  # an untracked source the build would copy
        ("reports/publish/x.txt", False),  # noxline's own outputs do not count
        (".nox/x", False),
        ("src/tiny_lib/__pycache__/m.pyc", False),
    ],
)
def test_local_release_needs_a_clean_tree(
    settings: Settings, dist: Dist, index: Server, path: str, refused: bool
) -> None:
    """Outside CI, uncommitted changes stop a release before the index is contacted."""
    target = settings.project_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# changed\n", encoding="utf-8")
    _, _, _, failure = publish(settings, dist, env_for(index))
    assert isinstance(failure, PublishError)
    if refused:
        assert "uncommitted changes" in str(failure) and path in str(failure)
        assert index.seen == []
    else:
        assert "cannot run twine" in str(failure)


def test_publish_deadline_bounds_the_whole_job(
    settings: Settings, dist: Dist, index: Server
) -> None:
    """A publish-timeout shorter than the index's hang ends the job at publish-timeout."""
    index.routes[PAGE] = hang
    short = replace(settings, index_timeout=30.0, publish_timeout=1.0)
    _, _, seconds, failure = publish(short, dist, env_for(index))
    assert isinstance(failure, PublishError) and seconds < 6
