"""The one error type noxline raises for bad input; its message names the cause and the fix."""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

from noxline.masking import env_secrets, mask


class NoxlineError(Exception):
    """Bad input or a refused action, with a message that says what to do about it.

    The CLI and the nox sessions print the message alone (no traceback) and exit non-zero.
    """


class ConfigError(NoxlineError):
    """The project's pyproject.toml or its ``[tool.noxline]`` table is wrong or incomplete."""


class VersionError(NoxlineError):
    """The version cannot be computed from the CI context, git or pyproject.toml."""


class PublishError(NoxlineError):
    """The publish gate refused the upload, or the package index refused it."""


#: Set to 1 to see the full traceback of an unexpected error (a bug) instead of one line.
TRACEBACK_VARIABLE = "NOXLINE_TRACEBACK"


def wants_traceback(env: Mapping[str, str] | None = None) -> bool:
    """True when the user asked for full tracebacks (``NOXLINE_TRACEBACK=1``)."""
    value = (os.environ if env is None else env).get(TRACEBACK_VARIABLE, "")
    return value.strip().lower() in ("1", "true", "yes")


def one_line(text: str) -> str:
    """``text`` on one line, masked (URL user-info, secret query values, secret variables), and
    printable: bytes of a name that is not UTF-8 (kept by Python as surrogates) escaped, so
    printing the message can never fail."""
    secrets = env_secrets(os.environ)
    # Masked before it is flattened too: a secret holding a line break or a run of blanks
    # (a key, "pass  phrase") is no longer itself once its white space is folded.
    flat = " ".join(mask(text, secrets).split())
    # Control characters left (a NUL, an escape sequence from a file name, a tool's output or a
    # server's answer) written as escapes: a terminal would act on them (move the cursor up,
    # erase the line), so the message would no longer be the one line it says.
    shown = _CONTROL.sub(lambda found: repr(found[0])[1:-1], printable(mask(flat, secrets)))
    return bounded(shown)


#: The longest error line shown: its start (the cause) and its end (the fix) are kept.
MAX_LINE = 1000


def bounded(line: str, limit: int = MAX_LINE) -> str:
    """``line`` cut to about ``limit`` characters in its middle: a message quoting a tool's output
    or a server's answer stays one readable line whatever the quote's length, with the cause it
    starts with and the fix it ends with."""
    if len(line) <= limit:
        return line
    head, tail = limit * 2 // 3, limit // 4
    return f"{line[:head]} [... {len(line) - head - tail} characters left out ...] {line[-tail:]}"


#: C0 and C1 control characters (white space is folded before they are looked for).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with what no UTF-8 output can carry (lone surrogates: undecodable bytes of a file
    name or of a tool's output) written as backslash escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def describe_unexpected(
    error: BaseException, traceback_file: Path | None, root: Path | None = None
) -> str:
    """One line for an exception noxline did not expect: what it was, where the traceback is.

    The full traceback is written to ``traceback_file`` inside the project ``root`` (when both
    are given and it can be written there) and printed only on request (``NOXLINE_TRACEBACK=1``),
    so a user sees one clear line, never a traceback.
    """
    written = _write_traceback(error, traceback_file, root) if traceback_file and root else None
    detail = one_line(str(error))[:300]
    what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    where = f"the traceback is in {written}; " if written else ""
    return (
        f"unexpected error ({what}), which is a bug in noxline or a broken environment: "
        f"{where}set {TRACEBACK_VARIABLE}=1 to print it, and report it with that traceback"
    )


def _write_traceback(error: BaseException, path: Path, root: Path) -> Path | None:
    """Write the (masked) traceback to ``path`` inside ``root``; None when it cannot be written
    there (confined as every file noxline writes: never through a link, never outside)."""
    # confine imports this module (for NoxlineError): imported here, when a bug is reported.
    from noxline import confine  # pylint: disable=import-outside-toplevel

    text = "".join(traceback.format_exception(error))
    try:
        return confine.write_text(root, path, text)
    except (OSError, NoxlineError):
        return None


def name_some(names: Sequence[str], limit: int = 5) -> str:
    """``names`` for a one-line message: the first ``limit`` of them, then how many more."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
