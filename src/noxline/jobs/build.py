"""The ``build`` job: sdist and wheel, byte-reproducible, checked, with ``dist/SHA256SUMS``.

The build runs on a copy of the tree (tracked files plus untracked ones git does not ignore) under
``.nox/``, with the version job's version stamped into the copy: the project's own files are never
touched, even when the build is killed half-way. The copy is a git repository of its own, so
backends that list files with git (setuptools-scm) or look for ``.gitignore`` find the copy's.
The backend runs in a venv of its own that is reused while its requirements stay the same
(:func:`build_in_backend_env`), else in build's isolated envs.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

import nox
from nox.command import CommandFailed
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from noxline import confine
from noxline.ci import CIContext
from noxline.config import Settings
from noxline.dist import SUMS_NAME, Dist, read_file_metadata, write_sums
from noxline.errors import NoxlineError, name_some, one_line
from noxline.git import git_output
from noxline.jobs._support import (
    built_dist,
    refuse_links,
    report_file,
    report_folder,
    run_to_report,
    summarize,
    read_file,
    uses_uv,
    uv_executable,
)
from noxline.jobs.version import decided_version, stamp
from noxline.pipeline import BUILD_BACKEND_DIR, BUILD_BACKEND_MARKER, BUILD_ISOLATED, Job

#: Where the build copy lives, inside the project (nox's own folder, which init has git ignore).
COPY_DIR = Path(".nox", "noxline-build-copy")

REQUIREMENTS = ("build>=1.2", "twine>=6", "check-wheel-contents>=0.6")
#: What a build writes into the tree it builds (setuptools), kept out of the copy's git status.
_BUILD_LEFTOVERS = ("*.egg-info/", "/build/", "__pycache__/", "*.py[cod]")
#: What builds leave in dist-dir: wheels and sdists (the old .zip sdists too).
_BUILD_SUFFIXES = (".whl", ".tar.gz", ".zip")


def source_date_epoch(settings: Settings) -> str:
    """Commit time of HEAD, so two builds of one commit are byte-identical."""
    return _git(settings.project_dir, "log", "-1", "--format=%ct").strip()


def build_env(session: nox.Session, settings: Settings) -> dict[str, str]:
    """Environment of ``python -m build``: reproducible, and cheap isolated build envs.

    The isolated envs are thrown away after one use, so uv does not compile their bytecode (a
    ``UV_COMPILE_BYTECODE=1`` in the environment would compile the whole build backend twice per
    run).
    ``UV`` names the uv that nox installs with, so build does not look it up on ``PATH`` (where it
    may be a slow shim, as pyenv's is: about 0.1 s per call, four calls per build).
    """
    env = {"SOURCE_DATE_EPOCH": source_date_epoch(settings), "UV_COMPILE_BYTECODE": "0"}
    uv = uv_executable() if uses_uv(session) else None
    if uv:
        env["UV"] = uv
    return env


def empty_dist_dir(dist_dir: Path, settings: Settings) -> None:
    """Remove the previous build's files from ``dist_dir``, and nothing else.

    Only what a build leaves there (wheels, sdists, SHA256SUMS) is deleted; anything else
    (a docs folder someone pointed dist-dir at, a .venv, notes) stops the build with a message,
    untouched: noxline never deletes what it did not make.
    """
    if not dist_dir.exists() and not dist_dir.is_symlink():
        return
    if dist_dir.is_symlink() or not dist_dir.is_dir():
        raise NoxlineError(
            f"dist-dir {settings.dist_dir} is not a plain folder (a file or a symbolic link): "
            "remove it, or set dist-dir in [tool.noxline] to a folder of its own"
        )
    entries = sorted(dist_dir.iterdir())
    foreign = [
        entry.name
        for entry in entries
        if entry.is_symlink() or not entry.is_file() or not _is_build_output(entry.name)
    ]
    if foreign:
        shown = name_some(foreign)
        raise NoxlineError(
            f"dist-dir {settings.dist_dir} holds {shown}, which no build made; noxline empties "
            "that folder before each build and deletes only its own files: move them, or set "
            "dist-dir in [tool.noxline] to a folder of its own (nothing was deleted)"
        )
    for entry in entries:
        confine.remove(settings.project_dir, entry)


def _is_build_output(name: str) -> bool:
    """True for the files a build writes into dist-dir."""
    return name == SUMS_NAME or name.endswith(_BUILD_SUFFIXES)


def tree_files(settings: Settings) -> list[Path]:
    """The files a build copy holds: tracked, and untracked but not ignored (noxline's own outputs
    excluded even when the project does not ignore them yet)."""
    listed = _git(
        settings.project_dir, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
    )
    outputs = (Path(".nox"), settings.dist_dir, settings.reports_dir)
    files = []
    for name in dict.fromkeys(listed.split("\0")):
        path = Path(name)
        if not name or any(path.is_relative_to(folder) for folder in outputs):
            continue
        if (settings.project_dir / path).is_file():  # a deleted tracked file is not copied
            files.append(path)
    return files


def make_build_copy(settings: Settings, version: str) -> tuple[Path, dict[str, str]]:
    """Copy the tree under ``.nox/``, stamp ``version`` into it, and commit it to a git repository
    of its own; return the copy and the variables the build needs."""
    copy = settings.project_dir / COPY_DIR
    # A link committed in the tree (.nox -> /elsewhere) would have the copy deleted and written
    # outside the project.
    linked = [folder for folder in (copy.parent, copy) if folder.is_symlink()]
    if linked:
        raise NoxlineError(
            f"{linked[0]} is a symbolic link, and noxline writes its build copy only inside the "
            "project: remove the link (nothing was deleted)"
        )
    root = settings.project_dir
    confine.remove_tree(root, copy)
    for relative in tree_files(settings):
        # A tracked link leading out of the project is refused: the backend would package
        # what it points at (a runner's ~/.pypirc in a merge request's sdist).
        confine.copy_file(root, root / relative, copy / relative)
    stamped = stamp(copy, settings, version)
    identity = ("-c", "user.name=noxline", "-c", "user.email=noxline@localhost")
    _git(copy, "init", "-q")
    # What the backend writes into the copy while building (setuptools' egg-info and build/)
    # must not make the copy dirty to a plugin that asks git: excluded locally, in .git only.
    exclude = copy / ".git" / "info" / "exclude"
    confine.write_text(
        copy, exclude, "".join(f"{entry}\n" for entry in _BUILD_LEFTOVERS), exact=True
    )
    _git(copy, "add", "-A")
    _git(
        copy, *identity, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", version
    )
    # The version as the copy's release tag (annotated: `git describe` without --tags sees it),
    # so a plugin that derives the version from git tags computes exactly this one.
    tag = f"{settings.tag_prefix}{version}"
    _git(copy, *identity, "-c", "tag.gpgsign=false", "tag", "-a", "-m", tag, tag)
    return copy, stamped.env


def _git(cwd: Path, *args: str) -> str:
    """Run one git command in ``cwd`` (bounded); a failure is one clear message."""
    return git_output(cwd, *args, fix="build from a git checkout with at least one commit")


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: clean dist/, build a stamped copy of the tree, check, checksum."""
    session.install(*REQUIREMENTS)
    described = session.run("python", "-c", _DESCRIBE, silent=True)
    if not isinstance(described, str):
        return  # --install-only: installed; dist/ and the backend's env are left as they are
    version = decided_version(settings.project_dir / job.upstream_files["version"])
    dist_dir = settings.project_dir / settings.dist_dir
    empty_dist_dir(dist_dir, settings)
    copy, version_env = make_build_copy(settings, version)
    env = build_env(session, settings) | version_env
    if not build_in_backend_env(session, settings, copy, env, described):
        # The isolated envs get the backend as the index offers it now, which no key can know:
        # the marker keeps this result from ever being reused (inputs.venv_contents).
        folder = settings.project_dir / BACKEND_DIR
        confine.remove_tree(settings.project_dir, folder)
        confine.make_folder(settings.project_dir, folder)
        confine.write_text(folder, _BACKEND_MARKER, BUILD_ISOLATED, exact=True)
        # build's own installer for the isolated build env: uv when the session has it, else pip.
        installer = ("--installer", "uv") if uses_uv(session) else ()
        session.run(
            "python", "-m", "build", *installer, "--outdir", str(dist_dir), str(copy), env=env
        )
    files = sorted(str(path) for path in dist_dir.iterdir())
    warnings = _twine_check(session, settings, job, files)
    warnings += _check_wheel_contents(session, settings, job, files)
    sums = write_sums(dist_dir)
    dist = built_dist(settings)
    built = check_built_version(settings, dist, version)
    confine.write_bytes(
        settings.project_dir,
        report_folder(settings, job) / sums.name,
        confine.read_bytes(settings.project_dir, sums),
    )
    session.log(
        f"built {dist.wheel.path.name} and {dist.sdist.path.name} (version {built}); "
        f"checksums in {sums}"
    )
    summarize(settings, job, f"{settings.name} {built}{_warned(warnings)}")


#: The build backend's environment, made once and reused while the backend's requirements and
#: the interpreter stay the same (nox's own folder, which init has git ignore).
BACKEND_DIR = Path(BUILD_BACKEND_DIR)
#: The file in it naming what it was made for (requirements, interpreter).
_BACKEND_MARKER = BUILD_BACKEND_MARKER
#: Asked of the session's Python: where its packages are (build's own, appended to the
#: frontend's path), and which interpreter it runs on.
_DESCRIBE = (
    "import os, sys, sysconfig; print(sysconfig.get_path('purelib')); "
    "print(os.path.realpath(sys._base_executable), sys.version)"
)
#: build's command line, run by the backend environment's Python with build (from the session's
#: venv) appended to its path: the frontend process sees build, each backend hook (a process of
#: its own, as in an isolated build) sees only the backend's requirements.
_FRONTEND = (
    "import sys; sys.path.append(sys.argv.pop(1)); from build.__main__ import main; "
    "main(sys.argv[1:])"
)


def backend_requirements(copy: Path) -> list[str] | None:
    """The build copy's ``build-system.requires``; None when it declares none (build then falls
    back to setuptools' legacy backend, in an isolated build)."""
    try:
        data = tomllib.loads(confine.read_text(copy, "pyproject.toml"))
    except (OSError, NoxlineError, tomllib.TOMLDecodeError):
        return None
    system = data.get("build-system")
    requires = system.get("requires") if isinstance(system, dict) else None
    if not isinstance(requires, list) or not all(isinstance(item, str) for item in requires):
        return None
    return list(requires)


def build_in_backend_env(
    session: nox.Session, settings: Settings, copy: Path, env: dict[str, str], described: str
) -> bool:
    """Build sdist and wheel (from the sdist), as ``python -m build`` does, with the backend in
    :data:`BACKEND_DIR`; False when that cannot be used (the caller builds in isolated envs).

    An isolated build makes two throw-away envs per run (sdist, then wheel) and installs the
    backend into each, uncompiled, so that every backend hook compiles the backend again. Here
    the env holds exactly ``build-system.requires``, its bytecode kept once written (in runs that
    reuse venvs: :func:`noxline.sessions.bytecode_env`), and is made again when
    those requirements or the interpreter change; each run still installs the requirements into
    it (uv: nothing to do when they are met), as nox does for a reused venv, and build still
    checks the backend's own further requirements (``get_requires_for_build_*``). Anything that
    fails here (a backend asking for more than it declares, a broken env) is a warning and the
    isolated build decides, never a different result. ``described`` is the session Python's
    answer to :data:`_DESCRIBE`.
    """
    uv = uv_executable() if uses_uv(session) else None
    requires = backend_requirements(copy)
    if uv is None or requires is None:
        return False
    frontend_path, _, interpreter = described.strip().partition("\n")
    key = json.dumps({"requires": requires, "python": interpreter.strip()}, sort_keys=True)
    folder = settings.project_dir / BACKEND_DIR
    refuse_links(settings, folder)
    python = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    made = _backend_marker(folder) == key and python.is_file()
    dist_dir = settings.project_dir / settings.dist_dir
    try:
        if not made:
            confine.remove_tree(settings.project_dir, folder)
            base = str(Path(session.bin) / "python")
            session.run(uv, "venv", "--quiet", "--python", base, str(folder), external=True)
        session.run(
            uv, "pip", "install", "--quiet", "--python", str(python), *requires, external=True
        )
        if not made:
            confine.write_text(folder, _BACKEND_MARKER, key, exact=True)
        session.run(
            str(python),
            "-I",
            "-c",
            _FRONTEND,
            frontend_path,
            "--no-isolation",
            "--outdir",
            str(dist_dir),
            str(copy),
            env=env,
            external=True,
        )
    except (CommandFailed, OSError, NoxlineError) as error:
        session.warn(
            f"building with the backend in {BACKEND_DIR} failed ({one_line(str(error))}): "
            "building isolated"
        )
        empty_dist_dir(dist_dir, settings)
        return False
    return True


def _backend_marker(folder: Path) -> str:
    """What the backend env in ``folder`` was made for (empty: nothing, or unreadable)."""
    return confine.read_marker(folder, _BACKEND_MARKER)


def _warned(warnings: list[str]) -> str:
    """The summary's note of the checks' warnings (empty when there are none)."""
    if not warnings:
        return ""
    return f" ({len(warnings)} warning{'s' if len(warnings) > 1 else ''}: see the log)"


#: check-wheel-contents findings that are no defect by themselves, warnings unless the project
#: configures check-wheel-contents: W002 identical files (license copies, templates), W004 a
#: module at a path no import reaches (data files ending in .py), W009 several top-level
#: packages (toolz and tlz, pytest and _pytest), W010 a top-level package without Python modules
#: (data or extension-only). Bytecode, top-level files and tests, empty wheels stay failures.
TOLERATED_WHEEL_FINDINGS = frozenset({"W002", "W004", "W009", "W010"})
#: Where check-wheel-contents reads a project's configuration (file, section).
_WHEEL_CONTENTS_CONFIGS = (
    ("check-wheel-contents.cfg", "[check-wheel-contents]"),
    ("tox.ini", "[check-wheel-contents]"),
    ("setup.cfg", "[tool:check-wheel-contents]"),
    ("pyproject.toml", "[tool.check-wheel-contents]"),
)


def _check_wheel_contents(
    session: nox.Session, settings: Settings, job: Job, files: list[str]
) -> list[str]:
    """Run check-wheel-contents on the wheel; return the tolerated findings as warnings, or fail
    in one line naming the findings."""
    report = report_file(settings, job, "wheel-contents")
    wheels = (name for name in files if name.endswith(".whl"))
    try:
        run_to_report(session, report, "check-wheel-contents", *wheels)
    except CommandFailed:
        output = read_file(settings, report)
        findings = wheel_findings(output)
        configured = any(
            section in _read(settings.project_dir, name)
            for name, section in _WHEEL_CONTENTS_CONFIGS
        )
        if configured or not findings or set(findings) - TOLERATED_WHEEL_FINDINGS:
            codes = ", ".join(findings) or "an error"
            raise NoxlineError(
                f"check-wheel-contents found {codes} in the wheel ({report.name} in the build's "
                "reports lists the files): fix what the wheel ships, or ignore the finding in "
                "[tool.check-wheel-contents] ignore"
            ) from None
        for code, text in findings.items():
            session.warn(
                f"check-wheel-contents: {code} {text} (a warning: no defect by itself; "
                "[tool.check-wheel-contents] in pyproject.toml makes it fail or silences it)"
            )
        return [f"{code} {text}" for code, text in findings.items()]
    return []


def wheel_findings(output: str) -> dict[str, str]:
    """check-wheel-contents' findings by code (``W009: Wheel contains multiple toplevel ...``)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    found = re.findall(r": ([EW][0-9]{3}): (.+?):?\s*$", plain, flags=re.MULTILINE)
    return dict(sorted(dict(reversed(found)).items()))


def _read(root: Path, name: str) -> str:
    """The text of the project's file ``name``, empty when it cannot be read."""
    try:
        return confine.read_text(root, name, errors="replace")
    except (OSError, NoxlineError):
        return ""


def _twine_check(session: nox.Session, settings: Settings, job: Job, files: list[str]) -> list[str]:
    """Run ``twine check`` on the built files; return its warnings, or fail in one line."""
    report = report_file(settings, job, "twine-check")
    try:
        run_to_report(session, report, *twine_check_command(settings), *files)
    except CommandFailed:
        raise NoxlineError(twine_failure(read_file(settings, report), report.name)) from None
    warnings = twine_warnings(read_file(settings, report))
    for warning in warnings:
        session.warn(
            f"twine check: {warning} (a warning: the package is fine, only its PyPI page may "
            "show less; strict-metadata = true in [tool.noxline] makes this fail)"
        )
    return warnings


def twine_check_command(settings: Settings) -> tuple[str, ...]:
    """``twine check``, strict (warnings fail) only when the project asks for strict metadata.

    twine's warnings are a missing long description or content type: the package installs and
    works, PyPI just shows no description, so by default they warn. Rendering errors (a
    description PyPI cannot show) and unreadable files fail either way.
    """
    return ("twine", "check", *(("--strict",) if settings.strict_metadata else ()))


def twine_warnings(output: str) -> list[str]:
    """The distinct warnings in ``twine check``'s output (``WARNING  `long_description` ...``),
    colours removed (twine colours its output whenever nox forces colour)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    found = re.findall(r"^WARNING\s+(.+?)\s*$", plain, flags=re.MULTILINE)
    return list(dict.fromkeys(found))


def twine_failure(output: str, report_name: str) -> str:
    """One line saying why ``twine check`` failed and what fixes it."""
    warnings = twine_warnings(output)
    if "FAILED due to warnings" in re.sub(r"\x1b\[[0-9;]*m", "", output) and warnings:
        return (
            f"twine check --strict failed (strict-metadata = true): {' '.join(warnings)} Name a "
            'readme and its type (readme = "README.md" in [project], or long_description = file: '
            "README.md and long_description_content_type = text/markdown in setup.cfg's "
            "[metadata]), or remove strict-metadata from [tool.noxline]"
        )
    if any(warning.startswith("`long_description_content_type` missing") for warning in warnings):
        return (
            "twine check failed: the long description does not render as reStructuredText, which "
            "PyPI assumes when the metadata names no content type, and PyPI refuses such uploads "
            f"({report_name} in the build's reports says where): name its type "
            "(long_description_content_type = text/markdown in setup.cfg's [metadata], "
            'readme = "README.md" in [project]) or fix its markup'
        )
    return (
        f"twine check failed: the long description does not render as PyPI renders it, or a file "
        f"is unreadable ({report_name} in the build's reports says where): fix the readme's markup"
    )


def check_built_version(settings: Settings, dist: Dist, decided: str) -> str:
    """The version the build made, read back from the wheel's METADATA; return it.

    When noxline handed the version to the backend, the wheel must carry it. When it could not
    (a version plugin it does not know), the built version stands for a development build, and
    a release or pre-release tag must still get exactly its own version.
    """
    name, version = read_file_metadata(dist.wheel)
    source = settings.version_source
    if name != canonicalize_name(settings.name):
        raise NoxlineError(
            f"the wheel's METADATA names {name}, not {settings.name} as noxline read the "
            "project: name the project in one place (setup.cfg [metadata], setup.py or [project])"
        )
    if str(version) == decided:
        return decided
    if source.stampable:
        raise NoxlineError(
            f"the build backend made version {version}, not {decided}: noxline could not "
            f"hand the version to this backend ({source.tool or 'static'}); "
            "set a static version in [project] or report the backend to noxline"
        )
    if not development_build(decided, os.environ, settings.tag_prefix):
        raise NoxlineError(
            f"the build made version {version}, but {decided} is a tag's version, which the "
            f"wheel must carry; noxline cannot hand versions to {source.tool}: make it derive "
            f"{decided} from the tag, or set the version where {source.tool} reads it, before "
            "tagging"
        )
    return str(version)


def development_build(decided: str, env: Mapping[str, str], tag_prefix: str = "") -> bool:
    """True when the decided version is a development build's (``<next>.devN``, not the version
    a tag names): then a version plugin noxline does not know may build its own.

    Read from the version and the CI variables alone, without git: the build job of a GitLab
    pipeline has no history to decide again with (see :mod:`noxline.versioning`).
    """
    tag = CIContext.from_env(env).tag
    try:
        tagged = Version(tag.removeprefix(tag_prefix) if tag_prefix else tag) == Version(decided)
    except InvalidVersion:
        tagged = False  # a tag that names no version (deploy-x): a development build
    return Version(decided).dev is not None and not tagged
