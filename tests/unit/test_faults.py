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
from collections.abc import Iterator
from pathlib import Path

import pytest

from noxline import net
from noxline.config import Settings, replace
from noxline.dist import Dist, verified_dist, write_sums
from noxline.errors import PublishError
from noxline.versioning import VersionDecision
from tests.unit._dists import (
    TINY_SDIST,
    TINY_SDIST_BYTES,
    TINY_WHEEL,
    TINY_WHEEL_BYTES,
    sdist_bytes,
    tiny_settings,
    wheel_bytes,
)
from tests.unit._hostile_server import (
    FakeResolver,
    Server,
    answer,
    drip,
    endless,
    hang,
    redirect,
    running,
)
from tests.unit._publish_run import Outcome, run_publish, upload_env
from tests.unit._releases import DEV, RELEASE

#: Mostly waiting on deadlines and slow servers: run first among the single tests, beside the last
#: groups' runs, not at the end (tests/e2e/conftest.py orders the run).
pytestmark = pytest.mark.waits

PASSWORD = "pw-Zq81-secret"
PAGE = "/simple/tiny-lib/"
JSON_TYPE = {"Content-Type": "application/vnd.pypi.simple.v1+json"}
HTML_TYPE = {"Content-Type": "text/html"}


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """tiny-lib, committed, with short deadlines so every hostile case ends in seconds."""
    return tiny_settings(tmp_path / "tiny", index_timeout=1.5, publish_timeout=10.0)


@pytest.fixture(name="elsewhere")
def elsewhere_fixture() -> Iterator[Server]:
    """A second server: another origin, where credentials must never arrive."""
    with running() as server:
        yield server


def env_for(index: Server, **extra: str) -> dict[str, str]:
    """Upload to ``index`` with credentials."""
    return upload_env(index.url + "/", PASSWORD, **extra)


def json_page(*files: tuple[str, str, str]) -> bytes:
    """A PEP 691 page listing (filename, url, sha256) entries."""
    entries = [{"filename": n, "url": u, "hashes": {"sha256": h}} for n, u, h in files]
    return json.dumps({"meta": {"api-version": "1.1"}, "files": entries}).encode()


def publish(
    settings: Settings, dist: Dist, env: dict[str, str], decision: VersionDecision = RELEASE
) -> Outcome:
    """Run publish (no twine: an upload ends "cannot run twine"); the record is on disk."""
    return run_publish(settings, decision, dist, env)


def assert_nothing_leaked(outcome: Outcome) -> None:
    """No secret in what was printed, raised or written; the error is one line."""
    for text in (outcome.written, "\n".join(outcome.lines), str(outcome.error or "")):
        assert PASSWORD not in text and "uploader:" not in text
    assert "\n" not in str(outcome.error or "")


# --- hostile indexes -----------------------------------------------------------------------------

SHA_WHEEL = hashlib.sha256(TINY_WHEEL_BYTES).hexdigest()
SHA_SDIST = hashlib.sha256(TINY_SDIST_BYTES).hexdigest()

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
        answer(json_page((TINY_WHEEL, "file:///etc/passwd", SHA_WHEEL)), 200, JSON_TYPE),
        "not an http(s) link",
    ),
    "duplicate-listing": (
        answer(
            json_page((TINY_WHEEL, "/a", SHA_WHEEL), (TINY_WHEEL, "/b", "b" * 64)), 200, JSON_TYPE
        ),
        f"lists {TINY_WHEEL} twice with different sha256",
    ),
    "wrong-hash": (
        answer(json_page((TINY_WHEEL, "/a", "c" * 64)), 200, JSON_TYPE),
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
    settings: Settings, dist: Dist, hostile_index: Server, route: object, expected: str
) -> None:
    """Every hostile answer ends publish with one clear, masked line within the deadline."""
    hostile_index.routes[PAGE] = route  # type: ignore[assignment]
    outcome = publish(settings, dist, env_for(hostile_index))
    assert isinstance(outcome.error, PublishError), outcome.error
    assert expected in str(outcome.error)
    assert outcome.seconds < settings.index_timeout + 6  # slack for 2 shared cores
    files = outcome.report.files
    assert outcome.report.outcome == "failed" and not [
        f for f in files if f["action"] == "uploaded"
    ]
    assert_nothing_leaked(outcome)


def test_redirect_to_another_origin_carries_no_credentials(
    settings: Settings, dist: Dist, hostile_index: Server, elsewhere: Server
) -> None:
    """The project page redirects to another origin: not followed, nothing sent there."""
    hostile_index.routes[PAGE] = redirect(elsewhere.url + "/steal/")
    outcome = publish(settings, dist, env_for(hostile_index))
    assert elsewhere.seen == []
    assert "cannot run twine" in str(outcome.error)  # read as "not on this index": on to the upload
    assert_nothing_leaked(outcome)


def test_index_url_elsewhere_is_read_anonymously(
    settings: Settings, dist: Dist, hostile_index: Server, elsewhere: Server
) -> None:
    """index-url on another origin than the upload URL: read, but never with the credentials."""
    elsewhere.routes[PAGE] = answer(json_page(), 200, JSON_TYPE)
    hostile = replace(settings, index_url=elsewhere.url + "/simple/")
    outcome = publish(hostile, dist, env_for(hostile_index))
    assert [item.path for item in elsewhere.seen] == [PAGE]
    assert elsewhere.auth_seen() == [None]
    assert hostile_index.seen == [] and "cannot run twine" in str(outcome.error)
    assert_nothing_leaked(outcome)


