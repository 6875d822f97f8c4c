"""What honouring a lock costs: ``noxline run`` of a uv-locked project, with its lock and without.

One command, from the repository root::

    python3 benchmarks/locked_installs.py

It writes a small library locked by the real uv (idna, black, pytest, pinned as of 2024-01-15)
into a temporary git repository, adopts it with ``noxline init`` and measures, in turns on the same
machine, ``noxline run version build tests black mypy``:

* locked (the default: every locked job exports ``uv.lock`` and installs within its pins) and
  unlocked (``lock-file = "none"``: the same jobs resolve freely);
* each cold (no ``.nox``, an empty uv cache) and warm (venvs and cache kept).

It prints the wall times and the locked/unlocked ratios and writes them, with the machine, into
``benchmarks/README.md`` between the ``locked-results`` markers. Nothing is asserted.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomlkit

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "benchmarks" / "README.md"
JOBS = ("version", "build", "tests", "black", "mypy")

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "lockedlib"
version = "0.1.0"
readme = "README.md"
dependencies = ["idna>=3.4"]

[dependency-groups]
dev = ["black==23.12.1", "pytest>=7"]

[tool.uv]
exclude-newer = "2024-01-15T00:00:00Z"
"""

FILES = {
    "pyproject.toml": PYPROJECT,
    "README.md": "# lockedlib\n",
    "src/lockedlib/__init__.py": '"""Locked."""\nimport idna\n\n\ndef encode(name: str) -> bytes:\n'
    '    """IDNA-encode ``name``."""\n    return idna.encode(name)\n',
    "tests/test_locked.py": '"""The lock decides."""\nimport lockedlib\n\n\n'
    'def test_encode() -> None:\n    """ASCII stays."""\n    assert lockedlib.encode("a") == b"a"\n',
}


def _env(cache: Path) -> dict[str, str]:
    """The environment of one measured run: its own uv cache, a fixed git identity."""
    return os.environ | {
        "UV_CACHE_DIR": str(cache),
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run ``command`` (it must pass) and return its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return seconds


def _project(folder: Path, locked: bool, env: dict[str, str]) -> Path:
    """The library, locked by uv, adopted; with ``lock-file = "none"`` when not ``locked``."""
    project = folder / ("locked" if locked else "unlocked")
    for name, text in FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    _run(["uv", "lock", "--quiet"], project, env)
    _run(["git", "init", "-q", "-b", "main"], project, env)
    _run([sys.executable, "-m", "noxline.cli", "init"], project, env)
    if not locked:
        pyproject = project / "pyproject.toml"
        data = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
        data["tool"]["noxline"]["lock-file"] = "none"  # type: ignore[index]
        pyproject.write_text(tomlkit.dumps(data), encoding="utf-8")
    _run(["git", "add", "-A"], project, env)
    _run(["git", "commit", "-q", "-m", "initial"], project, env)
    return project


def measure() -> dict[str, float]:
    """Cold and warm `noxline run` of the locked and the unlocked project, in turns."""
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="noxline-locked-") as scratch:
        folder = Path(scratch)
        projects = {}
        for locked in (True, False):
            cache = folder / f"cache-{locked}"
            projects[locked] = (_project(folder, locked, _env(cache)), cache)
        run = [
            sys.executable,
            "-m",
            "noxline.cli",
            "run",
            "--no-cache",
            *JOBS,
        ]  # the work, not the cache
        for phase in ("cold", "warm"):
            for locked, (project, cache) in projects.items():
                if phase == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                    shutil.rmtree(project / ".nox", ignore_errors=True)
                label = f"{'locked' if locked else 'unlocked'} {phase}"
                results[label] = _run(run, project, _env(cache))
                print(f"{label}: {results[label]:.1f} s", flush=True)
    return results


def write(results: dict[str, float]) -> None:
    """The results table, between the markers in benchmarks/README.md."""
    rows = [
        "| run | locked | unlocked | locked / unlocked |",
        "|---|---|---|---|",
        *(
            f"| {phase} | {results[f'locked {phase}']:.1f} s | {results[f'unlocked {phase}']:.1f} s"
            f" | {results[f'locked {phase}'] / results[f'unlocked {phase}']:.2f}x |"
            for phase in ("cold", "warm")
        ),
        "",
        f"`noxline run {' '.join(JOBS)}`, one round each, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}.",
    ]
    text = README.read_text(encoding="utf-8")
    block = "<!-- locked-results -->\n" + "\n".join(rows) + "\n<!-- /locked-results -->"
    text = re.sub(r"<!-- locked-results -->.*?<!-- /locked-results -->", block, text, flags=re.S)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(measure())
