"""``noxline run``'s result cache: entries restored byte for byte, corrupt or partial entries are
misses (and gone), links are never followed, the folder is bounded, and when the cache is off;
then ``run`` itself on stub sessions (real nox, a real repository): a second run restores."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from concurrent.futures import Future
from pathlib import Path

import pytest

from noxline.config import Settings, load_settings
from noxline.inputs import Interpreters, take_snapshot, venv_contents
from noxline.pipeline import BUILD_BACKEND_DIR, BUILD_BACKEND_MARKER, Job, define
from noxline.runner import run
from noxline.runner.cache import (
    CACHE_DIR,
    CachingStarter,
    ResultCache,
    age_words,
    result_paths,
    why_off,
)
from tests.helpers import clean_env, git
from tests.unit._projects import write_project
from tests.unit.test_runner import STUB_NOXFILE

KEY = "a" * 64


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """A tiny project in a git repository."""
    return load_settings(write_project(tmp_path / "tiny", git=True))


def write_reports(settings: Settings, job: Job, text: str) -> dict[str, bytes]:
    """Write every report file the job declares (folders get two files) and its log; return
    project path → bytes."""
    written: dict[str, bytes] = {}
    for path in result_paths(settings, job):
        files = [path / "index.html", path / "sub/page.html"] if path.suffix == "" else [path]
        if path.name == "job.log":
            files = [path]
        for file in files:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(f"{text} {file.name}\n", encoding="utf-8")
            written[file.relative_to(settings.project_dir).as_posix()] = file.read_bytes()
    return written


def on_disk(settings: Settings, names: dict[str, bytes]) -> dict[str, bytes]:
    """The current bytes of ``names`` (missing ones left out)."""
    root = settings.project_dir
    return {name: (root / name).read_bytes() for name in names if (root / name).is_file()}


def test_a_saved_result_is_restored_byte_for_byte(settings: Settings) -> None:
    """mypy's reports (a folder among them) and log come back exactly; files a later failing run
    left in its folders are gone; the entry says how long ago it was green."""
    job = define(settings).job("mypy")
    saved = write_reports(settings, job, "green")
    clock = [1000.0]
    cache = ResultCache(settings, clock=lambda: clock[0])
    cache.save(job, KEY, duration=4.2)
    write_reports(settings, job, "red")
    stale = settings.report_root / "mypy/html/stale.html"
    stale.write_text("from a failing run\n", encoding="utf-8")
    clock[0] = 1000.0 + 4 * 60 + 5
    entry = cache.lookup(job, KEY)
    assert entry is not None and entry.duration == 4.2
    assert age_words(clock[0] - entry.finished) == "4 min ago"
    assert cache.restore(job, entry)
    assert on_disk(settings, saved) == saved
    assert not stale.exists()
    assert cache.lookup(job, "b" * 64) is None  # another key: a miss


def corrupt_by(kind: str, path: Path, settings: Settings) -> None:
    """Damage the entry at ``path`` in one way."""
    if kind == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "garbage":
        path.write_bytes(b"not a zip at all")
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        record = json.loads(members["entry.json"])
        if kind == "escaping member":
            members["files/../../outside.txt"] = b"escape"
        elif kind == "another job's file":
            members["files/reports/pylint/pylint.txt"] = b"not mine"
        elif kind == "another key":
            record["key"] = "c" * 64
        elif kind == "another format":
            record["format"] = 999
        elif kind == "no record":
            del record["finished"]
        members["entry.json"] = json.dumps(record).encode()
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    assert settings  # the project the entry belongs to


@pytest.mark.parametrize(
    "kind",
    [
        "truncated",
        "garbage",
        "empty",
        "escaping member",
        "another job's file",
        "another key",
        "another format",
        "no record",
    ],
)
def test_a_corrupt_entry_is_a_miss_and_is_deleted(settings: Settings, kind: str) -> None:
    """Whatever is wrong with an entry, lookup answers None (never raises) and removes it."""
    job = define(settings).job("black")
    write_reports(settings, job, "green")
    cache = ResultCache(settings)
    cache.save(job, KEY, 1.0)
    path = settings.project_dir / CACHE_DIR / f"{KEY}.zip"
    corrupt_by(kind, path, settings)
    assert cache.lookup(job, KEY) is None
    assert not path.exists()
    assert not (settings.project_dir.parent / "outside.txt").exists()


def test_an_interrupted_save_leaves_no_entry(settings: Settings) -> None:
    """A save that never reached its rename leaves a temporary file, never an entry; eviction
    removes such leftovers once they are old."""
    job = define(settings).job("black")
    folder = settings.project_dir / CACHE_DIR
    folder.mkdir(parents=True)
    leftover = folder / f".{KEY}.partial"
    leftover.write_bytes(b"PK\x03\x04 half a zip")
    clock = [os.stat(leftover).st_mtime + 7200]
    cache = ResultCache(settings, clock=lambda: clock[0])
    assert cache.lookup(job, KEY) is None
    cache.evict()
    assert not leftover.exists()


def test_restoring_never_follows_a_link_out_of_the_project(
    settings: Settings, tmp_path: Path
) -> None:
    """A reports folder replaced by a link to a folder outside: no hit, nothing written there."""
    job = define(settings).job("black")
    write_reports(settings, job, "green")
    cache = ResultCache(settings)
    cache.save(job, KEY, 1.0)
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = settings.report_root / "black"
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.symlink_to(outside)
    entry = cache.lookup(job, KEY)
    assert entry is not None and not cache.restore(job, entry)
    assert not list(outside.iterdir())


def test_a_link_inside_a_report_folder_is_replaced_never_written_through(
    settings: Settings, tmp_path: Path
) -> None:
    """A link where a restored file goes (reports/mypy/html/sub -> outside) is removed with the
    job's old reports: the entry's file lands inside the project, the outside is untouched."""
    job = define(settings).job("mypy")
    saved = write_reports(settings, job, "green")
    cache = ResultCache(settings)
    cache.save(job, KEY, 1.0)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "page.html").write_text("keep me\n", encoding="utf-8")
    sub = settings.report_root / "mypy/html/sub"
    (sub / "page.html").unlink()
    sub.rmdir()
    sub.symlink_to(outside)
    entry = cache.lookup(job, KEY)
    assert entry is not None and cache.restore(job, entry)
    assert not sub.is_symlink() and on_disk(settings, saved) == saved
    assert [p.name for p in outside.iterdir()] == ["page.html"]
    assert (outside / "page.html").read_text(encoding="utf-8") == "keep me\n"


def test_a_linked_cache_folder_is_never_written(settings: Settings, tmp_path: Path) -> None:
    """A committed .nox link: the cache is off, nothing lands at the link's target."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (settings.project_dir / ".nox").symlink_to(outside)
    job = define(settings).job("black")
    write_reports(settings, job, "green")
    cache = ResultCache(settings)
    cache.save(job, KEY, 1.0)
    assert not cache.usable and not list(outside.iterdir())
    assert "symbolic link" in why_off(settings, {}, no_cache=False)


