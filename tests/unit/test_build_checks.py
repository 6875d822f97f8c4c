"""The build job's judgements: the built version read back from the wheel, twine's findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

import pytest
from nox.command import CommandFailed

from noxline.config import replace
from noxline.errors import NoxlineError
from noxline.jobs import build as build_job
from noxline.jobs.build import (
    check_built_version,
    development_build,
    twine_check_command,
    twine_failure,
    twine_warnings,
    wheel_findings,
)
from noxline.pipeline import define
from noxline.project import VersionSource
from tests.helpers import git
from tests.unit._dists import tiny_dist, tiny_settings

_BUILT = VersionSource("built", "setuptools-git-versioning")


@pytest.mark.parametrize(
    ("source", "decided", "head_tag", "expected"),
    [
        # The wheel (1.2.3) carries the decided version: whatever the source, it is the version.
        (VersionSource(), "1.2.3", None, "1.2.3"),
        (_BUILT, "1.2.3", "1.2.3", "1.2.3"),
        # noxline stamped it and the backend built another: always red.
        (VersionSource(), "1.2.4.dev5", None, "could not hand the version"),
        (VersionSource("vcs", "hatch-vcs"), "1.2.4", "1.2.4", "could not hand the version"),
        # An unknown plugin on a development build: its own version stands.
        (_BUILT, "1.2.4.dev5", None, "1.2.3"),
        # ... but a release tag must get exactly its version.
        (_BUILT, "1.2.4", "1.2.4", "but 1.2.4 is a tag's version"),
        (_BUILT, "1.2.4rc1", "1.2.4rc1", "but 1.2.4rc1 is a tag's version"),
    ],
    ids=["static", "built-equal", "static-other", "vcs-other", "built-dev", "built-tag", "pre"],
)
def test_the_built_version_is_checked_against_the_decided_one(
    tmp_path: Path, source: VersionSource, decided: str, head_tag: str | None, expected: str
) -> None:
    """Read back from the wheel's METADATA: equal passes; else only an unknown source on a
    development build passes, with the built version."""
    settings = replace(tiny_settings(tmp_path), version_source=source)
    if head_tag:
        git(settings.project_dir, "tag", head_tag)
    dist = tiny_dist(settings)
    if expected[0].isdigit():
        assert check_built_version(settings, dist, decided) == expected
        return
    with pytest.raises(NoxlineError) as caught:
        check_built_version(settings, dist, decided)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_a_wheel_of_another_project_is_refused(tmp_path: Path) -> None:
    """The METADATA name must be the project's: a misread setup.cfg cannot ship unnoticed."""
    settings = tiny_settings(tmp_path)
    dist = tiny_dist(settings)
    with pytest.raises(NoxlineError, match="METADATA names tiny-lib, not other-lib"):
        check_built_version(replace(settings, name="other-lib"), dist, "1.2.3")


_WARNED = (
    "Checking dist/x.whl: \x1b[33mPASSED with warnings\x1b[0m\n"
    "\x1b[33mWARNING \x1b[0m `long_description_content_type` missing. defaulting to "
    "`text/x-rst`.   \n"
    "\x1b[33mWARNING \x1b[0m `long_description` missing.   \n"
    "Checking dist/x.tar.gz: PASSED with warnings\n"
    "WARNING  `long_description` missing.\n"
)


@pytest.mark.parametrize(
    ("output", "warnings"),
    [
        ("Checking dist/x.whl: PASSED\n", []),
        (
            _WARNED,
            [
                "`long_description_content_type` missing. defaulting to `text/x-rst`.",
                "`long_description` missing.",
            ],
        ),
    ],
)
def test_twine_warnings_are_read_once_each(output: str, warnings: list[str]) -> None:
    """Colours removed, each warning once however many files carry it."""
    assert twine_warnings(output) == warnings


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            _WARNED.replace("PASSED with warnings", "FAILED due to warnings"),
            "twine check --strict failed (strict-metadata = true): `long_description_content_type`",
        ),
        (
            "Checking dist/x.whl: FAILED\nERROR `long_description` has syntax errors in markup",
            "twine check failed: the long description does not render as PyPI renders it",
        ),
        (
            "Checking dist/x.whl: FAILED\nERROR `long_description` has syntax errors in markup\n"
            "WARNING  `long_description_content_type` missing. defaulting to `text/x-rst`.\n",
            "twine check failed: the long description does not render as reStructuredText",
        ),
    ],
)
def test_a_twine_failure_is_one_line_with_its_fix(output: str, expected: str) -> None:
    """Strict warnings name the readme and the key; a rendering error names the markup."""
    message = twine_failure(output, "twine-check.txt")
    assert message.startswith(expected) and "\n" not in message


