"""The CI context: what the environment says about where and for which ref noxline runs.

Read once with :meth:`CIContext.from_env`; versioning, publish and the runner's display take the
answer from here instead of each reading variables their own way. Credentials are not part of it
(only whether a job token is present): they are read by the one module that sends them.

Three situations are told apart:

* real GitLab CI: ``GITLAB_CI=true`` (protected refs, the job token and the API are real);
* gitlab-ci-local: it sets ``GITLAB_CI=false`` but does set ``CI_PIPELINE_ID`` and the ref
  variables, so *presence* of the markers means "a pipeline", and ``GITLAB_CI`` tells which;
* a local run: none of the markers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: The CI/CD variable that lets a release come from an unprotected tag. It is read from the job's
#: environment only, never from the tree being released: whoever pushes the tag controls the tree,
#: but only a Maintainer can set a CI/CD variable.
ALLOW_UNPROTECTED_VARIABLE = "NOXLINE_ALLOW_UNPROTECTED_TAGS"
# Any of these set (non-empty) means "running in a GitLab pipeline".
_CI_MARKERS = ("CI_PIPELINE_ID", "CI_COMMIT_REF_NAME", "GITLAB_CI", "CI_COMMIT_TAG")
_TRUE = ("true", "1", "yes")


@dataclass(frozen=True)
class CIContext:  # pylint: disable=too-many-instance-attributes
    """Where noxline runs and on which ref, as the CI variables say (raw values, unvalidated)."""

    #: In a GitLab pipeline (real or gitlab-ci-local).
    in_ci: bool = False
    #: Real GitLab (``GITLAB_CI=true``): protected refs and the job token mean something.
    real_gitlab: bool = False
    #: ``CI_COMMIT_TAG`` exactly as given (validated by versioning), empty for branches.
    tag: str = ""
    ref_name: str = ""
    #: ``CI_PIPELINE_ID`` as given (versioning checks it is digits).
    pipeline_id: str = ""
    merge_request_iid: str = ""
    #: ``CI_COMMIT_REF_PROTECTED``; None when the variable is absent.
    protected: bool | None = None
    api_url: str = ""
    project_id: str = ""
    server_url: str = ""
    has_job_token: bool = False
    #: ``NOXLINE_ALLOW_UNPROTECTED_TAGS`` set to true by a CI/CD variable.
    allow_unprotected_tags: bool = False
    #: A generic ``CI`` variable (any CI system): output is a log, not a terminal.
    generic_ci: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CIContext:
        """Read the context from an environment mapping (``os.environ`` in production)."""
        in_ci = any(env.get(name) for name in _CI_MARKERS)
        protected_raw = env.get("CI_COMMIT_REF_PROTECTED") if in_ci else None
        return cls(
            in_ci=in_ci,
            real_gitlab=env.get("GITLAB_CI") == "true",
            tag=env.get("CI_COMMIT_TAG", ""),
            ref_name=env.get("CI_COMMIT_REF_NAME", ""),
            pipeline_id=env.get("CI_PIPELINE_ID", ""),
            merge_request_iid=env.get("CI_MERGE_REQUEST_IID", ""),
            protected=None if protected_raw is None else protected_raw.strip().lower() == "true",
            api_url=env.get("CI_API_V4_URL", ""),
            project_id=env.get("CI_PROJECT_ID", ""),
            server_url=env.get("CI_SERVER_URL", ""),
            has_job_token=bool(env.get("CI_JOB_TOKEN")),
            allow_unprotected_tags=env.get(ALLOW_UNPROTECTED_VARIABLE, "").strip().lower() in _TRUE,
            generic_ci=bool(env.get("CI")),
        )

    @property
    def is_log(self) -> bool:
        """True when output goes to a job log (no live redraws, no prompts)."""
        return self.in_ci or self.generic_ci

    def ref_words(self) -> str:
        """Human words for the ref: merge request, tag or branch."""
        if self.merge_request_iid:
            return f"merge request !{self.merge_request_iid}"
        if self.tag:
            return f"tag {self.tag}"
        if self.ref_name:
            return f"branch {self.ref_name}"
        return "GitLab CI"


__all__ = ["ALLOW_UNPROTECTED_VARIABLE", "CIContext"]
