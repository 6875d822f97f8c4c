"""Real HTTP servers on 127.0.0.1 that misbehave on purpose, for the fault-injection tests.

Each route is a function of the request handler, so a test can answer normally, drip bytes, hang,
redirect anywhere, lie about sizes or drop the connection. Every request's method, path and
headers are recorded. Servers run in a thread on a free port and are stopped by the context
manager; a hanging route waits on an event that shutdown sets, so no test outlives its server.
A server may speak TLS (``running(tls=...)``), and :class:`FakeResolver` stands in for the
machine's name resolution (``noxline.net.resolver``): names answered from a table, or a name
server that hangs.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from noxline.net import Address

from tests.helpers import loopback_http

Route = Callable[["Handler"], None]


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """A running server: its base URL, its routes by path, and what it received."""

    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def auth_seen(self) -> list[str | None]:
        """The Authorization header of each request, in order."""
        return [item.headers.get("Authorization") for item in self.seen]


class Handler(BaseHTTPRequestHandler):
    """Dispatches every method to the route for the path (404 when none)."""

    server_state: Server
    protocol_version = "HTTP/1.1"

    def _dispatch(self) -> None:
        """Record the request and run its route."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server_state.seen.append(
            Seen(self.command, self.path, dict(self.headers.items()), body)
        )
        route = self.server_state.routes.get(self.path.split("?", 1)[0], not_found)
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_HEAD = _dispatch  # noqa: N815

    def log_message(self, *args: Any) -> None:  # pylint: disable=arguments-differ
        """Keep the test output quiet."""


def answer(body: bytes = b"", status: int = 200, headers: dict[str, str] | None = None) -> Route:
    """A route that answers ``body`` with ``status`` and ``headers``."""

    def route(handler: Handler) -> None:
        """Send the answer."""
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def not_found(handler: Handler) -> None:
    """404."""
    answer(b"not found", 404)(handler)


def redirect(location: str, status: int = 302) -> Route:
    """A route that redirects to ``location``."""
    return answer(b"", status, {"Location": location})


def drip(interval: float = 0.2, *, in_headers: bool = False) -> Route:
    """A route that sends one byte every ``interval`` seconds until the server stops."""

    def route(handler: Handler) -> None:
        """Drip the status line's headers or an endless body."""
        if in_headers:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            chunk = b"X-Drip: " + b"a" * 10_000
        else:
            handler.send_response(200)
            handler.send_header("Content-Length", "500")
            handler.end_headers()
            chunk = b"a" * 500
        for byte in chunk:
            if handler.server_state.stopping.wait(interval):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return route


def hang(handler: Handler) -> None:
    """Never answer (until the server stops)."""
    handler.server_state.stopping.wait(60)


def endless(handler: Handler) -> None:
    """Answer a body without Content-Length that never ends, as fast as the socket takes it."""
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    block = b"x" * 65536
    while not handler.server_state.stopping.is_set():
        handler.wfile.write(block)


def drop(handler: Handler) -> None:
    """Close the connection without answering."""
    handler.close_connection = True
    handler.connection.shutdown(2)


def sequence(*routes: Route) -> Route:
    """A route that answers with each of ``routes`` in turn, then repeats the last."""
    calls = iter(routes)
    last: list[Route] = []

    def route(handler: Handler) -> None:
        """Answer with the next route."""
        current = next(calls, None)
        if current is None:
            current = last[0]
        last[:] = [current]
        current(handler)

    return route


class TLSHandler(Handler):
    """A Handler that speaks TLS with ``tls`` (the server's certificate) on each connection."""

    tls: ssl.SSLContext
    handshake_failed = False

    def setup(self) -> None:
        """Do the TLS handshake first; a client that refuses the certificate gets nothing."""
        try:
            self.request = self.tls.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshake_failed = True
        super().setup()

    def handle(self) -> None:
        """Serve requests, unless the handshake failed."""
        if not self.handshake_failed:
            super().handle()

    def finish(self) -> None:
        """Close the TLS socket too: the server closes only the plain one it handed over."""
        super().finish()
        self.request.close()


@contextmanager
def running(tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    """Run a Server on a free port of 127.0.0.1 (TLS with ``tls``, when given); stop it (and any
    hanging route) on exit. Its ``url`` is ``http(s)://127.0.0.1:PORT``."""
    state = Server()
    base, extra = (Handler, {}) if tls is None else (TLSHandler, {"tls": tls})
    handler = type("BoundHandler", (base,), {"server_state": state, **extra})
    with loopback_http(handler, on_stop=state.stopping.set) as url:
        state.url = url if tls is None else url.replace("http://", "https://", 1)
        yield state


@dataclass(eq=False)
class FakeResolver:
    """The machine's name resolution as a test wants it (put in ``noxline.net.resolver``).

    It answers the names in ``names`` (host → IPv4 address) after ``delay`` seconds, and any other
    name with "unknown host"; a ``delay`` longer than the test is a dead name server, which ends
    the way a real resolver gives up (EAI_AGAIN) once the test releases it. Every name asked is
    recorded in ``asked``.
    """

    names: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    asked: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def __call__(self, host: str, port: int) -> Sequence[Address]:
        """Resolve ``host`` as configured."""
        self.asked.append(host)
        if self.released.wait(self.delay):
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (self.names[host], port))
        ]
