"""Tests for noxline.dist: SHA256SUMS written, read and verified, and every refusal of dist/."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

from noxline.dist import (
    SUMS_NAME,
    parse_filename,
    read_sums,
    requires_anything,
    sha256_of,
    verified_dist,
    write_sums,
)
from noxline.errors import NoxlineError

WHEEL = "minilib-1.2.3-py3-none-any.whl"
SDIST = "minilib-1.2.3.tar.gz"


def make_dist(root: Path, *names: str, sums: bool = True) -> Path:
    """A dist folder holding ``names`` (distinct contents per file) and, by default, SHA256SUMS."""
    dist = root / "dist"
    dist.mkdir()
    for name in names or (WHEEL, SDIST):
        (dist / name).write_bytes(f"contents of {name}\n".encode())
    if sums:
        write_sums(dist)
    return dist


def test_sha256_of_matches_hashlib(tmp_path: Path) -> None:
    """The chunked hash equals hashlib's over the whole file, also past one chunk."""
    data = bytes(range(256)) * 9000  # a little over two 1 MiB chunks
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()


def test_write_sums_lists_every_file_but_itself(tmp_path: Path) -> None:
    """One ``<sha256>  <name>`` line per file, sorted by name, SHA256SUMS itself left out."""
    dist = make_dist(tmp_path, SDIST, WHEEL, sums=False)
    (dist / "sub").mkdir()  # folders are not files of the distribution
    target = write_sums(dist)
    assert target == dist / SUMS_NAME
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines == [
        f"{sha256_of(dist / WHEEL)}  {WHEEL}",
        f"{sha256_of(dist / SDIST)}  {SDIST}",
    ]
    # Rewriting is stable: SHA256SUMS does not list itself the second time either.
    assert write_sums(dist).read_text(encoding="utf-8").splitlines() == lines


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum not installed")
def test_write_sums_is_checked_by_sha256sum(tmp_path: Path) -> None:
    """The file is in the format ``sha256sum -c`` verifies."""
    dist = make_dist(tmp_path)
    done = subprocess.run(
        ["sha256sum", "-c", SUMS_NAME], cwd=dist, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{WHEEL}: OK" in done.stdout


def test_read_sums_round_trips(tmp_path: Path) -> None:
    """read_sums returns what write_sums wrote; a binary-mode ``*`` marker is accepted."""
    dist = make_dist(tmp_path)
    assert read_sums(dist) == {WHEEL: sha256_of(dist / WHEEL), SDIST: sha256_of(dist / SDIST)}
    digest = "a" * 64
    (dist / SUMS_NAME).write_text(f"{digest}  *{WHEEL}\n", encoding="utf-8")
    assert read_sums(dist) == {WHEEL: digest}


def test_read_sums_missing_file_says_run_build(tmp_path: Path) -> None:
    """Without SHA256SUMS the message names the file and the build job that writes it."""
    dist = make_dist(tmp_path, sums=False)
    with pytest.raises(NoxlineError, match=r"SHA256SUMS is missing.*nox -s build"):
        read_sums(dist)


@pytest.mark.parametrize(
    "line",
    [
        f"{'a' * 64} {WHEEL}",  # one space: not the sha256sum format
        f"{'a' * 63}  {WHEEL}",  # short digest
        f"{'a' * 64}  ",  # no file name
        f"{'a' * 64}  ../{WHEEL}",  # a path, not a name in dist/
        f"{'g' * 64}  {WHEEL}",  # not hex
        f"{'A' * 64}  {WHEEL}",  # not the lower-case hex build writes
        f"{'a' * 64}  ..",  # not a file name
        f"{'a' * 64}  {WHEEL}\r",  # a control character in the name
        f"{'a' * 64}  sub\\{WHEEL}",  # a Windows path
    ],
)
def test_read_sums_refuses_malformed_lines(tmp_path: Path, line: str) -> None:
    """A malformed line is refused with its line number."""
    dist = make_dist(tmp_path, sums=False)
    (dist / SUMS_NAME).write_text(f"{'b' * 64}  {SDIST}\n{line}\n", encoding="utf-8")
    with pytest.raises(NoxlineError, match="line 2 is not"):
        read_sums(dist)


def test_verified_dist_returns_wheel_and_sdist(tmp_path: Path) -> None:
    """A matching dist/ gives the wheel, the sdist, their checksums and the common version."""
    dist = make_dist(tmp_path)
    checked = verified_dist(dist, "MiniLib")  # names compare in PEP 503 normal form
    assert checked.wheel.path == dist / WHEEL and checked.wheel.kind == "wheel"
    assert checked.sdist.path == dist / SDIST and checked.sdist.kind == "sdist"
    assert checked.files == (checked.wheel, checked.sdist)
    assert checked.version == Version("1.2.3")
    assert checked.wheel.sha256 == sha256_of(dist / WHEEL)
    assert checked.wheel.name == "minilib"


def test_verified_dist_refuses_a_changed_file(tmp_path: Path) -> None:
    """A file changed after the build is refused, naming both checksums."""
    dist = make_dist(tmp_path)
    before = sha256_of(dist / WHEEL)
    with (dist / WHEEL).open("ab") as stream:
        stream.write(b"tampered")
    with pytest.raises(NoxlineError, match=f"changed after the build.*{before}.*nox -s build"):
        verified_dist(dist, "minilib")


def test_verified_dist_refuses_an_extra_file(tmp_path: Path) -> None:
    """A file SHA256SUMS does not list is refused by name."""
    dist = make_dist(tmp_path)
    (dist / "minilib-1.2.2.tar.gz").write_bytes(b"stale")
    with pytest.raises(NoxlineError, match=r"extra: minilib-1\.2\.2\.tar\.gz; missing: none"):
        verified_dist(dist, "minilib")


def test_verified_dist_refuses_a_missing_file(tmp_path: Path) -> None:
    """A file SHA256SUMS lists but dist/ lacks is refused by name."""
    dist = make_dist(tmp_path)
    (dist / SDIST).unlink()
    with pytest.raises(NoxlineError, match=f"extra: none; missing: {SDIST}"):
        verified_dist(dist, "minilib")


@pytest.mark.parametrize(
    ("names", "counts"),
    [
        ((WHEEL,), "1 wheel.*0 sdist"),
        ((SDIST,), "0 wheel.*1 sdist"),
        ((WHEEL, "minilib-1.2.3-py311-none-any.whl", SDIST), "2 wheel.*1 sdist"),
    ],
)
def test_verified_dist_needs_one_wheel_and_one_sdist(
    tmp_path: Path, names: tuple[str, ...], counts: str
) -> None:
    """Anything but exactly one wheel and one sdist is refused with the counts."""
    dist = make_dist(tmp_path, *names)
    with pytest.raises(NoxlineError, match=f"exactly one wheel and one sdist.*{counts}"):
        verified_dist(dist, "minilib")


def test_verified_dist_refuses_another_project(tmp_path: Path) -> None:
    """Files of another project are refused even when they are a consistent pair."""
    dist = make_dist(tmp_path, "other-1.0-py3-none-any.whl", "other-1.0.tar.gz")
    with pytest.raises(NoxlineError, match="is not a distribution of minilib"):
        verified_dist(dist, "minilib")


def test_verified_dist_refuses_two_versions(tmp_path: Path) -> None:
    """A wheel and an sdist of different versions are refused."""
    dist = make_dist(tmp_path, WHEEL, "minilib-1.2.4.tar.gz")
    with pytest.raises(NoxlineError, match="carry different versions"):
        verified_dist(dist, "minilib")


def test_verified_dist_refuses_a_file_that_is_no_distribution(tmp_path: Path) -> None:
    """A listed file whose name is neither a wheel nor an sdist is refused by name."""
    dist = make_dist(tmp_path, WHEEL, SDIST, "notes.txt")
    with pytest.raises(NoxlineError, match="notes.txt in .* is not a wheel or an sdist"):
        verified_dist(dist, "minilib")


def test_verified_dist_without_sums_says_run_build(tmp_path: Path) -> None:
    """verified_dist reads SHA256SUMS first: a dist/ without it is refused with the fix."""
    dist = make_dist(tmp_path, sums=False)
    with pytest.raises(NoxlineError, match="SHA256SUMS is missing"):
        verified_dist(dist, "minilib")


def test_parse_filename_reads_kind_name_and_version() -> None:
    """One parser serves dist/ checks and the index's listing: wheels, sdists, and nothing else."""
    assert parse_filename("My_Lib-1.2.3-py3-none-any.whl") == ("wheel", "my-lib", Version("1.2.3"))
    assert parse_filename("my_lib-1.2.3rc1.tar.gz") == ("sdist", "my-lib", Version("1.2.3rc1"))
    with pytest.raises(ValueError):
        parse_filename("SHA256SUMS")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe" + b"a" * 64 + b"  x.whl\n", "is not UTF-8 text"),
        (
            f"{'a' * 64}  {WHEEL}\n{'b' * 64}  {WHEEL}\n".encode(),
            f"lists {WHEEL} twice with different sha256",
        ),
    ],
    ids=["not-utf8", "conflicting-duplicate"],
)
def test_read_sums_refuses_ambiguous_or_broken_files(
    tmp_path: Path, content: bytes, message: str
) -> None:
    """Broken or ambiguous SHA256SUMS: one clear error, never a traceback or the last line wins."""
    dist = make_dist(tmp_path, sums=False)
    (dist / SUMS_NAME).write_bytes(content)
    with pytest.raises(NoxlineError, match=message):
        read_sums(dist)


