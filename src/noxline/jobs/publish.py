"""The ``publish`` job: upload the checked dist files for a release; a dry run for anything else.

The release gate: only a build whose version decision uploads (a release tag, or a pre-release tag
with ``publish-prereleases``) and that passes the protected-tag check reaches the index. Everything
else does all the same checks, looks at the index read-only, and logs what it would upload where.

Publishing is idempotent: the index's simple page is read first; a file already there with the same
sha256 is skipped, a different file under the same name fails the job before anything is uploaded,
and only missing files are uploaded, so a re-run completes a publish that failed half-way.
Every run writes its record (``reports/publish/publish.json``), never with credentials in it; it is
rewritten after each step, so an interrupted or killed publish still says how far it got.

Nothing is assumed: each file's metadata (wheel METADATA, sdist PKG-INFO) must name this project and
version, its sha256 is checked again right before its upload, a release outside CI needs a clean
tree, every network step and twine run is bounded by ``index-timeout`` and the whole publish by
``publish-timeout``, and after the upload the index must list every file with its sha256.

:func:`run` is the nox side (install twine); :func:`publish_dist` does the rest and
only needs the callables of :class:`JobIO`, so it runs without nox too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import nox
from packaging.utils import canonicalize_name
from packaging.version import Version

from noxline.ci import ALLOW_UNPROTECTED_VARIABLE, CIContext
from noxline.config import Settings
from noxline import confine, net
from noxline.dist import (
    Dist,
    DistFile,
    listed_as,
    parse_filename,
    read_file_metadata,
    sha256_of,
)
from noxline.errors import NoxlineError, PublishError, name_some
from noxline.index import (
    PASSWORD_VARIABLE,
    TREE_SETTING,
    Repository,
    mask,
    no_repository_error,
    read_project_files,
    resolve_repository,
    upload,
)
from noxline.jobs._support import built_dist, installed_versions, remove_file, report_file
from noxline.jobs.version import compute
from noxline.masking import env_secrets, too_short_to_mask
from noxline.pipeline import Job
from noxline.trusted_publishing import (
    check_target,
    describe_exchange,
    with_trusted_publishing,
)
from noxline.versioning import ReleaseKind, VersionDecision, tracked_changes, untracked_files

REQUIREMENTS = ("twine>=6",)


@dataclass(frozen=True)
class JobIO:
    """What the publish steps need from their runner: nox in the job, plain callables in tests."""

    log: Callable[[str], None]
    warn: Callable[[str], None]
    #: The job's environment: CI variables and credentials are read from here only.
    env: Mapping[str, str]
    #: The twine executable that uploads.
    twine: str = "twine"
    #: Seconds between reads of the index while waiting for it to list the uploaded files.
    poll_interval: float = 2.0


@dataclass
class Report:  # pylint: disable=too-many-instance-attributes
    """What ``publish.json`` records: the decision, the target, and what happened to each file."""

    project: str
    decision: dict[str, Any] = field(default_factory=dict)
    mode: str = ""
    reason: str = ""
    repository: dict[str, str] | None = None
    files: list[dict[str, str]] = field(default_factory=list)
    outcome: str = "failed"
    error: str = ""
    #: Where the report is saved after each step (None: only when written explicitly).
    path: Path | None = field(default=None, repr=False)
    #: Secrets masked out of everything written (never written themselves).
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def record_decision(self, decision: VersionDecision) -> None:
        """Keep the version decision."""
        self.decision = {
            "version": decision.version,
            "kind": decision.kind.value,
            "source": decision.source,
            "tag": decision.tag,
            "protected": decision.protected,
        }

    def file(self, name: str, sha256: str, action: str) -> None:
        """Record what happened (or would happen) to one file, and save."""
        self.files.append({"filename": name, "sha256": sha256, "action": action})
        self.save()

    def as_data(self) -> dict[str, Any]:
        """The report as JSON-ready data, every text masked."""
        data = {
            "project": self.project,
            "decision": self.decision,
            "mode": self.mode,
            "reason": self.reason,
            "repository": self.repository,
            "files": self.files,
            "outcome": self.outcome,
            "error": self.error,
        }
        masked: dict[str, Any] = masked_data(data, self.secrets)
        return masked

    def save(self) -> None:
        """Write the report to its path, if it has one."""
        if self.path is not None:
            self.write(self.path)

    def write(self, path: Path) -> None:
        """Write the report as JSON, atomically (a reader never sees half a report)."""
        text = json.dumps(self.as_data(), indent=2) + "\n"
        # path comes from report_file, whose folder was reached without a link: confined to it.
        confine.replace_atomically(path.parent, path.name, text)


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: check dist/ against this ref's version, then upload (release) or dry-run."""
    record = report_file(settings, job, "record")
    remove_file(settings, record)
    session.install(*REQUIREMENTS)
    # Every secret-named variable is masked in the record, not only the upload credentials: an
    # error raised before they are known (a malformed URL, say) may already quote one.
    report = Report(
        project=settings.name, path=record, outcome="running", secrets=env_secrets(os.environ)
    )
    try:
        report.save()
        decision = compute(settings)
        report.record_decision(decision)
        dist = built_dist(settings)
        check_version(settings, decision, dist)
        # `twine check` is not run again: built_dist verified these files against SHA256SUMS,
        # which build writes only after the same `twine check` passed on them. The log names
        # the twine that uploads; under --install-only nothing runs and nothing else is done.
        twine_version = installed_versions(session, "twine")
        if twine_version is None:
            report.outcome = "skipped"
            return
        session.log(f"twine {' '.join(twine_version)}")
        env = {**os.environ, "PATH": session.bin + os.pathsep + os.environ.get("PATH", "")}
        twine = shutil.which("twine", path=session.bin) or str(Path(session.bin) / "twine")
        io = JobIO(log=session.log, warn=session.warn, env=env, twine=twine)
        with _terminate_as_interrupt():
            publish_dist(settings, decision, dist, report, io)
    except NoxlineError as error:
        report.outcome, report.error = "failed", str(error)
        raise
    except BaseException as error:  # Ctrl-C, a cancelled job, a bug: the record says so
        report.outcome = "interrupted"
        report.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise
    finally:
        if report.outcome == "skipped":  # --install-only decides nothing
            remove_file(settings, record)
        else:
            report.save()


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM (a cancelled GitLab job) into KeyboardInterrupt, so the record is written."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        """Raise in the main thread, where publish runs."""
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_version(settings: Settings, decision: VersionDecision, dist: Dist) -> None:
    """Refuse a dist/ built for another version than this ref's.

    Compared as normalised strings: PEP 440 calls 1.2.3.0 equal to 1.2.3, but files named
    1.2.3.0 are not the release 1.2.3.
    """
    if not settings.version_source.stampable and decision.kind is ReleaseKind.DEV:
        return  # noxline cannot hand a version to this source: a dev build's own version stands
    if str(dist.version) != str(Version(decision.version)):
        raise PublishError(
            f"{settings.dist_dir}/ holds {dist.version} but this ref's version is "
            f"{decision.version} ({decision.source}): run `nox -s version build` to build it"
        )


def check_protected(decision: VersionDecision, context: CIContext) -> None:
    """Refuse to publish a release from an unprotected tag in real GitLab CI.

    Anyone with Developer access can push an unprotected tag, so an unprotected release tag would
    let them publish. Only uploads in real GitLab are checked (gitlab-ci-local and local runs have
    no protection to check). The way round it is the CI/CD variable
    ``NOXLINE_ALLOW_UNPROTECTED_TAGS=true``, never a setting in the tree: the person pushing the
    tag controls the tree, but only a Maintainer can set CI/CD variables.
    """
    if decision.kind not in (ReleaseKind.RELEASE, ReleaseKind.PRERELEASE):
        return
    if not context.real_gitlab or context.protected is True or context.allow_unprotected_tags:
        return
    tag = decision.tag if decision.tag is not None else decision.version
    raise PublishError(
        f"refusing to publish {decision.version}: tag {tag} is not protected, so anyone who "
        "can push tags could publish. Protect tags matching the release pattern in GitLab "
        "(Settings > Repository > Protected tags), or have a Maintainer set the CI/CD variable "
        f"{ALLOW_UNPROTECTED_VARIABLE}=true to publish from unprotected tags anyway."
    )


def publish_dist(
    settings: Settings, decision: VersionDecision, dist: Dist, report: Report, io: JobIO
) -> None:
    """Upload ``dist`` when ``decision`` is a release that may upload; a dry run otherwise."""
    clock = _Clock(settings.publish_timeout, settings.index_timeout)
    uploads = decision.uploads(publish_prereleases=settings.publish_prereleases)
    report.mode = "upload" if uploads else "dry-run"
    report.reason = reason(decision, settings)
    report.save()
    check_metadata(settings, dist)
    repository = resolve_repository(
        io.env, repository_url=settings.repository_url, index_url=settings.index_url
    )
    if repository is not None:
        report.secrets = (*report.secrets, *repository.secrets)
        report.repository = {
            "upload_url": repository.upload_url,
            "simple_url": repository.simple_url,
            "configured_by": repository.configured_by,
        }
        if settings.oidc_audience:
            # Before any request, dry runs too: an upload target the audience does not belong to
            # (oidc-audience "pypi", the upload to TestPyPI or a GitLab registry) is one line,
            # and neither the id token nor a credential goes anywhere.
            check_target(settings.oidc_audience, repository.upload_url, repository.configured_by)
    io.log(f"{settings.name} {decision.version}: {report.reason}")
    # The one secret a user picks (index tokens and GitLab's are long): said once, here.
    if short := too_short_to_mask(PASSWORD_VARIABLE, io.env.get(PASSWORD_VARIABLE, "")):
        io.warn(short)
    if uploads:
        _release(settings, (decision, dist), repository, report, io, clock)
    else:
        _dry_run(settings, dist, repository, report, io, clock)


def check_metadata(settings: Settings, dist: Dist) -> None:
    """Refuse files whose metadata names another project or version than their file name.

    Installers trust the metadata, not the file name: a wheel named 1.2.3 that says 1.2.4 inside
    would publish something else than the release.
    """
    wanted = canonicalize_name(settings.name)
    for item in dist.files:
        name, version = read_file_metadata(item)
        # As strings: METADATA saying 1.2.3.0 in files named 1.2.3 is another version to installers.
        if name != wanted or str(version) != str(dist.version):
            raise PublishError(
                f"{item.path.name} says it is {name} {version} in its metadata, not {wanted} "
                f"{dist.version} as its name says: nothing was uploaded; rebuild with "
                "`nox -s version build` and check the build backend's version source"
            )


class _Clock:
    """The publish deadline, and the deadline of each network step within it."""

    def __init__(self, total: float, step: float) -> None:
        """Start the clock: ``total`` seconds for the whole publish, ``step`` for each read."""
        self.ends = time.monotonic() + total
        self.total = total
        self.step = step

    def remaining(self) -> float:
        """Seconds left; PublishError when none are."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise PublishError(
                f"publish did not finish within publish-timeout ({self.total:g} s): the index is "
                "too slow or hangs; check it, then re-run publish (it skips what is there) or "
                "raise publish-timeout in [tool.noxline]"
            )
        return left

    def limits(self) -> net.Limits:
        """Limits for one index read: its own deadline, cut to what is left of publish's."""
        left = self.remaining()
        if self.step <= left:
            return net.Limits(deadline=self.step, setting="index-timeout")
        return net.Limits(deadline=left, setting="publish-timeout")


