"""Decide which version a pipeline builds and whether it is a release.

The decision comes from the GitLab CI variables when they are present, otherwise from git
tags; ``pyproject.toml`` only supplies a floor for development versions. The module is pure
apart from reading the environment mapping it is given and running read-only ``git`` commands.

Tag kinds (``release_pattern`` is searched with :func:`re.search`):

* a tag matching ``release_pattern`` (default ``X.Y.Z``) is a release of exactly that version;
* ``<release tag>-dryrun`` is a rehearsal of that version (publishing only dry-runs);
* a PEP 440 pre-release such as ``1.2.3rc1`` or ``1.2.3-rc.1`` is a pre-release;
* anything else (branches, merge requests, other tags) builds ``<next>.dev<N>``, where
  ``<next>`` is the larger of the pyproject release and the latest reachable release tag with
  its last component bumped, and ``N`` is the pipeline id (or the commit count outside CI).
"""

from __future__ import annotations

import enum
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from noxline.errors import VersionError

__all__ = [
    "DEFAULT_RELEASE_PATTERN",
    "ReleaseKind",
    "VersionDecision",
    "check_release_protected",
    "decide_version",
]

DEFAULT_RELEASE_PATTERN = r"^[0-9]+\.[0-9]+\.[0-9]+$"
"""Regular expression a tag must match to be a release: plain ``X.Y.Z`` by default."""

_DRYRUN_SUFFIX = "-dryrun"
# The variables whose presence means "running in a GitLab pipeline". gitlab-ci-local sets
# GITLAB_CI=false but does set CI_PIPELINE_ID, so presence (not value) is what counts.
_CI_MARKERS = ("CI_PIPELINE_ID", "CI_COMMIT_REF_NAME", "GITLAB_CI", "CI_COMMIT_TAG")
_PIPELINE_ID_RE = re.compile(r"[0-9]+")
_SHALLOW_FIX = (
    "Fetch the full history and the tags: in .gitlab-ci.yml set `GIT_DEPTH: 0` under "
    "`variables:` (and `GIT_FETCH_EXTRA_FLAGS: --tags` if your runner does not fetch tags); "
    "locally run `git fetch --unshallow --tags`."
)


class ReleaseKind(enum.Enum):
    """What a build is: a release, a rehearsal of one, a pre-release or a development build."""

    RELEASE = "release"  # uploaded
    REHEARSAL = "rehearsal"  # `X.Y.Z-dryrun` tag: the publish step only dry-runs
    PRERELEASE = "prerelease"  # uploaded only when pre-releases are allowed
    DEV = "dev"  # never uploaded


@dataclass(frozen=True)
class VersionDecision:
    """The version to build, where it came from, and whether it may be uploaded.

    ``version`` is a normalised PEP 440 string. ``source`` is human wording for messages.
    ``tag`` is the tag whose name *is* the version (``None`` for development builds).
    ``protected`` is ``CI_COMMIT_REF_PROTECTED`` parsed, ``None`` outside GitLab CI.
    """

    version: str
    kind: ReleaseKind
    source: str
    tag: str | None
    protected: bool | None

    def uploads(self, *, publish_prereleases: bool = False) -> bool:
        """Return True if this build should be uploaded to the package index."""
        if self.kind is ReleaseKind.RELEASE:
            return True
        return self.kind is ReleaseKind.PRERELEASE and publish_prereleases


def decide_version(  # pylint: disable=too-many-locals
    project_dir: Path,
    *,
    base_version: str,
    release_pattern: str = DEFAULT_RELEASE_PATTERN,
    env: Mapping[str, str] | None = None,
    tag_prefix: str = "",
) -> VersionDecision:
    """Decide the version for ``project_dir`` from the CI variables in ``env`` and git.

    ``base_version`` is the version in the project's pyproject.toml; ``env`` defaults to
    :data:`os.environ`. ``tag_prefix`` (``v`` for ``v1.2.3``) is stripped from tags before they
    are classified; tags without it are not versions. Raises :class:`VersionError` when the inputs
    are invalid or git cannot answer reliably (not a repository, shallow clone missing the needed
    tags or history).
    """
    if env is None:
        env = os.environ
    base = _parse_base_version(base_version)
    pattern = _compile_pattern(release_pattern)
    pipeline_id = _pipeline_id(env)
    in_ci = any(env.get(name) for name in _CI_MARKERS)
    protected = _parse_protected(env) if in_ci else None

    # A tag pipeline is decided by the tag name alone; no git history is needed.
    decision = _tag_decision(env.get("CI_COMMIT_TAG", ""), pattern, protected, tag_prefix)
    if decision is not None:
        return decision
    git = _Git(project_dir)
    if not in_ci:
        decision = _head_tag_decision(git, pattern, tag_prefix)
        if decision is not None:
            return decision

    # Branch pipelines never release, even when HEAD carries (or the branch is named like) a
    # release tag: only a tag pipeline (CI_COMMIT_TAG) may publish.
    latest = _latest_release_tag(git, pattern, tag_prefix)
    number, detail = _dev_number(git, latest[0] if latest else None, pipeline_id)
    next_release = _next_release(base, latest[1] if latest else None)
    return VersionDecision(
        version=str(Version(f"{next_release}.dev{number}")),
        kind=ReleaseKind.DEV,
        source=f"{_ref_words(env)} ({detail})" if in_ci else detail,
        tag=None,
        protected=protected,
    )


