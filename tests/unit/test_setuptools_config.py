"""setup.cfg and setup.py read as setuptools reads them, and setup.cfg's version written back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from noxline.errors import ConfigError
from noxline.setuptools_config import (
    CfgVersion,
    as_pyproject,
    cfg_version,
    parse_module,
    read_setup_cfg,
    setup_py_metadata,
    setup_py_run_name,
    setup_py_version,
    stamp_setup_cfg,
    stamp_setup_py,
)


def _cfg(tmp_path: Path, text: str) -> Any:
    """``text`` as the project's setup.cfg, parsed."""
    (tmp_path / "setup.cfg").write_text(text, encoding="utf-8")
    return read_setup_cfg(tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[metadata]\nname = x\n", None),
        ("[metadata]\nversion = 1.2.3\n", CfgVersion("literal", "1.2.3")),
        (
            "[metadata]\nversion = attr: pkg.about.__version__\n",
            CfgVersion("attr", "pkg.about.__version__"),
        ),
        ("[metadata]\nversion = attr:pkg.VERSION\n", CfgVersion("attr", "pkg.VERSION")),
        ("[metadata]\nversion = file: VERSION, OTHER\n", CfgVersion("file", "VERSION")),
        ("[metadata]\nversion =\n    file: src/VERSION\n", CfgVersion("file", "src/VERSION")),
        ("[options]\nversion = 9\n", None),  # only [metadata] holds the version
    ],
)
def test_the_version_is_read_as_setuptools_reads_it(
    tmp_path: Path, text: str, expected: CfgVersion | None
) -> None:
    """Literal, attr: and file: versions; none outside [metadata]."""
    assert cfg_version(_cfg(tmp_path, text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[metadata]\nname = demo\nlong_description = file: README.md, CHANGES.md\n"
            "[options]\ninstall_requires = a>=1; b\npython_requires = >=3.9\n"
            "packages = demo, demo.sub\n"
            "package_dir =\n    =lib\n",
            {
                "project": {
                    "dynamic": ["version"],
                    "name": "demo",
                    "readme": "README.md",
                    "dependencies": ["a>=1", "b"],
                    "requires-python": ">=3.9",
                },
                "tool": {
                    "setuptools": {"package-dir": {"": "lib"}, "packages": ["demo", "demo.sub"]}
                },
            },
        ),
        (
            "[metadata]\nname = demo\nlong_description = Plain words.\n"
            "[options]\ninstall_requires =\n    # pinned\n    a>=1  # why\n"
            '    b; python_version < "3.12"\npackages = find:\n'
            "[options.extras_require]\ntest = pytest\ndocs =\n    sphinx\n    furo; \\\n"
            '        python_implementation != "PyPy"\n',
            {
                "project": {
                    "dynamic": ["version"],
                    "name": "demo",
                    "readme": {"text": "Plain words."},
                    "dependencies": ["a>=1", 'b; python_version < "3.12"'],
                    "optional-dependencies": {
                        "test": ["pytest"],
                        "docs": ["sphinx", 'furo; python_implementation != "PyPy"'],
                    },
                },
                "tool": {"setuptools": {"packages": {"find": {}}}},
            },
        ),
        (
            "[metadata]\nname = demo\n[options]\npackages = find_namespace:\n"
            "py_modules =\n    one\n    two\n"
            "[options.packages.find]\nwhere = lib\nexclude =\n    tests\n    docs*\n",
            {
                "project": {"dynamic": ["version"], "name": "demo"},
                "tool": {
                    "setuptools": {
                        "packages": {"find": {"where": ["lib"], "exclude": ["tests", "docs*"]}},
                        "py-modules": ["one", "two"],
                    }
                },
            },
        ),
        ("[metadata]\nversion = 1\n", {"project": {"dynamic": ["version"]}}),
    ],
    ids=["lists-and-package-dir", "dangling-lists-and-extras", "find-and-modules", "no-name"],
)
def test_setup_cfg_becomes_the_pyproject_tables_noxline_reads(
    tmp_path: Path, text: str, expected: dict[str, Any]
) -> None:
    """The keys noxline derives its defaults from, in [project]/[tool.setuptools] form."""
    assert as_pyproject(_cfg(tmp_path, text)) == expected