def reason(decision: VersionDecision, settings: Settings) -> str:
    """Why this build uploads or only dry-runs, in words."""
    if decision.kind is ReleaseKind.RELEASE:
        return f"release from {decision.source}: uploading"
    if decision.kind is ReleaseKind.PRERELEASE:
        if settings.publish_prereleases:
            return f"pre-release from {decision.source} (publish-prereleases is on): uploading"
        return (
            f"pre-release from {decision.source}: dry run (set publish-prereleases = true in "
            "[tool.noxline] to upload pre-releases)"
        )
    if decision.kind is ReleaseKind.REHEARSAL:
        return f"rehearsal from {decision.source}: dry run (the tag without -dryrun publishes)"
    return (
        f"development build ({decision.source}): dry run (only a tag matching the release pattern "
        "publishes)"
    )


def _release(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    settings: Settings,
    release: tuple[VersionDecision, Dist],
    repository: Repository | None,
    report: Report,
    io: JobIO,
    clock: _Clock,
) -> None:
    """Upload what the index lacks, after the gate, the tree, the credentials and the index."""
    decision, dist = release
    context = CIContext.from_env(io.env)
    check_protected(decision, context)
    check_version(settings, decision, dist)
    if not context.in_ci:
        check_clean_tree(settings)
    if repository is None:
        raise no_repository_error(decision.version)
    # Trusted publishing (#11): the job's OIDC id token buys a short-lived upload token when
    # oidc-audience is set and GitLab gave one; otherwise the credentials above stay.
    repository = with_trusted_publishing(
        repository, io.env, audience=settings.oidc_audience, log=io.log
    )
    repository.require_credentials()
    existing = read_project_files(repository, settings.name, limits=clock.limits())
    conflicts = [
        f"{item.path.name} (index sha256 {listed}, dist/ sha256 {item.sha256})"
        for item, listed in _differing(dist, existing)
    ]
    if conflicts:
        raise PublishError(
            f"{repository.upload_url} already holds a different file under the same name: "
            f"{'; '.join(conflicts)}. Nothing was uploaded and nothing is ever overwritten: "
            "published files are immutable, so release a new version instead"
        )
    uploaded = 0
    for item in dist.files:
        name = item.path.name
        if listed_sha256(existing, name) is not None:
            io.log(f"{name} is already published, identical (sha256 {item.sha256}): skipped")
            report.file(name, item.sha256, "already-published")
            continue
        _recheck(item)
        io.log(f"uploading {name} (sha256 {item.sha256}) to {repository.upload_url}")
        # Recorded before twine starts: an interruption now leaves "uploading", which says the
        # index may or may not hold the file (re-running publish compares and completes).
        report.file(name, item.sha256, "uploading")
        try:
            upload(
                io.twine,
                repository,
                item.path,
                base_env=io.env,
                echo=_echo(repository),
                timeout=min(settings.upload_timeout, clock.remaining()),
            )
        except PublishError:
            report.files[-1]["action"] = "upload-failed"
            report.save()
            raise
        report.files[-1]["action"] = "uploaded"
        report.save()
        uploaded += 1
    _verify(repository, settings, dist, io, clock)
    report.outcome = "uploaded" if uploaded else "already-published"
    io.log(
        f"published {settings.name} {decision.version} to {repository.upload_url}: uploaded "
        f"{uploaded}, already published {len(dist.files) - uploaded}"
    )


