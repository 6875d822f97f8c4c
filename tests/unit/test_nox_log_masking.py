"""nox's own log lines are masked once noxline registers: the command lines it prints for
``session.run`` carry their arguments (a URL with user-info, a token)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from noxline.sessions import MaskingFilter

#: Mostly waiting on deadlines and slow servers: run first among the single tests, beside the last
#: groups' runs, not at the end (tests/e2e/conftest.py orders the run).
pytestmark = pytest.mark.waits

NOXFILE = """
import nox
from noxline.sessions import mask_nox_log

mask_nox_log()


@nox.session(python=False)
def leak(session):
    session.run("python", "-c", "pass", "--index-url", "https://user:pw@index.example/simple/",
                "--token", "s3cret-token-value")
    session.log("minted s3cret-token-value for https://h/?private_token=xyz")
"""


def test_nox_prints_no_secret_of_a_command_line(tmp_path: Path) -> None:
    """A real nox run: the printed command line and session.log lines are masked."""
    (tmp_path / "noxfile.py").write_text(NOXFILE, encoding="utf-8")
    env = dict(os.environ, TWINE_PASSWORD="s3cret-token-value")
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "leak"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "https://****@index.example/simple/ --token ****" in output
    assert "minted **** for https://h/?private_token=****" in output
    assert "s3cret" not in output and "user:pw" not in output and "xyz" not in output


@pytest.mark.parametrize(
    ("message", "args", "shown"),
    [
        ("%s %s", ("twine", "https://u:p@h/"), "twine https://****@h/"),
        ("plain", (), "plain"),
        ("token=%s", ("s3cret-token-value",), "token=****"),
    ],
)
def test_the_filter_masks_formatted_records(
    monkeypatch: pytest.MonkeyPatch, message: str, args: tuple[str, ...], shown: str
) -> None:
    """Arguments formatted into a record are masked too (nox formats some lines lazily)."""
    monkeypatch.setenv("TWINE_PASSWORD", "s3cret-token-value")
    record = logging.LogRecord("nox", logging.INFO, __file__, 1, message, args, None)
    assert MaskingFilter().filter(record) and record.getMessage() == shown


DEADLINE_NOXFILE = """
import nox
from noxline.errors import NoxlineError
from noxline.sessions import within_deadline


@nox.session(python=False)
def hang(session):
    try:  # as every registered session does (sessions._session_body)
        within_deadline(session, lambda s: s.run("sleep", "{seconds}"), 1.0)
    except NoxlineError as error:
        session.error(str(error))
"""


def test_a_session_is_stopped_at_its_deadline_with_the_command_it_runs(tmp_path: Path) -> None:
    """``nox -s <job>`` alone: a command that hangs is stopped at the deadline (no process left)
    and the session fails with one line naming job-timeout."""
    # A duration of this test's own, so another run of the suite on the machine is not counted.
    seconds = f"61.{uuid.uuid4().int % 10**9:09d}"
    (tmp_path / "noxfile.py").write_text(
        DEADLINE_NOXFILE.replace("{seconds}", seconds), encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "hang"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "hang ran longer than job-timeout" in output and "Traceback" not in output, output
    left = subprocess.run(["pgrep", "-f", f"sleep {seconds}"], capture_output=True, check=False)
    assert left.returncode == 1, left.stdout  # the command was stopped with the session
