"""Tiny projects written into tmp_path for unit tests (no network, no nox runs)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import git as run_git

PYPROJECT = """\
[project]
name = "tiny-lib"
version = "0.3.0"  # the version noxline rewrites
dependencies = ["packaging>=24"]

[dependency-groups]
test = ["pytest>=8"]

[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"
{extra}"""


def write_project(root: Path, extra: str = "", *, git: bool = False) -> Path:
    """Write a src-layout project ``tiny-lib`` (package ``tiny_lib``), ``extra`` TOML appended."""
    package = root / "src" / "tiny_lib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Tiny."""\n', encoding="utf-8")
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(extra=extra), encoding="utf-8")
    if git:
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "one"]):
            run_git(root, *args)
    return root