def check_clean_tree(settings: Settings) -> None:
    """Outside CI, refuse a release whose tree is not exactly the tagged commit.

    Tracked files must equal HEAD, and no untracked, unignored file may exist outside noxline's
    own outputs: the build copies such files too, so they would be released uncommitted.
    """
    outputs = (Path(".nox"), settings.dist_dir, settings.reports_dir)
    changed = tracked_changes(settings.project_dir) + [
        name
        for name in untracked_files(settings.project_dir)
        if not any(Path(name).is_relative_to(folder) for folder in outputs)
        and "__pycache__" not in Path(name).parts
    ]
    if changed:
        shown = name_some(changed)
        raise PublishError(
            f"the working tree has uncommitted changes ({shown}), so the build is not exactly "
            "the tagged commit: commit, stash (git stash -u) or ignore them, rebuild, and "
            "publish again; nothing was uploaded"
        )


def _recheck(item: DistFile) -> None:
    """Hash the file again right before it goes out: it must still be what build made."""
    actual = sha256_of(item.path)
    if actual != item.sha256:
        raise PublishError(
            f"{item.path.name} changed after it was checked (sha256 now {actual}, "
            f"SHA256SUMS says {item.sha256}): something writes to dist/ during publish; "
            "nothing more was uploaded; rebuild with `nox -s build`"
        )


