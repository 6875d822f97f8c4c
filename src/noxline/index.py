"""What publishing needs of a package index: where to upload, as whom, what is there already, twine.

The target comes from the environment and ``[tool.noxline]`` only, in this order:

1. twine's own ``TWINE_REPOSITORY_URL`` with ``TWINE_USERNAME`` / ``TWINE_PASSWORD``;
2. ``repository-url`` in ``[tool.noxline]`` with the same ``TWINE_*`` credentials;
3. in GitLab CI, the project's own package registry
   (``${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi``) as ``gitlab-ci-token`` with
   ``CI_JOB_TOKEN``.

Credentials are never written to a file, never put on a command line and never logged: twine gets
them through its subprocess environment, and every text this module hands out for logging passes
:func:`mask` first. They belong to the upload URL's origin (scheme, host, port) only: reads of an
``index-url`` elsewhere are anonymous, ``CI_JOB_TOKEN`` is used only for the GitLab instance's own
API origin, plain http with credentials is refused off loopback, and every read goes through
:mod:`noxline.net` (deadline, size cap, same-origin redirects, bounded retries).

Index pages are untrusted input: links must be http(s), a file listed twice with different
hashes is refused as ambiguous, and odd JSON is a clear error, never a traceback.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit, urlunsplit

from packaging.utils import canonicalize_name

from noxline import net
from noxline import commands
from noxline.dist import file_key
from noxline.errors import PublishError
from noxline.net import MASK, mask

URL_VARIABLE = "TWINE_REPOSITORY_URL"
#: ``configured_by`` of a target the tree's own settings named (not the environment).
TREE_SETTING = "[tool.noxline] repository-url"
USER_VARIABLE = "TWINE_USERNAME"
PASSWORD_VARIABLE = "TWINE_PASSWORD"
JOB_TOKEN_VARIABLE = "CI_JOB_TOKEN"
#: The user name GitLab expects with a job token.
GITLAB_USER = "gitlab-ci-token"
#: Seconds one index read may take in all (retries included), unless the caller says otherwise.
TIMEOUT = 60.0
#: Seconds one twine upload may take, unless the caller says otherwise.
UPLOAD_TIMEOUT = 600.0
#: Largest distribution file downloaded to hash it (when the index lists it without a hash).
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024

PEP691_JSON = "application/vnd.pypi.simple.v1+json"
_ACCEPT = f"{PEP691_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
#: Indexes whose simple API does not live under their upload URL.
_KNOWN_SIMPLE = {
    "upload.pypi.org": "https://pypi.org/simple/",
    "test.pypi.org": "https://test.pypi.org/simple/",
}
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
        for what, value in (("user name", self.username), ("password", self.password)):
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                # requests (inside twine) encodes basic auth as Latin-1 and would crash.
                raise PublishError(
                    f"the {what} in {self.credentials_from} has characters HTTP basic auth "
                    "cannot carry (only Latin-1): use an API token or a password without them"
                ) from None
        return {
            URL_VARIABLE: self.upload_url,
            USER_VARIABLE: self.username,
            PASSWORD_VARIABLE: self.password,
            "TWINE_NON_INTERACTIVE": "1",
            # The null backend: twine neither reads nor stores the password in a keyring.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "NO_COLOR": "1",
        }

    def credentials(self) -> net.Credentials | None:
        """The credentials, bound to the upload URL's origin (None without credentials).

        Reads of a simple index on another origin therefore go anonymously.
        """
        if not self.has_credentials:
            return None
        return net.Credentials.basic(self.upload_url, self.username, self.password)


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
        url, configured_by = repository_url, TREE_SETTING
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
        repository = Repository(
            url, simple, configured_by, env.get(USER_VARIABLE, ""), env.get(PASSWORD_VARIABLE, "")
        )
    elif env.get(JOB_TOKEN_VARIABLE) and api and _same_origin(url, api):
        # The job token is GitLab's own: it is only ever sent to the GitLab API's own origin.
        repository = Repository(
            url, simple, configured_by, GITLAB_USER, env[JOB_TOKEN_VARIABLE], JOB_TOKEN_VARIABLE
        )
    else:
        return Repository(url, simple, configured_by)
    if repository.has_credentials:
        _check_url(url, configured_by, with_credentials=True)
    return repository


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


def parse_simple_page(body: bytes, content_type: str, page_url: str) -> list[IndexFile]:
    """The files on a PEP 503 (HTML) or PEP 691 (JSON) project page found at ``page_url``."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == PEP691_JSON:
        return _parse_json(body, page_url)
    parser = _LinkParser()
    parser.feed(body.decode(_charset(content_type), errors="replace"))
    parser.close()
    return [_index_file(href, text, page_url, {}) for href, text in parser.links]