def test_twine_is_strict_only_when_the_project_asks(tmp_path: Path) -> None:
    """strict-metadata = true adds --strict; by default warnings do not fail."""
    settings = tiny_settings(tmp_path)
    assert twine_check_command(settings) == ("twine", "check")
    strict = replace(settings, strict_metadata=True)
    assert twine_check_command(strict) == ("twine", "check", "--strict")


@pytest.mark.parametrize(
    ("output", "findings"),
    [
        ("dist/x.whl: OK\n", {}),
        (
            "dist/x.whl: W009: Wheel contains multiple toplevel library entries:\n"
            "  tlz/\n  toolz/\n"
            "dist/x.whl: W002: Wheel contains duplicate files:\n  a/LICENSE\n  b/LICENSE\n",
            {
                "W002": "Wheel contains duplicate files",
                "W009": "Wheel contains multiple toplevel library entries",
            },
        ),
        (
            "\x1b[1mdist/x.whl\x1b[0m: W005: Wheel contains common toplevel names in library:\n",
            {"W005": "Wheel contains common toplevel names in library"},
        ),
    ],
)
def test_wheel_findings_are_read_by_code(output: str, findings: dict[str, str]) -> None:
    """Each finding once, by code, colours removed."""
    assert wheel_findings(output) == findings


class _FailingCheck:
    """Stands in for the nox session: the check prints ``output`` and exits 1."""

    def __init__(self, output: str) -> None:
        """The output the check prints; the warnings the job gives."""
        self.output = output
        self.warnings: list[str] = []

    def run(self, *_args: str, stdout: TextIO, **_options: Any) -> None:
        """Print the output into the report, then fail as nox does."""
        stdout.write(self.output)
        raise CommandFailed("exit 1")

    def warn(self, text: str) -> None:
        """Keep a warning."""
        self.warnings.append(text)


_W009 = "dist/x.whl: W009: Wheel contains multiple toplevel library entries:\n  a/\n  b/\n"
_W005 = "dist/x.whl: W005: Wheel contains common toplevel names in library:\n  tests/\n"


@pytest.mark.parametrize(
    ("output", "configured", "expected"),
    [
        (_W009, "", "W009 Wheel contains multiple toplevel library entries"),
        (_W009 + _W005, "", "check-wheel-contents found W005, W009 in the wheel"),
        (_W009, "[tool.check-wheel-contents]\nselect = ['W009']\n", "found W009 in the wheel"),
        ("Traceback: it broke\n", "", "found an error in the wheel"),
    ],
    ids=["tolerated-warns", "a-defect-fails", "project-config-decides", "crash-fails"],
)
def test_only_wheel_findings_that_are_no_defect_warn(
    tmp_path: Path, output: str, configured: str, expected: str
) -> None:
    """Several top-level packages warn; a real defect, a crash, or any finding in a project
    that configures check-wheel-contents itself fails in one line."""
    settings = tiny_settings(tmp_path)
    if configured:
        pyproject = settings.project_dir / "pyproject.toml"
        pyproject.write_text(pyproject.read_text("utf-8") + configured, encoding="utf-8")
    job = define(settings).job("build")
    session = _FailingCheck(output)
    check = getattr(build_job, "_check_wheel_contents")
    if "found" not in expected:
        assert check(session, settings, job, ["dist/x.whl"]) == [expected]
        assert len(session.warnings) == 1 and expected in session.warnings[0]
        return
    with pytest.raises(NoxlineError) as caught:
        check(session, settings, job, ["dist/x.whl"])
    message = str(caught.value)
    assert message.startswith("check-wheel-contents found") and expected in message
    assert "\n" not in message and not session.warnings


@pytest.mark.parametrize(
    ("decided", "env", "development"),
    [
        ("1.2.4.dev5", {}, True),
        ("1.2.4.dev5", {"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main"}, True),
        ("1.2.4", {}, False),
        ("1.3.0rc1", {}, False),
        # A tag naming the version: exactly it, whatever it looks like.
        ("1.2.4.dev5", {"GITLAB_CI": "true", "CI_COMMIT_TAG": "v1.2.4.dev5"}, False),
        # A tag naming no version (or another one) builds a development version.
        ("1.2.4.dev42", {"GITLAB_CI": "true", "CI_COMMIT_TAG": "deploy-x"}, True),
        ("1.2.4.dev42", {"GITLAB_CI": "true", "CI_COMMIT_TAG": "v1.2.3-dryrun"}, True),
    ],
)
def test_a_development_build_is_told_without_git(
    decided: str, env: dict[str, str], development: bool
) -> None:
    """From the version and the CI variables only: the build job has no history to ask."""
    assert development_build(decided, env, "v") is development
