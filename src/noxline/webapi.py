"""JSON APIs over :mod:`noxline.net`: the GitLab releases API and the OIDC token exchange.

:mod:`noxline.net` bounds every request (deadline, size cap, same-origin redirects, credentials
for one origin, retries) and raises on error statuses; the APIs used here explain a refusal in the
JSON body of the error answer (GitLab's ``message``, PyPI's ``errors``), and a 404 is an answer
("no release yet"), so :func:`request_json` returns every answered status with its JSON body and
raises only when no answer came.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from noxline import net
from noxline.errors import NoxlineError

#: Seconds a request may take in all, retries included.
TIMEOUT = 30.0
#: The largest answer read: API answers are small; anything bigger is not one of them.
MAX_BYTES = 10 * 1024 * 1024


class WebError(NoxlineError):
    """A service could not be reached or did not answer with JSON."""


@dataclass(frozen=True)
class Response:
    """A service's answer: its HTTP status and its JSON body (None when the body was empty)."""

    status: int
    data: Any


def request_json(  # pylint: disable=too-many-arguments
    method: str,
    url: str,
    *,
    service: str,
    token_header: tuple[str, str] | None = None,
    payload: Any = None,
    secret_in_payload: str = "",
    timeout: float = TIMEOUT,
) -> Response:
    """Send ``payload`` (as JSON, when given) and return the status and the JSON answer.

    ``token_header`` is (header, token), sent to the origin of ``url`` only and never shown.
    ``secret_in_payload`` names a secret the payload carries (an id token): it binds the body to
    the origin of ``url`` under the same rules (https, http only to loopback, no other origin,
    redirects included); a payload carrying a secret it does not name is refused by
    :mod:`noxline.net`. HTTP error statuses are returned, not raised: callers know what a 404 or
    a 422 means for them. ``service`` names the service in messages ("the GitLab API").
    """
    body = None if payload is None else json.dumps(payload).encode("utf-8")
    headers = {"Accept": "application/json", "User-Agent": "noxline"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    credentials = net.Credentials.token_header(url, *token_header) if token_header else None
    if secret_in_payload:
        if credentials is not None:
            raise ValueError("one credential per request")  # pragma: no cover - a misuse
        credentials = net.Credentials.in_body(url, secret_in_payload)
    limits = net.Limits(deadline=timeout, max_bytes=MAX_BYTES)
    try:
        answer = net.request(
            method, url, headers=headers, body=body, credentials=credentials, limits=limits
        )
        status, raw = answer.status, answer.body
    except net.HTTPStatusError as error:
        if error.status is None:
            raise WebError(f"{service}: {error}") from None
        status, raw = error.status, error.body
    except net.NetError as error:
        raise WebError(f"{service}: {error}") from None
    try:
        # Checked as every answer from outside: UTF-8, JSON, bounded depth (net.parse_json).
        data = net.parse_json(raw, url, service=service, status=status) if raw.strip() else None
    except net.NetError as error:
        if status >= 400:
            return Response(status, None)  # an error page: the status says enough
        raise WebError(f"{error} (HTTP {status})") from None
    return Response(status, data)


__all__ = ["MAX_BYTES", "Response", "TIMEOUT", "WebError", "request_json"]
