"""Tokenless publishing: the GitLab job's OIDC id token exchanged for a short-lived upload token.

PyPI and indexes that copy it ("trusted publishing") accept an id token from a CI system they trust
for a project: ``GET <index>/_/oidc/audience`` names the audience the token must carry, and
``POST <index>/_/oidc/mint-token`` with ``{"token": <id token>}`` answers an API token that uploads
for a few minutes as user ``__token__``. GitLab puts the id token into the job's environment when
the job declares ``id_tokens`` (the ``publish`` job does when ``oidc-audience`` is set).

Neither token is ever printed or written: both are masked in every message, the id token is only
sent to the index it is meant for, and the upload token only lives in the publish process.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from noxline import masking
from noxline.audiences import AUDIENCE, ID_TOKEN_VARIABLE, KNOWN_AUDIENCES
from noxline.errors import PublishError
from noxline.index import Repository, mask
from noxline.webapi import WebError, request_json

#: The user name an index expects with an API token.
TOKEN_USER = "__token__"

#: Upload hosts whose exchange endpoints live on another host of the same index.
_EXCHANGE_HOSTS = {"upload.pypi.org": "https://pypi.org", "test.pypi.org": "https://test.pypi.org"}


def exchange_base(upload_url: str) -> str:
    """Where the index answers ``/_/oidc/...``: PyPI's main host, else the upload URL's origin."""
    parts = urlsplit(upload_url)
    known = _EXCHANGE_HOSTS.get(parts.hostname or "")
    return known or f"{parts.scheme}://{parts.netloc}"


def unverified_claims(id_token: str) -> dict[str, Any]:
    """The claims of a JWT, read without checking its signature (the index checks that).

    Read only to turn an index's refusal into a clear message (wrong audience, expired); a JWT
    library would add a dependency for three lines of base64 and JSON.
    """
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        claims = None
    if not isinstance(claims, dict):
        raise PublishError(
            f"{ID_TOKEN_VARIABLE} does not hold a JSON web token: let GitLab set it through the "
            "publish job's id_tokens (run `noxline gitlab-ci` after setting oidc-audience)"
        )
    return claims


def check_claims(claims: Mapping[str, Any], expected_audience: str, now: datetime.datetime) -> None:
    """Refuse, with the fix, an id token for another audience or one that has expired."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if expected_audience not in audiences:
        raise PublishError(
            f"the job's id token is for audience {audience!r} but the index expects "
            f"{expected_audience!r}: set oidc-audience = {expected_audience!r} in [tool.noxline] "
            "and run `noxline gitlab-ci`"
        )
    expires = claims.get("exp")
    if isinstance(expires, (int, float)) and expires <= now.timestamp():
        try:
            when = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).isoformat()
        except (OverflowError, ValueError, OSError):  # before year 1: said as it is
            when = f"{expires!r} (seconds since 1970)"
        raise PublishError(
            f"the job's id token expired at {when}: retry the publish job (GitLab issues a new one)"
        )


def mint_token(upload_url: str, id_token: str, *, now: datetime.datetime | None = None) -> str:
    """Exchange ``id_token`` at the index of ``upload_url`` for a short-lived upload token."""
    base = exchange_base(upload_url)
    secrets = (id_token,)
    try:
        answer = request_json("GET", f"{base}/_/oidc/audience", service="the index's OIDC API")
        if answer.status == 404:
            raise PublishError(
                f"{base} does not offer trusted publishing (no /_/oidc/audience): remove "
                "oidc-audience from [tool.noxline] and set TWINE_USERNAME and TWINE_PASSWORD"
            )
        expected = answer.data.get("audience") if isinstance(answer.data, dict) else None
        if answer.status != 200 or not isinstance(expected, str):
            raise PublishError(
                f"{base}/_/oidc/audience answered HTTP {answer.status} without an audience: "
                "check that the index supports trusted publishing"
            )
        if not AUDIENCE.fullmatch(expected):
            raise PublishError(
                f"{base}/_/oidc/audience answered an audience that is not a name or URL of at "
                "most 256 characters (letters, digits and . _ : / -): check that the index is "
                "the one the audience names"
            )
        claims = unverified_claims(id_token)
        check_claims(claims, expected, now or _now())
        answer = request_json(
            "POST",
            f"{base}/_/oidc/mint-token",
            service="the index's OIDC API",
            payload={"token": id_token},
            secret_in_payload=id_token,
        )
    except WebError as error:
        raise PublishError(mask(str(error), secrets)) from None
    token = answer.data.get("token") if isinstance(answer.data, dict) else None
    if isinstance(token, str):
        masking.remember(token)  # masked in every report and log line from now on
    if answer.status == 200 and isinstance(token, str) and not _TOKEN.fullmatch(token):
        raise PublishError(
            f"{base} answered the exchange with a token that is not one line of printable "
            f"ASCII of at most {_MAX_TOKEN} characters: check that the index is the one the "
            "audience names"
        )
    if answer.status != 200 or not isinstance(token, str) or not token:
        raise PublishError(
            mask(
                f"{base} refused to exchange the job's id token (HTTP {answer.status}: "
                f"{_refusal(answer.data)}): the index's trusted publisher of the project must "
                f"name this job: {publisher_fields(claims)}",
                secrets,
            )
        )
    return token


