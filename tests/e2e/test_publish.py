"""End-to-end tests of the publish job and the release gate: real nox runs of the minilib fixture
against a real pypiserver on 127.0.0.1, with GitLab's CI variables passed through the environment.

The 1.2.3 release is built once per module (``built_release``) and copied for each test that only
needs ``nox --no-dependencies -s publish``; all runs share one nox envdir and reuse (``-R``) its
publish venv, which holds nothing but twine. What pypiserver does not do (PEP 691 JSON,
redirects, read errors) is covered by tests/unit/test_index.py against a stdlib HTTP server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from noxline.dist import SUMS_NAME, read_sums
from tests.helpers import PackageIndex, clean_env, free_port, make_project, run_nox

RELEASE = "1.2.3"
WHEEL = f"minilib-{RELEASE}-py3-none-any.whl"
SDIST = f"minilib-{RELEASE}.tar.gz"


def tag_env(tag: str) -> dict[str, str]:
    """GitLab's variables in a tag pipeline."""
    return {"CI_COMMIT_TAG": tag, "CI_COMMIT_REF_NAME": tag, "CI_PIPELINE_ID": "4242"}


def index_env(index: PackageIndex, **extra: str) -> dict[str, str]:
    """A clean environment pointing twine at ``index`` with its credentials, plus ``extra``."""
    return clean_env(
        TWINE_REPOSITORY_URL=index.url,
        TWINE_USERNAME=index.username,
        TWINE_PASSWORD=index.password,
        **extra,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    """Everything a nox run printed."""
    return result.stdout + result.stderr


def on_index(index: PackageIndex) -> dict[str, str]:
    """File name → sha256 of what the index holds on disk."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in index.packages.iterdir()
        if path.is_file()
    }


def report(project: Path) -> dict[str, Any]:
    """The publish job's JSON report."""
    data: dict[str, Any] = json.loads(
        (project / "reports" / "publish" / "publish.json").read_text(encoding="utf-8")
    )
    return data


@pytest.fixture(name="envdir", scope="module")
def envdir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One nox envdir for the module, so the publish venv is made once and reused."""
    return tmp_path_factory.mktemp("nox-envs")


@pytest.fixture(name="built_release", scope="module")
def built_release_fixture(tmp_path_factory: pytest.TempPathFactory, envdir: Path) -> Path:
    """minilib at tag 1.2.3 after ``nox -s version build`` in a tag pipeline (built once)."""
    project = make_project(tmp_path_factory.mktemp("release"), tag=RELEASE)
    env = clean_env(**tag_env(RELEASE))
    run_nox(project, "--envdir", str(envdir), "-R", "-s", "version", "build", env=env)
    return project


@pytest.fixture(name="release")
def release_fixture(built_release: Path, tmp_path: Path) -> Path:
    """A private copy of the built 1.2.3 project, free to be changed by the test."""
    copy = tmp_path / "minilib"
    shutil.copytree(built_release, copy, symlinks=True)
    return copy


def publish(project: Path, envdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``nox --no-dependencies -s publish`` as a CI job runs it, reusing the shared venv."""
    arguments = ("--envdir", str(envdir), "-R", "--no-dependencies", "-s", "publish")
    return run_nox(project, *arguments, env=env, check=False)


# --- releases -----------------------------------------------------------------------------------


def test_release_is_published_and_installable(
    tmp_path: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """Tag 1.2.3: ``nox -s version build publish`` uploads the built files; pip installs them."""
    project = make_project(tmp_path, tag=RELEASE)
    result = run_nox(
        project,
        "--envdir",
        str(envdir),
        "-s",
        "version",
        "build",
        "publish",
        env=index_env(package_index, **tag_env(RELEASE)),
    )
    sums = read_sums(project / "dist")
    assert set(sums) == {WHEEL, SDIST}
    assert on_index(package_index) == sums
    assert f"published minilib {RELEASE} to {package_index.url}: uploaded 2" in output(result)
    data = report(project)
    assert data["outcome"] == "uploaded" and data["mode"] == "upload"
    assert data["decision"]["kind"] == "release" and data["decision"]["version"] == RELEASE
    assert {(f["filename"], f["sha256"], f["action"]) for f in data["files"]} == {
        (name, digest, "uploaded") for name, digest in sums.items()
    }

    client = tmp_path / "client"
    subprocess.run([sys.executable, "-m", "venv", str(client)], check=True)
    python = str(client / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "--isolated", "install", "--no-cache-dir", "-q"]
        + ["--index-url", package_index.simple_url, f"minilib=={RELEASE}"],
        check=True,
        cwd=tmp_path,
    )
    imported = subprocess.run(
        [python, "-c", "import minilib; print(minilib.__version__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert imported.stdout.strip() == RELEASE


def test_rerun_of_a_release_says_already_published(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """Publishing the same release twice succeeds; the second run uploads nothing."""
    env = index_env(package_index, **tag_env(RELEASE))
    first = publish(release, envdir, env)
    assert first.returncode == 0, output(first)
    files = on_index(package_index)
    second = publish(release, envdir, env)
    assert second.returncode == 0, output(second)
    text = output(second)
    assert f"{WHEEL} is already published, identical" in text
    assert f"{SDIST} is already published, identical" in text
    assert "uploaded 0, already published 2" in text
    assert on_index(package_index) == files
    assert report(release)["outcome"] == "already-published"


def test_rerun_completes_a_half_done_release(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """After a publish that stopped after the wheel, a re-run uploads only the sdist."""
    shutil.copy(release / "dist" / WHEEL, package_index.packages / WHEEL)
    result = publish(release, envdir, index_env(package_index, **tag_env(RELEASE)))
    assert result.returncode == 0, output(result)
    assert f"{WHEEL} is already published, identical" in output(result)
    assert on_index(package_index) == read_sums(release / "dist")
    actions = {f["filename"]: f["action"] for f in report(release)["files"]}
    assert actions == {WHEEL: "already-published", SDIST: "uploaded"}


def test_a_different_file_under_the_same_name_is_never_overwritten(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """An index file with the sdist's name but other bytes fails the job; nothing is uploaded."""
    squatter = package_index.packages / SDIST
    squatter.write_bytes(b"not the sdist that was built")
    result = publish(release, envdir, index_env(package_index, **tag_env(RELEASE)))
    assert result.returncode != 0
    assert "already holds a different file under the same name" in output(result)
    assert SDIST in output(result) and "Nothing was uploaded" in output(result)
    assert squatter.read_bytes() == b"not the sdist that was built"
    assert set(on_index(package_index)) == {SDIST}  # not even the wheel went up
    assert report(release)["outcome"] == "failed"


def test_gitlab_release_from_an_unprotected_tag_is_refused(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """In GitLab (GITLAB_CI=true) an unprotected release tag is refused; a protected one does."""
    env = index_env(package_index, GITLAB_CI="true", **tag_env(RELEASE))
    refused = publish(release, envdir, env | {"CI_COMMIT_REF_PROTECTED": "false"})
    assert refused.returncode != 0
    assert f"refusing to publish {RELEASE}: tag {RELEASE} is not protected" in output(refused)
    assert not on_index(package_index)
    allowed = publish(release, envdir, env | {"CI_COMMIT_REF_PROTECTED": "true"})
    assert allowed.returncode == 0, output(allowed)
    assert set(on_index(package_index)) == {WHEEL, SDIST}


# --- dry runs -----------------------------------------------------------------------------------


def test_branch_pipeline_is_a_dry_run(
    tmp_path: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """A branch builds a dev version: publish says what it would upload where, uploads nothing."""
    project = make_project(tmp_path, tag=RELEASE)
    env = index_env(package_index, CI_COMMIT_REF_NAME="main", CI_PIPELINE_ID="77")
    run_nox(project, "--envdir", str(envdir), "-R", "-s", "version", "build", env=env)
    result = publish(project, envdir, env)
    assert result.returncode == 0, output(result)
    text = output(result)
    sums = read_sums(project / "dist")
    for name in ("minilib-1.2.4.dev77-py3-none-any.whl", "minilib-1.2.4.dev77.tar.gz"):
        assert f"dry run: would upload {name} (sha256 {sums[name]}) to {package_index.url}" in text
    assert "development build" in text and "nothing was uploaded" in text
    assert not on_index(package_index)
    data = report(project)
    assert data["mode"] == "dry-run" and data["outcome"] == "dry-run"
    assert {f["action"] for f in data["files"]} == {"would-upload"}
    assert data["repository"]["upload_url"] == package_index.url


def test_rehearsal_tag_is_a_dry_run(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """Tag 1.2.3-dryrun builds 1.2.3 and does everything but the upload."""
    result = publish(release, envdir, index_env(package_index, **tag_env(f"{RELEASE}-dryrun")))
    assert result.returncode == 0, output(result)
    assert "rehearsal from tag 1.2.3-dryrun" in output(result)
    assert f"dry run: would upload {SDIST}" in output(result)
    assert not on_index(package_index)
    assert report(release)["decision"]["kind"] == "rehearsal"


def test_dry_run_notices_a_version_already_on_the_index(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """A rehearsal of a version that is already published warns about it."""
    shutil.copy(release / "dist" / WHEEL, package_index.packages / WHEEL)
    result = publish(release, envdir, index_env(package_index, **tag_env(f"{RELEASE}-dryrun")))
    assert result.returncode == 0, output(result)
    assert f"dry run: {WHEEL} is already on the index, identical" in output(result)
    assert f"version {RELEASE} of minilib is already on the index" in output(result)
    assert set(on_index(package_index)) == {WHEEL}


def test_dry_run_survives_an_unreachable_index(release: Path, envdir: Path) -> None:
    """A dry run only warns when the index cannot be read."""
    url = f"http://127.0.0.1:{free_port()}/"
    env = clean_env(TWINE_REPOSITORY_URL=url, **tag_env(f"{RELEASE}-dryrun"))
    result = publish(release, envdir, env)
    assert result.returncode == 0, output(result)
    assert "could not look at the index" in output(result)
    assert f"would upload {WHEEL}" in output(result)


def test_prerelease_publishes_only_when_allowed(
    tmp_path: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """Tag 1.2.3rc1 dry-runs by default and uploads with publish-prereleases = true."""
    project = make_project(tmp_path, tag="1.2.3rc1")
    env = index_env(package_index, **tag_env("1.2.3rc1"))
    run_nox(project, "--envdir", str(envdir), "-R", "-s", "version", "build", env=env)
    dry = publish(project, envdir, env)
    assert dry.returncode == 0, output(dry)
    assert "pre-release from tag 1.2.3rc1: dry run" in output(dry)
    assert not on_index(package_index)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace("[tool.noxline]\n", "[tool.noxline]\npublish-prereleases = true\n"),
        encoding="utf-8",
    )
    real = publish(project, envdir, env)
    assert real.returncode == 0, output(real)
    assert set(on_index(package_index)) == {
        "minilib-1.2.3rc1-py3-none-any.whl",
        "minilib-1.2.3rc1.tar.gz",
    }


# --- refusals -----------------------------------------------------------------------------------


def test_dist_without_sums_is_one_clear_error(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """Without dist/SHA256SUMS publish stops with one message saying to run the build."""
    (release / "dist" / SUMS_NAME).unlink()
    result = publish(release, envdir, index_env(package_index, **tag_env(RELEASE)))
    assert result.returncode != 0
    text = output(result)
    assert text.count(f"{SUMS_NAME} is missing") == 1
    assert "nox -s build" in text and "Traceback" not in text
    assert not on_index(package_index)


@pytest.mark.parametrize(
    ("change", "message"),
    [("tamper", "changed after the build"), ("extra", "extra: minilib-1.2.2.tar.gz")],
)
def test_changed_dist_is_refused(
    release: Path, package_index: PackageIndex, envdir: Path, change: str, message: str
) -> None:
    """A file changed after the build, or one the build did not make, stops publish."""
    if change == "tamper":
        with (release / "dist" / WHEEL).open("ab") as stream:
            stream.write(b"\0")
    else:
        (release / "dist" / "minilib-1.2.2.tar.gz").write_bytes(b"stale")
    result = publish(release, envdir, index_env(package_index, **tag_env(RELEASE)))
    assert result.returncode != 0
    assert message in output(result) and "Traceback" not in output(result)
    assert not on_index(package_index)


def test_dist_of_another_version_is_refused(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """dist/ built for 1.2.3 cannot be published from tag 1.2.4: the message says how to fix it."""
    result = publish(release, envdir, index_env(package_index, **tag_env("1.2.4")))
    assert result.returncode != 0
    assert "dist/ holds 1.2.3 but this ref's version is 1.2.4" in output(result)
    assert "nox -s version build" in output(result)
    assert not on_index(package_index)


def test_release_without_credentials_fails_before_uploading(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """A release with an index but no credentials names the variables; nothing is uploaded."""
    env = clean_env(TWINE_REPOSITORY_URL=package_index.url, **tag_env(RELEASE))
    result = publish(release, envdir, env)
    assert result.returncode != 0
    text = output(result)
    assert "neither TWINE_USERNAME nor TWINE_PASSWORD is set" in text
    assert "nothing was uploaded" in text
    assert "uploading minilib" not in text and "Uploading distributions" not in text
    assert not on_index(package_index)


def test_release_without_any_index_names_what_to_set(release: Path, envdir: Path) -> None:
    """A release outside GitLab with no index configured says which variable or key to set."""
    result = publish(release, envdir, clean_env(**tag_env(RELEASE)))
    assert result.returncode != 0
    assert f"there is no package index to publish {RELEASE} to" in output(result)
    assert "TWINE_REPOSITORY_URL" in output(result)


def test_wrong_password_is_a_clear_error_without_the_password(
    release: Path, package_index: PackageIndex, envdir: Path
) -> None:
    """A refused login names the variables to check; the password shows nowhere."""
    wrong = "wrong-" + package_index.password[::-1]
    env = index_env(package_index, **tag_env(RELEASE)) | {"TWINE_PASSWORD": wrong}
    result = publish(release, envdir, env)
    assert result.returncode != 0
    text = output(result)
    assert "refused the credentials" in text
    assert "check TWINE_USERNAME and TWINE_PASSWORD" in text
    assert wrong not in text and package_index.password not in text
    assert not on_index(package_index)
    assert wrong not in (release / "reports" / "publish" / "publish.json").read_text()


def test_unreachable_index_is_a_clear_error(release: Path, envdir: Path) -> None:
    """A release to a port nothing listens on fails saying the index cannot be reached."""
    url = f"http://127.0.0.1:{free_port()}/"
    env = clean_env(
        TWINE_REPOSITORY_URL=url, TWINE_USERNAME="u", TWINE_PASSWORD="p-unused", **tag_env(RELEASE)
    )
    result = publish(release, envdir, env)
    assert result.returncode != 0
    assert f"cannot reach {url}simple/minilib/ (connection refused" in output(result)
    assert "(the index is configured by TWINE_REPOSITORY_URL)" in output(result)
    assert "Traceback" not in output(result)


# --- the password never leaks -------------------------------------------------------------------


def files_modified_since(root: Path, marker: Path) -> list[Path]:
    """Regular files under ``root`` changed after ``marker`` (find is much faster than os.walk)."""
    done = subprocess.run(
        ["find", str(root), "-xdev", "-type", "f", "-newer", str(marker), "-size", "-20M"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [Path(line) for line in done.stdout.splitlines() if line]


def holders_of(needles: list[bytes], paths: list[Path]) -> list[str]:
    """The files among ``paths`` that contain any of ``needles`` (unreadable files skipped)."""
    found = []
    for path in paths:
        try:
            if path.stat().st_size > 20 << 20:
                continue  # a huge file (a cache blob) is not where a password would be logged
            data = path.read_bytes()
        except OSError:
            continue
        if any(needle in data for needle in needles):
            found.append(str(path))
    return found


def test_release_password_is_written_nowhere(
    release: Path, package_index: PackageIndex, envdir: Path, tmp_path: Path
) -> None:
    """Publish with a random password, then look for it in the output, the project and $HOME."""
    marker = tmp_path / "started"
    marker.write_text("", encoding="utf-8")
    password = package_index.password
    env = index_env(package_index, **tag_env(RELEASE))
    first = publish(release, envdir, env)
    assert first.returncode == 0, output(first)
    again = publish(release, envdir, env)  # the skip path logs too
    assert again.returncode == 0, output(again)
    basic = base64.b64encode(f"{package_index.username}:{password}".encode())
    needles = [password.encode(), basic]
    for result in (first, again):
        assert not [n for n in needles if n.decode() in output(result)]
    project_files = [path for path in release.rglob("*") if path.is_file()]
    assert project_files and not holders_of(needles, project_files)
    envs = files_modified_since(envdir, marker)
    home = files_modified_since(Path(os.environ.get("HOME", "/root")), marker)
    assert not holders_of(needles, envs + home)
    assert set(on_index(package_index)) == {WHEEL, SDIST}