def _differing(dist: Dist, listed: dict[str, str]) -> list[tuple[DistFile, str]]:
    """The dist files the index lists under their name with another sha256 (and that sha256)."""
    return [
        (item, sha256)
        for item in dist.files
        for sha256 in (listed_sha256(listed, item.path.name),)
        if sha256 is not None and sha256 != item.sha256
    ]


def listed_sha256(listed: Mapping[str, str], filename: str) -> str | None:
    """The sha256 the index lists for ``filename`` under any spelling of it; None when absent."""
    return listed_as(listed, filename)


def _verify(
    repository: Repository, settings: Settings, dist: Dist, io: JobIO, clock: _Clock
) -> None:
    """Read the index until it lists every file with the built sha256, within ``index-timeout``.

    A file listed with another sha256 fails at once; a file still not listed when the time is up
    fails naming it: an upload the index does not show is not a publish.
    """
    waited_until = time.monotonic() + min(settings.index_timeout, clock.remaining())
    while True:
        listed = read_project_files(repository, settings.name, limits=clock.limits())
        wrong = [f"{item.path.name} (index sha256 {sha})" for item, sha in _differing(dist, listed)]
        if wrong:
            raise PublishError(
                f"after the upload {repository.project_url(settings.name)} lists "
                f"{'; '.join(wrong)}, not the files in {settings.dist_dir}/: check the index "
                "before releasing again"
            )
        unlisted = [
            item.path.name for item in dist.files if listed_sha256(listed, item.path.name) is None
        ]
        if not unlisted:
            io.log(f"the index lists every file with the sha256 in {settings.dist_dir}/SHA256SUMS")
            return
        if time.monotonic() + io.poll_interval > waited_until:
            raise PublishError(
                f"{repository.project_url(settings.name)} still does not list "
                f"{', '.join(unlisted)} {settings.index_timeout:g} s after the upload, so the "
                "release cannot be confirmed: check the index (did it accept the upload?) and "
                "re-run publish, which uploads only what is missing"
            )
        time.sleep(io.poll_interval)


