"""Benchmark scaling out: a sharded tests stage against an unsharded one, and CI-shaped job times.

One command, from the repository root::

    python3 benchmarks/scale_out.py

Two measurements, in one run, on the same machine, written side by side into
``benchmarks/README.md`` between the ``scale-out`` markers:

(a) **Shards.** A test-heavy real library, networkx 3.4.2 (its PyPI sdist, sha256 pinned: 4708
    pytest tests run, 302 skipped without its optional dependencies), adopted with ``noxline init``; its tests stage run by ``noxline run -j 2`` unsharded
    and with ``test-shards = 2``. Each variant runs once untimed (venvs made, uv cache filled, and
    for the sharded copy the merged JUnit report that balances the next split), then timed
    ``--rounds`` times (3), the two variants in turns; each variant's fastest round counts.
    The tests stage is, unsharded, the ``tests`` job; sharded, the slower of the two shards (they
    start together) plus the ``coverage`` job that combines them, which sharding adds.
(b) **CI-shaped jobs.** Every job of ``examples/pvout`` run as a GitLab job runs it: ``nox
    --no-dependencies -s <job>`` in pipeline order, each in a fresh ``.nox`` (a job's venv is used
    once), three ways: *local cold* (empty uv cache), *CI-shaped* (the uv cache warm, as when a
    GitLab cache hits; noxline does not compile bytecode into such single-use venvs), and
    *CI-shaped, compiling* (the same with ``UV_COMPILE_BYTECODE=1``, what every session did
    before).

Targets (reported, never asserted): sharded tests stage ≤ 0.6 × unsharded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# pylint: disable-next=wrong-import-position
from run_benchmark import base_env, base_python, measure, run_setup, tool_version  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
START_MARKER = "<!-- scale-out:start -->"
END_MARKER = "<!-- scale-out:end -->"

#: The test-heavy library: name, version, sdist sha256. networkx's suite (4708 pytest tests in
#: some 300 files spread through its subpackages, about 3 minutes under coverage here) is long
#: enough for sharding to matter; Werkzeug's, used before, held 5 s of test time, 3 s of it in
#: one test, so fixed per-job costs decided its ratio (see README.md).
LIBRARY = ("networkx", "3.4.2", "307c3669428c5362aab27c8a1260aa8f47c4e91d3891f48be0141738d8d053e1")

#: Nothing to add: init finds the tests (the package itself, run with --pyargs) and the test
#: extra; optional dependencies (numpy, scipy, ...) are absent, so their tests skip as upstream.
LIBRARY_SETTINGS = """
[tool.noxline]
"""

#: Sharded target from the issue: reported, never asserted.
SHARD_TARGET = 0.6

#: pvout's jobs in pipeline order, each run as its own GitLab job would run it.
CI_JOBS = ("version", "build", "wheel-install", "tests", "pylint", "black", "mypy", "docstr")


def git_commit(project: Path, message: str) -> None:
    """Stage everything and commit it."""
    run_setup(["git", "add", "-A"], project, base_env())
    run_setup(["git", "commit", "-q", "-m", message], project, base_env())


def download_library(workdir: Path) -> Path:
    """The pinned sdist, downloaded once by pip (no dependencies, no wheel) and checked."""
    name, version, sha256 = LIBRARY
    target = workdir / "sdists"
    target.mkdir(parents=True, exist_ok=True)
    found = sorted(target.glob(f"{name}-{version}.tar.gz"))
    if not found:
        run_setup(
            [sys.executable, "-m", "pip", "download", "--isolated", "--no-deps", "--no-binary",
             ":all:", "-q", "-d", str(target), f"{name}=={version}"],
            workdir,
        )  # fmt: skip
        found = sorted(target.glob(f"{name}-{version}.tar.gz"))
    digest = hashlib.sha256(found[0].read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{found[0]} has sha256 {digest}, expected {sha256}")
    return found[0]


def library_copy(python: Path, sdist: Path, target: Path, extra: str) -> Path:
    """The sdist unpacked into a git repo, adopted with `noxline init`, ``extra`` settings added."""
    with tarfile.open(sdist) as archive:
        archive.extractall(target.parent / "unpack", filter="data")
    (unpacked,) = (target.parent / "unpack").iterdir()
    shutil.move(unpacked, target)
    (target.parent / "unpack").rmdir()
    with (target / "pyproject.toml").open("a", encoding="utf-8") as stream:
        stream.write(LIBRARY_SETTINGS + extra)
    run_setup(["git", "init", "-q", "-b", "main"], target, base_env())
    run_setup([str(python), "-m", "noxline.cli", "init"], target, base_env())
    git_commit(target, "adopted")
    return target


def tests_stage(project: Path) -> tuple[float, list[str]]:
    """Seconds of the tests stage in the last run's record, and how they add up."""
    record = json.loads((project / "reports/run.json").read_text(encoding="utf-8"))
    durations = {job["name"]: float(job["duration"] or 0) for job in record["jobs"]}
    if record["exit_code"] != 0:
        raise SystemExit(f"noxline run failed in {project}: see its reports/*/job*.log")
    shards = {name: took for name, took in durations.items() if name.startswith("tests ")}
    if not shards:
        return durations["tests"], [f"tests {durations['tests']:.1f} s"]
    slowest = max(shards.values())
    parts = [f"{name} {took:.1f} s" for name, took in sorted(shards.items())]
    return slowest + durations["coverage"], [*parts, f"coverage {durations['coverage']:.1f} s"]


