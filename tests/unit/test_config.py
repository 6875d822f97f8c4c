"""Settings detection on the project shapes people have, its errors, and the settings reference."""

from __future__ import annotations

import dataclasses
import datetime
import re
from pathlib import Path

import pytest

from noxline.config import _NOT_KEYS, AcceptedAdvisory, Settings, load_settings
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
        (
            "[tool.noxline]\nrelease-pattern = '['\n",
            r"release pattern '\[' is not a valid regular expr",
        ),
        ("[tool.noxline]\nrelease-pattern = '.*'\n", r"'\.\*' matches the empty string"),
        ("[tool.noxline]\npylint-fail-under = 11\n", r"pylint-fail-under = 11.0 must be between"),
        (
            "[tool.noxline]\nallow-unprotected-tags = true\n",
            r"allow-unprotected-tags is no longer read.*NOXLINE_ALLOW_UNPROTECTED_TAGS=true",
        ),
        ("[tool.noxline]\nproject-dir = '.'\n", r"unknown key 'project-dir'"),
        ("[tool.noxline]\nblocking = 'mypy'\n", r"blocking = 'mypy' is not a list of strings"),
        ("[tool.noxline]\ntest-shards = 0\n", r"test-shards = 0 must be between 1 and 200"),
        ("[tool.noxline]\ntest-shards = 2.5\n", r"test-shards = 2.5 is not a whole number"),
        ("[tool.noxline]\ntest-shards = true\n", r"test-shards = True is not a whole number"),
        ("[tool.noxline]\npython = ['3.12', '3.12']\n", r"python lists 3.12 twice"),
        ("[tool.noxline]\npython = ['3 12']\n", r"python '3 12' is not a Python version"),
        ("[tool.noxline]\npython = 3.12\n", r"python = 3.12 is not a list of strings"),
        # A setting string is taken whole: no control character slips through (a trailing
        # newline, an escape sequence), in a string or in a list of strings.
        ('[tool.noxline]\npython = ["3.12\\n"]\n', r"python = '3\.12\\n' holds control char"),
        ('[tool.noxline]\ncheck-python = "3.12\\n"\n', r"check-python = .* holds control"),
        ('[tool.noxline]\ntag-prefix = "v\\u001b[2J"\n', r"tag-prefix = .* holds control"),
        ('[tool.noxline]\ntest-args = ["-x", "a\\u0000"]\n', r"test-args = .* holds control"),
        ('[tool.noxline]\npublish-environment = "pypi\\n"\n', r"publish-environment = .* holds"),
        # A URL setting carrying a secret is refused like the upload URL.
        (
            "[tool.noxline]\naudit-osv-url = 'https://u:p@osv.example/v1/query'\n",
            r"^\[tool\.noxline\] audit-osv-url carries credentials inside the URL",
        ),
        (
            "[tool.noxline]\nindex-url = 'https://h.example/simple/?private_token=abc'\n",
            r"index-url carries credentials",
        ),
        ("[tool.noxline]\nrepository-url = 'file:///etc/'\n", r"repository-url = .* not an http"),
        ('[tool.noxline]\naudit-osv-url = "https://h\\n.evil/"\n', r"audit-osv-url = .* holds"),
        # Parsers disagree on a backslash (WHATWG reads it as "/"): refused.
        (
            "[tool.noxline]\nrepository-url = 'https://evil.example\\.good.example/'\n",
            r"repository-url = .* not an http",
        ),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    """Each bad [tool.noxline] value is refused with the key and what it must be."""
    project = copy_shape(tmp_path, "flat_setuptools", table)
    with pytest.raises(ConfigError, match=message):
        load_settings(project)


@pytest.mark.parametrize(
    ("table", "python", "job_python", "fans_out"),
    [
        ("", (), "", False),
        ("python = '3.12'", ("3.12",), "3.12", False),
        ("python = ''", (), "", False),
        ("python = ['3.11', '3.12']", ("3.11", "3.12"), "3.11", True),
        ("python = ['3.11', '3.12']\ncheck-python = '3.12'", ("3.11", "3.12"), "3.12", True),
        ("test-shards = 2", (), "", True),
    ],
)
def test_python_is_one_version_or_a_matrix(
    tmp_path: Path, table: str, python: tuple[str, ...], job_python: str, fans_out: bool
) -> None:
    """A string stays one version; a list fans tests out; check-python picks the other jobs'."""
    project = copy_shape(tmp_path, "flat_setuptools", f"[tool.noxline]\n{table}\n")
    settings = load_settings(project)
    assert (settings.python, settings.job_python, settings.fans_out) == (
        python,
        job_python,
        fans_out,
    )


