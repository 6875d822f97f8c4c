"""Fakes of the services noxline talks to that cannot run here, as real HTTP servers on 127.0.0.1.

Each fake is a stdlib ``ThreadingHTTPServer`` on a free port, started by a context manager and
stopped (with a bounded join) when the test leaves it. They record what they were sent, so tests
assert the requests themselves (paths, headers, bodies), and keep state like the real service:

* :class:`FakeOSV`: OSV's ``POST /v1/query`` answering configured advisories;
* :class:`FakeGitLab`: the releases API (``/api/v4/projects/:id/releases``, asset links), requiring
  a ``JOB-TOKEN`` header;
* :class:`FakeOIDCIndex`: PyPI's trusted-publishing exchange (``/_/oidc/audience``,
  ``/_/oidc/mint-token``), checking the id token's audience and expiry.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.helpers import loopback_http

#: (status, JSON body) a fake answers with; a None body sends nothing.
Answer = tuple[int, Any]
#: The media type of a PEP 691 simple-index page.
PEP691 = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class Request:
    """One request a fake received."""

    method: str
    path: str
    #: Header names in lower case (HTTP header names are case-insensitive).
    headers: dict[str, str]
    body: Any


@dataclass
class Fake:
    """What every fake shares: its base URL and the requests it received."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)

    def answer(self, request: Request) -> Answer:
        """The answer to ``request``; each fake overrides this."""
        raise NotImplementedError

    def content_type(self, request: Request) -> str:
        """The media type of the answer to ``request``: JSON unless a fake says otherwise."""
        del request
        return "application/json"

    def calls(self, method: str | None = None) -> list[Request]:
        """The requests received, only those of ``method`` when given."""
        return [r for r in self.requests if method is None or r.method == method]


@contextmanager
def running(fake: Fake) -> Iterator[Fake]:
    """Serve ``fake`` on a free port of 127.0.0.1 until the block ends."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        """Parses each request, records it and sends the fake's answer."""

        def _handle(self) -> None:
            """Read the JSON body (if any), ask the fake, send its answer."""
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = Request(self.command, self.path, headers, body)
            with lock:
                fake.requests.append(request)
                status, data = fake.answer(request)
            payload = b"" if data is None else json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", fake.content_type(request))
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        # http.server's names for the handlers of each method.
        do_GET = do_POST = do_PUT = _handle  # pylint: disable=invalid-name

        def log_message(self, *args: Any) -> None:  # pylint: disable=arguments-differ
            """Keep the test output quiet."""

    with loopback_http(Handler) as fake.url:
        yield fake


@dataclass
class FakeOSV(Fake):
    """OSV's query API: advisories by (canonical package name, version)."""

    advisories: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def answer(self, request: Request) -> Answer:
        """``POST /v1/query`` → ``{"vulns": [...]}`` for the package and version asked about."""
        if request.method != "POST" or request.path != "/v1/query":
            return 404, {"message": "not found"}
        key = (request.body["package"]["name"], request.body["version"])
        vulns = self.advisories.get(key, [])
        return 200, ({"vulns": vulns} if vulns else {})


