"""The project's lock and pinned tools decide, end to end: a project locked by the real uv, whose
lock holds an older idna than the newest its metadata allows and pins black 23 in its dev group,
is green under `noxline init` + nox with exactly those versions; a stale lock stops the first job.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import tomlkit

from tests.helpers import clean_env, git, pypiserver, run_nox, run_noxline

pytestmark = pytest.mark.xdist_group("locks")


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
    # black 23 accepts code right after the module docstring; black 24 wants a blank line.
    "src/lockedlib/__init__.py": '"""Locked."""\nimport idna\n\n\ndef encode(name: str) -> bytes:\n'
    '    """IDNA-encode ``name``."""\n    return idna.encode(name)\n',
    "tests/test_locked.py": '"""The lock decides."""\nimport idna\n\nimport lockedlib\n\n\n'
    "def test_the_locked_idna_is_installed() -> None:\n"
    '    """3.6 is locked; a newer idna exists."""\n'
    '    assert idna.__version__ == "3.6"\n    assert lockedlib.encode("a") == b"a"\n',
}


@pytest.fixture(name="project", scope="module")
def project_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project written, locked by uv as of its exclude-newer day (idna 3.6, black 23.12.1,
    pytest 7.4.4: newer releases of all three exist, so an unlocked install would differ),
    adopted and committed."""
    project = tmp_path_factory.mktemp("locks") / "lockedlib"
    for name, text in FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    locked = subprocess.run(
        ["uv", "lock"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert locked.returncode == 0, locked.stderr
    git(project, "init", "-q", "-b", "main")
    adopted = run_noxline(project, "init")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    (project / ".git" / "info" / "exclude").write_text("init.txt\n", encoding="utf-8")
    (project / "init.txt").write_text(adopted.stdout, encoding="utf-8")
    data = tomlkit.parse((project / "pyproject.toml").read_text(encoding="utf-8"))
    data["tool"]["noxline"]["tests-latest"] = True
    (project / "pyproject.toml").write_text(tomlkit.dumps(data), encoding="utf-8")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "initial")
    return project


def _summary(project: Path, job: str) -> str:
    """A job's one-line result."""
    return (project / "reports" / job / "summary.txt").read_text(encoding="utf-8").strip()


def test_the_locked_versions_and_the_pinned_black_decide(project: Path) -> None:
    """tests get idna 3.6 and pytest 7.4.4 from uv.lock, black is 23.12.1 and accepts the code,
    wheel-install resolves as a user would; init said what it found; the tree stays clean."""
    init = (project / "init.txt").read_text(encoding="utf-8")
    assert "lock uv.lock (" in init and "packages pinned" in init
    assert "black 23.12.1 (uv.lock)" in init
    run_nox(project, "-s", "version", "build", "wheel-install", "tests", "black")
    # Outside the lock the newest idna installs: the project's own test of 3.6 fails there only.
    latest = run_nox(project, "--no-dependencies", "-s", "tests-latest", check=False)
    assert latest.returncode != 0 and "assert '3." in latest.stdout + latest.stderr
    assert "(noxline default)" in _summary(project, "tests-latest")
    assert _summary(project, "black").startswith("black 23.12.1 (uv.lock), ")
    tests = _summary(project, "tests")
    assert "pytest 7.4.4 (uv.lock)" in tests and "1 tests ran" in tests, tests
    assert "coverage " in tests and "(noxline default)" in tests
    assert "not from uv.lock" in _summary(project, "wheel-install")
    installed = (project / "reports" / "wheel-install" / "installed.txt").read_text("utf-8")
    assert "idna==3.6" not in installed  # unlocked: the newest idna a user gets
    assert not git(project, "status", "--porcelain")


def test_a_stale_lock_stops_the_first_job_in_one_line(project: Path) -> None:
    """pyproject.toml changed without `uv lock`: the version job fails naming the fix, and the
    lock is left as it was."""
    pyproject = project / "pyproject.toml"
    lock_before = (project / "uv.lock").read_bytes()
    pyproject.write_text(PYPROJECT.replace('["idna>=3.4"]', '["idna>=3.4", "six"]'), "utf-8")
    try:
        result = run_nox(project, "-s", "version", check=False)
    finally:
        git(project, "checkout", "--", "pyproject.toml")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "no longer matches" in line]
    assert len(lines) == 1, result.stderr
    assert "uv.lock no longer matches pyproject.toml" in lines[0]
    assert "run `uv lock` and commit uv.lock" in lines[0]
    assert "Traceback" not in result.stderr
    assert (project / "uv.lock").read_bytes() == lock_before
    assert not git(project, "status", "--porcelain")


