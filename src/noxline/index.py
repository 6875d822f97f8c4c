"""What publishing needs of a package index: where to upload, as whom, what is there already, twine.

The target comes from the environment and ``[tool.noxline]`` only, in this order:

1. twine's own ``TWINE_REPOSITORY_URL`` with ``TWINE_USERNAME`` / ``TWINE_PASSWORD``;
2. ``repository-url`` in ``[tool.noxline]`` with the same ``TWINE_*`` credentials;
3. in GitLab CI, the project's own package registry
   (``${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi``) as ``gitlab-ci-token`` with
   ``CI_JOB_TOKEN``.

Credentials are never written to a file, never put on a command line and never logged: twine gets
them through its subprocess environment, and every text this module hands out for logging passes
:func:`mask` first. Reads of the index (PEP 503 HTML or PEP 691 JSON) never follow a redirect to
another host, so credentials are only ever sent to the index they were given for.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any, NoReturn
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit, urlunsplit

from packaging.utils import canonicalize_name

from noxline.errors import PublishError

URL_VARIABLE = "TWINE_REPOSITORY_URL"
USER_VARIABLE = "TWINE_USERNAME"
PASSWORD_VARIABLE = "TWINE_PASSWORD"
JOB_TOKEN_VARIABLE = "CI_JOB_TOKEN"
#: The user name GitLab expects with a job token.
GITLAB_USER = "gitlab-ci-token"
#: What a secret is replaced with in anything logged.
MASK = "****"
#: Seconds to wait for the index to answer a read.
TIMEOUT = 30.0

PEP691_JSON = "application/vnd.pypi.simple.v1+json"
_ACCEPT = f"{PEP691_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
#: Indexes whose simple API does not live under their upload URL.
_KNOWN_SIMPLE = {
    "upload.pypi.org": "https://pypi.org/simple/",
    "test.pypi.org": "https://test.pypi.org/simple/",
}
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_HTTP_STATUS = re.compile(r"HTTPError: (\d{3})")
#: Variables the twine subprocess must not inherit: noxline sets the target and credentials itself,
#: and a named repository would make twine read ~/.pypirc.
_TWINE_TARGET = ("TWINE_REPOSITORY", URL_VARIABLE, USER_VARIABLE, PASSWORD_VARIABLE)


@dataclass(frozen=True)
class Repository:
    """An upload target: its upload URL, its simple index for reads, and the credentials to use."""

    upload_url: str
    simple_url: str
    #: Which setting named the URL, for messages ("TWINE_REPOSITORY_URL", ...).
    configured_by: str
    username: str = ""
    #: Never shown: excluded from repr, masked in every log.
    password: str = field(default="", repr=False)
    #: The variables the credentials came from, named in messages about them.
    credentials_from: str = f"{USER_VARIABLE} and {PASSWORD_VARIABLE}"

    @property
    def has_credentials(self) -> bool:
        """True when both a user name and a password are known."""
        return bool(self.username and self.password)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every form of the credentials that could show up in output (plain, HTTP basic auth)."""
        if not self.password:
            return ()
        return (self.password, _basic_token(self.username, self.password))

    def project_url(self, project: str) -> str:
        """The simple-index page of ``project`` (PEP 503 normalised name)."""
        return f"{self.simple_url.rstrip('/')}/{canonicalize_name(project)}/"

    def require_credentials(self) -> None:
        """Fail, naming the variables to set, unless both user name and password are known."""
        if self.has_credentials:
            return
        if self.username:
            missing = f"{PASSWORD_VARIABLE} is not set (but {USER_VARIABLE} is)"
        elif self.password:
            missing = (
                f"{USER_VARIABLE} is not set (but {PASSWORD_VARIABLE} is; an API token's user is "
                "__token__)"
            )
        else:
            missing = f"neither {USER_VARIABLE} nor {PASSWORD_VARIABLE} is set"
        raise PublishError(
            f"uploading to {self.upload_url} needs credentials and {missing}: set {USER_VARIABLE} "
            f"and {PASSWORD_VARIABLE} in the environment (in GitLab as masked CI/CD variables); "
            f"nothing was uploaded"
        )

    def twine_env(self) -> dict[str, str]:
        """Variables that point twine at this index, non-interactively and without any keyring."""
        self.require_credentials()
        return {
            URL_VARIABLE: self.upload_url,
            USER_VARIABLE: self.username,
            PASSWORD_VARIABLE: self.password,
            "TWINE_NON_INTERACTIVE": "1",
            # The null backend: twine neither reads nor stores the password in a keyring.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "NO_COLOR": "1",
        }

    def auth_header(self, url: str) -> str | None:
        """The ``Authorization`` value to read ``url``; None for another host or no credentials."""
        if not self.has_credentials or _origin(url) != _origin(self.simple_url):
            return None
        return "Basic " + _basic_token(self.username, self.password)


