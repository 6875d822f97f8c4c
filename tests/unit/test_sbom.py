"""The SBOM's subject: a PEP 621 table from the wheel's METADATA, and what the tool cannot say."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from noxline.dist import Dist, DistFile
from noxline.errors import NoxlineError
from noxline.jobs.sbom import name_subject, purl, root_pyproject
from tests.helpers import cyclonedx_errors


MIT_CLASSIFIER = "License :: OSI Approved :: MIT License"


def _metadata(headers: str) -> bytes:
    """METADATA of My_Lib 1.2.3 with ``headers`` and two requirements."""
    return (
        "Metadata-Version: 2.4\nName: My_Lib\nVersion: 1.2.3\nSummary: A lib\n"
        f"{headers}Requires-Dist: idna>=3\nRequires-Dist: tomli; python_version < '3.11'\n"
    ).encode()


@pytest.mark.parametrize(
    ("headers", "license_value", "classifiers"),
    [
        ("License-Expression: MIT\n", "MIT", None),
        ("License: BSD 3-Clause\n", {"text": "BSD 3-Clause"}, None),
        (
            f"Classifier: Programming Language :: Python\nClassifier: {MIT_CLASSIFIER}\n",
            None,
            [MIT_CLASSIFIER],
        ),
        ("", None, None),
    ],
    ids=["expression", "text", "classifier", "none"],
)
def test_the_subject_is_the_wheel_as_published(
    headers: str, license_value: object, classifiers: object
) -> None:
    """Name, version, licence (an SPDX expression, else its text and the licence classifiers,
    where the tool reads them) and direct dependencies."""
    project = tomllib.loads(root_pyproject(_metadata(headers)))["project"]
    assert (project["name"], project["version"], project["description"]) == (
        "My_Lib",
        "1.2.3",
        "A lib",
    )
    assert project.get("license") == license_value
    assert project.get("classifiers") == classifiers
    assert project["dependencies"] == ["idna>=3", "tomli; python_version < '3.11'"]


def test_the_project_urls_become_the_subject_references() -> None:
    """Project-URL and Home-page reach the tool as ``urls`` (it makes them references)."""
    headers = "Home-page: https://lib.example\nProject-URL: Source, https://git.example/lib\n"
    project = tomllib.loads(root_pyproject(_metadata(headers)))["project"]
    assert project["urls"] == {
        "Source": "https://git.example/lib",
        "Homepage": "https://lib.example",
    }


@pytest.mark.parametrize(
    ("headers", "tool_licences", "expected"),
    [
        # The tool named it: kept as it is.
        ("License-Expression: MIT\n", [{"license": {"id": "MIT"}}], [{"license": {"id": "MIT"}}]),
        # A licence text the tool drops: the subject keeps its words.
        (
            "License: BSD 3-Clause\n",
            None,
            [
                {
                    "license": {
                        "acknowledgement": "declared",
                        "name": "declared license of 'My_Lib'",
                        "text": {"content": "BSD 3-Clause", "contentType": "text/plain"},
                    }
                }
            ],
        ),
        ("", None, None),
    ],
    ids=["named-by-the-tool", "text-only", "none"],
)
def test_the_subject_always_carries_its_declared_licence(
    tmp_path: Path, headers: str, tool_licences: object, expected: object
) -> None:
    """Whatever form the wheel declares its licence in, the subject names it, in a valid
    CycloneDX document."""
    document = json.loads(json.dumps(TOOL_DOCUMENT))
    if tool_licences is not None:
        document["metadata"]["component"]["licenses"] = tool_licences
    named = name_subject(document, _dist(tmp_path), metadata=_metadata(headers))
    assert named["metadata"]["component"].get("licenses") == expected
    assert cyclonedx_errors(json.dumps(named)) is None


def _dist(tmp_path: Path) -> Dist:
    """A dist of my-lib 1.2.3 (the files need not exist: only names and hashes are read)."""
    version = Version("1.2.3")
    wheel = DistFile(
        tmp_path / "my_lib-1.2.3-py3-none-any.whl", "a" * 64, "wheel", "my-lib", version
    )
    sdist = DistFile(tmp_path / "my_lib-1.2.3.tar.gz", "b" * 64, "sdist", "my-lib", version)
    return Dist(wheel, sdist)


#: What cyclonedx-py 7 writes for My_Lib with one dependency (--short-PURLs, reproducible).
TOOL_DOCUMENT = {
    "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "metadata": {
        "timestamp": "2026-12-01T00:00:00+00:00",
        "component": {
            "bom-ref": "root-component",
            "name": "My_Lib",
            "type": "library",
            "version": "1.2.3",
            "externalReferences": [
                {
                    "comment": "from pyproject urls: Source",
                    "type": "vcs",
                    "url": "https://g.example",
                }
            ],
        },
    },
    "components": [
        {
            "bom-ref": "idna==3.6",
            "name": "idna",
            "purl": "pkg:pypi/idna@3.6",
            "type": "library",
            "version": "3.6",
        }
    ],
    "dependencies": [{"dependsOn": ["idna==3.6"], "ref": "root-component"}, {"ref": "idna==3.6"}],
}


def test_the_subject_gets_its_purl_hashes_and_a_stable_serial_number(tmp_path: Path) -> None:
    """The same files give the same document, valid CycloneDX 1.6; the PURL is the normalised
    name's; the published files are the subject's distributions, its own references kept."""
    first = name_subject(json.loads(json.dumps(TOOL_DOCUMENT)), _dist(tmp_path))
    again = name_subject(json.loads(json.dumps(TOOL_DOCUMENT)), _dist(tmp_path))
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert cyclonedx_errors(json.dumps(first)) is None
    subject = first["metadata"]["component"]
    assert subject["purl"] == purl("My_Lib", "1.2.3") == "pkg:pypi/my-lib@1.2.3"
    assert subject["hashes"] == [{"alg": "SHA-256", "content": "a" * 64}]
    assert [(ref["type"], ref["url"]) for ref in subject["externalReferences"]] == [
        ("distribution", "my_lib-1.2.3-py3-none-any.whl"),
        ("distribution", "my_lib-1.2.3.tar.gz"),
        ("vcs", "https://g.example"),
    ]
    assert [ref["hashes"] for ref in subject["externalReferences"][:2]] == [
        [{"alg": "SHA-256", "content": "a" * 64}],
        [{"alg": "SHA-256", "content": "b" * 64}],
    ]
    assert first["serialNumber"].startswith("urn:uuid:")
    other = Dist(_dist(tmp_path).wheel, dataclasses.replace(_dist(tmp_path).sdist, sha256="c" * 64))
    assert name_subject(json.loads(json.dumps(TOOL_DOCUMENT)), other)["serialNumber"] != (
        first["serialNumber"]
    )


MACHINE = "/builds/group/my-lib"


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ([{"name": "idna", "version": "3.6"}], "without a package URL: \\['idna'\\]"),
        (
            [{"name": "x", "purl": "pkg:pypi/x@1?download_url=file:///tmp/x.whl"}],
            "names a file of the build machine \\(file:\\)",
        ),
        (
            [
                {
                    "name": "x",
                    "purl": "pkg:pypi/x@1",
                    "properties": [{"name": "p", "value": f"{MACHINE}/.nox/sbom/tmp/x"}],
                }
            ],
            f"names a file of the build machine \\({MACHINE}\\)",
        ),
        (
            [{"name": "x", "purl": "pkg:pypi/x@1", "description": f"built in {MACHINE}-venv/lib"}],
            f"names a file of the build machine \\({MACHINE}-venv\\)",
        ),
    ],
    ids=["no-purl", "file-url", "project-path", "venv-path"],
)
def test_a_component_without_purl_or_with_a_local_path_is_refused(
    tmp_path: Path, components: list[dict[str, str]], message: str
) -> None:
    """Every component has a PURL; no file: and no folder of the build machine reaches the
    report, wherever in the document it stands."""
    with pytest.raises(NoxlineError, match=message):
        name_subject(
            {"components": components},
            _dist(tmp_path),
            machine_paths=(f"{MACHINE}-venv", MACHINE),
        )
