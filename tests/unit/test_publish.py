"""Tests for the publish job's steps without nox: the release gate, dry runs, idempotency, refusals.

The index is a stdlib HTTP server in a thread (tests/unit/_index_server.py); the twine path given
is one that does not exist, so a test that reaches an upload shows it with "cannot run twine".
Real uploads through nox to pypiserver are in tests/e2e/test_publish.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.version import Version

from noxline.config import Settings, replace
from noxline.dist import Dist, verified_dist, write_sums
from noxline.ci import CIContext
from noxline.errors import NoxlineError, PublishError
from noxline.jobs.publish import (  # pylint: disable=protected-access
    _terminate_as_interrupt,
    JobIO,
    Report,
    check_protected,
    check_version,
    publish_dist,
    reason,
    versions_of,
)
from noxline.masking import too_short_to_mask
from noxline.versioning import ReleaseKind, VersionDecision
from tests.helpers import free_port
from tests.unit._dists import (
    TINY_SDIST,
    TINY_SDIST_BYTES,
    TINY_WHEEL,
    TINY_WHEEL_BYTES,
    sdist_bytes,
    tiny_settings,
    wheel_bytes,
)
from tests.unit._index_server import FakeIndex, serve
from tests.unit._publish_run import upload_env
from tests.unit._releases import DEV, PRERELEASE, REHEARSAL, RELEASE


#: Mostly waiting on deadlines and slow servers: run first among the single tests, beside the last
#: groups' runs, not at the end (tests/e2e/conftest.py orders the run).
pytestmark = pytest.mark.waits


@dataclass
class Log:
    """The lines a publish run logged and warned, and the JobIO that collects them."""

    env: dict[str, str]
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def io(self) -> JobIO:
        """A JobIO whose twine does not exist: reaching an upload fails with 'cannot run twine'."""
        return JobIO(
            log=self.lines.append,
            warn=self.warnings.append,
            env=self.env,
            twine="/nonexistent/twine",
        )

    @property
    def text(self) -> str:
        """Everything logged and warned."""
        return "\n".join(self.lines + self.warnings)


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """Settings of the tiny-lib project, committed to git (a local release needs a clean tree)."""
    return tiny_settings(tmp_path / "tiny")


@pytest.fixture(name="index")
def index_fixture() -> Iterator[FakeIndex]:
    """A stand-in index on 127.0.0.1, stopped after the test."""
    with serve() as index:
        yield index


def index_env(index: FakeIndex, **extra: str) -> dict[str, str]:
    """Variables pointing at ``index`` with credentials, plus ``extra``."""
    return upload_env(index.url, "pw-4d1e", **extra)


def actions(report: Report) -> dict[str, str]:
    """File name → what publish did or would do with it."""
    return {item["filename"]: item["action"] for item in report.files}


# --- words and helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "prereleases", "words"),
    [
        (RELEASE, False, "release from tag 1.2.3: uploading"),
        (PRERELEASE, True, "pre-release from tag 1.2.3rc1 (publish-prereleases is on): uploading"),
        (PRERELEASE, False, "dry run (set publish-prereleases = true"),
        (REHEARSAL, False, "rehearsal from tag 1.2.3-dryrun: dry run"),
        (DEV, False, "development build (branch main (pipeline 7)): dry run"),
    ],
)
def test_reason_says_why(
    settings: Settings, decision: VersionDecision, prereleases: bool, words: str
) -> None:
    """Each kind of build explains itself in the log."""
    assert words in reason(decision, replace(settings, publish_prereleases=prereleases))


def test_versions_of_reads_distribution_names() -> None:
    """Wheel and sdist names give versions; other names are ignored."""
    names = ["a-1.0-py3-none-any.whl", "a-2.0rc1.tar.gz", "index.html", "a-1.0.zip"]
    assert versions_of(names) == {Version("1.0"), Version("2.0rc1")}


def test_check_version_refuses_a_dist_of_another_version(settings: Settings, dist: Dist) -> None:
    """dist/ must hold this ref's version; the message says what to run."""
    check_version(settings, RELEASE, dist)  # the same version passes
    with pytest.raises(PublishError, match=r"dist/ holds 1.2.3 but this ref's version is 1\.2\.4"):
        check_version(settings, DEV, dist)


