"""Tests for noxline.index: target resolution, simple-page parsing, masking, and reads over real
HTTP from a stdlib server in a thread (tests/unit/_index_server.py).

twine uploads to a real pypiserver are tested in tests/e2e/test_publish.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from noxline.errors import PublishError
from noxline.index import (
    GITLAB_USER,
    MASK,
    IndexFile,
    Repository,
    explain_upload_failure,
    mask,
    no_repository_error,
    parse_simple_page,
    read_project_files,
    resolve_repository,
    simple_url_for,
    upload,
)
from noxline.net import Limits, Origin
from tests.unit._hostile_server import Handler, answer, running
from tests.unit._index_server import JSON_TYPE, FakeIndex, serve

#: Mostly waiting on deadlines and slow servers: run first among the single tests, beside the last
#: groups' runs, not at the end (tests/e2e/conftest.py orders the run).
pytestmark = pytest.mark.waits

SHA_A = "a" * 64
SHA_B = "0123456789abcdef" * 4
GITLAB_API = "https://gitlab.example.com/api/v4"


def gitlab_env(**extra: str) -> dict[str, str]:
    """The variables a GitLab job has, plus ``extra``."""
    return {
        "CI_API_V4_URL": GITLAB_API,
        "CI_PROJECT_ID": "42",
        "CI_JOB_TOKEN": "job-token-value",
        **extra,
    }


# --- where to upload ------------------------------------------------------------------------------


def test_twine_variables_name_the_target() -> None:
    """TWINE_REPOSITORY_URL with TWINE_USERNAME/TWINE_PASSWORD is used as given."""
    env = {
        "TWINE_REPOSITORY_URL": "http://127.0.0.1:8080/",
        "TWINE_USERNAME": "uploader",
        "TWINE_PASSWORD": "s3cret",
    }
    repository = resolve_repository(env)
    assert repository is not None
    assert repository.upload_url == "http://127.0.0.1:8080/"
    assert repository.simple_url == "http://127.0.0.1:8080/simple/"
    assert repository.configured_by == "TWINE_REPOSITORY_URL"
    assert (repository.username, repository.password) == ("uploader", "s3cret")
    assert repository.credentials_from == "TWINE_USERNAME and TWINE_PASSWORD"
    assert repository.has_credentials


def test_twine_url_beats_the_setting() -> None:
    """TWINE_REPOSITORY_URL wins over [tool.noxline] repository-url."""
    env = {"TWINE_REPOSITORY_URL": "https://a.example.com/pypi/"}
    repository = resolve_repository(env, repository_url="https://b.example.com/pypi/")
    assert repository is not None and repository.upload_url == "https://a.example.com/pypi/"


def test_setting_is_used_with_twine_credentials() -> None:
    """repository-url names the target when twine's URL is unset; credentials stay TWINE_*."""
    env = {"TWINE_USERNAME": "me", "TWINE_PASSWORD": "pw", **gitlab_env()}
    repository = resolve_repository(env, repository_url="https://nexus.example.com/repository/py")
    assert repository is not None
    assert repository.configured_by == "[tool.noxline] repository-url"
    assert repository.simple_url == "https://nexus.example.com/repository/py/simple/"
    assert (repository.username, repository.password) == ("me", "pw")


def test_gitlab_registry_with_the_job_token() -> None:
    """In GitLab CI with nothing else set, the project's own registry and the job token are used."""
    repository = resolve_repository(gitlab_env())
    assert repository is not None
    assert repository.upload_url == f"{GITLAB_API}/projects/42/packages/pypi"
    assert repository.simple_url == f"{GITLAB_API}/projects/42/packages/pypi/simple/"
    assert repository.username == GITLAB_USER
    assert repository.password == "job-token-value"
    assert repository.credentials_from == "CI_JOB_TOKEN"


def test_twine_credentials_beat_the_job_token() -> None:
    """A deploy token in TWINE_* is preferred over the job token."""
    env = gitlab_env(TWINE_USERNAME="deploy", TWINE_PASSWORD="deploy-token")
    repository = resolve_repository(env)
    assert repository is not None
    assert (repository.username, repository.password) == ("deploy", "deploy-token")


