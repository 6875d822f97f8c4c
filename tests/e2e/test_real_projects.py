"""Adoption of real libraries: their PyPI sdists, of every shape the issue names, under noxline.

Each sdist is downloaded with its sha256 pinned (cached under ``~/.cache/noxline-tests``),
unpacked into a fresh git repository tagged at its version the way the project tags, adopted with
`noxline init` and nothing else, committed, and run through
`nox -s version build wheel-install tests`. Each must be green, build exactly the tagged version,
and leave `git status --porcelain` empty. The projects run in parallel (a module fixture with a
thread pool: each nox run is its own process), so the corpus takes about as long as its slowest
few members.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from tests.helpers import clean_env, git, run_nox

# One worker runs the whole corpus (its module fixture adopts every project at once, in threads).
pytestmark = [pytest.mark.network, pytest.mark.xdist_group("real-sdists")]

FIRST_JOBS = ("version", "build", "wheel-install", "tests")

#: Where downloaded sdists are kept between runs (checked against their sha256 on every use).
CACHE = Path(os.environ.get("NOXLINE_TEST_CACHE", Path.home() / ".cache" / "noxline-tests"))

#: How many projects run at once (each nox run is mostly waiting on installs and subprocesses).
WORKERS = int(os.environ.get("NOXLINE_CORPUS_WORKERS", "3"))

#: Every wait is bounded: one project's download, init and four sessions.
PROJECT_TIMEOUT = 900


@dataclass(frozen=True)
class RealProject:
    """A pinned sdist, the tag its repository gets, and the shape it stands for."""

    name: str
    version: str
    sha256: str
    tag: str
    shape: str
    #: The tests folder and runner noxline must find.
    tests: str
    runner: str
    #: The project's own tests that time themselves against the clock, left out (pytest's ``-k``,
    #: passed as nox's posargs, which only the tests job reads): the corpus runs three projects
    #: at once beside the rest of the suite on two cores, where such a test fails for want of CPU.
    clock_bound: tuple[str, ...] = ()

    @property
    def sdist(self) -> str:
        """The sdist's file name (PEP 625: the normalised name, ``jaraco_functools-4.1.0``)."""
        return f"{canonicalize_name(self.name).replace('-', '_')}-{self.version}.tar.gz"


PROJECTS = (
    RealProject(
        "tomlkit",
        "0.15.2",
        "83e32755ba1d20d9340bd069ee97e9f6232ba2346b63ffcba425de01f7e327a6",
        "0.15.2",
        "poetry-core, [project] metadata, flat layout, pytest, test tools in a dev group",
        "tests",
        "pytest",
    ),
    RealProject(
        "cleo",
        "2.1.0",
        "0b2c880b5d13660a7ea651001fb4acb527696c01f15c9ee650f377aa543fd523",
        "2.1.0",
        "[tool.poetry] metadata, src layout, coverage under 80 % and no declared threshold",
        "tests",
        "pytest",
    ),
    RealProject(
        "docstring_parser",
        "0.16",
        "538beabd0af1e2db0146b6bd3caa526c35a34d61af9fd2887f3a8a27a739aa6e",
        "0.16",
        "poetry, tests inside the package, two-component tags",
        "docstring_parser/tests",
        "pytest",
    ),
    RealProject(
        "pykka",
        "4.5.0",
        "820fcc36046552b49d7eb61fe98088d1a29631cf3314e8ce4bc26aaead8dcd4f",
        "v4.5.0",
        "hatchling static version, src layout, PEP 735 groups with includes, v-prefixed tags",
        "tests",
        "pytest",
    ),
    RealProject(
        "iniconfig",
        "2.3.1",
        "67f4b9c50da0dedf52af349e7749a80a9057a5031199791b906c3bb3ae878960",
        "v2.3.1",
        "setuptools-scm, src layout, tests in testing/ (pytest testpaths), v-prefixed tags",
        "testing",
        "pytest",
    ),
    RealProject(
        "pluggy",
        "1.7.0",
        "d1eaa46ebb595891b860ab086b4d09c8588af65ebd4361b8e8f4bb8920b90ba8",
        "1.7.0",
        "setuptools-scm, src layout, testing/ without pytest config, a `testing` group",
        "testing",
        "pytest",
    ),
    RealProject(
        "humanize",
        "4.17.0",
        "1d6a36c453dbfbb3f0b34601d2e0b4ce5d48d780305cd45714843f0068fde6ac",
        "4.17.0",
        "hatch-vcs with a version-file hook, src layout, a `tests` extra",
        "tests",
        "pytest",
    ),
    RealProject(
        "tabulate",
        "0.9.0",
        "0095b12bf5966de529c0feb1fa08671671b3368eec77d7ef7ab114be2c068b3c",
        "v0.9.0",
        "setuptools-scm writing its version file, flat layout, tests in test/",
        "test",
        "pytest",
    ),
    RealProject(
        "idna",
        "3.20",
        "a7db850025b95ded1eae8a46181a1a6c56c92c96f0e2b005d9ff8dc0210cab44",
        "v3.20",
        "flit with __version__ in a submodule, unittest suites (run by pytest: its `all` extra "
        "names pytest), its own coverage threshold, v-prefixed two-component tags",
        "tests",
        "pytest",
    ),
    RealProject(
        "dep_logic",
        "0.7.2",
        "2a3c49526075b0bc6825f0ea8c2d9f464de48b7b85f3f3d2900b4e5950fefedf",
        "0.7.2",
        "pdm-backend (scm source, static in the sdist), src layout, testpaths naming src/ too",
        "tests",
        "pytest",
    ),
    RealProject(
        "mypy_extensions",
        "1.2.0",
        "c6e275a07f1c2fc096b62940452d0eaa3f3af7de45d704787866240a7c6d5a51",
        "1.2.0",
        "a single module (mypy_extensions.py), flit, unittest in tests/ without __init__.py",
        "tests",
        "unittest",
    ),
    RealProject(
        "jaraco.functools",
        "4.1.0",
        "70f7e0e2ae076498e212562325e805204fc092d7b4c17e0e86c959e249701a9d",
        "v4.1.0",
        "a namespace package (jaraco/functools, no jaraco/__init__.py), flat layout, tests at the "
        "root with --doctest-modules and its own norecursedirs, setuptools-scm, a test extra",
        ".",
        "pytest",
        # Counts 28-32 calls of a 10-per-second throttle in 3 s; 27 seen on a loaded machine.
        clock_bound=("test_function_throttled",),
    ),
)


