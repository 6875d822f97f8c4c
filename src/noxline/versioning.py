"""Decide which version a pipeline builds and whether it is a release.

The decision comes from the GitLab CI variables when they are present, otherwise from git
tags; ``pyproject.toml`` only supplies a floor for development versions. The module is pure
apart from reading the environment mapping it is given and running read-only ``git`` commands.

Tags are read as ``tag_prefix`` + version (a tag without the prefix is no release). Tag kinds
(``release_pattern`` is searched in the version part with the ``regex`` package, under a time limit,
so a user's pattern cannot hang a job):

* a tag matching ``release_pattern`` (default ``X.Y.Z``) is a release of exactly that version;
* ``<release tag>-dryrun`` is a rehearsal of that version (publishing only dry-runs);
* a PEP 440 pre-release such as ``1.2.3rc1`` or ``1.2.3-rc.1`` is a pre-release;
* anything else (branches, merge requests, other tags) builds ``<next>.dev<N>``, where
  ``<next>`` is the larger of the pyproject release and the latest reachable release tag with
  its last component bumped, and ``N`` is the pipeline id (or the commit count outside CI).

Decisions are exact: a tag with whitespace or control characters (``"1.2.3\\n"``) is refused, a
version written with leading zeros (``01.2.3``) or in a non-canonical spelling of a release is not a
release, and a number longer than :data:`MAX_DIGITS` digits is refused with a clear message.
"""

from __future__ import annotations

import enum
import math
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import regex
from packaging.version import InvalidVersion, Version

from noxline.ci import CIContext
from noxline.errors import VersionError
from noxline.git import GitError, run_git, said

__all__ = [
    "DEFAULT_RELEASE_PATTERN",
    "ReleaseKind",
    "MAX_DIGITS",
    "VersionDecision",
    "compile_release_pattern",
    "decide_version",
    "tracked_changes",
    "untracked_files",
]

DEFAULT_RELEASE_PATTERN = r"^[0-9]+\.[0-9]+\.[0-9]+$"
"""Regular expression a tag must match to be a release: plain ``X.Y.Z`` by default."""

#: Longest run of digits accepted in a tag or pipeline id (int64 holds 18 digits safely).
MAX_DIGITS = 18
#: Seconds a release pattern may take to match one tag.
PATTERN_TIMEOUT = 1.0
_DRYRUN_SUFFIX = "-dryrun"
_PIPELINE_ID_RE = re.compile(r"[0-9]+")
# Git refuses these in ref names; a variable holding one is not a tag git made.
_NOT_IN_TAGS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_LONG_NUMBER = re.compile(r"[0-9]{%d,}" % (MAX_DIGITS + 1))
_LEADING_ZERO = re.compile(r"(?<![0-9])0[0-9]")
#: Longest release pattern accepted, in characters.
MAX_PATTERN_LENGTH = 500
#: Largest product of a release pattern's counted repeats ({n}, {n,m}: m, {n,}: n).
MAX_PATTERN_REPEATS = 100_000
# The numbers inside counted repeats: "{3}", "{1,4}", "{2,}", "{,5}".
_REPEAT_COUNT = re.compile(r"\{\s*([0-9]*)\s*(?:,\s*([0-9]*)\s*)?\}")
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


