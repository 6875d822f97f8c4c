"""``noxline run``'s result cache: a green job's reports, kept under its inputs' key.

Each entry is one zip file, ``.nox/noxline-cache/<key>.zip``: ``entry.json`` (the job, when it
ended green, how long it ran, the digests of the outputs it left outside its reports folder) and
the job's report files and log under their project paths. An entry is written to a temporary file
and renamed into place, so a reader sees a whole entry or none; one that does not read back whole
(bad zip, CRC error, a member outside the job's own report paths, another job's or key's record)
is a miss and is deleted, never an error. The folder is bounded (:data:`SIZE_LIMIT`): after a run
the least recently used entries go first.

Every file of the cache is read and written through :mod:`noxline.confine`: entries inside the
project, never through a symbolic link. Restoring never follows a link either: a member is written
back by :func:`noxline.confine.write_bytes` only at one of the job's own report paths, and a link
anywhere on the way to a report path makes the entry a miss (the job then runs and says what is
wrong). What is restored is masked again with the secrets of the run restoring it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from noxline import confine, patterns
from noxline.ci import CIContext
from noxline.config import Settings
from noxline.dist import requires_anything
from noxline.errors import NoxlineError
from noxline.git import run_git
from noxline.inputs import (
    Interpreters,
    Ready,
    Snapshot,
    cache_key,
    file_digest,
    job_facts,
    ready_facts,
    reread,
    venv_contents,
)
from noxline.pipeline import Job
from noxline.runner.processes import log_path
from noxline.runner.scheduler import Reused
from noxline.versioning import compile_release_pattern

#: The cache folder, inside nox's own folder (which init has git ignore).
CACHE_DIR = Path(".nox", "noxline-cache")
#: The most the cache folder holds; the least recently used entries are deleted past it.
SIZE_LIMIT = 256 * 1024 * 1024
#: The record inside each entry.
RECORD = "entry.json"
#: Where the reports sit inside an entry.
FILES = "files/"
#: Bumped when the entry layout changes: older entries are then misses.
ENTRY_FORMAT = 1


@dataclass(frozen=True)
class Entry:
    """A green run of a job, found under its key."""

    path: Path
    job: str
    #: When the job ended green (seconds since the epoch).
    finished: float
    #: How long it ran.
    duration: float
    #: Project paths of the files it restores.
    files: tuple[str, ...]
    #: POSIX path → digest of what the job left outside its reports (the build's dist/ files).
    outputs: dict[str, str]


def result_paths(settings: Settings, job: Job) -> tuple[Path, ...]:
    """The files and folders that are a job's result: its declared report files and its log."""
    folder = settings.project_dir / job.copy_folder
    declared = [folder / name.rstrip("/") for name in dict(job.files).values()]
    return (*declared, log_path(settings, job))


def output_digests(settings: Settings, job: Job) -> dict[str, str]:
    """POSIX path → digest of every file under the paths the job hands on (``Job.artifacts``)."""
    root = settings.project_dir
    found: dict[str, str] = {}
    for artifact in job.artifacts:
        base = root / artifact.rstrip("/")
        paths = sorted(base.rglob("*")) if base.is_dir() and not base.is_symlink() else [base]
        for path in paths:
            if path.is_symlink() or path.is_file() or not path.exists():
                found[path.relative_to(root).as_posix()] = file_digest(root, path)
    return found


def has_link(root: Path, path: Path) -> bool:
    """True when ``path`` or a folder on the way to it from ``root`` is a symbolic link."""
    parts = path.relative_to(root).parts
    return any(root.joinpath(*parts[:depth]).is_symlink() for depth in range(1, len(parts) + 1))


