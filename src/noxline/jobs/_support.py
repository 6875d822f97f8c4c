"""What several jobs share: report paths, tee-to-report runs, installing the built wheel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from contextlib import suppress
from collections.abc import Mapping, Sequence
from pathlib import Path

import nox
import nox.virtualenv

from noxline import commands, confine, locks, tools
from noxline.config import Settings
from noxline.dist import Dist, verified_dist
from noxline.errors import NoxlineError, one_line
from noxline.pipeline import Job

#: Marker in a venv naming the wheel (by sha256) installed there, so a reused venv is never stale.
_WHEEL_MARKER = "noxline-wheel.sha256"


def report_folder(settings: Settings, job: Job) -> Path:
    """Create and return the absolute reports folder the definition declares for ``job``.

    Created through :mod:`noxline.confine`: a tree can commit ``reports/build`` as a link to any
    folder (``~/.ssh``, the runner's own files); a link on the way stops the job instead.
    """
    return confine.make_folder(settings.project_dir, job.reports_folder, what=_REPORTS)


def report_file(settings: Settings, job: Job, role: str) -> Path:
    """Absolute path of the report file the definition declares for ``job`` under ``role``.

    The reports folder is created; the file (or folder, for a name ending in ``/``) is not. A
    symbolic link in its place is removed: a tool writing "through" it would write outside the
    project.
    """
    return unlinked(settings, report_folder(settings, job) / job.files[role])


#: What noxline does in a reports folder, for the confinement's messages.
_REPORTS = "writes its reports"


def refuse_links(settings: Settings, path: Path) -> None:
    """Refuse a path inside the project that goes through a symbolic link (a folder a tool of
    the job writes into itself: a venv, a copy's reports)."""
    confine.refuse_links(settings.project_dir, path, what="writes (its reports, its tools' venvs)")


def unlinked(settings: Settings, path: Path) -> Path:
    """``path``, after removing a symbolic link found there (a report is rewritten anyway)."""
    if path.is_symlink():
        confine.remove(settings.project_dir, path, what=_REPORTS)
    return path


def write_report(settings: Settings, job: Job, role: str, text: str) -> Path:
    """Write ``text`` as ``job``'s report ``role``: confined and masked (:mod:`noxline.confine`)."""
    return confine.write_text(settings.project_dir, report_file(settings, job, role), text)


def read_report(settings: Settings, job: Job, role: str) -> str:
    """The text of ``job``'s report ``role`` (see :func:`read_file`)."""
    return read_file(settings, report_file(settings, job, role))


def read_file(settings: Settings, path: Path) -> str:
    """The text of a file inside the project that a tool wrote (a report, a log): confined,
    bytes that are not UTF-8 replaced (tools write what their input held); FileNotFoundError
    when there is none."""
    return confine.read_text(settings.project_dir, path, errors="replace")


def remove_file(settings: Settings, path: Path) -> None:
    """Delete a file (a report of an earlier run) inside the project; nothing there is fine."""
    confine.remove(settings.project_dir, path, what=_REPORTS)


def run_to_report(
    session: nox.Session,
    report: Path,
    *args: str,
    env: dict[str, str] | None = None,
    external: bool = False,
    success_codes: Sequence[int] = (0,),
) -> bool:
    """Run a command in the session, saving its output to ``report`` and echoing it to the log;
    True when it ran and exited with one of ``success_codes``, False when nothing ran
    (``--install-only``).

    The output is masked, then echoed even when the command fails, so a job log always shows the
    findings and never a secret. ``report`` comes from :func:`report_file`, whose folder was
    reached from the project without a link: the file is confined to that folder.
    """
    try:
        with confine.open_write(report.parent, report.name, what=_REPORTS) as stream:
            return (
                session.run(
                    *args,
                    stdout=stream,
                    stderr=subprocess.STDOUT,
                    env=env,
                    external=external,
                    success_codes=list(success_codes),
                )
                is not None
            )
    finally:
        with suppress(FileNotFoundError):
            confine.mask_file(report.parent, report.name)
            sys.stdout.write(confine.read_text(report.parent, report.name, errors="replace"))
            sys.stdout.flush()


def session_tmp(session: nox.Session) -> Path:
    """The session's temporary folder (``.nox/<session>/tmp``) as an absolute path.

    nox names it relative to the working folder; :mod:`noxline.confine` takes a relative path
    as relative to the folder given as its root, so ``tmp / "x"`` with a relative ``tmp`` would
    be ``tmp/tmp/x`` there.
    """
    return Path(session.create_tmp()).absolute()


def uses_uv(session: nox.Session) -> bool:
    """True when the session's venv was made by uv (which installs with ``uv pip``, not pip)."""
    return session.venv_backend == "uv"


def uv_executable() -> str | None:
    """Full path of the uv that nox uses for its uv venvs, or None when nox has no uv."""
    if not nox.virtualenv.HAS_UV:
        return None
    return shutil.which(nox.virtualenv.UV)


def built_dist(settings: Settings) -> Dist:
    """The verified ``dist/`` of this project."""
    return verified_dist(settings.project_dir / settings.dist_dir, settings.name)


def install_wheel(session: nox.Session, dist: Dist, *requirements: str) -> None:
    """Install the built wheel (and ``requirements``) so the session tests exactly what was built.

    Under ``-R``/``--no-install`` nox skips installs in a reused venv; the project's own wheel is
    still refreshed when the venv holds another build, because testing a stale wheel proves nothing.
    A venv made in this run (every CI job's) holds exactly this wheel after the install: it is
    marked so without a second install.
    """
    wheel = str(dist.wheel.path)
    session.install(wheel, *requirements)
    venv = Path(str(getattr(session.virtualenv, "location", "")))
    if _marker(venv) == dist.wheel.sha256:
        return
    # nox has no public word for it: its own install skipping reads the same flag (sessions.py).
    # Anything else than a venv made just now (a reused one, no venv at all) is refreshed.
    if getattr(session.virtualenv, "_reused", True) is not False:
        # Same version number, other contents (a local rebuild): force the reinstall. nox skips
        # this run under --install-only, and then the marker stays stale until the run step
        # refreshes the wheel.
        if uses_uv(session):
            refresh: tuple[str, ...] = ("uv", "pip", "install", "--no-deps", "--reinstall")
        else:
            refresh = ("python", "-m", "pip", "install", "--no-deps", "--force-reinstall")
        if session.run(*refresh, wheel, silent=True, external=True) is None:
            return
    confine.write_text(venv, _WHEEL_MARKER, dist.wheel.sha256, exact=True)


def _marker(venv: Path) -> str:
    """The sha256 a venv's marker names (empty: none), read inside the venv's folder."""
    return confine.read_marker(venv, _WHEEL_MARKER, limit=256)


def wheel_environment(session: nox.Session, dist: Dist) -> Path:
    """A fresh venv holding only the built wheel and what it installs; returns its Python.

    The audit and the SBOM describe exactly what a user of the wheel gets, so their tools live in
    the session's venv and look at this one, which has no pip, no tools and no test dependencies.
    """
    tmp = session_tmp(session)
    folder = tmp / "wheel-env"
    confine.remove_tree(tmp, folder)
    session.run("python", "-m", "venv", "--without-pip", str(folder), silent=True)
    python = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if uses_uv(session):
        install: tuple[str, ...] = ("uv", "pip", "install", "--python", str(python))
    else:
        install = ("python", "-m", "pip", "--python", str(python), "install")
    session.run(*install, str(dist.wheel.path), external=True)
    return python


def summarize(settings: Settings, job: Job, line: str, *, append: bool = False) -> None:
    """Record the job's one-line result (``312 tests``, ``black 23.12.1 (uv.lock)``), which
    ``noxline run``'s summary table shows beside the job; a later call replaces it, or with
    ``append`` adds to it (``312 tests ran, coverage 91.2 %``)."""
    earlier = ""
    if append:
        with suppress(FileNotFoundError):
            earlier = read_report(settings, job, "summary").strip()
    text = " ".join(line.split())  # one line, whatever the parts held
    write_report(settings, job, "summary", f"{earlier}, {text}\n" if earlier else f"{text}\n")


#: The exit codes of a formatter's check mode (black, ruff format) that are findings, not a
#: crash: 0 nothing to change, 1 files would be reformatted.
FORMATTER_FINDINGS = (0, 1)


def judge_formatting(
    settings: Settings, job: Job, counts: Mapping[str, int], reformatted: str, nothing: str
) -> None:
    """End a formatter's check mode (black, ruff format) from its closing counts (kind of file ->
    how many): ``nothing`` fails a run that checked no file (both exit 0 then); else the one-line
    result says how many were checked and how many ``reformatted`` would change, and files that
    would change fail the job in one line naming the diff and the fix (a file the formatter
    cannot parse is its exit code 123 or 2: a failed command, as nox reports it)."""
    checked = sum(counts.values())
    if checked == 0:
        raise NoxlineError(nothing)
    reformat = counts.get(reformatted, 0)
    summarize(
        settings,
        job,
        f"{checked} files checked" + (f", {reformat} would be reformatted" if reformat else ""),
        append=True,
    )
    tool = job.name.split("-")[0]
    if reformat:
        raise NoxlineError(
            f"{tool} would reformat {reformat} of {checked} files (the diff is in "
            f"{job.report_path('diff')}): run `nox -s format` and commit the result"
        )


def clear_summary(settings: Settings, job: Job) -> None:
    """Remove the one-line result of an earlier run, before the job runs again."""
    if "summary" in job.files:
        confine.remove(settings.project_dir, report_file(settings, job, "summary"))


#: How each check writes its figure and its threshold: ``coverage 78.1 %``, ``pylint 6.2/10``.
_FORMATS = {"coverage": "{:g} %", "docstr": "{:g} %", "pylint": "{:.1f}/10"}


def judge(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    session: nox.Session,
    settings: Settings,
    job: Job,
    check: str,
    figure: float,
    threshold: float | None,
) -> None:
    """End a check with its figure: a log line, or a failure naming figure and threshold.

    Without a threshold (none in [tool.noxline], none declared by the project) the figure is
    measured and reported only, so a project is green on its first run.
    """
    shown = _FORMATS[check].format(figure)
    record = {"check": check, "figure": figure, "threshold": threshold}
    write_report(settings, job, "figure", json.dumps(record) + "\n")
    key = f"{check}-fail-under"
    summarize(settings, job, f"{check} {shown}", append=True)
    if threshold is None:
        session.log(
            f"{check} {shown}: measured, no threshold (set {key} in [tool.noxline], or run "
            "`noxline init --ratchet` to keep this figure as a floor)"
        )
        return
    limit = _FORMATS[check].format(threshold).removesuffix("/10")
    if figure < threshold:
        source = dict(settings.threshold_sources).get(check)
        where = (
            f"{source} (or set {key} in [tool.noxline])" if source else f"{key} in [tool.noxline]"
        )
        raise NoxlineError(f"{check} {shown} < {limit}: raise it, or lower {where}")
    session.log(f"{check} {shown} >= {limit}")


#: Seconds a lock tool may take to export or check a lock (a Poetry venv's install included).
LOCK_TOOL_TIMEOUT = 600.0


def _lock_run(command: tuple[str, ...], cwd: Path, what: str) -> subprocess.CompletedProcess[str]:
    """Run a lock tool's command in the project, bounded in time; one line when it cannot run."""
    try:
        return commands.run(command, cwd=cwd, timeout=LOCK_TOOL_TIMEOUT, what=what)
    except commands.CommandError as error:
        if error.timed_out:
            raise NoxlineError(
                f"{what} took longer than {LOCK_TOOL_TIMEOUT:g} s: check the index it reads"
            ) from None
        raise


def lock_tool(settings: Settings, lock_kind: str) -> str:
    """The executable of the lock's own tool: uv (nox's), or Poetry or pdm in a venv of their own
    under ``.nox/`` (made once with uv; never in a venv of the project's)."""
    uv = uv_executable() or shutil.which("uv") or "uv"
    if lock_kind == "uv":
        return uv
    folder = settings.project_dir / ".nox" / f"noxline-{lock_kind}"
    refuse_links(settings, folder)  # a committed .nox link must not carry the venv out
    executable = folder / "bin" / lock_kind
    if not executable.is_file():
        requirements = (
            locks.POETRY_REQUIREMENTS if lock_kind == "poetry" else locks.PDM_REQUIREMENTS
        )
        for command in (
            (uv, "venv", "--quiet", "--allow-existing", str(folder)),
            (
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                str(folder / "bin" / "python"),
                *requirements,
            ),
        ):
            done = _lock_run(command, settings.project_dir, f"installing {lock_kind}")
            if done.returncode != 0:
                raise NoxlineError(
                    f"cannot install {lock_kind} to read {settings.lock_file}: "
                    f"{one_line(done.stderr or done.stdout)}"
                )
    return str(executable)


def check_lock(session: nox.Session, settings: Settings) -> None:
    """Stop when the lock no longer matches pyproject.toml, by the lock tool's own check (for a
    PEP 751 lock: every requirement of the project must be met by a locked version). Nothing is
    re-resolved into the tree: the lock file stays as it is."""
    if not settings.lock_file:
        return
    lock_kind = locks.kind(settings.lock_file)
    if lock_kind == "pylock":
        pins = locks.pylock_pins(settings.project_dir / settings.lock_file)
        unmet = locks.pylock_stale(settings.runtime_requirements, pins)
        if unmet:
            raise NoxlineError(locks.stale_message(settings.lock_file, "; ".join(unmet)))
    else:
        done = _lock_run(
            locks.check_command(lock_kind, lock_tool(settings, lock_kind)),
            settings.project_dir,
            f"checking {settings.lock_file}",
        )
        if done.returncode != 0:
            raise NoxlineError(locks.stale_message(settings.lock_file, done.stderr or done.stdout))
    session.log(f"{settings.lock_file} matches pyproject.toml")


def constrain(session: nox.Session, settings: Settings) -> None:
    """Make every install of this session take the lock's versions: the lock exported by its own
    tool into a constraints file, named in ``UV_CONSTRAINT`` and ``PIP_CONSTRAINT``."""
    if not settings.lock_file:
        return
    lock_kind = locks.kind(settings.lock_file)
    tmp = session_tmp(session)
    target = tmp / "noxline-lock" / "constraints.txt"
    if lock_kind == "pylock":
        locks.pins_file(locks.pylock_pins(settings.project_dir / settings.lock_file), target, tmp)
    else:
        exported = target.with_name("exported.txt")
        confine.make_folder(tmp, exported.parent)
        command = locks.export_command(lock_kind, lock_tool(settings, lock_kind), exported)
        done = _lock_run(command, settings.project_dir, f"exporting {settings.lock_file}")
        if done.returncode != 0 or not exported.is_file():
            raise NoxlineError(
                f"cannot export {settings.lock_file} with {lock_kind}: "
                f"{one_line(done.stderr or done.stdout)[:300]} (a stale lock? run "
                f"`{locks.FIXES[lock_kind]}`)"
            )
        locks.write_constraints(confine.read_text(tmp, exported, errors="replace"), target, tmp)
        confine.remove(tmp, exported)
    session.env.update(locks.constraint_env(target))


def locked_pins(session: nox.Session) -> dict[str, str]:
    """Name -> version the session's lock constraints pin (empty without a lock)."""
    path = session.env.get("UV_CONSTRAINT")
    return locks.read_constraints(Path(path)) if path and Path(path).is_file() else {}


def choose_tool(
    session: nox.Session,
    settings: Settings,
    name: str,
    extras: str = "",
    installed_with: tuple[str, ...] = (),
) -> tools.ToolChoice:
    """The requirement of tool ``name`` for this session: the lock's, the project's pin or
    requirement (``installed_with``: the project's requirements in the same install), or
    noxline's default range (:mod:`noxline.tools`)."""
    return tools.choose(
        name,
        lock_file=settings.lock_file,
        locked=locked_pins(session),
        pins=dict(settings.tool_pins),
        extras=extras,
        installed_with=installed_with,
    )


def installed_versions(session: nox.Session, *names: str) -> list[str] | None:
    """The versions of distributions ``names`` in the session's venv, in order; None when
    nothing ran (``--install-only``)."""
    output = session.run(
        "python",
        "-c",
        "import sys, importlib.metadata as m; print(' '.join(m.version(n) for n in sys.argv[1:]))",
        *names,
        silent=True,
    )
    return output.split() if isinstance(output, str) else None


def report_tools(
    session: nox.Session, settings: Settings, job: Job, *choices: tools.ToolChoice
) -> str:
    """Say which version of each tool was installed, and from where, in the log and the job's
    one-line result (``black 23.12.1 (uv.lock)``); return that line ("" when nothing ran)."""
    versions = installed_versions(session, *(choice.name for choice in choices))
    if versions is None:
        return ""
    line = ", ".join(tools.described(c, v) for c, v in zip(choices, versions))
    session.log(line)
    summarize(settings, job, line, append=True)
    return line