def test_the_build_is_reused_only_while_dist_holds_what_it_built(settings: Settings) -> None:
    """The build's entry records dist/'s digests: a changed or removed file there is a miss."""
    job = define(settings).job("build")
    write_reports(settings, job, "green")
    dist = settings.project_dir / "dist"
    dist.mkdir()
    (dist / "tiny-0.3.0-py3-none-any.whl").write_bytes(b"wheel")
    (dist / "SHA256SUMS").write_text("x  tiny-0.3.0-py3-none-any.whl\n", encoding="utf-8")
    cache = ResultCache(settings)
    cache.save(job, KEY, 1.0)
    assert cache.lookup(job, KEY) is not None
    (dist / "tiny-0.3.0-py3-none-any.whl").write_bytes(b"another wheel")
    assert cache.lookup(job, KEY) is None
    (dist / "tiny-0.3.0-py3-none-any.whl").unlink()
    assert cache.lookup(job, KEY) is None


def test_the_folder_is_bounded_least_recently_used_first(settings: Settings) -> None:
    """Past the limit, the entries used longest ago go; a restored entry counts as used."""
    job = define(settings).job("black")
    write_reports(settings, job, "x" * 5000)
    cache = ResultCache(settings)
    keys = [str(n) * 64 for n in range(1, 5)]
    for age, key in enumerate(keys):
        cache.save(job, key, 1.0)
        path = settings.project_dir / CACHE_DIR / f"{key}.zip"
        os.utime(path, (1000 + age, 1000 + age))
    entry = cache.lookup(job, keys[0])
    assert entry is not None and cache.restore(job, entry)  # the oldest, used just now
    size = (settings.project_dir / CACHE_DIR / f"{keys[0]}.zip").stat().st_size
    cache.evict(limit=2 * size + 10)
    left = {path.stem for path in (settings.project_dir / CACHE_DIR).iterdir()}
    assert left == {keys[0], keys[3]}


