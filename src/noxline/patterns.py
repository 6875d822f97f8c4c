"""The one pattern engine for patterns noxline did not write itself: bounded in size and time.

A pattern from the settings (``release-pattern``) or from outside is compiled here and only here
(``tests/unit/test_architecture.py`` fails when another module compiles a pattern that is not
written in its code), with the ``regex`` package, whose matching takes a timeout: a catastrophic
pattern (``(a+)+$`` on a long tag) fails in one line after :data:`TIMEOUT` seconds instead of
hanging a job for hours. Compiling cannot be interrupted (``regex`` unrolls counted repeats, so
``a{1000000000}`` would take minutes), so patterns are kept short and their counts small first.

Patterns written in noxline's own code use the standard ``re`` and match setting strings whole
(``fullmatch``): ``$`` lets a trailing newline through.
"""

from __future__ import annotations

import math
import re

import regex

from noxline.errors import NoxlineError

#: Seconds one match may take.
TIMEOUT = 1.0
#: Longest pattern accepted, in characters.
MAX_LENGTH = 500
#: Largest product of a pattern's counted repeats ({n}, {n,m}: m, {n,}: n).
MAX_REPEATS = 100_000
# The numbers inside counted repeats: "{3}", "{1,4}", "{2,}", "{,5}".
_REPEAT_COUNT = re.compile(r"\{\s*([0-9]*)\s*(?:,\s*([0-9]*)\s*)?\}")


class PatternError(NoxlineError):
    """A pattern is too large to compile safely, or is no valid regular expression; the caller
    names the setting and the fix."""


class TooLarge(PatternError):
    """The pattern is longer than :data:`MAX_LENGTH` or repeats more than :data:`MAX_REPEATS`."""


class Invalid(PatternError):
    """The pattern is no valid regular expression (the message says why)."""


class TooSlow(PatternError):
    """A match took longer than :data:`TIMEOUT` (catastrophic backtracking)."""


class Pattern:
    """A compiled pattern whose every match is bounded by :data:`TIMEOUT`."""

    def __init__(self, compiled: regex.Pattern[str]) -> None:
        """Wrap a compiled ``regex`` pattern (use :func:`compile_pattern`)."""
        self._compiled = compiled

    @property
    def pattern(self) -> str:
        """The pattern's text."""
        return str(self._compiled.pattern)

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text``; :class:`TooSlow` past the limit."""
        try:
            return self._compiled.search(text, timeout=TIMEOUT) is not None
        except TimeoutError:
            raise TooSlow(self._slow(text)) from None

    def fullmatch(self, text: str) -> bool:
        """Whether the pattern matches all of ``text``; :class:`TooSlow` past the limit."""
        try:
            return self._compiled.fullmatch(text, timeout=TIMEOUT) is not None
        except TimeoutError:
            raise TooSlow(self._slow(text)) from None

    def _slow(self, text: str) -> str:
        """The message of a match past the limit."""
        return (
            f"pattern {self.pattern[:80]!r} took more than {TIMEOUT:g} s on {text[:80]!r} "
            "(catastrophic backtracking)"
        )


def compile_pattern(text: str) -> Pattern:
    """``text`` compiled, refused first when too large (:class:`TooLarge`) and when invalid
    (:class:`Invalid`)."""
    counts = [
        max(int(number[:10] or 1), 1)  # ten digits are already far over the limit
        for low, high in _REPEAT_COUNT.findall(text)
        for number in (high or low,)
    ]
    if len(text) > MAX_LENGTH or math.prod(counts) > MAX_REPEATS:
        raise TooLarge(
            f"pattern {text[:80]!r} is longer than {MAX_LENGTH} characters or repeats more than "
            f"{MAX_REPEATS} times in all ({{n}} counts multiplied)"
        )
    try:
        return Pattern(regex.compile(text))
    except (regex.error, ValueError, OverflowError, RecursionError) as error:
        raise Invalid(f"pattern {text!r} is not a valid regular expression ({error})") from None


__all__ = [
    "Invalid",
    "MAX_LENGTH",
    "MAX_REPEATS",
    "Pattern",
    "PatternError",
    "TIMEOUT",
    "TooLarge",
    "TooSlow",
    "compile_pattern",
]
