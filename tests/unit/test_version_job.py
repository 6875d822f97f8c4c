"""The version job hands the version on without touching the tree; build stamps a copy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from noxline.config import load_settings
from noxline.errors import NoxlineError, VersionError
from noxline.jobs.build import make_build_copy, tree_files
from noxline.jobs.version import decided_version, override_env, stamp
from tests.helpers import git


def _project(root: Path, pyproject: str, files: dict[str, str]) -> Path:
    """A committed project with ``pyproject`` and ``files``."""
    for name, text in {"pyproject.toml": pyproject, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "one"]):
        git(root, *args)
    return root


def _tracked(root: Path) -> dict[str, str]:
    """Every file's text under ``root`` (but .git and nox's .nox/), to prove nothing changed."""
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in root.rglob("*")
        if p.is_file() and not {".git", ".nox"} & set(p.relative_to(root).parts)
    }


_INIT = '"""Demo."""\n__version__ = "0.0.0"\n'


@pytest.mark.parametrize(
    ("pyproject", "files", "written", "env"),
    [
        (
            '[project]\nname = "demo"\nversion = "0.1.0"\n',
            {"src/demo/__init__.py": _INIT},
            {"pyproject.toml": 'version = "2.0.0"', "src/demo/VERSION": "2.0.0\n"},
            {},
        ),
        (
            '[project]\nname = "My.Demo"\ndynamic = ["version"]\n'
            '[build-system]\nrequires = ["setuptools-scm"]\n',
            {"src/my_demo/__init__.py": _INIT},
            {"src/my_demo/VERSION": "2.0.0\n"},
            {
                "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_DEMO": "2.0.0",
                "SETUPTOOLS_SCM_PRETEND_VERSION": "2.0.0",
            },
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n[tool.hatch.version]\n'
            'path = "src/demo/__init__.py"\n',
            {"src/demo/__init__.py": _INIT},
            {"src/demo/__init__.py": '__version__ = "2.0.0"', "src/demo/VERSION": "2.0.0\n"},
            {},
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n[tool.setuptools.dynamic]\n'
            'version = {attr = "demo.__version__"}\n',
            {"demo.py": _INIT},
            {"demo.py": '__version__ = "2.0.0"'},
            {},
        ),
        (
            '[build-system]\nrequires = ["setuptools"]\n',
            {
                "setup.cfg": "[metadata]\nname = demo\n# kept\nversion = 0.1\n",
                "src/demo/__init__.py": _INIT,
            },
            {"setup.cfg": "# kept\nversion = 2.0.0\n", "src/demo/VERSION": "2.0.0\n"},
            {},
        ),
        (
            '[project]\nname = "demo"\ndynamic = ["version"]\n'
            '[build-system]\nrequires = ["setuptools", "versioneer[toml]"]\n',
            {"src/demo/__init__.py": _INIT},
            {"src/demo/VERSION": "2.0.0\n", "src/demo/__init__.py": '"0.0.0"'},  # untouched
            {
                "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_DEMO": "2.0.0",
                "SETUPTOOLS_SCM_PRETEND_VERSION": "2.0.0",
            },
        ),
        (
            "",
            {
                "setup.py": "from setuptools import setup\nsetup(name='demo', version='0.1')\n",
                "src/demo/__init__.py": _INIT,
            },
            {"setup.py": "version='2.0.0'", "src/demo/VERSION": "2.0.0\n"},
            {},
        ),
    ],
    ids=[
        "static",
        "setuptools-scm",
        "hatch-path",
        "single-module-attr",
        "setup.cfg-literal",
        "unknown-plugin",
        "setup.py-literal",
    ],
)
def test_the_build_copy_gets_the_version_and_the_tree_stays(
    tmp_path: Path,
    pyproject: str,
    files: dict[str, str],
    written: dict[str, str],
    env: dict[str, str],
) -> None:
    """Each backend's way: pyproject, its override variables or its file, in the copy only."""
    root = _project(tmp_path / "p", pyproject, files)
    (root / "notes.txt").write_text("untracked, not ignored: copied\n", encoding="utf-8")
    (root / "dist").mkdir()
    (root / "dist" / "old.whl").write_text("an output: never copied\n", encoding="utf-8")
    before = _tracked(root)
    settings = load_settings(root)
    copy, build_env = make_build_copy(settings, "2.0.0")
    assert _tracked(root) == before
    assert copy.is_relative_to(root / ".nox")
    assert build_env == env
    for name, text in written.items():
        assert text in (copy / name).read_text(encoding="utf-8"), name
    assert (copy / "notes.txt").is_file() and not (copy / "dist").exists()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=copy, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""  # committed: setuptools-scm's file finder lists it
    # The version as the copy's release tag, annotated, for plugins that read git tags.
    described = subprocess.run(
        ["git", "describe"], cwd=copy, capture_output=True, text=True, check=True
    )
    assert described.stdout.strip() == f"{settings.tag_prefix}2.0.0"
    (copy / "src" / "x.egg-info").mkdir(parents=True)
    (copy / "src" / "x.egg-info" / "PKG-INFO").write_text("Name: x\n", encoding="utf-8")
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=copy, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""  # what setuptools writes while building leaves it clean


