"""Fault injection with the real twine: uploads to indexes that hang or lie, on 127.0.0.1.

The index is a hostile server in a thread (tests/unit/_hostile_server.py); publish runs its real
steps with the twine of this environment. Each test asserts the outcome, that nothing secret was
printed or written, and that the run ended within its deadline.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from noxline.config import Settings, load_settings, replace
from noxline.dist import Dist
from noxline.errors import PublishError
from noxline.jobs.publish import JobIO, Report, publish_dist
from noxline.versioning import ReleaseKind, VersionDecision
from tests.unit._dists import committed_tiny_project, tiny_dist
from tests.unit._hostile_server import Handler, Server, answer, hang, running

RELEASE = VersionDecision("1.2.3", ReleaseKind.RELEASE, "tag 1.2.3", "1.2.3", None)
PASSWORD = "pw-e2e-Hx7"
TWINE = shutil.which("twine", path=str(Path(sys.executable).parent)) or "twine"


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """tiny-lib, committed, with short deadlines."""
    project = committed_tiny_project(tmp_path / "tiny")
    return replace(
        load_settings(project), index_timeout=2.0, upload_timeout=4.0, publish_timeout=30.0
    )


@pytest.fixture(name="dist")
def dist_fixture(settings: Settings) -> Dist:
    """A checked dist/ of tiny-lib 1.2.3 that twine check accepts."""
    return tiny_dist(settings)


@pytest.fixture(name="index")
def index_fixture() -> Iterator[Server]:
    """A hostile index."""
    with running() as server:
        yield server


def release(settings: Settings, dist: Dist, index: Server) -> tuple[Report, str, float, str]:
    """Publish a release to ``index`` with real twine: report, output, seconds, error."""
    lines: list[str] = []
    env = {
        "PATH": str(Path(TWINE).parent),
        "TWINE_REPOSITORY_URL": index.url + "/",
        "TWINE_USERNAME": "uploader",
        "TWINE_PASSWORD": PASSWORD,
    }
    io = JobIO(log=lines.append, warn=lines.append, env=env, twine=TWINE, poll_interval=0.2)
    settings.report_root.mkdir(exist_ok=True)
    report = Report(project=settings.name, path=settings.report_root / "publish.json")
    started = time.monotonic()
    error = ""
    try:
        publish_dist(settings, RELEASE, dist, report, io)
    except PublishError as failure:
        error = str(failure)
        report.outcome, report.error = "failed", error
    report.save()
    return report, "\n".join(lines), time.monotonic() - started, error


def test_an_upload_never_answered_is_stopped(settings: Settings, dist: Dist, index: Server) -> None:
    """The index takes the upload and never answers: twine is stopped at upload-timeout."""
    index.routes["/"] = hang
    report, output, seconds, error = release(settings, dist, index)
    assert "did not finish uploading" in error and "within 4 s" in error
    assert seconds < settings.upload_timeout + settings.index_timeout + 10
    assert [item.method for item in index.seen if item.path == "/"] == ["POST"]
    written = (settings.report_root / "publish.json").read_text(encoding="utf-8")
    assert '"outcome": "failed"' in written
    assert [item["action"] for item in report.files] == ["upload-failed"]
    assert PASSWORD not in output + error + written


def test_an_index_that_accepts_everything_but_lists_nothing_fails(
    settings: Settings, dist: Dist, index: Server
) -> None:
    """200 to every request: twine "succeeds", but the files never appear, so publish fails."""

    def everything_ok(handler: Handler) -> None:
        """200 with an empty page, whatever was asked."""
        answer(b"<html></html>", 200, {"Content-Type": "text/html"})(handler)

    index.routes["/"] = everything_ok
    index.routes["/simple/tiny-lib/"] = everything_ok
    report, output, seconds, error = release(settings, dist, index)
    assert "still does not list tiny_lib-1.2.3-py3-none-any.whl, tiny_lib-1.2.3.tar.gz" in error
    assert report.outcome == "failed"
    assert [item["action"] for item in report.files] == ["uploaded", "uploaded"]
    assert seconds < 60 and PASSWORD not in output + error