def age_words(seconds: float) -> str:
    """How long ago, in a few words: ``12 s ago``, ``4 min ago``, ``3 h ago``, ``2 days ago``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


class ResultCache:
    """The entries of one project: look up, restore, save, bound."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        """The cache of the project of ``settings``; ``clock`` gives the wall time."""
        self.settings = settings
        self.root = settings.project_dir
        self.folder = settings.project_dir / CACHE_DIR
        self.clock = clock

    @property
    def usable(self) -> bool:
        """False when a symbolic link sits on the way to the cache folder (never written through)."""
        return not has_link(self.root, self.folder)

    def _entry_path(self, key: str) -> Path:
        """Where the entry of ``key`` lives."""
        return self.folder / f"{key}.zip"

    def lookup(self, job: Job, key: str) -> Entry | None:
        """The whole, valid entry of ``job`` under ``key`` whose outputs are still in place."""
        path = self._entry_path(key)
        if not self.usable or not path.is_file() or path.is_symlink():
            return None
        entry = self._read(path, job, key)
        if entry is None:
            with contextlib.suppress(OSError, NoxlineError):
                confine.remove(self.root, path)  # corrupt or partial: a miss, and gone
            return None
        if entry.outputs != output_digests(self.settings, job):
            return None  # dist/ no longer holds what the job left: run it again
        return entry

    def _read(self, path: Path, job: Job, key: str) -> Entry | None:
        """The entry in ``path``, checked whole; None when anything about it is wrong."""
        allowed = [p.relative_to(self.root).as_posix() for p in result_paths(self.settings, job)]
        try:
            with confine.open_read(self.root, path) as stream, zipfile.ZipFile(stream) as archive:
                if archive.testzip() is not None:
                    return None
                record = json.loads(archive.read(RECORD).decode("utf-8"))
                names = [name for name in archive.namelist() if name != RECORD]
            files = tuple(name[len(FILES) :] for name in names)
            if (
                not isinstance(record, dict)
                or record.get("format") != ENTRY_FORMAT
                or record.get("key") != key
                or record.get("job") != job.name
                or any(not name.startswith(FILES) for name in names)
                or not all(_inside(name, allowed) for name in files)
            ):
                return None
            return Entry(
                path=path,
                job=job.name,
                finished=float(record["finished"]),
                duration=float(record["duration"]),
                files=files,
                outputs={str(k): str(v) for k, v in dict(record["outputs"]).items()},
            )
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, RuntimeError):
            return None
        except NoxlineError:  # the entry became a link, a FIFO, ...: confine refuses it
            return None

    def restore(self, job: Job, entry: Entry) -> bool:
        """Put the entry's files back in place of the job's current ones; False when a link is
        in the way or the entry cannot be read after all (then the job runs)."""
        targets = result_paths(self.settings, job)
        if any(has_link(self.root, target) for target in targets):
            return False
        try:
            for target in targets:
                confine.remove_tree(self.root, target, what="restores reports")
            with (
                confine.open_read(self.root, entry.path) as stream,
                zipfile.ZipFile(stream) as archive,
            ):
                for name in entry.files:
                    # Masked again with this run's secrets (the entry was masked with those of
                    # the run that saved it, and a job's key need not follow every variable),
                    # then written confined: inside the project, a link on the way refused,
                    # never followed.
                    data = confine.masked_bytes(archive.read(FILES + name))
                    confine.write_bytes(self.root, name, data, what="restores reports")
        except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError, NoxlineError):
            return False
        with contextlib.suppress(OSError):
            os.utime(entry.path, follow_symlinks=False)  # recently used: evicted last
        return True

    def save(self, job: Job, key: str, duration: float) -> None:
        """Keep the job's reports under ``key`` (a job that just ended green); never raises for
        the disk: a cache that cannot be written is only slower."""
        if not self.usable:
            return
        record = {
            "format": ENTRY_FORMAT,
            "key": key,
            "job": job.name,
            "finished": self.clock(),
            "duration": duration,
            "outputs": output_digests(self.settings, job),
        }
        with contextlib.suppress(OSError, ValueError, NoxlineError):
            with self._temporary(key) as temporary:
                with (
                    confine.open_write(self.root, temporary, "wb", what="keeps results") as stream,
                    zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive,
                ):
                    for path in _files_under(result_paths(self.settings, job)):
                        relative = path.relative_to(self.root).as_posix()
                        archive.writestr(FILES + relative, confine.read_bytes(self.root, path))
                    archive.writestr(RECORD, json.dumps(record))
                confine.rename(self.root, temporary, self._entry_path(key), what="keeps results")

    @contextlib.contextmanager
    def _temporary(self, key: str) -> Iterator[Path]:
        """A new name in the cache folder for the entry of ``key`` being written (a dot name:
        :meth:`evict` deletes one an interrupted save left), removed unless renamed away."""
        name = f".{key}.{os.getpid()}.{time.monotonic_ns()}.tmp"
        temporary = self.folder / name
        try:
            yield temporary
        finally:
            with contextlib.suppress(OSError, NoxlineError):
                confine.remove(self.root, temporary, what="keeps results")

    def evict(self, limit: int = SIZE_LIMIT) -> None:
        """Delete the least recently used entries until the folder holds at most ``limit``
        bytes; leftover temporary files of an interrupted save go too."""
        if not self.usable or not self.folder.is_dir():
            return
        entries = []
        with contextlib.suppress(OSError, NoxlineError):
            for path in self.folder.iterdir():
                info = path.lstat()
                if path.name.startswith(".") and self.clock() - info.st_mtime > 3600:
                    confine.remove(self.root, path)  # a save that never finished
                elif path.suffix == ".zip" and not path.is_symlink():
                    entries.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= limit:
                break
            with contextlib.suppress(OSError, NoxlineError):
                confine.remove(self.root, path)
                total -= size


def _inside(name: str, allowed: list[str]) -> bool:
    """True when the entry member ``name`` is one of the job's report paths or inside one."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts:
        return False
    return any(name == path or pure.is_relative_to(path) for path in allowed)


