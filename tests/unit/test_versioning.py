"""Tests for noxline.versioning against real, throwaway git repositories."""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import noxline.git
from noxline.errors import VersionError
from noxline.versioning import (
    DEFAULT_RELEASE_PATTERN,
    PATTERN_TIMEOUT,
    ReleaseKind,
    VersionDecision,
    compile_release_pattern,
    decide_version,
    tracked_changes,
)

R, RH, PRE, DEV = (
    ReleaseKind.RELEASE,
    ReleaseKind.REHEARSAL,
    ReleaseKind.PRERELEASE,
    ReleaseKind.DEV,
)

_CI_VARS = (
    "CI_PIPELINE_ID",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_TAG",
    "GITLAB_CI",
    "CI_MERGE_REQUEST_IID",
    "CI_COMMIT_REF_PROTECTED",
)


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Make git ignore the developer's config and never find a repository above tmp_path."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.invalid")


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return stdout; fail the test loudly if git fails."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {args}: {done.stderr}"
    return done.stdout


def make_repo(path: Path, steps: list[str]) -> Path:
    """Build a repo from steps: ``c`` commit, ``t:NAME`` tag, ``a:NAME`` annotated tag,
    ``b:NAME`` new branch (checked out), ``co:NAME`` checkout, ``m:NAME`` merge --no-ff."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for number, step in enumerate(steps):
        op, _, name = step.partition(":")
        if op == "c":
            git(path, "commit", "-q", "--allow-empty", "-m", f"commit {number}")
        elif op == "t":
            git(path, "tag", name)
        elif op == "a":
            git(path, "tag", "-a", "-m", f"tag {name}", name)
        elif op == "b":
            git(path, "checkout", "-q", "-b", name)
        elif op == "co":
            git(path, "checkout", "-q", name)
        elif op == "m":
            git(path, "merge", "-q", "--no-ff", "-m", f"merge {name}", name)
        else:  # pragma: no cover - a typo in a test table
            raise AssertionError(f"unknown step {step!r}")
    return path


def gitlab(**extra: str) -> dict[str, str]:
    """A GitLab branch-pipeline environment, overridable per case."""
    env = {
        "GITLAB_CI": "true",
        "CI_PIPELINE_ID": "4242",
        "CI_COMMIT_REF_NAME": "main",
        "CI_COMMIT_REF_PROTECTED": "true",
    }
    env.update(extra)
    return {key: value for key, value in env.items() if value != "<unset>"}


def tag_pipeline(tag: str, **extra: str) -> dict[str, str]:
    """A GitLab tag-pipeline environment for ``tag``."""
    return gitlab(CI_COMMIT_TAG=tag, CI_COMMIT_REF_NAME=tag, **extra)


@dataclass
class Case:  # pylint: disable=too-many-instance-attributes
    """One row of the version table."""

    steps: list[str]
    env: dict[str, str]
    version: str
    kind: ReleaseKind
    source: str
    tag: str | None = None
    protected: bool | None = None
    base: str = "0.1.0"
    pattern: str = DEFAULT_RELEASE_PATTERN
    extra: dict[str, str] = field(default_factory=dict)
    prefix: str = ""


TAGGED = ["c", "t:1.2.3"]
CASES = {
    # --- tag pipelines: the tag name decides -----------------------------------------------
    "ci-release-tag": Case(TAGGED, tag_pipeline("1.2.3"), "1.2.3", R, "tag 1.2.3", "1.2.3", True),
    "ci-leading-zeros-not-a-release": Case(
        ["c", "t:1.2.3", "c", "t:01.02.3"],
        tag_pipeline("01.02.3", CI_PIPELINE_ID="5"),
        "1.2.4.dev5",
        DEV,
        "tag 01.02.3 (pipeline 5)",
        None,
        True,
    ),
    "ci-prefix-v": Case(
        ["c", "t:v1.2.3"],
        tag_pipeline("v1.2.3"),
        "1.2.3",
        R,
        "tag v1.2.3",
        "v1.2.3",
        True,
        prefix="v",
    ),
    "ci-prefix-v-two-components": Case(
        ["c", "t:v0.16"],
        tag_pipeline("v0.16"),
        "0.16",
        R,
        "tag v0.16",
        "v0.16",
        True,
        pattern=r"^[0-9]+\.[0-9]+$",
        prefix="v",
    ),
    "ci-prefix-unprefixed-tag-is-dev": Case(
        ["c", "t:v1.0.0", "c", "t:1.2.3"],
        tag_pipeline("1.2.3", CI_PIPELINE_ID="4"),
        "1.0.1.dev4",
        DEV,
        "tag 1.2.3 (pipeline 4)",
        None,
        True,
        prefix="v",
    ),
    "ci-prefix-dryrun": Case(
        ["c", "t:v1.2.3-dryrun"],
        tag_pipeline("v1.2.3-dryrun"),
        "1.2.3",
        RH,
        "tag v1.2.3-dryrun",
        "v1.2.3-dryrun",
        True,
        prefix="v",
    ),
    "ci-release-tag-unprotected": Case(
        TAGGED,
        tag_pipeline("1.2.3", CI_COMMIT_REF_PROTECTED="false"),
        "1.2.3",
        R,
        "tag 1.2.3",
        "1.2.3",
        False,
    ),
    "ci-dryrun-tag": Case(
        ["c", "t:1.2.3-dryrun"],
        tag_pipeline("1.2.3-dryrun"),
        "1.2.3",
        RH,
        "tag 1.2.3-dryrun",
        "1.2.3-dryrun",
        True,
    ),
    "ci-rc-tag": Case(
        ["c", "t:1.2.3rc1"],
        tag_pipeline("1.2.3rc1"),
        "1.2.3rc1",
        PRE,
        "tag 1.2.3rc1",
        "1.2.3rc1",
        True,
    ),
    "ci-rc-dotted-normalised": Case(
        ["c", "t:1.2.3-rc.1"],
        tag_pipeline("1.2.3-rc.1"),
        "1.2.3rc1",
        PRE,
        "tag 1.2.3-rc.1",
        "1.2.3-rc.1",
        True,
    ),
    "ci-alpha-normalised": Case(
        ["c", "t:1.2.3-alpha.2"],
        tag_pipeline("1.2.3-alpha.2"),
        "1.2.3a2",
        PRE,
        "tag 1.2.3-alpha.2",
        "1.2.3-alpha.2",
        True,
    ),
    "ci-beta-normalised": Case(
        ["c", "t:1.2.3.beta3"],
        tag_pipeline("1.2.3.beta3"),
        "1.2.3b3",
        PRE,
        "tag 1.2.3.beta3",
        "1.2.3.beta3",
        True,
    ),
    "ci-custom-pattern-v-prefix": Case(
        ["c", "t:v1.2.3"],
        tag_pipeline("v1.2.3"),
        "1.2.3",
        R,
        "tag v1.2.3",
        "v1.2.3",
        True,
        pattern=r"^v[0-9]+\.[0-9]+\.[0-9]+$",
    ),
    "ci-custom-pattern-plain-tag-is-dev": Case(
        ["c", "t:v1.0.0", "c", "t:1.2.3"],
        tag_pipeline("1.2.3", CI_PIPELINE_ID="3"),
        "1.0.1.dev3",
        DEV,
        "tag 1.2.3 (pipeline 3)",
        None,
        True,
        pattern=r"^v[0-9]+\.[0-9]+\.[0-9]+$",
    ),
    "ci-other-tag-is-dev": Case(
        ["c", "t:1.2.3", "c", "t:v-foo"],
        tag_pipeline("v-foo", CI_PIPELINE_ID="11"),
        "1.2.4.dev11",
        DEV,
        "tag v-foo (pipeline 11)",
        None,
        True,
    ),
    "ci-dev-tag-is-dev": Case(
        ["c", "t:1.2.3", "c", "t:1.3.0.dev1"],
        tag_pipeline("1.3.0.dev1", CI_PIPELINE_ID="12"),
        "1.2.4.dev12",
        DEV,
        "tag 1.3.0.dev1 (pipeline 12)",
        None,
        True,
    ),
    # --- branch and MR pipelines: always dev ---------------------------------------------------
    "ci-branch-after-tag": Case(
        ["c", "t:1.2.3", "c"],
        gitlab(),
        "1.2.4.dev4242",
        DEV,
        "branch main (pipeline 4242)",
        None,
        True,
    ),
    "ci-pyproject-ahead-of-tag": Case(
        ["c", "t:1.2.3", "c"],
        gitlab(CI_PIPELINE_ID="9"),
        "3.0.0.dev9",
        DEV,
        "branch main (pipeline 9)",
        None,
        True,
        base="3.0.0",
    ),
    "ci-pyproject-equal-to-tag": Case(
        ["c", "t:1.2.3", "c"],
        gitlab(CI_PIPELINE_ID="9"),
        "1.2.4.dev9",
        DEV,
        "branch main (pipeline 9)",
        None,
        True,
        base="1.2.3",
    ),
    "ci-pyproject-prerelease-uses-release-part": Case(
        ["c"],
        gitlab(CI_PIPELINE_ID="9"),
        "2.0.0.dev9",
        DEV,
        "branch main (pipeline 9)",
        None,
        True,
        base="2.0.0rc1",
    ),
    "ci-no-tag": Case(
        ["c", "c"],
        gitlab(CI_PIPELINE_ID="5"),
        "0.1.0.dev5",
        DEV,
        "branch main (pipeline 5)",
        None,
        True,
    ),
    "ci-branch-named-like-version-is-not-release": Case(
        ["c", "t:1.2.3", "b:1.2.3"],
        gitlab(CI_COMMIT_REF_NAME="1.2.3", CI_PIPELINE_ID="7", CI_COMMIT_REF_PROTECTED="false"),
        "1.2.4.dev7",
        DEV,
        "branch 1.2.3 (pipeline 7)",
        None,
        False,
    ),
    "ci-branch-at-release-tag-is-dev": Case(
        TAGGED,
        gitlab(CI_PIPELINE_ID="8"),
        "1.2.4.dev8",
        DEV,
        "branch main (pipeline 8)",
        None,
        True,
    ),
    "ci-versions-compared-numerically": Case(
        ["c", "t:1.9.0", "c", "t:1.10.0", "c"],
        gitlab(CI_PIPELINE_ID="2"),
        "1.10.1.dev2",
        DEV,
        "branch main (pipeline 2)",
        None,
        True,
    ),
    "ci-prerelease-and-dryrun-tags-not-latest": Case(
        ["c", "t:1.2.3", "c", "t:1.3.0rc1", "c", "t:1.2.4-dryrun", "c"],
        gitlab(CI_PIPELINE_ID="8"),
        "1.2.4.dev8",
        DEV,
        "branch main (pipeline 8)",
        None,
        True,
    ),
    "ci-unreachable-tag-ignored": Case(
        ["c", "t:1.0.0", "b:other", "c", "t:2.0.0", "co:main", "c"],
        gitlab(CI_PIPELINE_ID="6"),
        "1.0.1.dev6",
        DEV,
        "branch main (pipeline 6)",
        None,
        True,
    ),
    "ci-merged-branch-tag-counts": Case(
        ["c", "t:1.0.0", "b:maint", "c", "t:1.5.0", "co:main", "c", "m:maint"],
        gitlab(CI_PIPELINE_ID="6"),
        "1.5.1.dev6",
        DEV,
        "branch main (pipeline 6)",
        None,
        True,
    ),
    "ci-merge-request": Case(
        ["c", "t:1.2.3", "c"],
        gitlab(CI_MERGE_REQUEST_IID="12", CI_PIPELINE_ID="3", CI_COMMIT_REF_PROTECTED="false"),
        "1.2.4.dev3",
        DEV,
        "merge request !12 (pipeline 3)",
        None,
        False,
    ),
    "gitlab-ci-local-at-tag-is-dev": Case(
        TAGGED,
        gitlab(GITLAB_CI="false", CI_PIPELINE_ID="77", CI_COMMIT_REF_PROTECTED="<unset>"),
        "1.2.4.dev77",
        DEV,
        "branch main (pipeline 77)",
        None,
        None,
    ),
    "ci-without-pipeline-id-counts-commits": Case(
        ["c", "t:1.2.3", "c", "c"],
        {"CI_COMMIT_REF_NAME": "main"},
        "1.2.4.dev2",
        DEV,
        "branch main (git: 2 commits since 1.2.3)",
    ),
    # --- outside CI: git decides ----------------------------------------------------------------
    "local-at-release-tag": Case(TAGGED, {}, "1.2.3", R, "tag 1.2.3", "1.2.3"),
    "local-at-annotated-tag": Case(["c", "a:1.2.3"], {}, "1.2.3", R, "tag 1.2.3", "1.2.3"),
    "local-after-tag": Case(
        ["c", "t:1.2.3", "c", "c", "c"], {}, "1.2.4.dev3", DEV, "git: 3 commits since 1.2.3"
    ),
    "local-one-commit-after-annotated-tag": Case(
        ["c", "a:1.2.3", "c"], {}, "1.2.4.dev1", DEV, "git: 1 commit since 1.2.3"
    ),
    "local-no-tag": Case(["c", "c"], {}, "0.1.0.dev2", DEV, "git: 2 commits, no release tag yet"),
    "local-at-dryrun-tag": Case(
        ["c", "t:1.2.3-dryrun"], {}, "1.2.3", RH, "tag 1.2.3-dryrun", "1.2.3-dryrun"
    ),
    "local-at-rc-tag": Case(
        ["c", "t:1.2.3-rc.2"], {}, "1.2.3rc2", PRE, "tag 1.2.3-rc.2", "1.2.3-rc.2"
    ),
    "local-release-beats-dryrun-at-head": Case(
        ["c", "t:1.2.3-dryrun", "t:1.2.3"], {}, "1.2.3", R, "tag 1.2.3", "1.2.3"
    ),
    "local-after-prerelease-tag": Case(
        ["c", "t:1.2.3", "c", "t:1.3.0rc1", "c"],
        {},
        "1.2.4.dev2",
        DEV,
        "git: 2 commits since 1.2.3",
    ),
    "local-tag-and-branch-same-name": Case(
        ["c", "t:1.2.3", "b:1.2.3", "c"], {}, "1.2.4.dev1", DEV, "git: 1 commit since 1.2.3"
    ),
    "local-ignores-other-tag-at-head": Case(
        ["c", "t:1.2.3", "c", "t:v-foo"], {}, "1.2.4.dev1", DEV, "git: 1 commit since 1.2.3"
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_version_table(tmp_path: Path, case: Case) -> None:
    """Each row: a real repo plus a CI environment gives exactly this decision."""
    repo = make_repo(tmp_path / "repo", case.steps)
    decision = decide_version(
        repo,
        base_version=case.base,
        release_pattern=case.pattern,
        env=case.env,
        tag_prefix=case.prefix,
    )
    assert decision == VersionDecision(
        version=case.version,
        kind=case.kind,
        source=case.source,
        tag=case.tag,
        protected=case.protected,
    )


def test_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``env`` the process environment is read."""
    repo = make_repo(tmp_path / "repo", ["c", "t:1.2.3", "c"])
    for name in _CI_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI_PIPELINE_ID", "31")
    monkeypatch.setenv("CI_COMMIT_REF_NAME", "main")
    decision = decide_version(repo, base_version="0.1.0")
    assert (decision.version, decision.kind) == ("1.2.4.dev31", DEV)


