"""What ``noxline run`` shows: live status lines on a terminal, plain lines elsewhere, a summary."""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from noxline import confine
from noxline.ci import CIContext
from noxline.config import Settings
from noxline.errors import NoxlineError
from noxline.pipeline import Job
from noxline.runner.processes import log_path, summary_path
from noxline.runner.scheduler import Event, JobResult, RunOutcome, Status

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_COLORS = {
    Status.PASSED: "32",
    Status.FAILED: "31",
    Status.ALLOWED_TO_FAIL: "33",
    Status.SKIPPED: "2",
    Status.INTERRUPTED: "35",
    Status.NOT_STARTED: "2",
    Status.CACHED: "34",
}


def is_live_terminal(stream: TextIO, env: Mapping[str, str]) -> bool:
    """True when progress may be redrawn in place: a terminal, and not a CI job log."""
    if CIContext.from_env(env).is_log or env.get("TERM") == "dumb":
        return False
    return stream.isatty()


def uses_color(env: Mapping[str, str]) -> bool:
    """False when ``NO_COLOR`` is set to anything but the empty string (https://no-color.org)."""
    return not env.get("NO_COLOR")


def _duration(seconds: float | None) -> str:
    """Seconds as ``12.3s`` or ``2m05s``; ``-`` for a job that never ran."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}m{rest:02d}s"


def _last_line(root: Path, path: Path, size: int = 4096) -> str:
    """The last non-empty line of a log (its tail only is read), without control characters."""
    try:
        tail = confine.read_part(root, path, size, from_end=True).decode("utf-8", "replace")
    except (OSError, NoxlineError):
        return ""
    lines = [_ANSI.sub("", line).rsplit("\r", 1)[-1].strip() for line in tail.splitlines()]
    text = next((line for line in reversed(lines) if line), "")
    return "".join(char for char in text if char.isprintable())


def _first_line(root: Path, path: Path, size: int = 200) -> str:
    """The first line of a short file (its first ``size`` bytes), printable characters only."""
    try:
        head = confine.read_part(root, path, size).decode("utf-8", "replace")
    except (OSError, NoxlineError):
        return ""
    line = head.splitlines()[0] if head.strip() else ""
    return "".join(char for char in line if char.isprintable()).strip()


class Display:  # pylint: disable=too-many-instance-attributes
    """Progress of a run: a live line per running job on a terminal, else one line per event."""

    def __init__(
        self, settings: Settings, stream: TextIO, live: bool, *, colored: bool = True
    ) -> None:
        """Show progress on ``stream``; ``live`` redraws the running jobs' lines in place.

        ``colored`` (only on a live terminal) colours the statuses; ``NO_COLOR`` turns it off.
        """
        self.settings = settings
        self.stream = stream
        self.live = live
        self.colored = live and colored
        self._lock = threading.Lock()
        self._running: dict[str, tuple[Job, float]] = {}
        self._board = 0
        self._frame = 0
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Display:
        """Start redrawing (on a live terminal)."""
        if self.live:
            self._thread = threading.Thread(target=self._redraw_loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop redrawing and clear the board."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._clear()

    def color(self, text: str, code: str) -> str:
        """``text`` in an ANSI colour on a live terminal that may show colours, plain elsewhere."""
        return f"\x1b[{code}m{text}\x1b[0m" if self.colored else text

    def event(self, event: Event) -> None:
        """Show a job starting or ending."""
        with self._lock:
            self._clear()
            name = event.job.name
            if event.result is None:
                self._running[name] = (event.job, time.monotonic())
                if not self.live:
                    self.stream.write(f"noxline: {name} started\n")
            else:
                self._running.pop(name, None)
                self.stream.write(self._ended_line(event.result) + "\n")
            self._draw()
            self.stream.flush()

    def note(self, text: str) -> None:
        """Show a line of its own above the running jobs."""
        with self._lock:
            self._clear()
            self.stream.write(text + "\n")
            self._draw()
            self.stream.flush()

    def _ended_line(self, result: JobResult) -> str:
        """One line saying how a job ended."""
        status = self.color(result.status.value, _COLORS[result.status])
        text = f"noxline: {result.job.name} {status}"
        if result.duration is not None:
            text += f" in {_duration(result.duration)}"
        if result.reason and result.status is not Status.PASSED:
            text += f" ({result.reason})"
        return text

    def _redraw_loop(self) -> None:
        """Redraw the running jobs' lines a few times a second until stopped."""
        while not self._stopped.wait(0.25):
            with self._lock:
                self._frame += 1
                self._clear()
                self._draw()
                self.stream.flush()

    def _draw(self) -> None:
        """Write one line per running job (live terminals only); remember how many."""
        if not self.live:
            return
        width = shutil.get_terminal_size().columns - 1
        now = time.monotonic()
        spinner = _SPINNER[self._frame % len(_SPINNER)]
        lines = []
        for name, (job, began) in self._running.items():
            head = f"{spinner} {name} ({int(now - began)}s)"
            preview = _last_line(self.settings.project_dir, log_path(self.settings, job))
            room = width - len(head) - 2
            line = head + (f"  {preview[:room]}" if preview and room > 0 else "")
            lines.append(self.color(line[:width], "36"))
        for line in lines:
            self.stream.write(line + "\n")
        self._board = len(lines)

    def _clear(self) -> None:
        """Erase the running jobs' lines drawn last."""
        if self._board:
            self.stream.write(f"\x1b[{self._board}A\x1b[J")
            self._board = 0


