"""The shapes once refused at init, adopted end to end: a version plugin noxline does not know,
setuptools' declarative setup.cfg (with pyproject.toml holding only [build-system], and with a
setup.py shim and no pyproject.toml), and a package without a readme.

Each shape is one real project and one ``nox -s publish`` run (version, build, wheel-install,
tests, then publish's dry run), with real setuptools and the real plugin from the index.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import git, make_project, run_nox, run_noxline


@dataclass(frozen=True)
class Shape:
    """A fixture project, the tags it gets, and what its pipeline must build."""

    fixture: str
    #: Tags on the first commit (before init) and on the adopted commit.
    first_tags: tuple[str, ...]
    head_tags: tuple[str, ...]
    #: The version the wheel must carry, and the files the project must still hold unchanged.
    version: str
    tests: int
    #: What init says of the version source.
    origin: str


SHAPES = {
    # Tag v1.0.0-dryrun rehearses 1.0.0: the plugin, which noxline does not know, must derive
    # 1.0.0 from the build copy's tag (read back from the wheel), and publish dry-runs it.
    "git_versioning": Shape(
        "git_versioning",
        ("v0.9.0",),
        ("v1.0.0-dryrun",),
        "1.0.0",
        1,
        "from setuptools-git-versioning, read back from the built wheel",
    ),
    # pyproject.toml with only [build-system]; version = attr: cfgattr.__version__ (0.4.0).
    "setupcfg_attr": Shape(
        "setupcfg_attr", (), (), "0.4.0.dev2", 2, "in src/cfgattr/__init__.py (__version__)"
    ),
    # No pyproject.toml (init creates one for [tool.noxline]); version = 2.1.0 in setup.cfg.
    "setupcfg_shim": Shape("setupcfg_shim", (), (), "2.1.0.dev2", 1, "in setup.cfg (version)"),
    # No readme: twine check warns, the build passes.
    "no_readme": Shape("no_readme", (), (), "0.2.0.dev2", 1, "static in pyproject.toml"),
}


def _adopt(tmp_path: Path, shape: Shape) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The shape as a git repository, tagged, adopted with `noxline init` and committed."""
    project = make_project(tmp_path, f"shapes/{shape.fixture}")
    for tag in shape.first_tags:
        git(project, "tag", tag)
    adopted = run_noxline(project, "init")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "adopt noxline")
    for tag in shape.head_tags:
        git(project, "tag", tag)
    return project, adopted


def _wheel_metadata(project: Path) -> str:
    """The METADATA text of the one wheel in dist/."""
    (wheel,) = (project / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return archive.read(name).decode("utf-8")


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_the_shape_adopts_green_and_publishes_its_built_version(tmp_path: Path, name: str) -> None:
    """init adopts the shape; version, build, wheel-install, tests and publish's dry run pass on
    the wheel of the expected version, and the tree is left as it was."""
    shape = SHAPES[name]
    project, adopted = _adopt(tmp_path, shape)
    tracked = {path: (project / path).read_bytes() for path in git(project, "ls-files").split()}
    assert f"  version {shape.origin}\n" in adopted.stdout

    result = run_nox(project, "-s", "publish", check=False)

    log = result.stdout + result.stderr
    for session in ("version", "build", "wheel-install", "tests", "publish"):
        assert f"* {session}: success" in log, log[-4000:]
    metadata = _wheel_metadata(project)
    assert f"\nVersion: {shape.version}\n" in metadata
    built = sorted(path.name for path in (project / "dist").iterdir())
    assert len(built) == 3 and all(shape.version in item for item in built[1:]), built
    junit = ET.parse(project / "reports" / "tests" / "junit.xml").getroot()
    assert len(list(junit.iter("testcase"))) == shape.tests
    assert not list(junit.iter("failure")) and not list(junit.iter("error"))
    record = json.loads((project / "reports" / "publish" / "publish.json").read_text("utf-8"))
    assert record["outcome"] == "dry-run" and record["decision"]["version"] == shape.version
    assert sorted(item["filename"] for item in record["files"]) == built[1:], record
    # The version was stamped into the build copy only: no tracked file changed, nothing left.
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    assert {path: (project / path).read_bytes() for path in tracked} == tracked
    summary = (project / "reports" / "build" / "summary.txt").read_text("utf-8")
    if name == "no_readme":
        assert "`long_description` missing" in log and "strict-metadata = true" in log
        assert "(2 warnings: see the log)" in summary
        assert "names no readme" in adopted.stdout
    else:
        assert "warning" not in summary and "names no readme" not in adopted.stdout
    if name == "setupcfg_shim":
        assert "  created    pyproject.toml: added [tool.noxline]" in adopted.stdout
        assert "holds only [tool.noxline] (without [build-system], as before)" in adopted.stdout
        created = (project / "pyproject.toml").read_text("utf-8")
        assert created.startswith("[tool.noxline]\n") and set(tomllib.loads(created)) == {"tool"}
    if name == "git_versioning":
        assert "setuptools-git-versioning, which noxline cannot write into" in log


def test_strict_metadata_makes_a_missing_readme_fail_the_build(tmp_path: Path) -> None:
    """With strict-metadata = true the same package without a readme fails the build, with one
    line naming the cause and both fixes."""
    project, _ = _adopt(tmp_path, SHAPES["no_readme"])
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text("utf-8").replace(
            "[tool.noxline]\n", "[tool.noxline]\nstrict-metadata = true\n"
        ),
        encoding="utf-8",
    )
    git(project, "commit", "-q", "-am", "strict metadata")

    result = run_nox(project, "-s", "version", "build", check=False)

    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "* build: aborted" in log
    assert "FAILED due to warnings" in log  # twine's own output, echoed
    (line,) = [line for line in log.splitlines() if "Session build aborted" in line]
    assert "twine check --strict failed (strict-metadata = true): " in line
    assert "`long_description` missing." in line
    assert "remove strict-metadata from [tool.noxline]" in line
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
