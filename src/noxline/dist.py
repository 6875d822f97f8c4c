"""The built distribution files and their ``SHA256SUMS``: the one artifact every later job trusts.

``build`` writes ``dist/SHA256SUMS`` in the ``sha256sum`` format; ``wheel-install``, ``tests`` and
``publish`` read the files only through :func:`verified_dist`, so they use exactly what was built.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from collections.abc import Mapping
from typing import TypeVar
from pathlib import Path, PurePosixPath

from packaging.metadata import parse_email
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from noxline import confine
from noxline.errors import NoxlineError

#: What an index listing maps file names to (a URL, a sha256).
T = TypeVar("T")

SUMS_NAME = "SHA256SUMS"
#: Largest metadata file read from a wheel or sdist (real ones are a few kB; README included).
MAX_METADATA_BYTES = 4 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DistFile:
    """One checked file of ``dist/``."""

    path: Path
    sha256: str
    kind: str  # "wheel" or "sdist"
    name: str  # canonical project name
    version: Version


@dataclass(frozen=True)
class Dist:
    """The verified contents of ``dist/``: exactly one wheel and one sdist of one version."""

    wheel: DistFile
    sdist: DistFile

    @property
    def files(self) -> tuple[DistFile, DistFile]:
        """Wheel then sdist (the order twine uploads them in)."""
        return (self.wheel, self.sdist)

    @property
    def version(self) -> Version:
        """The version both files carry."""
        return self.wheel.version


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with confine.open_read(path.parent, path.name) as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_sums(dist_dir: Path) -> Path:
    """Write ``SHA256SUMS`` for every file in ``dist_dir`` (the format ``sha256sum -c`` checks)."""
    files = sorted(p for p in dist_dir.iterdir() if p.is_file() and p.name != SUMS_NAME)
    lines = [f"{sha256_of(path)}  {path.name}\n" for path in files]
    target = dist_dir / SUMS_NAME
    confine.write_text(dist_dir, SUMS_NAME, "".join(lines), exact=True)
    return target


def read_sums(dist_dir: Path) -> dict[str, str]:
    """Map file name → SHA-256 from ``dist_dir/SHA256SUMS``."""
    path = dist_dir / SUMS_NAME
    if not path.is_file():
        raise NoxlineError(
            f"{path} is missing: the build job writes it; run `nox -s build` "
            "(in CI: make this job need `build`)"
        )
    try:
        text = confine.read_bytes(dist_dir, SUMS_NAME).decode("utf-8")
    except UnicodeDecodeError:
        raise NoxlineError(
            f"{path} is not UTF-8 text, so it is not the file build wrote: rebuild with "
            "`nox -s build`"
        ) from None
    sums: dict[str, str] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line:
            continue
        digest, sep, name = line.partition("  ")
        name = name[1:] if name.startswith("*") else name  # sha256sum's binary-mode marker
        if not sep or not _SHA256.fullmatch(digest) or not _plain_file_name(name):
            raise NoxlineError(
                f"{path} line {number} is not '<sha256>  <file name>': {line[:200]!r}; rebuild "
                "with `nox -s build`"
            )
        if sums.setdefault(name, digest) != digest:
            raise NoxlineError(
                f"{path} lists {name} twice with different sha256: it is ambiguous which file "
                "was built, so none is trusted; rebuild with `nox -s build`"
            )
    return sums


def verified_dist(dist_dir: Path, project_name: str) -> Dist:
    """Check ``dist_dir`` against its ``SHA256SUMS`` and return its wheel and sdist.

    Refuses a changed, missing or extra file, a file of another project, and anything but one
    wheel and one sdist of a single version: a job must never pick up a stale or foreign file.
    """
    sums = read_sums(dist_dir)
    _check_listing(dist_dir, sums)
    files: list[DistFile] = []
    for name, digest in sorted(sums.items()):
        path = dist_dir / name
        actual = sha256_of(path)
        if actual != digest:
            raise NoxlineError(
                f"{path} changed after the build (sha256 {actual}, {SUMS_NAME} says {digest}): "
                "rebuild with `nox -s build`"
            )
        files.append(_describe(path, digest))
    wheels = [f for f in files if f.kind == "wheel"]
    sdists = [f for f in files if f.kind == "sdist"]
    wanted = canonicalize_name(project_name)
    if len(wheels) != 1 or len(sdists) != 1:
        raise NoxlineError(
            f"{dist_dir} must hold exactly one wheel and one sdist, it holds "
            f"{len(wheels)} wheel(s) and {len(sdists)} sdist(s): rebuild with `nox -s build`"
        )
    for item in files:
        if item.name != wanted:
            raise NoxlineError(f"{item.path.name} is not a distribution of {project_name}")
    if str(wheels[0].version) != str(sdists[0].version):  # 1.2.3.0 == 1.2.3 to PEP 440 only
        raise NoxlineError(
            f"wheel {wheels[0].path.name} and sdist {sdists[0].path.name} carry different versions"
        )
    return Dist(wheel=wheels[0], sdist=sdists[0])


def parse_filename(filename: str) -> tuple[str, str, Version]:
    """Kind (``wheel`` or ``sdist``), canonical project name and version of a distribution file.

    Raises ``ValueError`` (packaging's own errors) when ``filename`` is neither.
    """
    if filename.endswith(".whl"):
        name, version, _, _ = parse_wheel_filename(filename)
        return "wheel", str(name), version
    name, version = parse_sdist_filename(filename)
    return "sdist", str(name), version


def listed_as(listing: Mapping[str, T], filename: str) -> T | None:
    """What ``listing`` (file name -> anything, as an index lists it) holds for ``filename``,
    whatever the spelling (:func:`file_key`: the one comparison of file names); None when it
    lists no spelling of it. Several spellings with different values are ambiguous: the first is
    taken only when all agree, else :class:`NoxlineError`."""
    wanted = file_key(filename)
    found = [(name, value) for name, value in listing.items() if file_key(name) == wanted]
    if len({repr(value) for _, value in found}) > 1:
        raise NoxlineError(
            f"the index lists {' and '.join(name for name, _ in found)} for {filename} with "
            "different contents: it is inconsistent; fix the index"
        )
    return found[0][1] if found else None


def file_key(filename: str) -> str:
    """What identifies a distribution file whatever its spelling: ``Tiny_Lib-1.2.3.tar.gz`` and
    ``tiny_lib-1.2.3.tar.gz`` are one file to an index and to installers (names compared
    canonically, the version normalised but not padded: 1.2.3.0 is another file). Other names stay
    as they are.
    """
    try:
        if filename.endswith(".whl"):
            name, version, build, tags = parse_wheel_filename(filename)
            return f"wheel {name} {version} {build} {sorted(str(tag) for tag in tags)}"
        name, version = parse_sdist_filename(filename)
    except ValueError:  # InvalidWheelFilename, InvalidSdistFilename, InvalidVersion
        return filename
    suffix = ".zip" if filename.endswith(".zip") else ".tar.gz"
    return f"sdist {name} {version}{suffix}"


def _check_listing(dist_dir: Path, sums: dict[str, str]) -> None:
    """Refuse symbolic links, and files missing from or extra to ``SHA256SUMS``."""
    links = sorted(p.name for p in dist_dir.iterdir() if p.is_symlink())
    if links:
        raise NoxlineError(
            f"{dist_dir} holds symbolic links ({', '.join(links)}): build writes plain files "
            "only; rebuild with `nox -s build`"
        )
    present = {p.name for p in dist_dir.iterdir() if p.is_file() and p.name != SUMS_NAME}
    extra = sorted(present - set(sums))
    missing = sorted(set(sums) - present)
    if extra or missing:
        raise NoxlineError(
            f"{dist_dir} does not match its {SUMS_NAME} (extra: {', '.join(extra) or 'none'}; "
            f"missing: {', '.join(missing) or 'none'}): rebuild with `nox -s build`"
        )


def wheel_metadata(item: DistFile) -> bytes:
    """The bytes of the wheel's METADATA (bounded in size); one line when it cannot be read."""
    try:
        return _wheel_metadata(item.path)
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise NoxlineError(
            f"cannot read the metadata inside {item.path.name} ({type(error).__name__}): it is "
            "not a well-formed wheel; rebuild with `nox -s build`"
        ) from None


def read_file_metadata(item: DistFile) -> tuple[str, Version]:
    """Canonical name and version from inside a dist file (wheel METADATA, sdist PKG-INFO).

    The file name can say anything; the metadata is what installers use, so publish compares it.
    """
    try:
        raw = _wheel_metadata(item.path) if item.kind == "wheel" else _sdist_metadata(item.path)
        headers = BytesHeaderParser().parsebytes(raw)
        name, version = headers.get("Name"), headers.get("Version")
        if not isinstance(name, str) or not isinstance(version, str):
            raise ValueError("no Name or Version")
        return canonicalize_name(name), Version(version)
    except (OSError, ValueError, InvalidVersion, zipfile.BadZipFile, tarfile.TarError) as error:
        raise NoxlineError(
            f"cannot read the metadata inside {item.path.name} ({type(error).__name__}): it is "
            "not a well-formed distribution; rebuild with `nox -s build`"
        ) from None


def requires_anything(dist_dir: Path) -> bool:
    """True when a wheel in ``dist_dir`` declares a requirement (``Requires-Dist``, extras' too),
    or cannot be read to tell: what installing it resolves from the index is then no fact of
    the tree (a dependency declared dynamically, from a file or a build hook, counts as much as
    one in ``[project] dependencies``)."""
    try:
        for wheel in sorted(dist_dir.glob("*.whl")):
            parsed, unparsed = parse_email(_wheel_metadata(wheel))
            if parsed.get("requires_dist") or "requires-dist" in map(str.lower, unparsed):
                return True
    except (OSError, ValueError, zipfile.BadZipFile, NoxlineError):
        return True
    return False


def _wheel_metadata(path: Path) -> bytes:
    """The bytes of ``<name>-<version>.dist-info/METADATA`` (exactly one) in a wheel."""
    with confine.open_read(path.parent, path.name) as wheel, zipfile.ZipFile(wheel) as archive:
        found = [
            info
            for info in archive.infolist()
            if len(PurePosixPath(info.filename).parts) == 2
            and info.filename.endswith(".dist-info/METADATA")
        ]
        if len(found) != 1:
            raise ValueError(f"{len(found)} .dist-info/METADATA files")
        if found[0].file_size > MAX_METADATA_BYTES:
            raise ValueError("METADATA too large")
        with archive.open(found[0]) as stream:
            return stream.read(MAX_METADATA_BYTES + 1)[:MAX_METADATA_BYTES]


def _sdist_metadata(path: Path) -> bytes:
    """The bytes of the top-level ``<name>-<version>/PKG-INFO`` (exactly one) in an sdist."""
    with (
        confine.open_read(path.parent, path.name) as sdist,
        tarfile.open(fileobj=sdist, mode="r:gz") as archive,
    ):
        found = [
            member
            for member in archive.getmembers()
            if member.isfile()
            and len(PurePosixPath(member.name).parts) == 2
            and member.name.endswith("/PKG-INFO")
        ]
        if len(found) != 1 or found[0].size > MAX_METADATA_BYTES:
            raise ValueError(f"{len(found)} top-level PKG-INFO files, or too large")
        stream = archive.extractfile(found[0])
        if stream is None:
            raise ValueError("PKG-INFO unreadable")
        with stream:
            return stream.read(MAX_METADATA_BYTES)


def _plain_file_name(name: str) -> bool:
    """True for a bare file name: no folder, no '.'/'..', no control characters."""
    return (
        bool(name)
        and name not in (".", "..")
        and not any(char in name for char in "/\\")
        and all(ord(char) >= 32 and ord(char) != 127 for char in name)
    )


def _describe(path: Path, digest: str) -> DistFile:
    """Parse a distribution file name."""
    try:
        kind, name, version = parse_filename(path.name)
    except ValueError:
        raise NoxlineError(f"{path.name} in {path.parent} is not a wheel or an sdist") from None
    return DistFile(path, digest, kind, name, version)