def test_dry_run_sends_credentials_nowhere_else(
    settings: Settings, dist: Dist, hostile_index: Server, elsewhere: Server
) -> None:
    """A merge request's dry run pointing index-url elsewhere learns no credentials."""
    hostile = replace(settings, index_url=elsewhere.url + "/simple/")
    elsewhere.routes[PAGE] = redirect(hostile_index.url + PAGE)
    publish(hostile, dist, env_for(hostile_index, CI_JOB_TOKEN="job-tok-123"), DEV)
    assert all(header is None for header in elsewhere.auth_seen())
    assert all(header is None for header in hostile_index.auth_seen())


def test_job_token_only_for_the_gitlab_api_origin(
    settings: Settings, dist: Dist, hostile_index: Server
) -> None:
    """repository-url on another origin than CI_API_V4_URL: the job token is not used at all."""
    env = {
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CI_PROJECT_ID": "7",
        "CI_JOB_TOKEN": "job-tok-123",
    }
    hostile = replace(settings, repository_url=hostile_index.url + "/")
    outcome = publish(hostile, dist, env)
    assert "needs credentials" in str(outcome.error)
    assert hostile_index.auth_seen() == []
    assert "job-tok-123" not in "\n".join(outcome.lines) + str(outcome.error)


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
        outcome = publish(settings, dist, env, decision)
        assert isinstance(outcome.error, PublishError)
        assert_nothing_leaked(outcome)


def test_non_latin1_password_is_one_clear_line(
    settings: Settings, dist: Dist, hostile_index: Server
) -> None:
    """twine (requests) cannot send a non-Latin-1 password: refused before it crashes."""
    hostile_index.routes[PAGE] = answer(json_page(), 200, JSON_TYPE)
    env = env_for(hostile_index, TWINE_PASSWORD="pässwörd-€")
    failure = publish(settings, dist, env).error
    assert isinstance(failure, PublishError) and "only Latin-1" in str(failure)
    assert "€" not in str(failure)


@pytest.mark.parametrize(
    ("meta_name", "meta_version", "target"),
    [("tiny-lib", "1.2.4", "wheel"), ("other-lib", "1.2.3", "sdist")],
)
def test_metadata_must_match_the_release(
    settings: Settings, hostile_index: Server, meta_name: str, meta_version: str, target: str
) -> None:
    """A file whose metadata names another version or project is never uploaded."""
    folder = settings.project_dir / "dist"
    folder.mkdir()
    lie = {"meta_name": meta_name, "meta_version": meta_version}
    wheel = wheel_bytes("tiny-lib", "1.2.3", **(lie if target == "wheel" else {}))
    sdist = sdist_bytes("tiny-lib", "1.2.3", **(lie if target == "sdist" else {}))
    (folder / TINY_WHEEL).write_bytes(wheel)
    (folder / TINY_SDIST).write_bytes(sdist)
    write_sums(folder)
    dist = verified_dist(folder, settings.name)
    failure = publish(settings, dist, env_for(hostile_index)).error
    assert isinstance(failure, PublishError) and "in its metadata" in str(failure)
    assert hostile_index.seen == []


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
    settings: Settings, dist: Dist, hostile_index: Server, path: str, refused: bool
) -> None:
    """Outside CI, uncommitted changes stop a release before the index is contacted."""
    target = settings.project_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# changed\n", encoding="utf-8")
    failure = publish(settings, dist, env_for(hostile_index)).error
    assert isinstance(failure, PublishError)
    if refused:
        assert "uncommitted changes" in str(failure) and path in str(failure)
        assert hostile_index.seen == []
    else:
        assert "cannot run twine" in str(failure)


def test_publish_deadline_bounds_the_whole_job(
    settings: Settings, dist: Dist, hostile_index: Server
) -> None:
    """A publish-timeout shorter than the index's hang ends the job at publish-timeout."""
    hostile_index.routes[PAGE] = hang
    short = replace(settings, index_timeout=30.0, publish_timeout=1.0)
    outcome = publish(short, dist, env_for(hostile_index))
    assert isinstance(outcome.error, PublishError) and outcome.seconds < 6


DEAD_NAME_SERVER = {  # index-timeout, publish-timeout → the setting the message names
    "index-read-deadline": (1.5, 10.0, "(index-timeout)"),
    "whole-publish-deadline": (30.0, 1.0, "(publish-timeout)"),
}


@pytest.mark.parametrize(
    ("index_timeout", "publish_timeout", "setting"),
    DEAD_NAME_SERVER.values(),
    ids=DEAD_NAME_SERVER.keys(),
)
def test_a_dead_name_server_ends_publish_at_its_deadline(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    settings: Settings,
    dist: Dist,
    hostile_index: Server,
    monkeypatch: pytest.MonkeyPatch,
    index_timeout: float,
    publish_timeout: float,
    setting: str,
) -> None:
    """The index's host name never resolves: publish ends at the shorter deadline, one line
    naming the host and the setting to raise, and nothing reaches the index."""
    resolver = FakeResolver(delay=60.0)  # a name server that never answers
    monkeypatch.setattr(net, "resolver", resolver)
    port = hostile_index.url.rsplit(":", 1)[1]
    env = env_for(hostile_index, TWINE_REPOSITORY_URL=f"http://index.localhost:{port}/")
    short = replace(settings, index_timeout=index_timeout, publish_timeout=publish_timeout)
    try:
        outcome = publish(short, dist, env)
    finally:
        resolver.released.set()
    assert isinstance(outcome.error, PublishError)
    assert "the host name index.localhost" in str(outcome.error)
    assert f" s {setting}: the name server hangs or cannot be reached" in str(outcome.error)
    assert outcome.seconds < min(index_timeout, publish_timeout) + 3  # slack for 2 shared cores
    assert resolver.asked == ["index.localhost"] and hostile_index.seen == []
    assert_nothing_leaked(outcome)
