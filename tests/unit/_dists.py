"""Minimal, well-formed wheels and sdists for tests: just the metadata publish reads.

The bytes are deterministic (fixed timestamps), so tests can serve them from a fake index and
compare hashes; ``meta_name``/``meta_version`` let a test make the metadata lie about the file.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from noxline.config import Settings, load_settings, replace
from noxline.dist import Dist, verified_dist, write_sums
from tests.helpers import git
from tests.unit._projects import write_project


def metadata(name: str, version: str) -> bytes:
    """A core-metadata file for ``name`` ``version``."""
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n".encode()


def wheel_bytes(name: str, version: str, *, meta_name: str = "", meta_version: str = "") -> bytes:
    """A wheel of ``name`` ``version`` whose METADATA says ``meta_name`` ``meta_version``."""
    stem = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(f"{stem}.dist-info/METADATA", date_time=(2020, 1, 1, 0, 0, 0))
        archive.writestr(info, metadata(meta_name or name, meta_version or version))
    return buffer.getvalue()


def sdist_bytes(name: str, version: str, *, meta_name: str = "", meta_version: str = "") -> bytes:
    """An sdist of ``name`` ``version`` whose PKG-INFO says ``meta_name`` ``meta_version``."""
    stem = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    data = metadata(meta_name or name, meta_version or version)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        folder = tarfile.TarInfo(stem)
        folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, 1_577_836_800
        archive.addfile(folder)  # one top-level folder, as twine expects of an sdist
        info = tarfile.TarInfo(f"{stem}/PKG-INFO")
        info.size, info.mtime = len(data), 1_577_836_800
        archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


#: The stand-in project of the publish tests (tests/unit/_projects.py) and its release files.
TINY_WHEEL = "tiny_lib-1.2.3-py3-none-any.whl"
TINY_SDIST = "tiny_lib-1.2.3.tar.gz"
TINY_WHEEL_BYTES = wheel_bytes("tiny-lib", "1.2.3")
TINY_SDIST_BYTES = sdist_bytes("tiny-lib", "1.2.3")


def committed_tiny_project(folder: Path) -> Path:
    """tiny-lib written to ``folder`` and committed to git (a local release needs a clean tree)."""
    project = write_project(folder)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "tiny")
    return project


def tiny_settings(folder: Path, **changes: Any) -> Settings:
    """The settings of tiny-lib committed in ``folder`` (as :func:`committed_tiny_project`), with
    ``changes`` (short deadlines, trusted publishing, ...)."""
    return replace(load_settings(committed_tiny_project(folder)), **changes)


def tiny_dist(settings: Settings) -> Dist:
    """A checked dist/ of tiny-lib 1.2.3 with well-formed metadata, in the project."""
    folder = settings.project_dir / settings.dist_dir
    folder.mkdir()
    (folder / TINY_WHEEL).write_bytes(TINY_WHEEL_BYTES)
    (folder / TINY_SDIST).write_bytes(TINY_SDIST_BYTES)
    write_sums(folder)
    return verified_dist(folder, settings.name)