def shards_benchmark(
    python: Path, workdir: Path, env: Mapping[str, str], rounds: int
) -> dict[str, object]:
    """(a): the library's tests stage unsharded and in two shards: each variant warmed up once,
    then ``rounds`` timed runs, the variants taking turns (so a burst of other work on the machine
    hits both alike); each variant's fastest round is kept and every round listed."""
    sdist = download_library(workdir)
    variants: dict[str, tuple[Path, list[str]]] = {}
    for name, extra, select in (
        ("unsharded", "", "tests"),
        ("2 shards", "test-shards = 2\n", "coverage"),
    ):
        folder = workdir / name.replace(" ", "-") / LIBRARY[0]
        project = library_copy(python, sdist, folder, extra)
        argv = [str(python), "-m", "noxline.cli", "run", "--no-cache", select, "-j", "2"]
        measure(f"{name}: warm-up run", argv, project, env, project.parent / "run.log")
        variants[name] = (project, argv)
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for round_number in range(1, rounds + 1):
        for name, (project, argv) in variants.items():
            load = os.getloadavg()[0]
            label = f"{name}: timed run {round_number}"
            timed = measure(label, argv, project, env, project.parent / "run.log")
            stage, parts = tests_stage(project)
            samples[name].append(
                {
                    "stage": stage,
                    "parts": parts,
                    "run_wall": timed.wall,
                    "run_cpu": timed.cpu,
                    "load": load,
                }
            )
            print(f"  {name}: tests stage {stage:.1f} s ({', '.join(parts)})", flush=True)
    results: dict[str, object] = {}
    for name, runs in samples.items():
        fastest = min(runs, key=lambda run: float(run["stage"]))
        results[name] = {**fastest, "rounds": [run["stage"] for run in runs]}
    return results


