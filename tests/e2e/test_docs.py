"""The docs job for real on tinydocs (tests/fixtures/tinydocs), built once, in three shapes.

One ``version build`` makes the wheel; each shape is a committed copy of that project (with its
dist/) given its docs configuration, whose ``docs`` session runs green once and then, after one
edit of the docs sources (``-R``: the venv reused, nothing reinstalled), red:

- no configuration: pdoc's API reference of the wheel, whose ``tinydocs.plugins`` needs a package
  the wheel does not declare (red, one line), and which, once that package is importable, still
  references a name that does not exist (red, one line);
- a mkdocs.yml with a docs dependency group: green, then a link to a missing page;
- a Sphinx conf.py where .readthedocs.yaml points, with its requirements file: autodoc of the
  wheel green, then an undefined ``:ref:`` label.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import clean_env, git, make_project, run_nox

#: The tests here share the one build of tinydocs.
pytestmark = pytest.mark.xdist_group("docs-builds")


@pytest.fixture(name="built", scope="module")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tinydocs, committed, with its checked dist/ (version and build run once)."""
    project = make_project(tmp_path_factory.mktemp("tinydocs"), "tinydocs")
    run_nox(project, "-s", "version", "build")
    return project


def shape(built: Path, folder: Path, files: dict[str, str], added_toml: str = "") -> Path:
    """A committed copy of the built project (dist/ and reports/ too, no venvs) with ``files``
    written and ``added_toml`` appended to its pyproject.toml."""
    project = folder / "tinydocs"
    shutil.copytree(built, project, ignore=shutil.ignore_patterns(".nox"))
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if added_toml:
        with (project / "pyproject.toml").open("a", encoding="utf-8") as stream:
            stream.write(added_toml)
    git(project, "add", "-A")
    git(project, "commit", "-q", "--allow-empty", "-m", "its docs")
    return project


def docs(project: Path, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The docs session alone, as the GitLab job runs it (``options`` before ``-s``)."""
    return run_nox(
        project, *options, "--no-dependencies", "-s", "docs", env=clean_env(**env), check=False
    )


def failure_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line the docs session failed with (exactly one), without nox's closing words
    (`` (took 2 seconds).``)."""
    lines = [line for line in result.stderr.splitlines() if "Session docs aborted:" in line]
    assert result.returncode != 0 and len(lines) == 1, result.stdout + result.stderr
    return re.sub(r"(?: \(took [^)]*\))?\.$", "", lines[0].split("Session docs aborted: ", 1)[1])


def report(project: Path, name: str) -> str:
    """A file of the docs job's reports folder."""
    return (project / "reports" / "docs" / name).read_text(encoding="utf-8")


def wheel_version(project: Path) -> str:
    """The version of the wheel in dist/."""
    (wheel,) = (project / "dist").glob("*.whl")
    return wheel.name.split("-")[1]


def test_pdoc_fails_on_a_module_that_does_not_import_and_on_a_broken_reference(
    built: Path, tmp_path: Path
) -> None:
    """Without configuration, pdoc documents the wheel: a documented module that does not import
    is one red line naming it and the cause; with the missing package importable, a name in
    backquotes that resolves to nothing is one red line naming the docstring; the rest of the
    site is there (front page from the README, version on every page)."""
    project = shape(built, tmp_path, {})
    line = failure_line(docs(project))
    assert line.startswith(
        "docs: pdoc could not import tinydocs.plugins (ModuleNotFoundError: No module named "
        "'tinydocs_missing_dependency'): every public module of the wheel must import"
    ), line
    assert line.endswith("see reports/docs/docs.log"), line
    assert "noxline: pdoc could not import tinydocs.plugins" in report(project, "docs.log")

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "tinydocs_missing_dependency.py").write_text("PLUGINS = ()\n", encoding="utf-8")
    line = failure_line(docs(project, "-R", PYTHONPATH=str(extra)))
    assert line == (
        "docs: the docstring of tinydocs.shapes.area references `tinydocs.shapes.scaled`, which "
        "names no documented public object: correct the name (pdoc links every name it finds); "
        "see reports/docs/docs.log"
    )
    site = project / "reports" / "docs" / "site"
    assert "Areas and scaling of rectangles" in (site / "index.html").read_text(encoding="utf-8")
    pages = sorted(page.relative_to(site).as_posix() for page in site.rglob("*.html"))
    assert pages == ["index.html", "tinydocs.html", "tinydocs/plugins.html", "tinydocs/shapes.html"]
    footer = f"tinydocs {wheel_version(project)}"
    assert all(footer in (site / page).read_text(encoding="utf-8") for page in pages)
    assert git(project, "status", "--porcelain") == ""


