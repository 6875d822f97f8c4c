"""Tests for noxline.net against real, misbehaving HTTP servers on 127.0.0.1.

Every test is bounded by the client's own deadline (a second or two); the assertions check the
outcome (answer or error kind), what the server received (headers, credentials) and the time taken.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from noxline import net
from noxline.errors import NoxlineError
from tests.unit._hostile_server import (
    Route,
    Server,
    answer,
    drip,
    drop,
    endless,
    hang,
    redirect,
    running,
    sequence,
)

FAST = net.Limits(deadline=1.5, max_bytes=1000, retries=2, backoff=0.05)


@pytest.fixture(name="server")
def fixture_server() -> Iterator[Server]:
    """A hostile server on 127.0.0.1."""
    with running() as server:
        yield server


@pytest.fixture(name="other")
def fixture_other() -> Iterator[Server]:
    """A second server: another origin (another port)."""
    with running() as server:
        yield server


def test_ok_answer_and_headers(server: Server) -> None:
    """A plain 200 comes back with its body and lower-case headers."""
    server.routes["/a"] = answer(b'{"x": 1}', headers={"Content-Type": "application/json"})
    response = net.get(server.url + "/a", limits=FAST)
    assert (response.status, response.body, response.json()) == (200, b'{"x": 1}', {"x": 1})
    assert response.header("Content-Type") == "application/json"


@pytest.mark.parametrize(
    ("route", "error"),
    [
        (drip(0.1), net.DeadlineError),
        (drip(0.1, in_headers=True), net.DeadlineError),
        (hang, net.DeadlineError),
        (endless, net.TooLargeError),
        (answer(b"x" * 1001), net.TooLargeError),
    ],
    ids=["drip-body", "drip-headers", "hang", "endless-body", "over-cap"],
)
def test_bounded_in_time_and_size(server: Server, route: Route, error: type) -> None:
    """Drips, hangs and huge bodies end with their error within the deadline."""
    server.routes["/x"] = route
    started = time.monotonic()
    with pytest.raises(error) as raised:
        net.get(server.url + "/x", limits=FAST)
    assert time.monotonic() - started < FAST.deadline + 1.0
    assert isinstance(raised.value, NoxlineError) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("answers", "expected_status", "requests"),
    [
        ((answer(b"", 503), answer(b"ok")), 200, 2),
        ((answer(b"", 429), answer(b"", 502), answer(b"ok")), 200, 3),
        ((drop, answer(b"ok")), 200, 2),
        ((answer(b"", 500),), 500, 3),  # the first try and 2 retries, then the error
        ((answer(b"", 404),), 404, 1),  # not transient: no retry
    ],
    ids=["503-then-ok", "429-502-ok", "reset-then-ok", "500-forever", "404-no-retry"],
)
def test_retries_transient_failures(
    server: Server, answers: tuple[Route, ...], expected_status: int, requests: int
) -> None:
    """Transient failures are retried a bounded number of times; others are not."""
    server.routes["/r"] = sequence(*answers)
    if expected_status == 200:
        assert net.get(server.url + "/r", limits=FAST).body == b"ok"
    else:
        with pytest.raises(net.HTTPStatusError) as raised:
            net.get(server.url + "/r", limits=FAST)
        assert raised.value.status == expected_status
    assert len(server.seen) == requests


def test_post_not_repeated_after_sending(server: Server) -> None:
    """A POST that reached the server is not sent twice on a 502."""
    server.routes["/p"] = sequence(answer(b"", 502), answer(b"ok"))
    with pytest.raises(net.HTTPStatusError):
        net.request("POST", server.url + "/p", body=b"{}", limits=FAST)
    assert [item.method for item in server.seen] == ["POST"]


def test_connection_refused_is_retried_then_named() -> None:
    """A port nobody listens on: bounded retries, then one line naming the cause."""
    with running() as gone:
        url = gone.url + "/x"
    started = time.monotonic()
    with pytest.raises(net.NetError, match="connection refused, 3 attempts"):
        net.get(url, limits=FAST)
    assert time.monotonic() - started < FAST.deadline


def test_credentials_only_to_their_origin(server: Server, other: Server) -> None:
    """Same-origin redirects carry credentials; a redirect to another origin is refused."""
    credentials = net.Credentials.basic(server.url, "user", "pw")
    server.routes["/start"] = redirect("/final")
    server.routes["/final"] = answer(b"done")
    assert net.get(server.url + "/start", credentials=credentials, limits=FAST).body == b"done"
    assert all(header and header.startswith("Basic ") for header in server.auth_seen())

    server.routes["/away"] = redirect(other.url + "/steal")
    with pytest.raises(net.RedirectError) as raised:
        net.get(server.url + "/away", credentials=credentials, limits=FAST)
    assert raised.value.status == 302 and other.seen == []
    # Credentials for one origin are never sent to another, even when asked directly.
    other.routes["/direct"] = answer(b"x")
    net.get(other.url + "/direct", credentials=credentials, limits=FAST)
    assert other.auth_seen() == [None]


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "http://169.254.169.254/latest/"],
)
def test_redirect_off_origin_refused(server: Server, location: str) -> None:
    """Redirects to another scheme or host are never followed."""
    server.routes["/r"] = redirect(location, 301)
    with pytest.raises(net.RedirectError):
        net.get(server.url + "/r", limits=FAST)
    assert len(server.seen) == 1


def test_redirect_loop_bounded(server: Server) -> None:
    """A redirect loop ends after MAX_REDIRECTS hops."""
    server.routes["/loop"] = redirect("/loop")
    with pytest.raises(net.RedirectError, match="more than"):
        net.get(server.url + "/loop", limits=FAST)
    assert len(server.seen) == net.MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    "url",
    ["file:///etc/shadow", "ftp://host/x", "https:/user:pass@host/", "//host/x", "http://"],
)
def test_only_http_urls(url: str) -> None:
    """Anything but http(s) with a host is refused before a socket opens, masked."""
    with pytest.raises(net.NetError) as raised:
        net.get(url, limits=FAST)
    assert "pass" not in str(raised.value)


def test_credentials_refused_over_plain_http_to_another_machine() -> None:
    """Credentials over plain http leave loopback only never: refused before connecting."""
    credentials = net.Credentials.bearer("http://index.example.com/", "tok-123")
    with pytest.raises(net.NetError, match="plain http") as raised:
        net.get("http://index.example.com/simple/", credentials=credentials, limits=FAST)
    assert "tok-123" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "with_credentials", "accepted"),
    [
        ("https://host/path/", True, True),
        ("http://127.0.0.1:8080/", True, True),
        ("http://localhost/", True, True),
        ("http://host/", False, True),
        ("http://host/", True, False),
        ("https://u:p@host/", False, False),
        ("https:/u:p@host/", False, False),
        ("file:///x", False, False),
        ("https://host:99999/", False, False),
    ],
)
def test_check_url(url: str, with_credentials: bool, accepted: bool) -> None:
    """Settings URLs: http(s), a host, no user-info, https for credentials off loopback."""
    if accepted:
        assert net.check_url(url, what="k", with_credentials=with_credentials).host
    else:
        with pytest.raises(net.NetError) as raised:
            net.check_url(url, what="k", with_credentials=with_credentials)
        assert ":p@" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "secrets", "hidden"),
    [
        ("https://user:pass@host/x", (), "user:pass"),
        ("https:/user:pass@host/x", (), "user:pass"),
        ("https://u:p@ss@host/", (), "p@ss"),
        ("see user:hunter2@host", (), "hunter2"),
        ("https://h/x?private_token=abc123&y=1", (), "abc123"),
        ("token is s%2Fcr3t", ("s/cr3t",), "s%2Fcr3t"),
        ("Basic dTpw", ("dTpw",), "dTpw"),
    ],
)
def test_mask(text: str, secrets: tuple[str, ...], hidden: str) -> None:
    """User-info of any URL shape, secret query values and named secrets are masked."""
    masked = net.mask(text, secrets)
    assert hidden not in masked and net.MASK in masked


def test_bad_json_is_one_clear_error(server: Server) -> None:
    """A body that is not JSON raises NetError, not ValueError."""
    server.routes["/j"] = answer(b"[" * 100_000)
    with pytest.raises(net.NetError, match="did not answer JSON"):
        net.get(server.url + "/j", limits=net.Limits(deadline=2)).json()


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        (b'{"message": "403 Forbidden"}', b'{"message": "403 Forbidden"}'),
        # Larger than the size cap: the error is still the status, with the start of the body.
        (b"x" * 70_000, b"x" * 65_536),
    ],
)
def test_an_error_answer_keeps_the_start_of_its_body(
    server: Server, body: bytes, kept: bytes
) -> None:
    """APIs explain a refusal in the body: HTTPStatusError carries it, never past 64 KiB."""
    server.routes["/refused"] = answer(body, 422)
    with pytest.raises(net.HTTPStatusError) as caught:
        net.get(server.url + "/refused", limits=FAST)
    assert caught.value.status == 422
    assert caught.value.body == kept
