"""Minimal, well-formed wheels and sdists for tests: just the metadata publish reads.

The bytes are deterministic (fixed timestamps), so tests can serve them from a fake index and
compare hashes; ``meta_name``/``meta_version`` let a test make the metadata lie about the file.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

from packaging.utils import canonicalize_name


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
        info = tarfile.TarInfo(f"{stem}/PKG-INFO")
        info.size, info.mtime = len(data), 1_577_836_800
        archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)