MKDOCS = {
    "mkdocs.yml": "site_name: tinydocs\nnav:\n  - Home: index.md\n  - Usage: usage.md\n",
    "docs/index.md": "# tinydocs\n\nSee [usage](usage.md).\n",
    "docs/usage.md": "# Usage\n\nCall `tinydocs.shapes.area(2, 3)`.\n",
}


def test_a_mkdocs_project_is_built_strictly_with_its_own_requirements(
    built: Path, tmp_path: Path
) -> None:
    """mkdocs.yml builds with `mkdocs build --strict`, MkDocs from the project's docs group; a
    link to a page that does not exist is one red line."""
    project = shape(built, tmp_path, MKDOCS, '\n[dependency-groups]\ndocs = ["mkdocs>=1.5,<2"]\n')
    result = docs(project)
    assert result.returncode == 0, result.stdout + result.stderr
    site = project / "reports" / "docs" / "site"
    assert 'href="usage/"' in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "usage" / "index.html").is_file()
    summary = report(project, "summary.txt").strip()
    assert summary.startswith("reports/docs/site/index.html, mkdocs 1.")
    assert summary.endswith("(project requirement mkdocs<2,>=1.5)")
    assert "mkdocs build --strict" in result.stderr
    assert git(project, "status", "--porcelain") == ""

    (project / "docs/index.md").write_text("See [the missing page](missing.md).\n", "utf-8")
    assert failure_line(docs(project, "-R")) == (
        "docs: Doc file 'index.md' contains a link 'missing.md', but the target is not found "
        "among documentation files; see reports/docs/docs.log"
    )


SPHINX = {
    ".readthedocs.yaml": (
        "version: 2\nsphinx:\n  configuration: documentation/conf.py\npython:\n  install:\n"
        "    - requirements: documentation/requirements.txt\n    - method: pip\n      path: .\n"
    ),
    "documentation/requirements.txt": "sphinx>=7.2,<10\n",
    "documentation/conf.py": (
        '"""Sphinx configuration of tinydocs."""\n\nfrom importlib import metadata\n\n'
        'project = "tinydocs"\nrelease = metadata.version("tinydocs")\n'
        'extensions = ["sphinx.ext.autodoc"]\n'
    ),
    "documentation/index.rst": (
        "tinydocs\n========\n\nAreas of rectangles, see :ref:`shapes`.\n\n.. _shapes:\n\n"
        "Shapes\n------\n\n.. autofunction:: tinydocs.shapes.area\n"
    ),
}


def test_a_sphinx_project_is_built_with_warnings_as_errors(built: Path, tmp_path: Path) -> None:
    """The conf.py .readthedocs.yaml names builds with `sphinx-build -W --keep-going`, Sphinx from
    its requirements file, autodoc reading the installed wheel; an undefined label is one red
    line; the doctrees stay out of the site and the tree."""
    project = shape(built, tmp_path, SPHINX)
    result = docs(project)
    assert result.returncode == 0, result.stdout + result.stderr
    site = project / "reports" / "docs" / "site"
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "Return the area of a" in page  # autodoc, from the wheel's docstring
    assert wheel_version(project) in page
    assert not list(site.rglob("*.doctree")) and not (site / ".doctrees").exists()
    summary = report(project, "summary.txt").strip()
    assert summary.startswith("reports/docs/site/index.html, sphinx ")
    assert summary.endswith("(project requirement sphinx<10,>=7.2)")
    assert git(project, "status", "--porcelain") == ""

    index = project / "documentation" / "index.rst"
    index.write_text(index.read_text("utf-8").replace("see :ref:`shapes`", "see :ref:`nowhere`"))
    assert failure_line(docs(project, "-R")) == (
        "docs: documentation/index.rst:4: WARNING: undefined label: 'nowhere' [ref.ref]; see "
        "reports/docs/docs.log"
    )
