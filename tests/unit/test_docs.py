"""The docs job's pure parts and the docs facts: detection, settings, definition, YAML, release link.

The builds themselves run for real in tests/e2e/test_docs.py (pdoc, MkDocs, Sphinx) and
tests/e2e/test_pvout.py (pvout's site in a browser).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from jinja2 import Environment

from noxline import gitlab
from noxline.config import load_settings, replace
from noxline.errors import ConfigError, NoxlineError
from noxline.jobs.docs import jinja_literal, problems, refuse_secrets, unresolved_references
from noxline.jobs.release import docs_link
from noxline.pipeline import define
from noxline.project import docs_tool
from tests.unit._projects import write_project

#: pdoc's output when a documented submodule does not import (pdoc 16 stops with it).
PDOC_STOPPED = """\
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/pdoc/extract.py", line 220, in load_module
    return importlib.import_module(module)
  File "/venv/lib/python3.11/site-packages/shop/plugins.py", line 3, in <module>
    import shop_extra
ModuleNotFoundError: No module named 'shop_extra'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/venv/bin/pdoc", line 10, in <module>
    sys.exit(cli())
  File "/venv/lib/python3.11/site-packages/pdoc/extract.py", line 222, in load_module
    raise RuntimeError(f"Error importing {module}") from e
RuntimeError: Error importing shop.plugins
"""

#: pdoc's warning for a submodule it lists but cannot import (it goes on without it).
PDOC_WARNED = """\
/venv/lib/python3.11/site-packages/pdoc/doc.py:484: UserWarning: Couldn't import shop.legacy:
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/pdoc/doc.py", line 481, in submodules
    module = Module.from_name(mod.name)
ImportError: cannot import name 'gone' from 'shop.core'
  warnings.warn(f"Couldn't import {mod.name}:\\n{traceback.format_exc()}")
"""

MKDOCS_LOG = """\
INFO    -  Cleaning site directory
WARNING -  Doc file 'index.md' contains a link 'missing.md', but the target is not found among \
documentation files.
ERROR   -  Config value 'theme': Unrecognised theme name: 'material'.
Aborted with 1 warnings in strict mode!
"""

SPHINX_LOG = """\
Running Sphinx v9.0.4
/p/docs/index.rst:4: WARNING: undefined label: 'nowhere' [ref.ref]
WARNING: html_static_path entry '_static' does not exist
build finished with problems, 2 warnings (with warnings treated as errors).
"""


@pytest.mark.parametrize(
    ("tool", "output", "expected"),
    [
        (
            "pdoc",
            PDOC_STOPPED,
            ["shop.plugins (ModuleNotFoundError: No module named 'shop_extra')"],
        ),
        ("pdoc", PDOC_WARNED, ["shop.legacy (ImportError: cannot import name 'gone' from"]),
        ("pdoc", "nox > pdoc shop -o site\n", []),
        (
            "mkdocs",
            MKDOCS_LOG,
            [
                "Doc file 'index.md' contains a link 'missing.md', but the target is not found",
                "Config value 'theme': Unrecognised theme name: 'material'.",
            ],
        ),
        (
            "sphinx",
            SPHINX_LOG,
            [
                "/p/docs/index.rst:4: WARNING: undefined label: 'nowhere' [ref.ref]",
                "WARNING: html_static_path entry '_static' does not exist",
            ],
        ),
        ("sphinx", "Extension error:\nCould not import extension shop.ext\n", ["Extension error:"]),
        ("mkdocs", "INFO    -  Documentation built in 0.05 seconds\n", []),
    ],
)
def test_each_problem_of_a_build_is_one_line(tool: str, output: str, expected: list[str]) -> None:
    """Every warning or error a strict build stops for is found, once, as one line; a clean
    log has none."""
    found = problems(tool, output)
    assert len(found) == len(expected), found
    for line, part in zip(found, expected):
        assert part in line and "\n" not in line
    if tool == "pdoc" and found:
        assert found[0].startswith("pdoc could not import shop.")
        assert "leading underscore" in found[0]


PAGE = """\
<section id="area"><div class="attr function"><span class="name">area</span></div>
<div class="docstring"><p>Area, see <code>shop.shapes.scaled</code> and
<code><a href="#scale">shop.shapes.scale</a></code>, <code>width</code>, <code>shop.Cart()</code>,
<code>other.module.name</code>.</p>
<pre><code>shop.not.a.reference.in_a_code_block</code></pre></div></section>
<section id="Cart"><div class="docstring"><p><code>shop.cart._private</code></p></div></section>
"""


def test_names_of_the_package_pdoc_left_unlinked_are_found_with_their_place() -> None:
    """Inline code naming the package without a link is a broken reference; linked names,
    plain words, other packages' names and code blocks are not."""
    assert unresolved_references(PAGE, "shop") == [
        ("shop.shapes.scaled", "area"),
        ("shop.Cart()", "area"),
        ("shop.cart._private", "Cart"),
    ]
    # A package inside a namespace: only its own names (shop.cart is another distribution's).
    assert unresolved_references(PAGE, "shop.shapes") == [("shop.shapes.scaled", "area")]
    assert not unresolved_references(PAGE, "cart")