def test_when_the_cache_is_off(settings: Settings) -> None:
    """--no-cache, NOXLINE_NO_CACHE, a tag pipeline, a CI job, HEAD on a release tag; a tag that
    names no release leaves it on."""
    assert why_off(settings, {}, no_cache=False) == ""
    assert why_off(settings, {}, no_cache=True) == "--no-cache"
    assert "NOXLINE_NO_CACHE" in why_off(settings, {"NOXLINE_NO_CACHE": "1"}, no_cache=False)
    assert why_off(settings, {"NOXLINE_NO_CACHE": "0"}, no_cache=False) == ""
    assert "tag v1.0.0" in why_off(settings, {"CI_COMMIT_TAG": "v1.0.0"}, no_cache=False)
    assert why_off(settings, {"CI_PIPELINE_ID": "7"}, no_cache=False) == "a CI job"
    git(settings.project_dir, "tag", "nightly-build")
    assert why_off(settings, {}, no_cache=False) == ""
    git(settings.project_dir, "tag", "0.3.0")
    assert "release tag 0.3.0" in why_off(settings, {}, no_cache=False)


@pytest.fixture(name="stub_repo")
def stub_repo_fixture(settings: Settings) -> Settings:
    """The tiny repository with stub sessions (real nox, no tools), committed."""
    (settings.project_dir / "noxfile.py").write_text(STUB_NOXFILE, encoding="utf-8")
    (settings.project_dir / ".gitignore").write_text(".nox/\nreports/\ndist/\n", "utf-8")
    git(settings.project_dir, "add", "-A")
    git(settings.project_dir, "commit", "-qm", "stub sessions")
    return settings


def run_jobs(settings: Settings, *jobs: str, **env: str) -> tuple[int, str]:
    """``run`` the jobs; its exit code and output."""
    stream = io.StringIO()
    code = run(settings, jobs=list(jobs), parallel=2, stream=stream, env=clean_env(**env))
    return code, stream.getvalue()


def statuses(settings: Settings) -> dict[str, str]:
    """Job → status in the last run's record."""
    record = json.loads((settings.report_root / "run.json").read_text(encoding="utf-8"))
    return {job["name"]: job["status"] for job in record["jobs"]}


def test_run_restores_green_jobs_and_reruns_the_rest(stub_repo: Settings) -> None:
    """Real nox runs: a second run restores every green job (summary, record, log bytes); a failed
    job and an allowed-to-fail one are never hits; --no-cache and a source edit run again."""
    code, first = run_jobs(stub_repo, "tests", "black")
    assert code == 0 and "results cache .nox/noxline-cache/" in first
    log = (stub_repo.report_root / "tests/job.log").read_bytes()
    code, second = run_jobs(stub_repo, "tests", "black")
    assert code == 0
    assert set(statuses(stub_repo).values()) == {"cached"}
    assert "tests started" not in second and "noxline: tests cached in " in second
    assert any(
        line.startswith("tests") and "cached (green " in line for line in second.splitlines()
    )
    assert (stub_repo.report_root / "tests/job.log").read_bytes() == log
    code, forced = _run_no_cache(stub_repo)
    assert "results cache off: --no-cache" in forced
    assert statuses(stub_repo) == {"black": "passed"}
    (stub_repo.project_dir / "src/tiny_lib/__init__.py").write_text('"""Edited."""\n', "utf-8")
    run_jobs(stub_repo, "black")
    assert statuses(stub_repo) == {"black": "passed"}
    run_jobs(stub_repo, "black", STUB_FAIL="black")  # STUB_FAIL is not black's input: a hit
    assert statuses(stub_repo) == {"black": "cached"}


