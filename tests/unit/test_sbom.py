"""The SBOM's subject: a PEP 621 table from the wheel's METADATA, and what the tool cannot say."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from noxline.dist import Dist, DistFile
from noxline.errors import NoxlineError
from noxline.jobs.sbom import name_subject, purl, root_pyproject


@pytest.mark.parametrize(
    ("headers", "license_value"),
    [
        ("License-Expression: MIT\n", "MIT"),
        ("License: BSD 3-Clause\n", {"text": "BSD 3-Clause"}),
        ("", None),
    ],
)
def test_the_subject_is_the_wheel_as_published(headers: str, license_value: object) -> None:
    """Name, version, licence (an SPDX expression, else its text) and direct dependencies."""
    metadata = (
        "Metadata-Version: 2.4\nName: My_Lib\nVersion: 1.2.3\nSummary: A lib\n"
        f"{headers}Requires-Dist: idna>=3\nRequires-Dist: tomli; python_version < '3.11'\n"
    ).encode()
    project = tomllib.loads(root_pyproject(metadata))["project"]
    assert (project["name"], project["version"], project["description"]) == (
        "My_Lib",
        "1.2.3",
        "A lib",
    )
    assert project.get("license") == license_value
    assert project["dependencies"] == ["idna>=3", "tomli; python_version < '3.11'"]


def _dist(tmp_path: Path) -> Dist:
    """A dist of my-lib 1.2.3 (the files need not exist: only names and hashes are read)."""
    version = Version("1.2.3")
    wheel = DistFile(
        tmp_path / "my_lib-1.2.3-py3-none-any.whl", "a" * 64, "wheel", "my-lib", version
    )
    sdist = DistFile(tmp_path / "my_lib-1.2.3.tar.gz", "b" * 64, "sdist", "my-lib", version)
    return Dist(wheel, sdist)


def test_the_subject_gets_its_purl_hashes_and_a_stable_serial_number(tmp_path: Path) -> None:
    """The same files give the same document; the PURL is the normalised name's."""
    document = {"metadata": {"component": {"name": "My_Lib"}}, "components": []}
    first = name_subject(json.loads(json.dumps(document)), _dist(tmp_path))
    again = name_subject(json.loads(json.dumps(document)), _dist(tmp_path))
    assert first == again
    subject = first["metadata"]["component"]
    assert subject["purl"] == purl("My_Lib", "1.2.3") == "pkg:pypi/my-lib@1.2.3"
    assert subject["hashes"] == [{"alg": "SHA-256", "content": "a" * 64}]
    assert [ref["url"] for ref in subject["externalReferences"]] == [
        "my_lib-1.2.3-py3-none-any.whl",
        "my_lib-1.2.3.tar.gz",
    ]
    assert first["serialNumber"].startswith("urn:uuid:")


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ([{"name": "idna", "version": "3.6"}], "without a package URL: \\['idna'\\]"),
        (
            [{"name": "x", "purl": "pkg:pypi/x@1?download_url=file:///tmp/x.whl"}],
            "names a file of the build machine",
        ),
    ],
)
def test_a_component_without_purl_or_with_a_local_file_is_refused(
    tmp_path: Path, components: list[dict[str, str]], message: str
) -> None:
    """Every component has a PURL; no file: of the build machine reaches the report."""
    with pytest.raises(NoxlineError, match=message):
        name_subject({"components": components}, _dist(tmp_path))