def test_job_token_is_never_sent_to_another_host() -> None:
    """A repository-url outside the GitLab instance gets no job token."""
    repository = resolve_repository(gitlab_env(), repository_url="https://pypi.example.org/upload/")
    assert repository is not None
    assert not repository.has_credentials
    assert repository.password == ""


def test_job_token_is_used_for_another_registry_on_the_same_gitlab() -> None:
    """A group registry on the same instance is GitLab's own: the job token applies."""
    url = f"{GITLAB_API}/projects/7/packages/pypi"
    repository = resolve_repository(gitlab_env(), repository_url=url)
    assert repository is not None and repository.credentials_from == "CI_JOB_TOKEN"


def test_nothing_configured_is_none() -> None:
    """Without any URL variable or setting there is no target."""
    assert resolve_repository({"TWINE_USERNAME": "me", "TWINE_PASSWORD": "pw"}) is None
    assert resolve_repository({"CI_JOB_TOKEN": "t"}) is None


def test_index_url_overrides_the_derived_simple_url() -> None:
    """index-url replaces the derived simple index (devpi's /+simple/, say)."""
    env = {"TWINE_REPOSITORY_URL": "https://devpi.example.com/team/prod/"}
    repository = resolve_repository(env, index_url="https://devpi.example.com/team/prod/+simple/")
    assert repository is not None
    assert repository.simple_url == "https://devpi.example.com/team/prod/+simple/"


@pytest.mark.parametrize(
    ("upload_url", "simple"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/simple/"),
        (
            f"{GITLAB_API}/projects/1/packages/pypi",
            f"{GITLAB_API}/projects/1/packages/pypi/simple/",
        ),
        ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
    ],
)
def test_simple_url_for(upload_url: str, simple: str) -> None:
    """The simple index lives under the upload URL, except on PyPI and TestPyPI."""
    assert simple_url_for(upload_url) == simple


def test_url_with_credentials_is_refused_without_repeating_them() -> None:
    """Credentials inside the URL would be logged: refused, and the message does not show them."""
    env = {"TWINE_REPOSITORY_URL": "https://me:hunter2@index.example.com/"}
    with pytest.raises(PublishError, match="carries credentials.*TWINE_USERNAME") as caught:
        resolve_repository(env)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    ["ftp://index.example.com/", "index.example.com", "http://", "http://[::1", "http://h:0/"],
)
def test_url_that_is_not_http_is_refused(url: str) -> None:
    """Only http(s) URLs with a host are accepted; the message names the setting."""
    with pytest.raises(PublishError, match="TWINE_REPOSITORY_URL = .* is not an http"):
        resolve_repository({"TWINE_REPOSITORY_URL": url})


def test_bad_index_url_is_refused() -> None:
    """A broken index-url is refused naming that setting."""
    env = {"TWINE_REPOSITORY_URL": "https://index.example.com/"}
    with pytest.raises(PublishError, match=r"\[tool.noxline\] index-url"):
        resolve_repository(env, index_url="file:///srv/simple")


# --- credentials --------------------------------------------------------------------------------


def test_require_credentials_names_the_variables() -> None:
    """No credentials: the message names both variables and says nothing was uploaded."""
    repository = Repository("https://index.example.com/", "https://index.example.com/simple/", "x")
    with pytest.raises(PublishError) as caught:
        repository.require_credentials()
    message = str(caught.value)
    assert "neither TWINE_USERNAME nor TWINE_PASSWORD is set" in message
    assert "nothing was uploaded" in message


@pytest.mark.parametrize(
    ("username", "password", "missing"),
    [("me", "", "TWINE_PASSWORD is not set"), ("", "pw", "TWINE_USERNAME is not set")],
)
def test_require_credentials_names_the_missing_half(
    username: str, password: str, missing: str
) -> None:
    """Half a pair of credentials: the message names the missing variable."""
    env = {"TWINE_REPOSITORY_URL": "https://index.example.com/"}
    if username:
        env["TWINE_USERNAME"] = username
    if password:
        env["TWINE_PASSWORD"] = password
    repository = resolve_repository(env)
    assert repository is not None and not repository.has_credentials
    with pytest.raises(PublishError, match=missing):
        repository.require_credentials()


def test_password_is_not_in_repr() -> None:
    """Printing a Repository (a traceback, a debug log) does not show the password."""
    repository = Repository(
        "https://i.example.com/", "https://i.example.com/simple/", "x", "u", "pw9"
    )
    assert "pw9" not in repr(repository)
    # The HTTP basic-auth form of the credentials counts as a secret too.
    assert repository.secrets == ("pw9", base64.b64encode(b"u:pw9").decode())