def test_tag_pipeline_does_not_need_git(tmp_path: Path) -> None:
    """With GIT_STRATEGY: none there is no checkout, but the tag name is enough."""
    decision = decide_version(tmp_path, base_version="0.1.0", env=tag_pipeline("2.0.0"))
    assert (decision.version, decision.kind, decision.tag) == ("2.0.0", R, "2.0.0")


# --- shallow clones -------------------------------------------------------------------------


def shallow_clone(tmp_path: Path, steps: list[str], depth: int) -> Path:
    """Clone a repo built from ``steps`` with ``--depth``, as GitLab's GIT_DEPTH does."""
    origin = make_repo(tmp_path / "origin", steps)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", str(depth), origin.as_uri(), str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    return clone


@pytest.mark.parametrize("env", [gitlab(), {}], ids=["ci", "local"])
def test_shallow_clone_without_reachable_tag_is_refused(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """No reachable tag in a shallow clone: "no release yet" and "not fetched" look alike."""
    clone = shallow_clone(tmp_path, ["c", "t:1.2.3", "c", "c"], depth=1)
    with pytest.raises(VersionError, match="shallow") as caught:
        decide_version(clone, base_version="0.1.0", env=env)
    assert "GIT_DEPTH: 0" in str(caught.value)
    assert "git fetch --unshallow --tags" in str(caught.value)


def test_shallow_clone_with_tag_and_complete_range_is_trusted(tmp_path: Path) -> None:
    """Shallow, but every commit since the tag is present: the count is exact."""
    clone = shallow_clone(tmp_path, ["c", "c", "t:1.2.3", "c"], depth=2)
    decision = decide_version(clone, base_version="0.1.0", env={})
    assert (decision.version, decision.source) == ("1.2.4.dev1", "git: 1 commit since 1.2.3")


# main: c0 -> c1 (tag 1.2.3) -> merge of feat (c0 -> f1 -> f2 -> f3); depth 2 cuts feat's history.
MERGED_FEATURE = ["c", "b:feat", "c", "c", "c", "co:main", "c", "t:1.2.3", "m:feat"]


def test_shallow_clone_with_cut_range_refuses_commit_count(tmp_path: Path) -> None:
    """A merged branch cut off by the depth would make the commit count short."""
    clone = shallow_clone(tmp_path, MERGED_FEATURE, depth=2)
    with pytest.raises(VersionError, match="shallow clone missing part of the history"):
        decide_version(clone, base_version="0.1.0", env={})


def test_shallow_clone_in_ci_only_needs_the_tag(tmp_path: Path) -> None:
    """In CI the pipeline id is the dev number, so a cut range does not matter."""
    clone = shallow_clone(tmp_path, MERGED_FEATURE, depth=2)
    decision = decide_version(clone, base_version="0.1.0", env=gitlab(CI_PIPELINE_ID="50"))
    assert decision.version == "1.2.4.dev50"


# --- refused inputs and environments ----------------------------------------------------------


def test_not_a_git_repository(tmp_path: Path) -> None:
    """Outside a repository the error names the directory and the CI fix."""
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(VersionError, match="not inside a git work tree") as caught:
        decide_version(plain, base_version="0.1.0", env=gitlab())
    assert str(plain) in str(caught.value)
    assert "GIT_STRATEGY: none" in str(caught.value)


def test_repository_without_commits(tmp_path: Path) -> None:
    """An unborn HEAD has no version to derive."""
    repo = make_repo(tmp_path / "repo", [])
    with pytest.raises(VersionError, match="no commits yet"):
        decide_version(repo, base_version="0.1.0", env={})


def test_git_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No git executable is reported as such, not as a traceback."""
    repo = make_repo(tmp_path / "repo", ["c"])
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(VersionError, match="git was not found on PATH"):
        decide_version(repo, base_version="0.1.0", env={})


@pytest.mark.parametrize("pipeline_id", ["abc", "4_2", "-1", " 42", "1.5"])
def test_bad_pipeline_id(tmp_path: Path, pipeline_id: str) -> None:
    """Only plain digits are accepted; the error names the variable and value."""
    repo = make_repo(tmp_path / "repo", ["c"])
    with pytest.raises(VersionError, match="CI_PIPELINE_ID") as caught:
        decide_version(repo, base_version="0.1.0", env=gitlab(CI_PIPELINE_ID=pipeline_id))
    assert repr(pipeline_id) in str(caught.value)


def test_bad_base_version(tmp_path: Path) -> None:
    """A non-PEP 440 pyproject version is refused and quoted."""
    with pytest.raises(VersionError, match="'one.two' in pyproject.toml is not a valid PEP 440"):
        decide_version(tmp_path, base_version="one.two", env=tag_pipeline("1.2.3"))


def test_bad_release_pattern(tmp_path: Path) -> None:
    """An invalid regular expression is refused and quoted."""
    with pytest.raises(VersionError, match=r"release pattern '\[0-9' is not a valid regular"):
        decide_version(
            tmp_path, base_version="0.1.0", release_pattern="[0-9", env=tag_pipeline("1.2.3")
        )


@pytest.mark.parametrize("tag", ["release-x", "1.2.3.dev4", "1.2.3+local"])
def test_pattern_matching_unpublishable_tag_is_refused(tmp_path: Path, tag: str) -> None:
    """A permissive pattern must not turn a non-publishable tag into a release."""
    with pytest.raises(VersionError, match=re.escape(f"tag '{tag}' matches")) as caught:
        decide_version(
            tmp_path, base_version="0.1.0", release_pattern=r"^\S+$", env=tag_pipeline(tag)
        )
    assert "[tool.noxline]" in str(caught.value)


# --- uploads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "publish_prereleases", "expected"),
    [
        (R, False, True),
        (R, True, True),
        (PRE, False, False),
        (PRE, True, True),
        (RH, True, False),
        (DEV, True, False),
    ],
)
def test_uploads(kind: ReleaseKind, publish_prereleases: bool, expected: bool) -> None:
    """Releases upload; pre-releases only when allowed; rehearsals and dev builds never."""
    decision = VersionDecision("1.2.3", kind, "tag 1.2.3", "1.2.3", True)
    assert decision.uploads(publish_prereleases=publish_prereleases) is expected


def test_uploads_defaults_to_no_prereleases() -> None:
    """Pre-releases are not uploaded unless asked for."""
    decision = VersionDecision("1.2.3rc1", PRE, "tag 1.2.3rc1", "1.2.3rc1", True)
    assert decision.uploads() is False


# --- hostile and broken tags --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "match"),
    [
        ("1.2.3\n", "whitespace"),
        ("1.2.3 ", "whitespace"),
        (" 1.2.3", "whitespace"),
        ("1.2.3\t", "whitespace"),
        ("1.2.3\x00", "whitespace"),
        ("1.2.3~1", "whitespace"),
        ("1.2." + "9" * 19, "more than 18 digits"),
        ("9" * 5000 + ".0.0", "more than 18 digits"),
    ],
    ids=["newline", "trailing-space", "leading-space", "tab", "nul", "tilde", "20-digits", "huge"],
)
def test_hostile_ci_tag_is_a_clear_error(tmp_path: Path, tag: str, match: str) -> None:
    """A tag variable no git tag can equal, or with absurd numbers, is refused in one line."""
    with pytest.raises(VersionError, match=match) as caught:
        decide_version(tmp_path, base_version="0.1.0", env=tag_pipeline(tag))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "tag", ["01.2.3", "1.02.3", "1.2.03", "1.2.3rc01", "1.2.3-rc.01", "00.1.0"]
)
def test_leading_zeros_are_not_releases(tmp_path: Path, tag: str) -> None:
    """Leading zeros are another spelling, not the release: a dev build that never uploads."""
    repo = make_repo(tmp_path / "repo", ["c"])
    decision = decide_version(repo, base_version="0.1.0", env=tag_pipeline(tag, CI_PIPELINE_ID="7"))
    assert decision.kind is DEV and not decision.uploads(publish_prereleases=True)


@pytest.mark.parametrize(
    ("pattern", "tag"),
    [(r"^(a|aa)+$", "a" * 80 + "!"), (r"^([a-z]|[a-z]{2})+$", "b" * 80 + "1")],
)
def test_catastrophic_release_pattern_cannot_hang(tmp_path: Path, pattern: str, tag: str) -> None:
    """A backtracking pattern on a crafted tag ends within the time limit with a clear error."""
    started = time.monotonic()
    with pytest.raises(VersionError, match="took more than"):
        decide_version(
            tmp_path, base_version="0.1.0", release_pattern=pattern, env=tag_pipeline(tag)
        )
    assert time.monotonic() - started < PATTERN_TIMEOUT + 5  # generous: 2 shared cores


@pytest.mark.parametrize("base", ["1" * 5000, "1.0." + "9" * 4400])
def test_huge_base_version_is_a_clear_error(tmp_path: Path, base: str) -> None:
    """A pyproject version too large for int() is a VersionError, not a ValueError traceback."""
    with pytest.raises(VersionError, match="not a valid PEP 440"):
        decide_version(tmp_path, base_version=base, env=tag_pipeline("1.2.3"))


def test_huge_pipeline_id_is_a_clear_error(tmp_path: Path) -> None:
    """A pipeline id beyond any real one is refused, quoted briefly."""
    repo = make_repo(tmp_path / "repo", ["c"])
    with pytest.raises(VersionError, match="at most 18") as caught:
        decide_version(repo, base_version="0.1.0", env=gitlab(CI_PIPELINE_ID="9" * 5000))
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({}, []),
        ({"untracked.txt": "new"}, []),
        ({"f": "changed"}, ["f"]),
    ],
    ids=["clean", "untracked-only", "tracked-changed"],
)
def test_tracked_changes(tmp_path: Path, edits: dict[str, str], expected: list[str]) -> None:
    """Only tracked files that differ from HEAD count as changes."""
    repo = make_repo(tmp_path / "repo", ["c"])
    (repo / "f").write_text("original\n", encoding="utf-8")
    git(repo, "add", "f")
    git(repo, "commit", "-q", "-m", "f")
    for name, text in edits.items():
        (repo / name).write_text(text, encoding="utf-8")
    assert tracked_changes(repo) == expected


@pytest.mark.parametrize(
    "pattern",
    ["a{1000000000}", "((a{255}){255}){255}", "a{" + "9" * 5000 + "}", "x" * 501],
    ids=["huge-count", "nested-counts", "count-too-long-for-int", "too-long"],
)
def test_release_pattern_that_would_compile_for_minutes_is_refused(
    tmp_path: Path, pattern: str
) -> None:
    """regex unrolls counted repeats at compile time: absurd counts are refused at once."""
    started = time.monotonic()
    with pytest.raises(VersionError, match="simplify release-pattern"):
        decide_version(
            tmp_path, base_version="0.1.0", release_pattern=pattern, env=tag_pipeline("1.2.3")
        )
    assert time.monotonic() - started < 5


# --- attacks that once got through (found by trying other inputs of the same classes) -----------


@pytest.mark.parametrize("pattern", ["", ".*", "^$", "(v)?", r"\d*", "x|", "^[0-9]*(\\.[0-9]+)*$"])
def test_a_release_pattern_matching_the_empty_string_is_refused(pattern: str) -> None:
    """Such a pattern matches inside every tag ("release", "deploy"): refused, one line."""
    with pytest.raises(VersionError, match="matches the empty string") as caught:
        compile_release_pattern(pattern)
    assert "\n" not in str(caught.value)


def test_a_hung_git_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git that never answers (a hung network file system) ends in a clear error, in time."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_git = fake_bin / "git"
    fake_git.write_text("#!/bin/sh\nexec sleep 30\n", encoding="utf-8")
    fake_git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(noxline.git, "GIT_TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(VersionError, match="did not finish within 0.5 s"):
        decide_version(tmp_path, base_version="0.1.0", env={})
    assert time.monotonic() - started < 5


def test_an_odd_tag_in_the_history_does_not_break_development_builds(tmp_path: Path) -> None:
    """A tag the release pattern takes but no release can be (here ``1.2.4-hotfix`` under a
    pattern without ``$``) is skipped when scanning history; its own tag pipeline is refused."""
    repo = make_repo(tmp_path / "repo", ["c", "t:1.2.3", "c", "t:1.2.4-hotfix", "c"])
    loose = r"^[0-9]+\.[0-9]+\.[0-9]+"
    decision = decide_version(repo, base_version="0.1.0", release_pattern=loose, env=gitlab())
    assert (decision.version, decision.kind) == ("1.2.4.dev4242", ReleaseKind.DEV)
    with pytest.raises(VersionError, match="1.2.4-hotfix.* not a PEP 440 version"):
        decide_version(
            repo,
            base_version="0.1.0",
            release_pattern=loose,
            env=gitlab(CI_COMMIT_TAG="1.2.4-hotfix"),
        )