def _files_under(paths: tuple[Path, ...]) -> Iterator[Path]:
    """The regular files at or under ``paths`` (links are never followed)."""
    for path in paths:
        if path.is_symlink():
            continue
        if path.is_dir():
            for inner in sorted(path.rglob("*")):
                if inner.is_file() and not inner.is_symlink():
                    yield inner
        elif path.is_file():
            yield path


# --- the cache in a run -------------------------------------------------------------------------

#: The variable that turns the cache off for a run (``1``, ``true``, ``yes``).
NO_CACHE_VARIABLE = "NOXLINE_NO_CACHE"


def release_tags_at_head(settings: Settings) -> list[str]:
    """Tags on HEAD that name a release (``release-pattern``, ``tag-prefix``); a pattern too slow
    to answer counts as a match."""
    done = run_git(settings.project_dir, "tag", "--points-at", "HEAD")
    tags = done.stdout.split() if done.returncode == 0 else []
    pattern = compile_release_pattern(settings.release_tag_pattern)
    found = []
    for tag in tags:
        try:
            if pattern.search(tag):
                found.append(tag)
        except patterns.TooSlow:
            found.append(tag)
    return found


def why_off(settings: Settings, environ: Mapping[str, str], no_cache: bool) -> str:
    """Why this run must run every job (empty when the cache may be used)."""
    if no_cache:
        return "--no-cache"
    if environ.get(NO_CACHE_VARIABLE, "").strip().lower() in ("1", "true", "yes"):
        return f"{NO_CACHE_VARIABLE} is set"
    context = CIContext.from_env(environ)
    if context.tag:
        return f"a run for tag {context.tag} (CI_COMMIT_TAG)"
    if context.in_ci:
        return "a CI job"
    released = release_tags_at_head(settings)
    if released:
        return f"a run for release tag {released[0]} (HEAD)"
    if has_link(settings.project_dir, settings.project_dir / CACHE_DIR):
        return f"{CACHE_DIR.as_posix()} goes through a symbolic link"
    return ""


class CachingStarter:  # pylint: disable=too-few-public-methods
    """Starts jobs through a launcher unless a green result of the same inputs can be restored;
    keeps the result of each job that ends green."""

    def __init__(
        self,
        cache: ResultCache,
        snapshot: Snapshot,
        interpreters: Interpreters,
        start: Callable[[Job], Future[int]],
    ) -> None:
        """Look up ``cache`` with keys read from ``snapshot``; ``start`` runs a job for real."""
        self.cache = cache
        self.snapshot = snapshot
        self.interpreters = interpreters
        self._start = start

    def _key(self, job: Job, ready: Ready) -> str:
        """The key of ``job`` from the run's snapshot and what was read of it as it started."""
        return cache_key(job_facts(job, self.snapshot, ready))

    def still(self, job: Job, key: str, ready: Ready) -> bool:
        """True when ``job``'s inputs read again now give the ``key`` it started with: a file
        edited (added, deleted) while it ran leaves its result unkept (the next run runs it)."""
        try:
            again = reread(self.cache.settings, self.snapshot)
        except Exception:  # pylint: disable=broad-exception-caught
            return False  # kept only when shown unchanged; the job's result stands either way
        return again is not None and cache_key(job_facts(job, again, ready)) == key

    def start(self, job: Job) -> Future[int | Reused]:
        """Restore the job's green result, or run it (and keep its result if it ends green and
        its inputs did not change while it ran)."""
        # wheel-install and sbom resolve the wheel's requirements from the index as it is now.
        never = bool(job.inputs.never_cached) or (
            job.inputs.resolves_requirements
            and requires_anything(self.cache.settings.project_dir / self.cache.settings.dist_dir)
        )
        ready = None if never else ready_facts(self.cache.settings, job, self.interpreters)
        key = "" if ready is None else self._key(job, ready)
        entry = self.cache.lookup(job, key) if key else None
        if entry is not None and self.cache.restore(job, entry):
            reused: Future[int | Reused] = Future()
            reused.set_result(Reused(f"green {age_words(self.cache.clock() - entry.finished)}"))
            return reused
        began = time.monotonic()
        ran = self._start(job)
        result: Future[int | Reused] = Future()

        def ended(future: Future[int]) -> None:
            """Keep a green result, then hand the return code on."""
            try:
                code = future.result()
            except BaseException as error:  # pylint: disable=broad-exception-caught
                result.set_exception(error)
                return
            if code == 0 and ready is not None and self.still(job, key, ready):
                # Kept under the venv the job ran with (what its installs left): the next run
                # finds it while the venv stays as it is, and runs again if it is made anew.
                after = replace(ready, venv=venv_contents(self.cache.settings, job))
                self.cache.save(job, self._key(job, after), time.monotonic() - began)
            result.set_result(code)

        ran.add_done_callback(ended)
        return result


__all__ = [
    "CACHE_DIR",
    "CachingStarter",
    "Entry",
    "NO_CACHE_VARIABLE",
    "ResultCache",
    "SIZE_LIMIT",
    "age_words",
    "result_paths",
    "why_off",
]
