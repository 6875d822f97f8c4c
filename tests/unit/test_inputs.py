"""A job's inputs and its cache key: every kind of input changes the key of the jobs that read it,
and only theirs (pure: snapshot + ready facts → key); globs as GitLab reads them; the snapshot
read from a real repository."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from noxline import confine
from noxline.config import Settings, load_settings, replace
from noxline.inputs import (
    Interpreters,
    Ready,
    Snapshot,
    cache_key,
    file_digest,
    job_facts,
    matches,
    reads_variable,
    ready_facts,
    take_snapshot,
)
from noxline.pipeline import CONFIG_FILES, Pipeline, define
from tests.helpers import git
from tests.unit._projects import write_project

#: The tree of the tiny project the table below edits (path → digest).
TREE = {
    "pyproject.toml": "p1",
    "README.md": "r1",
    "docs/guide.md": "d1",
    "src/tiny_lib/__init__.py": "i1",
    "src/tiny_lib/core.py": "c1",
    "tests/test_core.py": "t1",
    "tests/data/sample.json": "s1",
    "uv.lock": "l1",
}
ENVIRON = {"PATH": "/usr/bin", "HOME": "/home/me", "PWD": "/work", "APP_MODE": "fast"}
JOBS = ("version", "build", "wheel-install", "tests", "pylint", "black", "mypy", "sbom")


@pytest.fixture(name="pipeline", scope="module")
def pipeline_fixture(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The tiny project's pipeline (its inputs resolved for its layout)."""
    return define(load_settings(write_project(tmp_path_factory.mktemp("inputs"))))


def base_snapshot() -> Snapshot:
    """The run as it was when every job last went green."""
    return Snapshot(
        tree=dict(TREE),
        environ=dict(ENVIRON),
        settings="Settings(a)",
        runtime={"noxline": "0.1.0:abc", "nox": "2026.10.20", "uv": "0.13.1"},
        git={"head": "h1", "tags": "none"},
        user_files={"~/.pylintrc": "missing", "~/.config/pip/pip.conf": "missing"},
    )


def base_ready() -> Ready:
    """What each job read as it started, then."""
    return Ready(interpreter="/usr/bin/python3.12:3.12.1", dist={"tiny.whl": "w1"})


def keys(pipeline: Pipeline, snapshot: Snapshot, ready: Ready) -> dict[str, str]:
    """Each job's key."""
    return {name: cache_key(job_facts(pipeline.job(name), snapshot, ready)) for name in JOBS}


def edit(**changes: object) -> Callable[[Snapshot, Ready], tuple[Snapshot, Ready]]:
    """A change of the snapshot's fields (a dict field is merged, a None value deletes)."""

    def apply(snapshot: Snapshot, ready: Ready) -> tuple[Snapshot, Ready]:
        fields: dict[str, object] = {}
        for name, value in changes.items():
            target = ready if name in ("interpreter", "dist", "upstream") else snapshot
            old = getattr(target, name)
            if isinstance(value, dict):
                merged = {**old, **value}
                value = {k: v for k, v in merged.items() if v is not None}
            fields[name] = value
        snapshot_fields = {k: v for k, v in fields.items() if hasattr(snapshot, k)}
        ready_fields = {k: v for k, v in fields.items() if k not in snapshot_fields}
        return (
            dataclasses.replace(snapshot, **snapshot_fields),  # type: ignore[arg-type]
            dataclasses.replace(ready, **ready_fields),  # type: ignore[arg-type]
        )

    return apply