def read_project_files(
    repository: Repository, project: str, *, limits: net.Limits | None = None
) -> dict[str, str]:
    """Map file name → sha256 of ``project``'s files on the index; empty when it has none there.

    Files listed without a sha256 are downloaded and hashed, so the answer is always comparable.
    A name listed twice with different hashes is refused: which one the index serves is unknown.
    ``limits.deadline`` bounds the whole read, the page and every download together: a page
    listing thousands of files without hashes cannot stretch it.
    """
    limits = limits or net.Limits(deadline=TIMEOUT)
    ends = time.monotonic() + limits.deadline
    page = repository.project_url(project)
    response = _get(repository, page, limits)
    if response is None:
        return {}
    result: dict[str, str] = {}
    # One file may be listed under several spellings (Tiny_Lib-1.2.3.tar.gz, tiny_lib-...): the
    # first spelling stands for all, and they must agree.
    spellings: dict[str, str] = {}
    for item in parse_simple_page(response.body, response.header("Content-Type"), response.url):
        sha256 = item.sha256 or _download_sha256(
            repository, item.url, _remaining(limits, ends, page)
        )
        first = spellings.setdefault(file_key(item.filename), item.filename)
        if result.setdefault(first, sha256) != sha256:
            twice = f"{first} twice" if first == item.filename else f"{first} and {item.filename}"
            raise PublishError(
                f"{mask(response.url)} lists {twice} with different sha256 "
                f"({result[first]} and {sha256}): the index is inconsistent, so nothing "
                "is compared or uploaded; fix the index"
            )
    return result


def project_file_urls(
    repository: Repository, project: str, *, limits: net.Limits | None = None
) -> dict[str, str]:
    """Map file name → download URL of ``project``'s files on the index; empty when it has none.

    What the ``release`` job links to (#11): the files as the index serves them.
    """
    response = _get(repository, repository.project_url(project), limits or net.Limits(TIMEOUT))
    if response is None:
        return {}
    return {
        item.filename: item.url
        for item in parse_simple_page(response.body, response.header("Content-Type"), response.url)
    }


