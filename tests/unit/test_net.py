"""Tests for noxline.net against real, misbehaving HTTP servers on 127.0.0.1.

Every test is bounded by the client's own deadline (a second or two); the assertions check the
outcome (answer or error kind), what the server received (headers, credentials) and the time taken.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme

from noxline import net
from noxline.errors import NoxlineError
from tests.unit._hostile_server import (
    FakeResolver,
    Handler,
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

#: Mostly waiting on deadlines and slow servers: run first among the single tests, beside the last
#: groups' runs, not at the end (tests/e2e/conftest.py orders the run).
pytestmark = pytest.mark.waits

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
    assert time.monotonic() - started < FAST.deadline + 3.0  # slack for 2 shared cores
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
    assert time.monotonic() - started < FAST.deadline + 3.0


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
        ("https://user:pa55%40host/x", (), "pa55"),
        ("cannot parse https://u:tok3n%40h:443/", (), "tok3n"),
        ("https://h/#access_token=frag-secret", (), "frag-secret"),
    ],
)
def test_mask(text: str, secrets: tuple[str, ...], hidden: str) -> None:
    """User-info of any URL shape, secret query values and named secrets are masked."""
    masked = net.mask(text, secrets)
    assert hidden not in masked and net.MASK in masked


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[" * 100_000, "not JSON"),
        (b"[" * 65 + b"]" * 65, "nested more than 64 levels"),
        (b'{"a": ' * 70 + b"1" + b"}" * 70, "nested more than 64 levels"),
        (b'{"token": "\xff\xfe"}', "not UTF-8"),
        ('{"a": 1}'.encode("utf-16"), "not UTF-8"),
        (b'{"a": NaN}', "not JSON"),
        (b'{"a": -Infinity}', "not JSON"),
        (b"1" * 5000, "not JSON"),
        (b"<html>error</html>", "not JSON"),
    ],
    ids=[
        "unclosed",
        "deep-lists",
        "deep-objects",
        "latin1",
        "utf16",
        "nan",
        "inf",
        "huge-int",
        "html",
    ],
)
def test_bad_json_is_one_clear_error(server: Server, body: bytes, problem: str) -> None:
    """An answer that is not UTF-8 JSON of bounded depth is one NetError line naming the
    server, never a ValueError or RecursionError (nor a structure that breaks what walks it)."""
    server.routes["/j"] = answer(body)
    with pytest.raises(net.NetError, match=problem) as caught:
        net.get(server.url + "/j", limits=net.Limits(deadline=2)).json()
    assert server.url in str(caught.value) and "\n" not in str(caught.value)


def test_json_nested_to_the_limit_is_read(server: Server) -> None:
    """64 levels are an answer: the limit refuses only what no API answers."""
    server.routes["/j"] = answer(b"[" * 64 + b"]" * 64)
    assert net.get(server.url + "/j", limits=net.Limits(deadline=2)).json() is not None


# --- attacks that once got through (found by trying other inputs of the same classes) -----------


@pytest.mark.parametrize(
    "url",
    [
        "https://h\n.evil.example/",  # urllib drops the newline: h.evil.example, not h
        "https://host/\tsimple/",
        "https:// host/",
        "https://exa\x00mple.com/",
        "https://host/\u2028x",
        "https://host\r\nX-Injected: 1/",
    ],
)
def test_urls_with_whitespace_or_control_characters_are_refused(url: str) -> None:
    """Parsers disagree on such URLs, so the origin checked might not be the one reached."""
    with pytest.raises(net.NetError, match="not an http"):
        net.get(url, limits=FAST)
    with pytest.raises(net.NetError):
        net.check_url(url, what="k")


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://host/simple/?password=hunter22", "hunter22"),
        ("https://host/simple/?x=1&private_token=glpat-abc", "glpat-abc"),
        ("https://host/simple/#access_token=tok-frag", "tok-frag"),
        ("https://user:pa55word%40host/", "pa55word"),
        ("https://user%40x:pa55word@host/", "pa55word"),
    ],
)
def test_credentials_anywhere_in_a_setting_url_are_refused_unshown(url: str, secret: str) -> None:
    """A URL setting that carries credentials (user-info, query, fragment) is refused, masked."""
    with pytest.raises(net.NetError) as raised:
        net.check_url(url, what="k")
    assert secret not in str(raised.value) and secret not in raised.value.url


@pytest.mark.parametrize(
    "location", ["http://[::1", "http://[zz]:80/", "//[", "http://host:99999/"]
)
def test_redirect_to_no_url_at_all_is_a_clear_error(server: Server, location: str) -> None:
    """A Location that does not parse is a refused redirect, never a ValueError."""
    server.routes["/r"] = redirect(location, 307)
    with pytest.raises(net.RedirectError, match="another origin"):
        net.get(server.url + "/r", limits=FAST)


def _raw_answer(status: int, headers: list[tuple[str, str]], body: bytes = b"ok") -> Route:
    """A route that writes exactly ``headers`` (no Content-Length of its own) and closes."""

    def route(handler: Handler) -> None:
        """Send the status, the headers as given, the body; then close."""
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)
        handler.close_connection = True

    return route


@pytest.mark.parametrize(
    ("headers", "status", "outcome"),
    [
        # "²" is a digit to str.isdigit() but not to int(): once a traceback.
        ([("Content-Length", "\u00b2")], 200, b"ok"),
        ([("Content-Length", "1\u00b3")], 200, b"ok"),
        ([("Retry-After", "\u00b2")], 503, net.HTTPStatusError),
        ([("Retry-After", "99999999999999999999999")], 503, net.HTTPStatusError),
    ],
)
def test_hostile_header_numbers(
    server: Server, headers: list[tuple[str, str]], status: int, outcome: bytes | type
) -> None:
    """Header numbers in odd digits are ignored, never a crash; the deadline still holds."""
    server.routes["/h"] = _raw_answer(status, headers)
    started = time.monotonic()
    if isinstance(outcome, bytes):
        assert net.get(server.url + "/h", limits=FAST).body == outcome
    else:
        with pytest.raises(outcome):
            net.get(server.url + "/h", limits=FAST)
    assert time.monotonic() - started < FAST.deadline + 3.0  # slack for 2 shared, busy cores


def test_non_ascii_paths_are_percent_encoded(server: Server) -> None:
    """An index may link a file with a non-ASCII name: it is requested percent-encoded."""
    server.routes["/caf%C3%A9-1.0.tar.gz"] = answer(b"x")
    assert net.get(server.url + "/caf\u00e9-1.0.tar.gz", limits=FAST).body == b"x"


def test_a_lone_surrogate_in_a_url_is_a_clear_error(server: Server) -> None:
    """No URL can carry a lone surrogate (odd JSON can): a NetError, nothing sent."""
    with pytest.raises(net.NetError, match="no URL can carry"):
        net.get(server.url + "/x\ud800", limits=FAST)
    assert not server.seen


@pytest.mark.parametrize(
    "text",
    [
        "https://host:8443/simple/",
        "http://[::1]:8080/x",
        "http://127.0.0.1:5000/",
        "see https://h:443 and C:\\path:x",
        "https://host/a:b/c",
    ],
)
def test_mask_leaves_ports_and_paths_alone(text: str) -> None:
    """Masking malformed user-info does not mangle ordinary URLs."""
    assert net.mask(text) == text


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


# --- name resolution inside the deadline --------------------------------------------------------

ONE_SECOND = net.Limits(deadline=1.0, retries=2, backoff=0.05)
DEAD = 60.0  # a resolver delay longer than any test: a name server that does not answer


@pytest.fixture(name="dns")
def fixture_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResolver]:
    """The test's own name resolution in place of the machine's; released when the test ends."""
    resolver = FakeResolver(names={"index.test": "127.0.0.1"})
    monkeypatch.setattr(net, "resolver", resolver)
    yield resolver
    resolver.released.set()


def _port(server: Server) -> int:
    """The port ``server`` listens on."""
    port = urlsplit(server.url).port
    assert port is not None
    return port


RESOLUTION = {  # host, resolver delay, limits, scheme → the error (None: answered), its words
    "dead-name-server": (
        "index.test",
        DEAD,
        ONE_SECOND,
        "http",
        net.DeadlineError,
        "the host name index.test (of http://index.test:{port}/x) did not resolve within 1 s: the "
        "name server hangs or cannot be reached; check the machine's DNS settings",
    ),
    "dead-name-server-https": (
        "index.test",
        DEAD,
        ONE_SECOND,
        "https",
        net.DeadlineError,
        "the host name index.test (of https://index.test:{port}/x) did not resolve within 1 s",
    ),
    "dead-name-server-names-the-setting": (
        "index.test",
        DEAD,
        replace(ONE_SECOND, setting="index-timeout"),
        "http",
        net.DeadlineError,
        "did not resolve within 1 s (index-timeout): the name server hangs or cannot be reached; "
        "check the machine's DNS settings, or raise index-timeout in [tool.noxline]",
    ),
    "unknown-name": (
        "nowhere.test",
        0.0,
        ONE_SECOND,
        "http",
        net.NetError,
        "cannot reach http://nowhere.test:{port}/x (the host name does not resolve, 3 attempts)",
    ),
    "slow-but-in-time": ("index.test", 0.3, ONE_SECOND, "http", None, ""),
}


@pytest.mark.parametrize(
    ("host", "delay", "limits", "scheme", "error", "words"),
    RESOLUTION.values(),
    ids=RESOLUTION.keys(),
)
def test_name_resolution_is_inside_the_deadline(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    dns: FakeResolver,
    server: Server,
    host: str,
    delay: float,
    limits: net.Limits,
    scheme: str,
    error: type[net.NetError] | None,
    words: str,
) -> None:
    """A name server that hangs ends the request at its deadline, with one line naming the host
    and the setting; a slow one that answers in time still reaches the server by the name."""
    dns.delay = delay
    server.routes["/x"] = answer(b"ok")
    url = f"{scheme}://{host}:{_port(server)}/x"
    started = time.monotonic()
    if error is None:
        assert net.get(url, limits=limits).body == b"ok"
        assert server.seen[0].headers["Host"] == f"{host}:{_port(server)}"
    else:
        with pytest.raises(error) as raised:
            net.get(url, limits=limits)
        assert type(raised.value) is error  # pylint: disable=unidiomatic-typecheck
        assert words.format(port=_port(server)) in str(raised.value)
        assert "\n" not in str(raised.value) and not server.seen
    assert time.monotonic() - started < limits.deadline + 3.0  # slack for 2 shared, busy cores


def test_a_hanging_name_costs_one_resolution(dns: FakeResolver, server: Server) -> None:
    """Requests for a name whose resolution hangs wait for the one already running: however
    often publish polls, a dead name server holds one thread per name, not one per request."""
    dns.delay = DEAD
    for _ in range(3):
        with pytest.raises(net.DeadlineError):
            net.get(f"http://index.test:{_port(server)}/x", limits=net.Limits(deadline=0.3))
    assert dns.asked == ["index.test"]


def test_localhost_resolves_with_the_machines_resolver(server: Server) -> None:
    """Real resolution still works: localhost reaches a server on 127.0.0.1 (trying ::1 first
    where the machine lists it, refused there), and the Host header names localhost."""
    assert net.resolver is net.system_resolver
    server.routes["/a"] = answer(b"ok")
    assert net.get(f"http://localhost:{_port(server)}/a", limits=ONE_SECOND).body == b"ok"
    assert [item.headers["Host"] for item in server.seen] == [f"localhost:{_port(server)}"]


TLS = {  # the certificate's name, is its CA trusted, the URL's host → TLS failure expected
    "name-matches": ("index.test", True, "index.test", False),
    "certificate-for-another-name": ("other.test", True, "index.test", True),
    "untrusted-ca": ("index.test", False, "index.test", True),
    "address-is-not-the-name": ("index.test", True, "127.0.0.1", True),
}


@pytest.mark.parametrize(("certified", "trusted", "host", "fails"), TLS.values(), ids=TLS.keys())
def test_https_checks_the_url_host_not_the_address(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    dns: FakeResolver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    certified: str,
    trusted: bool,
    host: str,
    fails: bool,
) -> None:
    """Connecting to the resolved address keeps TLS as it was: SNI names the URL's host, the
    certificate must be for that name and from a trusted CA, whatever address was reached."""
    dns.names["127.0.0.1"] = "127.0.0.1"  # and index.test is 127.0.0.1 too
    authority, stranger = trustme.CA(), trustme.CA()
    (authority if trusted else stranger).cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # the client's only CA
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert(certified).configure_cert(context)
    names: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    with running(tls=context) as server:
        server.routes["/x"] = answer(b"ok")
        url = f"https://{host}:{_port(server)}/x"
        if fails:
            with pytest.raises(net.NetError, match="TLS failed"):
                net.get(url, limits=ONE_SECOND)
            assert not server.seen
        else:
            assert net.get(url, limits=ONE_SECOND).body == b"ok"
            assert names == [host]
