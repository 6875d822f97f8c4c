"""Put the tools the test suite's jobs install into uv's cache once, with their bytecode.

Every project a test runs makes fresh venvs, which uv fills by hard-linking the files of the
wheels it keeps unpacked in its cache. With ``PYTHONDONTWRITEBYTECODE`` set (as on our machines)
every tool process then compiles each module it imports, every time: ``twine check`` takes 0.5 s
of CPU instead of 0.2, a build backend's hook about twice what it needs, hundreds of times a run.
Bytecode written inside the cache's unpacked wheels is linked into each venv with the sources,
and Python uses it as it would its own: it is the ordinary timestamp-checked kind, and a hard link
shares its source's mtime. (Where uv copies instead of linking, the copy's new mtime makes Python
compile as before: slower, never wrong.)

This script, run by ci/run-tests beside the set-up and the first tests, installs each job's
tools, with the requirements noxline itself declares, into throwaway venvs (filling the cache the
tests use with the versions their resolutions pick), then compiles the cache entries those venvs
link to. A test's uv may link from an entry meanwhile: each bytecode file is written elsewhere
and moved into place whole, so uv sees it complete or not at all. Nothing here decides a test's
outcome: what fails is reported in one line and the suite runs on.

It skips what Python never imports from a venv: the ``*.data`` folders of wheels (scripts and
headers, which uv refuses to install with a ``__pycache__`` in them) and a module's ``.py`` when
an extension module of the same name sits beside it (mypy's, black's: mypyc-compiled).
"""

from __future__ import annotations

import importlib.util
import os
import py_compile
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from noxline import locks, tools
from noxline.jobs import build, mypy, pylint, sbom

#: The build backends the suite's projects (fixtures and the real-sdist corpus) build with.
BACKENDS = (
    "setuptools",
    "setuptools-scm",
    "hatchling",
    "hatch-vcs",
    "flit_core",
    "poetry-core",
    "pdm-backend",
)


def tool_sets() -> list[tuple[str, ...]]:
    """What the jobs install, one install each (as each job installs its own venv), those that
    almost every test's run uses first."""
    ranged = {name: f"{name}{spec}" for name, spec in tools.DEFAULTS.items()}
    together = {  # tools a job installs with companions, in one resolution
        "mypy": (ranged["mypy"], *mypy.COMPANIONS),
        "pylint": (ranged["pylint"], *pylint.COMPANIONS),
        "coverage": (f"coverage[toml]{tools.DEFAULTS['coverage']}", ranged["pytest"]),
    }
    alone = [(ranged[name],) for name in sorted(ranged) if name not in (*together, "pytest")]
    return [
        build.REQUIREMENTS,
        BACKENDS,
        together["coverage"],
        *alone,
        together["pylint"],
        together["mypy"],
        sbom.REQUIREMENTS,
        locks.POETRY_REQUIREMENTS,
        locks.PDM_REQUIREMENTS,
    ]


#: Every wait is bounded: one install (a cold cache downloads, through the registry).
INSTALL_TIMEOUT = 600


def install(uv: str, root: Path, number: int, requirements: tuple[str, ...]) -> Path:
    """Install ``requirements`` into a new venv under ``root``; return its site-packages."""
    venv = root / f"venv-{number}"
    python = ("--python", sys.executable)
    subprocess.run([uv, "venv", "--quiet", *python, str(venv)], check=True, timeout=60)
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *requirements],
        check=True,
        timeout=INSTALL_TIMEOUT,
        env={**os.environ, "UV_COMPILE_BYTECODE": "0"},
    )
    (site_packages,) = venv.glob("lib/python*/site-packages")
    return site_packages