def check_release_protected(
    decision: VersionDecision, env: Mapping[str, str], *, allow_unprotected: bool
) -> None:
    """Refuse to publish a release from an unprotected tag in GitLab CI.

    Anyone with Developer access can push an unprotected tag, so an unprotected release tag
    would let them publish. Only RELEASE and PRERELEASE builds in GitLab (``GITLAB_CI=true``)
    are checked; ``allow_unprotected`` (``allow-unprotected-tags``) turns the check off.
    """
    if decision.kind not in (ReleaseKind.RELEASE, ReleaseKind.PRERELEASE):
        return
    if env.get("GITLAB_CI") != "true":
        return  # not real GitLab (local run, gitlab-ci-local): protection does not apply
    if env.get("CI_COMMIT_REF_PROTECTED") == "true" or allow_unprotected:
        return
    tag = decision.tag if decision.tag is not None else decision.version
    raise VersionError(
        f"refusing to publish {decision.version}: tag {tag} is not protected, so anyone who "
        "can push tags could publish. Protect tags matching the release pattern in GitLab "
        "(Settings > Repository > Protected tags), or set `allow-unprotected-tags = true` in "
        "[tool.noxline] to publish from unprotected tags anyway."
    )


# --- input validation -------------------------------------------------------------------------


def _parse_base_version(base_version: str) -> Version:
    """The pyproject version as a Version, or a message saying it must be PEP 440."""
    try:
        return Version(base_version)
    except InvalidVersion as exc:
        raise VersionError(
            f"the project version {base_version!r} in pyproject.toml is not a valid PEP 440 "
            "version; use a version such as 0.1.0."
        ) from exc


def _compile_pattern(release_pattern: str) -> re.Pattern[str]:
    """The release pattern compiled, or a message naming the bad regex."""
    try:
        return re.compile(release_pattern)
    except re.error as exc:
        raise VersionError(
            f"release pattern {release_pattern!r} is not a valid regular expression ({exc}); "
            f"fix it or use the default {DEFAULT_RELEASE_PATTERN!r}."
        ) from exc


def _pipeline_id(env: Mapping[str, str]) -> int | None:
    """CI_PIPELINE_ID as a number; None outside CI; refused unless plain digits."""
    raw = env.get("CI_PIPELINE_ID")
    if not raw:
        return None
    # re.fullmatch rather than int(): int() also accepts " 42", "+42" and "4_2".
    if not _PIPELINE_ID_RE.fullmatch(raw):
        raise VersionError(
            f"CI_PIPELINE_ID={raw!r} is not a non-negative integer, so it cannot be used as "
            "the dev release number; unset it or set it to the pipeline's numeric id."
        )
    return int(raw)


def _parse_protected(env: Mapping[str, str]) -> bool | None:
    """CI_COMMIT_REF_PROTECTED as a bool; None when GitLab did not set it."""
    raw = env.get("CI_COMMIT_REF_PROTECTED")
    if raw is None:
        return None
    return raw.strip().lower() == "true"


# --- tag classification -----------------------------------------------------------------------


def _is_plain_prerelease(version: Version) -> bool:
    """True for aN/bN/rcN versions without a dev or local part."""
    # aN/bN/rcN only: a dev or local suffix makes it a build, not something to publish.
    return version.pre is not None and version.dev is None and version.local is None