def decide_version(
    project_dir: Path,
    *,
    base_version: str,
    release_pattern: str = DEFAULT_RELEASE_PATTERN,
    env: Mapping[str, str] | None = None,
    tag_prefix: str = "",
) -> VersionDecision:
    """Decide the version for ``project_dir`` from the CI variables in ``env`` and git.

    ``base_version`` is the version in the project's pyproject.toml; ``env`` defaults to
    :data:`os.environ`. ``tag_prefix`` (such as ``v``) is what release tags start with: a tag is
    read as prefix + version, and tags without it are not releases. Raises :class:`VersionError`
    when the inputs are invalid or git cannot answer reliably (not a repository, shallow clone
    missing the needed tags or history).
    """
    context = CIContext.from_env(os.environ if env is None else env)
    base = _parse_base_version(base_version)
    tags = _TagReader(compile_release_pattern(release_pattern), tag_prefix)
    pipeline_id = _pipeline_id(context.pipeline_id)
    protected = context.protected if context.in_ci else None

    # A tag pipeline is decided by the tag name alone; no git history is needed.
    decision = _tag_decision(_checked_ci_tag(context.tag), tags, protected)
    if decision is not None:
        return decision
    git = _Git(project_dir)
    if not context.in_ci:
        decision = _head_tag_decision(git, tags)
        if decision is not None:
            return decision

    # Branch pipelines never release, even when HEAD carries (or the branch is named like) a
    # release tag: only a tag pipeline (CI_COMMIT_TAG) may publish.
    return _dev_decision(git, tags, base, pipeline_id, context)


def _dev_decision(
    git: _Git, tags: _TagReader, base: Version, pipeline_id: int | None, context: CIContext
) -> VersionDecision:
    """``<next release>.dev<N>`` for a build that is not a release."""
    latest = _latest_release_tag(git, tags)
    number, detail = _dev_number(git, latest[0] if latest else None, pipeline_id)
    next_release = _next_release(base, latest[1] if latest else None)
    return VersionDecision(
        version=str(Version(f"{next_release}.dev{number}")),
        kind=ReleaseKind.DEV,
        source=f"{context.ref_words()} ({detail})" if context.in_ci else detail,
        tag=None,
        protected=context.protected if context.in_ci else None,
    )


def tracked_changes(project_dir: Path) -> list[str]:
    """Tracked files whose content differs from HEAD (staged or not); empty for a clean tree.

    Untracked files do not count: build outputs and reports are untracked (and ignored).
    """
    git = _Git(project_dir)
    listed = git.output("status", "--porcelain=v1", "-z", "--untracked-files=no")
    # -z: "XY path\0", renames add "\0old path"; the path starts at column 3.
    return [entry[3:] for entry in listed.split("\0") if len(entry) > 3 and entry[2] == " "]


def untracked_files(project_dir: Path) -> list[str]:
    """Files git does not track and does not ignore (they would enter a build of the tree)."""
    listed = _Git(project_dir).output("ls-files", "-z", "--others", "--exclude-standard")
    return [name for name in listed.split("\0") if name]


def compile_release_pattern(release_pattern: str) -> regex.Pattern[str]:
    """The release pattern compiled with the ``regex`` package, or a message naming the error.

    Matching runs under a time limit, but compiling cannot: ``regex`` unrolls counted repeats, so
    ``a{1000000000}`` would take minutes. Patterns are kept short and their counts small.

    A pattern that matches the empty string matches inside every tag ("release", "deploy-test"),
    so every tag would be a release candidate: refused.
    """
    counts = [
        max(int(number[:10] or 1), 1)  # ten digits are already far over the limit
        for low, high in _REPEAT_COUNT.findall(release_pattern)
        for number in (high or low,)
    ]
    if len(release_pattern) > MAX_PATTERN_LENGTH or math.prod(counts) > MAX_PATTERN_REPEATS:
        raise VersionError(
            f"release pattern {release_pattern[:80]!r} is longer than {MAX_PATTERN_LENGTH} "
            f"characters or repeats more than {MAX_PATTERN_REPEATS} times in all ({{n}} counts "
            "multiplied): a release pattern needs neither; simplify release-pattern in "
            f"[tool.noxline], such as the default {DEFAULT_RELEASE_PATTERN!r}."
        )
    try:
        pattern = regex.compile(release_pattern)
        empty_matches = pattern.search("", timeout=PATTERN_TIMEOUT) is not None
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise VersionError(
            f"release pattern {release_pattern!r} is not a valid regular expression ({exc}); "
            f"fix release-pattern in [tool.noxline] or use the default {DEFAULT_RELEASE_PATTERN!r}."
        ) from None
    except TimeoutError:
        empty_matches = True
    if empty_matches:
        raise VersionError(
            f"release pattern {release_pattern!r} matches the empty string, so it matches every "
            "tag: anchor it and require a version, such as the default "
            f"{DEFAULT_RELEASE_PATTERN!r}, in release-pattern in [tool.noxline]."
        )
    return pattern