def test_twine_env_points_twine_at_the_index_without_keyring() -> None:
    """twine gets URL and credentials from its variables, no prompt and no keyring."""
    repository = Repository(
        "https://i.example.com/", "https://i.example.com/simple/", "x", "u", "p"
    )
    env = repository.twine_env()
    assert env["TWINE_REPOSITORY_URL"] == "https://i.example.com/"
    assert (env["TWINE_USERNAME"], env["TWINE_PASSWORD"]) == ("u", "p")
    assert env["TWINE_NON_INTERACTIVE"] == "1"
    assert env["PYTHON_KEYRING_BACKEND"] == "keyring.backends.null.Keyring"


def test_credentials_belong_to_the_upload_origin() -> None:
    """Credentials are bound to the upload URL's origin, whatever the simple index is."""
    repository = Repository(
        "https://i.example.com/", "https://other.example.com/simple/", "x", "u", "p"
    )
    credentials = repository.credentials()
    assert credentials is not None and credentials.value == "Basic dTpw"
    assert credentials.origin == Origin("https", "i.example.com", 443)
    anonymous = Repository("https://i.example.com/", "https://i.example.com/simple/", "x")
    assert anonymous.credentials() is None


def test_project_url_uses_the_normalised_name() -> None:
    """PEP 503: the project page uses the normalised name."""
    repository = Repository("https://i.example.com/", "https://i.example.com/simple", "x")
    assert (
        repository.project_url("Mini_Lib.Extra") == "https://i.example.com/simple/mini-lib-extra/"
    )


def test_no_repository_error_names_the_variables() -> None:
    """A release with no index at all says which variable or setting to set."""
    message = str(no_repository_error("1.2.3"))
    assert "1.2.3" in message
    assert "TWINE_REPOSITORY_URL" in message and "repository-url" in message


def test_upload_without_twine_is_a_clear_error(tmp_path: Path) -> None:
    """A missing twine executable is reported as such, not as a traceback."""
    repository = Repository("http://127.0.0.1:9/", "http://127.0.0.1:9/simple/", "x", "u", "pw-9f2")
    logged: list[str] = []
    with pytest.raises(PublishError, match="cannot run twine"):
        upload(
            str(tmp_path / "no-twine"),
            repository,
            tmp_path / "minilib-1.0.tar.gz",
            base_env={},
            echo=logged.append,
        )
    assert logged and "--no-color upload --non-interactive --disable-progress-bar" in logged[0]


# twine 7's own words for each failure, as seen against pypiserver.
TWINE_403 = """Uploading distributions to http://127.0.0.1:8080/
Uploading minilib-1.2.3-py3-none-any.whl
WARNING  Error during upload. Retry with the --verbose option for more details.
ERROR    HTTPError: 403 Forbidden from http://127.0.0.1:8080/
         Forbidden
"""
TWINE_UNREACHABLE = """Uploading minilib-1.2.3-py3-none-any.whl
requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9): Max retries
"""


@pytest.mark.parametrize(
    ("twine_output", "credentials_from", "message"),
    [
        (TWINE_403, "CI_JOB_TOKEN", r"refused the credentials .*\(HTTP 403\): check CI_JOB_TOKEN"),
        (TWINE_403.replace("403 Forbidden", "401 Unauthorized"), "X", "HTTP 401"),
        (TWINE_403.replace("403 Forbidden", "400 Bad Request"), "X", "re-run publish"),
        (TWINE_403.replace("403 Forbidden", "409 Conflict"), "X", "never overwrites"),
        (TWINE_403.replace("403 Forbidden", "502 Bad Gateway"), "X", "answered HTTP 502"),
        (TWINE_UNREACHABLE, "X", "cannot reach the package index at http://127.0.0.1:8080/"),
        ("Segmentation fault", "X", r"twine upload of a.whl failed \(exit 139\)"),
    ],
)
def test_explain_upload_failure(twine_output: str, credentials_from: str, message: str) -> None:
    """twine's output is turned into one message saying what to check."""
    repository = Repository(
        "http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/", "x", "u", "pw", credentials_from
    )
    error = explain_upload_failure(twine_output, repository, "a.whl", 139)
    assert isinstance(error, PublishError)
    assert re.search(message, str(error)), str(error)