EVERYONE = set(JOBS)
#: (what changed, the change, the jobs that must run again; every other job stays cached).
CASES = [
    (
        "a source line",
        edit(tree={"src/tiny_lib/core.py": "c2"}),
        {"build", "wheel-install", "tests", "pylint", "black", "mypy", "sbom"},
    ),
    (
        "a test file",
        edit(tree={"tests/test_core.py": "t2"}),
        {"build", "tests", "pylint", "black", "mypy"},
    ),
    ("test data", edit(tree={"tests/data/sample.json": "s2"}), {"build", "tests"}),
    (
        "a new untracked module",
        edit(tree={"src/tiny_lib/extra.py": "e1"}),
        {"build", "wheel-install", "tests", "pylint", "black", "mypy", "sbom"},
    ),
    (
        "a deleted test",
        edit(tree={"tests/test_core.py": None}),
        {"build", "tests", "pylint", "black", "mypy"},
    ),
    ("a documentation page", edit(tree={"docs/guide.md": "d2"}), {"build"}),
    (
        "the readme (the wheel's description)",
        edit(tree={"README.md": "r2"}),
        {"build", "wheel-install", "tests", "sbom"},
    ),
    ("the lock file", edit(tree={"uv.lock": "l2"}), EVERYONE),
    ("pyproject.toml", edit(tree={"pyproject.toml": "p2"}), EVERYONE),
    ("a new checker configuration", edit(tree={"mypy.ini": "m1"}), EVERYONE),
    ("a setting (a tool pin, a threshold)", edit(settings="Settings(b)"), EVERYONE),
    ("noxline itself", edit(runtime={"noxline": "0.1.0:abd"}), EVERYONE),
    ("nox's version", edit(runtime={"nox": "2026.11.1"}), EVERYONE),
    ("uv's version (the resolver)", edit(runtime={"uv": "0.13.2"}), EVERYONE),
    ("the interpreter", edit(interpreter="/usr/bin/python3.12:3.12.2"), EVERYONE),
    ("the built wheel", edit(dist={"tiny.whl": "w2"}), {"wheel-install", "tests", "sbom"}),
    ("a report a job reads", edit(upstream={"reports/version/version.env": "v2"}), EVERYONE),
    ("HEAD (a commit)", edit(git={"head": "h2"}), {"version", "build", "sbom"}),
    ("a new tag", edit(git={"tags": "v1"}), {"version", "build", "sbom"}),
    (
        "the index the installers read",
        edit(environ={"UV_INDEX_URL": "http://mirror/simple"}),
        EVERYONE,
    ),
    ("PATH (where tools are found)", edit(environ={"PATH": "/opt/bin:/usr/bin"}), EVERYONE),
    ("a variable only the project's tests may read", edit(environ={"APP_MODE": "slow"}), {"tests"}),
    # The project's tests may read any variable: they rerun too.
    ("a variable mypy reads", edit(environ={"MYPYPATH": "stubs"}), {"mypy", "tests"}),
    (
        "a build backend's override",
        edit(environ={"SETUPTOOLS_SCM_PRETEND_VERSION": "9"}),
        {"build", "tests"},
    ),
    ("pylint's user configuration", edit(user_files={"~/.pylintrc": "x1"}), {"pylint"}),
    ("pip's user configuration", edit(user_files={"~/.config/pip/pip.conf": "x1"}), EVERYONE),
    ("the shell's working folder", edit(environ={"PWD": "/elsewhere"}), set()),
    ("the terminal", edit(environ={"TERM": "xterm", "COLUMNS": "80"}), set()),
    ("NOXLINE_NO_CACHE itself", edit(environ={"NOXLINE_NO_CACHE": "0"}), set()),
    ("nothing", edit(), set()),
]


