"""Masking: what stands for a secret in anything noxline prints or writes.

A leaf module (it imports nothing of noxline), so errors, net and every job can use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

#: What a secret is replaced with in anything printed or written.
MASK = "****"

# Anything from a scheme-like word up to the last "@" of the same token is user-info, however
# malformed the URL ("https:/user:pass@host", "https://u:p@ss@host", "user:pass@host").
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*:/*)[^\s'\"<>]*@")
# "scheme://user:secret" whose "@" went missing or was escaped ("https://u:p%40host/"): what
# follows the first colon of the authority is no port (ports are digits), so it may be a password.
_USERINFO_NO_AT = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@?#'\"<>\[]*:)"
    r"(?![0-9]*(?:[/?#\s'\"<>]|$))[^/?#\s'\"<>]+"
)
# Query (or fragment) parameters that carry secrets in common APIs (private_token=, ...).
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;#][^=&\s]*(?:token|password|passwd|secret|key|auth|signature)[^=&\s]*=)"
    r"[^&\s#'\"]*",
    re.IGNORECASE,
)
# Variable names that say the value is a secret.
_SECRET_NAME = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|_KEY|CREDENTIAL|AUTH", re.IGNORECASE)
# Variables with such names that hold no secret and would only garble messages if masked.
_NOT_SECRET = frozenset({"NOXLINE_TRACEBACK", "SSH_AUTH_SOCK"})


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each secret (also URL-encoded), any URL's user-info and secret-looking query
    values replaced by :data:`MASK`. Apply it to anything before it is printed or written."""
    text = _USERINFO.sub(lambda match: f"{match['scheme']}{MASK}@", text)
    text = _USERINFO_NO_AT.sub(lambda match: f"{match['head']}{MASK}", text)
    text = _SECRET_QUERY.sub(lambda match: f"{match['key']}{MASK}", text)
    forms = {
        form
        for secret in secrets
        if secret
        for form in (secret, quote(secret, safe=""), quote(secret))
    }
    # Longest first, so a secret that contains another is masked whole.
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def env_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """Values of variables whose names say they hold secrets (tokens, passwords, keys)."""
    return tuple(
        value
        for name, value in env.items()
        if _SECRET_NAME.search(name) and len(value) >= 4 and name not in _NOT_SECRET
    )


__all__ = ["MASK", "env_secrets", "mask"]
