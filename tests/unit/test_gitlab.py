"""The generated .gitlab-ci.yml: derived from the pipeline definition only, thin, and drift-checked.

GitLab's JSON-schema validation needs check-jsonschema, so it lives with the end-to-end tests
(tests/e2e/test_gitlab_ci_local.py); these tests need nothing but noxline and PyYAML.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from noxline import gitlab
from noxline.about import __version__
from noxline.cli import main
from noxline.config import Settings, load_settings, replace
from noxline.errors import ConfigError, NoxlineError
from noxline.jobs import coverage as coverage_job
from noxline.pipeline import CHECKS, define
from tests.helpers import FIXTURES, REPO_ROOT
from tests.unit._projects import write_project

MINILIB = FIXTURES / "minilib"


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """Settings of a fresh tiny project (src/tiny_lib, pytest)."""
    return load_settings(write_project(tmp_path))


def parsed(settings: Settings) -> dict[str, Any]:
    """The rendered YAML, read back by a YAML parser."""
    data = yaml.safe_load(gitlab.render(settings))
    assert isinstance(data, dict)
    return data


def need_names(needs: list[Any]) -> list[str]:
    """The job names of a ``needs:`` list (plain names, or optional needs' ``job``)."""
    return [need if isinstance(need, str) else need["job"] for need in needs]


def test_render_reads_back_as_the_document(settings: Settings) -> None:
    """PyYAML writes exactly the data: no hand-made quoting, every job of the definition present."""
    data = parsed(settings)
    assert data == gitlab.document(settings)
    pipeline = define(settings)
    jobs = [key for key in data if key in pipeline.names]
    assert jobs == list(pipeline.names)
    assert data["stages"] == list(pipeline.stages)


def test_header_says_generated_and_not_to_edit(settings: Settings) -> None:
    """The file opens with a comment naming the generator and forbidding hand edits."""
    text = gitlab.render(settings)
    first = text.splitlines()[0]
    assert first.startswith("#") and "noxline gitlab-ci" in first
    assert "do not edit" in first.lower()
    for job in define(settings).jobs:
        assert f"#   {job.name} ({job.stage}): {job.description}\n" in text


def test_script_is_exactly_the_job_command(settings: Settings) -> None:
    """Parity: each job runs its Job.command(), then only prunes the download cache; set-up lives
    in the template."""
    data = parsed(replace(settings, blocking=CHECKS))
    for job in define(settings).jobs:
        entry = data[job.name]
        assert entry["script"] == [" ".join(job.command()), gitlab.PRUNE_CACHE]
        assert shlex.split(entry["script"][0]) == list(job.command())
        assert entry["extends"] == gitlab.TEMPLATE
        assert not {"before_script", "after_script", "image"} & set(entry), job.name


def test_stages_needs_and_artifacts_come_from_the_definition(settings: Settings) -> None:
    """needs as defined (checks and version start at once), artifacts handed on, reports kept."""
    data = parsed(settings)
    for job in define(settings).jobs:
        entry = data[job.name]
        assert entry["stage"] == job.stage
        assert need_names(entry["needs"]) == list(job.needs)
        assert entry["artifacts"]["when"] == "always"
        assert f"{job.reports_folder}/" in entry["artifacts"]["paths"]
        for path in job.artifacts:
            assert path in entry["artifacts"]["paths"]
    for check in (*CHECKS, "version"):
        assert need_names(data[check]["needs"]) == []
    assert data["version"]["artifacts"]["paths"] == ["reports/version/"]
    assert data["version"]["artifacts"]["reports"] == {"dotenv": "reports/version/version.env"}
    assert data["build"]["artifacts"]["paths"][0] == "dist/"
    assert need_names(data["build"]["needs"]) == ["version"]
    assert (
        need_names(data["tests"]["needs"])
        == need_names(data["wheel-install"]["needs"])
        == ["build"]
    )


def test_gitlab_reports_coverage_and_exposed_html(settings: Settings) -> None:
    """JUnit + Cobertura from tests, Code Quality from pylint and mypy, HTML exposed in MRs."""
    data = parsed(settings)
    tests = data["tests"]["artifacts"]
    assert tests["reports"] == {
        "junit": "reports/tests/junit.xml",
        "coverage_report": {"coverage_format": "cobertura", "path": "reports/tests/coverage.xml"},
    }
    assert tests["expose_as"] == "coverage"
    assert tests["paths"][0] == "reports/tests/html/"
    assert data["pylint"]["artifacts"]["reports"] == {
        "codequality": "reports/pylint/codequality.json"
    }
    assert data["mypy"]["artifacts"]["reports"] == {"codequality": "reports/mypy/codequality.json"}
    for job in define(settings).jobs:
        artifacts = data[job.name]["artifacts"]
        if job.exposed:
            assert (artifacts["expose_as"], artifacts["paths"][0]) == job.exposed_report()
        else:
            assert "expose_as" not in artifacts


@pytest.mark.parametrize(
    ("line", "percent"),
    [
        ("TOTAL                         6      0      2      0  100.0%", "100.0"),
        ("TOTAL   120   4   30   2   96%", "96"),
        ("TOTAL 1200 340 300 20 71.4%", "71.4"),
    ],
)
def test_coverage_regex_reads_the_total_line(settings: Settings, line: str, percent: str) -> None:
    """GitLab's coverage regex (between slashes) finds the percentage of coverage's TOTAL line."""
    regex = parsed(settings)["tests"]["coverage"]
    assert regex.startswith("/") and regex.endswith("/")
    found = re.search(regex[1:-1], f"nox > coverage report\nName  Stmts\n{line}\n", re.MULTILINE)
    assert found is not None and found.group(1) == percent


def test_coverage_regex_ignores_other_lines(settings: Settings) -> None:
    """A file line or a summary without a percentage gives no coverage value."""
    regex = parsed(settings)["tests"]["coverage"][1:-1]
    assert re.search(regex, "src/minilib/__init__.py   6  0  2  0  100.0%", re.MULTILINE) is None
    assert re.search(regex, "TOTAL lines checked", re.MULTILINE) is None


def test_checks_warn_until_blocking(settings: Settings) -> None:
    """allow_failure as defined; a blocking check fails the pipeline and gates publish."""
    data = parsed(settings)
    for check in CHECKS:
        assert data[check]["allow_failure"] is True
    assert need_names(data["publish"]["needs"]) == ["build", "wheel-install", "tests"]
    blocking = parsed(replace(settings, blocking=("mypy", "black")))
    assert blocking["mypy"]["allow_failure"] is False
    assert blocking["black"]["allow_failure"] is False
    assert blocking["pylint"]["allow_failure"] is True
    assert need_names(blocking["publish"]["needs"]) == [
        "build",
        "wheel-install",
        "tests",
        "black",
        "mypy",
    ]
    for name in ("version", "build", "wheel-install", "tests", "publish"):
        assert blocking[name]["allow_failure"] is False


def test_publish_is_never_interrupted_and_runs_alone(settings: Settings) -> None:
    """Uploads (publish, release) are never interrupted and each runs alone; history where read."""
    data = parsed(settings)
    for job in define(settings).jobs:
        entry = data[job.name]
        uploads = job.name in ("publish", "release", "pages")  # uploads and deploys
        assert entry["interruptible"] is not uploads
        assert entry.get("resource_group") == (job.name if uploads else None)
        depth = entry.get("variables", {}).get("GIT_DEPTH")
        assert depth == ("0" if job.name in ("version", "publish", "release") else None), job.name
    assert "rules" not in data["publish"]  # every pipeline: a dry run unless a release tag


def test_setup_installs_pinned_tools_and_noxline_with_pip(settings: Settings) -> None:
    """before_script: `python -m pip install` of the setup tools and noxline==<this version>."""
    template = parsed(settings)[gitlab.TEMPLATE]
    install = template["before_script"][-1]
    assert shlex.split(install) == [
        "python",
        "-m",
        "pip",
        "install",
        *settings.setup_requirements,
        f"noxline=={__version__}",
    ]
    # `>=` must reach pip, not the shell as a redirection.
    assert "'nox>=2026.10.20'" in install
    assert template["image"] == "python:3.11-slim"


def test_noxline_requirement_and_image_come_from_settings(settings: Settings) -> None:
    """noxline-requirement replaces the pin; gitlab-image names the image."""
    custom = replace(
        settings,
        noxline_requirement=".",
        gitlab_image="registry.example.com/ci/noxline:3.11",
        setup_requirements=("nox==2026.10.20", "uv==0.9.5"),
    )
    template = parsed(custom)[gitlab.TEMPLATE]
    assert template["image"] == "registry.example.com/ci/noxline:3.11"
    assert shlex.split(template["before_script"][-1])[4:] == ["nox==2026.10.20", "uv==0.9.5", "."]


@pytest.mark.parametrize(
    ("tools", "after_session"),
    [
        (("nox>=2026.10.20", "uv>=0.9"), [gitlab.PRUNE_CACHE]),
        (("nox==2026.10.20", "UV[extra] == 0.9.5"), [gitlab.PRUNE_CACHE]),
        (("nox>=2026.10.20", "virtualenv"), []),
        (("nox>=2026.10.20", "uv-dynamic-versioning"), []),
        (("nox>=2026.10.20", "uv>=0.9; python_version >= '3.12'"), []),
    ],
    ids=["default", "uv-spelled-otherwise", "no-uv", "a-name-starting-with-uv", "uv-by-marker"],
)
def test_the_download_cache_is_pruned_when_the_set_up_installs_uv(
    settings: Settings, tools: tuple[str, ...], after_session: list[str]
) -> None:
    """uv's pre-built wheels leave the cache before GitLab saves it, in the script (it runs only
    when the session passed, as the cache is saved only then); without uv there is no uv cache
    and no command to prune it, and a uv the image's Python may skip (a marker) gets none."""
    data = parsed(replace(settings, setup_requirements=tools))
    for job in define(settings).jobs:
        assert data[job.name]["script"][1:] == after_session, job.name
    assert "after_script" not in data[gitlab.TEMPLATE]


def test_bad_setup_settings_are_refused(settings: Settings) -> None:
    """An empty image or an unparsable requirement stops with a message naming the key."""
    with pytest.raises(ConfigError, match="gitlab-image is empty"):
        gitlab.render(replace(settings, gitlab_image=" "))
    with pytest.raises(ConfigError, match="setup-requirements holds 'nox >>= 1'"):
        gitlab.render(replace(settings, setup_requirements=("nox >>= 1",)))


def test_no_credentials_in_the_yaml(settings: Settings) -> None:
    """Index URLs and twine credentials come from CI/CD variables, never from the file."""
    data = parsed(settings)
    assert set(data["variables"]) == {
        "UV_CACHE_DIR",
        "PIP_CACHE_DIR",
        "PIP_ROOT_USER_ACTION",
    }
    body = "\n".join(line for line in gitlab.render(settings).splitlines() if not line[:1] == "#")
    for word in ("TWINE", "PASSWORD", "TOKEN", "INDEX_URL", "://"):
        assert word not in body


def test_caches_are_relative_and_keyed_on_pyproject(settings: Settings) -> None:
    """uv's and pip's download caches live under the project folder, keyed on pyproject.toml."""
    data = parsed(settings)
    cache = data[gitlab.TEMPLATE]["cache"]
    assert cache == {"key": {"files": ["pyproject.toml"]}, "paths": [".cache/uv", ".cache/pip"]}
    assert data["variables"]["UV_CACHE_DIR"] == ".cache/uv"
    assert data["variables"]["PIP_CACHE_DIR"] == ".cache/pip"


@pytest.mark.parametrize("lock", ["uv.lock", "poetry.lock", "pdm.lock", "pylock.toml"])
def test_a_lock_file_joins_the_cache_key(settings: Settings, lock: str) -> None:
    """The detected lock changes what gets installed, so it keys the cache too."""
    (settings.project_dir / lock).write_text("# lock\n", encoding="utf-8")
    locked = load_settings(settings.project_dir)
    assert locked.lock_file == lock
    files = parsed(locked)[gitlab.TEMPLATE]["cache"]["key"]["files"]
    assert files == ["pyproject.toml", lock]


def test_workflow_avoids_duplicate_branch_and_mr_pipelines(settings: Settings) -> None:
    """MR pipelines while an MR is open, branch pipelines otherwise, and tag pipelines."""
    rules = parsed(settings)["workflow"]["rules"]
    assert rules == [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"},
        {"if": "$CI_COMMIT_BRANCH"},
        {"if": "$CI_COMMIT_TAG"},
    ]


def test_render_is_deterministic(settings: Settings) -> None:
    """Same definition, same bytes: rendering twice or from re-read settings changes nothing."""
    first = gitlab.render(settings)
    assert gitlab.render(settings) == first
    assert gitlab.render(load_settings(settings.project_dir)) == first
    assert first.endswith("\n") and not first.endswith("\n\n")


def test_drift_is_empty_for_a_fresh_file(settings: Settings) -> None:
    """A file just written by render has no drift."""
    target = settings.project_dir / ".gitlab-ci.yml"
    target.write_text(gitlab.render(settings), encoding="utf-8")
    assert gitlab.drift(settings, target) == ""


def test_drift_shows_a_hand_edit_as_a_diff(settings: Settings) -> None:
    """Editing the file by hand gives a unified diff that restores the generated line."""
    target = settings.project_dir / ".gitlab-ci.yml"
    rendered = gitlab.render(settings)
    target.write_text(rendered.replace("allow_failure: true", "allow_failure: false", 1))
    diff = gitlab.drift(settings, target)
    assert diff.startswith(f"--- {target}\n+++ noxline gitlab-ci\n")
    assert "\n-  allow_failure: false\n" in diff
    assert "\n+  allow_failure: true\n" in diff


def test_drift_of_a_missing_or_truncated_file(settings: Settings) -> None:
    """A missing file differs from everything; so does one that lost its last newline."""
    target = settings.project_dir / ".gitlab-ci.yml"
    missing = gitlab.drift(settings, target)
    assert missing.startswith(f"--- {target} (missing)\n")
    added = [line for line in missing.splitlines() if line[:1] == "+" and line[:3] != "+++"]
    assert len(added) == len(gitlab.render(settings).splitlines())
    target.write_text(gitlab.render(settings).rstrip("\n"), encoding="utf-8")
    assert gitlab.drift(settings, target).endswith("\n")
    assert gitlab.drift(settings, target) != ""


def test_drift_of_an_unreadable_target_is_one_clear_error(settings: Settings) -> None:
    """A folder where the file should be is reported with the fix, not a traceback."""
    target = settings.project_dir / "ci-folder"
    target.mkdir()
    with pytest.raises(NoxlineError, match="cannot read .*ci-folder"):
        gitlab.drift(settings, target)


def test_cli_writes_then_checks(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """`noxline gitlab-ci` writes the file; `--check` then exits 0, and 1 after a hand edit."""
    project = str(settings.project_dir)
    assert main(["-C", project, "gitlab-ci"]) == 0
    target = settings.project_dir / ".gitlab-ci.yml"
    assert target.read_text(encoding="utf-8") == gitlab.render(settings)
    assert main(["-C", project, "gitlab-ci", "--check"]) == 0
    capsys.readouterr()
    target.write_text(target.read_text(encoding="utf-8") + "extra:\n  script: [echo]\n")
    assert main(["-C", project, "gitlab-ci", "--check"]) == 1
    captured = capsys.readouterr()
    assert "+extra:" not in captured.out and "-extra:" in captured.out
    assert "run `noxline gitlab-ci` to regenerate it" in captured.err


def test_cli_stdout_prints_the_render(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--stdout` prints what would be written and writes nothing."""
    assert main(["-C", str(settings.project_dir), "gitlab-ci", "--stdout"]) == 0
    assert capsys.readouterr().out == gitlab.render(settings)
    assert not (settings.project_dir / ".gitlab-ci.yml").exists()


def test_this_repository_pipeline_is_up_to_date() -> None:
    """Our own .gitlab-ci.yml is generated by noxline and installs noxline from the checkout."""
    settings = load_settings(REPO_ROOT)
    assert settings.noxline_requirement == "."
    assert gitlab.drift(settings, REPO_ROOT / ".gitlab-ci.yml") == ""


def test_docs_show_the_real_minilib_output() -> None:
    """docs/gitlab.md pastes the YAML noxline renders for the minilib fixture."""
    docs = (REPO_ROOT / "docs" / "gitlab.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", docs, re.DOTALL)
    pinned = re.search(r"noxline==([^\s']+)", blocks[0])
    assert pinned is not None
    # The docs pin the version they were pasted with; everything else must match today's render.
    settings = replace(load_settings(MINILIB), noxline_requirement=f"noxline=={pinned.group(1)}")
    assert blocks[0] == gitlab.render(settings)


def test_dockerfile_installs_the_default_setup_requirements(settings: Settings) -> None:
    """ci/Dockerfile's prebuilt image carries the same tools as the default set-up, and git."""
    dockerfile = (REPO_ROOT / "ci" / "Dockerfile").read_text(encoding="utf-8")
    default = re.search(r'^ARG SETUP_REQUIREMENTS="([^"]*)"$', dockerfile, re.MULTILINE)
    assert default is not None
    assert tuple(default.group(1).split()) == Settings.setup_requirements
    assert tuple(default.group(1).split()) == settings.setup_requirements
    assert re.search(r"^FROM python:3\.11", dockerfile, re.MULTILINE)
    assert "apt-get install -y --no-install-recommends git" in dockerfile
    assert "gitlab-image =" in dockerfile


@pytest.mark.parametrize(
    ("python", "shards", "parallel", "script"),
    [
        ((), 3, 3, "nox --no-dependencies -s tests"),
        (
            ("3.11", "3.12"),
            1,
            {"matrix": [{"NOXLINE_PYTHON": ["3.11", "3.12"]}]},
            'nox --no-dependencies -s "tests-${NOXLINE_PYTHON}"',
        ),
        (
            ("3.11", "3.12"),
            2,
            {"matrix": [{"NOXLINE_PYTHON": ["3.11", "3.12"], "NOXLINE_SHARD": ["1", "2"]}]},
            'nox --no-dependencies -s "tests-${NOXLINE_PYTHON}"',
        ),
    ],
    ids=["parallel", "matrix", "matrix-and-shards"],
)
def test_fan_out_becomes_parallel_or_a_matrix(
    settings: Settings, python: tuple[str, ...], shards: int, parallel: Any, script: str
) -> None:
    """Shards are `parallel: N`, Pythons a matrix with an image each; one coverage figure."""
    data = parsed(replace(settings, python=python, test_shards=shards))
    assert data["tests"]["parallel"] == parallel
    assert data["tests"]["script"] == [script, gitlab.PRUNE_CACHE]
    assert "coverage" not in data["tests"]
    assert data["tests"]["artifacts"]["reports"] == {"junit": "reports/tests/*/junit.xml"}
    assert data["coverage"]["coverage"] == define(settings).job("tests").coverage_regex
    assert need_names(data["coverage"]["needs"]) == ["tests"]
    assert data["coverage"]["artifacts"]["reports"]["coverage_report"]["path"] == (
        "reports/coverage/coverage.xml"
    )
    if python:
        assert data["tests"]["image"] == "python:${NOXLINE_PYTHON}-slim"
        assert data["wheel-install"]["parallel"] == {"matrix": [{"NOXLINE_PYTHON": list(python)}]}
        assert data[".noxline"]["image"] == f"python:{python[0]}-slim"
    else:
        assert "image" not in data["tests"]


@pytest.mark.parametrize(
    ("python", "shards", "durations", "carried"),
    [
        ((), 2, "", True),
        (("3.11", "3.12"), 2, "", True),
        (("3.11", "3.12"), 1, "", False),
        ((), 3, "ci/durations.xml", False),
    ],
    ids=["shards", "matrix-and-shards", "matrix-only", "committed-durations"],
)
def test_durations_travel_to_the_next_pipeline_in_a_cache(
    settings: Settings, python: tuple[str, ...], shards: int, durations: str, carried: bool
) -> None:
    """The coverage job pushes its merged JUnit reports under one fixed key and the shards pull
    them: the glob the shards read durations from, and the files the coverage job writes. No
    cache without shards, or with a committed test-durations file."""
    if durations:
        (settings.project_dir / "ci").mkdir()
        (settings.project_dir / durations).write_text("<testsuites/>", encoding="utf-8")
    moved = replace(settings, python=python, test_shards=shards, test_durations=durations)
    data = parsed(moved)
    template_cache = data[gitlab.TEMPLATE]["cache"]
    if not carried:
        assert "cache" not in data["tests"] and "cache" not in data["coverage"]
        return
    pipeline = define(moved)
    pull, push = data["tests"]["cache"], data["coverage"]["cache"]
    # A job's cache: replaces the template's, so the download caches come first, unchanged.
    assert pull[0] == push[0] == template_cache
    assert pull[1:] == [{**push[1], "policy": "pull"}]
    assert push[1]["policy"] == "push"
    assert push[1]["key"] == "noxline-test-durations"
    assert push[1]["paths"] == [pipeline.job("tests").upstream_files["durations"]]
    (pattern,) = push[1]["paths"]
    for version in python or ("",):  # what the coverage job writes, one report per Python
        written = coverage_job.merged_junit(moved, pipeline.job("coverage"), version)
        assert written.relative_to(settings.project_dir).match(pattern), (written, pattern)
    for job in ("version", "build", "wheel-install", "pylint", "publish"):
        assert "cache" not in data[job]  # everyone else keeps the template's


def test_image_without_placeholder_serves_every_job(settings: Settings) -> None:
    """A fixed gitlab-image (a prebuilt one with every Python) is used as is, matrix or not."""
    data = parsed(replace(settings, python=("3.11", "3.12"), gitlab_image="registry/ci:1"))
    assert data[".noxline"]["image"] == "registry/ci:1"
    assert "image" not in data["tests"]


@pytest.mark.parametrize(
    ("pattern", "rule"),
    [
        (r"^[0-9]+\.[0-9]+\.[0-9]+$", r"$CI_COMMIT_TAG =~ /^[0-9]+\.[0-9]+\.[0-9]+$/"),
        (r"^release/v[0-9.]+$", r"$CI_COMMIT_TAG =~ /^release\/v[0-9.]+$/"),
    ],
)
def test_release_runs_only_in_release_tag_pipelines(
    settings: Settings, pattern: str, rule: str
) -> None:
    """The release job's rule is the release pattern, slashes escaped, and Pages publishes the
    same release's site (pages-from = "release"); the other jobs with rules are those a
    merge-request pipeline may leave out."""
    data = parsed(replace(settings, release_pattern=pattern))
    assert data["release"]["rules"] == [{"if": rule}]
    assert need_names(data["release"]["needs"]) == ["build", "sbom", "publish"]
    assert data["release"]["stage"] == "release" and data["stages"][-1] == "release"
    assert data["pages"]["rules"] == [{"if": rule}]
    ruled = [name for name in define(settings).names if "rules" in data[name]]
    assert ruled == [
        *("wheel-install", "pylint", "black", "mypy", "docstr", "audit", "sbom", "docs"),
        "release",
        "pages",
    ]


@pytest.mark.parametrize("audience", ["", "pypi"])
def test_publish_gets_an_id_token_only_with_an_audience(settings: Settings, audience: str) -> None:
    """oidc-audience set → publish's id_tokens carry it; unset → no id token anywhere."""
    data = parsed(replace(settings, oidc_audience=audience))
    expected = {"NOXLINE_OIDC_TOKEN": {"aud": audience}} if audience else None
    assert data["publish"].get("id_tokens") == expected
    assert [name for name in define(settings).names if "id_tokens" in data[name]] == (
        ["publish"] if audience else []
    )


def test_audit_and_sbom_reports(settings: Settings) -> None:
    """audit: Code Quality, allowed to fail unless blocking; sbom: reports:cyclonedx; need build."""
    data = parsed(settings)
    assert data["audit"]["artifacts"]["reports"] == {
        "codequality": "reports/audit/codequality.json"
    }
    assert data["audit"]["allow_failure"] is True and need_names(data["audit"]["needs"]) == [
        "build"
    ]
    assert data["sbom"]["artifacts"]["reports"] == {"cyclonedx": ["reports/sbom/sbom.cdx.json"]}
    assert data["sbom"]["allow_failure"] is False and need_names(data["sbom"]["needs"]) == ["build"]
    blocking = parsed(replace(settings, blocking=("audit",)))
    assert blocking["audit"]["allow_failure"] is False
    assert need_names(blocking["publish"]["needs"]) == ["build", "wheel-install", "tests", "audit"]


def test_merge_requests_leave_out_jobs_whose_files_did_not_change(settings: Settings) -> None:
    """A job that reads neither every file nor git's history runs in a merge-request pipeline only
    when one of its declared input files changed against the target branch; branch and tag
    pipelines run it always. The globs are the same declaration the result cache keys on."""
    pipeline = define(replace(settings, python=("3.11", "3.12"), test_shards=2))
    data = gitlab.document(replace(settings, python=("3.11", "3.12"), test_shards=2), pipeline)
    for job in pipeline.jobs:
        rules = data[job.name].get("rules")
        if job.name in ("version", "build", "tests", "coverage", "publish"):
            assert rules is None, job.name  # git history or every file: always
            continue
        if job.name in ("release", "pages"):  # release tags (or the default branch) only
            continue
        assert rules == [
            {
                "if": '$CI_PIPELINE_SOURCE == "merge_request_event"',
                "changes": {
                    "paths": list(job.inputs.files),
                    "compare_to": "refs/heads/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                },
            },
            {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"', "when": "never"},
            {"when": "on_success"},
        ], job.name
        assert 0 < len(job.inputs.files) <= gitlab.MAX_CHANGE_PATHS
    # A need on a job that may be left out is optional, so its dependents still start.
    assert data["coverage"]["needs"] == ["tests"]  # the tests read every file: always there
    assert data["publish"]["needs"][:2] == ["build", {"job": "wheel-install", "optional": True}]
    assert data["tests"]["needs"] == ["build"]


def test_a_merge_request_bumping_a_submodule_runs_the_jobs_reading_files_in_it(
    settings: Settings,
) -> None:
    """A submodule bump changes the submodule's path only, never the paths of the files in it:
    each job whose globs reach into it (the checks read every Python file) names the path."""
    bumped = replace(settings, submodules=("vendor/theme-lib",))
    data = gitlab.document(bumped, define(bumped))
    for name in ("pylint", "mypy", "black", "docstr"):
        assert "vendor/theme-lib" in data[name]["rules"][0]["changes"]["paths"], name
    assert "vendor/theme-lib" not in str(gitlab.document(settings, define(settings)))


def test_a_job_with_more_globs_than_gitlab_reads_always_runs(settings: Settings) -> None:
    """GitLab reads 50 paths in one rules:changes: a noxfile importing dozens of the project's
    modules leaves no job out (it runs always) rather than failing the generation."""
    many = replace(settings, noxfile_imports=tuple(f"ci/helper_{n}.py" for n in range(60)))
    pipeline = define(many)
    data = gitlab.document(many, pipeline)
    assert len(pipeline.job("pylint").inputs.files) > gitlab.MAX_CHANGE_PATHS
    assert not gitlab.may_leave_out(pipeline.job("pylint"))
    assert "rules" not in data["pylint"] and data["publish"]["needs"][1] == "wheel-install"


def test_a_job_left_out_never_leaves_a_dependent_without_its_output(settings: Settings) -> None:
    """Whenever a merge request changes none of a job's files, it changes none of the files of
    the jobs that consume its output either: they are left out too (the wheel's consumers read a
    subset of what the build reads; coverage reads what tests read)."""
    for variant in (settings, replace(settings, test_shards=2, python=("3.11", "3.12"))):
        pipeline = define(variant)
        for job in pipeline.jobs:
            for name in job.needs:
                need = pipeline.job(name)
                consumes = (job.inputs.dist and need.artifacts) or any(
                    path.startswith(need.reports_folder + "/")
                    for path in job.upstream_files.values()
                )
                # A tag-only job (release) is never in a merge-request pipeline.
                if not consumes or not gitlab.may_leave_out(need) or job.only_tags_matching:
                    continue
                assert gitlab.may_leave_out(job), (job.name, name)
                assert set(job.inputs.files) <= set(need.inputs.files), (job.name, name)