def _settings_keys() -> list[str]:
    """Every [tool.noxline] key: the Settings fields but project_dir, spelled with dashes."""
    return [
        f.name.replace("_", "-") for f in dataclasses.fields(Settings) if f.name not in _NOT_KEYS
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


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            '[[tool.noxline.accepted-advisories]]\nid = "GHSA-1"\nreason = "unused path"\n'
            "expires = 2027-01-31\n",
            (AcceptedAdvisory("GHSA-1", "unused path", datetime.date(2027, 1, 31)),),
        ),
        (
            'accepted-advisories = [{id = "CVE-1", reason = "r", expires = "2027-02-01"}]\n',
            (AcceptedAdvisory("CVE-1", "r", datetime.date(2027, 2, 1)),),
        ),
    ],
)
def test_accepted_advisories_are_read(tmp_path: Path, toml: str, expected: object) -> None:
    """A TOML date or an ISO date string; id and reason kept."""
    if not toml.startswith("[["):
        toml = "[tool.noxline]\n" + toml
    project = copy_shape(tmp_path, "flat_setuptools", toml)
    assert load_settings(project).accepted_advisories == expected


@pytest.mark.parametrize(
    "entry",
    [
        '{id = "GHSA-1", reason = "r"}',  # no expiry
        '{id = "GHSA-1", expires = 2027-01-31}',  # no reason
        '{id = "", reason = "r", expires = 2027-01-31}',
        '{id = "GHSA-1", reason = "r", expires = "soon"}',
        '{id = "GHSA-1", reason = "r", expires = 2027-01-31T10:00:00}',
        '{id = "GHSA-1", reason = "r", expires = 2027-01-31, by = "me"}',
    ],
)
def test_an_incomplete_acceptance_is_refused(tmp_path: Path, entry: str) -> None:
    """Each acceptance needs an id, a reason and an expiry date: one line says so."""
    project = copy_shape(
        tmp_path, "flat_setuptools", f"[tool.noxline]\naccepted-advisories = [{entry}]\n"
    )
    with pytest.raises(
        ConfigError, match=r"accepted-advisories holds .*needs exactly an id, a reason"
    ):
        load_settings(project)


def test_audit_may_block_but_other_jobs_may_not(tmp_path: Path) -> None:
    """blocking = ["audit"] is accepted; a job that is no check names the choices."""
    project = copy_shape(tmp_path, "flat_setuptools", '[tool.noxline]\nblocking = ["audit"]\n')
    assert define(load_settings(project)).job("audit").allow_failure is False
    other = copy_shape(tmp_path / "o", "flat_setuptools", '[tool.noxline]\nblocking = ["sbom"]\n')
    with pytest.raises(ConfigError, match="choose from pylint, black, mypy, docstr, ruff, audit"):
        define(load_settings(other))