def osv_advisory(advisory_id: str, package: str, fixed: str, alias: str) -> dict[str, Any]:
    """An OSV record for ``package`` affected before ``fixed``."""
    return {
        "id": advisory_id,
        "aliases": [alias],
        "summary": f"{package} mishandles crafted input",
        "affected": [
            {
                "package": {"name": package, "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


@dataclass
class FakeGitLab(Fake):
    """GitLab's releases API for one project, accepting one job token."""

    project_id: str = "42"
    job_token: str = "job-token-secret"
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)
    _next_link: int = 1

    @property
    def api_url(self) -> str:
        """What ``CI_API_V4_URL`` would be."""
        return f"{self.url}/api/v4"

    def answer(self, request: Request) -> Answer:
        """Route a releases API call; 401 without the right ``JOB-TOKEN``."""
        if request.headers.get("job-token") != self.job_token:
            return 401, {"message": "401 Unauthorized"}
        prefix = f"/api/v4/projects/{self.project_id}/releases"
        if not request.path.startswith(prefix):
            return 404, {"message": "404 Project Not Found"}
        parts = [p for p in request.path[len(prefix) :].split("/") if p]
        routes: dict[tuple[str, int], Callable[[Request, list[str]], Answer]] = {
            ("POST", 0): self._create,
            ("GET", 1): self._read,
            ("PUT", 1): self._update,
            ("POST", 3): self._add_link,
            ("PUT", 4): self._update_link,
        }
        route = routes.get((request.method, len(parts)))
        return route(request, parts) if route else (404, {"message": "404 Not Found"})

    def _create(self, request: Request, _: list[str]) -> Answer:
        """POST /releases."""
        tag = request.body["tag_name"]
        if tag in self.releases:
            return 409, {"message": "Release already exists"}
        links = [self._link(link) for link in request.body.get("assets", {}).get("links", [])]
        self.releases[tag] = {
            "tag_name": tag,
            "name": request.body["name"],
            "description": request.body["description"],
            "assets": {"links": links},
        }
        return 201, self.releases[tag]

    def _read(self, _: Request, parts: list[str]) -> Answer:
        """GET /releases/:tag."""
        release = self.releases.get(parts[0])
        return (200, release) if release else (404, {"message": "404 Not Found"})

    def _update(self, request: Request, parts: list[str]) -> Answer:
        """PUT /releases/:tag."""
        release = self.releases.get(parts[0])
        if release is None:
            return 404, {"message": "404 Not Found"}
        release.update({k: request.body[k] for k in ("name", "description") if k in request.body})
        return 200, release

    def _add_link(self, request: Request, parts: list[str]) -> Answer:
        """POST /releases/:tag/assets/links."""
        release = self.releases.get(parts[0])
        if release is None or parts[1:] != ["assets", "links"]:
            return 404, {"message": "404 Not Found"}
        if any(link["name"] == request.body["name"] for link in release["assets"]["links"]):
            return 400, {"message": "name has already been taken"}
        link = self._link(request.body)
        release["assets"]["links"].append(link)
        return 201, link

    def _update_link(self, request: Request, parts: list[str]) -> Answer:
        """PUT /releases/:tag/assets/links/:id."""
        release = self.releases.get(parts[0])
        for link in release["assets"]["links"] if release else []:
            if str(link["id"]) == parts[3]:
                link.update(request.body)
                return 200, link
        return 404, {"message": "404 Not Found"}

    def _link(self, body: dict[str, Any]) -> dict[str, Any]:
        """A stored link with a new id."""
        link = {"id": self._next_link, "link_type": "other", **body}
        self._next_link += 1
        return link


@dataclass
class FakeOIDCIndex(Fake):
    """PyPI's trusted-publishing exchange: audience, then mint-token for a valid id token."""

    audience: str = "testindex"
    minted: str = "pypi-minted-upload-token"
    #: Files its simple index lists per project: name → {file name: sha256}.
    files: dict[str, dict[str, str]] = field(default_factory=dict)

    def content_type(self, request: Request) -> str:
        """Simple-index pages are PEP 691 JSON."""
        return PEP691 if request.path.startswith("/simple/") else "application/json"

    def answer(self, request: Request) -> Answer:  # pylint: disable=too-many-return-statements
        """The two endpoints of the exchange, and a PEP 691 simple index."""
        if request.method == "GET" and request.path.startswith("/simple/"):
            listed = self.files.get(request.path.split("/")[2])
            if listed is None:
                return 404, {"message": "not found"}
            entries = [
                {"filename": n, "url": f"/files/{n}", "hashes": {"sha256": h}}
                for n, h in listed.items()
            ]
            return 200, {"meta": {"api-version": "1.1"}, "files": entries}
        if request.method == "GET" and request.path == "/_/oidc/audience":
            return 200, {"audience": self.audience}
        if request.method == "POST" and request.path == "/_/oidc/mint-token":
            claims = claims_of(str(request.body.get("token", "")))
            if claims.get("aud") != self.audience:
                return 422, _oidc_error("invalid-token", "invalid audience in JWT")
            if claims.get("exp", 0) <= time.time():
                return 422, _oidc_error("invalid-token", "token has expired")
            return 200, {"success": True, "token": self.minted}
        return 404, {"message": "not found"}


def _oidc_error(code: str, description: str) -> dict[str, Any]:
    """PyPI's shape of a refused exchange."""
    return {
        "message": "Token request failed",
        "errors": [{"code": code, "description": description}],
    }


def id_token(audience: str, expires_in: float = 300) -> str:
    """An (unsigned) JWT like GitLab's id tokens: header.claims.signature."""

    def part(data: dict[str, Any]) -> str:
        """One base64url JSON segment without padding."""
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"iss": "https://gitlab.example", "aud": audience, "exp": time.time() + expires_in}
    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a JWT made by :func:`id_token`; empty for anything else."""
    match = re.fullmatch(r"[^.]+\.([^.]+)\.[^.]+", token)
    if not match:
        return {}
    payload = match.group(1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data if isinstance(data, dict) else {}
