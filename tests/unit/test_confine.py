"""The confinement rule, against real files, links, FIFOs and odd names in a temporary tree.

Every case builds a project folder beside an ``outside`` folder and checks the one promise: what
noxline writes or reads stays inside the project, never goes through a link, and anything else is
one ConfinementError line (never a traceback, never a hang).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from noxline import confine
from noxline.confine import ConfinementError


@pytest.fixture(name="tree")
def tree_fixture(tmp_path: Path) -> tuple[Path, Path]:
    """(project, outside): two sibling folders, the outside one holding a victim file."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (outside / "victim.txt").write_text("keep me\n", encoding="utf-8")
    return project, outside


def untouched(outside: Path) -> bool:
    """True when nothing outside changed: the victim as it was, nothing added."""
    return (
        sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
        and (outside / "victim.txt").read_text(encoding="utf-8") == "keep me\n"
    )


def _link_reports(project: Path, outside: Path) -> None:
    """reports -> outside."""
    (project / "reports").symlink_to(outside)


def _link_job_folder(project: Path, outside: Path) -> None:
    """reports/job -> outside."""
    (project / "reports").mkdir()
    (project / "reports" / "job").symlink_to(outside)


def _link_relative(project: Path, outside: Path) -> None:
    """reports -> ../outside."""
    (project / "reports").symlink_to(Path("..") / outside.name)


def _link_to_link(project: Path, outside: Path) -> None:
    """reports -> hop -> outside."""
    (project / "hop").symlink_to(outside)
    (project / "reports").symlink_to(project / "hop")


def _rename_into(project: Path) -> Path:
    """Write a file beside the reports and rename it into reports/job/out.txt."""
    confine.write_text(project, "staged.txt", "x")
    return confine.rename(project, "staged.txt", "reports/job/out.txt")


#: How a hostile tree is laid out before a write to reports/job/out.txt: (name, set-up).
LAYOUTS: dict[str, Callable[[Path, Path], None]] = {
    "reports folder is a link": _link_reports,
    "job folder is a link": _link_job_folder,
    "relative link out": _link_relative,
    "link to a link out": _link_to_link,
}


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
@pytest.mark.parametrize(
    "write",
    [
        lambda p: confine.write_text(p, "reports/job/out.txt", "x"),
        lambda p: confine.write_bytes(p, p / "reports/job/out.txt", b"x"),
        lambda p: confine.make_folder(p, "reports/job/sub"),
        lambda p: confine.replace_atomically(p, "reports/job/out.txt", "x"),
        lambda p: confine.open_write(p, "reports/job/out.txt", "ab").close(),
        lambda p: confine.refuse_links(p, "reports/job/venv"),
        _rename_into,
    ],
    ids=["write_text", "write_bytes", "make_folder", "atomic", "append", "refuse_links", "rename"],
)
def test_a_link_on_the_way_stops_every_write(
    tree: tuple[Path, Path],
    layout: Callable[[Path, Path], None],
    write: Callable[[Path], object],
) -> None:
    """A folder on the way that is a link (in any shape) is one line naming it; nothing is
    written outside."""
    project, outside = tree
    layout(project, outside)
    with pytest.raises(ConfinementError, match="is a symbolic link"):
        write(project)
    assert untouched(outside)


@pytest.mark.parametrize("kind", ["file link", "hard link"])
def test_a_link_in_place_of_the_file_is_replaced_never_written_through(
    tree: tuple[Path, Path], kind: str
) -> None:
    """A link where a report goes is replaced by the report; the file it pointed at is kept."""
    project, outside = tree
    target = project / "reports" / "out.txt"
    target.parent.mkdir()
    if kind == "file link":
        target.symlink_to(outside / "victim.txt")
    else:
        os.link(outside / "victim.txt", target)
    confine.write_text(project, target, "report\n")
    assert untouched(outside)
    assert not target.is_symlink() and target.read_text(encoding="utf-8") == "report\n"