# --- dry runs -----------------------------------------------------------------------------------


def test_dry_run_without_an_index_lists_the_files(settings: Settings, dist: Dist) -> None:
    """A dev build with nothing configured says what it would upload, and that no index is set."""
    log, report = Log(env={}), Report(project=settings.name)
    publish_dist(settings, DEV, dist, report, log.io)
    assert report.mode == "dry-run" and report.outcome == "dry-run"
    assert report.repository is None
    assert actions(report) == {TINY_WHEEL: "would-upload", TINY_SDIST: "would-upload"}
    assert f"would upload {TINY_WHEEL} (sha256 {dist.wheel.sha256}) to no index" in log.text
    assert "dry run: nothing was uploaded" in log.text


def test_dry_run_reads_the_index_and_warns(
    settings: Settings, dist: Dist, index: FakeIndex
) -> None:
    """A rehearsal sees an identical wheel and a different sdist already there, and warns."""
    index.list_files("tiny-lib", {TINY_WHEEL: TINY_WHEEL_BYTES, TINY_SDIST: b"other sdist"})
    log, report = Log(env=index_env(index)), Report(project=settings.name)
    publish_dist(settings, REHEARSAL, dist, report, log.io)
    assert actions(report) == {
        TINY_WHEEL: "would-skip-identical",
        TINY_SDIST: "would-fail-different",
    }
    assert any(f"different {TINY_SDIST}" in line for line in log.warnings)
    assert any("version 1.2.3 of tiny-lib is already on the index" in w for w in log.warnings)
    assert report.repository is not None and report.repository["upload_url"] == index.url


def test_dry_run_survives_an_unreachable_index(settings: Settings, dist: Dist) -> None:
    """A dry run warns when the index cannot be read and still says what it would do."""
    env = {"TWINE_REPOSITORY_URL": f"http://127.0.0.1:{free_port()}/"}
    log, report = Log(env=env), Report(project=settings.name)
    publish_dist(settings, PRERELEASE, replace_version(dist, settings, "1.2.3rc1"), report, log.io)
    assert any("could not look at the index" in line for line in log.warnings)
    assert set(actions(report).values()) == {"would-upload"}


def replace_version(dist: Dist, settings: Settings, version: str) -> Dist:
    """The stand-in files rebuilt as ``version``, re-checked."""
    folder = dist.wheel.path.parent
    for item in dist.files:
        item.path.unlink()
    (folder / TINY_WHEEL.replace("1.2.3", version)).write_bytes(wheel_bytes("tiny-lib", version))
    (folder / TINY_SDIST.replace("1.2.3", version)).write_bytes(sdist_bytes("tiny-lib", version))
    write_sums(folder)
    return verified_dist(folder, settings.name)


# --- the release gate ---------------------------------------------------------------------------


def test_release_without_an_index_names_what_to_set(settings: Settings, dist: Dist) -> None:
    """A release with no index configured fails naming the variable and the setting."""
    report = Report(project=settings.name)
    with pytest.raises(PublishError, match="no package index to publish 1.2.3 to.*repository-url"):
        publish_dist(settings, RELEASE, dist, report, Log(env={}).io)
    assert report.mode == "upload"


def test_release_without_credentials_fails_before_reading(
    settings: Settings, dist: Dist, index: FakeIndex
) -> None:
    """No credentials: the variables are named, and the index was not even read."""
    log = Log(env={"TWINE_REPOSITORY_URL": index.url})
    with pytest.raises(PublishError, match="neither TWINE_USERNAME nor TWINE_PASSWORD"):
        publish_dist(settings, RELEASE, dist, Report(project=settings.name), log.io)
    assert not index.seen


