"""Turns the pipeline definition and the job bodies into nox sessions.

Each job becomes a session of the same name whose ``requires=`` are the job's ``needs``, so
locally ``nox -s publish`` first builds and tests the tree; a CI job, which receives its
prerequisites as artifacts, runs ``nox --no-dependencies -s <job>`` instead
(see :meth:`noxline.pipeline.Job.command`).
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import IO

import nox

from noxline import confine
from noxline.config import Settings, load_settings
from noxline.errors import (
    NoxlineError,
    describe_unexpected,
    one_line,
    printable,
    wants_traceback,
)
from noxline.jobs import BODIES, EXTRA_SESSIONS, SessionBody
from noxline.masking import env_secrets, mask
from noxline.pipeline import Job, define
from noxline.sharding import Instance, shard_from_env

#: uv first (fast), virtualenv where uv is missing.
VENV_BACKEND = "uv|virtualenv"


class MaskingFilter(logging.Filter):
    """Masks every line nox logs: the command lines it prints for ``session.run`` and
    ``session.install`` carry their arguments (a URL with user-info, a token), and
    ``session.log`` lines carry whatever a job logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its masked text; never drops a record."""
        message = record.getMessage()
        # Masked, and printable: a file name that is not UTF-8 must not break the log handler.
        hidden = printable(mask(message, env_secrets(os.environ)))
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


def mask_nox_log() -> None:
    """Put :class:`MaskingFilter` on nox's logger (once)."""
    logger = logging.getLogger("nox")
    if not any(isinstance(existing, MaskingFilter) for existing in logger.filters):
        logger.addFilter(MaskingFilter())


def register(settings: Settings | None = None) -> Settings:
    """Register the pipeline's sessions (and ``format``) with nox; return the settings used.

    Call it from a project's ``noxfile.py``; nox runs the noxfile in the project's root folder.
    From here on, every line nox logs is masked (:func:`mask_nox_log`).
    """
    mask_nox_log()
    if settings is None:
        try:
            settings = load_settings(Path.cwd())
        except NoxlineError as error:
            # Bad settings stop nox before any session, with one line instead of a traceback.
            raise SystemExit(f"noxline: error: {one_line(str(error))}") from None
        except Exception as error:  # pylint: disable=broad-exception-caught
            if wants_traceback():
                raise
            # A bug while reading the settings: one line too (there is no reports folder yet).
            raise SystemExit(f"noxline: error: {describe_unexpected(error, None)}") from None
    for job in define(settings).jobs:
        _register_job(job, settings)
    for name, (description, body) in EXTRA_SESSIONS.items():
        _register_extra(name, description, body, settings)
    return settings


def _register_job(job: Job, settings: Settings) -> None:
    """Register one job's session."""
    python: list[str] | str | None = list(job.matrix) or (job.pythons[0] if job.pythons else None)
    nox.session(
        name=job.name,
        # Several Pythons: nox's own parametrised sessions, tests-3.11 and tests-3.12; `nox -s
        # tests` runs both, and a missing interpreter is skipped or an error as nox's
        # --error-on-missing-interpreters says.
        python=python if job.uses_venv else None,
        venv_backend=VENV_BACKEND if job.uses_venv else "none",
        reuse_venv=False if job.fresh_venv else None,
        requires=list(job.needs),
        tags=[job.stage, "pipeline"],
    )(
        _session_body(
            job.name, functools.partial(_run_job, settings, job), job.description, settings
        )
    )


def _run_job(settings: Settings, job: Job, session: nox.Session) -> None:
    """Run the body of this session's copy of ``job``, its earlier one-line result cleared."""
    # Imported here, as the bodies are: a nox process registers every job and runs few.
    from noxline.jobs._support import (  # pylint: disable=import-outside-toplevel
        clear_summary,
        constrain,
    )

    body = BODIES[job.name]
    copy = this_copy(job, session)
    clear_summary(settings, copy)
    try:
        if job.locked:
            constrain(session, settings)  # every install of this job within the project's lock
        body(session, settings, copy)
    finally:
        mask_reports(settings, copy)


def mask_reports(settings: Settings, job: Job) -> None:
    """Mask every report file ``job`` declares, whoever wrote it (a tool's JUnit XML holds what
    the tests printed; GitLab does not mask artifacts): the one masking step reaches reports
    noxline did not write itself. Folders (an HTML report) and files that are not UTF-8 text are
    left as they are."""
    folder = settings.project_dir / job.reports_folder
    for name in job.files.values():
        if not name.endswith("/"):
            try:
                confine.mask_file(settings.project_dir, folder / name)
            except NoxlineError:
                continue  # not text, too large, or refused: never a reason to fail the job


