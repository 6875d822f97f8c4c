"""Tests for noxline.ci: one reading of the CI variables."""

from __future__ import annotations

import pytest

from noxline.ci import CIContext


@pytest.mark.parametrize(
    ("env", "in_ci", "real_gitlab", "protected", "allow", "words"),
    [
        ({}, False, False, None, False, "GitLab CI"),
        (
            {"GITLAB_CI": "true", "CI_COMMIT_TAG": "1.2.3", "CI_COMMIT_REF_PROTECTED": "true"},
            True,
            True,
            True,
            False,
            "tag 1.2.3",
        ),
        (
            {"GITLAB_CI": "false", "CI_PIPELINE_ID": "3", "CI_COMMIT_REF_NAME": "main"},
            True,
            False,
            None,
            False,
            "branch main",
        ),
        (
            {"CI_PIPELINE_ID": "3", "CI_MERGE_REQUEST_IID": "9", "CI_COMMIT_REF_PROTECTED": "no"},
            True,
            False,
            False,
            False,
            "merge request !9",
        ),
        # Outside a pipeline the protected flag means nothing.
        ({"CI_COMMIT_REF_PROTECTED": "true"}, False, False, None, False, "GitLab CI"),
        ({"NOXLINE_ALLOW_UNPROTECTED_TAGS": "TRUE"}, False, False, None, True, "GitLab CI"),
        ({"NOXLINE_ALLOW_UNPROTECTED_TAGS": "maybe"}, False, False, None, False, "GitLab CI"),
    ],
    ids=["local", "gitlab-tag", "gitlab-ci-local", "mr", "stray-protected", "allow", "allow-junk"],
)
def test_from_env(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    env: dict[str, str],
    in_ci: bool,
    real_gitlab: bool,
    protected: bool | None,
    allow: bool,
    words: str,
) -> None:
    """Each environment reads as exactly this context."""
    context = CIContext.from_env(env)
    assert (context.in_ci, context.real_gitlab, context.protected) == (
        in_ci,
        real_gitlab,
        protected,
    )
    assert context.allow_unprotected_tags is allow
    assert context.ref_words() == words


@pytest.mark.parametrize(
    ("env", "is_log"),
    [({}, False), ({"CI": "1"}, True), ({"GITLAB_CI": "true"}, True), ({"CI": ""}, False)],
)
def test_is_log(env: dict[str, str], is_log: bool) -> None:
    """Any CI (GitLab or a generic CI variable) writes a log, not a live terminal."""
    assert CIContext.from_env(env).is_log is is_log


def test_job_token_presence_only() -> None:
    """The context knows whether a job token exists, never its value."""
    context = CIContext.from_env({"CI_JOB_TOKEN": "secret-token", "GITLAB_CI": "true"})
    assert context.has_job_token and "secret-token" not in repr(context)
