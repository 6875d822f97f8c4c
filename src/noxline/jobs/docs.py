"""The ``docs`` job: the project's documentation site, built strictly, in ``reports/docs/site/``.

A project with its own configuration is built with its own tool: a mkdocs.yml by ``mkdocs build
--strict``, a Sphinx conf.py by ``sphinx-build -W --keep-going`` (a warning fails the build). A
project with neither gets an API reference of the built wheel's public modules and docstrings,
made by pdoc from the wheel installed in the session's venv and run from a folder of its own, so
the source tree cannot stand in for the wheel; the wheel's description (its README, as PyPI shows
it) is the front page, the name and version are on every page. pdoc passes what a reader would
find broken, so this job checks it: a documented module that does not import, and a name of the
package in backquotes that links to nothing, each fail. Every failure is one line naming the
first problem and the fix; the tool's whole output is in ``docs.log``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path

import nox
from nox.command import CommandFailed
from packaging.metadata import parse_email

from noxline import confine
from noxline.config import Settings
from noxline.dist import Dist, wheel_metadata
from noxline.errors import NoxlineError
from noxline.masking import secret_variables_in
from noxline.jobs._support import (
    built_dist,
    choose_tool,
    install_wheel,
    read_file,
    remove_file,
    report_file,
    report_tools,
    run_to_report,
    session_tmp,
    summarize,
)
from noxline.pipeline import Job
from noxline.project import docs_tool

#: Lines of MkDocs' log that fail a strict build: ``WARNING -  Doc file 'index.md' contains ...``.
_MKDOCS_PROBLEM = re.compile(r"^(?:WARNING|ERROR)\s+-\s+(.+)$", re.MULTILINE)
#: Lines of Sphinx's log that fail a ``-W`` build: ``.../index.rst:5: WARNING: undefined label``,
#: and the errors Sphinx stops with (``Extension error:`` followed by its reason).
_SPHINX_PROBLEM = re.compile(
    r"^(.*?\b(?:WARNING|ERROR|CRITICAL|SEVERE): .+|\w[\w ]* error:\s*\n?.+)$", re.MULTILINE
)
#: pdoc's account of a module it could not import: its warning (``Couldn't import pkg.mod:``,
#: followed by the traceback) or, for a module it was asked to document, the error it stops with
#: (``RuntimeError: Error importing pkg.mod``, after the traceback of the cause).
_PDOC_IMPORT = re.compile(
    r"(?:Warning: (?:Couldn't import|Error importing|Error loading|Cannot find spec for) "
    r"|^RuntimeError: Error importing )([\w.]+)",
    re.MULTILINE,
)
#: The last line of a traceback: ``ModuleNotFoundError: No module named 'nowhere'``.
_EXCEPTION_LINE = re.compile(r"^(\w+(?:\.\w+)*(?:Error|Exception|Exit)\b.*)$", re.MULTILINE)

#: The pdoc template of the front page: the wheel's description beside the module list, the
#: name and version in the navigation (pdoc's own index page only redirects to the package).
_FRONT_PAGE = """\
{#- noxline: the front page is the wheel's description (its README), beside the modules. -#}
{% set root_module_name = false %}
{% extends "default/index.html.jinja2" %}
{% block title %}{{ footer_text }}{% endblock %}
{% block nav %}{{ super() }}{% if footer_text %}<footer>{{ footer_text }}</footer>{% endif %}\
{% endblock %}
{% block content %}
    <header class="pdoc">{% if search %}<input type="search" \
placeholder="Search API Documentation..." aria-label="search box">{% endif %}</header>
    <main class="pdoc">{% filter to_html %}{% include "noxline-readme.md.jinja2" %}\
{% endfilter %}</main>
    {% if search %}{% include "search.html.jinja2" %}{% endif %}
{% endblock %}
"""

#: Converts a reStructuredText description to the Markdown pdoc renders (pdoc's own converter).
_RST_TO_MARKDOWN = (
    "import sys, pathlib, pdoc.docstrings as d; source, target = map(pathlib.Path, sys.argv[1:]); "
    "target.write_text(d.rst(source.read_text(encoding='utf-8'), None), encoding='utf-8')"
)


def run(session: nox.Session, settings: Settings, job: Job) -> None:
    """Session body: build the site with the project's tool (or pdoc), then judge it."""
    dist = built_dist(settings)
    site = report_file(settings, job, "site")
    # No page of an earlier build survives (a link there is removed, never followed).
    confine.remove_tree(settings.project_dir, site, what="builds the docs site")
    log = report_file(settings, job, "log")
    remove_file(settings, log)
    tool = docs_tool(settings.docs_config)
    choice = choose_tool(session, settings, tool, installed_with=settings.docs_requirements)
    install_wheel(session, dist, *dict.fromkeys((*settings.docs_requirements, choice.requirement)))
    used = report_tools(session, settings, job, choice)
    if tool == "mkdocs":
        ran = _mkdocs(session, settings, log, site)
    elif tool == "sphinx":
        ran = _sphinx(session, settings, log, site)
    else:
        ran = _pdoc(session, settings, dist, log, site)
    if not ran:
        return  # --install-only
    index = report_file(settings, job, "index")
    if not confine.is_file(settings.project_dir, index):
        raise NoxlineError(
            f"docs: {tool} built no {job.report_path('index')} (see {job.report_path('log')}): "
            + (
                f"check the site's pages in {settings.docs_config}"
                if settings.docs_config
                else f"check that {settings.package} imports from the built wheel"
            )
        )
    refuse_secrets(site, os.environ)
    where = job.report_path("index")
    summarize(settings, job, f"{where}, {used}" if used else where)
    session.log(f"docs: open {index}")


def refuse_secrets(site: Path, env: Mapping[str, str]) -> None:
    """Fail when a file of the built ``site`` holds the value of a secret variable of ``env``
    (a module constant read from the environment, rendered by pdoc, an autodata, a config dump):
    the site is published (GitLab Pages, the release's link), so it is refused, not masked."""
    for path in sorted(site.rglob("*")):
        if not confine.is_file(site, path):
            continue  # a folder, or a link (never followed)
        text = confine.read_bytes(site, path).decode("utf-8", "replace")
        names = secret_variables_in(text, env)
        if names:
            page = path.relative_to(site).as_posix()
            raise NoxlineError(
                f"docs: the site would publish the value of {', '.join(names)} (in {page}): keep "
                "secrets out of what the docs render (a value read from the environment at "
                "import, shown by the docs tool); the site is refused, not masked"
            )


def _build(session: nox.Session, log: Path, *args: str, env: dict[str, str] | None = None) -> bool:
    """Run one build command into ``log``; True when it ran (passed or failed), False when
    nothing ran (``--install-only``). A failure is judged from the log by the caller."""
    try:
        return run_to_report(session, log, *args, env=env)
    except CommandFailed:
        return True


def _mkdocs(session: nox.Session, settings: Settings, log: Path, site: Path) -> bool:
    """``mkdocs build --strict`` of the project's own configuration into ``site``."""
    ran = _build(
        session,
        log,
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(settings.project_dir / settings.docs_config),
        "--site-dir",
        str(site),
    )
    _judge(settings, log, problems("mkdocs", _read(settings, log)), site, ran)
    return ran


def _sphinx(session: nox.Session, settings: Settings, log: Path, site: Path) -> bool:
    """``sphinx-build -W --keep-going`` of the project's conf.py folder into ``site`` (its
    pickled doctrees outside the site and the tree)."""
    source = (settings.project_dir / settings.docs_config).parent
    doctrees = Path(session.create_tmp()).resolve() / "sphinx-doctrees"
    ran = _build(
        session,
        log,
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-d",
        str(doctrees),
        str(source),
        str(site),
    )
    _judge(settings, log, problems("sphinx", _read(settings, log)), site, ran)
    return ran


def _pdoc(session: nox.Session, settings: Settings, dist: Dist, log: Path, site: Path) -> bool:
    """pdoc's API reference of the installed wheel, with its description as the front page."""
    # The session's own temporary folder, confined as the project is (nothing of it is a link).
    tmp = session_tmp(session)
    confine.remove_tree(tmp, "noxline-pdoc", what="prepares pdoc")
    work = confine.make_folder(tmp, "noxline-pdoc", what="prepares pdoc")
    templates, config, neutral = (
        confine.make_folder(work, name, what="prepares pdoc")
        for name in ("templates", "config", "cwd")
    )
    front_page = readme_markdown(session, dist, work)
    if front_page is not None:
        # Templates, not reports: written exactly (masking could break the page's markup).
        confine.write_text(templates, "index.html.jinja2", _FRONT_PAGE, exact=True)
        confine.write_text(
            templates, "noxline-readme.md.jinja2", jinja_literal(front_page), exact=True
        )
    else:
        session.log("docs: the wheel has no description, so the front page is the package's")
    # A folder of its own: the package is imported from the wheel, never from the tree.
    with session.chdir(neutral):
        ran = _build(
            session,
            log,
            "pdoc",
            settings.package,
            "--output-directory",
            str(site),
            "--footer-text",
            f"{settings.name} {dist.version}",
            "--template-directory",
            str(templates),
            # pdoc also reads templates from $XDG_CONFIG_HOME/pdoc: not this machine's.
            env={"XDG_CONFIG_HOME": str(config)},
        )
    found = problems("pdoc", _read(settings, log))
    if ran and site.is_dir():
        found += site_references(site, settings.package)
    _judge(settings, log, found, site, ran)
    return ran


def _read(settings: Settings, log: Path) -> str:
    """The build's output (confined, bytes that are not UTF-8 replaced), or "" when it never
    ran."""
    try:
        return read_file(settings, log)
    except FileNotFoundError:
        return ""


def _judge(settings: Settings, log: Path, found: list[str], site: Path, ran: bool) -> None:
    """Fail with the first problem in one line (how many there were, where the rest are)."""
    if not ran:
        return
    text = _read(settings, log)
    if not found and not confine.is_file(settings.project_dir, site / "index.html"):
        # The tool stopped without a line this job recognises: its last line says why.
        last = [line.strip() for line in text.splitlines() if line.strip()]
        found = last[-1:] or ["the tool printed nothing"]
    if not found:
        return
    # Paths in the project, as the reader sees them: documentation/index.rst:4.
    found = [line.replace(f"{settings.project_dir}/", "") for line in found]
    # The findings beside the tool's output (masked with the log when the job ends).
    with confine.open_write(settings.project_dir, log, "a", what="writes its reports") as stream:
        stream.writelines(f"noxline: {line}\n" for line in found)
    where = log.relative_to(settings.project_dir).as_posix()
    more = f"; {len(found)} problems in all, see {where}" if len(found) > 1 else f"; see {where}"
    raise NoxlineError(f"docs: {found[0].rstrip('.')}{more}")


def problems(tool: str, output: str) -> list[str]:
    """The problems in a docs build's output that fail it, each as one line a reader acts on."""
    if tool == "mkdocs":
        return [match.group(1).strip() for match in _MKDOCS_PROBLEM.finditer(output)]
    if tool == "sphinx":
        return [" ".join(match.group(1).split()) for match in _SPHINX_PROBLEM.finditer(output)]
    found = []
    for match in _PDOC_IMPORT.finditer(output):
        # The cause: the last exception line before this account (the traceback pdoc printed or
        # chained), else the first one after it (a warning's traceback follows it).
        before = [
            line
            for line in _EXCEPTION_LINE.findall(output[: match.start()])
            if not line.startswith("RuntimeError: Error importing")
        ]
        after = _EXCEPTION_LINE.findall(output[match.end() :])
        cause = before[-1] if match.group(0).startswith("RuntimeError") and before else ""
        cause = cause or (after[0] if after and not match.group(0).startswith("Runtime") else "")
        reason = f" ({cause.strip()})" if cause else ""
        line = (
            f"pdoc could not import {match.group(1)}{reason}: every public module of the wheel "
            "must import with the wheel's dependencies; fix it, or name it with a leading "
            "underscore to keep it private"
        )
        if line not in found:
            found.append(line)
    return found


class _References(HTMLParser):
    """Collects the names in ``<code>`` that pdoc left without a link (outside code blocks),
    each with the id of the documented object it appears in."""

    def __init__(self, package: str) -> None:
        """Look for dotted names inside ``package`` (``acme.widgets.x``, not ``acme.other``: a
        namespace's other distributions are documented elsewhere)."""
        super().__init__(convert_charrefs=True)
        self._name = re.compile(rf"{re.escape(package)}(?:\.[A-Za-z_]\w*)+(?:\(\))?")
        self._stack: list[str] = []
        self._text: list[str] = []
        self._linked = False
        self._where = ""
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track code elements, links inside them and the object being documented."""
        ident = dict(attrs).get("id")
        if ident and tag in {"section", "div"}:
            self._where = ident
        self._stack.append(tag)
        if tag == "code":
            self._text, self._linked = [], False
        elif tag == "a" and "code" in self._stack:
            self._linked = True

    def handle_endtag(self, tag: str) -> None:
        """At the end of an inline code element, keep its name when it names the package."""
        if tag not in self._stack:
            return
        while self._stack and self._stack.pop() != tag:
            pass
        if tag == "code" and "pre" not in self._stack and not self._linked:
            text = "".join(self._text).strip()
            if self._name.fullmatch(text):
                self.found.append((text, self._where))

    def handle_data(self, data: str) -> None:
        """Collect the text of the current code element."""
        if "code" in self._stack:
            self._text.append(data)


def unresolved_references(page: str, package: str) -> list[tuple[str, str]]:
    """The names of ``package`` that a pdoc page shows in backquotes without a link, as (name,
    id of the object whose documentation holds it): pdoc links every name it can resolve to a
    documented public object, so these reference nothing a reader can open."""
    parser = _References(package)
    parser.feed(page)
    parser.close()
    return parser.found


def site_references(site: Path, package: str) -> list[str]:
    """Every unresolved reference of the pdoc site in ``site``, one line each (its pages read
    confined to the site: a link leading out of it is refused, never followed)."""
    found = []
    for page in sorted(site.rglob("*.html")):
        text = confine.read_text(site, page, errors="replace")
        for name, where in unresolved_references(text, package):
            module = page.relative_to(site).with_suffix("").as_posix().replace("/", ".")
            inside = f"{module}.{where}" if where else module
            found.append(
                f"the docstring of {inside} references `{name}`, which names no documented "
                "public object: correct the name (pdoc links every name it finds)"
            )
    return found


def readme_markdown(session: nox.Session, dist: Dist, work: Path) -> str | None:
    """The wheel's description as Markdown for the front page, None when it has none.

    A Markdown description is used as it is, reStructuredText (also PyPI's reading of an untyped
    one) through pdoc's converter, plain text as a preformatted block.
    """
    raw, _ = parse_email(wheel_metadata(dist.wheel))
    description = str(raw.get("description", "")).strip()
    if not description:
        return None
    kind = str(raw.get("description_content_type", "")).split(";", 1)[0].strip().lower()
    if kind == "text/markdown":
        return description
    if kind == "text/plain":
        return "```text\n" + description.replace("```", "` ` `") + "\n```"
    # The wheel's own text, converted exactly (``work`` is the job's folder, see _pdoc).
    source = confine.write_text(work, "readme.rst", description, exact=True)
    target = confine.path_of(work, "readme.md")
    session.run("python", "-c", _RST_TO_MARKDOWN, str(source), str(target), silent=True)
    try:
        return confine.read_text(work, target, errors="replace")
    except FileNotFoundError:
        return description  # nothing ran (--install-only)


def jinja_literal(text: str) -> str:
    """``text`` as a Jinja template that renders exactly ``text``: one raw block, with every
    ``{%`` of the text (which could end it) written by an expression outside it."""
    escaped = text.replace("{%", '{% endraw %}{{ "{%" }}{% raw %}')
    return "{% raw %}" + escaped + "{% endraw %}"


__all__ = ["problems", "run", "site_references", "unresolved_references"]
