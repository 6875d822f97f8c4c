"""Fault injection with the real twine: uploads to indexes that hang or lie, on 127.0.0.1.

The index is a hostile server in a thread (tests/unit/_hostile_server.py); publish runs its real
steps with the twine of this environment. Each test asserts the outcome, that nothing secret was
printed or written, and that the run ended within its deadline.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from noxline.config import Settings
from noxline.dist import Dist
from noxline.errors import PublishError
from tests.unit._dists import tiny_settings
from tests.unit._hostile_server import Handler, Server, answer, hang
from tests.unit._publish_run import Outcome, run_publish, upload_env
from tests.unit._releases import RELEASE

#: Mostly waiting on deadlines and slow servers: run first among the single tests, beside the last
#: groups' runs, not at the end (tests/e2e/conftest.py orders the run).
pytestmark = pytest.mark.waits

PASSWORD = "pw-e2e-Hx7"
TWINE = shutil.which("twine", path=str(Path(sys.executable).parent)) or "twine"


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """tiny-lib, committed, with short deadlines."""
    return tiny_settings(
        tmp_path / "tiny", index_timeout=2.0, upload_timeout=4.0, publish_timeout=30.0
    )


def release(settings: Settings, dist: Dist, index: Server) -> tuple[Outcome, str, str]:
    """Publish a release to ``index`` with real twine: the outcome, its output, its error."""
    env = upload_env(index.url + "/", PASSWORD, PATH=str(Path(TWINE).parent))
    outcome = run_publish(settings, RELEASE, dist, env, twine=TWINE, poll_interval=0.2)
    if outcome.error is not None:
        assert isinstance(outcome.error, PublishError), outcome.error
    return outcome, "\n".join(outcome.lines), str(outcome.error or "")


def test_an_upload_never_answered_is_stopped(
    settings: Settings, dist: Dist, hostile_index: Server
) -> None:
    """The index takes the upload and never answers: twine is stopped at upload-timeout."""
    hostile_index.routes["/"] = hang
    outcome, output, error = release(settings, dist, hostile_index)
    assert "did not finish uploading" in error and "within 4 s" in error
    assert outcome.seconds < settings.upload_timeout + settings.index_timeout + 10
    assert [item.method for item in hostile_index.seen if item.path == "/"] == ["POST"]
    assert '"outcome": "failed"' in outcome.written
    assert [item["action"] for item in outcome.report.files] == ["upload-failed"]
    assert PASSWORD not in output + error + outcome.written


def test_an_index_that_accepts_everything_but_lists_nothing_fails(
    settings: Settings, dist: Dist, hostile_index: Server
) -> None:
    """200 to every request: twine "succeeds", but the files never appear, so publish fails."""

    def everything_ok(handler: Handler) -> None:
        """200 with an empty page, whatever was asked."""
        answer(b"<html></html>", 200, {"Content-Type": "text/html"})(handler)

    hostile_index.routes["/"] = everything_ok
    hostile_index.routes["/simple/tiny-lib/"] = everything_ok
    outcome, output, error = release(settings, dist, hostile_index)
    assert "still does not list tiny_lib-1.2.3-py3-none-any.whl, tiny_lib-1.2.3.tar.gz" in error
    assert outcome.report.outcome == "failed"
    assert [item["action"] for item in outcome.report.files] == ["uploaded", "uploaded"]
    assert outcome.seconds < 60 and PASSWORD not in output + error
