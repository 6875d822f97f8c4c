"""The one git runner: output, or one clear error naming git's words and the caller's fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from noxline.git import GitError, git_output


def test_git_output_names_what_git_said_and_the_fix(tmp_path: Path) -> None:
    """Outside a repository, the error carries the command, git's last line and the fix."""
    with pytest.raises(GitError, match=r"`git log -1` failed in .*git said: .*: do this"):
        git_output(tmp_path, "log", "-1", fix="do this")


def test_git_output_returns_stdout(tmp_path: Path) -> None:
    """A successful command answers its standard output."""
    assert git_output(tmp_path, "--version", fix="unused").startswith("git version")
