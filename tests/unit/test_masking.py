"""Tests for noxline.masking: what stands for a secret, and where a short secret is masked.

A secret of MIN_SECRET_LENGTH characters or more is masked wherever it occurs; a shorter one only
where it stands alone, so a 2-3 character password cannot turn unrelated words into ``****``.
"""

from __future__ import annotations

import io

import pytest

from noxline.masking import (
    HOLD_BACK,
    MASK,
    MIN_SECRET_LENGTH,
    mask,
    split_for_masking,
    too_short_to_mask,
)
from noxline.runner.processes import _pump

M = MASK

MASKED = {  # text, secrets → the text as printed
    # Short secrets: hidden where they stand alone ...
    "short-after-equals": ("password=abc&x=1", ["abc"], f"password={M}&x=1"),
    "short-after-colon": ("TWINE_PASSWORD: abc", ["abc"], f"TWINE_PASSWORD: {M}"),
    "short-quoted": ("got 'abc' and \"abc\"", ["abc"], f"got '{M}' and \"{M}\""),
    "short-whole-word": ("the password is abc.", ["abc"], f"the password is {M}."),
    "short-user-info": ("https://u:abc@host/x", ["abc"], f"https://{M}@host/x"),
    "short-before-at": ("abc@host", ["abc"], f"{M}@host"),
    "short-url-encoded": ("x=a%2Fb&y", ["a/b"], f"x={M}&y"),
    "short-basic-token": ("Authorization: Basic dTpw", ["dTpw"], f"Authorization: Basic {M}"),
    "short-whole-text": ("pw", ["pw"], M),
    # ... never inside a longer word, which would garble the text.
    "short-inside-words": ("abcdef fabc xabcx", ["abc"], "abcdef fabc xabcx"),
    "two-characters": ("up: upload uploaded; up", ["up"], f"{M}: upload uploaded; {M}"),
    "digit-next-to-it": ("abc1 2abc", ["abc"], "abc1 2abc"),
    "underscore-next-to-it": ("abc_x x_abc", ["abc"], "abc_x x_abc"),
    "symbols-inside-the-secret": ("p@s 'p@s' xp@sx", ["p@s"], f"{M} '{M}' xp@sx"),
    # Long secrets: masked everywhere, inside words too, exactly as before.
    "long-inside-a-word": ("xxsecret-123xx", ["secret-123"], f"xx{M}xx"),
    "long-url-encoded-inside": ("a=xp%40ss%2Fword1y", ["p@ss/word1"], f"a=x{M}y"),
    "exactly-the-minimum": ("x12345678x", ["12345678"], f"x{M}x"),
    "long-and-short-together": ("abcdefgh abc abcx", ["abc", "abcdefgh"], f"{M} {M} abcx"),
    "long-secret-containing-a-short-one": ("abcdefghij", ["abcdefghij", "abc"], M),
    # A form shared by a long and a short secret stays masked everywhere.
    "same-form-long-wins": ("x%2Fabcdefx", ["/abcdef", "%2Fabcdef"], f"x{M}x"),
    # A package URL has no user-info: its "@" starts the version (the SBOM's PURLs).
    "package-url": (
        "pkg:pypi/my-lib@1.2.3, pkg:npm/%40a/b@2",
        [],
        "pkg:pypi/my-lib@1.2.3, pkg:npm/%40a/b@2",
    ),
    "url-inside-a-package-url": (
        "pkg:pypi/x@1?download_url=https://u:p@host/x.whl",
        [],
        f"pkg:pypi/x@1?download_url=https://{M}@host/x.whl",
    ),
}


@pytest.mark.parametrize(("text", "secrets", "shown"), MASKED.values(), ids=MASKED.keys())
def test_mask(text: str, secrets: list[str], shown: str) -> None:
    """Long secrets are masked everywhere; short ones only where they stand alone."""
    assert mask(text, secrets) == shown


LONG = ["hunter2-hunter2", "glpat-AbCdEf123456", "pypi-AgEIcHlwaS5vcmc"]
TEXTS = ["{}", "x{}x", "user:{}@host", "'{}'", "_{}_", "a{}{}b", "%{}"]


@pytest.mark.parametrize("secret", LONG)
@pytest.mark.parametrize("template", TEXTS)
def test_long_secrets_are_masked_wherever_they_occur(secret: str, template: str) -> None:
    """The rule for short secrets never makes a long one less masked: gone from every text."""
    text = template.format(*[secret] * template.count("{}"))
    assert secret not in mask(text, [secret])
    assert secret not in mask(text, [secret, secret[:3]])