def summary(
    settings: Settings, outcome: RunOutcome, wall_time: float, colored: bool = False
) -> str:
    """The end-of-run table (job, status, duration, log and report) and the pipeline's verdict.

    ``colored`` colours the status cells (a live terminal without ``NO_COLOR``).
    """
    rows = [("job", "status", "duration", "result", "log / report")]
    rows += [_summary_row(settings, result) for result in outcome.results]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = []
    for index, (name, status, duration, result, where) in enumerate(rows):
        shown = f"{status:<{widths[1]}}"
        if colored and index:  # colour the status cell only, after padding it
            colour = _COLORS[outcome.results[index - 1].status]
            shown = f"\x1b[{colour}m{shown}\x1b[0m"
        lines.append(
            f"{name:<{widths[0]}}  {shown}  {duration:>{widths[2]}}  "
            f"{result:<{widths[3]}}  {where}".rstrip()
        )
    if outcome.interrupted:
        lines.append(
            f"interrupted: jobs left unfinished: {', '.join(outcome.unfinished) or 'none'}"
        )
    lines.append(
        f"pipeline {_verdict(outcome)} in {_duration(wall_time)} (exit code {outcome.exit_code})"
    )
    return "\n".join(lines) + "\n"


def _summary_row(settings: Settings, result: JobResult) -> tuple[str, str, str, str, str]:
    """One job's row: name, status (a cached job's says when it was green), duration, its one-line
    result (what the job body summarised: ``312 tests``) and its log (plus its browsable report,
    if any)."""
    outcome = ""
    if result.duration is None:
        where = f"({result.reason})" if result.reason else "-"
    else:
        job = result.job
        summary_file = summary_path(settings, job)
        if summary_file is not None and not summary_file.is_symlink():
            outcome = _first_line(settings.project_dir, summary_file)
        where = str(log_path(settings, result.job).relative_to(settings.project_dir))
        exposed = result.job.exposed_report()
        ended = result.status in (
            Status.PASSED,
            Status.FAILED,
            Status.ALLOWED_TO_FAIL,
            Status.CACHED,
        )
        if exposed and ended and (settings.project_dir / exposed[1]).exists():
            where += f"  {exposed[0]}: {exposed[1]}"
    status = result.status.value
    if result.status is Status.CACHED:
        status += f" ({result.reason})"
    return (result.job.name, status, _duration(result.duration), outcome, where)


def _verdict(outcome: RunOutcome) -> str:
    """The pipeline's status in words, naming the jobs that were allowed to fail."""
    if outcome.interrupted:
        return "interrupted"
    if outcome.exit_code:
        return "failed"
    warned = [r.job.name for r in outcome.results if r.status is Status.ALLOWED_TO_FAIL]
    return f"passed with warnings ({', '.join(warned)} allowed to fail)" if warned else "passed"


def failure_tails(settings: Settings, outcome: RunOutcome, count: int = 30) -> str:
    """The last lines of each failed job's log, so the cause shows without opening the file."""
    parts = []
    for result in outcome.results:
        if result.status is not Status.FAILED:
            continue
        path = log_path(settings, result.job)
        with contextlib.suppress(OSError, NoxlineError):
            tail = confine.read_part(settings.project_dir, path, 64 * 1024, from_end=True)
            lines = tail.decode("utf-8", "replace").splitlines()[-count:]
            rel = path.relative_to(settings.project_dir)
            parts.append(f"--- {result.job.name} failed; last lines of {rel}:\n" + "\n".join(lines))
    return "".join(part + "\n" for part in parts)