def _variant(project: Path, tmp_path: Path, lock_file: str, export: tuple[str, ...]) -> Path:
    """A copy of the project whose only lock is ``lock_file``, made from uv.lock by ``export``."""
    copy = tmp_path / "p"
    git(tmp_path, "clone", "-q", str(project), str(copy))
    done = subprocess.run(
        export, cwd=copy, env=clean_env(), capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    git(copy, "rm", "-q", "uv.lock")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", f"lock with {lock_file}")
    return copy


def test_a_pep_751_lock_decides_too(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """pylock.toml (PEP 751, exported by uv): the tests get its idna and pytest, black its 23.
    (A short folder: black 23's worker processes need a short socket path under nox's TMPDIR.)"""
    tmp_path = tmp_path_factory.mktemp("pylock")
    export = ("uv", "export", "--frozen", "--all-groups", "--format", "pylock.toml", "-o",
              "pylock.toml", "--no-emit-project")  # fmt: skip
    copy = _variant(project, tmp_path, "pylock.toml", export)
    run_nox(copy, "-s", "version", "build", "tests", "black")
    assert _summary(copy, "black").startswith("black 23.12.1 (pylock.toml), ")
    assert "pytest 7.4.4 (pylock.toml)" in _summary(copy, "tests")
    assert not git(copy, "status", "--porcelain")


POETRY_PYPROJECT = """\
[project]
name = "plib"
version = "0.1.0"
readme = "README.md"
requires-python = ">=3.9"
dependencies = ["idna>=3.4"]

[tool.poetry]
packages = [{ include = "plib", from = "src" }]

[tool.poetry.group.dev.dependencies]
black = "23.12.1"
pytest = "~7.4"

[[tool.poetry.source]]
name = "pypi-simple"
url = "https://pypi.org/simple/"
priority = "primary"

[build-system]
requires = ["poetry-core>=2,<3"]
build-backend = "poetry.core.masonry.api"
"""


def test_a_poetry_lock_decides_with_poetrys_own_export(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A Poetry 2 project locked by the real Poetry with an older idna than its metadata allows:
    noxline exports poetry.lock with Poetry (in .nox/noxline-poetry, not the project's venvs);
    tests get the locked idna and pytest, black its pinned 23; a stale lock names `poetry lock`."""
    project = tmp_path_factory.mktemp("poetry") / "p"
    files = {
        "pyproject.toml": POETRY_PYPROJECT.replace('"idna>=3.4"', '"idna>=3.4,<3.6"'),
        "README.md": "# plib\n",
        "src/plib/__init__.py": '"""P."""\nimport idna\n',
        "tests/test_p.py": "import idna\n\nimport plib\n\n\ndef test_the_lock_decides():\n"
        '    assert idna.__version__ == "3.5"\n    assert plib.__doc__\n',
    }
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    git(project, "init", "-q", "-b", "main")
    # Locked at idna 3.5, then the metadata allows newer: the lock still holds 3.5 (Poetry's
    # own lock, made by the Poetry noxline installs for itself).
    poetry = project / ".nox" / "noxline-poetry" / "bin" / "poetry"
    for command in (
        ["uv", "venv", "-q", str(poetry.parent.parent)],
        ["uv", "pip", "install", "-q", "--python", str(poetry.parent / "python"), "poetry>=2,<3",
         "poetry-plugin-export>=1.8,<2"],
        [str(poetry), "lock", "-q"],
    ):  # fmt: skip
        done = subprocess.run(command, cwd=project, env=clean_env(), capture_output=True,
                              text=True, check=False, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
    (project / "pyproject.toml").write_text(POETRY_PYPROJECT, encoding="utf-8")
    done = subprocess.run([str(poetry), "lock", "-q"], cwd=project, env=clean_env(),
                          capture_output=True, text=True, check=False, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    adopted = run_noxline(project, "init")
    assert adopted.returncode == 0, adopted.stderr
    assert "lock poetry.lock (pins read by each job)" in adopted.stdout
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "initial")
    run_nox(project, "-s", "version", "build", "tests", "black")
    assert _summary(project, "black").startswith("black 23.12.1 (poetry.lock), ")
    assert "pytest 7.4.4 (poetry.lock)" in _summary(project, "tests")
    assert not git(project, "status", "--porcelain")


def test_a_locked_package_from_a_private_index_installs_with_ci_credentials(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A dependency locked from a private index (a uv index on a pypiserver that asks for a
    password to list and download): installed with the credentials from the environment (uv's
    UV_INDEX_<NAME>_* variables, as CI/CD variables give them); the password is in no file."""
    root = tmp_path_factory.mktemp("private")
    with pypiserver(root / "index", authenticate="update,download,list") as index:
        dep = root / "secretdep"
        (dep / "src" / "secretdep").mkdir(parents=True)
        (dep / "src" / "secretdep" / "__init__.py").write_text('"""S."""\nVALUE = 42\n', "utf-8")
        (dep / "pyproject.toml").write_text(
            '[project]\nname = "secretdep"\nversion = "1.0"\n[build-system]\n'
            'requires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
            encoding="utf-8",
        )
        built = subprocess.run(["uv", "build", "-q", "--wheel", "-o", str(index.packages)],
                               cwd=dep, env=clean_env(), capture_output=True, text=True,
                               check=False, timeout=300)  # fmt: skip
        assert built.returncode == 0, built.stderr
        project = root / "app"
        files = {
            "pyproject.toml": '[project]\nname = "privapp"\nversion = "0.1.0"\nreadme = "README.md"\n'
            'dependencies = ["secretdep"]\n[build-system]\nrequires = ["hatchling"]\n'
            'build-backend = "hatchling.build"\n[[tool.uv.index]]\nname = "internal"\n'
            f'url = "{index.simple_url}"\nexplicit = true\n[tool.uv.sources]\n'
            'secretdep = { index = "internal" }\n',
            "README.md": "# app\n",
            "src/privapp/__init__.py": '"""App."""\nfrom secretdep import VALUE\n',
            "tests/test_app.py": "import privapp\n\n\ndef test_value():\n    assert privapp.VALUE == 42\n",
        }
        for name, text in files.items():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(text, encoding="utf-8")
        credentials = {
            "UV_INDEX_INTERNAL_USERNAME": index.username,
            "UV_INDEX_INTERNAL_PASSWORD": index.password,
        }
        locked = subprocess.run(["uv", "lock"], cwd=project, env=clean_env(**credentials),
                                capture_output=True, text=True, check=False, timeout=300)  # fmt: skip
        assert locked.returncode == 0, locked.stderr
        git(project, "init", "-q", "-b", "main")
        assert run_noxline(project, "init").returncode == 0
        git(project, "add", "-A")
        git(project, "commit", "-q", "-m", "initial")
        run_nox(project, "-s", "version", "build", "tests", env=clean_env(**credentials))
        assert "1 tests ran" in _summary(project, "tests")
        without = run_nox(project, "--no-dependencies", "-s", "tests", check=False)
        assert without.returncode != 0  # the index asks for its password
        leaked = [
            path
            for path in project.rglob("*")
            if path.is_file() and index.password.encode() in path.read_bytes()
        ]
        assert not leaked
        assert index.password not in without.stdout + without.stderr
        assert not git(project, "status", "--porcelain")