# --- masking ------------------------------------------------------------------------------------


def test_mask_hides_secrets_in_every_form() -> None:
    """Plain, URL-encoded and user-info forms of a secret are all masked."""
    secret = "p@ss/w:rd"
    text = (
        f"password {secret}; encoded p%40ss%2Fw%3Ard; "
        "url https://user:anything@index.example.com/simple/"
    )
    masked = mask(text, [secret])
    assert secret not in masked and "p%40ss%2Fw%3Ard" not in masked
    assert "anything" not in masked
    assert masked.count(MASK) == 3
    assert "https://****@index.example.com/simple/" in masked


def test_mask_prefers_the_longer_secret() -> None:
    """A secret that contains another is masked whole, leaving no fragment behind."""
    assert mask("token abcdef", ["abc", "abcdef"]) == f"token {MASK}"


def test_mask_leaves_plain_text_alone() -> None:
    """Without secrets or user-info nothing changes (empty secrets are ignored)."""
    text = "Uploading minilib-1.2.3.tar.gz to http://127.0.0.1:8080/"
    assert mask(text, ["", ""]) == text


def test_mask_hides_the_basic_auth_token() -> None:
    """The base64 Authorization value counts as a secret too."""
    repository = Repository(
        "https://i.example.com/", "https://i.example.com/simple/", "x", "u", "p"
    )
    assert mask("Authorization: Basic dTpw", repository.secrets) == f"Authorization: Basic {MASK}"


# --- simple pages -------------------------------------------------------------------------------

PYPISERVER_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><title>Links for minilib</title></head><body><h1>Links for minilib</h1>
<a href="/packages/minilib-1.2.3-py3-none-any.whl#sha256={SHA_A}">minilib-1.2.3-py3-none-any.whl</a><br>
<a href="/packages/minilib-1.2.3.tar.gz#sha256={SHA_B.upper()}">minilib-1.2.3.tar.gz</a><br>
</body></html>
"""


def test_parse_html_page_of_pypiserver() -> None:
    """PEP 503 HTML: file names from the anchors, sha256 from the fragments, absolute URLs."""
    files = parse_simple_page(
        PYPISERVER_PAGE.encode(),
        "text/html; charset=UTF-8",
        "http://127.0.0.1:8080/simple/minilib/",
    )
    assert files == [
        IndexFile(
            "minilib-1.2.3-py3-none-any.whl",
            "http://127.0.0.1:8080/packages/minilib-1.2.3-py3-none-any.whl",
            SHA_A,
        ),
        IndexFile(
            "minilib-1.2.3.tar.gz", "http://127.0.0.1:8080/packages/minilib-1.2.3.tar.gz", SHA_B
        ),
    ]


def test_parse_html_page_of_gitlab() -> None:
    """GitLab's page: absolute file URLs with attributes and escaped text."""
    url = f"{GITLAB_API}/projects/42/packages/pypi/files/{SHA_A}/mini_lib-1.0.tar.gz"
    page = (
        f'<html><body><a href="{url}#sha256={SHA_A}" data-requires-python="&gt;=3.11">'
        "mini_lib-1.0.tar.gz</a><br></body></html>"
    )
    files = parse_simple_page(page.encode(), "text/html", f"{GITLAB_API}/projects/42/x/")
    assert files == [IndexFile("mini_lib-1.0.tar.gz", url, SHA_A)]


def test_parse_html_relative_links_and_missing_hashes() -> None:
    """Relative hrefs resolve against the page; no or non-sha256 fragments give no hash."""
    page = (
        b'<a href="../../packages/a-1.0.tar.gz">a-1.0.tar.gz</a>'
        b'<a href="../../packages/a-1.0-py3-none-any.whl#md5=abc"></a>'
        b'<a href="../../packages/a%2B-1.0.zip#sha256=tooshort">a+-1.0.zip</a>'
        b"<a name='anchor-without-href'>ignored</a>"
    )
    files = parse_simple_page(page, "", "https://i.example.com/root/simple/a/")
    assert files == [
        IndexFile("a-1.0.tar.gz", "https://i.example.com/root/packages/a-1.0.tar.gz", None),
        IndexFile(
            "a-1.0-py3-none-any.whl",  # no anchor text: the URL's last path part
            "https://i.example.com/root/packages/a-1.0-py3-none-any.whl",
            None,
        ),
        IndexFile("a+-1.0.zip", "https://i.example.com/root/packages/a%2B-1.0.zip", None),
    ]