NOTICE = {  # value → is it too short to be masked reliably
    "": False,
    "Q": True,
    "Zq7": True,
    "Zq7" + "#" * (MIN_SECRET_LENGTH - 4): True,
    "Zq7" + "#" * (MIN_SECRET_LENGTH - 3): False,
    "pypi-AgEIcHlwaS5vcmc": False,
}


@pytest.mark.parametrize(("value", "short"), NOTICE.items(), ids=repr)
def test_too_short_to_mask_says_so_in_one_line(value: str, short: bool) -> None:
    """A short secret gets one line naming the variable and the fix, never the value."""
    notice = too_short_to_mask("TWINE_PASSWORD", value)
    if not short:
        assert notice == ""
        return
    assert notice.startswith("TWINE_PASSWORD is shorter than 8 characters")
    assert "use a secret of 8 characters or more" in notice
    assert "\n" not in notice and value not in notice


#: A private key as a GitLab file or multi-line variable holds it (GitLab cannot mask those).
KEY = "-----BEGIN KEY-----\nAAAAsecretline1xyz\nBBBBsecretline2xyz\nCC==\n-----END KEY-----\n"

MULTI_LINE = {  # a line of text as a job prints it → as the log shows it
    "first-line": ("AAAAsecretline1xyz\n", f"{M}\n"),
    "a-middle-line-in-output": ("got BBBBsecretline2xyz!\n", f"got {M}!\n"),
    "carriage-return": ("AAAAsecretline1xyz\r\n", f"{M}\r\n"),
    "the-whole-key": (KEY, None),
    "the-key-in-one-line": ("k=" + KEY.replace("\n", "\\n"), None),
    # A line too short to say anything of the key is no secret by itself.
    "short-padding-line": ("CC== is left", "CC== is left"),
}


@pytest.mark.parametrize(("text", "shown"), MULTI_LINE.values(), ids=MULTI_LINE.keys())
def test_each_line_of_a_multi_line_secret_is_masked(text: str, shown: str | None) -> None:
    """Logs are masked line by line as a job prints them, so a multi-line secret (a private key)
    is never whole there: each of its lines is masked on its own (it leaked into job.log)."""
    for secrets in ([KEY], [KEY.replace("\n", "\r\n")]):
        hidden = mask(text, secrets)
        assert "secretline" not in hidden
        if shown is not None:
            assert hidden == shown


def test_a_multi_line_secret_of_the_environment_is_masked_line_by_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through the environment too (``DEPLOY_KEY``), as the runner's log pump masks each line."""
    monkeypatch.setenv("DEPLOY_KEY", KEY)
    lines = ["$ pytest\n", *(f"E   {line}\n" for line in KEY.splitlines()), "1 failed\n"]
    log = "".join(mask(line) for line in lines)
    assert "secretline" not in log and log.endswith("1 failed\n")


#: Where a secret starts, relative to the end of the first 1 MiB piece of a long line.
_STRADDLE = {"inside": -40, "across-by-1": -1, "across-by-half": -8, "just-after": 0}
_PIECE = 1024 * 1024


@pytest.mark.parametrize("blanks", [True, False], ids=["words", "one-blob"])
@pytest.mark.parametrize("offset", _STRADDLE.values(), ids=_STRADDLE.keys())
def test_a_line_longer_than_a_piece_is_masked_as_if_read_whole(offset: int, blanks: bool) -> None:
    """A job printing a 3 MiB line with no line break (read in 1 MiB pieces): a secret and a
    URL's user-info wherever a piece ends are masked as in the whole line, nothing lost."""
    secret = "s3cr3t-Value-of-16"
    filler = ("word " if blanks else "x") * (3 * _PIECE // (5 if blanks else 1))
    start = _PIECE + offset
    line = filler[:start] + secret + filler[start : 2 * _PIECE - 9]
    line += "https://user:pa55word@index.example/simple " + filler[: _PIECE // 2]
    source, log = io.BytesIO(line.encode()), io.BytesIO()
    _pump(source, log, (secret,))
    written, whole = log.getvalue().decode(), mask(line, (secret,))
    # Compared by where they first differ: pytest's diff of two 3 MiB strings would take hours.
    differs = next((i for i, (a, b) in enumerate(zip(written, whole)) if a != b), None)
    assert differs is None, (
        written[differs - 40 : differs + 40],
        whole[differs - 40 : differs + 40],
    )
    assert len(written) == len(whole)
    assert "s3cr3t" not in written and "pa55word" not in written
    assert written.count(MASK) == 2


def test_what_waits_for_the_next_piece_is_bounded() -> None:
    """However long a line without blanks, the part held back is a few kB."""
    now, waiting = split_for_masking("y" * (5 * _PIECE), ("a-secret-value",))
    assert len(now) + len(waiting) == 5 * _PIECE
    assert 0 < len(waiting) <= 3 * HOLD_BACK
