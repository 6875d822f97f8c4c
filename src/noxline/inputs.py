"""A job's inputs read and hashed: the key under which ``noxline run`` keeps a green result.

What a job reads is declared once, :class:`noxline.pipeline.Inputs`; this module turns that
declaration into a key. The pure part, :func:`job_facts` and :func:`cache_key`, maps what was
read (a :class:`Snapshot` of the run, the :class:`Ready` facts of a job about to start) to a
SHA-256; the rest reads the disk, git, the environment and the interpreters, once per run.

A key changes with any of: the content of a file the job reads (tracked, or untracked and not
ignored: ``git ls-files -co --exclude-standard``), the built dist/ files (jobs that use them), the
reports of jobs it reads (``Job.upstream_files``), HEAD and the tags (jobs that read git), the
settings, the job's interpreter (its real path, size, time and ``sys.version``), what its reused
venv holds, noxline (its version and the digest of its own files), nox's and uv's versions, the
environment variables the job reads and the files they name, what the configuration files it
reads name outside the project, and its tools' user configuration files. Ignored files count as
tracked ones do (the tools do not follow ``.gitignore``), caches and venvs left out. Variable
values are hashed, never stored.

Globs follow GitLab's ``rules:changes`` (Ruby's ``File.fnmatch`` with ``FNM_PATHNAME``,
``FNM_DOTMATCH`` and ``FNM_EXTGLOB``): ``**/`` any folders, ``*`` and ``?`` within one name,
dot files included, ``{a,b}`` alternatives, ``[...]`` classes, ``\\`` escapes. The same globs
become merge-request pipelines' ``changes:`` (:mod:`noxline.gitlab`), so both agree on what a job
reads.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from noxline import confine, patterns
from noxline.about import __version__
from noxline.commands import CommandError, run
from noxline.config import Settings
from noxline.git import run_git
from noxline.pipeline import BUILD_BACKEND_MARKER, BUILD_ISOLATED, Job, Pipeline
from noxline.project import CONFIG_FILES, config_words

#: Bumped when the key's facts change meaning, so entries of older noxlines are never reused.
KEY_FORMAT = 1

#: Variables a shell or terminal sets that no job's result depends on: left out of ``*``.
SHELL_VARIABLES = frozenset(
    {
        "_",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "TERM",
        "COLORTERM",
        "COLUMNS",
        "LINES",
        "PS1",
        "PS2",
        "PROMPT_COMMAND",
        "HISTFILE",
        "HISTSIZE",
        "HISTCONTROL",
        "LS_COLORS",
        "LESSOPEN",
        "LESSCLOSE",
        "MAIL",
        "DISPLAY",
        "XAUTHORITY",
        "WINDOWID",
        "GPG_TTY",
        "SSH_AUTH_SOCK",
        "SSH_AGENT_PID",
        "SSH_CLIENT",
        "SSH_CONNECTION",
        "SSH_TTY",
        "DBUS_SESSION_BUS_ADDRESS",
        "SECURITYSESSIONID",
        "NO_COLOR",
        "FORCE_COLOR",
    }
)
#: Variables of noxline's own run, never a job's input though ``NOXLINE_*`` names them: the
#: cache switch, and the run lock's marker (the pid of the run: another in every run).
RUN_VARIABLES = frozenset({"NOXLINE_NO_CACHE", confine.LOCK_VARIABLE})
#: Prefixes of terminal and session variables left out of ``*`` for the same reason.
SHELL_PREFIXES = (
    "TERM_",
    "TMUX",
    "STY",
    "ITERM",
    "KITTY_",
    "VSCODE_",
    "WT_",
    "XDG_SESSION",
    "XDG_SEAT",
    "XDG_VTNR",
    "LC_TERMINAL",
)

#: Seconds an interpreter may take to say what it is.
PROBE_TIMEOUT = 30.0

#: Configuration files (by name) whose words are not paths: git's and ruff's ignore patterns
#: (``/build`` is anchored to the project, not the root folder), and Python code.
NOT_PATH_TEXT = (".gitignore", ".ignore", ".py")
#: The most paths outside the project one run keys from configuration files' text.
MAX_NAMED_OUTSIDE = 200
#: A file named by a variable larger than this is keyed by its size and time, not read whole.
MAX_VARIABLE_FILE = 16 << 20
#: Variables whose folders the jobs' tools read file by file (stubs, importable code, the
#: installers' find-links folders and file indexes): a folder they name outside the project is
#: keyed by the content of every file in it.
FOLDER_VARIABLES = frozenset(
    {"MYPYPATH", "PYTHONPATH", "UV_FIND_LINKS", "PIP_FIND_LINKS", "UV_INDEX_URL", "PIP_INDEX_URL"}
)
#: The most ignored files keyed in the tree; past it, the run's key holds a value of its own (no
#: entry is reused: sound before fast).
MAX_LISTED_FILES = 20_000
#: The most files keyed in a folder a link or a variable leads to, each read whole; past it, the
#: folder's digest is a value of its own (the jobs reading it run every time).
MAX_FOLDER_FILES = 5_000
#: The name a folder's files are keyed under when it holds too many (a value of its own each
#: run): ``**/*.py`` and ``<folder>/**/*`` globs match it, so the jobs reading the folder run.
TOO_MANY = "(too many files to key).py"
#: Folders whose ignored files are caches, venvs and editors' state, never a job's input (not
#: Hypothesis's example database: its tests replay what it holds; a ``.pyc`` beside its source
#: is imported when the source is gone, and is keyed too).
IGNORED_SKIPPED = frozenset(
    {
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".git",
        "site-packages",
        "dist-packages",
        "node_modules",
        ".idea",
    }
)


# --- globs --------------------------------------------------------------------------------------


def glob_pattern(glob: str) -> str:
    """A regular expression matching the POSIX paths ``glob`` matches (GitLab's semantics)."""
    out: list[str] = []
    index, depth = 0, 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index) and (index == 0 or glob[index - 1] == "/"):
            out.append("(?:[^/]*/)*")  # any folders, none included
            index += 3
            continue
        if glob.startswith("**", index) and (index == 0 or glob[index - 1] == "/"):
            out.append(".*") if index + 2 == len(glob) else out.append("[^/]*")
            index += 2
            continue
        if char == "\\" and index + 1 < len(glob):
            out.append(re.escape(glob[index + 1]))
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = glob.find("]", index + 2)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = glob[index + 1 : end]
                negated = body.startswith(("!", "^"))
                body = body[1:] if negated else body
                out.append(f"[{'^/' if negated else ''}{body.replace(chr(92), chr(92) * 2)}]")
                index = end
        elif char == "{":
            out.append("(?:")
            depth += 1
        elif char == "," and depth:
            out.append("|")
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out) + ")" * depth