# --- path settings are confined to the project --------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('dist-dir = ".."', r"dist-dir = '\.\.' leaves the project"),
        ('dist-dir = "."', r"dist-dir = '\.' is the project folder itself"),
        ('dist-dir = "/tmp/noxline-dist"', r"dist-dir = '/tmp/noxline-dist' leaves the project"),
        ('dist-dir = "dist/../.."', "leaves the project"),
        ('dist-dir = "build/.."', "is the project folder itself"),
        ('dist-dir = ".git"', "points into .git"),
        ('dist-dir = "flatcalc"', "dist-dir = 'flatcalc' would hold source-dir"),
        ('dist-dir = "tests"', "dist-dir = 'tests' would hold tests-dir"),
        ('dist-dir = "reports"', "dist-dir = 'reports' would hold reports-dir"),
        ('reports-dir = ".."', "reports-dir = '..' leaves the project"),
        ('reports-dir = "flatcalc"', "reports-dir = 'flatcalc' would hold source-dir"),
        ('reports-dir = "dist"\ndist-dir = "dist/d"', "reports-dir = 'dist' would hold dist-dir"),
        ('version-file = "../x"', "version-file = '../x' leaves the project"),
        ('version-file = "/etc/passwd"', "leaves the project"),
        ('version-file = "pyproject.toml"', "would overwrite the project file"),
        ('version-file = ".git/config"', "points into .git"),
        ('version-file = "dist/VERSION"', "dist-dir = 'dist' would hold version-file"),
        ('tests-dir = "/"', "tests-dir = '/' leaves the project"),
        ('source-dir = "../other"\npackage = "demo"', "source-dir = '../other' leaves"),
        ('lint-paths = ["src", "../../etc"]', "lint-paths = '../../etc' leaves the project"),
    ],
)
def test_path_settings_are_confined(tmp_path: Path, table: str, message: str) -> None:
    """Every path setting stays inside the project; noxline's folders hold nothing else."""
    project = copy_shape(tmp_path, "flat_setuptools", f"[tool.noxline]\n{table}\n")
    (project / ".git").mkdir(exist_ok=True)
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(project)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("key", ["dist-dir", "reports-dir", "version-file", "tests-dir"])
def test_symlink_escapes_are_refused(tmp_path: Path, key: str) -> None:
    """A path inside the project that is a symbolic link to outside it is refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    project = copy_shape(tmp_path, "flat_setuptools", f'[tool.noxline]\n{key} = "escape"\n')
    (project / "escape").symlink_to(outside)
    with pytest.raises(ConfigError, match=f"{key} = 'escape' leaves the project"):
        load_settings(project)


# --- attacks that once got through (found by trying other inputs of the same classes) -----------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('dist-dir = "a\\u0000b"', r"dist-dir = 'a\\x00b' holds control characters"),
        ('version-file = "V\\nERSION"', "version-file = 'V\\\\nERSION' holds control characters"),
        ('reports-dir = "\\u0000"', "reports-dir = .* holds control characters"),
        (f'dist-dir = "{"x" * 5000}"', "dist-dir = .* cannot be resolved"),
        ('changelog = "/etc/passwd"', "changelog = '/etc/passwd' leaves the project"),
        ('changelog = "../../../etc/hostname"', "changelog = .* leaves the project"),
        ('test-durations = "/etc/passwd"', "test-durations = '/etc/passwd' leaves the project"),
        ('changelog = ".git/config"', "changelog = '.git/config' points into .git"),
        ('dist-dir = "README.md"', "dist-dir = 'README.md' is a file, not a folder"),
        ('reports-dir = "flatcalc/__init__.py"', "reports-dir = .* is a file, not a folder"),
        ('version-file = "flatcalc"', "version-file = 'flatcalc' holds a folder"),
        ('version-file = "./README.md"', "version-file = 'README.md' holds .*not a version"),
        ('version-file = "flatcalc/__init__.py"', "holds .*not a version"),
    ],
)
def test_more_path_settings_are_confined(tmp_path: Path, table: str, message: str) -> None:
    """NUL bytes, names too long, read-only paths (changelog, test-durations) and files that are
    no folder or hold no version: each refused at settings load, naming the key, on one line."""
    project = copy_shape(tmp_path, "flat_setuptools", f"[tool.noxline]\n{table}\n")
    (project / ".git").mkdir(exist_ok=True)
    (project / "README.md").write_text("# flatcalc\n\nDocs that must survive.\n", "utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(project)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("held", ["", "1.2.3\n", "0.1.dev4\n", "2!1.0rc1"])
def test_a_version_file_holding_a_version_is_accepted(tmp_path: Path, held: str) -> None:
    """The file the version job wrote last time (or an empty one) is its to overwrite."""
    project = copy_shape(tmp_path, "flat_setuptools", '[tool.noxline]\nversion-file = "VERSION"\n')
    (project / "VERSION").write_text(held, "utf-8")
    assert load_settings(project).version_file == Path("VERSION")


def test_a_version_file_symlinked_to_a_source_file_is_refused(tmp_path: Path) -> None:
    """Another spelling of a file that is no version file: a link to it is refused too."""
    project = copy_shape(tmp_path, "flat_setuptools", '[tool.noxline]\nversion-file = "V"\n')
    (project / "README.md").write_text("# flatcalc\n", "utf-8")
    (project / "V").symlink_to(project / "README.md")
    with pytest.raises(ConfigError, match="not a version"):
        load_settings(project)
