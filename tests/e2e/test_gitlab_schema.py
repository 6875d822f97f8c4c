"""Every shape of the generated .gitlab-ci.yml validates against GitLab's CI schema.

The schema is check-jsonschema's built-in copy of GitLab's. All files are validated by one
check-jsonschema run (its start-up, loading the schema, is most of the cost), and its JSON output
is read per file: each test asserts on its own file, and a control file that breaks the schema
shows that a pass means something.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from noxline import gitlab
from noxline.config import Settings, load_settings, replace
from noxline.pipeline import CHECKS
from tests.helpers import FIXTURES, REPO_ROOT

#: One worker validates every file once (the module fixture).
pytestmark = pytest.mark.xdist_group("gitlab-schema")

VARIANTS = (
    "default",
    "blocking",
    "lock-file",
    "own-image",
    "shards",
    "matrix-shards",
    "ruff-latest-pypi",
    "docs-default-branch",
)

#: Each validated file's schema errors, by name (a variant, "repository" or "broken").
Errors = dict[str, list[str]]


def minilib_variants(root: Path) -> dict[str, Settings]:
    """minilib's settings as rendered by default and with every option that changes the YAML."""
    project = root / "minilib"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (project / name).write_bytes((FIXTURES / "minilib" / name).read_bytes())
    (project / "src" / "minilib").mkdir(parents=True)
    (project / "src" / "minilib" / "__init__.py").write_text('"""minilib."""\n', encoding="utf-8")
    base = load_settings(project)
    (project / "poetry.lock").write_text("# lock\n", encoding="utf-8")
    return {
        "default": base,
        "blocking": replace(base, blocking=CHECKS),
        "lock-file": load_settings(project),
        "own-image": replace(
            base, gitlab_image="registry.example.com/ci/noxline:3.11", noxline_requirement="."
        ),
        "shards": replace(base, test_shards=3),
        "matrix-shards": replace(base, python=("3.11", "3.12"), test_shards=2),
        # ruff's jobs, tests-latest, trusted publishing to PyPI with an environment.
        "ruff-latest-pypi": replace(
            base,
            checks=("ruff", "mypy"),
            blocking=("ruff",),
            tests_latest=True,
            oidc_audience="pypi",
            publish_environment="pypi",
        ),
        # The docs job and Pages from the default branch (the default variant has them from
        # release tags: minilib has docstrings).
        "docs-default-branch": replace(base, pages_from="default-branch"),
    }


def broken_pipeline(settings: Settings) -> str:
    """The default rendering with one job property of the wrong type."""
    data: dict[str, Any] = gitlab.document(settings)
    data["publish"]["interruptible"] = "no"
    return yaml.safe_dump(data, sort_keys=False)


def broken_changes(settings: Settings) -> str:
    """The default rendering with a merge-request rule whose compare_to is not a string."""
    data: dict[str, Any] = gitlab.document(settings)
    data["wheel-install"]["rules"][0]["changes"]["compare_to"] = ["main"]
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture(name="schema_errors", scope="module")
def schema_errors_fixture(tmp_path_factory: pytest.TempPathFactory) -> Errors:
    """Validate every file in one check-jsonschema run; each file's errors as ``path: message``."""
    root = tmp_path_factory.mktemp("gitlab-schema")
    variants = minilib_variants(root)
    files = {name: root / f"{name}.gitlab-ci.yml" for name in VARIANTS}
    for name, path in files.items():
        path.write_text(gitlab.render(variants[name]), encoding="utf-8")
    files["broken"] = root / "broken.gitlab-ci.yml"
    files["broken"].write_text(broken_pipeline(variants["default"]), encoding="utf-8")
    files["broken-changes"] = root / "broken-changes.gitlab-ci.yml"
    files["broken-changes"].write_text(broken_changes(variants["default"]), encoding="utf-8")
    files["repository"] = REPO_ROOT / ".gitlab-ci.yml"
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci"]
        + ["--output-format", "json", *map(str, files.values())],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    report = json.loads(result.stdout)
    assert not report["parse_errors"], report
    by_file = {str(path): name for name, path in files.items()}
    errors: Errors = {name: [] for name in files}
    for error in report["errors"]:
        errors[by_file[error["filename"]]].append(f"{error['path']}: {error['message']}")
    # The exit status agrees with the per-file reading (the control file fails).
    assert result.returncode == (1 if any(errors.values()) else 0), result.stderr
    return errors


@pytest.mark.parametrize("variant", VARIANTS)
def test_generated_yaml_validates_against_gitlab_schema(
    schema_errors: Errors, variant: str
) -> None:
    """Every shape of the generated file is valid GitLab CI YAML."""
    assert schema_errors[variant] == []


def test_this_repository_pipeline_validates(schema_errors: Errors) -> None:
    """noxline's own generated .gitlab-ci.yml is valid too."""
    assert schema_errors["repository"] == []


def test_the_schema_check_catches_a_broken_pipeline(schema_errors: Errors) -> None:
    """Control: the same validation refuses a job with a wrong type, so a pass means something."""
    assert schema_errors["broken"] == ["$.publish.interruptible: 'no' is not of type 'boolean'"]


def test_the_validated_shapes_hold_the_docs_and_pages_jobs(tmp_path: Path) -> None:
    """The files validated above carry the docs job (its site exposed to merge requests) and
    GitLab's Pages job, from release tags and from the default branch."""
    variants = minilib_variants(tmp_path)
    for name, rule in (("default", "$CI_COMMIT_TAG"), ("docs-default-branch", "$CI_DEFAULT")):
        data = gitlab.document(variants[name])
        assert data["docs"]["artifacts"]["expose_as"] == "documentation"
        assert data["pages"]["pages"] == {"publish": "reports/docs/site"}
        assert rule in data["pages"]["rules"][0]["if"]


def test_merge_request_rules_are_in_the_checked_shape(
    schema_errors: Errors, tmp_path: Path
) -> None:
    """The default shape carries rules:changes with compare_to and optional needs (so the run
    above validated them), and the schema refuses a compare_to that is not a ref: control."""
    data = gitlab.document(minilib_variants(tmp_path)["default"])
    # wheel-install reads the package (tests read any file: they always run, with no rules).
    changes = data["wheel-install"]["rules"][0]["changes"]
    assert changes["compare_to"] == "refs/heads/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    assert "src/minilib/**/*" in changes["paths"]
    assert {"job": "wheel-install", "optional": True} in data["publish"]["needs"]
    assert "rules" not in data["tests"] and "tests" in data["publish"]["needs"]
    assert schema_errors["broken-changes"], "a list as compare_to must be refused"
