"""noxline's own pipeline, run by noxline from this source tree (dogfooding)."""

# /// script
# dependencies = [
#     "nox>=2026.10.20",
#     "packaging>=24",
#     "tomlkit>=0.12",
#     "PyYAML>=6",
#     "dependency-groups>=1.3",
#     "regex>=2024.4",
# ]
# ///

import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent / "src"))

import noxline  # pylint: disable=wrong-import-position

nox.needs_version = ">=2026.10.20"
noxline.register()