class Globs:  # pylint: disable=too-few-public-methods
    """Globs compiled for matching paths, by the bounded engine (:mod:`noxline.patterns`): a
    glob holds setting text (the source and tests folders, escaped), so its expression is
    compiled as any pattern from the settings is. Globs are joined into as few expressions as
    :data:`noxline.patterns.MAX_LENGTH` allows (one match per expression and path)."""

    def __init__(self, globs: tuple[str, ...]) -> None:
        """Compile ``globs`` (none: nothing matches). A glob the engine refuses (longer than it
        accepts: a source folder named by hundreds of characters) matches every path: every file
        is then an input of the job, so its key changes too often, never too rarely."""
        groups: list[list[str]] = []
        for glob in globs:
            piece = f"(?:{glob_pattern(glob)})"
            if groups and len("(?s)" + "|".join([*groups[-1], piece])) <= patterns.MAX_LENGTH:
                groups[-1].append(piece)
            else:
                groups.append([piece])
        try:
            compiled = tuple(patterns.compile_pattern("(?s)" + "|".join(g)) for g in groups)
        except patterns.PatternError:
            compiled = (patterns.compile_pattern("(?s).*"),)
        self._compiled = compiled

    def fullmatch(self, path: str) -> bool:
        """True when one of the globs matches all of the POSIX ``path``; a match too slow to
        answer counts as one (the file is then an input: a key changes too often, never too
        rarely)."""
        for compiled in self._compiled:
            try:
                if compiled.fullmatch(path):
                    return True
            except patterns.TooSlow:
                return True
        return False


@functools.lru_cache(maxsize=256)
def compiled_globs(globs: tuple[str, ...]) -> Globs:
    """``globs`` compiled once per run (:class:`Globs`)."""
    return Globs(globs)


def matches(globs: Iterable[str], path: str) -> bool:
    """True when the POSIX ``path`` (relative to the project) matches one of ``globs``."""
    return compiled_globs(tuple(globs)).fullmatch(path)


def reads_variable(patterns: Iterable[str], name: str) -> bool:
    """True when a variable called ``name`` is among ``patterns`` (a name, ``PREFIX*``, or ``*``:
    every variable but a shell's or terminal's own); never one of :data:`RUN_VARIABLES`."""
    if name in RUN_VARIABLES:
        return False
    for pattern in patterns:
        if pattern == "*":
            if name not in SHELL_VARIABLES and not name.startswith(SHELL_PREFIXES):
                return True
        elif pattern.endswith("*"):
            if name.startswith(pattern[:-1]):
                return True
        elif name == pattern:
            return True
    return False


def value_words(value: str) -> tuple[str, ...]:
    """The words of a variable's value that may name a file or folder: the value split at
    whitespace, ``=``, ``,``, ``;`` and the path separator (``PYTEST_ADDOPTS="-c ci/pytest.ini"``
    holds ``ci/pytest.ini``, ``MYPYPATH=a:b`` holds ``a`` and ``b``), by the rule configuration
    files' words follow (:func:`noxline.project.config_words`)."""
    return config_words(value, "=,;" + os.pathsep)


