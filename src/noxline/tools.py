"""Which version of each tool a job runs: the project's own, else noxline's tested default.

The order, for every tool: the version the project's lock pins (the constraints the session
installs within name it: the job installs the bare name), else an exact pin the project declares
(``black==23.12.1`` in a dependency group, an extra, a requirements file or tox deps), else
noxline's default, a bounded range tested with this release, so that a new major release of a tool
cannot turn a project red overnight. A project's pin and noxline's range never meet in one install.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

#: noxline's defaults: a range per tool, each tested with this release of noxline.
DEFAULTS = {
    "black": ">=24.1,<26",
    "ruff": ">=0.6,<1",
    "pylint": ">=3.0,<4",
    "mypy": ">=1.8,<2",
    "coverage": ">=7.4,<8",
    "pytest": ">=7,<9.2",
    "unittest-xml-reporting": ">=3.2,<4",
    "docstr-coverage": ">=2.3,<3",
    "pip-audit": ">=2.10,<3",
    # The docs job's tools: pdoc for a project without docs configuration, else its own.
    "pdoc": ">=15,<17",
    "mkdocs": ">=1.5,<2",
    "sphinx": ">=7.2,<10",
}


#: The docs job's tools: one of them builds a project's docs (:func:`noxline.project.docs_tool`).
DOCS_TOOLS = ("pdoc", "mkdocs", "sphinx")


@dataclass(frozen=True)
class ToolChoice:
    """What a job installs for one tool, and where that version came from."""

    #: The distribution, as noxline names it (``black``).
    name: str
    #: The requirement installed: the bare name (the lock's constraint pins it), an exact pin, or
    #: noxline's range; with ``extras`` (``coverage[toml]``).
    requirement: str
    #: Where the version comes from: the lock file's name, ``project pin``, ``noxline default``.
    source: str


def choose(
    name: str,
    *,
    lock_file: str,
    locked: Mapping[str, str],
    pins: Mapping[str, str],
    extras: str = "",
    installed_with: Iterable[str] = (),
) -> ToolChoice:
    """The requirement for tool ``name`` under the project's lock pins ``locked`` (canonical name
    -> version, from ``lock_file``) and its own exact ``pins``; ``installed_with`` are the
    project's requirements the same install holds (its test tools): one naming the tool decides
    its version, and noxline's range stays out of that install."""
    key = canonicalize_name(name)
    base = f"{name}[{extras}]" if extras else name
    if key in locked:
        return ToolChoice(name, base, lock_file)
    if key in pins:
        return ToolChoice(name, f"{base}=={pins[key]}", "project pin")
    for text in installed_with:
        with contextlib.suppress(InvalidRequirement):
            if canonicalize_name(Requirement(text).name) == key:
                return ToolChoice(name, base, f"project requirement {text}")
    return ToolChoice(name, f"{base}{DEFAULTS[name]}", "noxline default")


def described(choice: ToolChoice, version: str) -> str:
    """A tool's version and its origin, as job summaries show it: ``black 23.12.1 (uv.lock)``."""
    return f"{choice.name} {version} ({choice.source})"
