"""JSON over HTTP for the release and token-exchange steps: bounded in time and size, one origin.

Every request has a deadline, a response larger than :data:`MAX_BYTES` is refused, and redirects
are followed only within the origin asked, so a token sent in a header never reaches another host.
A failure to connect is one :class:`WebError` line naming the service and the fix.

This is the one function the jobs call for HTTP: when a shared bounded client lands in noxline,
:func:`request_json` switches to it and its callers stay as they are.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import IO, Any
from urllib.parse import urlsplit

from noxline.errors import NoxlineError

#: Seconds to wait for a service to answer.
TIMEOUT = 30.0
#: The largest response body read: API answers are small; anything bigger is not one of them.
MAX_BYTES = 10 * 1024 * 1024


class WebError(NoxlineError):
    """A service could not be reached or did not answer with JSON."""


@dataclass(frozen=True)
class Response:
    """A service's answer: its HTTP status and its JSON body (None when the body was empty)."""

    status: int
    data: Any


def origin(url: str) -> tuple[str, str]:
    """Scheme and host:port of a URL (user-info dropped), to compare where requests go."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return parts.scheme.lower(), f"{(parts.hostname or '').lower()}:{port}"


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects within the origin asked only: tokens in headers never change hosts."""

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
        if origin(newurl) != origin(req.full_url):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


_OPENER = urllib.request.build_opener(_SameOriginRedirects)


def request_json(  # pylint: disable=too-many-arguments
    method: str,
    url: str,
    *,
    service: str,
    headers: Mapping[str, str] | None = None,
    payload: Any = None,
    timeout: float = TIMEOUT,
) -> Response:
    """Send ``payload`` (as JSON, when given) and return the status and the JSON answer.

    HTTP error statuses are returned, not raised: callers know what a 404 or a 422 means for them.
    ``service`` names the service in messages ("the GitLab API").
    """
    body = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Accept", "application/json")
    request.add_header("User-Agent", "noxline")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    status, raw = _send(request, service, timeout)
    try:
        data = json.loads(raw) if raw.strip() else None
    except ValueError:
        if status >= 400:
            return Response(status, None)  # an error page: the status says enough
        raise WebError(
            f"{service} answered {_safe(url)} (HTTP {status}) with something that is not JSON: "
            "check that the URL points at the API"
        ) from None
    return Response(status, data)


def _send(request: urllib.request.Request, service: str, timeout: float) -> tuple[int, bytes]:
    """Status and body (at most :data:`MAX_BYTES`) of ``request``; error statuses included."""
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            status, raw = answer.status, answer.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        with error:
            status, raw = error.code, error.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise WebError(
            f"cannot reach {service} at {_safe(request.full_url)} ({reason}): check the URL and "
            "that the service is up"
        ) from None
    if len(raw) > MAX_BYTES:
        raise WebError(
            f"{service} answered {_safe(request.full_url)} with more than {MAX_BYTES} bytes"
        )
    return int(status), bytes(raw)


def _safe(url: str) -> str:
    """``url`` without user-info or query, for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}" + (
        parts.path
    )


__all__ = ["MAX_BYTES", "Response", "TIMEOUT", "WebError", "origin", "request_json"]