def _release_tag_version(tag: str) -> Version:
    """Parse a tag that matched the release pattern; refuse what cannot be published."""
    try:
        version = Version(tag)
    except InvalidVersion as exc:
        raise VersionError(
            f"tag {tag!r} matches the release pattern but is not a PEP 440 version; tighten "
            "the release pattern in [tool.noxline] or rename the tag."
        ) from exc
    if version.dev is not None or version.local is not None:
        raise VersionError(
            f"tag {tag!r} matches the release pattern but {version} is a dev or local version, "
            "which cannot be released; tighten the release pattern in [tool.noxline]."
        )
    return version


def _classify_tag(
    tag: str, pattern: re.Pattern[str], tag_prefix: str = ""
) -> tuple[ReleaseKind, Version] | None:
    """Return the kind and version a tag stands for, or None for a tag that is not a version."""
    if not tag.startswith(tag_prefix):
        return None
    tag = tag[len(tag_prefix) :]
    if tag.endswith(_DRYRUN_SUFFIX):
        stem = tag[: -len(_DRYRUN_SUFFIX)]
        if pattern.search(stem):
            return ReleaseKind.REHEARSAL, _release_tag_version(stem)
        return None
    if pattern.search(tag):
        version = _release_tag_version(tag)
        # A permissive custom pattern may match "1.2.3rc1": it is still only a pre-release.
        kind = ReleaseKind.PRERELEASE if version.pre is not None else ReleaseKind.RELEASE
        return kind, version
    try:
        version = Version(tag)
    except InvalidVersion:
        return None
    return (ReleaseKind.PRERELEASE, version) if _is_plain_prerelease(version) else None


def _tag_decision(
    tag: str, pattern: re.Pattern[str], protected: bool | None, tag_prefix: str = ""
) -> VersionDecision | None:
    """The decision a version-like tag makes on its own, or None for any other tag."""
    tagged = _classify_tag(tag, pattern, tag_prefix) if tag else None
    if tagged is None:
        return None
    return VersionDecision(str(tagged[1]), tagged[0], f"tag {tag}", tag, protected)


_KIND_RANK = {ReleaseKind.RELEASE: 3, ReleaseKind.PRERELEASE: 2, ReleaseKind.REHEARSAL: 1}


def _head_tag_decision(
    git: _Git, pattern: re.Pattern[str], tag_prefix: str = ""
) -> VersionDecision | None:
    """Decide from the tags at HEAD: releases beat pre-releases beat dry runs, then highest."""
    found = [
        decision
        for decision in (
            _tag_decision(tag, pattern, None, tag_prefix)
            for tag in git.lines("tag", "--points-at", "HEAD")
        )
        if decision is not None
    ]
    return max(found, key=lambda item: (_KIND_RANK[item.kind], Version(item.version)), default=None)


def _latest_release_tag(
    git: _Git, pattern: re.Pattern[str], tag_prefix: str = ""
) -> tuple[str, Version] | None:
    """The highest release tag reachable from HEAD (pre-release and dry-run tags ignored)."""
    releases: list[tuple[str, Version]] = []
    for tag in git.lines("tag", "--merged", "HEAD"):
        tagged = _classify_tag(tag, pattern, tag_prefix)
        if tagged is not None and tagged[0] is ReleaseKind.RELEASE:
            releases.append((tag, tagged[1]))
    # Compare as versions: as strings "1.9.0" would beat "1.10.0".
    return max(releases, key=lambda item: item[1], default=None)


# --- version arithmetic -----------------------------------------------------------------------


def _release_only(release: tuple[int, ...], epoch: int) -> Version:
    """A Version made of just an epoch and release numbers (no pre/dev/local parts)."""
    text = ".".join(str(part) for part in release)
    return Version(f"{epoch}!{text}" if epoch else text)


def _next_release(base: Version, latest: Version | None) -> Version:
    """The release a dev build leads to: pyproject's release, or the last tag bumped if higher."""
    floor = _release_only(base.release, base.epoch)
    if latest is None:
        return floor
    bumped = _release_only((*latest.release[:-1], latest.release[-1] + 1), latest.epoch)
    return max(floor, bumped)


def _ref_words(env: Mapping[str, str]) -> str:
    """Human words for the CI ref: merge request, tag or branch."""
    if env.get("CI_MERGE_REQUEST_IID"):
        return f"merge request !{env['CI_MERGE_REQUEST_IID']}"
    if env.get("CI_COMMIT_TAG"):
        return f"tag {env['CI_COMMIT_TAG']}"
    if env.get("CI_COMMIT_REF_NAME"):
        return f"branch {env['CI_COMMIT_REF_NAME']}"
    return "GitLab CI"


