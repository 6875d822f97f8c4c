"""Fixtures shared by the unit and end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import PackageIndex, pypiserver


@pytest.fixture
def package_index(tmp_path: Path) -> Iterator[PackageIndex]:
    """A fresh pypiserver on 127.0.0.1 with upload auth, stopped after the test."""
    with pypiserver(tmp_path / "index") as index:
        yield index
