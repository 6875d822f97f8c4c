"""Tiny projects written into tmp_path for unit tests (no network, no nox runs)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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

_GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "T",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "T",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def write_project(root: Path, extra: str = "", *, git: bool = False) -> Path:
    """Write a src-layout project ``tiny-lib`` (package ``tiny_lib``), ``extra`` TOML appended."""
    package = root / "src" / "tiny_lib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Tiny."""\n', encoding="utf-8")
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(extra=extra), encoding="utf-8")
    if git:
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "one"]):
            subprocess.run(
                ["git", *args], cwd=root, env=os.environ | _GIT_ENV, check=True, capture_output=True
            )
    return root