def _commits(count: int) -> str:
    """'1 commit' or 'N commits'."""
    return f"{count} commit" if count == 1 else f"{count} commits"


def _dev_number(git: _Git, tag: str | None, pipeline_id: int | None) -> tuple[int, str]:
    """The dev release number and its wording: the pipeline id in CI, else commits since tag."""
    if pipeline_id is None:
        return _commits_since(git, tag)
    if tag is None and git.is_shallow():
        # Cannot tell "no release yet" from "release tag not fetched".
        raise VersionError(
            f"{git.project_dir} is a shallow clone with no release tag reachable from HEAD, so "
            f"the next version cannot be known. {_SHALLOW_FIX}"
        )
    return pipeline_id, f"pipeline {pipeline_id}"


def _commits_since(git: _Git, tag: str | None) -> tuple[int, str]:
    """Count commits since ``tag`` (or all commits), refusing a count a shallow clone fakes."""
    if tag is None:
        if git.is_shallow():
            raise VersionError(
                f"{git.project_dir} is a shallow clone with no release tag reachable from HEAD, "
                f"so neither the latest release nor the commit count can be known. {_SHALLOW_FIX}"
            )
        count = int(git.output("rev-list", "--count", "HEAD"))
        return count, f"git: {_commits(count)}, no release tag yet"
    # Spell the ref out: a branch named like the tag would otherwise be ambiguous.
    span = f"refs/tags/{tag}..HEAD"
    if git.is_shallow() and any(
        len(line.split()) == 1 for line in git.lines("rev-list", "--parents", span)
    ):
        # A commit in the range shows no parents: its history was cut, so the count is short.
        raise VersionError(
            f"{git.project_dir} is a shallow clone missing part of the history since tag {tag}, "
            f"so the commit count cannot be trusted. {_SHALLOW_FIX}"
        )
    count = int(git.output("rev-list", "--count", span))
    return count, f"git: {_commits(count)} since {tag}"


# --- git --------------------------------------------------------------------------------------


class _Git:
    """Read-only git queries on one working tree; checks it is a repository with a commit."""

    def __init__(self, project_dir: Path) -> None:
        """Check that ``project_dir`` is a git work tree, or explain how to get one."""
        self.project_dir = project_dir
        self._shallow: bool | None = None
        inside = self._run("rev-parse", "--is-inside-work-tree")
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            why = _said(inside) if inside.returncode != 0 else "it is a bare repository or .git"
            raise VersionError(
                f"{project_dir} is not inside a git work tree ({why}), so the version "
                "cannot be derived from tags. Run noxline from a git checkout; in GitLab CI do "
                "not set `GIT_STRATEGY: none` for this job."
            )
        if self._run("rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
            raise VersionError(
                f"the git repository at {project_dir} has no commits yet, so there is no "
                "version to derive; make a first commit."
            )

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a read-only git command in the project; refuse clearly when git is missing."""
        command = ["git", "-C", str(self.project_dir), *args]
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False)
        except FileNotFoundError as exc:
            raise VersionError(
                "git was not found on PATH, so the version cannot be derived from tags; "
                "install git (in CI, use an image that includes it)."
            ) from exc

    def output(self, *args: str) -> str:
        """Run ``git <args>`` and return its stdout, raising VersionError if it fails."""
        done = self._run(*args)
        if done.returncode != 0:
            raise VersionError(
                f"`git {' '.join(args)}` failed in {self.project_dir} ({_said(done)}); "
                "fix the repository so that command succeeds."
            )
        return done.stdout

    def lines(self, *args: str) -> list[str]:
        """Run ``git <args>`` and return its non-empty output lines."""
        return [line.strip() for line in self.output(*args).splitlines() if line.strip()]

    def is_shallow(self) -> bool:
        """Return True if the clone is shallow (history cut off at some depth)."""
        if self._shallow is None:
            self._shallow = self.output("rev-parse", "--is-shallow-repository").strip() == "true"
        return self._shallow


def _said(done: subprocess.CompletedProcess[str]) -> str:
    """What a failed git command said, for an error message."""
    message = done.stderr.strip() or done.stdout.strip()
    return f"git said: {message}" if message else f"git exited with {done.returncode}"