@pytest.mark.parametrize(
    "path",
    ["../outside/victim.txt", "reports/../../outside/x", "/etc/passwd", ".", "", "a/../.."],
)
def test_paths_leaving_the_project_are_refused_by_their_spelling(
    tree: tuple[Path, Path], path: str
) -> None:
    """``..``, absolute paths elsewhere and the project itself are refused before any lookup."""
    project, outside = tree
    for call in (
        lambda: confine.write_text(project, path, "x"),
        lambda: confine.read_text(project, path),
        lambda: confine.remove_tree(project, path),
    ):
        with pytest.raises(ConfinementError, match="outside the project|project folder itself"):
            call()
    assert untouched(outside)


def test_removal_never_follows_a_link(tree: tuple[Path, Path]) -> None:
    """Removing a tree that is a link removes the link; a link inside a removed tree too."""
    project, outside = tree
    (project / "copy").symlink_to(outside)
    confine.remove_tree(project, "copy")
    assert not (project / "copy").exists() and untouched(outside)
    (project / "tree" / "deep").mkdir(parents=True)
    (project / "tree" / "deep" / "out").symlink_to(outside)
    confine.remove_tree(project, "tree")
    assert not (project / "tree").exists() and untouched(outside)
    (project / "reports").symlink_to(outside)
    with pytest.raises(ConfinementError, match="symbolic link"):
        confine.remove(project, "reports/victim.txt")
    assert untouched(outside)


def test_reads_follow_links_inside_only(tree: tuple[Path, Path]) -> None:
    """A link to a file of the project is read; one leading out is one line, never read."""
    project, outside = tree
    (project / "docs").mkdir()
    (project / "docs" / "changes.md").write_text("# 1.0\n", encoding="utf-8")
    (project / "CHANGELOG.md").symlink_to(Path("docs") / "changes.md")
    assert confine.read_text(project, "CHANGELOG.md") == "# 1.0\n"
    (project / "LEAK.md").symlink_to(outside / "victim.txt")
    (project / "linked").symlink_to(outside)
    for name in ("LEAK.md", "linked/victim.txt"):
        with pytest.raises(ConfinementError, match="leads outside the project"):
            confine.read_text(project, name)
        assert not confine.is_file(project, name)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (os.mkfifo, "cannot read CHANGELOG.md: it is not a regular file"),
        (lambda p: p.mkdir(), "cannot read CHANGELOG.md: it is a folder"),
        (lambda p: p.write_bytes(b"x" * 101), "larger than 100 bytes"),
        (
            lambda p: p.write_bytes(b"# \xff\xfe release\n"),
            r"not UTF-8 text \(byte 0xff at offset 2",
        ),
    ],
    ids=["fifo", "folder", "huge", "not-utf8"],
)
def test_reads_refuse_what_is_no_small_text_file(
    tree: tuple[Path, Path], make: Callable[[Path], object], message: str
) -> None:
    """A FIFO (which would block forever), a folder, a file over the limit or bytes that are not
    UTF-8: each one line naming the file, at once."""
    project, _ = tree
    make(project / "CHANGELOG.md")
    with pytest.raises(ConfinementError, match=message) as caught:
        confine.read_text(project, "CHANGELOG.md", limit=100)
    assert "CHANGELOG.md" in str(caught.value)


def test_reads_may_replace_bytes_that_are_not_utf8(tree: tuple[Path, Path]) -> None:
    """Tool output read back keeps going: undecodable bytes become replacement characters."""
    project, _ = tree
    (project / "out.txt").write_bytes(b"caf\xe9\n")
    assert confine.read_text(project, "out.txt", errors="replace") == "caf\ufffd\n"