@dataclass
class Outcome:
    """What adopting one project gave."""

    init: subprocess.CompletedProcess[str] | None = None
    run: subprocess.CompletedProcess[str] | None = None
    built: tuple[Version, ...] = ()
    status: str = ""
    seconds: float = 0.0
    error: str = ""


def _pip() -> Path:
    """A pip to download with (the test venv may have none; a stdlib venv does), made once."""
    venv = CACHE / "pip-venv"
    if not (venv / "bin" / "pip").is_file():
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300
        )
    return venv / "bin" / "pip"


def cached_sdist(project: RealProject) -> Path:
    """The project's sdist from the cache, downloaded (hash pinned) when missing or altered."""
    folder = CACHE / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob(project.sdist):
        if hashlib.sha256(path.read_bytes()).hexdigest() == project.sha256:
            return path
        path.unlink()
    requirements = folder / f"{project.name}.requirements.txt"
    requirements.write_text(
        f"{project.name}=={project.version} --hash=sha256:{project.sha256}\n", encoding="utf-8"
    )
    subprocess.run(
        [
            str(_pip()),
            "--isolated",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--require-hashes",
            "-r",
            str(requirements),
            "-d",
            str(folder),
        ],
        check=True,
        capture_output=True,
        env=clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1"),
        timeout=300,
    )
    return folder / project.sdist


def project_env() -> dict[str, str]:
    """The environment a user's shell would give: without this test run's own pytest variables
    (an xdist worker's PYTEST_XDIST_WORKER makes a project's pytest-benchmark warn, and a suite
    with filterwarnings = error fail)."""
    return {k: v for k, v in clean_env().items() if not k.startswith("PYTEST_")}


def adopt(project: RealProject, into: Path) -> Outcome:
    """Unpack, git init + tag, `noxline init` + commit (the tag moved onto it), then the first
    four jobs."""
    outcome = Outcome()
    start = time.monotonic()
    try:
        with tarfile.open(cached_sdist(project)) as archive:
            archive.extractall(into, filter="data")
        (root,) = [path for path in into.iterdir() if path.is_dir()]
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"{project.name} {project.version} from its sdist")
        git(root, "tag", project.tag)
        outcome.init = subprocess.run(
            [sys.executable, "-m", "noxline.cli", "init"],
            cwd=root,
            env=project_env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "adopt noxline")
        # The release is the adopted commit: the tag moves there (init read the convention).
        git(root, "tag", "-f", project.tag)
        left_out = " and ".join(f"not {name}" for name in project.clock_bound)
        posargs = ("--", "-k", left_out) if left_out else ()
        outcome.run = run_nox(root, "-s", *FIRST_JOBS, *posargs, env=project_env(), check=False)
        dist = root / "dist"
        outcome.built = tuple(
            (
                parse_wheel_filename(path.name)[1]
                if path.suffix == ".whl"
                else parse_sdist_filename(path.name)[1]
            )
            for path in sorted(dist.glob("*"))
            if path.suffix == ".whl" or path.name.endswith(".tar.gz")
        )
        outcome.status = git(root, "status", "--porcelain", "--untracked-files=all")
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        outcome.error = f"{type(error).__name__}: {error}"
    outcome.seconds = time.monotonic() - start
    return outcome


@pytest.fixture(scope="module", name="outcomes")
def fixture_outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Adopt every project of the corpus, several at once; print the wall time."""
    root = tmp_path_factory.mktemp("corpus")
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {
            project.name: pool.submit(adopt, project, root / project.name) for project in PROJECTS
        }
        results = {
            name: future.result(timeout=PROJECT_TIMEOUT * 2) for name, future in futures.items()
        }
    took = ", ".join(f"{name} {outcome.seconds:.0f} s" for name, outcome in results.items())
    print(f"\ncorpus of {len(PROJECTS)} real sdists: {time.monotonic() - start:.0f} s ({took})")
    yield results
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_a_real_library_adopts_noxline_green_and_clean(
    outcomes: dict[str, Outcome], project: RealProject
) -> None:
    """init alone, then version, build, wheel-install and tests: green, exactly the tagged
    version built, the tests found where the project keeps them, and the tree left as found."""
    outcome = outcomes[project.name]
    assert outcome.error == ""
    assert outcome.init is not None and outcome.init.returncode == 0, outcome.init
    assert f"tests in {project.tests}/ run by {project.runner}" in outcome.init.stdout
    assert outcome.run is not None
    log = outcome.run.stdout + outcome.run.stderr
    assert outcome.run.returncode == 0, log[-6000:]
    coverage_run = next(line for line in log.splitlines() if "coverage run" in line)
    assert all(f"not {name}" in coverage_run for name in project.clock_bound), coverage_run
    assert outcome.built == (Version(project.version), Version(project.version)), log[-3000:]
    assert outcome.status == "", outcome.status
