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
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
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
def running(fake: Fake, tls: ssl.SSLContext | None = None) -> Iterator[Fake]:
    """Serve ``fake`` on a free port of 127.0.0.1 until the block ends; over TLS with ``tls``
    (the server's certificate), its ``url`` then ``https://127.0.0.1:PORT``."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        """Parses each request, records it and sends the fake's answer."""

        handshake_failed = False

        def setup(self) -> None:
            """With ``tls``, the handshake first (a client refusing the certificate gets no
            answer and is recorded nowhere)."""
            if tls is not None:
                try:
                    self.request = tls.wrap_socket(self.request, server_side=True)
                except (ssl.SSLError, OSError):
                    self.handshake_failed = True
            super().setup()

        def handle(self) -> None:
            """Serve the connection, unless its TLS handshake failed."""
            if not self.handshake_failed:
                super().handle()

        def finish(self) -> None:
            """Close the TLS socket too: the server closes only the plain one it handed over."""
            super().finish()
            if tls is not None:
                self.request.close()

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

    with loopback_http(Handler) as url:
        fake.url = url if tls is None else url.replace("http://", "https://", 1)
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


#: The only issuer PyPI accepts GitLab id tokens from.
GITLAB_ISSUER = "https://gitlab.com"


@dataclass(frozen=True)
class TrustedPublisher:
    """A GitLab trusted publisher as PyPI's form registers it: *Namespace*, *Project name*,
    *Top-level pipeline file path* and the optional *Environment name*."""

    namespace: str
    project: str
    workflow_filepath: str = ".gitlab-ci.yml"
    environment: str = ""

    def refusal(self, claims: dict[str, Any]) -> str:
        """Why PyPI would not trust a token with ``claims`` for this publisher ("" when it
        would): the project path (case-insensitive), the subject, the pipeline file at the
        token's ref or commit, the environment when the publisher names one."""
        path = f"{self.namespace}/{self.project}"
        if str(claims.get("project_path", "")).lower() != path.lower():
            return "Publisher with matching claims was not found"
        subject = str(claims.get("sub", "")).split(":")
        if (
            len(subject) < 2
            or f"{subject[0]}:{subject[1]}".lower() != f"project_path:{path}".lower()
        ):
            return "Check failed for required claim 'sub'"
        config = f"gitlab.com/{path}//{self.workflow_filepath}"
        expected = {f"{config}@{claims.get(ref)}" for ref in ("ref_path", "sha") if claims.get(ref)}
        if claims.get("ci_config_ref_uri") not in expected:
            return (
                f"The ci_config_ref_uri claim does not match, expecting one of {sorted(expected)}"
            )
        if self.environment and claims.get("environment") != self.environment:
            return "Check failed for optional claim 'environment'"
        return ""