def ci_shaped_benchmark(python: Path, workdir: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """(b): pvout's jobs one by one, each in a fresh .nox, cold cache / warm / warm + compiling."""
    source = REPO / "examples" / "pvout"
    project = workdir / "ci-shaped" / "pvout"
    ignore = shutil.ignore_patterns(".nox", "dist", "reports", "__pycache__", ".venv")
    shutil.copytree(source, project, ignore=ignore)
    run_setup(["git", "init", "-q", "-b", "main"], project, base_env())
    git_commit(project, "pvout")
    cache = workdir / "ci-shaped" / "uv-cache"
    results: dict[str, dict[str, tuple[float, float]]] = {}
    log = project.parent / "jobs.log"
    env = base_env()
    env.pop("UV_COMPILE_BYTECODE", None)
    results["local cold"] = run_jobs(
        python, project=project, cache=cache, clear_cache=True, env=env, log=log, name="local cold"
    )
    # Untimed: fill the cache with every job's packages, as a GitLab cache hit brings them.
    run_jobs(
        python, project=project, cache=cache, clear_cache=False, env=env, log=log, name="fill cache"
    )
    results["CI-shaped"] = run_jobs(
        python, project=project, cache=cache, clear_cache=False, env=env, log=log, name="CI-shaped"
    )
    compiling = {**env, "UV_COMPILE_BYTECODE": "1"}
    results["CI-shaped, compiling"] = run_jobs(
        python,
        project=project,
        cache=cache,
        clear_cache=False,
        env=compiling,
        log=log,
        name="CI-shaped, compiling",
    )
    return results


def run_jobs(  # pylint: disable=too-many-arguments
    python: Path,
    *,
    project: Path,
    cache: Path,
    clear_cache: bool,
    env: Mapping[str, str],
    log: Path,
    name: str,
) -> dict[str, tuple[float, float]]:
    """Each CI job in order, as GitLab runs it: a fresh .nox, `nox --no-dependencies -s JOB`;
    each job's wall and CPU seconds."""
    env = {**env, "UV_CACHE_DIR": str(cache)}
    times: dict[str, tuple[float, float]] = {}
    run_setup(["git", "checkout", "-q", "--", "."], project, base_env())
    run_setup(["git", "clean", "-fdxq"], project, base_env())
    for job in CI_JOBS:
        shutil.rmtree(project / ".nox", ignore_errors=True)
        if clear_cache:
            shutil.rmtree(cache, ignore_errors=True)
        argv = [str(python), "-m", "nox", "--no-dependencies", "-s", job]
        done = measure(f"{name}: {job}", argv, project, env, log)
        if done.returncode != 0 and job not in ("pylint", "mypy", "docstr", "black"):
            raise SystemExit(f"{job} failed ({name}); see {log}")
        times[job] = (done.wall, done.cpu)
    return times


def install_noxline(workdir: Path) -> Path:
    """Untimed: a byte-compiled venv with noxline built from this checkout, nox and uv."""
    venv = workdir / "noxline-venv"
    env = base_env(UV_COMPILE_BYTECODE="1")
    run_setup(["uv", "venv", "-q", "--clear", "--python", base_python(), str(venv)], workdir, env)
    fresh = ["--reinstall-package", "noxline", "--refresh-package", "noxline"]
    run_setup(
        ["uv", "pip", "install", "-q", "--python", str(venv / "bin/python"), *fresh, str(REPO)],
        workdir,
        env,
    )
    return venv / "bin" / "python"


def render(
    shards: Mapping[str, object], ci: Mapping[str, Mapping[str, tuple[float, float]]], python: Path
) -> str:
    """The results as Markdown."""
    unsharded = shards["unsharded"]
    sharded = shards["2 shards"]
    assert isinstance(unsharded, dict) and isinstance(sharded, dict)
    ratio = sharded["stage"] / unsharded["stage"]
    verdict = "met" if ratio <= SHARD_TARGET else "missed"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"Measured {when} by `python3 benchmarks/scale_out.py` on {os.cpu_count()} cores "
        f"({tool_version([str(python), '--version'])}, {tool_version(['uv', '--version'])}); "
        f"1-minute load average at the end: {os.getloadavg()[0]:.2f}.",
        "",
        f"**(a) Tests stage of {LIBRARY[0]} {LIBRARY[1]}** (`noxline run -j 2`, warm venvs; each "
        f"variant's fastest of {len(unsharded['rounds'])} timed rounds, taken in turns):",
        "",
        "| variant | tests stage | ratio | made of | whole `noxline run`: wall / CPU | load avg "
        "before | all rounds (tests stage) |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    for name, result in (("unsharded", unsharded), ("2 shards", sharded)):
        lines.append(
            f"| {name} | {result['stage']:.1f} s | {result['stage'] / unsharded['stage']:.2f} | "
            f"{'; '.join(result['parts'])} | {result['run_wall']:.1f} s / "
            f"{result['run_cpu']:.1f} s | {result['load']:.1f} | "
            f"{', '.join(f'{stage:.1f}' for stage in result['rounds'])} |"
        )
    lines += [
        "",
        f"Target: sharded ≤ {SHARD_TARGET} × unsharded; measured {ratio:.2f}: **{verdict}**.",
        "",
    ]
    return "\n".join(lines) + "\n" + render_ci(ci)


def render_ci(ci: Mapping[str, Mapping[str, tuple[float, float]]]) -> str:
    """Measurement (b) as a Markdown table: wall and CPU seconds of each variant, and ratios."""
    names = list(ci)
    lines = [
        "**(b) pvout's jobs as GitLab runs them** (`nox --no-dependencies -s JOB`, a fresh `.nox`"
        " per job, one after another), seconds as wall / CPU of the job's process tree:",
        "",
        "| job | "
        + " | ".join(names)
        + " | CI-shaped ÷ local cold (wall, CPU) | CI-shaped ÷ compiling (wall, CPU) |",
        "|---|" + "---:|" * (len(names) + 2),
    ]
    for job in [*CI_JOBS, "total"]:
        pairs = [
            (
                tuple(sum(pair[i] for pair in ci[name].values()) for i in (0, 1))
                if job == "total"
                else ci[name][job]
            )
            for name in names
        ]
        (cold_wall, cold_cpu), (wall, cpu), (compiling_wall, compiling_cpu) = pairs
        cells = " | ".join(f"{pair[0]:.1f} / {pair[1]:.1f}" for pair in pairs)
        label = f"**{job}**" if job == "total" else job
        lines.append(
            f"| {label} | {cells} | {wall / cold_wall:.2f}, {cpu / max(cold_cpu, 0.01):.2f} | "
            f"{wall / compiling_wall:.2f}, {cpu / max(compiling_cpu, 0.01):.2f} |"
        )
    return "\n".join(lines) + "\n"


def write_readme(text: str) -> None:
    """Replace the text between the scale-out markers of benchmarks/README.md."""
    readme = README.read_text(encoding="utf-8")
    start, end = readme.index(START_MARKER) + len(START_MARKER), readme.index(END_MARKER)
    README.write_text(readme[:start] + "\n" + text + readme[end:], encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run both measurements; print them and write them into the README."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workdir", type=Path, help="keep copies, venvs and logs here")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed runs of each variant in (a), in turns"
    )
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="noxline-scale-out-"))
    workdir.mkdir(parents=True, exist_ok=True)
    python = install_noxline(workdir)
    env = base_env()
    env.pop("UV_COMPILE_BYTECODE", None)
    shards = shards_benchmark(python, workdir, env, max(args.rounds, 1))
    ci = ci_shaped_benchmark(python, workdir)
    text = render(shards, ci, python)
    print(text)
    if not args.no_readme:
        write_readme(text)
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