def cache_entries(cache: Path, site_packages: list[Path]) -> set[Path]:
    """The unpacked wheels in uv's ``cache`` that the venvs' distributions are linked from: a
    ``*.dist-info/METADATA`` in a venv is the same file (inode) as the one in its entry."""
    linked = {}
    for folder in site_packages:
        for metadata in folder.glob("*.dist-info/METADATA"):
            linked[metadata.parent.name] = metadata.stat().st_ino
    entries = set()
    for metadata in cache.glob("archive-v*/*/*.dist-info/METADATA"):
        if linked.get(metadata.parent.name) == metadata.stat().st_ino:
            entries.add(metadata.parent.parent)
    return entries


def importable_sources(entry: Path) -> list[Path]:
    """The ``.py`` files of an unpacked wheel that Python would import and compile."""
    sources = []
    for folder, subfolders, files in os.walk(entry):
        # A wheel's .data folder holds scripts and headers, never imported.
        subfolders[:] = [name for name in subfolders if not name.endswith(".data")]
        names = set(files)
        for name in files:
            if not name.endswith(".py"):
                continue
            stem = name[:-3]
            if any(other.startswith(f"{stem}.") and other.endswith(".so") for other in names):
                continue  # an extension module of the same name is what gets imported
            sources.append(Path(folder, name))
    return sources


def compile_in_place(source: Path, staged: Path) -> None:
    """Write ``source``'s bytecode where Python looks for it, unless it is there: compiled to
    ``staged`` (same file system) and moved into place in one step."""
    target = Path(importlib.util.cache_from_source(str(source)))
    if target.exists():
        return  # an entry's files never change: bytecode once written stays right
    try:
        # The kind Python writes itself (SOURCE_DATE_EPOCH would make py_compile hash).
        py_compile.compile(
            str(source),
            cfile=str(staged),
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
        )
    except py_compile.PyCompileError:
        return  # importing it fails as it would without bytecode
    target.parent.mkdir(exist_ok=True)
    os.replace(staged, target)


def cache_dir(uv: str) -> Path:
    """The folder of the uv cache that the tests use (UV_CACHE_DIR's, else uv's default)."""
    asked = [uv, "cache", "dir"]
    answer = subprocess.run(asked, check=True, capture_output=True, text=True, timeout=30)
    return Path(answer.stdout.strip())


def warm(uv: str, cache: Path) -> tuple[set[Path], list[str]]:
    """Install every tool set and compile what it links to, each set as soon as it is
    installed, in the order :func:`tool_sets` gives; return the entries compiled and what
    failed."""
    compiled: set[Path] = set()
    failed = []
    sets = tool_sets()
    with (
        tempfile.TemporaryDirectory(prefix="noxline-warm-") as scratch,
        tempfile.TemporaryDirectory(prefix="noxline-warm-", dir=cache.parent) as staging,
        ThreadPoolExecutor(max_workers=4) as pool,
    ):
        installs = [
            pool.submit(install, uv, Path(scratch), number, requirements)
            for number, requirements in enumerate(sets)
        ]
        for requirements, done in zip(sets, installs):
            try:
                entries = cache_entries(cache, [done.result()]) - compiled
            except (OSError, subprocess.SubprocessError, ValueError) as error:
                failed.append(f"{' '.join(requirements)}: {error}")
                continue
            for source in (source for entry in entries for source in importable_sources(entry)):
                compile_in_place(source, Path(staging) / "staged.pyc")
            compiled |= entries
    return compiled, failed


def main() -> int:
    """Fill and compile, the most used tools first; one line of what was done, and one for each
    set that could not be (exit 0 either way)."""
    start = time.monotonic()
    uv = os.environ.get("UV", "uv")
    try:
        cache = cache_dir(uv)
    except (OSError, subprocess.SubprocessError) as error:
        print(f"warm_tool_cache: no uv cache ({error}); the tests run without it", file=sys.stderr)
        return 0
    compiled, failed = warm(uv, cache)
    took = time.monotonic() - start
    print(f"warm_tool_cache: {len(compiled)} tools' wheels in {cache}, compiled ({took:.0f} s)")
    for failure in failed:
        print(f"warm_tool_cache: not warmed: {failure}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
