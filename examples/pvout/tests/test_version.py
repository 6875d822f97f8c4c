"""Tests for the package version and public API."""

from __future__ import annotations

import unittest
from importlib import metadata
from unittest import mock

import pvout
from pvout import _version


class VersionTest(unittest.TestCase):
    """__version__ resolution."""

    def test_installed_version(self) -> None:
        """The installed distribution reports 0.1.0."""
        self.assertEqual(pvout.__version__, "0.1.0")

    def test_fallback_to_version_file(self) -> None:
        """Without distribution metadata the bundled VERSION file is read."""
        missing = metadata.PackageNotFoundError("pvout")
        with mock.patch("importlib.metadata.version", side_effect=missing) as version:
            self.assertEqual(_version.get_version(), "0.1.0")
        version.assert_called_once_with("pvout")

    def test_public_names_exist(self) -> None:
        """Every name in __all__ is importable from the package."""
        for name in pvout.__all__:
            with self.subTest(name=name):
                self.assertTrue(hasattr(pvout, name))


if __name__ == "__main__":
    unittest.main()
