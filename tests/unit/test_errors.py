"""What errors.py offers every message: names listed within one line."""

from __future__ import annotations

import pytest

from noxline.errors import name_some, one_line


@pytest.mark.parametrize(
    ("names", "text"),
    [
        ([], ""),
        (["a"], "a"),
        (["a", "b", "c", "d", "e"], "a, b, c, d, e"),
        (["a", "b", "c", "d", "e", "f", "g"], "a, b, c, d, e and 2 more"),
    ],
    ids=["none", "one", "five", "seven"],
)
def test_name_some_lists_five_then_counts(names: list[str], text: str) -> None:
    """Up to five names are shown; the rest are counted, so a message stays one line."""
    assert name_some(names) == text


FOLDED_SECRETS = {  # a secret with white space of its own → a message holding it
    "double-blank": ("pass  phrase-123", "cannot log in with pass  phrase-123 at host"),
    "tab": ("pass\tphrase-123", "got 'pass\tphrase-123'"),
    "trailing-newline": ("passphrase-123\n", "token passphrase-123\n, refused"),
    "two-lines": ("AAAAsecretline1\nBBBBsecretline2", "key: AAAAsecretline1\nBBBBsecretline2 !"),
}


@pytest.mark.parametrize(("secret", "text"), FOLDED_SECRETS.values(), ids=FOLDED_SECRETS.keys())
def test_one_line_masks_a_secret_before_folding_its_white_space(
    monkeypatch: pytest.MonkeyPatch, secret: str, text: str
) -> None:
    """one_line folds white space: a secret with blanks of its own, masked only after folding,
    was printed whole (it no longer matched)."""
    monkeypatch.setenv("TWINE_PASSWORD", secret)
    shown = one_line(text)
    assert "phrase" not in shown and "secretline" not in shown and "\n" not in shown


CONTROLS = {  # a message holding control characters → the one line shown
    "escape-sequence": (
        "bad name '\x1b[1A\x1b[2Knoxline: all passed'",
        "bad name '\\x1b[1A\\x1b[2Knoxline: all passed'",
    ),
    "nul": ("mk\0docs", "mk\\x00docs"),
    "bell-and-c1": ("a\x07b\x9bc", "a\\x07b\\x9bc"),
    "white-space-folded": ("a\r\nb\tc\x0bd", "a b c d"),
    "unicode-kept": ("caf\u00e9 \u2713", "caf\u00e9 \u2713"),
}


@pytest.mark.parametrize(("text", "shown"), CONTROLS.values(), ids=CONTROLS.keys())
def test_one_line_escapes_control_characters(text: str, shown: str) -> None:
    """A terminal acts on control characters (cursor up, erase line): shown as escapes, the
    message stays the one line it is (a file name or a server's answer could hold them)."""
    assert one_line(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("short: run `x`", "short: run `x`"),
        ("a" * 1000, "a" * 1000),
        (
            "cause " + "q" * 5000 + " run `fix`",
            "cause "
            + "q" * 660
            + " [... 4100 characters left out ...] "
            + "q" * 240
            + " run `fix`",
        ),
    ],
    ids=["short", "at-the-limit", "quoted-output"],
)
def test_one_line_is_bounded_keeping_cause_and_fix(text: str, shown: str) -> None:
    """A message quoting a megabyte of a tool's output is one line of about 1000 characters,
    with the cause it starts with and the fix it ends with."""
    assert one_line(text) == shown
    assert len(one_line(text)) <= 1040
