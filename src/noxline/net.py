"""Bounded HTTP: the one client every noxline network call goes through.

Index reads, GitLab API calls and token exchanges all use :func:`request`, which promises:

* ``http``/``https`` only; anything else (``file://``, ``ftp://``, ...) is refused before a socket
  is opened;
* a **total** deadline per request, retries and redirects included, name resolution too: the host
  name is resolved in a thread waited for only until the deadline (a dead name server cannot
  stretch it), and a watchdog closes the socket when it passes, so a server that drips one byte a
  second cannot stretch it either;
* a size cap on the body (``Content-Length`` checked first, the bytes counted while reading);
* redirects followed only within the request's origin (scheme, host, port), at most
  :data:`MAX_REDIRECTS`; a redirect elsewhere is refused (:class:`RedirectError`), so credentials
  never travel across origins;
* :class:`Credentials` name the one origin they belong to and are attached only to requests for
  it; with credentials, plain ``http`` is refused except to a loopback host;
* transient failures (connection refused or reset, HTTP 429/500/502/503/504) retried a bounded
  number of times with exponential backoff, always within the deadline; a request that may not be
  safe to repeat (POST) is retried only when the connection was refused (nothing was sent);
* every failure a :class:`NetError` (a :class:`~noxline.errors.NoxlineError`) with a one-line,
  masked message.

Why not urllib3, httpx or requests: their timeouts bound each socket operation, not the request,
so a dripping server keeps them waiting forever; a total deadline needs the watchdog below, and
``http.client`` (standard library) is what it can wrap without patching another library's internals.
Why the operating system's resolver in a thread rather than a DNS library with a timeout (dnspython,
c-ares): those skip ``/etc/hosts``, nsswitch and the machine's own resolution rules, so a name
could reach another address than every other tool on the machine would; ``getaddrinfo`` cannot be
cancelled, so the thread is left to finish on its own, and requests for the same name share it.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from noxline.errors import NoxlineError
from noxline.masking import MASK, MIN_SECRET_LENGTH, env_secrets, known_secrets, mask

#: Seconds one request may take in all, retries and redirects included.
DEFAULT_DEADLINE = 30.0
#: Largest body read, in bytes (an index page of a project with thousands of files fits).
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
#: Retries after the first attempt of a transient failure.
DEFAULT_RETRIES = 3
#: Seconds before the first retry; doubled each time.
DEFAULT_BACKOFF = 0.5
#: Redirects followed (within the origin) before giving up.
MAX_REDIRECTS = 5

_TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_READ_CHUNK = 64 * 1024
# Whitespace and control characters: urllib silently drops some ("https://h\n.evil/" reads as
# "https://h.evil/") and twine's URL parser may not, so such a URL means two things: refused.
# A backslash too: WHATWG parsers (browsers, some HTTP libraries) read it as "/", urllib as part
# of the host, so "https://evil.example\\.good.example/" would reach two different hosts.
_NOT_IN_URLS = re.compile(r"[\x00-\x20\x7f-\x9f\s\\]")
# A number as HTTP headers write it: ASCII digits only (str.isdigit() also takes "²").
_HEADER_NUMBER = re.compile(r"[0-9]{1,18}")
# Characters a request target keeps as they are (RFC 3986 reserved and unreserved, and "%").
_URL_SAFE = "/%?=&;:@!$'()*+,-._~[]"
#: How much of an error answer is kept (for :attr:`HTTPStatusError.body`).
_ERROR_BODY_BYTES = 64 * 1024


class NetError(NoxlineError):
    """A network request failed; the message names the (masked) URL, the cause and a fix."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        """Keep the masked URL and the HTTP status (None when no answer came)."""
        super().__init__(message)
        self.url = url
        self.status = status


class HTTPStatusError(NetError):
    """The server answered with an error status (after any retries)."""

    def __init__(
        self, message: str, *, url: str = "", status: int | None = None, body: bytes = b""
    ) -> None:
        """Keep the answer's body too: APIs say there why they refused (GitLab, OIDC)."""
        super().__init__(message, url=url, status=status)
        self.body = body