@dataclass(frozen=True)
class IndexFile:
    """One file listed on a project's simple-index page."""

    filename: str
    url: str
    #: Lower-case hex SHA-256, None when the index gives none.
    sha256: str | None


def resolve_repository(
    env: Mapping[str, str], *, repository_url: str = "", index_url: str = ""
) -> Repository | None:
    """The index to publish to, from ``env`` and the settings; None when nothing names one.

    ``repository_url`` is ``[tool.noxline] repository-url``; ``index_url`` (``index-url``) overrides
    the simple-index URL otherwise derived from the upload URL.
    """
    api = env.get("CI_API_V4_URL", "")
    if env.get(URL_VARIABLE):
        url, configured_by = env[URL_VARIABLE], URL_VARIABLE
    elif repository_url:
        url, configured_by = repository_url, "[tool.noxline] repository-url"
    elif api and env.get("CI_PROJECT_ID"):
        url = f"{api.rstrip('/')}/projects/{quote(env['CI_PROJECT_ID'], safe='')}/packages/pypi"
        configured_by = "GitLab's package registry of this project (CI_API_V4_URL, CI_PROJECT_ID)"
    else:
        return None
    _check_url(url, configured_by)
    if index_url:
        _check_url(index_url, "[tool.noxline] index-url")
    simple = index_url or simple_url_for(url)
    if env.get(USER_VARIABLE) or env.get(PASSWORD_VARIABLE):
        return Repository(
            url, simple, configured_by, env.get(USER_VARIABLE, ""), env.get(PASSWORD_VARIABLE, "")
        )
    token = env.get(JOB_TOKEN_VARIABLE, "")
    # The job token is GitLab's own: it is only ever sent to the GitLab instance that issued it.
    if token and api and _origin(url) == _origin(api):
        return Repository(url, simple, configured_by, GITLAB_USER, token, JOB_TOKEN_VARIABLE)
    return Repository(url, simple, configured_by)


def no_repository_error(version: str) -> PublishError:
    """The error for a release with no index configured at all."""
    return PublishError(
        f"there is no package index to publish {version} to: set {URL_VARIABLE} (with "
        f"{USER_VARIABLE} and {PASSWORD_VARIABLE}) or repository-url in [tool.noxline]; in GitLab "
        "CI the project's own package registry is used when neither is set"
    )


