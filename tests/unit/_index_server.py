"""A stand-in package index for unit tests: a stdlib HTTP server in a thread on 127.0.0.1.

It answers from a table of routes and records each request's path and Authorization header; it
starts in milliseconds and needs nothing installed, so unit tests can read a real HTTP index.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from noxline.index import Repository
from tests.helpers import loopback_http

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass
class FakeIndex:
    """A running stand-in index: its answers by path, and the (path, Authorization) it saw."""

    url: str = ""
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    seen: list[tuple[str, str | None]] = field(default_factory=list)

    def repository(self, username: str = "", password: str = "") -> Repository:
        """A Repository that uploads to and reads from this server."""
        return Repository(
            self.url, self.url + "simple/", "TWINE_REPOSITORY_URL", username, password
        )

    def list_files(self, project: str, files: dict[str, bytes]) -> None:
        """Serve a PEP 691 page for ``project`` listing ``files`` (name → contents) with sha256."""
        entries = [
            {
                "filename": name,
                "url": f"/files/{name}",
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            }
            for name, data in files.items()
        ]
        page = {"meta": {"api-version": "1.1"}, "name": project, "files": entries}
        self.routes[f"/simple/{project}/"] = (
            200,
            {"Content-Type": JSON_TYPE},
            json.dumps(page).encode(),
        )


@contextmanager
def serve() -> Iterator[FakeIndex]:
    """Run a FakeIndex on a free port of 127.0.0.1; stop it on exit."""
    state = FakeIndex()

    class Handler(BaseHTTPRequestHandler):
        """Answers GETs from the routes table (404 for the rest)."""

        def do_GET(self) -> None:  # pylint: disable=invalid-name
            """Record the request and send the route's answer."""
            state.seen.append((self.path, self.headers.get("Authorization")))
            status, headers, body = state.routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # pylint: disable=arguments-differ
            """Keep the test output quiet."""

    with loopback_http(Handler) as url:
        state.url = url + "/"
        yield state
