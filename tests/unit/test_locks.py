"""PEP 751 lock files of any shape: read, or refused in one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from noxline.errors import NoxlineError
from noxline.locks import pylock_pins

HEAD = 'lock-version = "1.0"\ncreated-by = "x"\n'

PYLOCKS = {  # pylock.toml → what pylock_pins says (a dict, or words of the one-line refusal)
    "pins": (HEAD + '[[packages]]\nname = "a-b"\nversion = "1.2"\n[packages.archive]\n'
             'url = "https://h/a.whl"\nhashes = {sha256 = "00"}\n', {"a-b": "1.2"}),  # fmt: skip
    # tomllib itself gave up on it: "unexpected error (RecursionError)" before.
    "deep": ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nests tables or arrays too deeply"),
    "packages-text": (HEAD + 'packages = "x"\n', "expected Sequence"),
    "package-number": (HEAD + "packages = [1]\n", "expected Mapping"),
    "no-name": (HEAD + '[[packages]]\nversion = "1"\n', "Missing required value"),
    "not-toml": ("[[[\n", "cannot read pylock.toml"),
}


@pytest.mark.parametrize(("text", "said"), PYLOCKS.values(), ids=PYLOCKS.keys())
def test_a_pylock_is_read_or_refused_in_one_line(
    tmp_path: Path, text: str, said: str | dict[str, str]
) -> None:
    """Every shape a tree can hold: the pins, or one line naming the file and what is wrong."""
    path = tmp_path / "pylock.toml"
    path.write_text(text, encoding="utf-8")
    if isinstance(said, dict):
        assert pylock_pins(path) == said
        return
    with pytest.raises(NoxlineError, match="^cannot read pylock.toml as a PEP 751 lock file") as e:
        pylock_pins(path)
    assert said in str(e.value) and "\n" not in str(e.value)
