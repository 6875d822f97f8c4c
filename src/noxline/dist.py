"""The built distribution files and their ``SHA256SUMS``: the one artifact every later job trusts.

``build`` writes ``dist/SHA256SUMS`` in the ``sha256sum`` format; ``wheel-install``, ``tests`` and
``publish`` read the files only through :func:`verified_dist`, so they use exactly what was built.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from noxline.errors import NoxlineError

SUMS_NAME = "SHA256SUMS"


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
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_sums(dist_dir: Path) -> Path:
    """Write ``SHA256SUMS`` for every file in ``dist_dir`` (the format ``sha256sum -c`` checks)."""
    files = sorted(p for p in dist_dir.iterdir() if p.is_file() and p.name != SUMS_NAME)
    lines = [f"{sha256_of(path)}  {path.name}\n" for path in files]
    target = dist_dir / SUMS_NAME
    target.write_text("".join(lines), encoding="utf-8")
    return target


def read_sums(dist_dir: Path) -> dict[str, str]:
    """Map file name → SHA-256 from ``dist_dir/SHA256SUMS``."""
    path = dist_dir / SUMS_NAME
    if not path.is_file():
        raise NoxlineError(
            f"{path} is missing: the build job writes it; run `nox -s build` "
            "(in CI: make this job need `build`)"
        )
    sums: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name or "/" in name:
            raise NoxlineError(f"{path} line {number} is not '<sha256>  <file name>': {line!r}")
        sums[name.lstrip("*")] = digest
    return sums


def verified_dist(dist_dir: Path, project_name: str) -> Dist:
    """Check ``dist_dir`` against its ``SHA256SUMS`` and return its wheel and sdist.

    Refuses a changed, missing or extra file, a file of another project, and anything but one
    wheel and one sdist of a single version: a job must never pick up a stale or foreign file.
    """
    sums = read_sums(dist_dir)
    present = {p.name for p in dist_dir.iterdir() if p.is_file() and p.name != SUMS_NAME}
    extra = sorted(present - set(sums))
    missing = sorted(set(sums) - present)
    if extra or missing:
        raise NoxlineError(
            f"{dist_dir} does not match its {SUMS_NAME} (extra: {', '.join(extra) or 'none'}; "
            f"missing: {', '.join(missing) or 'none'}): rebuild with `nox -s build`"
        )
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
    if wheels[0].version != sdists[0].version:
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


def _describe(path: Path, digest: str) -> DistFile:
    """Parse a distribution file name."""
    try:
        kind, name, version = parse_filename(path.name)
    except ValueError:
        raise NoxlineError(f"{path.name} in {path.parent} is not a wheel or an sdist") from None
    return DistFile(path, digest, kind, name, version)
