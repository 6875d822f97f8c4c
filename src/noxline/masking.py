"""Masking: what stands for a secret in anything noxline prints or writes.

A leaf module (it imports nothing of noxline), so errors, net and every job can use it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

#: What a secret is replaced with in anything printed or written.
MASK = "****"
#: Secrets shorter than this are masked only where they stand alone (see :func:`mask`): a
#: 3-character password replaced everywhere would turn unrelated words into ``****``. GitLab
#: refuses to mask CI/CD variables shorter than 8 characters for the same reason.
MIN_SECRET_LENGTH = 8

# Anything from a scheme-like word up to the last "@" of the same token is user-info, however
# malformed the URL ("https:/user:pass@host", "https://u:p@ss@host", "user:pass@host"). A
# package URL ("pkg:pypi/name@1.2.3": no authority, "@" starts the version) has none.
_USERINFO = re.compile(r"(?P<scheme>\b(?!pkg:)[a-zA-Z][a-zA-Z0-9+.-]*:/*)[^\s'\"<>]*@")
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


#: Secrets noxline came to hold while running (a token minted for an upload, credentials read
#: from the environment): :func:`mask` hides them everywhere from then on, whoever calls it.
_REMEMBERED: set[str] = set()


def remember(*secrets: str) -> None:
    """Have every later :func:`mask` in this process hide ``secrets`` (empty ones are ignored):
    a secret noxline obtains is masked in every report and log line, not only where the code
    that obtained it remembers to pass it on."""
    _REMEMBERED.update(secret for secret in secrets if secret)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each secret (also URL-encoded), any URL's user-info and secret-looking query
    values replaced by :data:`MASK`. Apply it to anything before it is printed or written.

    The secrets are ``secrets`` and every secret the process knows of (:func:`known_secrets`:
    the environment's, and those noxline obtained), so no caller can forget one.

    A secret of :data:`MIN_SECRET_LENGTH` characters or more is replaced wherever it occurs. A
    shorter one only where it stands alone, with no letter, digit or underscore right before or
    after it (``password=abc``, ``'abc'``, ``abc@host``, a word of its own), never inside a longer
    word (``abcdef``).
    """
    text = _USERINFO.sub(lambda match: f"{match['scheme']}{MASK}@", text)
    text = _USERINFO_NO_AT.sub(lambda match: f"{match['head']}{MASK}", text)
    text = _SECRET_QUERY.sub(lambda match: f"{match['key']}{MASK}", text)
    forms = secret_forms(secrets)
    # Longest first, so a secret that contains another is masked whole.
    for form in sorted(forms, key=len, reverse=True):
        if forms[form]:
            text = text.replace(form, MASK)
        else:
            text = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", MASK, text)
    return text


def secret_forms(secrets: Iterable[str] = ()) -> dict[str, bool]:
    """Each form (plain, URL-encoded) of each part of ``secrets`` and of every secret the process
    knows of, and whether it may be masked everywhere: a form of a long secret always may, even
    when a short secret has the same form."""
    forms: dict[str, bool] = {}
    for secret in (*secrets, *known_secrets()):
        for part in secret_parts(secret):
            for form in (part, quote(part, safe=""), quote(part)):
                forms[form] = forms.get(form, False) or len(part) >= MIN_SECRET_LENGTH
    return forms


#: Characters at the end of a piece of a long line that :func:`split_for_masking` keeps for the
#: next piece: more than any URL with user-info a log line holds.
HOLD_BACK = 4096