# --- the facts and the key (pure) ---------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What a run reads once, before any job starts, to key every job."""

    #: POSIX path → content digest of every file of the tree (noxline's outputs left out).
    tree: Mapping[str, str]
    #: The jobs' environment.
    environ: Mapping[str, str]
    #: The settings, as text (every field).
    settings: str
    #: noxline's version and files' digest, nox's and uv's versions.
    runtime: Mapping[str, str]
    #: HEAD and the tags (empty outside a repository).
    git: Mapping[str, str] = field(default_factory=dict)
    #: Path (as declared, ``~/...``) → digest of each user configuration file ("absent").
    user_files: Mapping[str, str] = field(default_factory=dict)
    #: A word of a variable's value naming a file or folder (``PYLINTRC=ci/pylintrc``,
    #: ``MYPYPATH=/opt/stubs``) → the digest of what it names (:func:`variable_file_digests`).
    variable_files: Mapping[str, str] = field(default_factory=dict)
    #: Path → digest of each configuration file a tool may take from a folder above the
    #: project (:func:`above_digests`; "missing" where there is none: one appearing counts).
    above: Mapping[str, str] = field(default_factory=dict)
    #: A configuration file of the tree → what the paths outside the project its text names
    #: (``mypy_path = "/opt/stubs"``, ``path = "../shared"``) hold (:func:`outside_named`).
    named_outside: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Ready:
    """What is read of a job when it is about to start (its needs have ended)."""

    #: The job's interpreter: its real path, size, time and ``sys.version``.
    interpreter: str
    #: File name → sha256 of every file in dist/ (for jobs whose inputs name the dist).
    dist: Mapping[str, str] = field(default_factory=dict)
    #: POSIX path → digest of every file the job's ``upstream_files`` globs find.
    upstream: Mapping[str, str] = field(default_factory=dict)
    #: What the job's reused venv holds (:func:`venv_contents`); empty for a job without one.
    venv: str = ""


def _digest_text(text: str) -> str:
    """SHA-256 of ``text`` (UTF-8), hex."""
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def job_facts(job: Job, snapshot: Snapshot, ready: Ready) -> dict[str, Any]:
    """Everything the job's result depends on, as plain data: what :func:`cache_key` hashes."""
    inputs = job.inputs
    pattern = compiled_globs(inputs.files)
    files = {path: digest for path, digest in snapshot.tree.items() if pattern.fullmatch(path)}
    return {
        "format": KEY_FORMAT,
        "job": job.name,
        "session": job.session,
        "variables": job.environment(),
        "settings": snapshot.settings,
        "runtime": dict(snapshot.runtime),
        "interpreter": ready.interpreter,
        "files": files,
        "named_outside": {
            path: dict(named) for path, named in snapshot.named_outside.items() if path in files
        },
        "above": dict(snapshot.above),
        "dist": dict(ready.dist) if inputs.dist else {},
        "upstream": dict(ready.upstream),
        "venv": ready.venv,
        "git": dict(snapshot.git) if inputs.git else {},
        "env": {
            name: _digest_text(value)
            for name, value in snapshot.environ.items()
            if reads_variable(inputs.env, name)
        },
        "user_files": {path: snapshot.user_files.get(path, "unread") for path in inputs.user_files},
        "variable_files": {
            word: snapshot.variable_files[word]
            for name, value in sorted(snapshot.environ.items())
            if reads_variable(inputs.env, name)
            for word in value_words(value)
            if word in snapshot.variable_files
        },
    }


def cache_key(facts: Mapping[str, Any]) -> str:
    """The SHA-256 of ``facts`` in one canonical JSON form: equal facts, equal keys."""
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return _digest_text(text)


# --- reading the facts --------------------------------------------------------------------------