def _dry_run(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    settings: Settings,
    dist: Dist,
    repository: Repository | None,
    report: Report,
    io: JobIO,
    clock: _Clock,
) -> None:
    """Do everything but the upload: look at the index read-only and say what would happen."""
    report.outcome = "dry-run"
    if repository is None:
        where = "no index (none is configured: set TWINE_REPOSITORY_URL or repository-url)"
        existing: dict[str, str] = {}
    else:
        where = f"{repository.upload_url} (configured by {repository.configured_by})"
        existing = _peek(_dry_run_reader(repository), settings.name, io, clock)
    for item in dist.files:
        name = item.path.name
        on_index = listed_sha256(existing, name)
        if on_index == item.sha256:
            action = "would-skip-identical"
            io.log(f"dry run: {name} is already on the index, identical: would skip it")
        elif on_index is not None:
            action = "would-fail-different"
            io.warn(
                f"dry run: the index holds a different {name} (sha256 {on_index}): a release "
                "of this version would fail"
            )
        else:
            action = "would-upload"
            io.log(f"dry run: would upload {name} (sha256 {item.sha256}) to {where}")
        report.file(name, item.sha256, action)
    if dist.version in versions_of(existing):
        io.warn(f"dry run: version {dist.version} of {settings.name} is already on the index")
    if repository is not None and settings.oidc_audience:  # trusted publishing (#11)
        io.log(f"dry run: {describe_exchange(repository, io.env)}")
    io.log(f"dry run: nothing was uploaded ({report.reason})")


def _dry_run_reader(repository: Repository) -> Repository:
    """The repository a dry run reads as: anonymous when the tree named the index.

    A dry run runs for any branch or merge request, whose tree may point repository-url at any
    host; the credentials in the environment must not follow it there. Only an upload (a release
    past the protected-tag gate) sends them to a URL the tree named.
    """
    if repository.configured_by == TREE_SETTING:
        return dataclasses.replace(repository, username="", password="")
    return repository


def _peek(repository: Repository, project: str, io: JobIO, clock: _Clock) -> dict[str, str]:
    """Read the index for a dry run; an unreachable index is a warning, not a failure."""
    try:
        return read_project_files(repository, project, limits=clock.limits())
    except PublishError as error:
        io.warn(f"dry run: could not look at the index ({error}); continuing")
        return {}


def versions_of(filenames: Iterable[str]) -> set[Version]:
    """The versions of the distribution files among ``filenames`` (other names ignored)."""
    versions: set[Version] = set()
    for name in filenames:
        try:
            versions.add(parse_filename(name)[2])
        except ValueError:  # InvalidWheelFilename, InvalidSdistFilename and InvalidVersion
            continue
    return versions


def masked_data(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every string in it masked (dicts and lists walked): JSON-ready data masked
    before it is serialised, so a secret is found as it is, not as JSON escapes it."""
    if isinstance(value, str):
        return mask(value, secrets)
    if isinstance(value, dict):
        return {key: masked_data(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [masked_data(item, secrets) for item in value]
    return value


def _echo(repository: Repository) -> Callable[[str], None]:
    """A writer for twine's command line and output, masked once more on the way out."""

    def echo(text: str) -> None:
        """Write masked text to the job log."""
        if text:
            sys.stdout.write(mask(text, repository.secrets).rstrip("\n") + "\n")
            sys.stdout.flush()

    return echo