def upload(  # pylint: disable=too-many-arguments
    twine: str,
    repository: Repository,
    path: Path,
    *,
    base_env: Mapping[str, str],
    echo: Callable[[str], None],
    timeout: float = UPLOAD_TIMEOUT,
) -> None:
    """Upload one file with twine; credentials travel in the subprocess environment only.

    ``echo`` receives the (masked) command line and twine's (masked) output. A refusal, or twine
    still running after ``timeout`` seconds (then it is killed), raises :class:`PublishError`.
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
        done = commands.run(
            command,
            cwd=None,
            env=env,
            merge_stderr=True,
            timeout=max(timeout, 0.1),
            what=f"uploading {path.name}",
        )
    except commands.CommandError as error:
        if not error.timed_out:
            raise PublishError(
                f"cannot run twine ({error}): install it into the publish session (twine>=6)"
            ) from None
        echo(mask(error.output, repository.secrets))
        raise PublishError(
            f"twine did not finish uploading {path.name} to {repository.upload_url} within "
            f"{timeout:.0f} s and was stopped: the index hangs or is too slow; check it, then "
            "re-run publish (it skips files already there, identical)"
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


def _basic_token(username: str, password: str) -> str:
    """The base64 part of an HTTP basic ``Authorization`` header."""
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def _same_origin(first: str, second: str) -> bool:
    """True when both URLs are http(s) of one scheme, host and port."""
    try:
        return net.Origin.of(first) == net.Origin.of(second)
    except net.NetError:
        return False


def _check_url(url: str, where: str, *, with_credentials: bool = False) -> None:
    """Refuse anything but a plain http(s) URL; never repeat credentials found in it."""
    if "@" in url.split("?", 1)[0].split("#", 1)[0]:
        raise PublishError(
            f"{where} carries credentials inside the URL: remove them from the URL and set "
            f"{USER_VARIABLE} and {PASSWORD_VARIABLE} instead (URLs get logged, variables do not)"
        )
    try:
        net.check_url(url, what=where, with_credentials=with_credentials)
    except net.NetError as error:
        raise PublishError(str(error)) from None


def _charset(content_type: str) -> str:
    """The charset parameter of a Content-Type; utf-8 when absent or unknown to Python."""
    message = Message()
    message["Content-Type"] = content_type or "text/html"
    charset = message.get_content_charset() or "utf-8"
    try:
        # Only text encodings: "zlib", "base64" or "rot13" are codecs too, but bytes.decode()
        # refuses them (a hostile page must not turn into a traceback).
        text_encoding = codecs.lookup(charset)._is_text_encoding  # pylint: disable=protected-access
    except LookupError:
        return "utf-8"
    return charset if text_encoding else "utf-8"


def _parse_json(body: bytes, page_url: str) -> list[IndexFile]:
    """The files of a PEP 691 JSON project page (any other shape is a clear error)."""
    shown = mask(page_url)
    try:
        data: Any = net.parse_json(body, page_url)
    except net.NetError as error:
        raise PublishError(
            f"{shown} is not valid PEP 691 JSON ({str(error).split(' answered ', 1)[-1]}): set "
            "index-url in [tool.noxline] to the index's simple API"
        ) from None
    meta = data.get("meta") if isinstance(data, dict) else None
    version = meta.get("api-version") if isinstance(meta, dict) else None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith("1.") or not isinstance(files, list):
        raise PublishError(
            f"{shown} is not a PEP 691 version 1 project page (no meta.api-version 1.x or no "
            "files list): set index-url in [tool.noxline] to the index's simple API"
        )
    result = []
    for item in files:
        url = item.get("url") if isinstance(item, dict) else None
        filename = item.get("filename", "") if isinstance(item, dict) else None
        if not isinstance(url, str) or not isinstance(filename, str):
            raise PublishError(
                f"{shown} lists a file without a url or with a non-text file name: the index "
                "answers malformed PEP 691 JSON; fix the index or set index-url"
            )
        hashes = item.get("hashes")
        result.append(
            _index_file(url, filename, page_url, hashes if isinstance(hashes, dict) else {})
        )
    return result


def _index_file(href: str, filename: str, page_url: str, hashes: Mapping[str, Any]) -> IndexFile:
    """One listed file: absolute http(s) URL without fragment, file name, sha256 (or None)."""
    try:
        url, fragment = urldefrag(urljoin(page_url, href))
        net.Origin.of(url)
    except (ValueError, net.NetError):  # ValueError: no URL at all ("http://[::1", ...)
        url = href
        raise PublishError(
            f"{mask(page_url)} lists {mask(url)[:200]!r}, which is not an http(s) link: noxline "
            "never reads anything else (file://, ...) for an index; fix the index"
        ) from None
    name = filename or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    algorithm, _, value = fragment.partition("=")
    digest = hashes.get("sha256") or (value if algorithm == "sha256" else None)
    valid = isinstance(digest, str) and _SHA256.fullmatch(digest) is not None
    return IndexFile(name, url, str(digest).lower() if valid else None)


def _get(repository: Repository, url: str, limits: net.Limits) -> net.Response | None:
    """GET ``url`` from the index (None when it is not there); errors say what to check."""
    try:
        return net.get(
            url, headers={"Accept": _ACCEPT}, credentials=repository.credentials(), limits=limits
        )
    except net.RedirectError as error:
        if error.status in (301, 302, 303, 307, 308):
            # A redirect to another host is how pypiserver and GitLab forward unknown projects
            # to PyPI: the project is not on this index.
            return None
        raise _read_failure(repository, error) from None
    except net.HTTPStatusError as error:
        if error.status in (404, 410):
            return None
        raise _read_failure(repository, error) from None
    except net.NetError as error:
        raise _read_failure(repository, error) from None


def _read_failure(repository: Repository, error: net.NetError) -> PublishError:
    """A failed index read as a PublishError naming the setting to check."""
    message = mask(str(error), repository.secrets)
    if error.status in (401, 403):
        if repository.has_credentials:
            fix = f"check {repository.credentials_from}"
        else:
            fix = f"it needs credentials: set {USER_VARIABLE} and {PASSWORD_VARIABLE}"
        return PublishError(f"the package index refused a read ({message}); {fix}")
    return PublishError(
        f"reading the package index failed: {message} (the index is configured by "
        f"{repository.configured_by})"
    )


def _remaining(limits: net.Limits, ends: float, page: str) -> net.Limits:
    """``limits`` with the deadline cut to what is left before ``ends`` (PublishError: none)."""
    left = ends - time.monotonic()
    if left <= 0:
        raise PublishError(
            f"reading {mask(page)} and hashing the files it lists without a sha256 took more "
            f"than {limits.deadline:g} s: the index is too slow or lists too many files "
            "without hashes; have it serve sha256 hashes, or raise index-timeout"
        )
    return replace(limits, deadline=left)


def _download_sha256(repository: Repository, url: str, limits: net.Limits) -> str:
    """Download a listed file that came without a hash, and hash it."""
    download = replace(limits, max_bytes=MAX_DOWNLOAD_BYTES)
    response = _get(repository, url, download)
    if response is None:
        raise PublishError(
            f"the index lists {mask(url)} without a sha256 and it cannot be downloaded to "
            "compare: compare the file by hand"
        )
    return hashlib.sha256(response.body).hexdigest()


__all__ = [
    "GITLAB_USER",
    "PASSWORD_VARIABLE",
    "TREE_SETTING",
    "IndexFile",
    "MASK",
    "Repository",
    "explain_upload_failure",
    "mask",
    "no_repository_error",
    "parse_simple_page",
    "TIMEOUT",
    "UPLOAD_TIMEOUT",
    "project_file_urls",
    "read_project_files",
    "resolve_repository",
    "simple_url_for",
    "upload",
]