@pytest.mark.parametrize(
    "text",
    ["# shop\n\nPlain.", "Templates: {% if x %}{{ y }}{% endraw %}{#c#}", "{%{%raw%}", ""],
)
def test_the_readme_reaches_the_front_page_exactly(text: str) -> None:
    """The README goes through Jinja as a literal, whatever template syntax it holds."""
    assert Environment().from_string(jinja_literal(text)).render() == text


@pytest.mark.parametrize(
    ("config", "tool"),
    [
        ("", "pdoc"),
        ("mkdocs.yml", "mkdocs"),
        ("docs/conf.py", "sphinx"),
        ("x/mkdocs.yaml", "mkdocs"),
    ],
)
def test_the_configuration_names_the_tool(config: str, tool: str) -> None:
    """mkdocs.yml builds with MkDocs, conf.py with Sphinx, none with pdoc."""
    assert docs_tool(config) == tool


def _write(root: Path, files: dict[str, str]) -> None:
    """Write ``files`` (path -> text) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


RTD = """\
version: 2
sphinx:
  configuration: documentation/conf.py
python:
  install:
    - requirements: documentation/requirements.txt
    - method: pip
      path: .
      extra_requirements: [docs]
"""


#: A billion laughs: nine aliases of nine aliases of ... as Read the Docs' installs and tools.
RTD_BOMB = (
    "a0: &a0 [x]\n"
    + "".join(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]\n" for n in range(1, 10))
    + "python: {install: *a9}\nsphinx: *a9\nmkdocs: {configuration: *a9}\n"
)


#: The tiny project's test group, which the cases below add to.
TEST_GROUP = 'test = ["pytest>=8"]\n'


@pytest.mark.parametrize(
    ("added", "files", "config", "requirements"),
    [
        ("", {}, "", ()),
        ("", {"mkdocs.yml": "site_name: x\n"}, "mkdocs.yml", ()),
        (
            'docs = ["mkdocs-material>=9", {include-group = "test"}]\n',
            {"mkdocs.yml": "site_name: x\n", "docs/conf.py": ""},
            "mkdocs.yml",
            ("mkdocs-material>=9", "pytest>=8"),
        ),
        (
            "",
            {"docs/source/conf.py": "", "docs/requirements.txt": "sphinx>=7\n# c\n-e .\n"},
            "docs/source/conf.py",
            ("sphinx>=7",),
        ),
        (
            '\n[project.optional-dependencies]\ndocs = ["furo"]\n',
            {
                ".readthedocs.yaml": RTD,
                "documentation/conf.py": "",
                "docs/conf.py": "",
                "documentation/requirements.txt": "sphinx<9\n",
            },
            "documentation/conf.py",
            ("sphinx<9", "furo"),
        ),
        ("", {".readthedocs.yml": ": not [yaml", "doc/conf.py": ""}, "doc/conf.py", ()),
        # Hostile Read the Docs files are no configuration: nested deeper than PyYAML recurses
        # (it stopped every command with "unexpected error (RecursionError)"), an alias bomb.
        ("", {".readthedocs.yaml": "python: " + "[" * 20000, "doc/conf.py": ""}, "doc/conf.py", ()),
        (
            "",
            {".readthedocs.yaml": "a: " + "{b: " * 20000 + "1" + "}" * 20000, "doc/conf.py": ""},
            "doc/conf.py",
            (),
        ),
        ("", {".readthedocs.yaml": RTD_BOMB, "doc/conf.py": ""}, "doc/conf.py", ()),
    ],
)
def test_docs_configuration_and_requirements_are_detected(
    tmp_path: Path, added: str, files: dict[str, str], config: str, requirements: tuple[str, ...]
) -> None:
    """Read the Docs' choice first, then mkdocs.yml and the usual conf.py places; requirements
    from a docs group, Read the Docs' installs, a docs extra or a docs requirements file."""
    root = write_project(tmp_path)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace(TEST_GROUP, TEST_GROUP + added, 1), encoding="utf-8")
    _write(root, files)
    settings = load_settings(root)
    assert (settings.docs_config, settings.docs_requirements) == (config, requirements)
    assert settings.docs  # tiny_lib has a docstring, and a configuration turns it on anyway