def this_copy(job: Job, session: nox.Session) -> Job:
    """The copy of a fanned-out job this session runs: its Python in the matrix and, from the
    environment (GitLab's variables, or ``noxline run``'s), its shard; else the job itself."""
    python = session.python if job.matrix and isinstance(session.python, str) else ""
    shard = shard_from_env(os.environ, job.shards)
    if not python and not shard and not job.per_copy_reports:
        return job
    return job.for_copy(Instance(python, shard, job.shards))


def _register_extra(name: str, description: str, body: SessionBody, settings: Settings) -> None:
    """Register a session that is not a pipeline job (not run by default)."""
    nox.session(
        name=name,
        python=settings.job_python or None,
        venv_backend=VENV_BACKEND,
        default=False,
    )(_session_body(name, lambda session: body(session, settings), description, settings))


def reuses_venv(session: nox.Session) -> bool:
    """True when the session's venv was kept from an earlier run or will be kept for the next."""
    return bool(getattr(session.virtualenv, "reuse_existing", False))


#: Where the processes of reused venvs keep bytecode when the environment forbids writing it
#: beside the sources (nox's folder, which init has git ignore).
PYCACHE_DIR = Path(".nox", "noxline-pycache")


def bytecode_env(project_dir: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables that let the processes of a reused venv keep their bytecode.

    Bytecode is written as a module is first imported, not compiled for every installed module
    at install time (``UV_COMPILE_BYTECODE``): the tools import a fraction of their venvs (mypy,
    compiled by mypyc, almost none of its ``.py`` files; none of the project's dependencies
    installed beside pylint), and compiling all of it cost a cold run of a small library's 14
    jobs about 9 s of CPU, while later runs read the same bytecode either way.

    Where ``PYTHONDONTWRITEBYTECODE`` forbids writing beside the sources, it goes to
    :data:`PYCACHE_DIR` instead (``PYTHONPYCACHEPREFIX``): nothing is written beside any source
    file, and a reused venv's tools do not compile again on every run (pylint about 2x slower
    warm). A single-use venv (a CI job, ``wheel-install``) is left as the environment says, and
    so is every venv when the environment decides about bytecode itself (``UV_COMPILE_BYTECODE``
    or ``PYTHONPYCACHEPREFIX`` set).
    """
    decided = "UV_COMPILE_BYTECODE" in environ or "PYTHONPYCACHEPREFIX" in environ
    if decided or not environ.get("PYTHONDONTWRITEBYTECODE"):
        return {}
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(project_dir / PYCACHE_DIR)}


#: Standard-library folders no tool imports from (tests, GUI, demos): not copied.
_STDLIB_UNUSED = frozenset(
    {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip"}
)


def seed_stdlib_bytecode(project_dir: Path, prefix: Path) -> None:
    """Copy the standard library's bytecode of the interpreter running nox into ``prefix``
    (once: a marker file names it).

    Under ``PYTHONPYCACHEPREFIX`` Python looks for every module's bytecode in the prefix,
    the standard library's too, whose own ``__pycache__`` it then passes over: a project's
    first run would compile hundreds of standard-library modules again (about 0.4 s of CPU in
    pylint's first import alone). Its compiled files are linked in instead (about 600 hard
    links, or copies across file systems, once: :func:`noxline.confine.link_files`); a venv of
    another Python finds none of its own there and compiles as before.
    """
    import sysconfig  # pylint: disable=import-outside-toplevel

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    tag = sys.implementation.cache_tag
    marker = prefix / f"stdlib-{tag}.done"
    if confine.read_marker(project_dir, marker) == str(stdlib):
        return
    for current, folders, _ in os.walk(stdlib):
        folders[:] = [name for name in folders if name not in _STDLIB_UNUSED]
        cache = Path(current) / "__pycache__"
        if Path(current).name == "__pycache__" or not cache.is_dir():
            continue
        target = prefix / Path(current).relative_to(stdlib.anchor)
        try:
            confine.link_files(
                project_dir, target, sorted(cache.glob(f"*.{tag}.pyc")), what="keeps bytecode"
            )
        except (OSError, NoxlineError):
            return  # unreadable, or no room: the modules are compiled as imported
    confine.write_text(project_dir, marker, str(stdlib), what="keeps bytecode")


def _traceback_file(session: nox.Session) -> tuple[Path, Path]:
    """Where a session keeps the traceback of an unexpected error, and the project it is
    confined to."""
    try:
        settings = load_settings(Path.cwd())
        reports, root = settings.report_root, settings.project_dir
    except NoxlineError:
        reports, root = Path.cwd() / "reports", Path.cwd()
    return reports / "tracebacks" / f"{session.name}.txt", root


def _session_body(
    name: str,
    call: Callable[[nox.Session], None],
    description: str,
    settings: Settings,
) -> Callable[[nox.Session], None]:
    """Wrap ``call`` (a session body with its arguments bound) as the function of session
    ``name``.

    The session function ends bad input with one clear message instead of a traceback.
    """

    def session_function(session: nox.Session) -> None:
        """Run the body; a NoxlineError fails the session with its message alone."""
        # Imported here, as the bodies are (locks brings packaging's lock-file code).
        from noxline.locks import index_env  # pylint: disable=import-outside-toplevel

        if reuses_venv(session):
            keep = bytecode_env(settings.project_dir, os.environ)
            session.env.update(keep)
            if keep:
                seed_stdlib_bytecode(settings.project_dir, Path(keep["PYTHONPYCACHEPREFIX"]))
        # uv reads [tool.uv] of the project it runs in: a project's exclude-newer or sources
        # would decide the versions of noxline's own tools (build, twine) and what a user of the
        # wheel gets. The project's lock decides its versions instead (locks.py).
        session.env.setdefault("UV_NO_CONFIG", "1")
        # ... but the indexes it declares for its dependencies stay (URLs only; credentials
        # are CI/CD variables, read by uv from the environment).
        session.env.update(index_env(settings.package_indexes, os.environ))
        try:
            _hold_project_lock(settings)
            within_deadline(session, call, settings.job_timeout * 60)
        except NoxlineError as error:
            session.error(one_line(str(error)))
        except Exception as error:  # pylint: disable=broad-exception-caught
            if type(error).__module__.split(".", 1)[0] == "nox" or wants_traceback():
                raise  # nox's own control flow (a failed command, session.error), or asked for
            session.error(describe_unexpected(error, *_traceback_file(session)))

    session_function.__name__ = session_function.__qualname__ = name.replace("-", "_")
    session_function.__doc__ = description
    return session_function


#: Seconds before job-timeout at which a session stops itself: early enough that its own line,
#: not the runner's or GitLab's kill, ends the log.
DEADLINE_MARGIN = 5.0


class SessionTimeout(NoxlineError):
    """A session ran past its deadline and was stopped (with the command it was running)."""


def within_deadline(
    session: nox.Session, call: Callable[[nox.Session], None], seconds: float
) -> None:
    """Run ``call(session)``, stopped after ``seconds`` (less :data:`DEADLINE_MARGIN`, when
    that leaves a minute): every job is bounded in total time with the tools it calls, also
    under plain ``nox -s <job>``, where nox's ``session.run`` has no deadline of its own.

    At the deadline a SIGALRM raises KeyboardInterrupt in the main thread: nox stops the command
    it is running as it does on Ctrl-C (SIGINT, then SIGTERM, then SIGKILL), and the session
    fails with one line naming job-timeout. Outside the main thread (no signals) nothing is
    bounded here: ``noxline run`` and GitLab still stop the job.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        call(session)  # pragma: no cover - nox runs sessions in its main thread, on POSIX
        return
    fired: list[bool] = []

    def expire(signum: int, frame: FrameType | None) -> None:
        """The deadline passed: interrupt whatever the session waits for."""
        del signum, frame
        fired.append(True)
        raise KeyboardInterrupt

    limit = seconds - DEADLINE_MARGIN if seconds - DEADLINE_MARGIN >= 60 else seconds
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(limit, 0.01))
    try:
        call(session)
    except KeyboardInterrupt:
        if not fired:
            raise
        raise SessionTimeout(
            f"{session.name} ran longer than job-timeout = {seconds / 60:g} minutes and was "
            "stopped with the command it ran: find what hangs in the log above, or raise "
            "job-timeout in [tool.noxline]"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: The project's run lock while this nox process holds it (until it ends).
_HELD: list[IO[bytes]] = []


def _hold_project_lock(settings: Settings) -> None:
    """Take the project's run lock for this nox process at its first session (kept until the
    process ends): ``nox -s tests`` beside a ``noxline run`` is one line, not two runs writing
    the same reports and venvs. The jobs of ``noxline run`` run inside its lock."""
    if not _HELD:
        held = confine.lock_project(settings.project_dir, "nox " + " ".join(sys.argv[1:]))
        if held is not None:
            _HELD.append(held)