@pytest.mark.parametrize(
    ("extra", "refused"),
    [
        ({"GITLAB_CI": "true", "CI_COMMIT_REF_PROTECTED": "false"}, True),
        ({"GITLAB_CI": "true"}, True),
        ({"GITLAB_CI": "true", "CI_COMMIT_REF_PROTECTED": "true"}, False),
        (
            {
                "GITLAB_CI": "true",
                "CI_COMMIT_REF_PROTECTED": "false",
                "NOXLINE_ALLOW_UNPROTECTED_TAGS": "true",
            },
            False,
        ),
        ({"GITLAB_CI": "false", "CI_COMMIT_REF_PROTECTED": "false", "CI_PIPELINE_ID": "1"}, False),
        ({}, False),
    ],
    ids=[
        "unprotected",
        "protection-unknown",
        "protected",
        "allowed-by-ci-variable",
        "gitlab-ci-local-unchecked",
        "outside-ci-unchecked",
    ],
)
def test_protected_tag_gate(
    settings: Settings, dist: Dist, index: FakeIndex, extra: dict[str, str], refused: bool
) -> None:
    """In real GitLab an unprotected release tag stops publish before the index is contacted;
    only the CI/CD variable (never the tree) lets it through, to the upload."""
    env = index_env(index, **extra)
    expected = "is not protected" if refused else "cannot run twine"
    with pytest.raises(PublishError, match=expected) as caught:
        publish_dist(settings, RELEASE, dist, Report(project=settings.name), Log(env=env).io)
    assert bool(index.seen) is not refused
    if refused:
        assert "NOXLINE_ALLOW_UNPROTECTED_TAGS=true" in str(caught.value)


@pytest.mark.parametrize("kind", [ReleaseKind.REHEARSAL, ReleaseKind.DEV])
def test_protected_tag_gate_ignores_non_releases(kind: ReleaseKind) -> None:
    """Rehearsals and dev builds never upload, so protection is not asked of them."""
    context = CIContext.from_env({"GITLAB_CI": "true", "CI_COMMIT_REF_PROTECTED": "false"})
    check_protected(VersionDecision("1.2.3", kind, "tag 1.2.3", "1.2.3", False), context)


def test_prerelease_uploads_only_when_allowed(
    settings: Settings, dist: Dist, index: FakeIndex
) -> None:
    """publish-prereleases turns a pre-release from a dry run into an upload."""
    dist = replace_version(dist, settings, "1.2.3rc1")
    dry = Report(project=settings.name)
    publish_dist(settings, PRERELEASE, dist, dry, Log(env=index_env(index)).io)
    assert dry.mode == "dry-run"
    real = Report(project=settings.name)
    with pytest.raises(PublishError, match="cannot run twine"):
        publish_dist(
            replace(settings, publish_prereleases=True),
            PRERELEASE,
            dist,
            real,
            Log(env=index_env(index)).io,
        )
    assert real.mode == "upload"


# --- idempotency --------------------------------------------------------------------------------


def test_release_already_on_the_index_uploads_nothing(
    settings: Settings, dist: Dist, index: FakeIndex
) -> None:
    """Both files there with the same sha256: skipped, success, twine never run."""
    index.list_files("tiny-lib", {TINY_WHEEL: TINY_WHEEL_BYTES, TINY_SDIST: TINY_SDIST_BYTES})
    log, report = Log(env=index_env(index)), Report(project=settings.name)
    publish_dist(settings, RELEASE, dist, report, log.io)
    assert report.outcome == "already-published"
    assert actions(report) == {TINY_WHEEL: "already-published", TINY_SDIST: "already-published"}
    assert f"{TINY_WHEEL} is already published, identical" in log.text
    assert "the index lists every file" in log.text
    # Reads carried the credentials: read before, and verified after.
    assert [auth is not None for _, auth in index.seen] == [True, True]