def file_digest(root: Path, path: Path | str) -> str:
    """SHA-256 of the bytes of ``path`` inside ``root``, read through :mod:`noxline.confine`; a
    link is its target's text (and content, if a regular file); a missing file, a folder (a
    submodule) or a special file is named, never opened.

    A file reached through a link leading out of ``root`` is never opened (confinement): it is
    its size and modification time instead, so changing it still changes the digest.
    """
    try:
        full = confine.path_of(root, path)
    except confine.ConfinementError:
        return "outside"  # named outside ``root``: never looked at
    try:
        info = full.lstat()
    except OSError:
        return "missing"
    prefix = ""
    if stat.S_ISLNK(info.st_mode):
        prefix = "link:" + os.readlink(full) + ":"
        try:
            info = full.stat()
        except OSError:
            return prefix + "dangling"
    if not stat.S_ISREG(info.st_mode):
        return prefix + ("folder" if stat.S_ISDIR(info.st_mode) else "special")
    if info.st_mode & 0o111:
        prefix += "executable:"  # git, a wheel and a test running the file all see the bit
    # The tree is read again after every job (reread): a file whose identity, size and time
    # (to the nanosecond) are those it was hashed with is not read again, as git's index does.
    seen = (str(full), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    with _HASHED_LOCK:
        known = _HASHED.get(seen)
    if known is not None:
        return prefix + known
    digest = hashlib.sha256()
    try:
        with confine.open_read(root, path) as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        return prefix + "missing"
    except confine.ConfinementError:
        return f"{prefix}outside:{info.st_size}:{info.st_mtime_ns}"
    except OSError:
        return prefix + "unreadable"
    with _HASHED_LOCK:
        if len(_HASHED) >= MAX_HASHED:
            _HASHED.clear()
        _HASHED[seen] = digest.hexdigest()
    return prefix + digest.hexdigest()


#: Content digests of this process by file identity (path, device, inode, size, modification
#: and change times), so reading the tree again after each job reads only what changed.
_HASHED: dict[tuple[str, int, int, int, int, int], str] = {}
_HASHED_LOCK = threading.Lock()
#: The most digests remembered (past it, all are forgotten: a run then reads each file again).
MAX_HASHED = 200_000


def outputs(settings: Settings) -> tuple[Path, ...]:
    """Folders noxline writes into the project, never a job's input (as the build copy skips)."""
    return (Path(".nox"), settings.dist_dir, settings.reports_dir)


def tree_digests(settings: Settings) -> dict[str, str] | None:
    """POSIX path → digest of the tree's files (tracked, untracked but not ignored; a submodule
    or a link to a folder is keyed by every file the folder holds); None when git cannot list them
    (not a repository)."""
    root = settings.project_dir
    done = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if done.returncode != 0:
        return None
    skipped = outputs(settings)
    result: dict[str, str] = {}
    for name in sorted(set(done.stdout.split("\0")) - {""}):
        if any(Path(name).is_relative_to(folder) for folder in skipped):
            continue
        result[name] = file_digest(root, name)
        if result[name] == "folder":
            result.update(_through_link(root, Path(name), submodule=True))
        elif result[name].endswith(":folder"):
            result.update(_through_link(root, Path(name)))
    return result


def _through_link(root: Path, name: Path, *, submodule: bool = False) -> dict[str, str]:
    """POSIX path → digest of every file in the folder ``name`` (a link to a folder, or a
    submodule), each under its path through ``name``: git lists the folder, never the files in
    it, and tools read them (the globs then match). A link to the project or a folder holding it
    (``.``, ``..``) adds nothing: walking it would walk the project (its outputs too) again."""
    target = Path(os.path.realpath(root / name))
    if not submodule and _inside(root, target):
        return {}
    inside = _folder_files(target)
    if inside is None:  # too many to key: a name every glob of its folder matches
        inside = {TOO_MANY: os.urandom(16).hex()}
    return {f"{name.as_posix()}/{path}": digest for path, digest in inside.items()}


def ignored_digests(settings: Settings) -> dict[str, str] | None:
    """POSIX path → digest of every ignored file: git's ignore rules are not the tools' (pylint
    and mypy check a generated ``_version.py``, pytest reads an ignored ``pytest.ini``, a test
    opens an ignored ``.env`` or data file), so an ignored file is an input of every job whose
    globs match it, as a tracked one is. Caches (:data:`IGNORED_SKIPPED`), venvs (a folder
    holding ``pyvenv.cfg``) and noxline's outputs are left out; None when more than
    :data:`MAX_LISTED_FILES` remain (no entry is then reused: sound before fast).

    git lists a wholly ignored folder once (``--directory``) instead of every file in it, so
    ``.nox``'s venvs are never listed; the other folders are walked here, caches and venvs pruned.
    """
    root = settings.project_dir
    done = run_git(
        root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"
    )
    if done.returncode != 0:
        return None
    skipped = outputs(settings)

    def left_out(path: Path) -> bool:
        """True for a cache, a venv, a compiled module or an output of noxline."""
        return (
            bool(IGNORED_SKIPPED & set(path.parts))
            or any(path.is_relative_to(folder) for folder in skipped)
            or os.path.isfile(root / path / "pyvenv.cfg")
        )

    result: dict[str, str] = {}
    for name in sorted(set(done.stdout.split("\0")) - {""}):
        top = Path(name)
        if left_out(top):
            continue
        if not name.endswith("/"):
            result[name] = file_digest(root, name)
        else:
            for current, folders, names in os.walk(root / top):
                here = Path(current).relative_to(root)
                folders[:] = sorted(folder for folder in folders if not left_out(here / folder))
                # A link to a folder is not walked (os.walk): it is keyed by its target, as
                # the tree keys one.
                links = [name for name in folders if os.path.islink(root / here / name)]
                for file_name in sorted([*names, *links]):
                    if not left_out(here / file_name):
                        result[(here / file_name).as_posix()] = file_digest(root, here / file_name)
                for link in links:
                    result.update(_through_link(root, here / link))
                if len(result) > MAX_LISTED_FILES:
                    return None
        if len(result) > MAX_LISTED_FILES:
            return None
    return result


def _marked_ignored(digests: Mapping[str, str]) -> dict[str, str]:
    """``digests`` of ignored files, each marked so: whether git ignores a file is an input too
    (a build copies and setuptools-scm lists what git does not ignore; ruff skips what it
    ignores), so a file that becomes ignored (``.git/info/exclude``, a global excludes file)
    changes the key though its bytes do not."""
    return {path: "ignored:" + digest for path, digest in digests.items()}


#: The files of the repository (``git rev-parse --git-path``) that change what git answers
#: without changing a ref: a shallow clone's boundary (``git describe`` finds no tag past it),
#: the attributes of this clone alone (``export-ignore``, ``eol``).
GIT_FILES = ("shallow", "info/attributes", "info/grafts")


def git_state(project_dir: Path) -> dict[str, str]:
    """What git answers a job from: HEAD's commit (its time is SOURCE_DATE_EPOCH), every tag and
    replace ref (``git replace`` rewrites the history ``git describe`` counts) with what it
    points at, the index (what is staged: setuptools-scm's file list, a test running ``git
    ls-files``), git's configuration as it applies here (``core.useReplaceRefs``,
    ``core.attributesFile``, ``core.autocrlf``; every level), and :data:`GIT_FILES`."""
    head = run_git(project_dir, "rev-parse", "--verify", "-q", "HEAD")
    refs = run_git(
        project_dir,
        "for-each-ref",
        "--format=%(refname) %(objectname)",
        "refs/tags",
        "refs/replace",
    )
    index = run_git(project_dir, "ls-files", "-z", "--stage")
    configuration = run_git(project_dir, "config", "--list", "-z")
    asked = [word for name in GIT_FILES for word in ("--git-path", name)]
    paths = run_git(project_dir, "rev-parse", *asked).stdout.splitlines()
    files = {
        name: file_digest((project_dir / path).parent, (project_dir / path).name)
        for name, path in zip(GIT_FILES, paths)
    }
    return {
        "head": head.stdout.strip(),
        "tags": _digest_text(refs.stdout),
        "index": _digest_text(index.stdout),
        "configuration": _digest_text(configuration.stdout),
        "files": _digest_text(json.dumps(files, sort_keys=True)),
    }


def dist_digests(settings: Settings) -> dict[str, str]:
    """File name → digest of every file in dist/ (empty when there is none)."""
    folder = settings.project_dir / settings.dist_dir
    try:
        names = sorted(entry.name for entry in folder.iterdir())
    except OSError:
        return {}
    return {name: file_digest(settings.project_dir, folder / name) for name in names}


def upstream_digests(settings: Settings, job: Job) -> dict[str, str]:
    """POSIX path → digest of every report of other jobs that ``job`` reads."""
    root = settings.project_dir
    found: dict[str, str] = {}
    for pattern in job.upstream_files.values():
        for path in sorted(root.glob(pattern)):
            found[path.relative_to(root).as_posix()] = file_digest(root, path)
    return found


def noxline_digest() -> str:
    """SHA-256 over noxline's own installed files: an edited checkout is another noxline."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(file_digest(package, path).encode() + b"\0")
    return digest.hexdigest()


def _distribution_version(name: str) -> str:
    """The installed version of distribution ``name``, or "absent"."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def _executable_identity(path: str | None) -> str:
    """An executable's real path, size and modification time ("absent" when there is none)."""
    if not path:
        return "absent"
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except OSError:
        return f"{real}:missing"
    return f"{real}:{info.st_size}:{info.st_mtime_ns}"


def runtime_identity(environ: Mapping[str, str]) -> dict[str, str]:
    """noxline (version and files), nox, virtualenv and uv as they would run the jobs."""
    return {
        "noxline": f"{__version__}:{noxline_digest()}",
        "nox": _distribution_version("nox"),
        "virtualenv": _distribution_version("virtualenv"),
        "uv": _distribution_version("uv"),
        "uv-executable": _executable_identity(shutil.which("uv", path=environ.get("PATH"))),
        "python": f"{_executable_identity(sys.executable)}:{sys.version}",
    }


def user_file_digests(paths: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """Declared path (``~/...``) → digest of the file it names ("missing" when absent).

    Each is read confined to the folder it is declared in (:func:`file_digest`): a ``~/`` path
    inside the home folder, an absolute one (``/etc/pip.conf``) inside its own folder. A
    ``~/.config/`` path is also read under ``$XDG_CONFIG_HOME`` when that is set: the tools
    (pip, black, mypy, ruff) look there first.
    """
    home = environ.get("HOME", "")
    xdg = environ.get("XDG_CONFIG_HOME", "")
    result = {}
    for declared in dict.fromkeys(paths):
        if declared.startswith("~/"):
            found = file_digest(Path(home), declared[2:]) if home else "no home"
            if xdg and declared.startswith("~/.config/"):
                found += "|xdg:" + file_digest(Path(xdg), declared.removeprefix("~/.config/"))
        else:
            found = file_digest(Path(declared).parent, Path(declared).name)
        result[declared] = found
    return result


def _folder_files(folder: Path) -> dict[str, str] | None:
    """POSIX path inside ``folder`` → digest of every file below it (caches and ``.git`` left
    out, links not followed); None past :data:`MAX_FOLDER_FILES` files."""
    found: dict[str, str] = {}
    for current, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in IGNORED_SKIPPED)
        for name in sorted(names):
            if len(found) >= MAX_FOLDER_FILES:
                return None
            relative = (Path(current) / name).relative_to(folder)
            found[relative.as_posix()] = file_digest(folder, relative)
    return found


def _folder_digest(folder: Path) -> str:
    """SHA-256 over the names and content of every file below ``folder`` (:func:`_folder_files`);
    a value of its own past :data:`MAX_FOLDER_FILES` files (never equal to an earlier one)."""
    found = _folder_files(folder)
    if found is None:
        return "too many files:" + os.urandom(16).hex()
    return "folder:" + _digest_text(json.dumps(found, sort_keys=True))


def _inside(path: Path | str, folder: Path) -> bool:
    """True when ``path`` (links resolved) is ``folder`` or below it."""
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _named_digest(
    project_dir: Path, word: str, folders: bool, skipped: tuple[Path, ...]
) -> str | None:
    """The digest of the file (or, with ``folders``, the folder outside the project) ``word``
    names, relative to the project or absolute; None when it names neither, or names something
    in noxline's outputs (``skipped``: a report a job writes is no input)."""
    path = Path(word) if os.path.isabs(word) else project_dir / word
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None
    if any(_inside(path, project_dir / folder) for folder in skipped):
        return None
    if stat.S_ISREG(info.st_mode):
        if info.st_size > MAX_VARIABLE_FILE:
            return f"large:{info.st_size}:{info.st_mtime_ns}"
        return file_digest(path.parent, path.name)
    if folders and stat.S_ISDIR(info.st_mode) and not _inside(path, project_dir):
        return _folder_digest(Path(os.path.realpath(path)))
    return None  # a folder of PATH or HOME, or one the tree already keys


def variable_file_digests(
    project_dir: Path,
    environ: Mapping[str, str],
    *,
    skipped: tuple[Path, ...] = (),
    folders: bool = True,
) -> dict[str, str]:
    """Word of a variable's value → digest of the file it names: a file named by a variable
    (``PYLINTRC``, ``COVERAGE_RCFILE``, ``PIP_CONSTRAINT``, a ``-c`` in ``PYTEST_ADDOPTS``) is read
    by the tool the variable configures, wherever it is; with ``folders``, the folders of
    :data:`FOLDER_VARIABLES` outside the project are read file by file. Shells' own variables,
    and what lies in noxline's outputs (``skipped``, relative to the project), are left out."""
    result: dict[str, str] = {}
    for name, value in sorted(environ.items()):
        if not reads_variable(("*",), name):
            continue
        for word in value_words(value):
            if word not in result:
                walk = folders and name in FOLDER_VARIABLES
                found = _named_digest(project_dir, word, walk, skipped)
                if found is not None:
                    result[word] = found
    return result


#: Variables a configuration file may name whose folders are not walked (the value is keyed):
#: the home, temporary and venv folders, and the search paths of programs and libraries.
UNWALKED_VARIABLES = frozenset(
    {
        "HOME",
        "PATH",
        "TMPDIR",
        "TMP",
        "TEMP",
        "PWD",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "LD_LIBRARY_PATH",
    }
)
#: A variable a configuration file names: ``$NAME``, ``${NAME}``, tox's ``{env:NAME}``.
_VARIABLE = re.compile(r"(?:\$\{?|\{env:)([A-Za-z_][A-Za-z0-9_]{0,127})")


def text_paths(text: str) -> tuple[str, ...]:
    """The words of a configuration file's ``text`` that may name a path outside its project: an
    absolute path (``/opt/stubs``, a ``file:///srv/wheels`` URL's), one in the home folder
    (``~/stubs``), or one going up (``../shared``, ``./../stubs``, ``ci/../../x``); quotes,
    brackets and separators (``:`` too, as in ``mypy_path = "a:/b"``) split words
    (:func:`noxline.project.config_words`)."""
    return tuple(
        dict.fromkeys(
            "/" + word.lstrip("/") if word.startswith("/") else word
            for word in config_words(text)
            if word.startswith(("/", "~/")) or ".." in word.split("/")
        )
    )


def outside_named(
    settings: Settings, tree: Mapping[str, str], environ: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Configuration file of ``tree`` → path its text names outside the project (or ``$NAME``,
    a variable it names) → the digest of what is there (the variable's value and what its words
    name): the tools read it (``mypy_path = "/opt/stubs"``, a ``pylintrc``'s
    ``init-hook`` path, ``[tool.uv.sources] shared = { path = "../shared" }``, ``-c
    /etc/constraints.txt`` in a requirements file), so what it holds is an input of every job
    reading that file, a file by its content, a folder by every file in it
    (:func:`_folder_digest`). Paths naming nothing, the project's own folders and folders above
    the project (``../``: the project is keyed file by file already) are left out; past
    :data:`MAX_NAMED_OUTSIDE` paths a run's entries are never reused."""
    root = settings.project_dir
    config = compiled_globs(CONFIG_FILES)
    home = environ.get("HOME", "")
    skipped = outputs(settings)
    result: dict[str, dict[str, str]] = {}
    count = 0
    for name in tree:
        if not config.fullmatch(name) or name.endswith(NOT_PATH_TEXT):
            continue
        try:
            text = confine.read_text(root, name, errors="replace")
        except (OSError, confine.ConfinementError):
            continue
        for name_of in dict.fromkeys(_VARIABLE.findall(text)):
            # mypy_path = "$STUBS", a ${env:VAR} of tox: the tool reads the variable's value,
            # and what it names (a folder outside the project: every file in it).
            value = environ.get(name_of)
            named = [_digest_text(value) if value is not None else "unset"]
            for word in value_words(value or ""):
                # A folder holding the project ($HOME, $TMPDIR) or a system one ($PATH's) is
                # not walked: the variable's value is keyed, and the project's files are.
                walk = name_of not in UNWALKED_VARIABLES and not _inside(root, Path(word))
                found = _named_digest(root, word, walk, skipped)
                named.append(f"{word}={found}")
            result.setdefault(name, {})["$" + name_of] = _digest_text("\n".join(named))
        for word in text_paths(text):
            if word.startswith("~/"):
                if not home:
                    continue
                path = Path(home) / word[2:]
            else:
                path = (root / name).parent / word
            if _inside(path, root) or _inside(root, path):
                continue  # the project's own files (keyed already), or a folder holding it
            found = _named_digest(root, str(path), True, ())
            if found is None:
                continue
            count += 1
            if count > MAX_NAMED_OUTSIDE:
                found = "too many paths:" + os.urandom(16).hex()
            result.setdefault(name, {})[word] = found
    return result


#: Configuration files tools look for in the folders above a project that has none of its own:
#: ruff (the nearest ruff.toml, .ruff.toml or pyproject.toml with [tool.ruff]), pytest (its
#: rootdir's ini file, searched upwards), uv (uv.toml and pyproject.toml of a workspace).
ABOVE_CONFIGS = (
    "pyproject.toml",
    "ruff.toml",
    ".ruff.toml",
    "pytest.ini",
    ".pytest.ini",
    "tox.ini",
    "setup.cfg",
    "uv.toml",
)


def above_digests(project_dir: Path) -> dict[str, str]:
    """Path → digest of each of :data:`ABOVE_CONFIGS` in every folder above ``project_dir``
    ("missing" where absent: a new one is a change); every job's input, as each tool may
    read one when the project does not configure it."""
    return {
        str(folder / name): file_digest(folder, name)
        for folder in Path(os.path.realpath(project_dir)).parents
        for name in ABOVE_CONFIGS
    }


def take_snapshot(
    settings: Settings, pipeline: Pipeline, environ: Mapping[str, str]
) -> Snapshot | None:
    """Read what every job's key needs once; None when the project is not a git repository."""
    tree = tree_digests(settings)
    if tree is None:
        return None
    runtime = runtime_identity(environ)
    ignored = ignored_digests(settings)
    if ignored is None:  # too many to key: no entry is reused this run
        runtime["ignored files"] = "too many:" + os.urandom(16).hex()
    declared = (path for job in pipeline.jobs for path in job.inputs.user_files)
    tree = {**_marked_ignored(ignored or {}), **tree}
    return Snapshot(
        tree=tree,
        environ=dict(environ),
        settings=repr(settings),
        runtime=runtime,
        git=git_state(settings.project_dir),
        user_files=user_file_digests(declared, environ),
        variable_files=variable_file_digests(
            settings.project_dir, environ, skipped=outputs(settings)
        ),
        named_outside=outside_named(settings, tree, environ),
        above=above_digests(settings.project_dir),
    )


def reread(settings: Settings, snapshot: Snapshot) -> Snapshot | None:
    """``snapshot`` with what may change while jobs run read again: the tree (a file edited,
    added or deleted), the user configuration files and the files variables name (the folders
    they name are kept as first read); None when the tree cannot be read (too many ignored
    files, no repository).

    A green result is kept only when its key read again after the job is the key it started with:
    a file edited while the job ran (and read by it in either state) never lends its result to
    the other state."""
    tree = tree_digests(settings)
    ignored = ignored_digests(settings)
    if tree is None or ignored is None:
        return None
    # The folders variables name are kept as read (walking them again after every job costs);
    # the files they name are read again.
    walked = {
        word: found
        for word, found in snapshot.variable_files.items()
        if found.startswith(("folder:", "too many files:"))
    }
    named = variable_file_digests(
        settings.project_dir, snapshot.environ, skipped=outputs(settings), folders=False
    )
    return replace(
        snapshot,
        tree={**_marked_ignored(ignored), **tree},
        user_files=user_file_digests(snapshot.user_files, snapshot.environ),
        variable_files={**walked, **named},
    )


def job_python(job: Job) -> str:
    """The Python ``job`` runs on, as nox is asked for it ("3.12"; "" for the one nox runs on:
    a job without a venv)."""
    python = job.instance.python or (job.pythons[0] if job.pythons else "")
    return python if job.uses_venv else ""


class Interpreters:
    """Each Python a job runs on, asked once per run what it really is.

    Asking takes a process (a pyenv shim is a shell script that runs pyenv before Python: 0.1 to
    0.3 s), so :meth:`prefetch` asks every Python of the run at once, in threads, while the run
    reads its snapshot; :meth:`identity` then waits for the answer. Each Python is still asked
    in every run: what a shim or ``PATH`` finds can change between runs.
    """

    def __init__(self, project_dir: Path, environ: Mapping[str, str]) -> None:
        """Find interpreters on the ``PATH`` of ``environ``, asking them in ``project_dir``."""
        self.project_dir = project_dir
        self.environ = dict(environ)
        self._known: dict[str, Future[str]] = {}
        self._lock = threading.Lock()
        self._askers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="noxline-probe")

    def prefetch(self, pythons: Iterable[str]) -> None:
        """Start asking each of ``pythons`` what it is, in threads (:meth:`identity` waits)."""
        for python in pythons:
            self._answer(python)

    def identity(self, python: str) -> str:
        """What ``python`` ("3.12", "pypy3.10"; "" for the one nox runs on) is: the executable it
        really runs (a pyenv shim asked which), its size, time and ``sys.version``."""
        return self._answer(python).result()

    def _answer(self, python: str) -> Future[str]:
        """The (coming) answer for ``python``, asked once per run."""
        with self._lock:
            if python not in self._known:
                self._known[python] = self._askers.submit(self._probe, python)
            return self._known[python]

    def _probe(self, python: str) -> str:
        """Ask the interpreter nox would find for ``python``."""
        if not python:
            return f"{_executable_identity(sys.executable)}:{sys.version}"
        name = f"python{python}" if python[:1].isdigit() else python
        found = shutil.which(name, path=self.environ.get("PATH"))
        if not found:
            return f"{name}:not found"
        try:
            done = run(
                [found, "-c", "import sys; print(sys.executable); print(sys.version)"],
                cwd=self.project_dir,
                env=self.environ,
                timeout=PROBE_TIMEOUT,
                what=f"asking {name} what it is",
            )
        except CommandError as error:
            return f"{found}:unanswered:{'timed out' if error.timed_out else 'not started'}"
        real, _, described = done.stdout.partition("\n")
        return (
            f"{_executable_identity(real.strip() or found)}:{described.strip()}:{done.returncode}"
        )


def _venv_name(session: str) -> str:
    """The folder name nox gives a session's venv (``tests-3.12`` → ``tests-3-12``).

    nox's own rule is the private ``nox.sessions._normalize_path``; it is written again here
    because the ``noxline`` command does not import nox (about 0.1 s a run, a seventh of an
    unchanged re-run), and a private name may change under us. tests/unit/test_inputs.py holds
    the two side by side.
    """
    ascii_name = unicodedata.normalize("NFKD", session).encode("ascii", "ignore").decode("ascii")
    kept = "".join(
        char if char.isalnum() or char in "_-" or char.isspace() else "-" for char in ascii_name
    )
    words = kept.strip().lower().replace("-", " ").split()
    return "-".join(words) or hashlib.sha1(session.encode()).hexdigest()[:8]


def venv_contents(settings: Settings, job: Job) -> str:
    """What the job's reused venv holds: the names of its installed distributions and ``.pth``
    files (a version is in each name), "absent" without one; empty for a job without a venv.

    A reused venv keeps what it installed (uv does not upgrade a requirement it finds satisfied):
    a venv made anew installs the newest releases a range allows, so its contents are an input.
    nox shortens a long venv path to a hash of its name; both names are looked for."""
    if not job.uses_venv:
        return ""
    envdir = settings.project_dir / ".nox"
    if job.instance.shard:
        envdir = envdir / f"shard-{job.instance.shard}of{job.shards}"
    name = _venv_name(job.session)
    held = "absent"
    for folder in (envdir / name, envdir / hashlib.sha1(name.encode()).hexdigest()[:8]):
        found = _installed(folder)
        if found:
            held = _digest_text("\n".join(found))
            break
    # The job's own venvs (the build backend's): what they hold and the marker each keeps,
    # which a job that could not use it sets to a value no run matches.
    for own in job.inputs.venvs:
        folder = settings.project_dir / own
        made_for = confine.read_marker(folder, BUILD_BACKEND_MARKER)
        if made_for.startswith(BUILD_ISOLATED):
            # Built in isolated envs, the backend as the index offered it then: never the same.
            return f"{held}\n{own}: {uuid.uuid4()}"
        held += f"\n{own}: " + _digest_text("\n".join((made_for, *_installed(folder))))
    return held


def _installed(venv: Path) -> list[str]:
    """The names of the distributions and ``.pth`` files installed in ``venv`` (a version is in
    each name), sorted; empty without one."""
    return sorted(
        path.name
        for path in venv.glob("lib/*/site-packages/*")
        if path.name.endswith((".dist-info", ".egg-info", ".pth"))
    )


def ready_facts(settings: Settings, job: Job, interpreters: Interpreters) -> Ready:
    """What is read of ``job`` as it is about to start: its interpreter, dist/, upstream reports."""
    return Ready(
        interpreter=interpreters.identity(job_python(job)),
        dist=dist_digests(settings) if job.inputs.dist else {},
        upstream=upstream_digests(settings, job),
        venv=venv_contents(settings, job),
    )


__all__ = [
    "Interpreters",
    "KEY_FORMAT",
    "Ready",
    "Snapshot",
    "cache_key",
    "dist_digests",
    "file_digest",
    "glob_pattern",
    "job_facts",
    "job_python",
    "matches",
    "reads_variable",
    "ready_facts",
    "reread",
    "take_snapshot",
    "user_file_digests",
    "value_words",
    "variable_file_digests",
    "venv_contents",
]