def split_for_masking(text: str, secrets: Iterable[str] = ()) -> tuple[str, str]:
    """``text``, a piece of a line too long to be read whole, as (what can be masked and written
    now, what must wait for the next piece).

    A secret or a URL's user-info cut by the end of a piece would be masked in neither piece, so
    the end of the piece waits: at least :data:`HOLD_BACK` characters or the longest secret form,
    from a blank (URLs and user-info hold none) if there is one close enough, and never from
    inside a secret form that crosses the cut. What waits stays under three times that length,
    however long the line.
    """
    forms = secret_forms(secrets)
    hold = max([HOLD_BACK, *(len(form) for form in forms)])
    cut = len(text) - hold
    if cut <= 0:
        return "", text
    blank = max(text.rfind(c, max(0, cut - hold), cut) for c in " \t\r\f\v")
    if blank > 0:
        cut = blank
    moved = True
    while moved:  # a form crossing the cut moves it to the form's start; look again from there
        moved = False
        for form in forms:
            start = text.find(form, max(0, cut - len(form) + 1), cut)
            if start != -1 and start + len(form) > cut:
                cut, moved = start, True
    return text[:cut], text[cut:]


def secret_parts(secret: str) -> tuple[str, ...]:
    """What of ``secret`` is masked: the secret, and, for one of several lines (a private key, a
    certificate, a JSON key file), each of its lines of :data:`MIN_SECRET_LENGTH` characters or
    more on its own (blanks around it left out). Logs are masked line by line as a job prints
    them, so the whole of a multi-line secret never stands in one piece of text there; its lines
    do. Shorter lines (``}``, the padding of a key) say nothing of the secret and are left."""
    if not secret:
        return ()
    lines = (line.strip() for line in secret.splitlines())
    return (secret, *(line for line in lines if len(line) >= MIN_SECRET_LENGTH and line != secret))


def known_secrets() -> tuple[str, ...]:
    """Every secret this process knows of: those of its environment (:func:`env_secrets`) and
    those noxline obtained (:func:`remember`)."""
    return (*env_secrets(os.environ), *_REMEMBERED)


def secret_variables_in(text: str, env: Mapping[str, str]) -> list[str]:
    """Names of ``env``'s secret variables (:func:`env_secrets`) whose value, a line of it or
    its URL-encoded form, of :data:`MIN_SECRET_LENGTH` characters or more, occurs in ``text``.

    For what is published rather than logged (a docs site): masking a page would still show
    where a secret stood, and break the markup around it, so such a page is refused instead.
    """
    found = []
    for name, value in sorted(env.items()):
        if value not in env_secrets({name: value}):
            continue
        forms = {
            form
            for part in secret_parts(value)
            if len(part) >= MIN_SECRET_LENGTH
            for form in (part, quote(part, safe=""), quote(part))
        }
        if any(form in text for form in forms):
            found.append(name)
    return found


def too_short_to_mask(variable: str, value: str) -> str:
    """One line saying that ``variable``'s secret is too short to be masked reliably, and what to
    do about it; empty when it is long enough (or not set)."""
    if not value or len(value) >= MIN_SECRET_LENGTH:
        return ""
    return (
        f"{variable} is shorter than {MIN_SECRET_LENGTH} characters, too short to be masked "
        "reliably: output hides it only where it stands alone (never inside a longer word, which "
        f"would garble the text); use a secret of {MIN_SECRET_LENGTH} characters or more, such as "
        "an API token of the index"
    )


def env_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """Values of variables whose names say they hold secrets (tokens, passwords, keys).

    Values under 4 characters are left out: in variables only *named* like secrets they are
    flags (``1``, ``yes``), and masking them, even as whole words, would garble every message.
    Credentials noxline uses are masked through their own variables (``Repository.secrets``).
    """
    return tuple(value for name, value in env.items() if len(value) >= 4 and _secret_name(name))


@functools.lru_cache(maxsize=1024)
def _secret_name(name: str) -> bool:
    """True when a variable called ``name`` holds a secret by its name (asked once per name:
    every masked line asks it of every variable of the environment)."""
    return bool(_SECRET_NAME.search(name)) and name not in _NOT_SECRET


__all__ = [
    "HOLD_BACK",
    "MASK",
    "MIN_SECRET_LENGTH",
    "env_secrets",
    "known_secrets",
    "mask",
    "remember",
    "secret_forms",
    "secret_parts",
    "secret_variables_in",
    "split_for_masking",
    "too_short_to_mask",
]