def test_release_uploads_only_what_is_missing(
    settings: Settings, dist: Dist, index: FakeIndex
) -> None:
    """The wheel is there, the sdist is not: only the sdist goes to twine."""
    index.list_files("tiny-lib", {TINY_WHEEL: TINY_WHEEL_BYTES})
    log, report = Log(env=index_env(index)), Report(project=settings.name)
    with pytest.raises(PublishError, match="cannot run twine"):
        publish_dist(settings, RELEASE, dist, report, log.io)
    assert actions(report) == {TINY_WHEEL: "already-published", TINY_SDIST: "upload-failed"}
    assert f"uploading {TINY_SDIST}" in log.text and f"uploading {TINY_WHEEL}" not in log.text


def test_a_different_file_under_the_same_name_fails_before_any_upload(
    settings: Settings, dist: Dist, index: FakeIndex
) -> None:
    """A conflicting sdist stops the release before twine: nothing is overwritten or added."""
    index.list_files("tiny-lib", {TINY_SDIST: b"someone else's sdist"})
    log, report = Log(env=index_env(index)), Report(project=settings.name)
    with pytest.raises(PublishError, match=f"different file under the same name: {TINY_SDIST}"):
        publish_dist(settings, RELEASE, dist, report, log.io)
    assert not report.files and f"uploading {TINY_WHEEL}" not in log.text


# --- the report ---------------------------------------------------------------------------------


def test_report_is_json_without_secrets(settings: Settings, dist: Dist, tmp_path: Path) -> None:
    """publish.json records decision, target and files; the password is not in it."""
    env = {"TWINE_REPOSITORY_URL": f"http://127.0.0.1:{free_port()}/", "TWINE_USERNAME": "u"}
    env["TWINE_PASSWORD"] = "pw-never-in-reports"
    report = Report(project=settings.name)
    report.record_decision(DEV)
    publish_dist(settings, DEV, dist, report, Log(env=env).io)
    target = tmp_path / "publish.json"
    report.write(target)
    text = target.read_text(encoding="utf-8")
    assert "pw-never-in-reports" not in text
    data = json.loads(text)
    assert data["decision"] == {
        "version": "1.2.4.dev7",
        "kind": "dev",
        "source": "branch main (pipeline 7)",
        "tag": None,
        "protected": None,
    }
    assert data["outcome"] == "dry-run" and data["mode"] == "dry-run"
    assert data["repository"]["configured_by"] == "TWINE_REPOSITORY_URL"
    assert [item["filename"] for item in data["files"]] == [TINY_WHEEL, TINY_SDIST]


@pytest.mark.parametrize(
    "url",
    [
        "https://uploader:pw-9f3a%40index.example.com/",
        "https://index.example.com/legacy/?password=pw-9f3a",
        "https://index.example.com/legacy/#token=pw-9f3a",
        "https:/uploader:pw-9f3a@index.example.com/",
    ],
)
def test_malformed_upload_url_never_shows_its_secret(
    settings: Settings, dist: Dist, tmp_path: Path, url: str
) -> None:
    """A URL that carries a secret in any shape is refused; neither the log, the error nor
    publish.json repeats it."""
    log = Log(env={"TWINE_REPOSITORY_URL": url, "TWINE_USERNAME": "uploader"})
    report = Report(project=settings.name)
    with pytest.raises(PublishError) as raised:
        publish_dist(settings, RELEASE, dist, report, log.io)
    report.outcome, report.error = "failed", str(raised.value)
    report.write(tmp_path / "publish.json")
    assert "pw-9f3a" not in log.text + str(raised.value)
    assert "pw-9f3a" not in (tmp_path / "publish.json").read_text(encoding="utf-8")


