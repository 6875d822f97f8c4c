"""The project's lock file, honoured: exact pins exported by the lock's own tool, handed to every
install of a job as a constraints file, and a stale lock stopped before anything installs.

No lock is parsed or resolved here: uv exports ``uv.lock`` and checks it, Poetry (with its export
plugin, in a venv of its own under ``.nox/``) exports and checks ``poetry.lock``, pdm exports and
checks ``pdm.lock``. A PEP 751 ``pylock.toml`` is read with ``packaging.pylock``, the PyPA's own
reader of the standard, since no tool checks one against pyproject.toml.

The constraints go to the installers through ``UV_CONSTRAINT`` and ``PIP_CONSTRAINT`` in the
session's environment (:func:`constrain`), which the session wrapper sets for every job the
definition marks ``locked``: a new job inherits the lock by being declared, not by remembering to
call something.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Mapping
from pathlib import Path

from packaging.markers import default_environment
from packaging.pylock import Pylock, PylockValidationError
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from noxline import commands, confine
from noxline.errors import NoxlineError

#: The tool that owns each kind of lock file, and the command that fixes a stale one.
FIXES = {"uv": "uv lock", "poetry": "poetry lock", "pdm": "pdm lock", "pylock": ""}

#: Poetry and its export plugin, for poetry.lock (never installed into the project's venvs).
POETRY_REQUIREMENTS = ("poetry>=2,<3", "poetry-plugin-export>=1.8,<2")
#: pdm, for pdm.lock.
PDM_REQUIREMENTS = ("pdm[locked]>=2.20,<3",)


def kind(lock_file: str) -> str:
    """Which tool owns ``lock_file``: uv, poetry, pdm or pylock."""
    if lock_file == "uv.lock":
        return "uv"
    if lock_file == "poetry.lock":
        return "poetry"
    if lock_file == "pdm.lock":
        return "pdm"
    return "pylock"


def export_command(lock_kind: str, tool: str, output: Path) -> tuple[str, ...]:
    """The command that writes the lock's exact pins, as a requirements file, to ``output``:
    ``tool`` is the uv, poetry or pdm executable. Never re-resolves (a stale lock is an error)."""
    if lock_kind == "uv":
        return (
            tool, "export", "--frozen", "--all-groups", "--all-extras", "--no-hashes",
            "--no-emit-project", "--no-emit-workspace", "--format", "requirements.txt",
            "--output-file", str(output), "--quiet",
        )  # fmt: skip
    if lock_kind == "poetry":
        return (
            tool, "export", "--all-groups", "--all-extras", "--without-hashes",
            "--format", "requirements.txt", "--output", str(output),
        )  # fmt: skip
    if lock_kind == "pdm":
        return (tool, "export", "--no-hashes", "--dev", "--group", ":all", "-o", str(output))
    raise ValueError(lock_kind)


def check_command(lock_kind: str, tool: str) -> tuple[str, ...]:
    """The lock tool's own check that the lock still matches pyproject.toml (writes nothing)."""
    return {
        "uv": (tool, "lock", "--check", "--quiet"),
        "poetry": (tool, "check", "--lock"),
        "pdm": (tool, "lock", "--check"),
    }[lock_kind]


def stale_message(lock_file: str, detail: str) -> str:
    """The one line a stale lock stops the pipeline with."""
    fix = FIXES[kind(lock_file)]
    how = f"run `{fix}`" if fix else "export it again from the tool that made it"
    said = f" ({' '.join(detail.split())[:300]})" if detail.strip() else ""
    return f"{lock_file} no longer matches pyproject.toml{said}: {how} and commit {lock_file}"


def pylock_pins(path: Path) -> dict[str, str]:
    """Name -> version of every package a PEP 751 lock file pins (its version, when it states one)."""
    try:
        lock = Pylock.from_dict(tomllib.loads(confine.read_text(path.parent, path.name)))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, PylockValidationError) as error:
        raise NoxlineError(f"cannot read {path.name} as a PEP 751 lock file: {error}") from None
    except RecursionError:
        raise NoxlineError(
            f"cannot read {path.name} as a PEP 751 lock file: it nests tables or arrays too "
            "deeply to read; export it again from the tool that made it"
        ) from None
    return {
        canonicalize_name(package.name): str(package.version)
        for package in lock.packages
        if package.version is not None
    }


def pylock_stale(requirements: tuple[str, ...], pins: Mapping[str, str]) -> list[str]:
    """The project's requirements (for this interpreter) that no locked version satisfies."""
    environment = {key: str(value) for key, value in default_environment().items()}
    unmet = []
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            unmet.append(f"{requirement} (locked: {version or 'absent'})")
    return unmet


