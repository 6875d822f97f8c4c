"""Settings detection on the project shapes people have, its errors, and the settings reference."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from noxline.config import Settings, load_settings
from noxline.errors import ConfigError
from noxline.jobs import EXTRA_SESSIONS
from noxline.pipeline import define
from tests.helpers import REPO_ROOT, SHAPES, copy_shape

REFERENCE = REPO_ROOT / "docs" / "reference.md"


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (
            "flat_setuptools",
            {
                "name": "flatcalc",
                "base_version": "1.4.0",
                "package": "flatcalc",
                "source_dir": Path("flatcalc"),
                "test_runner": "pytest",
                "test_requirements": ("pytest>=7",),
                "version_file": Path("flatcalc/VERSION"),
                "lint_paths": ("flatcalc", "tests"),
            },
        ),
        (
            "hatch_groups",
            {
                "name": "hatchdemo-lib",
                "base_version": "0.3.0",
                "package": "hatchdemo",
                "source_dir": Path("src/hatchdemo"),
                "test_runner": "pytest",
                "test_requirements": ("pytest>=7", "ruff>=0.4"),
            },
        ),
        (
            "poetry_legacy",
            {
                "name": "poetrylegacy",
                "base_version": "2.0.1",
                "package": "poetrylegacy",
                "source_dir": Path("src/poetrylegacy"),
                "test_runner": "unittest",
                "test_requirements": ("coverage[toml]<8,>=7.0",),
                "runtime_requirements": (),
            },
        ),
        (
            "poetry_groups",
            {
                "name": "poetry-groups-demo",
                "package": "pgcore",
                "source_dir": Path("src/pgcore"),
                "test_runner": "pytest",
                "runtime_requirements": ("packaging<25,>=24.0",),
                "test_requirements": (
                    'pytest<8,>=7.0; python_full_version < "3.12"',
                    'pytest<9,>=8.0; python_full_version >= "3.12"',
                    "pytest-mock<3.13,>=3.12",
                ),
            },
        ),
        (
            "test_folder",
            {
                "package": "testfolder",
                "tests_dir": Path("test"),  # the resolver finds test/, for init and register
                "test_runner": "pytest",  # test/conftest.py
                "test_requirements": ("hypothesis>=6",),
                "coverage_fail_under": 92.5,  # the project's own [tool.coverage.report]
                "pylint_fail_under": None,  # undeclared: measured, not enforced
            },
        ),
    ],
)
def test_each_shape_is_detected(shape: str, expected: dict[str, object]) -> None:
    """Layout, metadata style, test runner and test tools come from the project's own files."""
    settings = load_settings(SHAPES / shape)
    actual = {key: getattr(settings, key) for key in expected}
    assert actual == expected
    assert settings.project_dir == (SHAPES / shape).resolve()


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (
            "no_package",
            r"^cannot find the import package of project 'two-packages' .*\(found alpha, beta\): "
            r"set package and source-dir in \[tool\.noxline\]$",
        ),
    ],
)
def test_shapes_noxline_cannot_run_get_one_message(shape: str, message: str) -> None:
    """An undetectable package stops with what to set."""
    with pytest.raises(ConfigError, match=message):
        load_settings(SHAPES / shape)


def test_package_and_source_dir_settle_an_undetectable_package(tmp_path: Path) -> None:
    """Setting both keys, as the message asks, skips detection altogether."""
    project = copy_shape(
        tmp_path, "no_package", '[tool.noxline]\npackage = "beta"\nsource-dir = "beta"\n'
    )
    settings = load_settings(project)
    assert (settings.package, settings.source_dir) == ("beta", Path("beta"))
    assert settings.version_file == Path("beta/VERSION")
    assert settings.lint_paths == ("beta", "tests")


def test_tests_dir_moves_the_default_lint_paths(tmp_path: Path) -> None:
    """lint-paths follows tests-dir unless set itself."""
    project = copy_shape(tmp_path, "test_folder", '[tool.noxline]\ntests-dir = "src"\n')
    settings = load_settings(project)
    assert settings.tests_dir == Path("src")
    assert settings.lint_paths == ("src/testfolder", "src")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[tool]\nnoxline = 3\n", r"^\[tool\.noxline\] must be a table$"),
        ("[tool.noxline]\nrelease-pattern = '['\n", r"release-pattern '\[' is not a regular expr"),
        ("[tool.noxline]\npylint-fail-under = 11\n", r"pylint-fail-under = 11.0 must be between"),
        ("[tool.noxline]\nproject-dir = '.'\n", r"unknown key 'project-dir'"),
        ("[tool.noxline]\nblocking = 'mypy'\n", r"blocking = 'mypy' is not a list of strings"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    """Each bad [tool.noxline] value is refused with the key and what it must be."""
    project = copy_shape(tmp_path, "flat_setuptools", table)
    with pytest.raises(ConfigError, match=message):
        load_settings(project)


def _settings_keys() -> list[str]:
    """Every [tool.noxline] key: the Settings fields but project_dir, spelled with dashes."""
    return [
        f.name.replace("_", "-")
        for f in dataclasses.fields(Settings)
        if f.name not in ("project_dir", "version_source", "requires_python")
    ]


@pytest.mark.parametrize("key", _settings_keys())
def test_every_settings_key_is_in_the_reference(key: str) -> None:
    """docs/reference.md has a table row for each key, so the reference cannot drift."""
    text = REFERENCE.read_text(encoding="utf-8")
    assert re.search(rf"^\| `{re.escape(key)}` \|", text, re.MULTILINE), f"{key} undocumented"


def test_every_session_is_in_the_reference() -> None:
    """docs/reference.md has a section for each job's session and each extra session."""
    text = REFERENCE.read_text(encoding="utf-8")
    sessions = [*define(load_settings(SHAPES / "flat_setuptools")).names, *EXTRA_SESSIONS]
    missing = [name for name in sessions if f"### `{name}`" not in text]
    assert not missing, f"sessions without a section in docs/reference.md: {missing}"