def test_read_sums_accepts_an_identical_duplicate(tmp_path: Path) -> None:
    """The same line twice is not ambiguous."""
    dist = make_dist(tmp_path, sums=False)
    (dist / SUMS_NAME).write_text(f"{'a' * 64}  {WHEEL}\n" * 2, encoding="utf-8")
    assert read_sums(dist) == {WHEEL: "a" * 64}


def test_verified_dist_refuses_symbolic_links(tmp_path: Path) -> None:
    """A dist file that is a link (to anything) is not what build wrote."""
    dist = make_dist(tmp_path)
    outside = tmp_path / "outside.whl"
    (dist / WHEEL).rename(outside)
    (dist / WHEEL).symlink_to(outside)
    with pytest.raises(NoxlineError, match="symbolic links"):
        verified_dist(dist, "minilib")


def _wheel_with(metadata: bytes) -> bytes:
    """A wheel of tiny 1.0 whose METADATA is ``metadata``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tiny-1.0.dist-info/METADATA", metadata)
    return buffer.getvalue()


#: (what dist/ holds, whether installing it resolves anything from the index): wheel-install and
#: sbom are never reused while it does; a wheel that cannot be read counts as requiring.
REQUIRES = {
    "a requirement": (
        {
            "tiny-1.0-py3-none-any.whl": _wheel_with(
                b"Metadata-Version: 2.1\nName: tiny\n" b"Version: 1.0\nRequires-Dist: idna>=3\n\n"
            )
        },
        True,
    ),
    "only an extra's": (
        {
            "tiny-1.0-py3-none-any.whl": _wheel_with(
                b"Metadata-Version: 2.1\nName: tiny\n"
                b"Version: 1.0\nRequires-Dist: pytest; "
                b"extra == 'test'\n\n"
            )
        },
        True,
    ),
    "none, a body mentioning one": (
        {
            "tiny-1.0-py3-none-any.whl": _wheel_with(
                b"Metadata-Version: 2.1\nName: tiny\n" b"Version: 1.0\n\nRequires-Dist: idna\n"
            )
        },
        False,
    ),
    "no wheel": ({"tiny-1.0.tar.gz": b"x"}, False),
    "a wheel that is no zip": ({"tiny-1.0-py3-none-any.whl": b"not a zip"}, True),
}


@pytest.mark.parametrize(("files", "requires"), REQUIRES.values(), ids=REQUIRES.keys())
def test_a_wheel_requiring_anything_is_told_by_its_metadata(
    tmp_path: Path, files: dict[str, bytes], requires: bool
) -> None:
    """Each row: dist/'s files, and whether requires_anything says the wheel requires."""
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert requires_anything(tmp_path) is requires