def test_parse_html_honours_the_charset() -> None:
    """A page in another charset decodes by its Content-Type."""
    page = f'<a href="/p/caf\xe9-1.0.tar.gz#sha256={SHA_A}">caf\xe9-1.0.tar.gz</a>'
    files = parse_simple_page(page.encode("latin-1"), "text/html; charset=latin-1", "http://h/s/")
    assert [item.filename for item in files] == ["caf\xe9-1.0.tar.gz"]


def test_parse_pep691_json() -> None:
    """PEP 691 JSON: filename, url and the sha256 from hashes; a file without one has None."""
    page = {
        "meta": {"api-version": "1.1"},
        "name": "minilib",
        "files": [
            {
                "filename": "minilib-1.2.3.tar.gz",
                "url": "../../packages/minilib-1.2.3.tar.gz",
                "hashes": {"sha256": SHA_B.upper(), "md5": "x"},
            },
            {"filename": "minilib-1.2.3-py3-none-any.whl", "url": "/w.whl", "hashes": {}},
        ],
    }
    files = parse_simple_page(
        json.dumps(page).encode(),
        "application/vnd.pypi.simple.v1+json",
        "https://i.example.com/simple/minilib/",
    )
    assert files == [
        IndexFile(
            "minilib-1.2.3.tar.gz", "https://i.example.com/packages/minilib-1.2.3.tar.gz", SHA_B
        ),
        IndexFile("minilib-1.2.3-py3-none-any.whl", "https://i.example.com/w.whl", None),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid PEP 691 JSON"),
        (b'{"meta": {"api-version": "2.0"}, "files": []}', "not a PEP 691 version 1"),
        (b'{"meta": {"api-version": "1.0"}}', "not a PEP 691 version 1"),
        (b"[]", "not a PEP 691 version 1"),
        (b'{"meta": {"api-version": "1.0"}, "files": [{"filename": "a"}]}', "without a url"),
    ],
)
def test_parse_pep691_refuses_what_it_cannot_read(body: bytes, message: str) -> None:
    """Broken or unknown JSON is refused with a message, never guessed at."""
    with pytest.raises(PublishError, match=message):
        parse_simple_page(body, "application/vnd.pypi.simple.v1+json; q=1", "https://i/simple/a/")


# --- reads over HTTP ------------------------------------------------------------------------------


@pytest.fixture(name="http_index")
def http_index_fixture() -> Iterator[FakeIndex]:
    """A stand-in index on 127.0.0.1, stopped after the test."""
    with serve() as index:
        yield index


@pytest.fixture(name="other_host")
def other_host_fixture() -> Iterator[FakeIndex]:
    """A second server (another origin) that redirects may point at."""
    with serve() as index:
        yield index


HTTP_SDIST = "minilib-1.2.3.tar.gz"
SHA = hashlib.sha256(b"sdist bytes").hexdigest()
JSON_PAGE = json.dumps(
    {
        "meta": {"api-version": "1.1"},
        "name": "minilib",
        "files": [
            {"filename": HTTP_SDIST, "url": f"/files/{HTTP_SDIST}", "hashes": {"sha256": SHA}}
        ],
    }
).encode()
JSON_HEADERS = {"Content-Type": JSON_TYPE}


def test_read_pep691_json_with_credentials(http_index: FakeIndex) -> None:
    """A PEP 691 answer is read; the credentials go along as HTTP basic auth."""
    http_index.routes["/simple/minilib/"] = (200, JSON_HEADERS, JSON_PAGE)
    files = read_project_files(http_index.repository("u", "pw-1"), "MiniLib")
    assert files == {HTTP_SDIST: SHA}
    assert http_index.seen == [
        ("/simple/minilib/", "Basic " + base64.b64encode(b"u:pw-1").decode())
    ]


def test_read_of_a_project_the_index_lacks_is_empty(http_index: FakeIndex) -> None:
    """404: the project has no files there yet."""
    assert not read_project_files(http_index.repository(), "minilib")
    assert http_index.seen == [("/simple/minilib/", None)]