def _run_no_cache(settings: Settings) -> tuple[int, str]:
    """``run`` black with the cache turned off."""
    stream = io.StringIO()
    code = run(settings, jobs=["black"], stream=stream, env=clean_env(), no_cache=True)
    return code, stream.getvalue()


def test_failed_and_allowed_to_fail_jobs_are_never_hits(stub_repo: Settings) -> None:
    """tests fails, black is allowed to fail: the next run runs both again."""
    run_jobs(stub_repo, "tests", "black", STUB_FAIL="tests,black")
    assert statuses(stub_repo) == {
        "version": "passed",
        "build": "passed",
        "tests": "failed",
        "black": "allowed to fail",
    }
    run_jobs(stub_repo, "tests", "black", STUB_FAIL="tests,black")
    assert statuses(stub_repo) == {
        "version": "cached",
        "build": "cached",
        "tests": "failed",
        "black": "allowed to fail",
    }


def test_a_restored_report_is_masked_with_this_runs_secrets(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry is masked with the secrets of the run that saved it; mypy's key does not follow
    TWINE_PASSWORD, so a later run with that secret set restored its text unmasked. Restoring
    masks each file with this run's secrets (binary files are left as they are)."""
    job = define(settings).job("mypy")
    secret = "s3cret-token-value-42"
    monkeypatch.delenv("TWINE_PASSWORD", raising=False)
    saved = write_reports(settings, job, f"quoted {secret}")
    cache = ResultCache(settings)
    cache.save(job, KEY, duration=1.0)
    monkeypatch.setenv("TWINE_PASSWORD", secret)
    entry = cache.lookup(job, KEY)
    assert entry is not None and cache.restore(job, entry)
    restored = on_disk(settings, saved)
    assert restored.keys() == saved.keys()
    assert all(secret.encode() not in data and b"quoted ****" in data for data in restored.values())


#: (file changed while the job ran: path → new text or None to delete, job, result kept). A
#: green result is kept only under the key its inputs still have when it ends: mypy ran on a
#: module fixed mid-run, and its green was kept under the broken module's key.
EDITED_WHILE_RUNNING = [
    ("nothing", {}, "mypy", True),
    ("a module it checks", {"src/tiny_lib/core.py": "X: int = 'a'\n"}, "mypy", False),
    ("a new module", {"src/tiny_lib/new.py": "Y = 1\n"}, "mypy", False),
    ("a deleted module", {"src/tiny_lib/core.py": None}, "black", False),
    ("a page no check reads", {"docs/page.md": "changed\n"}, "mypy", True),
    ("its configuration", {"mypy.ini": "[mypy]\nstrict = True\n"}, "mypy", False),
]


@pytest.mark.parametrize(
    ("edits", "name", "kept"),
    [row[1:] for row in EDITED_WHILE_RUNNING],
    ids=[row[0] for row in EDITED_WHILE_RUNNING],
)
def test_a_result_is_kept_only_if_its_inputs_did_not_change_while_it_ran(
    settings: Settings, edits: dict[str, str | None], name: str, kept: bool
) -> None:
    """The job (a fake launcher) edits the tree while it runs and ends green: its entry is
    written only when nothing it reads changed."""
    root = settings.project_dir
    (root / "src/tiny_lib/core.py").write_text("X = 1\n", encoding="utf-8")
    pipeline = define(settings)
    snapshot = take_snapshot(settings, pipeline, clean_env())
    assert snapshot is not None
    job = pipeline.job(name)

    def launch(_: Job) -> Future[int]:
        """Run the job: edit the tree, end green."""
        for path, text in edits.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            if text is None:
                (root / path).unlink()
            else:
                (root / path).write_text(text, encoding="utf-8")
        write_reports(settings, job, "green")
        done: Future[int] = Future()
        done.set_result(0)
        return done

    cache = ResultCache(settings)
    starter = CachingStarter(cache, snapshot, Interpreters(root, clean_env()), launch)
    assert starter.start(job).result() == 0
    saved = list((root / CACHE_DIR).glob("*.zip")) if (root / CACHE_DIR).is_dir() else []
    assert bool(saved) is kept


#: (the venv before the first run, the venv the first run leaves, a hit on the next run): a
#: result is kept under the venv the job ran with, so the next run finds it while the venv stays.
VENV_RUNS = [
    (None, "pytest-9.0.0", True),  # made by the first run
    ("pytest-9.0.0", "pytest-9.0.0", True),
    ("pytest-9.0.0", None, False),  # deleted after it: made anew, maybe with newer releases
]


@pytest.mark.parametrize(("before", "left", "hit"), VENV_RUNS)
def test_a_result_is_kept_under_the_venv_it_ran_with(
    settings: Settings, before: str | None, left: str | None, hit: bool
) -> None:
    """A fake launcher leaves the black venv as ``left``; the next start is a hit only when the
    venv still holds what the run left."""
    root = settings.project_dir
    site = root / ".nox/black/lib/python3.12/site-packages"

    def hold(name: str | None) -> None:
        """Make the venv hold one distribution ``name`` (None: no venv)."""
        if (root / ".nox/black").exists():
            shutil.rmtree(root / ".nox/black")
        if name:
            (site / f"{name}.dist-info").mkdir(parents=True)

    pipeline = define(settings)
    job = pipeline.job("black")
    ran: list[str] = []

    def launch(started: Job) -> Future[int]:
        """Run black: install (leave the venv), write reports, end green."""
        ran.append(started.name)
        hold(left)
        write_reports(settings, job, "green")
        done: Future[int] = Future()
        done.set_result(0)
        return done

    hold(before)
    snapshot = take_snapshot(settings, pipeline, clean_env())
    assert snapshot is not None
    interpreters = Interpreters(root, clean_env())
    CachingStarter(ResultCache(settings), snapshot, interpreters, launch).start(job).result()
    if not hit:
        hold(None)  # someone deletes the venv
    CachingStarter(ResultCache(settings), snapshot, interpreters, launch).start(job).result()
    assert ran == ["black"] if hit else ["black", "black"]


BACKEND_VENVS = {
    # What the backend venv held at the green run, what it holds now, whether that is a hit.
    "same-backend": (
        "made-for-A",
        ["poetry_core-2.5.0.dist-info"],
        "made-for-A",
        ["poetry_core-2.5.0.dist-info"],
        True,
    ),
    "backend-upgraded": (
        "made-for-A",
        ["poetry_core-2.5.0.dist-info"],
        "made-for-A",
        ["poetry_core-2.6.0.dist-info"],
        False,
    ),
    "requirements-changed": (
        "made-for-A",
        ["poetry_core-2.5.0.dist-info"],
        "made-for-B",
        ["poetry_core-2.5.0.dist-info"],
        False,
    ),
    "isolated-build": ("isolated build", [], "isolated build", [], False),
}


@pytest.mark.parametrize(
    ("made", "held", "made_now", "held_now", "hit"),
    BACKEND_VENVS.values(),
    ids=BACKEND_VENVS.keys(),
)
def test_the_build_backend_venv_is_an_input_of_the_build(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    tmp_path: Path, made: str, held: list[str], made_now: str, held_now: list[str], hit: bool
) -> None:
    """The build keys on what its reused backend venv holds and was made for: another backend
    version or other requirements run it again, and so does an isolated build (its marker is
    one no run matches: its backend came from the index as it was then)."""
    settings = load_settings(write_project(tmp_path))
    (build,) = [job for job in define(settings).jobs if job.name == "build"]

    def backend(marker: str, names: list[str]) -> str:
        folder = settings.project_dir / BUILD_BACKEND_DIR
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "lib/python3.11/site-packages").mkdir(parents=True)
        for name in names:
            (folder / "lib/python3.11/site-packages" / name).mkdir()
        (folder / BUILD_BACKEND_MARKER).write_text(marker, encoding="utf-8")
        return venv_contents(settings, build)

    assert (backend(made, held) == backend(made_now, held_now)) is hit