def test_without_docstrings_or_configuration_the_job_is_off_and_a_key_decides(
    tmp_path: Path,
) -> None:
    """No docs configuration and no docstring: no docs job, no Pages; docs = true turns them on,
    docs = false off."""
    root = write_project(tmp_path)
    (root / "src" / "tiny_lib" / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    settings = load_settings(root)
    assert not settings.docs
    assert {"docs", "pages"}.isdisjoint(define(settings).names)
    assert {"docs", "pages"} <= set(define(replace(settings, docs=True)).names)
    (root / "src" / "tiny_lib" / "__init__.py").write_text('"""Doc."""\n', encoding="utf-8")
    assert load_settings(root).docs
    with (root / "pyproject.toml").open("a", encoding="utf-8") as stream:
        stream.write("\n[tool.noxline]\ndocs = false\n")
    assert not load_settings(root).docs


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"README.md"', "neither a mkdocs.yml nor a Sphinx conf.py"),
        ('"docs/conf.py"', "is not a file in"),
        ('"../mkdocs.yml"', "leaves the project"),
    ],
)
def test_a_wrong_docs_config_is_one_line_naming_the_fix(
    tmp_path: Path, value: str, message: str
) -> None:
    """docs-config names an existing mkdocs.yml or conf.py inside the project."""
    root = write_project(tmp_path, f"\n[tool.noxline]\ndocs-config = {value}\n")
    (root / "README.md").write_text("x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(root)


def test_pages_from_is_release_or_default_branch(tmp_path: Path) -> None:
    """Any other value of pages-from is refused with the choices."""
    root = write_project(tmp_path, '\n[tool.noxline]\npages-from = "main"\n')
    with pytest.raises(ConfigError, match="'release', 'default-branch'"):
        load_settings(root)


@pytest.mark.parametrize("source", ["release", "default-branch"])
def test_pages_publishes_the_docs_site_by_gitlabs_rules(tmp_path: Path, source: str) -> None:
    """The docs job needs the wheel and exposes its site in merge requests; the job named pages
    publishes that folder (pages: publish:, also an artifact) from release tags, after publish,
    or from the default branch."""
    settings = replace(load_settings(write_project(tmp_path)), pages_from=source)
    data = yaml.safe_load(gitlab.render(settings))
    docs, pages = data["docs"], data["pages"]
    assert docs["needs"] == ["build"] and docs["stage"] == "test"
    assert docs["artifacts"]["expose_as"] == "documentation"
    assert docs["artifacts"]["paths"][0] == "reports/docs/site/"
    assert pages["pages"] == {"publish": "reports/docs/site"}
    assert "reports/docs/site/" in pages["artifacts"]["paths"]
    assert pages["script"][0] == "nox --no-dependencies -s pages"
    # A merge request may leave docs out (its files unchanged): the need is optional there.
    needs = [need["job"] if isinstance(need, dict) else need for need in pages["needs"]]
    if source == "release":
        assert needs == ["docs", "publish"]
        assert pages["rules"] == data["release"]["rules"]
    else:
        assert needs == ["docs"]
        assert pages["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    job = define(settings).job("docs")
    assert job.locked is False and job.report_path("index") == "reports/docs/site/index.html"


def test_the_release_links_the_docs_where_pages_serves_them(tmp_path: Path) -> None:
    """The GitLab Release links CI_PAGES_URL when the docs job is on, and nothing without it."""
    settings = load_settings(write_project(tmp_path))
    env = {"CI_PAGES_URL": "https://group.gitlab.io/shop"}
    (link,) = docs_link(settings, env)
    assert (link.name, link.url, link.link_type) == ("Documentation", env["CI_PAGES_URL"], "other")
    assert not docs_link(replace(settings, docs=False), env)
    assert not docs_link(settings, {})


@pytest.mark.parametrize(
    "hostile",
    ["x = 1" + " + 1" * 100_000 + "\n", "x = " + "-" * 100_000 + "1\n"],
    ids=["recursion", "parser-memory"],
)
def test_a_module_no_parser_reads_is_passed_over_by_docstring_detection(
    tmp_path: Path, hostile: str
) -> None:
    """A module of the package the parser gives up on (sorted first, so read first) stopped
    every command with "unexpected error (RecursionError)"; it is passed over, and the
    package's docstring still found."""
    root = write_project(tmp_path)
    (root / "src" / "tiny_lib" / "__a.py").write_text(hostile, encoding="utf-8")
    assert load_settings(root).docs
    (root / "src" / "tiny_lib" / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    assert not load_settings(root).docs


@pytest.mark.parametrize("config", ["mkdocs.yml", "docs/conf.py", "docs"])
def test_a_docs_configuration_linking_out_of_the_project_is_none(
    tmp_path: Path, config: str
) -> None:
    """A mkdocs.yml or conf.py (or the docs folder) that is a link leading out of the project was
    taken as the docs configuration, and every command stopped with "[tool.noxline] docs-config
    = 'docs/conf.py' leaves the project", a key the project never wrote: it is passed over."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "docs").mkdir(parents=True)
    for name in ("mkdocs.yml", "docs/conf.py", "conf.py"):
        (elsewhere / name).write_text("site_name: x\n", encoding="utf-8")
    root = write_project(tmp_path / "p")
    (root / config).parent.mkdir(parents=True, exist_ok=True)
    (root / config).symlink_to(elsewhere / config if config != "docs" else elsewhere)
    settings = load_settings(root)
    assert settings.docs_config == ""


#: A secret variable's value, where a built site could show it.
_TOKEN = "glpat-Abc123Def456Ghi7"
SITES = {
    "clean": ({"index.html": "<p>minilib</p>"}, None),
    "pdoc-constant": (
        {"index.html": "ok", "minilib.html": f"<code>DEPLOY = '{_TOKEN}'</code>"},
        "the value of DEPLOY_TOKEN (in minilib.html)",
    ),
    "url-encoded-in-search-index": (
        {"index.html": "ok", "search.js": f'"q": "{_TOKEN.replace("-", "%2D")}x"'},
        None,  # %2D is not how quote() encodes "-": not the secret
    ),
    "nested-page": ({"api/deep/page.html": f"...{_TOKEN}..."}, "(in api/deep/page.html)"),
    "short-value-ignored": ({"index.html": "yes"}, None),
}


@pytest.mark.parametrize(("files", "error"), SITES.values(), ids=SITES.keys())
def test_a_site_showing_a_secret_is_refused(
    tmp_path: Path, files: dict[str, str], error: str | None
) -> None:
    """A built site holding a secret variable's value fails the docs job, naming the variable
    and the page, never the value; other sites pass."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {"DEPLOY_TOKEN": _TOKEN, "CI_DEBUG_TRACE": "yes", "HOME": "/root"}
    if error is None:
        refuse_secrets(tmp_path, env)
        return
    with pytest.raises(NoxlineError, match=re.escape(error)) as raised:
        refuse_secrets(tmp_path, env)
    assert _TOKEN not in str(raised.value)