class RedirectError(NetError):
    """The server redirected to another origin (or too often); the redirect was not followed."""

    def __init__(self, message: str, *, url: str, status: int, location: str) -> None:
        """Keep where the redirect pointed (masked)."""
        super().__init__(message, url=url, status=status)
        self.location = location


class DeadlineError(NetError):
    """The request did not complete within its deadline."""


class TooLargeError(NetError):
    """The body was larger than the size cap."""


@dataclass(frozen=True, order=True)
class Origin:
    """Scheme, host and port of a URL: the unit credentials and redirects are confined to."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        """The origin of an ``http(s)`` URL; :class:`NetError` for anything else.

        A URL with whitespace or control characters anywhere is refused too: parsers disagree on
        what it means, so the origin checked here might not be the one a request goes to.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
            host = (parts.hostname or "").lower()
        except ValueError:
            host, port, parts = "", None, urlsplit("")
        scheme = parts.scheme.lower()
        if (
            scheme not in ("http", "https")
            or not host
            or port == 0
            or _NOT_IN_URLS.search(url) is not None
        ):
            raise NetError(
                f"{mask(url)!r} is not an http(s) URL with a host: noxline only talks http and "
                "https (no file://, no relative URLs); fix the URL",
                url=mask(url),
            )
        return cls(scheme, host, port or (443 if scheme == "https" else 80))

    @property
    def is_loopback(self) -> bool:
        """True for localhost and loopback addresses (where plain http cannot be sniffed)."""
        return is_loopback(self.host)

    def __str__(self) -> str:
        """``scheme://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


@dataclass(frozen=True)
class Credentials:
    """One header that authenticates, and the one origin it may ever be sent to."""

    origin: Origin
    header: str
    #: The header's value; never shown (excluded from repr, masked in every message).
    value: str = field(repr=False)
    #: Every form of the secret that could show up in output.
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def basic(cls, url: str, username: str, password: str) -> Credentials:
        """HTTP basic auth for the origin of ``url``."""
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        return cls(Origin.of(url), "Authorization", f"Basic {token}", (password, token))

    @classmethod
    def bearer(cls, url: str, token: str) -> Credentials:
        """A bearer token for the origin of ``url``."""
        return cls(Origin.of(url), "Authorization", f"Bearer {token}", (token,))

    @classmethod
    def token_header(cls, url: str, header: str, token: str) -> Credentials:
        """A token in a header of its own (GitLab's ``JOB-TOKEN``, ``PRIVATE-TOKEN``)."""
        return cls(Origin.of(url), header, token, (token,))

    @classmethod
    def in_body(cls, url: str, secret: str) -> Credentials:
        """A secret the request's body carries (the id token of an OIDC exchange): no header;
        the body is sent to the origin of ``url`` only, over https (http only to loopback)."""
        return cls(Origin.of(url), "", "", (secret,))

    @property
    def in_the_body(self) -> bool:
        """True when the secret travels in the body rather than in a header."""
        return not self.header


@dataclass(frozen=True)
class Limits:
    """How long, how much and how often one request may try."""

    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = DEFAULT_RETRIES
    # Read when a Limits is made, not when this class is: a test suite may shorten the pause.
    backoff: float = field(default_factory=lambda: DEFAULT_BACKOFF)
    #: The setting the deadline comes from (``index-timeout``), named in a deadline's message so
    #: it says what to raise; empty for noxline's own fixed limits.
    setting: str = ""


@dataclass(frozen=True)
class Response:
    """A complete 2xx answer."""

    #: The URL that answered (after same-origin redirects).
    url: str
    status: int
    #: Header names in lower case.
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str:
        """A header's value, empty when absent."""
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        """The body parsed as JSON (:func:`parse_json`); :class:`NetError` when it is not."""
        return parse_json(self.body, self.url, status=self.status)


#: How deeply an answer's JSON may nest: API answers nest a few levels; a hostile one nesting
#: thousands deep would exhaust the stack of whatever walks it.
MAX_JSON_DEPTH = 64


def parse_json(body: bytes, url: str, *, service: str = "", status: int | None = None) -> Any:
    """An answer's body as JSON, checked as every answer from outside is: UTF-8 (RFC 8259; no
    guessing of UTF-16), valid JSON without NaN or Infinity, at most :data:`MAX_JSON_DEPTH` deep
    (its size is capped when it is read). Anything else is one :class:`NetError` line naming the
    server (``service``, else its URL)."""
    shown = mask(url)
    who = f"{service} at {shown}" if service else shown
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        problem = "text that is not UTF-8"
    except (ValueError, RecursionError) as error:
        problem = f"something that is not JSON ({type(error).__name__})"
    else:
        if _depth(data) <= MAX_JSON_DEPTH:
            return data
        problem = f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
    raise NetError(
        f"{who} answered {problem}: check that the URL points at the API it should",
        url=shown,
        status=status,
    )


def _no_constant(name: str) -> Any:
    """Refuse NaN, Infinity and -Infinity, which JSON does not have."""
    raise ValueError(f"{name} is not JSON")


def _depth(data: Any) -> int:
    """How deeply ``data`` (parsed JSON) nests, walked without recursion."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, what: str, with_credentials: bool = False) -> Origin:
    """Refuse ``url`` unless it is ``http(s)`` with a host and no user-info.

    ``what`` names the setting in the message. With ``with_credentials``, plain ``http`` is
    refused unless the host is a loopback one: credentials would cross the network readable.
    """
    try:
        origin = Origin.of(url)
    except NetError:
        raise NetError(
            f"{what} = {mask(url)!r} is not an http(s) URL with a host: set it to a URL such as "
            "https://host/path/",
            url=mask(url),
        ) from None
    # User-info in any shape, or a secret-looking query or fragment value: whatever mask() would
    # hide is a credential in the URL, and URLs get logged.
    if "@" in urlsplit(url).netloc or mask(url) != url:
        raise NetError(
            f"{what} carries credentials inside the URL: remove them from the URL and pass them "
            "in their variables instead (URLs get logged, variables do not)",
            url=mask(url),
        )
    if with_credentials and origin.scheme == "http" and not origin.is_loopback:
        raise NetError(
            f"{what} = {mask(url)} is plain http to another machine, so the credentials would "
            "cross the network unencrypted: use https",
            url=mask(url),
        )
    return origin


def request(  # pylint: disable=too-many-arguments
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    credentials: Credentials | None = None,
    limits: Limits = Limits(),
    idempotent: bool | None = None,
) -> Response:
    """Send one request within ``limits``; return the 2xx answer or raise a :class:`NetError`.

    ``credentials`` are attached only when the URL (and each redirect) is of their origin.
    ``idempotent`` (default: by method) says whether a failure after sending may be retried.
    """
    method = method.upper()
    safe_to_repeat = method in _IDEMPOTENT if idempotent is None else idempotent
    secrets = credentials.secrets if credentials else ()
    shown = mask(url, secrets)
    deadline_at = time.monotonic() + limits.deadline
    _check_target(url, credentials, shown)
    _check_unbound_secrets(url, headers or {}, body, credentials, shown)
    attempt = 0
    while True:
        try:
            return _follow(method, url, headers or {}, body, credentials, limits, deadline_at)
        except _Transient as failure:
            attempt += 1
            retry = attempt <= limits.retries and (safe_to_repeat or failure.nothing_sent)
            pause = min(failure.retry_after or limits.backoff * 2 ** (attempt - 1), 60.0)
            if not retry or time.monotonic() + pause >= deadline_at:
                raise failure.error(attempt) from None
            time.sleep(pause)


def get(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    credentials: Credentials | None = None,
    limits: Limits = Limits(),
) -> Response:
    """``GET url`` (see :func:`request`)."""
    return request("GET", url, headers=headers, credentials=credentials, limits=limits)


# --- name resolution ----------------------------------------------------------------------------

#: One address of a host as :func:`socket.getaddrinfo` gives it: (family, type, protocol,
#: canonical name, socket address).
Address = tuple[int, int, int, str, tuple[Any, ...]]
#: Turns (host, port) into addresses, as :func:`socket.getaddrinfo` does; see :data:`resolver`.
Resolver = Callable[[str, int], Sequence[Address]]


def system_resolver(host: str, port: int) -> Sequence[Address]:
    """The operating system's answer (``/etc/hosts``, DNS, nsswitch), as urllib would get it."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


#: The one seam for name resolution: every request resolves its host with this, in a thread it
#: waits for only until the request's deadline. noxline never changes it; tests put a resolver
#: here that hangs as a dead name server does (``monkeypatch.setattr(net, "resolver", ...)``).
resolver: Resolver = system_resolver  # pylint: disable=invalid-name

# Resolutions still running, by (id of the resolver, host, port): a request for a name already
# being resolved waits for that one instead of starting another thread, so a hanging name server
# costs one thread per name, however often publish polls the index. (The id, not the resolver:
# it need not be hashable; the lookup holds it, so the id stays its own while it is listed.)
_LOOKUPS: dict[tuple[int, str, int], _Lookup] = {}
_LOOKUPS_LOCK = threading.Lock()


class _Lookup:
    """One resolution in a daemon thread (``getaddrinfo`` cannot be cancelled, only left)."""

    def __init__(self, resolve: Resolver, host: str, port: int) -> None:
        """Start resolving; call with ``_LOOKUPS_LOCK`` held, after listing it under its key."""
        self.resolve, self.host, self.port = resolve, host, port
        self.done = threading.Event()
        self.addresses: Sequence[Address] = ()
        self.error: OSError | None = None
        threading.Thread(target=self._run, name=f"resolve {host}", daemon=True).start()

    @property
    def key(self) -> tuple[int, str, int]:
        """Where it is listed in ``_LOOKUPS`` while it runs."""
        return (id(self.resolve), self.host, self.port)

    def _run(self) -> None:
        """Resolve, keep the answer or the error, and leave the table of running resolutions."""
        try:
            self.addresses = self.resolve(self.host, self.port)
        except OSError as error:
            self.error = error
        except UnicodeError:  # a label IDNA cannot encode (empty, over 63 characters)
            self.error = socket.gaierror(socket.EAI_NONAME, "not a valid host name")
        finally:
            with _LOOKUPS_LOCK:
                _LOOKUPS.pop(self.key, None)
            self.done.set()


def _resolve(host: str, port: int, timeout: float) -> Sequence[Address] | None:
    """The addresses of ``host``, or None when they are not known within ``timeout`` seconds.

    Resolution errors (no such name) are raised as the resolver raised them.
    """
    resolve = resolver
    with _LOOKUPS_LOCK:
        lookup = _LOOKUPS.get((id(resolve), host, port))
        if lookup is None:
            lookup = _Lookup(resolve, host, port)
            _LOOKUPS[lookup.key] = lookup
    if not lookup.done.wait(max(timeout, 0.0)):
        return None
    if lookup.error is not None:
        raise lookup.error
    return lookup.addresses


def _connect(origin: Origin, deadline_at: float, limits: Limits, shown: str) -> socket.socket:
    """A TCP connection to ``origin`` made before ``deadline_at``, name resolution included.

    Each address is tried in the resolver's order (``localhost`` may be ``::1`` first while the
    server listens on 127.0.0.1), each with what is left of the deadline.
    """
    addresses = _resolve(origin.host, origin.port, deadline_at - time.monotonic())
    if addresses is None:
        raise _deadline(shown, limits, resolving=origin.host)
    failure: OSError = socket.gaierror(socket.EAI_NONAME, "no address")
    for family, kind, protocol, _, address in addresses:
        remaining = deadline_at - time.monotonic()
        if remaining <= 0:
            raise _deadline(shown, limits)
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(remaining)
            sock.connect(address)
        except OSError as error:
            sock.close()
            failure = error
            continue
        # As http.client does: the request goes out without waiting for Nagle's algorithm.
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        return sock
    raise failure


# --- one attempt --------------------------------------------------------------------------------


class _Transient(Exception):
    """A failure worth retrying; :meth:`error` is what to raise when no retry is left."""

    def __init__(
        self, make: Any, *, nothing_sent: bool = False, retry_after: float | None = None
    ) -> None:
        """``make(attempts)`` builds the final NetError."""
        super().__init__()
        self.error = make
        self.nothing_sent = nothing_sent
        self.retry_after = retry_after


def _check_target(url: str, credentials: Credentials | None, shown: str) -> None:
    """Refuse a non-http(s) URL, plain http with credentials to another machine, and a body
    carrying a secret to any origin but its own."""
    origin = Origin.of(url)
    if credentials is None:
        return
    if credentials.in_the_body and credentials.origin != origin:
        raise NetError(
            f"refusing to send a secret in the body of a request to {shown}: it is bound to "
            f"{credentials.origin}; check the URL",
            url=shown,
        )
    if credentials.origin == origin and origin.scheme == "http" and not origin.is_loopback:
        raise NetError(
            f"refusing to send credentials to {shown} over plain http (readable on the way): "
            "use the https URL of that server",
            url=shown,
        )


def _check_unbound_secrets(
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    credentials: Credentials | None,
    shown: str,
) -> None:
    """Refuse a request whose URL, headers or body carry a secret (of the environment, or one
    noxline obtained) that no :class:`Credentials` binds to this request's origin: whatever
    code builds a request, a secret leaves only as credentials, under their origin and https
    rules. Secrets shorter than :data:`~noxline.masking.MIN_SECRET_LENGTH` are not looked for
    (a flag such as ``true`` would match every JSON body)."""
    bound = set(credentials.secrets) if credentials else set()
    carried = b"\n".join(
        [url.encode("utf-8", "surrogatepass"), *_header_bytes(headers), body or b""]
    )
    for secret in known_secrets():
        if len(secret) < MIN_SECRET_LENGTH or secret in bound:
            continue
        if secret.encode("utf-8", "surrogatepass") in carried:
            raise NetError(
                f"refusing a request to {shown} that carries a secret of the environment in its "
                "URL, headers or body without binding it to that origin (net.Credentials): a "
                "secret leaves noxline only as credentials for one https origin",
                url=shown,
            )


def _header_bytes(headers: Mapping[str, str]) -> list[bytes]:
    """Header names and values as bytes, for :func:`_check_unbound_secrets`."""
    return [f"{name}: {value}".encode("utf-8", "surrogatepass") for name, value in headers.items()]


def _follow(  # pylint: disable=too-many-arguments,too-many-positional-arguments,too-many-locals
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    credentials: Credentials | None,
    limits: Limits,
    deadline_at: float,
) -> Response:
    """One attempt: send, follow same-origin redirects, read the body."""
    secrets = credentials.secrets if credentials else ()
    start = url
    for _ in range(MAX_REDIRECTS + 1):
        sent = dict(headers)
        if credentials is not None and credentials.origin != Origin.of(url):
            if credentials.in_the_body:  # a same-origin redirect only; checked again anyway
                raise NetError(f"refusing to send a secret in a body to {mask(url, secrets)}")
        elif credentials is not None and credentials.header:
            sent[credentials.header] = credentials.value
        status, reply_headers, reply = _exchange(method, url, sent, body, limits, deadline_at)
        shown = mask(url, secrets)
        if status in (301, 302, 303, 307, 308):
            location = reply_headers.get("location", "")
            target = _joined(url, location)
            if not location or _origin_or_none(target) != Origin.of(url):
                where = mask(target or repr(location[:200]), secrets) if location else "nowhere"
                raise RedirectError(
                    f"{shown} redirected (HTTP {status}) to {where}, another origin: noxline "
                    "follows redirects only within one scheme, host and port, so credentials "
                    "stay with their server; use the final URL directly",
                    url=shown,
                    status=status,
                    location=where,
                )
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = "GET", None
            url = target
            continue
        if status in _TRANSIENT_STATUSES:
            raise _Transient(
                lambda attempts, status=status, shown=shown: HTTPStatusError(
                    f"{shown} answered HTTP {status} ({_tries(attempts)}): the server is failing "
                    "or overloaded; try again later or check its health",
                    url=shown,
                    status=status,
                ),
                retry_after=_retry_after(reply_headers),
            )
        if status >= 300:
            raise HTTPStatusError(
                f"{shown} answered HTTP {status}: {_status_fix(status)}",
                url=shown,
                status=status,
                body=reply,
            )
        return Response(url, status, reply_headers, reply)
    raise RedirectError(
        f"{mask(start, secrets)} redirected more than {MAX_REDIRECTS} times: use the final URL "
        "directly",
        url=mask(start, secrets),
        status=0,
        location=mask(url, secrets),
    )


def _exchange(  # pylint: disable=too-many-arguments,too-many-positional-arguments,too-many-locals
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    limits: Limits,
    deadline_at: float,
) -> tuple[int, dict[str, str], bytes]:
    """Send one request and read its answer, all before ``deadline_at`` (or DeadlineError)."""
    origin = Origin.of(url)
    shown = mask(url)
    remaining = deadline_at - time.monotonic()
    if remaining <= 0:
        raise _deadline(shown, limits)
    parts = urlsplit(url)
    try:
        # Non-ASCII (an index may link "é.tar.gz") percent-encoded: the request line is ASCII.
        target = quote(
            (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_URL_SAFE
        )
    except UnicodeEncodeError:  # a lone surrogate: no URL can carry it
        raise NetError(
            f"{shown!r} holds characters no URL can carry: fix the URL (or the index that "
            "lists it)",
            url=shown,
        ) from None
    context = ssl.create_default_context() if origin.scheme == "https" else None
    connection: http.client.HTTPConnection
    if context is not None:
        connection = http.client.HTTPSConnection(
            origin.host, origin.port, timeout=remaining, context=context
        )
    else:
        connection = http.client.HTTPConnection(origin.host, origin.port, timeout=remaining)
    expired = threading.Event()

    def abort() -> None:
        """Deadline passed: close the socket under whatever read or write is blocking on it."""
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(remaining, abort)
    watchdog.daemon = True
    watchdog.start()
    nothing_sent = True
    response: http.client.HTTPResponse | None = None
    try:
        # Not connection.connect(): http.client would resolve the name there, out of the
        # deadline's reach. It sends over a socket it is given (its Host header still names
        # origin.host).
        connection.sock = _connect(origin, deadline_at, limits, shown)
        if context is not None:
            # SNI and the certificate check name the URL's host, never the address reached.
            connection.sock = context.wrap_socket(connection.sock, server_hostname=origin.host)
        nothing_sent = False
        connection.request(
            method,
            target,
            body=body,
            headers={"User-Agent": "noxline", "Accept-Encoding": "identity", **headers},
        )
        response = connection.getresponse()
        reply_headers = {name.lower(): value for name, value in response.getheaders()}
        reply = _reply_body(response, limits, shown)
        # The watchdog's shutdown can look like a clean end of the answer: a cut answer is none.
        if expired.is_set():
            raise _deadline(shown, limits)
        return response.status, reply_headers, reply
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set() or isinstance(error, TimeoutError):
            raise _deadline(shown, limits) from None
        raise _connection_failure(error, shown, nothing_sent) from None
    finally:
        watchdog.cancel()
        if response is not None:  # it owns the socket once the server said it will close
            response.close()
        connection.close()


def _reply_body(response: http.client.HTTPResponse, limits: Limits, shown: str) -> bytes:
    """What is worth reading of an answer: nothing of a redirect, the start of an error."""
    if response.status in (301, 302, 303, 307, 308):
        return b""  # a redirect's page is not worth reading
    if response.status >= 400:
        # The start of an error answer only, never refused for its size: APIs say there why
        # they refused (GitLab's message, an OIDC exchange's errors); HTTPStatusError.body.
        return response.read(_ERROR_BODY_BYTES)
    return _read_capped(response, limits, shown)


def _read_capped(response: http.client.HTTPResponse, limits: Limits, shown: str) -> bytes:
    """The body, refused when it announces or turns out larger than the cap."""
    declared = response.getheader("Content-Length", "")
    if _HEADER_NUMBER.fullmatch(declared.strip()) and int(declared) > limits.max_bytes:
        raise _too_large(shown, limits)
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_READ_CHUNK):
        size += len(chunk)
        if size > limits.max_bytes:
            raise _too_large(shown, limits)
        chunks.append(chunk)
    return b"".join(chunks)


def _connection_failure(error: BaseException, shown: str, nothing_sent: bool) -> _Transient:
    """Connection-level failures are transient; name the cause without any secret."""
    if isinstance(error, ssl.SSLError):
        cause = f"TLS failed: {error.reason or type(error).__name__}"
    elif isinstance(error, socket.gaierror):
        cause = "the host name does not resolve"
    elif isinstance(error, ConnectionRefusedError):
        cause = "connection refused"
    elif isinstance(error, (ConnectionResetError, http.client.RemoteDisconnected)):
        cause = "the server closed the connection"
    else:
        cause = type(error).__name__
    refused = nothing_sent or isinstance(error, ConnectionRefusedError)
    return _Transient(
        lambda attempts: NetError(
            f"cannot reach {shown} ({cause}, {_tries(attempts)}): check the URL and that the "
            "server is up",
            url=shown,
        ),
        nothing_sent=refused,
    )


def _deadline(shown: str, limits: Limits, *, resolving: str = "") -> DeadlineError:
    """The error for a request past its deadline; ``resolving`` names a host still unresolved."""
    within = f"{limits.deadline:.3g} s" + (f" ({limits.setting})" if limits.setting else "")
    more = f", or raise {limits.setting} in [tool.noxline]" if limits.setting else ""
    if resolving:
        return DeadlineError(
            f"the host name {resolving} (of {shown}) did not resolve within {within}: the name "
            f"server hangs or cannot be reached; check the machine's DNS settings{more}",
            url=shown,
        )
    return DeadlineError(
        f"{shown} did not answer completely within {within}: the server hangs or is too slow; "
        f"check its health{more}",
        url=shown,
    )


def _too_large(shown: str, limits: Limits) -> TooLargeError:
    """The error for a body over the cap."""
    return TooLargeError(
        f"{shown} answered more than {limits.max_bytes} bytes, the cap for one answer: check "
        "that the URL points at the right service",
        url=shown,
    )


def _joined(base: str, reference: str) -> str:
    """``reference`` resolved against ``base``; empty when it is no URL at all ("http://[::1")."""
    try:
        return urljoin(base, reference)
    except ValueError:
        return ""


def _origin_or_none(url: str) -> Origin | None:
    """The origin of ``url``, None when it is not http(s)."""
    try:
        return Origin.of(url)
    except NetError:
        return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """A numeric ``Retry-After`` in seconds, None otherwise."""
    value = headers.get("retry-after", "").strip()
    return float(value) if _HEADER_NUMBER.fullmatch(value) else None


def _tries(attempts: int) -> str:
    """'1 attempt' or 'N attempts'."""
    return "1 attempt" if attempts == 1 else f"{attempts} attempts"


def _status_fix(status: int) -> str:
    """What to check for an HTTP error status."""
    if status in (401, 403):
        return "the credentials are missing, wrong or lack the rights for this"
    if status in (404, 410):
        return "there is nothing at this URL; check it"
    return "see the server's documentation for this status"


__all__ = [
    "Address",
    "Credentials",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BYTES",
    "DeadlineError",
    "HTTPStatusError",
    "Limits",
    "MASK",
    "NetError",
    "Origin",
    "RedirectError",
    "Resolver",
    "Response",
    "TooLargeError",
    "check_url",
    "env_secrets",
    "get",
    "is_loopback",
    "mask",
    "parse_json",
    "request",
    "resolver",
    "system_resolver",
]
