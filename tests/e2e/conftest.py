"""Fixtures and markers of the end-to-end tests.

Every test here is marked ``e2e``. The slow runs several tests read are made once per session: the
whole pipeline of minilib at its 1.2.3 release tag (:func:`release_runs_fixture`; minilib as it
is, with one dependency, publishing and releasing), and the release path and black on a broken
copy. The tests that read them share the ``xdist_group`` :data:`tests.helpers.MINILIB_RUNS`, so
pytest-xdist runs them on one worker and each run is made once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e._release import ADVISORY, ALIAS, DEPENDENCY, ReleaseRuns, run_release
from tests.fakes import FakeGitLab, FakeOSV, osv_advisory, running
from tests.helpers import NoxlineRun, PackageIndex, git, make_project, pypiserver, run_noxline


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e ``e2e``; refuse a test with two ``xdist_group`` marks.

    pytest-xdist joins a test's groups into a third group of its own name, so a test marked
    for a shared fixture's group beside its module's group runs on another worker, which makes
    the shared whole-pipeline fixture a second time: the suite stays green, only slower.
    """
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
        groups = [mark.args[0] for mark in item.iter_markers("xdist_group") if mark.args]
        if not groups and item.get_closest_marker("waits"):
            # One worker waits through them all while the others (and our gates) use the cores:
            # handed out singly, two workers waited at once and left the cores 60-80 % idle
            # for half a minute. pytest-xdist reads the group after this hook.
            item.add_marker(pytest.mark.xdist_group(WAITS_GROUP))
            groups = [WAITS_GROUP]
        if len(groups) > 1:
            raise pytest.UsageError(
                f"{item.nodeid} is in the xdist groups {groups}: pytest-xdist would run it apart "
                "from both; keep one (drop the module's pytestmark group, mark tests one by one)"
            )
    # pytest-xdist hands out the groups with the most tests first (--loadscope-reorder, its
    # default), then the single tests in this order. The waiting tests, the largest group, start
    # on one worker beside the two longest groups and our gates, which use the core it leaves;
    # the short tests fill the gaps. (Keeping this order for the groups too,
    # --no-loadscope-reorder, measured 396 s twice against 350 and 364 s: it is not used.)
    items.sort(key=_duration_rank)


#: The group of the tests that mostly wait (marked ``waits``, in no other group).
WAITS_GROUP = "waits"

#: The xdist groups that take longest, longest first (about 150 and 120 s on one worker).
LONGEST_GROUPS = ("gitlab-ci-local", "real-sdists")


def _duration_rank(item: pytest.Item) -> int:
    """Where ``item`` goes in the run: the longest groups, the tests that mostly wait, other
    groups (a shared slow run), other end-to-end tests, then the unit tests (sort is stable
    within each)."""
    group = item.get_closest_marker("xdist_group")
    name = group.args[0] if group is not None and group.args else None
    if name in LONGEST_GROUPS:
        return LONGEST_GROUPS.index(name)
    if item.get_closest_marker("waits"):
        return len(LONGEST_GROUPS)
    if name is not None:
        return len(LONGEST_GROUPS) + 1
    return len(LONGEST_GROUPS) + (2 if item.get_closest_marker("e2e") else 3)


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


@pytest.fixture(name="release_runs", scope="session")
def release_runs_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReleaseRuns]:
    """minilib released at 1.2.3 by ``noxline run`` (every job), then ``noxline run release``;
    the index, OSV and GitLab it talked to stay up for the session's tests."""
    root = tmp_path_factory.mktemp("minilib-release")
    advisory = osv_advisory(ADVISORY, DEPENDENCY[0], "3.7", ALIAS)
    with (
        running(FakeOSV(advisories={DEPENDENCY: [advisory]})) as osv,
        running(FakeGitLab()) as gitlab,
        pypiserver(root / "index") as index,
    ):
        assert isinstance(osv, FakeOSV) and isinstance(gitlab, FakeGitLab)
        yield run_release(root / "project", osv, index, gitlab)


@pytest.fixture(name="minilib_run", scope="session")
def minilib_run_fixture(release_runs: ReleaseRuns) -> NoxlineRun:
    """The whole pipeline, run once by ``noxline run`` on minilib at its release tag (green)."""
    return release_runs.first


@pytest.fixture(name="broken_minilib_run", scope="session")
def broken_minilib_run_fixture(
    tmp_path_factory: pytest.TempPathFactory, osv: FakeOSV
) -> NoxlineRun:
    """minilib with a failing test and a badly formatted module: ``publish`` (and all it needs:
    version, build, wheel-install, tests) and ``black``. The other checks have nothing to do with
    the breakage; the whole green pipeline is :func:`minilib_run`'s."""
    project = minilib_audited_by(tmp_path_factory.mktemp("broken-minilib-run"), osv)
    test_file = project / "tests/test_mean.py"
    test_file.write_text(
        test_file.read_text(encoding="utf-8").replace("6.0]), 3.0)", "6.0]), 4.0)"),
        encoding="utf-8",
    )
    (project / "src/minilib/ugly.py").write_text('"""Ugly."""\nx   =  [1,2]\n', "utf-8")
    return NoxlineRun(project, run_noxline(project, "run", "publish", "black"))