def test_read_never_follows_a_redirect_to_another_host(
    http_index: FakeIndex, other_host: FakeIndex
) -> None:
    """Indexes forward unknown projects to PyPI: read as 'not here', credentials not sent there."""
    other_host.routes["/simple/minilib/"] = (200, JSON_HEADERS, JSON_PAGE)
    http_index.routes["/simple/minilib/"] = (
        303,
        {"Location": other_host.url + "simple/minilib/"},
        b"",
    )
    assert not read_project_files(http_index.repository("u", "pw-2"), "minilib")
    assert other_host.seen == []


def test_read_follows_a_redirect_on_the_same_host(http_index: FakeIndex) -> None:
    """A redirect within the index is followed, with the credentials."""
    http_index.routes["/simple/minilib/"] = (301, {"Location": "/simple/minilib-moved/"}, b"")
    http_index.routes["/simple/minilib-moved/"] = (200, JSON_HEADERS, JSON_PAGE)
    assert read_project_files(http_index.repository("u", "pw-3"), "minilib") == {HTTP_SDIST: SHA}
    assert [auth is not None for _, auth in http_index.seen] == [True, True]


def test_read_hashes_files_listed_without_a_hash(http_index: FakeIndex) -> None:
    """A file listed without sha256 is downloaded and hashed, so it can still be compared."""
    page = f'<a href="/files/{HTTP_SDIST}">{HTTP_SDIST}</a>'.encode()
    http_index.routes["/simple/minilib/"] = (200, {"Content-Type": "text/html"}, page)
    http_index.routes[f"/files/{HTTP_SDIST}"] = (200, {}, b"sdist bytes")
    assert read_project_files(http_index.repository(), "minilib") == {HTTP_SDIST: SHA}


@pytest.mark.parametrize(
    ("status", "username", "message"),
    [
        (401, "u", r"refused a read .*HTTP 401.*; check TWINE_USERNAME and TWINE_PASSWORD"),
        (403, "", r"HTTP 403.*; it needs credentials: set TWINE_USERNAME and TWINE_PASSWORD"),
        (500, "u", "answered HTTP 500 .*configured by TWINE_REPOSITORY_URL"),
    ],
)
def test_read_errors_say_what_to_check(
    http_index: FakeIndex, status: int, username: str, message: str
) -> None:
    """Refusals and server errors become one message naming the thing to check."""
    http_index.routes["/simple/minilib/"] = (status, {}, b"no")
    repository = http_index.repository(username, "pw-4" if username else "")
    with pytest.raises(PublishError, match=message) as caught:
        read_project_files(repository, "minilib")
    assert "pw-4" not in str(caught.value)


def test_read_of_an_unreachable_index_says_so() -> None:
    """Nothing listening: one message naming the URL and the setting to check."""
    with serve() as index:
        repository = index.repository()
    # The server is stopped now: its port refuses connections.
    with pytest.raises(
        PublishError, match="cannot reach .*connection refused.*TWINE_REPOSITORY_URL"
    ):
        read_project_files(repository, "minilib")


def test_read_of_an_unhashed_file_that_cannot_be_downloaded(http_index: FakeIndex) -> None:
    """A file without a hash that the index does not serve cannot be compared: a clear error."""
    page = b'<a href="/files/gone-1.0.tar.gz">gone-1.0.tar.gz</a>'
    http_index.routes["/simple/minilib/"] = (200, {"Content-Type": "text/html"}, page)
    with pytest.raises(PublishError, match="without a sha256 and it cannot be downloaded"):
        read_project_files(http_index.repository(), "minilib")


def test_list_files_helper_matches_the_reader(http_index: FakeIndex) -> None:
    """The stand-in's listing reads back as name → sha256 (the publish tests rely on it)."""
    http_index.list_files("minilib", {"a-1.0.tar.gz": b"a"})
    assert read_project_files(http_index.repository(), "minilib") == {
        "a-1.0.tar.gz": hashlib.sha256(b"a").hexdigest()
    }


# --- attacks that once got through (found by trying other inputs of the same classes) -----------