def simple_url_for(upload_url: str) -> str:
    """The simple index of an upload URL: ``<upload>/simple/`` (pypiserver, GitLab, Nexus, ...)."""
    parts = urlsplit(upload_url)
    known = _KNOWN_SIMPLE.get(parts.hostname or "")
    if known:
        return known
    path = parts.path.rstrip("/") + "/simple/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret (also URL-encoded) and any URL's user-info masked."""
    text = _USERINFO.sub(lambda match: f"{match['scheme']}{MASK}@", text)
    forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
    # Longest first, so a secret that contains another is masked whole.
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def parse_simple_page(body: bytes, content_type: str, page_url: str) -> list[IndexFile]:
    """The files on a PEP 503 (HTML) or PEP 691 (JSON) project page found at ``page_url``."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == PEP691_JSON:
        return _parse_json(body, page_url)
    parser = _LinkParser()
    parser.feed(body.decode(_charset(content_type), errors="replace"))
    parser.close()
    return [_index_file(href, text, page_url, {}) for href, text in parser.links]


def read_project_files(repository: Repository, project: str) -> dict[str, str]:
    """Map file name → sha256 of ``project``'s files on the index; empty when it has none there.

    Files listed without a sha256 are downloaded and hashed, so the answer is always comparable.
    """
    page = repository.project_url(project)
    try:
        body, content_type, final_url = _get(repository, page)
    except _NotOnIndex:
        return {}
    result: dict[str, str] = {}
    for item in parse_simple_page(body, content_type, final_url):
        result[item.filename] = item.sha256 or _download_sha256(repository, item.url)
    return result


def project_file_urls(repository: Repository, project: str) -> dict[str, str]:
    """Map file name → download URL of ``project``'s files on the index; empty when it has none.

    What the ``release`` job links to (#11): the files as the index serves them.
    """
    page = repository.project_url(project)
    try:
        body, content_type, final_url = _get(repository, page)
    except _NotOnIndex:
        return {}
    return {item.filename: item.url for item in parse_simple_page(body, content_type, final_url)}


def upload(
    twine: str,
    repository: Repository,
    path: Path,
    *,
    base_env: Mapping[str, str],
    echo: Callable[[str], None],
) -> None:
    """Upload one file with twine; credentials travel in the subprocess environment only.

    ``echo`` receives the (masked) command line and twine's (masked) output. A refusal raises
    :class:`PublishError` saying what to check.
    """
    env = {key: value for key, value in base_env.items() if key not in _TWINE_TARGET}
    env.update(repository.twine_env())
    # No colour codes: the output is parsed for the HTTP status below.
    command = [
        twine,
        "--no-color",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        str(path),
    ]
    echo(mask(" ".join(command), repository.secrets))
    try:
        done = subprocess.run(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    except OSError as error:
        raise PublishError(
            f"cannot run twine ({error}): install it into the publish session (twine>=6)"
        ) from None
    output = mask(done.stdout, repository.secrets)
    echo(output)
    if done.returncode != 0:
        raise explain_upload_failure(output, repository, path.name, done.returncode)


def explain_upload_failure(
    output: str, repository: Repository, name: str, code: int
) -> PublishError:
    """Say why twine failed, from its output, and what to check."""
    status = _HTTP_STATUS.search(output)
    where = repository.upload_url
    if status and status.group(1) in ("401", "403"):
        return PublishError(
            f"{where} refused the credentials uploading {name} (HTTP {status.group(1)}): check "
            f"{repository.credentials_from} (the account needs upload rights on this index)"
        )
    if status and status.group(1) in ("400", "409"):
        return PublishError(
            f"{where} refused {name} (HTTP {status.group(1)}), which is what an index answers "
            "when a file of that name is already there: re-run publish, which compares checksums "
            "first and never overwrites, and see twine's output above"
        )
    if status:
        return PublishError(
            f"{where} answered HTTP {status.group(1)} uploading {name}: see twine's output above"
        )
    if "ConnectionError" in output or "Max retries exceeded" in output:
        return PublishError(
            f"cannot reach the package index at {where} uploading {name}: check "
            f"{repository.configured_by} and that the index is up"
        )
    return PublishError(f"twine upload of {name} failed (exit {code}): see its output above")


# --- helpers ------------------------------------------------------------------------------------


class _NotOnIndex(Exception):
    """The project page does not exist on this index (404, or a redirect to another host)."""


class _LinkParser(HTMLParser):
    """Collects ``(href, text)`` of every anchor in a PEP 503 page."""

    def __init__(self) -> None:
        """Start with no links."""
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an anchor."""
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data: str) -> None:
        """Collect an anchor's text."""
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        """Close an anchor, keeping it when it had an href."""
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects within the index's host only: credentials never travel to another host."""

    def redirect_request(  # pylint: disable=too-many-arguments,too-many-positional-arguments
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        """Refuse (urllib then raises the HTTPError) when the redirect leaves the origin."""
        if _origin(newurl) != _origin(req.full_url):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


_OPENER = urllib.request.build_opener(_SameOriginRedirects)


def _basic_token(username: str, password: str) -> str:
    """The base64 part of an HTTP basic ``Authorization`` header."""
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def _origin(url: str) -> tuple[str, str]:
    """Scheme and host:port of a URL (user-info dropped)."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return parts.scheme.lower(), f"{(parts.hostname or '').lower()}:{port}"


def _check_url(url: str, where: str) -> None:
    """Refuse anything but a plain http(s) URL; never repeat credentials found in it."""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        valid = False
    if not valid:
        raise PublishError(
            f"{where} = {mask(url, ())!r} is not an http(s) URL: set it to the index's upload URL, "
            "such as https://host/path/"
        )
    if "@" in parts.netloc:
        raise PublishError(
            f"{where} carries credentials inside the URL: remove them from the URL and set "
            f"{USER_VARIABLE} and {PASSWORD_VARIABLE} instead (URLs get logged, variables do not)"
        )


def _charset(content_type: str) -> str:
    """The charset parameter of a Content-Type, utf-8 when absent."""
    message = Message()
    message["Content-Type"] = content_type or "text/html"
    return message.get_content_charset() or "utf-8"


def _parse_json(body: bytes, page_url: str) -> list[IndexFile]:
    """The files of a PEP 691 JSON project page."""
    try:
        data: Any = json.loads(body)
    except ValueError as error:
        raise PublishError(f"{page_url} is not valid PEP 691 JSON ({error})") from None
    version = str(data.get("meta", {}).get("api-version", "")) if isinstance(data, dict) else ""
    files = data.get("files") if isinstance(data, dict) else None
    if not version.startswith("1.") or not isinstance(files, list):
        raise PublishError(
            f"{page_url} is not a PEP 691 version 1 project page (no meta.api-version 1.x or no "
            "files list): set index-url in [tool.noxline] to the index's simple API"
        )
    result = []
    for item in files:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise PublishError(f"{page_url} lists a file without a url: {item!r}")
        hashes = item.get("hashes")
        result.append(
            _index_file(
                item["url"],
                str(item.get("filename", "")),
                page_url,
                hashes if isinstance(hashes, dict) else {},
            )
        )
    return result


def _index_file(href: str, filename: str, page_url: str, hashes: Mapping[str, Any]) -> IndexFile:
    """One listed file: absolute URL without fragment, file name, sha256 from hashes or fragment."""
    url, fragment = urldefrag(urljoin(page_url, href))
    name = filename or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    algorithm, _, value = fragment.partition("=")
    digest = hashes.get("sha256") or (value if algorithm == "sha256" else None)
    valid = isinstance(digest, str) and _SHA256.fullmatch(digest) is not None
    return IndexFile(name, url, str(digest).lower() if valid else None)


def _get(repository: Repository, url: str) -> tuple[bytes, str, str]:
    """GET ``url`` from the index: body, Content-Type and final URL; errors say what to check."""
    request = urllib.request.Request(url, headers={"Accept": _ACCEPT, "User-Agent": "noxline"})
    header = repository.auth_header(url)
    if header:
        request.add_header("Authorization", header)
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            body: bytes = response.read()
            return body, response.headers.get("Content-Type", ""), response.geturl()
    except urllib.error.HTTPError as error:
        error.close()
        _http_failure(repository, url, error.code, str(error.reason))
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = mask(str(getattr(error, "reason", error)), repository.secrets)
        raise PublishError(
            f"cannot reach the package index at {mask(url, ())} ({reason}): check "
            f"{repository.configured_by} and that the index is up"
        ) from None


def _http_failure(repository: Repository, url: str, code: int, reason: str) -> NoReturn:
    """Turn an HTTP error status of a read into :class:`_NotOnIndex` or a :class:`PublishError`."""
    if code in (404, 410) or 300 <= code < 400:
        # A redirect to another host is how pypiserver and GitLab forward unknown projects to PyPI.
        raise _NotOnIndex(url)
    if code in (401, 403):
        if repository.has_credentials:
            fix = f"check {repository.credentials_from}"
        else:
            fix = f"it needs credentials: set {USER_VARIABLE} and {PASSWORD_VARIABLE}"
        raise PublishError(f"the package index refused to read {url} (HTTP {code}): {fix}")
    raise PublishError(
        f"the package index answered HTTP {code} {reason} for {url}: check "
        f"{repository.configured_by} and the index's health"
    )


def _download_sha256(repository: Repository, url: str) -> str:
    """Download a listed file that came without a hash, and hash it."""
    try:
        body, _, _ = _get(repository, url)
    except _NotOnIndex:
        raise PublishError(
            f"the index lists {url} without a sha256 and it cannot be downloaded from the index "
            "itself to compare: compare the file by hand"
        ) from None
    return hashlib.sha256(body).hexdigest()


__all__ = [
    "GITLAB_USER",
    "IndexFile",
    "MASK",
    "Repository",
    "explain_upload_failure",
    "mask",
    "no_repository_error",
    "parse_simple_page",
    "project_file_urls",
    "read_project_files",
    "resolve_repository",
    "simple_url_for",
    "upload",
]