def test_sigterm_becomes_an_interrupt_while_publishing() -> None:
    """A cancelled GitLab job (SIGTERM) interrupts publish so its record is written; the handler
    is restored afterwards."""
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with _terminate_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the signal arrives long before this ends
    assert signal.getsignal(signal.SIGTERM) == before


def _dist_of(settings: Settings, files: dict[str, bytes]) -> Dist:
    """A checked dist/ of ``settings``' project holding ``files``."""
    folder = settings.project_dir / "dist"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    write_sums(folder)
    return verified_dist(folder, settings.name)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (  # PEP 440 calls 1.2.3.0 equal to 1.2.3; installers see another version string
            {
                TINY_WHEEL: wheel_bytes("tiny-lib", "1.2.3", meta_version="1.2.3.0"),
                TINY_SDIST: TINY_SDIST_BYTES,
            },
            "says it is tiny-lib 1.2.3.0 in its metadata",
        ),
        (
            {
                TINY_WHEEL: TINY_WHEEL_BYTES,
                TINY_SDIST: sdist_bytes("tiny-lib", "1.2.3", meta_version="v1.2.3"),
            },
            None,  # "v1.2.3" normalises to the very string 1.2.3: the same version
        ),
        (
            {
                "tiny_lib-1.2.3.0-py3-none-any.whl": wheel_bytes("tiny-lib", "1.2.3.0"),
                "tiny_lib-1.2.3.0.tar.gz": sdist_bytes("tiny-lib", "1.2.3.0"),
            },
            "holds 1.2.3.0 but this ref's version is 1.2.3",
        ),
    ],
)
def test_a_version_equal_only_by_pep440_padding_is_not_the_release(
    settings: Settings, files: dict[str, bytes], message: str | None
) -> None:
    """Files or metadata saying 1.2.3.0 are not release 1.2.3, though 1.2.3.0 == 1.2.3."""
    dist = _dist_of(settings, files)
    log, report = Log(env={"TWINE_REPOSITORY_URL": f"http://127.0.0.1:{free_port()}/"}), Report(
        project=settings.name
    )
    if message is None:
        with pytest.raises(PublishError, match="needs credentials"):
            publish_dist(settings, RELEASE, dist, report, log.io)
        return
    with pytest.raises(PublishError, match=message):
        check_version(settings, RELEASE, dist)
        publish_dist(settings, RELEASE, dist, report, log.io)
    assert not report.files  # refused before anything was compared or uploaded


def test_wheel_and_sdist_differing_only_by_padding_are_refused(settings: Settings) -> None:
    """dist/ holding a 1.2.3 wheel and a 1.2.3.0 sdist is two versions, not one."""
    folder = settings.project_dir / "dist"
    folder.mkdir()
    (folder / TINY_WHEEL).write_bytes(TINY_WHEEL_BYTES)
    (folder / "tiny_lib-1.2.3.0.tar.gz").write_bytes(sdist_bytes("tiny-lib", "1.2.3.0"))
    write_sums(folder)
    with pytest.raises(NoxlineError, match="carry different versions"):
        verified_dist(folder, settings.name)


def test_a_dry_run_never_sends_credentials_to_an_index_the_tree_named(
    settings: Settings, dist: Dist, index: FakeIndex
) -> None:
    """A merge request can point repository-url anywhere: its dry run reads anonymously."""
    index.list_files("tiny-lib", {TINY_WHEEL: TINY_WHEEL_BYTES})
    tree_named = replace(settings, repository_url=index.url)
    env = {"TWINE_USERNAME": "uploader", "TWINE_PASSWORD": "pw-from-ci-variables"}
    report = Report(project=settings.name)
    publish_dist(tree_named, DEV, dist, report, Log(env=env).io)
    assert actions(report) == {TINY_WHEEL: "would-skip-identical", TINY_SDIST: "would-upload"}
    assert index.seen and all(auth is None for _, auth in index.seen)


