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
        """__version__ is the installed distribution's version (the pipeline writes it per build)."""
        self.assertEqual(pvout.__version__, metadata.version("pvout"))

    def test_fallback_to_version_file(self) -> None:
        """Without distribution metadata the bundled VERSION file, written with the version, is read."""
        installed = metadata.version("pvout")
        missing = metadata.PackageNotFoundError("pvout")
        with mock.patch("importlib.metadata.version", side_effect=missing) as version:
            self.assertEqual(_version.get_version(), installed)
        version.assert_called_once_with("pvout")

    def test_public_names_exist(self) -> None:
        """Every name in __all__ is importable from the package."""
        for name in pvout.__all__:
            with self.subTest(name=name):
                self.assertTrue(hasattr(pvout, name))


if __name__ == "__main__":
    unittest.main()
