"""Test helpers: a real pypiserver on 127.0.0.1, fixture projects in git repos, running nox."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"

#: Small projects of the shapes noxline must adopt (layouts, backends, test runners).
SHAPES = FIXTURES / "shapes"

#: The twelve pipeline jobs in stage order, as the issues name them (written out, not derived from
#: the code under test).
PIPELINE_JOBS = tuple(
    "version build wheel-install tests pylint black mypy docstr audit sbom publish release".split()
)
#: The pipeline of a project with docs (the default for a package with docstrings): the docs job
#: beside the other checks of the wheel, GitLab Pages after the release.
DOCS_PIPELINE_JOBS = (*PIPELINE_JOBS[:10], "docs", "publish", "release", "pages")
REPO_ROOT = Path(__file__).parent.parent

#: Environment for git in tests: no user config, a fixed identity.
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}

#: CI variables of the machine running the tests must not leak into the project under test.
CI_VARIABLES = (
    "CI",
    "GITLAB_CI",
    "CI_COMMIT_TAG",
    "CI_COMMIT_REF_NAME",
    "CI_PIPELINE_ID",
    "CI_COMMIT_REF_PROTECTED",
    "CI_JOB_TOKEN",
    "CI_API_V4_URL",
    "CI_PROJECT_ID",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "NOXLINE_SHARD",
    "NOXLINE_ALLOW_UNPROTECTED_TAGS",
    "TWINE_USERNAME",
    "TWINE_PASSWORD",
    "TWINE_REPOSITORY_URL",
    "TWINE_REPOSITORY",
)


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with the test identity; return its stdout."""
    env = os.environ | GIT_ENV
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def make_project(tmp_path: Path, fixture: str = "minilib", tag: str | None = None) -> Path:
    """Copy a fixture project into a fresh git repo with one commit (and ``tag``)."""
    project = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, project, ignore=shutil.ignore_patterns("__pycache__"))
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "initial")
    if tag:
        git(project, "tag", tag)
    return project


def copy_shape(tmp_path: Path, name: str, extra_toml: str = "") -> Path:
    """A private copy of shape fixture ``name``, with ``extra_toml`` appended to its pyproject."""
    project = Path(shutil.copytree(SHAPES / name, tmp_path / name))
    if extra_toml:
        with (project / "pyproject.toml").open("a", encoding="utf-8") as stream:
            stream.write("\n" + extra_toml)
    return project


#: The xdist group of the tests that read :func:`minilib_run` or :func:`broken_minilib_run`.
MINILIB_RUNS = "minilib-runs"


@dataclass(frozen=True)
class NoxlineRun:
    """A finished ``noxline run`` of a project: where it ran and what it printed."""

    project: Path
    result: subprocess.CompletedProcess[str]

    def report(self, path: str) -> str:
        """The text of a file under the project's reports/ folder."""
        return (self.project / "reports" / path).read_text(encoding="utf-8")


def clean_env(**extra: str) -> dict[str, str]:
    """The test process environment without CI/twine variables, plus ``extra``.

    Bytecode is neither compiled at install time nor kept: every project a test runs is thrown
    away, so its venvs are used once. ``UV_COMPILE_BYTECODE`` set says so to uv and to noxline,
    which otherwise keeps the bytecode of the venvs ``noxline run`` reuses
    (:func:`noxline.sessions.bytecode_env`; a test that proves it removes the variable).
    """
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    env.update(GIT_ENV)
    env["UV_COMPILE_BYTECODE"] = "0"
    env.update(extra)
    return env


#: Every nox or noxline run a test starts is bounded: a hung run fails its test, not the suite.
RUN_TIMEOUT = 900


def run_nox(
    project: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run nox (from this test environment, where noxline is installed) in ``project``."""
    result = subprocess.run(
        [sys.executable, "-m", "nox", *args],
        cwd=project,
        env=dict(env) if env is not None else clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=RUN_TIMEOUT,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"nox {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def run_noxline(
    project: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``noxline`` command in ``project`` as a user would (no terminal, no CI variables;
    ``env`` instead of the test's own environment without them)."""
    return subprocess.run(
        [sys.executable, "-m", "noxline.cli", *args],
        cwd=project,
        env=dict(env) if env is not None else clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=RUN_TIMEOUT,
    )


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server that lets a client hang up without a traceback on stderr."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore a client gone mid-request (the deadline tests cut connections on purpose);
        report anything else as the stdlib does."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def loopback_http(
    handler: type[BaseHTTPRequestHandler], on_stop: Callable[[], None] = lambda: None
) -> Iterator[str]:
    """Serve ``handler`` on a free port of 127.0.0.1 in a thread; yield its base URL
    (``http://127.0.0.1:PORT``, no trailing slash); stop it when the block ends.

    Every fake HTTP service of the tests runs through this one helper. ``on_stop`` runs first
    (a fake whose routes hang releases them there), and the join is bounded.
    """
    server = _LoopbackServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # A short poll interval keeps shutdown() quick.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        on_stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass(frozen=True)
class PackageIndex:
    """A running pypiserver: upload URL, simple-index URL, credentials and its package folder."""

    url: str
    username: str
    password: str
    packages: Path

    @property
    def simple_url(self) -> str:
        """The PEP 503 simple index."""
        return self.url.rstrip("/") + "/simple/"


@contextmanager
def pypiserver(
    root: Path, password: str | None = None, authenticate: str = "update"
) -> Iterator[PackageIndex]:
    """Start pypiserver on 127.0.0.1 with upload auth (or, ``authenticate="update,download,list"``,
    a private index); stop it on exit."""
    # Imported here: only the end-to-end tests (the e2e dependency group) start an index.
    # pylint: disable-next=import-outside-toplevel,import-error
    from passlib.apache import HtpasswdFile

    packages = root / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    password = password or secrets.token_urlsafe(16)
    htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
    htpasswd.set_password("uploader", password)
    htpasswd.save()
    port = free_port()
    log = (root / "pypiserver.log").open("w")  # pylint: disable=consider-using-with
    server = subprocess.Popen(  # pylint: disable=consider-using-with
        [
            shutil.which("pypi-server") or "pypi-server",
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-P",
            str(root / "htpasswd"),
            "-a",
            authenticate,
            str(packages),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "simple/", timeout=1):
                    break
            except urllib.error.HTTPError as error:
                error.close()
                if error.code == 401:  # up, and private: it asks for the password to list
                    break
                raise
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "pypiserver did not start: " + (root / "pypiserver.log").read_text()
                    ) from None
                time.sleep(0.1)
        yield PackageIndex(url=url, username="uploader", password=password, packages=packages)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def cyclonedx_errors(document: str) -> object:
    """What CycloneDX 1.6's strict JSON schema finds wrong with ``document`` (None: valid).

    Imported here, not at the top: the validator builds its format checkers' grammars on import
    (about 1.5 s), which every xdist worker would pay when it collects a module importing it.
    """
    # pylint: disable=import-outside-toplevel
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(document)