def publisher_fields(claims: Mapping[str, Any]) -> str:
    """The fields of PyPI's GitLab trusted-publisher form as this job's id token fills them
    (*Namespace*, *Project name*, *Top-level pipeline file path*, *Environment name*), so a
    refusal names what to compare with the index's settings. These claims name the project,
    never a secret."""
    project_path = str(claims.get("project_path", ""))
    namespace, _, project = project_path.rpartition("/")
    # ci_config_ref_uri is "<host>/<project path>//<pipeline file>@<ref>".
    config = str(claims.get("ci_config_ref_uri", ""))
    pipeline_file = config.partition("//")[2].rpartition("@")[0] if "//" in config else ""
    environment = str(claims.get("environment", ""))
    return (
        f"namespace {namespace or '?'!r}, project name {project or '?'!r}, top-level pipeline "
        f"file path {pipeline_file or '?'!r}, environment name "
        + (repr(environment) if environment else "empty (the job has no environment)")
    )


def with_trusted_publishing(
    repository: Repository,
    env: Mapping[str, str],
    *,
    audience: str,
    log: Callable[[str], None],
) -> Repository:
    """``repository`` with a minted upload token when an id token is there; unchanged otherwise.

    Without ``audience`` (trusted publishing off) or outside a job with ``id_tokens`` the other
    credential sources (``TWINE_*``, ``CI_JOB_TOKEN``) stay in charge.
    """
    id_token = env.get(ID_TOKEN_VARIABLE, "")
    if not audience:
        return repository
    check_target(audience, repository.upload_url, repository.configured_by)
    if not id_token:
        log(
            f"trusted publishing: no id token in {ID_TOKEN_VARIABLE} (not a GitLab job with "
            "id_tokens): using the other credential sources"
        )
        return repository
    token = mint_token(repository.upload_url, id_token)
    where = exchange_base(repository.upload_url)
    log(
        f"trusted publishing: exchanged the job's id token at {where} for a short-lived upload "
        "token"
    )
    return dataclasses.replace(
        repository,
        username=TOKEN_USER,
        password=token,
        credentials_from=f"the trusted publisher settings on the index ({ID_TOKEN_VARIABLE})",
    )


def check_target(audience: str, upload_url: str, configured_by: str) -> None:
    """Refuse, before any exchange, an upload target that is not the index the audience belongs
    to (``oidc-audience = "pypi"`` with TestPyPI's or a GitLab registry's URL): the id token
    would be sent to an index that cannot accept it."""
    known = KNOWN_AUDIENCES.get(audience)
    if known is None:
        return
    expected = urlsplit(known[0]).hostname
    if urlsplit(upload_url).hostname != expected:
        raise PublishError(
            f"oidc-audience {audience!r} is {expected}'s, but the upload goes to "
            f"{mask(upload_url)} ({configured_by}): remove that setting to publish to {expected}, "
            "or set oidc-audience to the audience of the index you upload to"
        )


def describe_exchange(repository: Repository, env: Mapping[str, str]) -> str:
    """What a release would do about trusted publishing here, in words (for dry runs); a dry run
    already refuses an upload target the audience does not belong to."""
    where = exchange_base(repository.upload_url)
    if env.get(ID_TOKEN_VARIABLE):
        return (
            f"a release would exchange the job's id token ({ID_TOKEN_VARIABLE}) at {where} "
            "for a short-lived upload token"
        )
    return (
        f"no id token in {ID_TOKEN_VARIABLE} (not a GitLab job with id_tokens): a release here "
        "would use the other credential sources"
    )


#: The longest upload token accepted from an exchange (PyPI's are a few hundred characters).
_MAX_TOKEN = 4096
#: An upload token: printable ASCII without spaces (it goes into an HTTP header, via twine).
_TOKEN = re.compile(r"[\x21-\x7e]{1,%d}" % _MAX_TOKEN)


def _refusal(data: Any) -> str:
    """The index's reasons for a refusal, on one line of at most 300 characters (text from
    outside: bounded)."""
    return " ".join(_reasons(data).split())[:300]


def _reasons(data: Any) -> str:
    """The index's reasons for a refusal, in one line (PyPI answers a list of errors)."""
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list):
            said = [
                str(item.get("description") or item.get("code"))
                for item in errors
                if isinstance(item, dict)
            ]
            if said:
                return "; ".join(said).replace("\n", " ")
        if isinstance(data.get("message"), str):
            return str(data["message"]).replace("\n", " ")
    return "no reason given"


def _now() -> datetime.datetime:
    """The current time, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


__all__ = [
    "AUDIENCE",
    "ID_TOKEN_VARIABLE",
    "TOKEN_USER",
    "check_claims",
    "describe_exchange",
    "exchange_base",
    "mint_token",
    "publisher_fields",
    "unverified_claims",
    "with_trusted_publishing",
]