@pytest.mark.parametrize(
    ("change", "rerun"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_a_change_reruns_exactly_the_jobs_that_read_it(
    pipeline: Pipeline,
    change: Callable[[Snapshot, Ready], tuple[Snapshot, Ready]],
    rerun: set[str],
) -> None:
    """Each kind of input: the jobs that read it get a new key; the others keep theirs."""
    before = keys(pipeline, base_snapshot(), base_ready())
    after = keys(pipeline, *change(base_snapshot(), base_ready()))
    changed = {name for name in JOBS if before[name] != after[name]}
    assert changed == rerun


def test_the_key_is_a_digest_of_facts_never_holding_a_variable_value(pipeline: Pipeline) -> None:
    """Equal facts give equal keys; a secret's value is hashed, never kept in the facts."""
    secret = "s3cr3t-token-value"
    snapshot = edit(environ={"UV_INDEX_PASSWORD": secret})(base_snapshot(), base_ready())[0]
    facts = job_facts(pipeline.job("tests"), snapshot, base_ready())
    assert secret not in repr(facts)
    assert cache_key(facts) == cache_key(dict(reversed(list(facts.items()))))
    assert len(cache_key(facts)) == 64


def test_copies_of_a_fanned_out_job_have_their_own_keys(tmp_path: Path) -> None:
    """Each shard and Python of tests is keyed apart (its shard variables, its session)."""
    settings = load_settings(write_project(tmp_path, "[tool.noxline]\ntest-shards = 2\n"))
    copies = [job for job in define(settings).expand().jobs if job.template == "tests"]
    assert len(copies) == 2
    found = {cache_key(job_facts(job, base_snapshot(), base_ready())) for job in copies}
    assert len(found) == 2


GLOBS = [
    ("src/tiny_lib/**/*", "src/tiny_lib/core.py", True),
    ("src/tiny_lib/**/*", "src/tiny_lib/sub/deep/x.py", True),
    ("src/tiny_lib/**/*", "src/tiny_lib2/core.py", False),
    ("src/tiny_lib/**/*", "src/tiny_lib/.hidden", True),  # FNM_DOTMATCH
    ("**/*.py", "setup.py", True),
    ("**/*.py", "a/b/c.py", True),
    ("**/*.py", "a/b/c.pyi", False),
    ("*.py", "a/b.py", False),  # FNM_PATHNAME: * stays in one name
    ("**/.gitignore", ".gitignore", True),
    ("**/.gitignore", "tests/.gitignore", True),
    ("README*", "README.md", True),
    ("README*", "docs/README.md", False),
    ("*requirements*.txt", "dev-requirements.txt", True),
    ("requirements/**/*", "requirements/test.txt", True),
    ("pylock.*.toml", "pylock.dev.toml", True),
    ("{a,b}.txt", "b.txt", True),
    ("[ab].txt", "c.txt", False),
    ("my\\[lib\\]/**/*", "my[lib]/x.py", True),
    ("**/*", "anything/at/all", True),
]


@pytest.mark.parametrize(("glob", "path", "expected"), GLOBS)
def test_globs_match_as_gitlab_rules_changes_does(glob: str, path: str, expected: bool) -> None:
    """The globs of Job.inputs read as GitLab reads rules:changes (File.fnmatch, pathname, dots)."""
    assert matches((glob,), path) is expected


def test_variables_by_name_prefix_or_all_but_the_shells() -> None:
    """A name, a prefix, or every variable but a shell's or terminal's own."""
    assert reads_variable(("MYPYPATH",), "MYPYPATH")
    assert not reads_variable(("MYPYPATH",), "MYPYPATH2")
    assert reads_variable(("UV_*",), "UV_INDEX_URL")
    assert reads_variable(("*",), "APP_MODE")
    assert not reads_variable(("*",), "PWD") and not reads_variable(("*",), "TERM_PROGRAM")
    assert not reads_variable(("NOXLINE_*", "*"), "NOXLINE_NO_CACHE")
    # The run lock's marker holds the run's pid: a key with it would change on every run.
    assert not reads_variable(("NOXLINE_*", "*"), confine.LOCK_VARIABLE)


def test_a_glob_in_a_folder_name_is_taken_literally(tmp_path: Path) -> None:
    """A source folder whose name holds glob characters matches only itself."""
    settings = load_settings(write_project(tmp_path))
    odd = replace(settings, source_dir=Path("src/a[1]"))
    job = define(odd).job("wheel-install")
    assert matches(job.inputs.files, "src/a[1]/x.py")
    assert not matches(job.inputs.files, "src/a1/x.py")


def test_the_snapshot_of_a_real_repository(tmp_path: Path) -> None:
    """Tracked and untracked-but-not-ignored files are read; ignored files and noxline's outputs
    are not; a repository-less folder has no snapshot (the cache is then off)."""
    project = write_project(tmp_path / "repo", git=True)
    (project / ".gitignore").write_text("*.log\n", encoding="utf-8")
    (project / "src/tiny_lib/new.py").write_text("X = 1\n", encoding="utf-8")
    (project / "debug.log").write_text("ignored\n", encoding="utf-8")
    for output in ("dist/tiny.whl", "reports/tests/junit.xml", ".nox/tests/x"):
        (project / output).parent.mkdir(parents=True, exist_ok=True)
        (project / output).write_text("out\n", encoding="utf-8")
    settings = load_settings(project)
    snapshot = take_snapshot(settings, define(settings), {"PATH": "/usr/bin"})
    assert snapshot is not None
    assert "src/tiny_lib/new.py" in snapshot.tree and "src/tiny_lib/__init__.py" in snapshot.tree
    assert not {"debug.log", "dist/tiny.whl", "reports/tests/junit.xml"} & set(snapshot.tree)
    assert snapshot.git["head"]
    (project / "src/tiny_lib/new.py").write_text("X = 2\n", encoding="utf-8")
    again = take_snapshot(settings, define(settings), {"PATH": "/usr/bin"})
    assert again is not None
    assert again.tree["src/tiny_lib/new.py"] != snapshot.tree["src/tiny_lib/new.py"]
    git(project, "tag", "v9.9.9")
    tagged = take_snapshot(settings, define(settings), {"PATH": "/usr/bin"})
    assert tagged is not None and tagged.git["tags"] != snapshot.git["tags"]
    bare = load_settings(write_project(tmp_path / "bare"))
    assert take_snapshot(bare, define(bare), {}) is None


def test_ready_facts_read_dist_and_the_interpreter(tmp_path: Path) -> None:
    """A dist job reads every dist/ file's digest; a missing interpreter is named, not an error."""
    settings: Settings = load_settings(write_project(tmp_path, git=True))
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist/tiny.whl").write_bytes(b"wheel")
    pipeline = define(replace(settings, python=("9.99",)))
    interpreters = Interpreters(tmp_path, {"PATH": "/nonexistent"})
    ready = ready_facts(settings, pipeline.job("tests"), interpreters)
    assert set(ready.dist) == {"tiny.whl"}
    assert ready.interpreter == "python9.99:not found"
    assert ready_facts(settings, pipeline.job("version"), interpreters).dist == {}


def test_prefetched_interpreters_are_asked_once_per_run_and_answer_as_asked(
    tmp_path: Path,
) -> None:
    """:meth:`Interpreters.prefetch` asks each Python once, in the background; the answer is the
    one asking directly gives, and a new run (a new Interpreters) asks again: what ``PATH`` or a
    shim finds may change between runs."""
    calls = tmp_path / "calls.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python9.98"
    fake.write_text(
        f"#!/bin/sh\necho asked >> {calls}\necho /opt/py/bin/python9.98\necho '9.98.0 (fake)'\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    environ = {"PATH": str(bin_dir)}
    interpreters = Interpreters(tmp_path, environ)
    interpreters.prefetch(["9.98", "9.98", ""])
    first = interpreters.identity("9.98")
    assert interpreters.identity("9.98") == first
    assert "9.98.0 (fake)" in first
    assert calls.read_text(encoding="utf-8").count("asked") == 1
    assert Interpreters(tmp_path, environ).identity("9.98") == first
    assert calls.read_text(encoding="utf-8").count("asked") == 2
    fake.write_text("#!/bin/sh\necho /opt/py/bin/python9.98\necho '9.98.1 (fake)'\n")
    assert Interpreters(tmp_path, environ).identity("9.98") != first


def test_a_file_behind_a_link_leading_out_is_never_opened_but_still_keyed(tmp_path: Path) -> None:
    """A link inside the project is followed (its target's bytes); one leading out of it is
    digested by the link and its target's size and time, never read, and still changes when the
    target does."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "real.txt").write_text("inside\n", encoding="utf-8")
    (project / "inner").symlink_to("real.txt")
    (outside / "secret.txt").write_text("outside\n", encoding="utf-8")
    (project / "outer").symlink_to(outside / "secret.txt")
    inner = file_digest(project, "inner")
    assert inner == "link:real.txt:" + file_digest(project, "real.txt").removeprefix("link:")
    first = file_digest(project, "outer")
    assert first.startswith(f"link:{outside / 'secret.txt'}:outside:")
    (outside / "secret.txt").write_text("outside, changed\n", encoding="utf-8")
    assert file_digest(project, "outer") != first
    assert file_digest(project, "missing.txt") == "missing"
    assert file_digest(project, "../outside/secret.txt") == "outside"


#: Where each tool a job runs looks for its configuration (its own documentation and source):
#: a change to any of them must rerun the jobs it configures, and a merge request pipeline that
#: changes only it must not leave them out. .pytest.ini, pylintrc.toml, .pylintrc.toml,
#: .docstr.yaml and a ruff.toml below the root were missed: the cache restored a green tests job
#: after .pytest.ini broke it.
TOOL_CONFIGS = {
    "pytest": (
        "pytest.ini",
        ".pytest.ini",
        "pyproject.toml",
        "tox.ini",
        "setup.cfg",
        "conftest.py",
    ),
    "coverage": (".coveragerc", "setup.cfg", "tox.ini", "pyproject.toml"),
    "mypy": ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg"),
    "pylint": ("pylintrc", "pylintrc.toml", ".pylintrc", ".pylintrc.toml", "pyproject.toml"),
    "pylint-ini": ("setup.cfg", "tox.ini"),
    "black": ("pyproject.toml", ".gitignore"),
    "ruff": ("ruff.toml", ".ruff.toml", "src/pkg/ruff.toml", "tests/.ruff.toml", "pyproject.toml"),
    "docstr-coverage": (".docstr.yaml",),
    "nox": ("noxfile.py",),
}


@pytest.mark.parametrize("names", TOOL_CONFIGS.values(), ids=TOOL_CONFIGS.keys())
def test_every_configuration_file_a_tool_reads_is_an_input(names: tuple[str, ...]) -> None:
    """The configuration kind of Job.inputs holds every file the tools look for."""
    assert [name for name in names if not matches(CONFIG_FILES, name)] == []
