"""Confinement: the one way noxline reads and writes files of a project.

Every report, log, run record, traceback file, release-notes source, changelog, test-durations
file and every file ``init`` or the version job writes goes through this module, so one rule holds
for all of them, and code written later cannot forget it (``tests/unit/test_architecture.py``
fails when a module outside this one opens, writes, creates or deletes files itself):

* **inside the project**: a path is taken relative to the project folder (``root``) and refused
  when it leaves it (``..``, an absolute path elsewhere) or names the folder itself;
* **never through a symbolic link**: each folder on the way is opened relative to the one before
  with ``O_NOFOLLOW | O_DIRECTORY`` (no window between a check and the use: a link swapped in
  meanwhile is refused, not followed), and the file itself with ``O_NOFOLLOW``. A link where a
  file is written is removed and the file written in its place (what noxline writes there is
  rebuilt on every run); a link among the folders stops with one line naming it. A file that
  shares its contents with another name (a hard link) is replaced, never changed in place;
* **reads never follow a link out**: a link is followed only when its target is inside the
  project too (``CHANGELOG.md -> docs/changes.md``); the file must be a regular file (a FIFO
  would block forever, ``/dev/zero`` never ends) of at most ``limit`` bytes, and text must be
  UTF-8, or it is one line naming the file;
* **reports are masked**: text written here passes :func:`noxline.masking.mask` with the
  environment's secrets unless the caller says the file is kept exactly (``exact=True``: the
  project's own files such as ``pyproject.toml``, which masking would corrupt).

The folder given as ``root`` is trusted as it is (the user chose it, possibly through a link).
Where the operating system cannot open relative to a folder (``dir_fd``), each step is checked
with ``lstat`` before it is used instead (a narrow window, noted in docs/security.md).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, Literal

from noxline.errors import NoxlineError
from noxline.masking import env_secrets, mask

#: The most bytes read from one file unless the caller says otherwise: a changelog, a report or a
#: pyproject.toml is far smaller; a bigger one is refused in one line instead of filling memory.
MAX_READ_BYTES = 64 * 1024 * 1024

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
#: Whether folders can be walked by descriptor (POSIX): then no link can be swapped in between
#: a check and the use.
_BY_DESCRIPTOR = bool(_NOFOLLOW and _DIRECTORY) and {os.open, os.mkdir, os.unlink, os.symlink} <= (
    os.supports_dir_fd
)

Mode = Literal["w", "a", "wb", "ab"]


class ConfinementError(NoxlineError):
    """A file noxline reads or writes would leave the project, go through a symbolic link, is
    not a regular file, is too large or is not UTF-8 text."""


def shown(path: Path | str) -> str:
    """A path as messages show it: a name that is not UTF-8 (bytes kept by Python as surrogates)
    escaped, so printing it can never fail."""
    return os.fspath(path).encode("utf-8", "backslashreplace").decode("utf-8")


# --- where a path is ------------------------------------------------------------------------


def parts_inside(root: Path, path: Path | str) -> tuple[str, ...]:
    """The names leading from ``root`` to ``path`` (relative to ``root``, or absolute inside it).

    Refused when the path leaves ``root`` by its spelling (``..``, an absolute path elsewhere)
    or names ``root`` itself. Nothing is looked up on disk.
    """
    base = os.path.abspath(root)
    full = os.path.normpath(os.path.join(base, os.fspath(path)))
    for candidate in dict.fromkeys((base, os.path.realpath(base))):
        if full.startswith(candidate.rstrip(os.sep) + os.sep):
            return tuple(os.path.relpath(full, candidate).split(os.sep))
    where = "is the project folder itself" if full == base else "is outside the project"
    raise ConfinementError(
        f"{shown(path)} {where} ({shown(base)}): noxline reads and writes only files inside the "
        "project; name a path inside it"
    )


def path_of(root: Path, path: Path | str) -> Path:
    """``path`` as an absolute path inside ``root`` (refused when it leaves it, see
    :func:`parts_inside`)."""
    return Path(os.path.abspath(root)).joinpath(*parts_inside(root, path))


def _display(parts: Iterable[str]) -> str:
    """Names below the project, joined as a relative path for messages."""
    return shown("/".join(parts))


def _read_parts(root: Path, path: Path | str) -> tuple[str, tuple[str, ...]]:
    """Where a read really goes: the real project folder and the names below it, links inside
    the project followed; refused when a link leads out."""
    parts = parts_inside(root, path)
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, *parts))
    if not target.startswith(real_root.rstrip(os.sep) + os.sep):
        raise ConfinementError(
            f"{_display(parts)} leads outside the project through a symbolic link (to "
            f"{shown(target)}): noxline never reads through a link leaving the project; replace "
            "the link by the file itself"
        )
    return real_root, tuple(os.path.relpath(target, real_root).split(os.sep))


# --- walking folders ------------------------------------------------------------------------


def _link_or_not_folder(root: str, parts: tuple[str, ...], what: str) -> ConfinementError:
    """The error for a step on the way that is a link (or no folder at all)."""
    step = os.path.join(root, *parts)
    if os.path.islink(step):
        return ConfinementError(
            f"{_display(parts)} is a symbolic link, and noxline {what} there: it never goes "
            "through links in the project; delete the link (what noxline writes there is "
            "rebuilt on every run)"
        )
    return ConfinementError(
        f"{_display(parts)} is not a folder, and noxline {what} below it: move that file away "
        "(what noxline writes there is rebuilt on every run)"
    )


@contextmanager
def _folder(root: str, parts: tuple[str, ...], *, create: bool, what: str) -> Iterator[int | str]:
    """The folder ``root/parts``, reached without following a link: a descriptor (POSIX) or,
    where folders cannot be walked by descriptor, its path after each step was checked.

    ``create`` makes missing folders. A missing folder is FileNotFoundError otherwise.
    """
    if not _BY_DESCRIPTOR:  # pragma: no cover - POSIX systems walk by descriptor
        for depth in range(1, len(parts) + 1):
            step = os.path.join(root, *parts[:depth])
            if create and not os.path.lexists(step):
                with suppress(FileExistsError):
                    os.mkdir(step)
            if os.path.islink(step) or not os.path.isdir(step):
                if not os.path.lexists(step):
                    raise FileNotFoundError(step)
                raise _link_or_not_folder(root, parts[:depth], what)
        yield os.path.join(root, *parts)
        return
    flags = os.O_RDONLY | _DIRECTORY | _CLOEXEC
    descriptor = os.open(root, flags)
    try:
        for depth, name in enumerate(parts, start=1):
            try:
                following = os.open(name, flags | _NOFOLLOW, dir_fd=descriptor)
            except FileNotFoundError:
                if not create:
                    raise
                with suppress(FileExistsError):
                    os.mkdir(name, 0o777, dir_fd=descriptor)
                try:
                    following = os.open(name, flags | _NOFOLLOW, dir_fd=descriptor)
                except OSError:
                    raise _link_or_not_folder(root, parts[:depth], what) from None
            except OSError:  # ELOOP (a link) or ENOTDIR (a file)
                raise _link_or_not_folder(root, parts[:depth], what) from None
            os.close(descriptor)
            descriptor = following
        yield descriptor
    finally:
        os.close(descriptor)


def _at(folder: int | str, name: str) -> tuple[str, dict[str, Any]]:
    """How to name ``name`` in ``folder`` for os functions: (path, keyword arguments)."""
    if isinstance(folder, int):
        return name, {"dir_fd": folder}
    return os.path.join(folder, name), {}  # pragma: no cover - without dir_fd only


def _lstat(folder: int | str, name: str) -> os.stat_result | None:
    """What is at ``name`` in ``folder`` (a link not followed), None when nothing is."""
    where, at = _at(folder, name)
    try:
        return os.stat(where, follow_symlinks=False, **at)
    except FileNotFoundError:
        return None


# --- writing --------------------------------------------------------------------------------


def _open_for_writing(
    root: Path, path: Path | str, *, append: bool, what: str
) -> tuple[int, tuple[str, ...]]:
    """A descriptor of ``path`` opened for writing (truncated unless ``append``), and its parts.

    A link in the file's place is removed, and so is a file that shares its contents with
    another name (a hard link): both are replaced by a new file, never written through.
    """
    parts = parts_inside(root, path)
    base = os.path.abspath(root)
    with _folder(base, parts[:-1], create=True, what=what) as folder:
        name = parts[-1]
        where, at = _at(folder, name)
        found = _lstat(folder, name)
        if found is not None and (
            stat.S_ISLNK(found.st_mode) or (stat.S_ISREG(found.st_mode) and found.st_nlink > 1)
        ):
            os.unlink(where, **at)
        elif found is not None and not stat.S_ISREG(found.st_mode):
            kind = "a folder" if stat.S_ISDIR(found.st_mode) else "not a regular file"
            raise ConfinementError(
                f"{_display(parts)} is {kind}, and noxline {what} a file there: move it away"
            )
        flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW | _CLOEXEC
        flags |= os.O_APPEND if append else os.O_TRUNC
        try:
            return os.open(where, flags, 0o666, **at), parts
        except OSError as error:
            now = _lstat(folder, name)
            if now is not None and stat.S_ISLNK(now.st_mode):  # swapped in meanwhile
                raise _link_or_not_folder(base, parts, what) from None
            raise ConfinementError(
                f"cannot write {_display(parts)} ({error.strerror or error}): check the "
                "permissions of the project folder"
            ) from None


def open_write(root: Path, path: Path | str, mode: Mode = "w", *, what: str = "writes") -> IO[Any]:
    """``path`` opened for writing (``w``/``wb`` truncate, ``a``/``ab`` append), confined.

    For a stream another process writes into (a tool's output, a job's log): what goes through
    it is not masked here, so the caller masks the file afterwards (:func:`mask_file`) or masks
    what it passes on.
    """
    descriptor, _ = _open_for_writing(root, path, append=mode.startswith("a"), what=what)
    if "b" in mode:
        return os.fdopen(descriptor, mode)
    return os.fdopen(descriptor, mode, encoding="utf-8")


def write_bytes(root: Path, path: Path | str, data: bytes, *, what: str = "writes") -> Path:
    """Write ``data`` to ``path`` inside ``root`` (never through a link); return its path."""
    with open_write(root, path, "wb", what=what) as stream:
        stream.write(data)
    return path_of(root, path)


def write_text(  # pylint: disable=too-many-arguments
    root: Path,
    path: Path | str,
    text: str,
    *,
    exact: bool = False,
    secrets: Iterable[str] = (),
    what: str = "writes",
) -> Path:
    """Write ``text`` (UTF-8) to ``path`` inside ``root``, masked; return its path.

    Masked means every secret of the environment (and ``secrets``), URL user-info and secret
    query values replaced (:func:`noxline.masking.mask`): reports and logs are artifacts anyone
    with access to the pipeline reads. ``exact`` writes the text as it is, for the project's own
    files (``pyproject.toml``, ``noxfile.py``, the version file) that masking would corrupt.
    """
    body = text if exact else masked(text, secrets)
    return write_bytes(root, path, body.encode("utf-8", "surrogateescape"), what=what)


def write_json(
    root: Path, path: Path | str, data: Any, *, secrets: Iterable[str] = (), indent: int = 2
) -> Path:
    """Write ``data`` as JSON to ``path`` inside ``root``, every string in it masked first (a
    secret holding a quote would otherwise escape masking as ``\\"``)."""
    words = tuple(secrets)
    text = json.dumps(_masked_strings(data, words), indent=indent, ensure_ascii=False)
    return write_text(root, path, text + "\n", secrets=words)


def replace_atomically(
    root: Path, path: Path | str, text: str, *, exact: bool = False, what: str = "writes"
) -> Path:
    """Write ``text`` to a new file beside ``path`` and rename it over ``path`` (a reader never
    sees half a file; an interrupted write leaves the old one), keeping its permissions."""
    parts = parts_inside(root, path)
    body = (text if exact else masked(text, ())).encode("utf-8", "surrogateescape")
    with _folder(os.path.abspath(root), parts[:-1], create=True, what=what) as folder:
        found = _lstat(folder, parts[-1])
        if found is not None and not (stat.S_ISREG(found.st_mode) or stat.S_ISLNK(found.st_mode)):
            raise ConfinementError(f"{_display(parts)} is not a regular file: move it away")
        mode = stat.S_IMODE(found.st_mode) if found and stat.S_ISREG(found.st_mode) else None
        _write_beside(folder, parts[-1], body, mode)
    return path_of(root, path)


def _write_beside(folder: int | str, name: str, body: bytes, mode: int | None) -> None:
    """Write ``body`` to a temporary file in ``folder`` and rename it to ``name`` (a link there
    is replaced, never followed); ``mode`` is the replaced file's, kept."""
    temporary = f".{name}.noxline-{os.getpid()}.tmp"
    where, at = _at(folder, temporary)
    with suppress(FileNotFoundError):
        os.unlink(where, **at)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    descriptor = os.open(where, flags, 0o666 if mode is None else mode, **at)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(body)
            if mode is not None:
                os.fchmod(stream.fileno(), mode)  # the umask narrowed it at creation
        target, _ = _at(folder, name)
        if isinstance(folder, int):
            os.replace(where, target, src_dir_fd=folder, dst_dir_fd=folder)
        else:  # pragma: no cover - without dir_fd only
            os.replace(where, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(where, **at)
        raise


def copy_file(root: Path, source: Path | str, target: Path | str) -> None:
    """Copy ``source`` to ``target``, both inside ``root``: a regular file's bytes and mode
    (any size, streamed), a symbolic link as the same link when it stays inside the project.

    A link leading out of the project is refused: whatever reads the copy (a build backend
    packaging the tree) would otherwise take in the file it points at.
    """
    parts = parts_inside(root, source)
    full = os.path.join(os.path.abspath(root), *parts)
    if os.path.islink(full):
        _read_parts(root, source)  # refuses a link leading out
        link = os.readlink(full)
        target_parts = parts_inside(root, target)
        with _folder(os.path.abspath(root), target_parts[:-1], create=True, what="copies") as to:
            where, at = _at(to, target_parts[-1])
            with suppress(FileNotFoundError):
                os.unlink(where, **at)
            os.symlink(link, where, **at)
        return
    with open_read(root, source) as stream:
        mode = stat.S_IMODE(os.fstat(stream.fileno()).st_mode)
        with open_write(root, target, "wb", what="copies") as copy:
            shutil.copyfileobj(stream, copy)
            os.fchmod(copy.fileno(), mode)


def link_files(
    root: Path, folder: Path | str, sources: Iterable[Path], *, what: str = "writes"
) -> int:
    """Give each of ``sources`` (files anywhere, read only) a name in ``folder`` inside ``root``:
    a hard link where the file system allows one, else a copy; a name already there is kept.
    Return how many were added. The folder is reached as every write's is, never through a
    link; a link never lets noxline write into the source (a write of noxline replaces a file
    with several names, :func:`_open_for_writing`; Python replaces bytecode by renaming)."""
    parts = parts_inside(root, folder)
    added = 0
    with _folder(os.path.abspath(root), parts, create=True, what=what) as into:
        for source in sources:
            where, at = _at(into, source.name)
            try:
                os.link(
                    source,
                    where,
                    dst_dir_fd=into if isinstance(into, int) else None,
                    follow_symlinks=False,
                )
            except FileExistsError:
                continue
            except OSError:  # another file system, or links refused: a copy
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
                try:
                    descriptor = os.open(where, flags, 0o644, **at)
                except FileExistsError:
                    continue
                with open(source, "rb") as stream, os.fdopen(descriptor, "wb") as copy:
                    shutil.copyfileobj(stream, copy)
            added += 1
    return added


def rename(root: Path, source: Path | str, target: Path | str, *, what: str = "writes") -> Path:
    """Rename ``source`` to ``target``, both inside ``root``, replacing what is at ``target`` (a
    file or a link: the link itself, never its target) in one step; the folders on the way are
    walked without following a link (``target``'s made when missing). Return ``target``'s path.

    For a file written whole under a temporary name and then put in place, so a reader sees the
    old file or the new one, never half of one (a cache entry).
    """
    source_parts = parts_inside(root, source)
    target_parts = parts_inside(root, target)
    base = os.path.abspath(root)
    with _folder(base, source_parts[:-1], create=False, what=what) as here:
        with _folder(base, target_parts[:-1], create=True, what=what) as there:
            old, _ = _at(here, source_parts[-1])
            new, _ = _at(there, target_parts[-1])
            if isinstance(here, int) and isinstance(there, int):
                os.replace(old, new, src_dir_fd=here, dst_dir_fd=there)
            else:  # pragma: no cover - without dir_fd only
                os.replace(old, new)
    return path_of(root, target)


def make_folder(root: Path, path: Path | str, *, what: str = "writes") -> Path:
    """Create the folder ``path`` inside ``root`` (and those above it), never through a link;
    return its absolute path."""
    parts = parts_inside(root, path)
    with _folder(os.path.abspath(root), parts, create=True, what=what):
        pass
    return path_of(root, path)


def refuse_links(root: Path, path: Path | str, *, what: str = "writes") -> Path:
    """Refuse ``path`` when it, or a folder on the way to it, is a symbolic link (missing parts
    are fine); return it as an absolute path. For folders a tool writes into itself (a venv, a
    tool's report folder), where noxline cannot open each file by descriptor."""
    parts = parts_inside(root, path)
    base = os.path.abspath(root)
    for depth in range(1, len(parts) + 1):
        if os.path.islink(os.path.join(base, *parts[:depth])):
            raise _link_or_not_folder(base, parts[:depth], what)
    return path_of(root, path)


def remove(root: Path, path: Path | str, *, what: str = "writes") -> None:
    """Delete the file (or link: never its target) ``path`` inside ``root``; nothing there is
    fine. A folder there is an error: :func:`remove_tree` deletes folders."""
    parts = parts_inside(root, path)
    try:
        with _folder(os.path.abspath(root), parts[:-1], create=False, what=what) as folder:
            found = _lstat(folder, parts[-1])
            if found is None:
                return
            if stat.S_ISDIR(found.st_mode):
                raise ConfinementError(
                    f"{_display(parts)} is a folder where noxline expects a file: move it away"
                )
            where, at = _at(folder, parts[-1])
            os.unlink(where, **at)
    except FileNotFoundError:
        return


def remove_tree(root: Path, path: Path | str, *, what: str = "writes") -> None:
    """Delete ``path`` inside ``root`` with everything below it, following no link (a link is
    removed, never its target); nothing there is fine."""
    parts = parts_inside(root, path)
    try:
        with _folder(os.path.abspath(root), parts[:-1], create=False, what=what) as folder:
            found = _lstat(folder, parts[-1])
            if found is None:
                return
            where, at = _at(folder, parts[-1])
            if stat.S_ISDIR(found.st_mode):
                # With dir_fd, shutil.rmtree walks by descriptor and never follows a link.
                shutil.rmtree(where, **at)
            else:
                os.unlink(where, **at)
    except FileNotFoundError:
        return


def mask_file(root: Path, path: Path | str, secrets: Iterable[str] = ()) -> None:
    """Mask a file another process wrote (a tool's report, a job's log) in place; nothing there
    is fine. A file that is not UTF-8 text (a database, an image: NUL bytes or invalid UTF-8) is
    left as it is: masking could only corrupt it."""
    try:
        data = read_bytes(root, path, limit=MAX_READ_BYTES)
    except FileNotFoundError:
        return
    hidden = masked_bytes(data, secrets)
    if hidden != data:
        write_bytes(root, path, hidden)


def masked_bytes(data: bytes, secrets: Iterable[str] = ()) -> bytes:
    """``data`` masked as :func:`mask_file` masks a file (for bytes about to be written, such as
    a restored report): UTF-8 text is masked, anything else (NUL bytes, invalid UTF-8) is
    returned as it is, as masking could only corrupt it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if "\0" in text:
        return data
    hidden = masked(text, secrets)
    return data if hidden == text else hidden.encode("utf-8", "surrogateescape")


def masked(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` masked with the environment's secrets and ``secrets`` (the one masking step of
    everything written)."""
    return mask(text, secrets)  # mask() adds the environment's secrets itself


def _masked_strings(data: Any, secrets: tuple[str, ...]) -> Any:
    """``data`` (parsed JSON) with every string in it masked, keys too."""
    if isinstance(data, str):
        return masked(data, secrets)
    if isinstance(data, dict):
        return {
            _masked_strings(key, secrets): _masked_strings(value, secrets)
            for key, value in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [_masked_strings(item, secrets) for item in data]
    return data


# --- one run at a time ------------------------------------------------------------------------

#: Where the lock of a project's runs lives (nox's own folder, which init has git ignore).
LOCK_FILE = ".nox/noxline.lock"
#: Set for the jobs of a run that holds the lock: they run inside it and take no lock of their own.
LOCK_VARIABLE = "NOXLINE_RUN_LOCK_HELD"


class ProjectBusy(ConfinementError):
    """Another noxline run (``noxline run``, or nox running noxline's sessions) uses the
    project: two runs in one tree would overwrite each other's reports, venvs and dist/."""


def lock_project(root: Path, what: str) -> IO[bytes] | None:
    """Take the project's run lock (an exclusive ``flock`` on :data:`LOCK_FILE`), held until the
    returned file is closed or the process ends (the system releases it then: never stale);
    None when this process runs inside a run that holds it (:data:`LOCK_VARIABLE`).

    :class:`ProjectBusy` names the run that holds it: "another noxline run is using this
    project (pid ..., noxline run, since ...)".
    """
    if os.environ.get(LOCK_VARIABLE):
        return None
    stream = open_write(root, LOCK_FILE, "ab", what="keeps its run lock")
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        stream.close()
        try:
            holder = read_text(root, LOCK_FILE, limit=4096, errors="replace").strip()
        except (OSError, NoxlineError):
            holder = ""
        raise ProjectBusy(
            f"another noxline run is using this project ({holder or 'pid unknown'}): wait for it "
            "to finish or stop it; two runs in one tree would overwrite each other's reports, "
            "venvs and dist/"
        ) from None
    stream.truncate(0)
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    stream.write(f"pid {os.getpid()}, {what}, since {since}\n".encode())
    stream.flush()
    return stream


# --- reading --------------------------------------------------------------------------------


def read_bytes(root: Path, path: Path | str, *, limit: int = MAX_READ_BYTES) -> bytes:
    """The contents of the regular file ``path`` inside ``root`` (links followed only inside),
    at most ``limit`` bytes; FileNotFoundError when nothing is there."""
    data = _read(root, path, limit + 1, from_end=False)
    if len(data) > limit:
        raise ConfinementError(
            f"{_display(parts_inside(root, path))} is larger than {limit} bytes, more than "
            "noxline reads of such a file: check that the path names the right file"
        )
    return data


def read_part(root: Path, path: Path | str, size: int, *, from_end: bool = False) -> bytes:
    """The first (or, ``from_end``, the last) ``size`` bytes of ``path`` inside ``root``, read
    as :func:`read_bytes` reads (a log's tail for a status line, a summary's first line)."""
    return _read(root, path, size, from_end=from_end)


def _read(root: Path, path: Path | str, size: int, *, from_end: bool) -> bytes:
    """Up to ``size`` bytes of a regular file inside ``root``, from its start or its end."""
    with open_read(root, path) as stream:
        if from_end:
            stream.seek(max(0, os.fstat(stream.fileno()).st_size - size))
        return stream.read(size)


def open_read(root: Path, path: Path | str) -> IO[bytes]:
    """The regular file ``path`` inside ``root`` opened for reading (links followed only inside
    the project; a FIFO, a device or a folder refused), for a caller that streams it (hashing a
    wheel, reading an archive); FileNotFoundError when nothing is there."""
    real_root, parts = _read_parts(root, path)
    with _folder(real_root, parts[:-1], create=False, what="reads") as folder:
        where, at = _at(folder, parts[-1])
        try:
            descriptor = os.open(where, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, **at)
        except FileNotFoundError:
            raise
        except OSError as error:
            raise ConfinementError(
                f"cannot read {_display(parts)} ({error.strerror or error}): check that it is a "
                "readable file inside the project"
            ) from None
    found = os.fstat(descriptor)
    if not stat.S_ISREG(found.st_mode):
        os.close(descriptor)
        kind = (
            "it is a folder"
            if stat.S_ISDIR(found.st_mode)
            else "it is not a regular file (a pipe or a device: reading it might never end)"
        )
        raise ConfinementError(
            f"cannot read {_display(parts)}: {kind}; noxline reads only regular files there, "
            "make it one"
        )
    return os.fdopen(descriptor, "rb")


def read_text(
    root: Path,
    path: Path | str,
    *,
    limit: int = MAX_READ_BYTES,
    errors: Literal["strict", "replace"] = "strict",
) -> str:
    """The UTF-8 text of ``path`` inside ``root`` (see :func:`read_bytes`); text that is not
    UTF-8 is one line naming the file and the first bad byte (or, with ``errors="replace"``,
    replacement characters)."""
    data = read_bytes(root, path, limit=limit)
    try:
        return data.decode("utf-8", errors)
    except UnicodeDecodeError as error:
        raise ConfinementError(
            f"{_display(parts_inside(root, path))} is not UTF-8 text (byte "
            f"{data[error.start]:#04x} at offset {error.start}): save it as UTF-8"
        ) from None


def read_marker(root: Path, path: Path | str, *, limit: int = 65536) -> str:
    """The text of a small marker file noxline keeps (what a venv was made for), "" when it is
    missing or cannot be read: a missing or damaged marker only means "make it again"."""
    try:
        return read_text(root, path, limit=limit, errors="replace")
    except (OSError, NoxlineError):
        return ""


def is_file(root: Path, path: Path | str) -> bool:
    """True when ``path`` is a regular file inside ``root`` that :func:`read_bytes` would read
    (reached without a link leading out)."""
    try:
        real_root, parts = _read_parts(root, path)
    except ConfinementError:
        return False
    target = os.path.join(real_root, *parts)
    return os.path.isfile(target) and not os.path.islink(target)


__all__ = [
    "ConfinementError",
    "LOCK_FILE",
    "LOCK_VARIABLE",
    "MAX_READ_BYTES",
    "ProjectBusy",
    "copy_file",
    "is_file",
    "lock_project",
    "make_folder",
    "mask_file",
    "masked_bytes",
    "masked",
    "open_read",
    "open_write",
    "parts_inside",
    "path_of",
    "read_bytes",
    "read_marker",
    "read_part",
    "read_text",
    "refuse_links",
    "remove",
    "remove_tree",
    "rename",
    "replace_atomically",
    "shown",
    "write_bytes",
    "write_json",
    "write_text",
]