@pytest.mark.parametrize("charset", ["zlib_codec", "rot13", "base64", "hex", "bz2_codec", "uu"])
def test_a_charset_that_is_no_text_encoding_reads_as_utf8(charset: str) -> None:
    """Python knows these codecs, but bytes.decode() refuses them: once a LookupError."""
    page = f'<a href="/p/{HTTP_SDIST}#sha256={SHA_A}">{HTTP_SDIST}</a>'.encode()
    files = parse_simple_page(page, f"text/html; charset={charset}", "http://h/s/")
    assert [(item.filename, item.sha256) for item in files] == [(HTTP_SDIST, SHA_A)]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'<a href="http://[::1/x-1.0.tar.gz">x</a>', "text/html"),
        (b'<a href="http://[zz]:80/x-1.0.tar.gz">x</a>', "text/html"),
        (
            b'{"meta": {"api-version": "1.0"}, "files": '
            b'[{"url": "http://[zz/x", "filename": "x-1.0.tar.gz", "hashes": {}}]}',
            JSON_TYPE,
        ),
    ],
)
def test_links_that_are_no_url_are_refused(body: bytes, content_type: str) -> None:
    """A link that does not even parse is refused like a file:// one, never a ValueError."""
    with pytest.raises(PublishError, match="not an http"):
        parse_simple_page(body, content_type, "https://h/simple/x/")


def test_hashing_unhashed_files_is_bounded_by_one_deadline() -> None:
    """Thousands of hash-less links, each answered just in time, cannot stretch the read."""
    with running() as server:
        names = [f"minilib-1.0.{number}.tar.gz" for number in range(40)]
        page = "".join(f'<a href="/files/{name}">{name}</a>' for name in names).encode()
        server.routes["/simple/minilib/"] = answer(page, headers={"Content-Type": "text/html"})

        def slow(handler: Handler) -> None:
            """Answer each file after 0.2 s: every request is well within its own deadline."""
            server.stopping.wait(0.2)
            answer(b"sdist bytes")(handler)

        for name in names:
            server.routes[f"/files/{name}"] = slow
        repository = Repository(server.url + "/", server.url + "/simple/", "TWINE_REPOSITORY_URL")
        started = time.monotonic()
        with pytest.raises(PublishError, match="took more than 1.5 s|did not answer completely"):
            read_project_files(repository, "minilib", limits=Limits(deadline=1.5))
        # Unbounded, the 40 answers would take 8 s; the slack is for 2 shared, busy cores.
        assert time.monotonic() - started < 1.5 + 3.0
        assert len(server.seen) < len(names)


@pytest.mark.parametrize(
    ("listed", "outcome"),
    [
        (  # one file, two spellings, two different contents: which one is served is unknown
            {"Tiny_Lib-1.2.3.tar.gz": b"one", "tiny_lib-1.2.3.tar.gz": b"two"},
            "lists Tiny_Lib-1.2.3.tar.gz and tiny_lib-1.2.3.tar.gz with different sha256",
        ),
        (
            {"tiny_lib-1.2.3-py3-none-any.whl": b"a", "Tiny.Lib-1.2.3-py3-none-any.whl": b"b"},
            "with different sha256",
        ),
        (  # the same bytes under two spellings agree: one file
            {"Tiny_Lib-1.2.3.tar.gz": b"one", "tiny-lib-1.2.3.tar.gz": b"one"},
            {"Tiny_Lib-1.2.3.tar.gz": hashlib.sha256(b"one").hexdigest()},
        ),
        (  # 1.2.3.0 is another file than 1.2.3, whatever PEP 440 says of the versions
            {"tiny_lib-1.2.3.tar.gz": b"one", "tiny_lib-1.2.3.0.tar.gz": b"two"},
            {
                "tiny_lib-1.2.3.tar.gz": hashlib.sha256(b"one").hexdigest(),
                "tiny_lib-1.2.3.0.tar.gz": hashlib.sha256(b"two").hexdigest(),
            },
        ),
    ],
)
def test_one_file_listed_under_two_spellings(
    http_index: FakeIndex, listed: dict[str, bytes], outcome: str | dict[str, str]
) -> None:
    """Names are compared as installers do: spellings of one file must agree on the sha256."""
    http_index.list_files("tiny-lib", listed)
    if isinstance(outcome, str):
        with pytest.raises(PublishError, match=outcome):
            read_project_files(http_index.repository(), "tiny-lib")
    else:
        assert read_project_files(http_index.repository(), "tiny-lib") == outcome
