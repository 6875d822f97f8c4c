"""Looking at a built page as a person would: Debian's Chromium, headless.

One run of the browser loads a page, runs its scripts, and gives the DOM it ended with, what the
page wrote to its console (errors included: ``Uncaught ReferenceError: ...``) and a screenshot.
Chromium is Debian's ``chromium`` package (browser downloads do not work here): ./ci/run-tests
installs it where it is missing and it runs as root; elsewhere a test that needs it is skipped,
unless NOXLINE_REQUIRE_E2E=1 (CI), where a missing browser fails it.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Debian's name for it, then the name other distributions use.
EXECUTABLES = ("chromium", "chromium-browser")

#: Headless, sandbox-less (root in CI), and quiet: nothing fetched besides the page itself.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
)

#: What the page writes to its console, as Chromium logs it:
#: ``[...:INFO:CONSOLE:1] "Uncaught ReferenceError: x is not defined", source: file:///... (1)``.
_CONSOLE = re.compile(r':CONSOLE(?:\(\d+\)|:\d+)\] "(.*)", source: ', re.MULTILINE)


@dataclass(frozen=True)
class Page:
    """A page after loading: its DOM, its console messages, its screenshot."""

    dom: str
    console: tuple[str, ...]
    screenshot: Path

    def text_of(self, element_id: str) -> str:
        """The visible text of the element with ``element_id`` (a pdoc section), whitespace
        collapsed, its collapsed source view and form controls left out."""
        start = self.dom.index(f'id="{element_id}"')
        end = self.dom.find("</section>", start)
        part = re.sub(
            r'<div class="pdoc-code codehilite">.*?</pre></div>',
            "",
            self.dom[start:end],
            flags=re.S,
        )
        part = re.sub(r"<label[^>]*>.*?</label>", "", part, flags=re.S)
        return " ".join(html.unescape(re.sub(r"<[^>]+>", "", part.split(">", 1)[1])).split())


#: How long a browser test waits for ./ci/run-tests' install of Chromium to end.
INSTALL_WAIT = 900


def installed_chromium() -> str | None:
    """The Chromium executable on PATH, if any."""
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium() -> str:
    """The Chromium executable; skips the test when there is none, unless CI requires it.

    ./ci/run-tests installs it beside the first tests and names in ``NOXLINE_CHROMIUM_INSTALL``
    the file that gets apt-get's exit code: a browser test that comes early waits for it."""
    status_file = os.environ.get("NOXLINE_CHROMIUM_INSTALL")
    if installed_chromium() is None and status_file:
        status = Path(status_file)
        deadline = time.monotonic() + INSTALL_WAIT
        while not status.is_file() and time.monotonic() < deadline:
            time.sleep(1)
        if status.is_file() and status.read_text(encoding="utf-8").strip() != "0":
            pytest.fail(f"apt-get could not install Chromium: see {status.with_name('apt.log')}")
    found = installed_chromium()
    if found:
        return found
    reason = "Chromium is not installed: `apt-get install -y chromium` (./ci/run-tests does)"
    if os.environ.get("NOXLINE_REQUIRE_E2E") == "1":
        pytest.fail(f"NOXLINE_REQUIRE_E2E=1 but {reason}")
    pytest.skip(reason)


def open_page(url: str, screenshot: Path, *, width: int = 1280, height: int = 2000) -> Page:
    """Load ``url`` in headless Chromium (a profile of its own beside ``screenshot``): the DOM
    after its scripts ran, its console messages, and a ``width`` x ``height`` screenshot."""
    profile = screenshot.with_name(f"{screenshot.stem}-profile")
    done = subprocess.run(
        [
            chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={screenshot}",
            f"--window-size={width},{height}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        check=False,
    )
    shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, f"chromium failed on {url}:\n{done.stderr[-2000:]}"
    assert screenshot.is_file(), f"chromium wrote no screenshot of {url}:\n{done.stderr[-2000:]}"
    return Page(done.stdout, tuple(_CONSOLE.findall(done.stderr)), screenshot)