def test_tree_files_skip_noxlines_outputs(tmp_path: Path) -> None:
    """.nox/, dist/ and reports/ are outputs even before .gitignore names them."""
    root = _project(
        tmp_path, '[project]\nname = "demo"\nversion = "1"\n', {"src/demo/__init__.py": _INIT}
    )
    for name in (".nox/x/y.py", "reports/tests/junit.xml", "dist/a.whl", "extra.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")
    assert sorted(p.as_posix() for p in tree_files(load_settings(root))) == [
        "extra.py",
        "pyproject.toml",
        "src/demo/__init__.py",
    ]


def test_the_decided_version_comes_from_gitlab_or_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitLab's dotenv variable first, else the version job's report; neither: what to run."""
    root = _project(
        tmp_path, '[project]\nname = "demo"\nversion = "1"\n', {"src/demo/__init__.py": _INIT}
    )
    dotenv = root / "reports" / "version" / "version.env"
    monkeypatch.delenv("NOXLINE_VERSION", raising=False)
    with pytest.raises(VersionError, match=r"no version decided yet .* run `nox -s version`"):
        decided_version(dotenv)
    dotenv.parent.mkdir(parents=True)
    dotenv.write_text("NOXLINE_VERSION=1.2.0-rc.1\n", encoding="utf-8")
    assert decided_version(dotenv) == "1.2.0rc1"
    monkeypatch.setenv("NOXLINE_VERSION", "3.0")
    assert decided_version(dotenv) == "3.0"


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ("pdm-backend", {"PDM_BUILD_SCM_VERSION": "1.0"}),
        ("poetry-dynamic-versioning", {"POETRY_DYNAMIC_VERSIONING_BYPASS": "1.0"}),
        (
            "hatch-vcs",
            {
                "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_A_B_C": "1.0",
                "SETUPTOOLS_SCM_PRETEND_VERSION": "1.0",
            },
        ),
    ],
)
def test_each_vcs_backend_gets_its_own_override(tool: str, expected: dict[str, str]) -> None:
    """The variable each VCS plugin reads instead of asking git."""
    assert override_env("A.b-c", tool, "1.0") == expected


def test_stamp_refuses_a_file_without_a_version_line(tmp_path: Path) -> None:
    """A file source whose file has no literal version: one message naming the file."""
    root = _project(
        tmp_path,
        '[project]\nname = "demo"\ndynamic = ["version"]\n[tool.hatch.version]\n'
        'path = "src/demo/about.py"\n',
        {"src/demo/__init__.py": '"""Demo."""\n', "src/demo/about.py": "X = 1\n"},
    )
    with pytest.raises(Exception, match=r'no `__version__ = "..."` line in src/demo/about.py'):
        stamp(root, load_settings(root), "1.0")


def test_a_linked_build_copy_folder_is_refused(tmp_path: Path) -> None:
    """A committed ``.nox`` link must not make the build copy delete or write outside the
    project."""
    root = _project(
        tmp_path / "p", '[project]\nname = "demo"\nversion = "1"\n', {"src/demo/__init__.py": _INIT}
    )
    outside = tmp_path / "outside"
    (outside / "noxline-build-copy").mkdir(parents=True)
    (outside / "noxline-build-copy" / "keep.txt").write_text("precious\n", encoding="utf-8")
    (root / ".nox").symlink_to(outside, target_is_directory=True)
    with pytest.raises(NoxlineError, match=r"\.nox is a symbolic link"):
        make_build_copy(load_settings(root), "2.0.0")
    assert (outside / "noxline-build-copy" / "keep.txt").read_text(encoding="utf-8") == "precious\n"