def constraint_pins(requirements_text: str) -> tuple[str, dict[str, str]]:
    """The exported pins as a constraints file's text (``name==version ; marker`` lines; index
    options and anything that is not a pinned requirement left out: credentials never reach a
    file) and as name -> version."""
    lines: list[str] = []
    pins: dict[str, str] = {}
    for raw in requirements_text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        specifiers = list(requirement.specifier)
        if requirement.url or len(specifiers) != 1 or specifiers[0].operator != "==":
            continue
        # Constraints take no extras; the base name pins the version.
        marker = f" ; {requirement.marker}" if requirement.marker else ""
        lines.append(f"{requirement.name}=={specifiers[0].version}{marker}\n")
        pins.setdefault(canonicalize_name(requirement.name), specifiers[0].version)
    return "".join(lines), pins


def write_constraints(requirements_text: str, target: Path, root: Path) -> dict[str, str]:
    """Write the exported pins as a constraints file (:func:`constraint_pins`) to ``target``
    inside ``root`` (confined) and return name -> version."""
    text, pins = constraint_pins(requirements_text)
    confine.write_text(root, target, text, exact=True)
    return pins


def pins_file(pins: Mapping[str, str], target: Path, root: Path) -> dict[str, str]:
    """Write ``pins`` as a constraints file to ``target`` inside ``root``; return them."""
    text = "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()))
    confine.write_text(root, target, text, exact=True)
    return dict(pins)


def read_constraints(path: Path) -> dict[str, str]:
    """Name -> version of a constraints file this module wrote."""
    pins: dict[str, str] = {}
    for line in confine.read_text(path.parent, path.name).splitlines():
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        pins.setdefault(canonicalize_name(requirement.name), specifier.version)
    return pins


def constraint_env(constraints: Path) -> dict[str, str]:
    """The environment that makes uv and pip install within ``constraints``."""
    return {"UV_CONSTRAINT": str(constraints), "PIP_CONSTRAINT": str(constraints)}


def without_constraints(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the lock's constraints (the unlocked jobs: wheel-install, tests-latest)."""
    return {k: v for k, v in env.items() if k not in ("UV_CONSTRAINT", "PIP_CONSTRAINT")}


def _variable_name(index: str) -> str:
    """An index name as uv spells it in variable names: upper case, other characters ``_``."""
    return "".join(char if char.isalnum() else "_" for char in index.upper())


def index_env(
    indexes: tuple[tuple[str, str, str], ...], environ: Mapping[str, str]
) -> dict[str, str]:
    """The environment that lets uv install from the project's declared indexes (the URLs, never
    credentials, from pyproject.toml): ``UV_INDEX`` names them; the credentials stay CI/CD
    variables, uv's own ``UV_INDEX_<NAME>_USERNAME``/``_PASSWORD``, or Poetry's
    ``POETRY_HTTP_BASIC_<NAME>_USERNAME``/``_PASSWORD`` handed on under uv's names. Nothing of
    this is written to a file."""
    named = [(name, url, owner) for name, url, owner in indexes if name and "@" not in url]
    if not named:
        return {}
    env = {"UV_INDEX": " ".join(f"{name}={url}" for name, url, _ in named)}
    for name, _, owner in named:
        key = _variable_name(name)
        for part in ("USERNAME", "PASSWORD"):
            given = environ.get(f"POETRY_HTTP_BASIC_{key}_{part}") if owner == "poetry" else None
            if given and f"UV_INDEX_{key}_{part}" not in environ:
                env[f"UV_INDEX_{key}_{part}"] = given
    return env


def pins_at_init(root: Path, lock_file: str) -> dict[str, str] | None:
    """What the lock pins, for ``noxline init`` to report: read by uv (``uv export --frozen``,
    bounded) or packaging.pylock; None for Poetry's and pdm's locks, whose tools init does not
    install (the jobs export them), or when uv cannot say."""
    lock_kind = kind(lock_file)
    if lock_kind == "pylock":
        return pylock_pins(root / lock_file)
    uv = shutil.which("uv")
    if lock_kind != "uv" or uv is None:
        return None
    # uv writes the export to its output (no file of noxline's outside the project): read there.
    command = list(export_command("uv", uv, Path("-")))
    at = command.index("--output-file")
    del command[at : at + 2]
    try:
        done = commands.run(
            command,
            cwd=root,
            timeout=INIT_EXPORT_TIMEOUT,
            what=f"reading {lock_file} with uv",
        )
    except commands.CommandError:
        return None
    if done.returncode != 0:
        return None
    return constraint_pins(done.stdout)[1]


#: Seconds init waits for uv to export the lock.
INIT_EXPORT_TIMEOUT = 60


__all__ = [
    "FIXES",
    "PDM_REQUIREMENTS",
    "POETRY_REQUIREMENTS",
    "check_command",
    "constraint_env",
    "export_command",
    "index_env",
    "kind",
    "pins_at_init",
    "pins_file",
    "pylock_pins",
    "pylock_stale",
    "constraint_pins",
    "read_constraints",
    "stale_message",
    "without_constraints",
    "write_constraints",
]