def test_a_setup_cfg_setuptools_cannot_read_is_one_line(tmp_path: Path) -> None:
    """Not INI: one line naming the file; no file: None."""
    assert read_setup_cfg(tmp_path) is None
    with pytest.raises(ConfigError) as caught:
        _cfg(tmp_path, "name = no section\n")
    assert "setup.cfg cannot be read" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from setuptools import setup\nsetup(name='lib', version='1')\n", {"name": "lib"}),
        ('import setuptools\nsetuptools.setup(\n    name="dotted",\n)\n', {"name": "dotted"}),
        (
            "from setuptools import setup\nNAME = 'x'\nREQUIRES = ['a>=1', 'b']\n"
            "setup(name=NAME, install_requires=REQUIRES, python_requires='>=3.9',\n"
            "      extras_require={'test': ['pytest']}, version=get_version())\n",
            {
                "name": "x",
                "dependencies": ["a>=1", "b"],
                "requires-python": ">=3.9",
                "optional-dependencies": {"test": ["pytest"]},
            },
        ),
        # Computed, bound twice, or of the wrong shape: left out.
        ("from setuptools import setup\nsetup(name=compute())\n", {}),
        ("N = 'a'\nif x:\n    N = 'b'\nN = 'c'\nsetup(name=N)\n", {}),
        ("setup(name=3, install_requires='a')\n", {}),
        ("from setuptools import setup\nsetup()\n", {}),
        ("def setup(:\n", {}),  # not Python
        ("other(name='no')\n", {}),
    ],
    ids=[
        "literal",
        "attribute-call",
        "constants",
        "computed",
        "rebound",
        "shapes",
        "shim",
        "bad",
        "other",
    ],
)
def test_setup_py_gives_only_what_it_states_literally(
    tmp_path: Path, source: str, expected: dict[str, Any]
) -> None:
    """setup()'s literal arguments (or top-level constants), read without running setup.py."""
    (tmp_path / "setup.py").write_text(source, encoding="utf-8")
    assert setup_py_metadata(tmp_path) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[metadata]\nname = a\n# keep me\nversion = 1.0\n\n[options]\nversion = 7\n",
            "[metadata]\nname = a\n# keep me\nversion = 2.0.dev3\n\n[options]\nversion = 7\n",
        ),
        (
            "[options]\nversion = 7\n[metadata]\nversion: 1.0",
            "[options]\nversion = 7\n[metadata]\nversion: 2.0.dev3",
        ),
    ],
)
def test_setup_cfg_gets_the_version_in_place(text: str, expected: str) -> None:
    """Only [metadata] version changes; comments, other sections and line ends stay."""
    assert stamp_setup_cfg(text, "2.0.dev3") == expected


def test_setup_cfg_without_a_version_line_is_refused() -> None:
    """Nothing to write into: one line, not a silently unstamped build."""
    with pytest.raises(ConfigError, match=r"no \[metadata\] version line"):
        stamp_setup_cfg("[metadata]\nname = a\n", "1.0")


@pytest.mark.parametrize(
    ("source", "version", "stamped"),
    [
        (
            "from setuptools import setup\nsetup(name='x', version='1.0',)  # ü\n",
            "1.0",
            "from setuptools import setup\nsetup(name='x', version='2.0.dev3',)  # ü\n",
        ),
        (
            '# é\nVERSION = "0.3"\n\nsetup(\n    name="x",\n    version=VERSION,\n)\n',
            "0.3",
            "# é\nVERSION = '2.0.dev3'\n\nsetup(\n    name=\"x\",\n    version=VERSION,\n)\n",
        ),
        ("setup(name='ü', version=get_version())\n", None, None),
        ("setup(name='x')\n", None, None),
    ],
    ids=["literal", "constant", "computed", "none"],
)
def test_setup_py_gets_its_literal_version_in_place(
    source: str, version: str | None, stamped: str | None
) -> None:
    """The literal (or the constant it names) is found and replaced; non-ASCII text before it on
    its line or above does not shift the place; a computed version is no literal to write."""
    found = setup_py_version(source)
    assert (found[0] if found else None) == version
    if stamped is None:
        with pytest.raises(ConfigError, match="no literal setup"):
            stamp_setup_py(source, "2.0.dev3")
    else:
        assert stamp_setup_py(source, "2.0.dev3") == stamped


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # What setuptools prints for a computed name (requests' about["__title__"]).
        ("import sys\nprint('warning: noise', file=sys.stderr)\nprint('about-lib')\n", "about-lib"),
        ("raise SystemExit(1)\n", ""),  # setup.py fails (setuptools missing, say)
        ("print('not a name!')\n", ""),
        ("", ""),
    ],
)
def test_a_computed_setup_py_name_is_asked_of_setup_py(
    tmp_path: Path, script: str, expected: str
) -> None:
    """`python setup.py --name`, bounded: its last line when it is a valid name, else nothing."""
    (tmp_path / "setup.py").write_text(script, encoding="utf-8")
    assert setup_py_run_name(tmp_path) == expected
    assert sorted(path.name for path in tmp_path.iterdir()) == ["setup.py"]  # nothing written


#: Python no parser reads: each was "unexpected error (RecursionError|MemoryError)" for every
#: command when it stood in setup.py or in a module of the package (docstring detection).
UNPARSABLE = {
    "long-sum": "x = 1" + " + 1" * 100_000 + "\n",
    "deep-attributes": "x = " + "a." * 100_000 + "b\n",
    "deep-unary": "x = " + "-" * 100_000 + "1\n",
    "deep-not": "x = " + "not " * 100_000 + "1\n",
    "deep-lambdas": "x = " + "lambda: " * 10_000 + "1\n",
    "syntax-error": "def (:\n",
    "nul-byte": "x = 1\0\n",
}


@pytest.mark.parametrize("source", UNPARSABLE.values(), ids=UNPARSABLE.keys())
def test_python_no_parser_reads_is_none_never_an_error(tmp_path: Path, source: str) -> None:
    """parse_module (every reading of the project's Python) answers None; setup.py's metadata
    and version read as absent."""
    assert parse_module(source) is None
    assert parse_module(source.encode()) is None
    assert setup_py_version(source) is None
    (tmp_path / "setup.py").write_text(source, encoding="utf-8")
    assert setup_py_metadata(tmp_path) == {}