# --- input validation -------------------------------------------------------------------------


def _parse_base_version(base_version: str) -> Version:
    """The pyproject version as a Version, or a message saying it must be PEP 440."""
    try:
        return Version(base_version)
    except ValueError:  # InvalidVersion, or a number too long for int()
        raise VersionError(
            f"the project version {base_version[:80]!r} in pyproject.toml is not a valid PEP 440 "
            "version; use a version such as 0.1.0."
        ) from None


def _pipeline_id(raw: str) -> int | None:
    """CI_PIPELINE_ID as a number; None outside CI; refused unless plain digits, not too long."""
    if not raw:
        return None
    # re.fullmatch rather than int(): int() also accepts " 42", "+42" and "4_2".
    if not _PIPELINE_ID_RE.fullmatch(raw) or len(raw) > MAX_DIGITS:
        raise VersionError(
            f"CI_PIPELINE_ID={raw[:40]!r} is not a non-negative integer of at most {MAX_DIGITS} "
            "digits, so it cannot be used as the dev release number; unset it or set it to the "
            "pipeline's numeric id."
        )
    return int(raw)


def _checked_ci_tag(tag: str) -> str:
    """CI_COMMIT_TAG, refused when it holds what no git tag can (whitespace, newlines, ...)."""
    if _NOT_IN_TAGS.search(tag):
        raise VersionError(
            f"CI_COMMIT_TAG={tag[:80]!r} contains whitespace or characters git does not allow in "
            "a tag, so it is not the name of a tag: fix the variable (it must be exactly the tag "
            "name, with no trailing newline)."
        )
    return tag


# --- tag classification -----------------------------------------------------------------------


def _is_plain_prerelease(version: Version) -> bool:
    """True for aN/bN/rcN versions without a dev or local part."""
    # aN/bN/rcN only: a dev or local suffix makes it a build, not something to publish.
    return version.pre is not None and version.dev is None and version.local is None


class _TagReader:
    """Reads tag names as releases: the prefix, the release pattern (time-limited), exact forms."""

    def __init__(self, pattern: regex.Pattern[str], prefix: str) -> None:
        """Remember the compiled release pattern and the tag prefix."""
        self.pattern = pattern
        self.prefix = prefix

    def matches(self, text: str) -> bool:
        """Whether ``text`` matches the release pattern, refusing a pattern that runs too long."""
        try:
            return self.pattern.search(text, timeout=PATTERN_TIMEOUT) is not None
        except TimeoutError:
            raise VersionError(
                f"release pattern {self.pattern.pattern!r} took more than {PATTERN_TIMEOUT:g} s "
                f"on tag {text[:80]!r} (catastrophic backtracking): simplify release-pattern in "
                f"[tool.noxline], such as the default {DEFAULT_RELEASE_PATTERN!r}."
            ) from None

    def classify(self, tag: str) -> tuple[ReleaseKind, Version] | None:
        """The kind and version ``tag`` stands for, or None for a tag that is not a version."""
        if not tag.startswith(self.prefix) or _NOT_IN_TAGS.search(tag):
            return None
        stem = tag[len(self.prefix) :]
        if _LONG_NUMBER.search(stem):
            raise _BadTag(
                f"tag {tag[:80]!r} holds a number of more than {MAX_DIGITS} digits, which no "
                "release needs: delete the tag and tag the release with its real version."
            )
        if stem.endswith(_DRYRUN_SUFFIX):
            stem = stem[: -len(_DRYRUN_SUFFIX)]
            if self.matches(stem):
                version = _release_tag_version(tag, stem)
                return (ReleaseKind.REHEARSAL, version) if version else None
            return None
        if self.matches(stem):
            version = _release_tag_version(tag, stem)
            if version is None:
                return None
            # A permissive custom pattern may match "1.2.3rc1": it is still only a pre-release.
            kind = ReleaseKind.PRERELEASE if version.pre is not None else ReleaseKind.RELEASE
            return kind, version
        version = _exact_version(stem)
        return (
            (ReleaseKind.PRERELEASE, version) if version and _is_plain_prerelease(version) else None
        )


