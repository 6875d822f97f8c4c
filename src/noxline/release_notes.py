"""Release notes of a version: its changelog section, else the commits since the last release.

Changelogs in the two common shapes are read: Keep a Changelog (``## [1.2.3] - 2026-01-31``) and
towncrier's Markdown output (``## 1.2.3 (2026-01-31)`` or ``# project 1.2.3 (2026-01-31)``). The
section of a version runs from the heading that names it to the next heading of the same or a
higher level. Without a changelog, or without a section for the version, the notes are the subjects
of the commits since the previous release tag (``git log``, read-only, with a deadline).

Only ATX headings (``#`` lines outside fenced code) are looked at: that is what both shapes write,
and a full Markdown parser would be a dependency for one regular expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from noxline.errors import NoxlineError
from noxline.git import git_output

#: Looked for in this order when ``changelog`` is not set.
CHANGELOG_NAMES = ("CHANGELOG.md", "CHANGES.md", "HISTORY.md", "NEWS.md")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Notes:
    """The notes' text and where they came from (for the job log)."""

    text: str
    source: str


def find_changelog(project_dir: Path, configured: str) -> Path | None:
    """The changelog file: ``configured`` (which must exist) or the first of the usual names."""
    if configured:
        path = project_dir / configured
        if not path.resolve().is_relative_to(project_dir.resolve()):
            raise NoxlineError(
                f"[tool.noxline] changelog = {configured!r} points outside the project: name a "
                "file inside it, such as 'CHANGELOG.md'"
            )
        if not path.is_file():
            raise NoxlineError(
                f"[tool.noxline] changelog = {configured!r} does not exist: fix the path or "
                "remove the key (then CHANGELOG.md and the usual names are looked for)"
            )
        return path
    return next((project_dir / n for n in CHANGELOG_NAMES if (project_dir / n).is_file()), None)


def changelog_section(text: str, versions: tuple[str, ...]) -> str | None:
    """The body of the section whose heading names one of ``versions``; None when none does."""
    names = [re.compile(rf"(?<![\w.])v?{re.escape(v)}(?![\w]|\.\d)") for v in versions if v]
    lines = text.splitlines()
    in_fence = False
    start: int | None = None
    level = 0
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        heading = None if in_fence else _HEADING.match(line)
        if heading is None:
            continue
        if start is not None and len(heading.group(1)) <= level:
            return _body(lines[start:number])
        if start is None and any(name.search(heading.group(2)) for name in names):
            start, level = number + 1, len(heading.group(1))
    return None if start is None else _body(lines[start:])


def _body(lines: list[str]) -> str | None:
    """Section lines without leading and trailing blank lines; None when nothing is left."""
    text = "\n".join(lines).strip("\n").rstrip()
    return text or None


def previous_release_tag(project_dir: Path, version: str, release_pattern: str) -> str | None:
    """The highest release tag (matching ``release_pattern``) below ``version``."""
    pattern = re.compile(release_pattern)
    current = Version(version)
    earlier: dict[Version, str] = {}
    for tag in _git(project_dir, "tag", "--list").splitlines():
        if not pattern.search(tag):
            continue
        try:
            candidate = Version(tag)
        except InvalidVersion:
            continue
        if candidate < current:
            earlier[candidate] = tag
    return earlier[max(earlier)] if earlier else None


def commit_subjects(project_dir: Path, until: str, since: str | None) -> list[str]:
    """Subjects of the commits reachable from ``until`` but not from ``since``, newest first."""
    revision = f"{since}..{until}" if since else until
    return _git(project_dir, "log", "--no-merges", "--format=%s", revision).splitlines()


def release_notes(  # pylint: disable=too-many-arguments
    project_dir: Path,
    *,
    changelog: str,
    version: str,
    tag: str,
    ref: str,
    release_pattern: str,
) -> Notes:
    """The notes for ``version`` (released as ``tag``, built from git ``ref``)."""
    path = find_changelog(project_dir, changelog)
    if path is not None:
        section = changelog_section(path.read_text(encoding="utf-8"), (tag, version))
        if section is not None:
            return Notes(section, f"the {version} section of {path.name}")
    previous = previous_release_tag(project_dir, version, release_pattern)
    subjects = commit_subjects(project_dir, ref, previous)
    since = f"since {previous}" if previous else "in the history"
    where = f"no {version} section in {path.name}" if path else "no changelog"
    text = "\n".join(f"- {subject}" for subject in subjects) or "- no changes recorded"
    return Notes(f"Changes {since}:\n\n{text}", f"commit subjects {since} ({where})")


def _git(project_dir: Path, *args: str) -> str:
    """Run a read-only git command in ``project_dir`` (bounded); its output, or one clear error."""
    return git_output(
        project_dir,
        *args,
        fix="the release notes need the project's git history and tags " "(GIT_DEPTH: 0)",
    )


__all__ = [
    "CHANGELOG_NAMES",
    "Notes",
    "changelog_section",
    "commit_subjects",
    "find_changelog",
    "previous_release_tag",
    "release_notes",
]