def test_a_dry_run_reads_an_index_the_environment_named_with_its_credentials(
    settings: Settings, dist: Dist, index: FakeIndex
) -> None:
    """TWINE_REPOSITORY_URL comes from CI/CD variables, not the tree: credentials may go there."""
    index.list_files("tiny-lib", {TINY_WHEEL: TINY_WHEEL_BYTES})
    publish_dist(settings, DEV, dist, Report(project=settings.name), Log(env=index_env(index)).io)
    assert index.seen and all(auth is not None for _, auth in index.seen)


def test_twine_that_never_exits_is_stopped_and_recorded(
    settings: Settings, dist: Dist, index: FakeIndex, tmp_path: Path
) -> None:
    """A hung upload is killed at upload-timeout; publish.json says which file it was."""
    twine = tmp_path / "twine"
    twine.write_text("#!/bin/sh\nexec sleep 60\n", encoding="utf-8")
    twine.chmod(0o755)
    log = Log(env=index_env(index))
    io = dataclasses.replace(log.io, twine=str(twine))
    report = Report(project=settings.name, path=tmp_path / "publish.json")
    started = time.monotonic()
    with pytest.raises(PublishError, match="did not finish uploading .* within 1 s"):
        publish_dist(replace(settings, upload_timeout=1.0), RELEASE, dist, report, io)
    assert time.monotonic() - started < 10
    saved = json.loads((tmp_path / "publish.json").read_text(encoding="utf-8"))
    assert [(item["filename"], item["action"]) for item in saved["files"]] == [
        (TINY_WHEEL, "upload-failed")
    ]


@pytest.mark.parametrize(
    ("listed", "outcome"),
    [
        ({"Tiny_Lib-1.2.3.tar.gz": b"other bytes"}, "already holds a different file"),
        (
            {"Tiny_Lib-1.2.3.tar.gz": TINY_SDIST_BYTES, TINY_WHEEL: TINY_WHEEL_BYTES},
            "already-published",
        ),
    ],
)
def test_the_index_spelling_a_file_differently_is_still_that_file(
    settings: Settings, dist: Dist, index: FakeIndex, listed: dict[str, bytes], outcome: str
) -> None:
    """An index listing tiny_lib-1.2.3.tar.gz as Tiny_Lib-1.2.3.tar.gz: compared, not uploaded."""
    index.list_files("tiny-lib", listed)
    log, report = Log(env=index_env(index)), Report(project=settings.name)
    if outcome == "already-published":
        publish_dist(settings, RELEASE, dist, report, log.io)
        assert actions(report) == {TINY_WHEEL: outcome, TINY_SDIST: outcome}
    else:
        with pytest.raises(PublishError, match=outcome):
            publish_dist(settings, RELEASE, dist, report, log.io)
        assert not report.files and f"uploading {TINY_SDIST}" not in log.text


def test_a_short_password_is_said_once_and_garbles_nothing(
    settings: Settings, dist: Dist, tmp_path: Path
) -> None:
    """TWINE_PASSWORD "up": one line says it is too short to mask reliably, and publish.json
    still reads "would-upload" and "upload" (masked everywhere, it read "would-****load")."""
    env = {
        "TWINE_REPOSITORY_URL": f"http://127.0.0.1:{free_port()}/",
        "TWINE_USERNAME": "uploader",
        "TWINE_PASSWORD": "up",
    }
    log, report = Log(env=env), Report(project=settings.name)
    publish_dist(settings, DEV, dist, report, log.io)
    report.write(tmp_path / "publish.json")
    data = json.loads((tmp_path / "publish.json").read_text(encoding="utf-8"))
    assert [line for line in log.warnings if "TWINE_PASSWORD" in line] == [
        too_short_to_mask("TWINE_PASSWORD", "up")
    ]
    assert {item["action"] for item in data["files"]} == {"would-upload"}
    assert "only a tag matching the release pattern publishes" in data["reason"]
