"""What errors.py offers every message: names listed within one line."""

from __future__ import annotations

import pytest

from noxline.errors import name_some


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