class _BadTag(VersionError):
    """A tag that looks like a release but cannot be one (not PEP 440, dev/local, huge numbers).

    Fatal for the pipeline of that very tag; a tag met while scanning history is skipped instead,
    so one odd tag anyone pushed cannot break every development build.
    """


def _classify_or_skip(tags: _TagReader, tag: str) -> tuple[ReleaseKind, Version] | None:
    """``tags.classify(tag)`` for a tag met in the history: a bad tag counts as no version."""
    try:
        return tags.classify(tag)
    except _BadTag:
        return None


def _exact_version(text: str) -> Version | None:
    """``text`` as a Version when it is one without leading zeros; None otherwise.

    packaging strips surrounding whitespace and drops leading zeros (``01.2`` is ``1.2``): a tag
    must be exactly the version, so both are refused here.
    """
    if text != text.strip() or _LEADING_ZERO.search(text):
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _release_tag_version(tag: str, stem: str) -> Version | None:
    """Parse the version part of a tag that matched the release pattern.

    None for a leading-zero spelling (not a release); refused when it cannot be published.
    """
    if _LEADING_ZERO.search(stem):
        return None
    try:
        version = Version(stem)
    except InvalidVersion as exc:
        raise _BadTag(
            f"tag {tag!r} matches the release pattern but is not a PEP 440 version; tighten "
            "the release pattern in [tool.noxline] or rename the tag."
        ) from exc
    if version.dev is not None or version.local is not None:
        raise _BadTag(
            f"tag {tag!r} matches the release pattern but {version} is a dev or local version, "
            "which cannot be released; tighten the release pattern in [tool.noxline]."
        )
    return version


def _tag_decision(tag: str, tags: _TagReader, protected: bool | None) -> VersionDecision | None:
    """The decision a version-like tag makes on its own, or None for any other tag."""
    tagged = tags.classify(tag) if tag else None
    if tagged is None:
        return None
    return VersionDecision(str(tagged[1]), tagged[0], f"tag {tag}", tag, protected)


_KIND_RANK = {ReleaseKind.RELEASE: 3, ReleaseKind.PRERELEASE: 2, ReleaseKind.REHEARSAL: 1}


def _head_tag_decision(git: _Git, tags: _TagReader) -> VersionDecision | None:
    """Decide from the tags at HEAD: releases beat pre-releases beat dry runs, then highest."""
    found = [
        decision
        for decision in (
            _tag_decision(tag, tags, None) for tag in git.lines("tag", "--points-at", "HEAD")
        )
        if decision is not None
    ]
    return max(found, key=lambda item: (_KIND_RANK[item.kind], Version(item.version)), default=None)


def _latest_release_tag(git: _Git, tags: _TagReader) -> tuple[str, Version] | None:
    """The highest release tag reachable from HEAD (pre-release and dry-run tags ignored)."""
    releases: list[tuple[str, Version]] = []
    for tag in git.lines("tag", "--merged", "HEAD"):
        tagged = _classify_or_skip(tags, tag)
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
            why = said(inside) if inside.returncode != 0 else "it is a bare repository or .git"
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
        """Run a read-only git command in the project (bounded); missing git is a VersionError."""
        try:
            return run_git(self.project_dir, *args)
        except GitError as error:
            raise VersionError(f"{error}; the version is derived from git tags") from None

    def output(self, *args: str) -> str:
        """Run ``git <args>`` and return its stdout, raising VersionError if it fails."""
        done = self._run(*args)
        if done.returncode != 0:
            raise VersionError(
                f"`git {' '.join(args)}` failed in {self.project_dir} ({said(done)}); "
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
