"""Fixtures the publish tests share, unit and end-to-end alike (their helpers: tests/unit/_*.py).

A module using ``dist`` defines its own ``settings`` fixture (tiny-lib with the deadlines or
options it tests, :func:`tests.unit._dists.tiny_settings`); ``dist`` is built in that project.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from noxline.config import Settings
from noxline.dist import Dist
from tests.unit._dists import tiny_dist
from tests.unit._hostile_server import Server, running


@pytest.fixture(name="dist")
def dist_fixture(settings: Settings) -> Dist:
    """A checked dist/ of tiny-lib 1.2.3 with well-formed metadata, in ``settings``' project."""
    return tiny_dist(settings)


@pytest.fixture(name="hostile_index")
def hostile_index_fixture() -> Iterator[Server]:
    """A hostile index on 127.0.0.1 (tests/unit/_hostile_server.py), stopped after the test."""
    with running() as server:
        yield server
