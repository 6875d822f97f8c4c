"""A job's inputs and its cache key: every kind of input changes the key of the jobs that read it,
and only theirs (pure: snapshot + ready facts → key); globs as GitLab reads them; the snapshot
read from a real repository."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from nox.sessions import _normalize_path  # the rule _venv_name writes again

from noxline import confine
from noxline.config import Settings, load_settings, replace
from noxline.inputs import (
    git_state,
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
    text_paths,
    user_file_digests,
    value_words,
    variable_file_digests,
    _venv_name,
    venv_contents,
)
from noxline.pipeline import Pipeline, define
from noxline.project import CONFIG_FILES
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
ENVIRON = {
    "PATH": "/usr/bin",
    "HOME": "/home/me",
    "PWD": "/work",
    "APP_MODE": "fast",
    "PYLINTRC": "ci/pylintrc",
    "MYPYPATH": "/opt/stubs",
}
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
        git={"head": "h1", "tags": "none", "index": "i1"},
        user_files={"~/.pylintrc": "missing", "~/.config/pip/pip.conf": "missing"},
        variable_files={"ci/pylintrc": "rc1", "/opt/stubs": "folder:s1"},
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
            target = ready if name in ("interpreter", "dist", "upstream", "venv") else snapshot
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
#: The jobs reading the package's files: the build, what uses the wheel, the checkers.
PACKAGE_READERS = {"build", "wheel-install", "tests", "pylint", "black", "mypy", "sbom"}
#: The jobs reading the tests folder's files: the build (the sdist), the tests, the checkers.
TESTS_READERS = {"build", "tests", "pylint", "black", "mypy"}
#: The jobs reading git: the version, the build (SOURCE_DATE_EPOCH), the tests, the SBOM.
GIT_READERS = {"version", "build", "tests", "sbom"}
#: The jobs running the project's own code: build (setup.py, build hooks), wheel-install (the
#: package's import) and tests; each may read any variable.
PROJECT_CODE = {"build", "wheel-install", "tests"}
#: (what changed, the change, the jobs that must run again; every other job stays cached).
CASES = [
    (
        "a source line",
        edit(tree={"src/tiny_lib/core.py": "c2"}),
        PACKAGE_READERS,
    ),
    (
        "a test file",
        edit(tree={"tests/test_core.py": "t2"}),
        TESTS_READERS,
    ),
    # The checkers are given the tests folder: their configuration picks what they check in it.
    (
        "test data",
        edit(tree={"tests/data/sample.json": "s2"}),
        TESTS_READERS,
    ),
    (
        "a new untracked module",
        edit(tree={"src/tiny_lib/extra.py": "e1"}),
        PACKAGE_READERS,
    ),
    (
        "a deleted test",
        edit(tree={"tests/test_core.py": None}),
        TESTS_READERS,
    ),
    # The checkers' own configuration picks what they check in the paths they are given.
    (
        "a non-Python file in the package (a .pyw black's include selects)",
        edit(tree={"src/tiny_lib/gui.pyw": "g1"}),
        PACKAGE_READERS,
    ),
    # The project's tests may open any file of the tree (a page they check, an example).
    ("a documentation page", edit(tree={"docs/guide.md": "d2"}), {"build", "tests"}),
    (
        "a file outside every declared folder",
        edit(tree={"examples/a.py": "a1"}),
        TESTS_READERS,
    ),
    (
        "the readme (the wheel's description)",
        edit(tree={"README.md": "r2"}),
        {"build", "wheel-install", "tests", "sbom"},
    ),
    ("the lock file", edit(tree={"uv.lock": "l2"}), EVERYONE),
    (
        "a license file in LICENSES/ (the wheel holds it)",
        edit(tree={"LICENSES/MIT.txt": "m1"}),
        {"build", "wheel-install", "tests", "sbom"},
    ),
    ("pyproject.toml", edit(tree={"pyproject.toml": "p2"}), EVERYONE),
    ("a new checker configuration", edit(tree={"mypy.ini": "m1"}), EVERYONE),
    ("a setting (a tool pin, a threshold)", edit(settings="Settings(b)"), EVERYONE),
    ("noxline itself", edit(runtime={"noxline": "0.1.0:abd"}), EVERYONE),
    ("nox's version", edit(runtime={"nox": "2026.11.1"}), EVERYONE),
    ("uv's version (the resolver)", edit(runtime={"uv": "0.13.2"}), EVERYONE),
    ("the interpreter", edit(interpreter="/usr/bin/python3.12:3.12.2"), EVERYONE),
    # A venv made anew installs the newest releases a range allows.
    ("what the job's reused venv holds", edit(venv="v2"), EVERYONE),
    ("the built wheel", edit(dist={"tiny.whl": "w2"}), {"wheel-install", "tests", "sbom"}),
    ("a report a job reads", edit(upstream={"reports/version/version.env": "v2"}), EVERYONE),
    # The project's tests may run git (git ls-files, git describe).
    ("HEAD (a commit)", edit(git={"head": "h2"}), GIT_READERS),
    ("a new tag", edit(git={"tags": "v1"}), GIT_READERS),
    (
        "what is staged (setuptools-scm's file list)",
        edit(git={"index": "i2"}),
        GIT_READERS,
    ),
    (
        "a file's executable bit (a test runs it, the wheel records it)",
        edit(tree={"tests/data/sample.json": "executable:s1"}),
        TESTS_READERS,
    ),
    (
        "a module becoming ignored (the build no longer copies it)",
        edit(tree={"src/tiny_lib/core.py": "ignored:c1"}),
        PACKAGE_READERS,
    ),
    (
        "the index the installers read",
        edit(environ={"UV_INDEX_URL": "http://mirror/simple"}),
        EVERYONE,
    ),
    ("PATH (where tools are found)", edit(environ={"PATH": "/opt/bin:/usr/bin"}), EVERYONE),
    (
        "a variable only the project's code may read",
        edit(environ={"APP_MODE": "slow"}),
        PROJECT_CODE,
    ),
    ("a variable mypy reads", edit(environ={"MYPYPATH": "stubs"}), {"mypy", *PROJECT_CODE}),
    (
        "a build backend's override",
        edit(environ={"SETUPTOOLS_SCM_PRETEND_VERSION": "9"}),
        PROJECT_CODE,
    ),
    ("nox's own switches", edit(environ={"NOXFORCEPYTHON": "3.12"}), EVERYONE),
    ("pylint's user configuration", edit(user_files={"~/.pylintrc": "x1"}), {"pylint"}),
    # A file a variable names is read by the tool the variable configures (and, as any
    # variable, by the project's tests).
    (
        "the file PYLINTRC names",
        edit(variable_files={"ci/pylintrc": "rc2"}),
        {"pylint", *PROJECT_CODE},
    ),
    (
        "a stub in MYPYPATH's folder",
        edit(variable_files={"/opt/stubs": "folder:s2"}),
        {"mypy", *PROJECT_CODE},
    ),
    ("a file a variable no job reads names", edit(variable_files={"/etc/motd": "m1"}), set()),
    ("pip's user configuration", edit(user_files={"~/.config/pip/pip.conf": "x1"}), EVERYONE),
    # ruff, pytest and uv take a configuration from a folder above a project without one.
    ("a ruff.toml above the project", edit(above={"/work/ruff.toml": "r1"}), EVERYONE),
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


def test_what_the_noxfile_imports_from_the_project_is_every_jobs_input(tmp_path: Path) -> None:
    """A helper module or package the noxfile imports is read by every job, as the noxfile is:
    its edit reruns each one, and a merge request changing it runs them all."""
    project = write_project(tmp_path)
    (project / "noxfile.py").write_text(
        "import nox\nimport ci_helpers\nfrom nox_support import jobs\n", encoding="utf-8"
    )
    (project / "ci_helpers.py").write_text("X = 1\n", encoding="utf-8")
    (project / "nox_support").mkdir()
    (project / "nox_support/jobs.py").write_text("Y = 1\n", encoding="utf-8")
    settings = load_settings(project)
    assert settings.noxfile_imports == ("ci_helpers.py", "nox_support/")
    pipeline = define(settings)
    for job in pipeline.jobs:
        for path in ("ci_helpers.py", "nox_support/jobs.py", "nox_support/pins.txt"):
            assert matches(job.inputs.files, path), (job.name, path)
    assert not matches(pipeline.job("version").inputs.files, "helpers_not_imported.py")


def test_what_configuration_names_or_widens_is_read_by_the_jobs_it_configures(
    tmp_path: Path,
) -> None:
    """A file a configuration names (mypy's ``files``) is read by every job reading config; a
    check whose configuration selects files by a pattern (black's include) reads every file."""
    project = write_project(tmp_path)
    (project / "bin").mkdir()
    (project / "bin/tool").write_text("def main() -> int: return 1\n", encoding="utf-8")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as stream:
        stream.write('\n[tool.mypy]\nfiles = ["src", "bin/tool"]\n[tool.black]\ninclude = "pyw"\n')
    pipeline = define(load_settings(project))
    assert matches(pipeline.job("mypy").inputs.files, "bin/tool")
    assert matches(pipeline.job("version").inputs.files, "bin/tool")
    assert matches(pipeline.job("black").inputs.files, "scripts/gui.pyw")
    assert not matches(pipeline.job("mypy").inputs.files, "scripts/gui.pyw")


def test_the_snapshot_of_a_real_repository(tmp_path: Path) -> None:
    """Tracked, untracked and ignored files are read (a tool does not follow ``.gitignore``);
    noxline's outputs are not; a repository-less folder has no snapshot (the cache is then off)."""
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
    assert "debug.log" in snapshot.tree
    assert not {"dist/tiny.whl", "reports/tests/junit.xml", ".nox/tests/x"} & set(snapshot.tree)
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


def test_a_files_executable_bit_is_part_of_its_digest(tmp_path: Path) -> None:
    """git, a wheel and a test running the file see the bit: it changes the digest alone."""
    (tmp_path / "check.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    plain = file_digest(tmp_path, "check.sh")
    (tmp_path / "check.sh").chmod(0o755)
    assert file_digest(tmp_path, "check.sh") == "executable:" + plain


#: Where each tool a job runs looks for its configuration (its own documentation and source):
#: a change to any of them must rerun the jobs it configures, and a merge request pipeline that
#: changes only it must not leave them out. .pytest.ini, pylintrc.toml, .pylintrc.toml,
#: .docstr.yaml and a ruff.toml below the root were missed: the cache restored a green tests job
#: after .pytest.ini broke it.
TOOL_CONFIGS = {
    "pytest": (
        "pytest.ini",
        ".pytest.ini",
        "pytest.toml",
        ".pytest.toml",
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
    "ruff": (
        "ruff.toml",
        ".ruff.toml",
        "src/pkg/ruff.toml",
        "tests/.ruff.toml",
        "pyproject.toml",
        "src/pkg/sub/pyproject.toml",  # ruff takes the nearest [tool.ruff]
        ".ignore",  # ruff skips what an .ignore file names, as what .gitignore does
        "tests/.ignore",
    ),
    "docstr-coverage": (".docstr.yaml", ".docstr.yml"),
    "nox": ("noxfile.py",),
    "uv": ("uv.toml",),
}


@pytest.mark.parametrize("names", TOOL_CONFIGS.values(), ids=TOOL_CONFIGS.keys())
def test_every_configuration_file_a_tool_reads_is_an_input(names: tuple[str, ...]) -> None:
    """The configuration kind of Job.inputs holds every file the tools look for."""
    assert [name for name in names if not matches(CONFIG_FILES, name)] == []


#: (file, ignored by .gitignore, keyed): ignored files are keyed as tracked ones are, for the tools
#: do not follow git's rules (pylint and mypy read every Python file of their paths, pytest an
#: ignored pytest.ini, a test its data or an ignored .env); caches, venvs, editors' state and
#: noxline's outputs are not. A generated, ignored module broke mypy while the cache restored it
#: green; an ignored .env a test loads was not keyed.
IGNORED = [
    ("src/tiny_lib/_version.py", True),
    ("src/tiny_lib/_stubs.pyi", True),
    ("tests/data/big.bin", True),
    ("tools/generated_pb2.py", True),
    ("debug.log", True),
    (".env", True),
    ("pytest.ini", True),
    ("data/fixtures/rates.json", True),
    ("build/lib/tiny_lib/core.py", True),
    (".idea/workspace.xml", False),
    (".pytest_cache/v/cache/lastfailed", False),
    ("src/tiny_lib/__pycache__/core.cpython-312.pyc", False),
    (".mypy_cache/3.12/x.py", False),
    ("venv/lib/python3.12/site-packages/x.py", False),
    ("env2/bin/activate_this.py", False),
    ("dist/built.py", False),
    (".nox/tests/x.py", False),
]


def test_ignored_files_a_tool_reads_are_keyed(tmp_path: Path) -> None:
    """Each row: whether an ignored file is in the snapshot's tree, and a change of a keyed one
    changes the key of a job that reads it."""
    project = write_project(tmp_path, git=True)
    (project / ".gitignore").write_text(
        # Wholly ignored folders too, which git lists once and the snapshot walks.
        "".join(f"/{path}\n" for path, _ in IGNORED) + "env2/\nbuild/\n.idea/\n",
        encoding="utf-8",
    )
    (project / "env2").mkdir()
    (project / "env2/pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    for path, _ in IGNORED:
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text("X = 1\n", encoding="utf-8")
    settings = load_settings(project)
    pipeline = define(settings)
    snapshot = take_snapshot(settings, pipeline, {"PATH": "/usr/bin"})
    assert snapshot is not None
    assert {path: path in snapshot.tree for path, _ in IGNORED} == dict(IGNORED)
    assert snapshot.tree[".env"].startswith("ignored:")  # becoming ignored is a change
    assert not snapshot.tree["pyproject.toml"].startswith("ignored:")
    for path, job in (("src/tiny_lib/_version.py", "mypy"), (".env", "tests")):
        (project / path).write_text("X: int = 'a'\n", encoding="utf-8")
        again = take_snapshot(settings, pipeline, {"PATH": "/usr/bin"})
        assert again is not None
        reader = pipeline.job(job)
        assert cache_key(job_facts(reader, snapshot, base_ready())) != cache_key(
            job_facts(reader, again, base_ready())
        )


WORDS = [
    ("ci/pylintrc", ("ci/pylintrc",)),
    ("-c ci/pytest.ini -p no:cacheprovider", ("ci/pytest.ini", "no", "cacheprovider")),
    ("--rcfile=ci/cov.cfg", ("ci/cov.cfg",)),
    (f"stubs{os.pathsep}/opt/stubs", ("stubs", "/opt/stubs")),
    ("a,b;a", ("a", "b")),
    ("", ()),
]


@pytest.mark.parametrize(("value", "words"), WORDS)
def test_the_words_of_a_value_that_may_name_a_file(value: str, words: tuple[str, ...]) -> None:
    """A value is split at spaces, ``=``, ``,``, ``;`` and the path separator; options left out."""
    assert value_words(value) == words


#: (variable, value, the word keyed or None); files are made under the project and ``outside``.
NAMED = [
    ("PYLINTRC", "ci/pylintrc", "ci/pylintrc"),
    ("COVERAGE_RCFILE", "{outside}/coveragerc", "{outside}/coveragerc"),
    ("PYTEST_ADDOPTS", "-c ci/pytest.ini", "ci/pytest.ini"),
    ("PIP_CONSTRAINT", "{outside}/constraints.txt", "{outside}/constraints.txt"),
    ("MYPYPATH", "{outside}/stubs", "{outside}/stubs"),
    ("PYTHONPATH", "{outside}/lib", "{outside}/lib"),
    ("APP_DATA", "{outside}/stubs", None),  # a folder another variable names: not walked
    ("COVERAGE_FILE", "reports/tests/.coverage", None),  # a job's output, no input
    ("PATH", "{outside}/stubs", None),
    ("HISTFILE", "{outside}/coveragerc", None),  # the shell's own
    ("UV_INDEX_URL", "https://mirror.example/simple", None),
]


@pytest.mark.parametrize(("name", "value", "keyed"), NAMED, ids=[row[0] for row in NAMED])
def test_a_file_a_variable_names_is_keyed_by_its_content(
    tmp_path: Path, name: str, value: str, keyed: str | None
) -> None:
    """The file (or stub or import folder outside the project) a variable names is read; a change
    to it changes the digest, so the jobs reading the variable run again."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    for folder, files in (
        (project, ("ci/pylintrc", "ci/pytest.ini", "reports/tests/.coverage")),
        (outside, ("coveragerc", "constraints.txt", "stubs/pkg/__init__.pyi", "lib/mod.py")),
    ):
        for file in files:
            (folder / file).parent.mkdir(parents=True, exist_ok=True)
            (folder / file).write_text("one\n", encoding="utf-8")
    value = value.format(outside=outside)
    outputs = (Path(".nox"), Path("dist"), Path("reports"))
    first = variable_file_digests(project, {name: value}, skipped=outputs)
    if keyed is None:
        assert not first
        return
    word = keyed.format(outside=outside)
    assert set(first) == {word}
    target = project / word if not os.path.isabs(word) else Path(word)
    changed = next(iter(sorted(target.rglob("*.py*")))) if target.is_dir() else target
    changed.write_text("two\n", encoding="utf-8")
    assert variable_file_digests(project, {name: value}, skipped=outputs)[word] != first[word]


#: (XDG_CONFIG_HOME set, the file edited): a ~/.config file is read under XDG_CONFIG_HOME too.
USER_FILES = [
    (False, "home/.config/black"),
    (True, "xdg/black"),
    (True, "home/.config/black"),
    (False, "home/.pylintrc"),
]


@pytest.mark.parametrize(("xdg", "edited"), USER_FILES)
def test_user_configuration_under_xdg_config_home_is_keyed(
    tmp_path: Path, xdg: bool, edited: str
) -> None:
    """black, mypy, ruff and pip read ``$XDG_CONFIG_HOME/...`` first: its files are keyed."""
    declared = ("~/.config/black", "~/.pylintrc")
    environ = {"HOME": str(tmp_path / "home")}
    if xdg:
        environ["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    (tmp_path / "home").mkdir()
    before = user_file_digests(declared, environ)
    (tmp_path / edited).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / edited).write_text("[tool.black]\n", encoding="utf-8")
    assert user_file_digests(declared, environ) != before


#: (the link, where it leads, the file edited there, its path through the link): a link to a
#: folder is keyed by the files the folder holds, inside the project or out of it; git lists only
#: the link.
LINKED_FOLDERS = [
    ("src/tiny_lib/shared", "../../shared", "shared/util.py", "src/tiny_lib/shared/util.py"),
    ("src/tiny_lib/vendored", "{outside}", "outside/util.py", "src/tiny_lib/vendored/util.py"),
    ("tests/data", "../fixtures", "fixtures/deep/sample.json", "tests/data/deep/sample.json"),
]


@pytest.mark.parametrize(("link", "target", "edited", "through"), LINKED_FOLDERS)
def test_a_link_to_a_folder_is_keyed_by_what_the_folder_holds(
    tmp_path: Path, link: str, target: str, edited: str, through: str
) -> None:
    """A file the linked folder holds is keyed under its path through the link; editing it
    changes that digest."""
    project = write_project(tmp_path / "project", git=True)
    for folder in (project / "shared", project / "fixtures/deep", tmp_path / "outside"):
        folder.mkdir(parents=True)
    for file in ("shared/util.py", "fixtures/deep/sample.json"):
        (project / file).write_text("one\n", encoding="utf-8")
    (tmp_path / "outside/util.py").write_text("one\n", encoding="utf-8")
    (project / link).symlink_to(target.format(outside=tmp_path / "outside"))
    settings = load_settings(project)
    first = take_snapshot(settings, define(settings), {})
    assert first is not None and link in first.tree
    changed = tmp_path / edited if edited.startswith("outside/") else project / edited
    assert through in first.tree  # keyed under its path through the link: the globs match it
    changed.write_text("two\n", encoding="utf-8")
    again = take_snapshot(settings, define(settings), {})
    assert again is not None and again.tree[through] != first.tree[through]


#: (job, its matrix copy's Python, the venv folder nox uses, the job reads a venv): nox's names.
VENVS = [
    ("mypy", "", ".nox/mypy", True),
    ("tests", "3.12", ".nox/tests-3-12", True),
    ("version", "", "", False),
]


@pytest.mark.parametrize(("name", "python", "folder", "reads"), VENVS)
def test_what_a_reused_venv_holds_is_read(
    tmp_path: Path, name: str, python: str, folder: str, reads: bool
) -> None:
    """A job's venv: absent, then its distributions' names (versions in them); another version
    installed is another fact; a job without a venv reads none."""
    settings = load_settings(write_project(tmp_path, git=True))
    pipeline = define(replace(settings, python=("3.11", python) if python else ()))
    job = next(
        job
        for job in pipeline.expand().jobs
        if (job.template or job.name) == name and job.instance.python == python
    )
    if not reads:
        assert venv_contents(settings, job) == ""
        return
    assert venv_contents(settings, job) == "absent"
    site = tmp_path / folder / "lib/python3.12/site-packages"
    (site / "pytest-9.0.0.dist-info").mkdir(parents=True)
    first = venv_contents(settings, job)
    assert first not in ("", "absent")
    (site / "pytest-9.0.0.dist-info").rename(site / "pytest-9.1.0.dist-info")
    assert venv_contents(settings, job) != first


def test_a_submodule_is_keyed_by_the_files_it_holds(tmp_path: Path) -> None:
    """git lists a submodule as one entry: its files are keyed under their paths through it, so
    a Python file checked out in it changes mypy's key."""
    project = write_project(tmp_path / "project", git=True)
    inner = project / "vendor/lib"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")
    (inner / "mod.py").write_text("X = 1\n", encoding="utf-8")
    git(inner, "add", "-A")
    git(inner, "commit", "-qm", "inner")
    git(project, "add", "vendor/lib")  # a gitlink, as a submodule is
    settings = load_settings(project)
    pipeline = define(settings)
    first = take_snapshot(settings, pipeline, {})
    assert first is not None and "vendor/lib/mod.py" in first.tree
    (inner / "mod.py").write_text("X: int = 'a'\n", encoding="utf-8")
    again = take_snapshot(settings, pipeline, {})
    assert again is not None
    mypy = pipeline.job("mypy")
    assert cache_key(job_facts(mypy, first, base_ready())) != cache_key(
        job_facts(mypy, again, base_ready())
    )


@pytest.mark.parametrize(
    "session",
    ["tests", "tests-3.12", "tests-latest", "wheel-install", "Tests (3.12, 'x')", "Ünïcode_job"],
)
def test_venv_names_follow_nox(session: str) -> None:
    """The venv folder the result cache looks in is the one nox makes for the session (a short
    envdir: nox hashes names whose whole path is long, which venv_contents looks for too)."""
    assert _venv_name(session) == Path(_normalize_path("/e", session)).name


#: (a configuration file, what it says, the path outside the project it names, keyed): a tool
#: reads what a configuration file names wherever it is (mypy's stubs folder, a sibling path
#: dependency, a constraints file), so what is there is an input of the jobs reading the file;
#: ignore patterns, the project itself and folders holding it are not.
NAMED_OUTSIDE = {
    "mypy_path, absolute": ("pyproject.toml", '[tool.mypy]\nmypy_path = "{out}/stubs"\n', True),
    "a path dependency above": (
        "pyproject.toml",
        '[tool.uv.sources]\nshared = {{ path = "../outside/stubs" }}\n',
        True,
    ),
    "a constraints file in the home folder": (
        "requirements-dev.txt",
        "-c ~/stubs/core.pyi\npytest\n",
        True,
    ),
    "a file URL": ("setup.cfg", "[options]\ninstall_requires = x @ file://{out}/stubs\n", True),
    "going up from the project's own folder": (
        "mypy.ini",
        "[mypy]\nmypy_path = ./../outside/stubs:src/../../outside/stubs\n",
        True,
    ),
    "a variable it names, naming a folder": (
        "pyproject.toml",
        '[tool.mypy]\nmypy_path = "$EXT_STUBS"\n',
        True,
    ),
    "an ignore pattern is not a path": (".gitignore", "{out}/stubs\n", False),
    "the project itself": ("mypy.ini", "[mypy]\nmypy_path = {project}/src\n", False),
    "a folder holding the project": ("tox.ini", "[tox]\ntoxworkdir = ..\n", False),
    "a path naming nothing": ("pyproject.toml", '[tool.mypy]\nmypy_path = "/no/such"\n', False),
}


@pytest.mark.parametrize(
    ("config", "text", "keyed"), NAMED_OUTSIDE.values(), ids=NAMED_OUTSIDE.keys()
)
def test_what_a_configuration_file_names_outside_the_project_is_keyed(
    tmp_path: Path, config: str, text: str, keyed: bool
) -> None:
    """Each row: a change in the folder a configuration file names outside the project changes
    the key of a job reading that file, or (not keyed) leaves it as it was."""
    project = write_project(tmp_path / "project", git=True)
    outside = tmp_path / "outside"
    (outside / "stubs").mkdir(parents=True)
    (outside / "stubs/core.pyi").write_text("X: int\n", encoding="utf-8")
    named = project / config
    named.write_text(
        (named.read_text(encoding="utf-8") if named.exists() else "")
        + text.format(out=outside, project=project),
        encoding="utf-8",
    )
    environ = {"PATH": "/usr/bin", "HOME": str(outside), "EXT_STUBS": str(outside / "stubs")}
    settings = load_settings(project)
    pipeline = define(settings)
    before = take_snapshot(settings, pipeline, environ)
    (outside / "stubs/core.pyi").write_text("X: str\n", encoding="utf-8")
    after = take_snapshot(settings, pipeline, environ)
    assert before is not None and after is not None
    job = pipeline.job("mypy")
    changed = cache_key(job_facts(job, before, base_ready())) != cache_key(
        job_facts(job, after, base_ready())
    )
    assert changed is keyed


def test_the_words_of_a_configuration_file_that_may_name_a_path_outside() -> None:
    """Absolute, home and parent paths, out of quotes, lists and path lists; URLs' paths too."""
    text = (
        'mypy_path = "/opt/stubs:../shared"\nshared = { path = "../lib" }\n'
        "init-hook='import sys; sys.path.append(\"/opt/lib\")'\n-c ~/c.txt\nx = file:///srv/w\n"
        "plain = src/pkg\n"
    )
    assert text_paths(text) == (
        "/opt/stubs",
        "../shared",
        "../lib",
        "/opt/lib",
        "~/c.txt",
        "/srv/w",
    )


def test_what_git_answers_from_is_its_state(tmp_path: Path) -> None:
    """HEAD, the tags, a replace ref (git replace rewrites the history git describe counts), a
    shallow boundary, the attributes of the clone, git's configuration, the index: each changes
    the git state the version and test jobs are keyed on."""
    project = write_project(tmp_path, git=True)
    (project / "a.txt").write_text("1\n", encoding="utf-8")
    git(project, "add", "a.txt")
    git(project, "commit", "-q", "-m", "second")
    head = git(project, "rev-parse", "HEAD").strip()
    (project / "new.txt").write_text("staged next\n", encoding="utf-8")  # untracked until added
    (project / ".git/info").mkdir(exist_ok=True)
    changes: list[Callable[[], object]] = [
        lambda: git(project, "tag", "v1.0"),
        lambda: git(project, "replace", "--graft", "HEAD"),
        lambda: (project / ".git/shallow").write_text(head + "\n", encoding="utf-8"),
        lambda: (project / ".git/info/attributes").write_text("* -text\n", encoding="utf-8"),
        lambda: git(project, "config", "core.useReplaceRefs", "false"),
        lambda: git(project, "add", "-N", "a.txt", "--", "pyproject.toml", "new.txt"),
    ]
    seen = [git_state(project)]
    for change in changes:
        change()
        seen.append(git_state(project))
        assert seen[-1] != seen[-2], len(seen)


def test_configuration_above_the_project_is_read(tmp_path: Path) -> None:
    """A ruff.toml (pytest.ini, uv.toml, ...) appearing or changing in a folder above the
    project changes the snapshot every job is keyed on."""
    project = write_project(tmp_path / "project", git=True)
    settings = load_settings(project)
    pipeline = define(settings)
    first = take_snapshot(settings, pipeline, {"PATH": "/usr/bin"})
    (tmp_path / "ruff.toml").write_text('select = ["E9"]\n', encoding="utf-8")
    second = take_snapshot(settings, pipeline, {"PATH": "/usr/bin"})
    (tmp_path / "ruff.toml").write_text('select = ["ALL"]\n', encoding="utf-8")
    third = take_snapshot(settings, pipeline, {"PATH": "/usr/bin"})
    assert first is not None and second is not None and third is not None
    job = pipeline.job("mypy")
    keys = {cache_key(job_facts(job, snap, base_ready())) for snap in (first, second, third)}
    assert len(keys) == 3


def test_links_and_variables_leading_back_to_the_project_are_not_walked(tmp_path: Path) -> None:
    """A tracked link to the project's parent and a config file naming $HOME (a folder holding
    the project) add no walk of the project: its outputs, which every run rewrites, would make
    every key new. Their own text is keyed."""
    home = tmp_path / "home"
    project = write_project(home / "project", git=True)
    (project / "tests").mkdir(exist_ok=True)
    (project / "tests/up").symlink_to("../..")
    (project / "tox.ini").write_text(
        "[testenv]\nsetenv = PIP_CACHE_DIR = {env:HOME}/.cache/pip\n", encoding="utf-8"
    )
    settings = load_settings(project)
    environ = {"PATH": "/usr/bin", "HOME": str(home)}
    first = take_snapshot(settings, define(settings), environ)
    (project / "reports").mkdir(exist_ok=True)
    (project / "reports/run.json").write_text("{}\n", encoding="utf-8")
    (home / "notes.txt").write_text("changed\n", encoding="utf-8")
    again = take_snapshot(settings, define(settings), environ)
    assert first is not None and again is not None
    assert "tests/up" in first.tree
    assert not [path for path in first.tree if path.startswith("tests/up/")]
    assert again.named_outside == first.named_outside and again.tree == first.tree
