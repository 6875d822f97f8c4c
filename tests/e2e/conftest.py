"""Fixtures and markers of the end-to-end tests.

Every test here is marked ``e2e``. The slow runs several tests read are made once per session: one
``noxline run`` of the whole pipeline on minilib as it is, and one on a broken copy. The tests that
read them share the ``xdist_group`` :data:`tests.helpers.MINILIB_RUNS`, so pytest-xdist runs them
on one worker and each run is made once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FakeOSV, running
from tests.helpers import NoxlineRun, PackageIndex, git, make_project, pypiserver, run_noxline


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e ``e2e``."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def package_index(tmp_path: Path) -> Iterator[PackageIndex]:
    """A fresh pypiserver on 127.0.0.1 with upload auth, stopped after the test."""
    with pypiserver(tmp_path / "index") as index:
        yield index


@pytest.fixture(name="osv", scope="session")
def osv_fixture() -> Iterator[FakeOSV]:
    """A vulnerability service on 127.0.0.1 that knows no advisory (OSV's is not reachable here)."""
    osv = FakeOSV()
    with running(osv):
        yield osv


def minilib_audited_by(tmp_path: Path, osv: FakeOSV) -> Path:
    """A minilib repository whose audit job asks ``osv``, committed."""
    project = make_project(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    setting = f'[tool.noxline]\naudit-osv-url = "{osv.url}/v1/query"\n'
    pyproject.write_text(text.replace("[tool.noxline]\n", setting, 1), encoding="utf-8")
    git(project, "commit", "-qam", "audit against the local OSV service")
    return project


@pytest.fixture(name="minilib_run", scope="session")
def minilib_run_fixture(tmp_path_factory: pytest.TempPathFactory, osv: FakeOSV) -> NoxlineRun:
    """The whole pipeline, run once by ``noxline run`` on minilib as it is (all green)."""
    project = minilib_audited_by(tmp_path_factory.mktemp("minilib-run"), osv)
    return NoxlineRun(project, run_noxline(project, "run"))


@pytest.fixture(name="broken_minilib_run", scope="session")
def broken_minilib_run_fixture(
    tmp_path_factory: pytest.TempPathFactory, osv: FakeOSV
) -> NoxlineRun:
    """The whole pipeline on minilib with a failing test and a badly formatted module."""
    project = minilib_audited_by(tmp_path_factory.mktemp("broken-minilib-run"), osv)
    test_file = project / "tests/test_mean.py"
    test_file.write_text(
        test_file.read_text(encoding="utf-8").replace("6.0]), 3.0)", "6.0]), 4.0)"),
        encoding="utf-8",
    )
    (project / "src/minilib/ugly.py").write_text('"""Ugly."""\nx   =  [1,2]\n', "utf-8")
    return NoxlineRun(project, run_noxline(project, "run"))