@dataclass
class FakeOIDCIndex(Fake):  # pylint: disable=too-many-instance-attributes
    """PyPI as trusted publishing uses it (docs.pypi.org, "Trusted Publishers"): ``GET
    /_/oidc/audience`` names the audience; ``POST /_/oidc/mint-token`` with ``{"token": <id
    token>}`` checks the token as PyPI does for GitLab (issuer gitlab.com, audience, expiry, a
    registered :class:`TrustedPublisher` matching its claims) and answers ``{"success": true,
    "token": ...}`` or HTTP 422 with PyPI's ``{"message", "errors": [{"code", "description"}]}``;
    a PEP 691 simple index of ``files``; ``POST /legacy/`` takes an upload (as JSON: filename and
    sha256, see :func:`recording_twine`) from ``__token__`` with the minted token only."""

    audience: str = "testindex"
    minted: str = "pypi-minted-upload-token"
    #: Files its simple index lists per project: name → {file name: sha256}.
    files: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The trusted publishers registered on the index (the project of :func:`id_token`'s default).
    publishers: tuple[TrustedPublisher, ...] = (TrustedPublisher("group", "tiny-lib"),)
    #: The claims of each id token the index minted an upload token for.
    trusted: list[dict[str, Any]] = field(default_factory=list)

    def content_type(self, request: Request) -> str:
        """Simple-index pages are PEP 691 JSON."""
        return PEP691 if request.path.startswith("/simple/") else "application/json"

    def answer(self, request: Request) -> Answer:  # pylint: disable=too-many-return-statements
        """The two endpoints of the exchange, a PEP 691 simple index and the upload endpoint."""
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
            return self._mint(request)
        if request.method == "POST" and request.path == "/legacy/":
            return self._upload(request)
        return 404, {"message": "not found"}

    def _mint(self, request: Request) -> Answer:
        """PyPI's checks of a GitLab id token, in its order; 422 with its words on a refusal."""
        token = request.body.get("token") if isinstance(request.body, dict) else None
        if not isinstance(token, str):
            return 422, _oidc_error("invalid-payload", "token: Input should be a valid string")
        claims = claims_of(token)
        if claims.get("iss") != GITLAB_ISSUER or claims.get("aud") != self.audience:
            return 422, _oidc_error("invalid-token", "malformed or invalid token")
        if claims.get("exp", 0) <= time.time():
            return 422, _oidc_error("invalid-token", "malformed or invalid token")
        refusals = [publisher.refusal(claims) for publisher in self.publishers]
        if not refusals or all(refusals):
            said = next((r for r in refusals if r), "Publisher with matching claims was not found")
            return 422, _oidc_error(
                "invalid-publisher", f"valid token, but no corresponding publisher ({said})"
            )
        self.trusted.append(claims)
        return 200, {"success": True, "token": self.minted}

    def _upload(self, request: Request) -> Answer:
        """An upload as :func:`recording_twine` sends it: 403 unless ``__token__`` and the minted
        token; the file is then listed on its project's simple page."""
        expected = base64.b64encode(f"__token__:{self.minted}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return 403, {"message": "Invalid or non-existent authentication information."}
        project, filename, sha256 = (request.body[k] for k in ("project", "filename", "sha256"))
        self.files.setdefault(project, {})[filename] = sha256
        return 200, {"message": "uploaded"}


def _oidc_error(code: str, description: str) -> dict[str, Any]:
    """PyPI's shape of a refused exchange."""
    return {
        "message": "Token request failed",
        "errors": [{"code": code, "description": description}],
    }


def id_token(  # pylint: disable=too-many-arguments
    audience: str,
    expires_in: float = 300,
    *,
    project_path: str = "group/tiny-lib",
    ref: str = "1.2.3",
    pipeline_file: str = ".gitlab-ci.yml",
    environment: str = "",
) -> str:
    """An (unsigned) JWT with the claims GitLab gives a tag pipeline's job (``id_tokens``):
    header.claims.signature. ``environment`` is set when the job has an ``environment:``."""

    def part(data: dict[str, Any]) -> str:
        """One base64url JSON segment without padding."""
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = time.time()
    ref_path = f"refs/tags/{ref}"
    claims: dict[str, Any] = {
        "iss": GITLAB_ISSUER,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + expires_in,
        "jti": f"jti-{now}",
        "sub": f"project_path:{project_path}:ref_type:tag:ref:{ref}",
        "namespace_path": project_path.rsplit("/", 1)[0],
        "project_path": project_path,
        "ref": ref,
        "ref_type": "tag",
        "ref_path": ref_path,
        "ref_protected": "true",
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "ci_config_ref_uri": f"gitlab.com/{project_path}//{pipeline_file}@{ref_path}",
    }
    if environment:
        claims["environment"] = environment
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a JWT made by :func:`id_token`; empty for anything else."""
    match = re.fullmatch(r"[^.]+\.([^.]+)\.[^.]+", token)
    if not match:
        return {}
    payload = match.group(1)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


#: A twine for the tests that publish to an index on a real host name (upload.pypi.org): it
#: uploads nothing over the machine's network, but sends what twine would (the file's name and
#: sha256, the credentials it was given) to the fake in FAKE_UPLOAD_URL, with the URL it was
#: told to upload to in the header X-Upload-Target.
_RECORDING_TWINE = """\
import base64, hashlib, json, os, pathlib, sys, urllib.request
path = pathlib.Path(sys.argv[-1])
name = path.name.split("-")[0].replace("_", "-")
body = json.dumps({"project": name, "filename": path.name,
                   "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}).encode()
user = os.environ.get("TWINE_USERNAME", "") + ":" + os.environ.get("TWINE_PASSWORD", "")
request = urllib.request.Request(os.environ["FAKE_UPLOAD_URL"], data=body, method="POST", headers={
    "Authorization": "Basic " + base64.b64encode(user.encode()).decode(),
    "Content-Type": "application/json",
    "X-Upload-Target": os.environ.get("TWINE_REPOSITORY_URL", ""),
})
try:
    urllib.request.urlopen(request, timeout=10)
except urllib.error.HTTPError as error:
    print(f"HTTPError: {error.code} Forbidden from {os.environ.get('TWINE_REPOSITORY_URL')}")
    sys.exit(1)
print(f"Uploading {path.name}\\n100%")
"""


def recording_twine(folder: Path) -> str:
    """Write the recording twine (see ``_RECORDING_TWINE``) into ``folder``; its path."""
    script = folder / "twine"
    script.write_text(f"#!{sys.executable}\n{_RECORDING_TWINE}", encoding="utf-8")
    script.chmod(0o755)
    return str(script)