def test_written_text_is_masked_unless_exact(
    tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reports are masked (environment secrets, URL user-info); the project's own files are
    written exactly."""
    project, _ = tree
    monkeypatch.setenv("TWINE_PASSWORD", "s3cret-value-1")
    text = "pw s3cret-value-1 at https://user:pw@host/x\n"
    confine.write_text(project, "report.txt", text)
    assert (project / "report.txt").read_text(encoding="utf-8") == (
        "pw **** at https://****@host/x\n"
    )
    confine.write_text(project, "kept.txt", text, exact=True)
    assert (project / "kept.txt").read_text(encoding="utf-8") == text
    confine.write_json(project, "r.json", {"error": 'a "s3cret-value-1"', "n": 1})
    assert "s3cret" not in (project / "r.json").read_text(encoding="utf-8")


def test_masked_bytes_mask_text_and_leave_binary_data_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bytes about to be written (a restored report) are masked as a file is in place: UTF-8
    text masked, NUL bytes or invalid UTF-8 returned as they are."""
    monkeypatch.setenv("TWINE_PASSWORD", "s3cret-value-1")
    assert confine.masked_bytes(b"pw s3cret-value-1\n") == b"pw ****\n"
    assert confine.masked_bytes(b"nothing secret\n") == b"nothing secret\n"
    for binary in (b"s3cret-value-1\0", b"\xffs3cret-value-1"):
        assert confine.masked_bytes(binary) == binary


def test_atomic_replacement_keeps_the_mode_and_leaves_no_temporary(tree: tuple[Path, Path]) -> None:
    """The version file keeps its permissions; no temporary file is left beside it."""
    project, _ = tree
    target = project / "VERSION"
    target.write_text("1.0\n", encoding="utf-8")
    target.chmod(0o640)
    confine.replace_atomically(project, "VERSION", "2.0\n", exact=True)
    assert target.read_text(encoding="utf-8") == "2.0\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in project.iterdir()] == ["VERSION"]


def test_a_rename_replaces_a_link_in_its_place_never_its_target(tree: tuple[Path, Path]) -> None:
    """Renaming onto a link replaces the link itself; the file it pointed at is kept; a name
    outside the project is refused by its spelling."""
    project, outside = tree
    (project / "entry.zip").symlink_to(outside / "victim.txt")
    confine.write_bytes(project, ".entry.tmp", b"new")
    assert confine.rename(project, ".entry.tmp", "entry.zip") == project / "entry.zip"
    assert not (project / "entry.zip").is_symlink()
    assert (project / "entry.zip").read_bytes() == b"new"
    assert sorted(p.name for p in project.iterdir()) == ["entry.zip"]
    assert untouched(outside)
    with pytest.raises(ConfinementError, match="outside the project"):
        confine.rename(project, "entry.zip", outside / "moved.zip")
    assert untouched(outside) and (project / "entry.zip").is_file()


def test_names_that_are_not_utf8_are_shown_escaped(tree: tuple[Path, Path]) -> None:
    """A file name with bytes that are not UTF-8 is written and read; messages escape it."""
    project, _ = tree
    name = os.fsdecode(b"caf\xe9.txt")
    confine.write_text(project, name, "x")
    assert confine.read_text(project, name) == "x"
    os.unlink(project / name)
    os.mkfifo(project / name)
    with pytest.raises(ConfinementError) as caught:
        confine.read_text(project, name)
    assert "caf\\udce9.txt" in str(caught.value)
    str(caught.value).encode("utf-8")  # printable


def test_files_are_linked_in_never_through_a_link_and_a_name_there_is_kept(tmp_path: Path) -> None:
    """link_files gives outside files names inside the project (a hard link, else a copy); a
    name already there stays, and a folder on the way that is a link is refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.pyc").write_bytes(b"a")
    (outside / "b.pyc").write_bytes(b"b")
    project = tmp_path / "project"
    (project / "cache").mkdir(parents=True)
    (project / "cache" / "b.pyc").write_bytes(b"mine")
    added = confine.link_files(project, "cache", [outside / "a.pyc", outside / "b.pyc"])
    assert added == 1
    assert (project / "cache" / "a.pyc").read_bytes() == b"a"
    assert (project / "cache" / "b.pyc").read_bytes() == b"mine"
    (project / "linked").symlink_to(outside)
    with pytest.raises(confine.ConfinementError):
        confine.link_files(project, "linked/sub", [outside / "a.pyc"])
