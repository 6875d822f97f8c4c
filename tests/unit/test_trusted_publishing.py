"""Tokenless publishing: the id token exchange against a fake index on 127.0.0.1, and its hook.

The fake (tests/fakes.py) answers like PyPI: ``/_/oidc/audience`` names the audience, and
``/_/oidc/mint-token`` refuses an id token for another audience or an expired one with PyPI's error
shape; it also serves a PEP 691 simple index, so publish's read shows which credentials it used.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import socket
import ssl
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme
import yaml

from noxline import gitlab, net
from noxline.config import Settings, load_settings
from noxline.dist import Dist, sha256_of
from noxline.errors import ConfigError, PublishError
from noxline.index import Repository
from noxline.jobs.publish import JobIO, Report, publish_dist
from noxline.trusted_publishing import (
    check_target,
    ID_TOKEN_VARIABLE,
    check_claims,
    describe_exchange,
    exchange_base,
    mint_token,
    with_trusted_publishing,
)
from noxline.versioning import VersionDecision
from tests.fakes import FakeOIDCIndex, TrustedPublisher, id_token, recording_twine, running
from tests.helpers import REPO_ROOT, free_port
from tests.unit._dists import tiny_dist, tiny_settings
from tests.unit._publish_run import NO_TWINE
from tests.unit._projects import write_project
from tests.unit._releases import DEV, RELEASE

#: Mostly waiting on deadlines and slow servers: run first among the single tests, beside the last
#: groups' runs, not at the end (tests/e2e/conftest.py orders the run).
pytestmark = pytest.mark.waits

REFERENCE = REPO_ROOT / "docs" / "reference.md"


@pytest.fixture(name="index")
def index_fixture() -> Iterator[FakeOIDCIndex]:
    """A fake trusted-publishing index, stopped after the test."""
    with running(FakeOIDCIndex()) as fake:
        assert isinstance(fake, FakeOIDCIndex)
        yield fake


@pytest.mark.parametrize(
    ("upload_url", "base"),
    [
        ("https://upload.pypi.org/legacy/", "https://pypi.org"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org"),
        ("https://pypi.example.com:8443/upload/", "https://pypi.example.com:8443"),
    ],
)
def test_the_exchange_happens_at_the_index(upload_url: str, base: str) -> None:
    """PyPI's exchange lives on its main host; any other index answers at its own origin."""
    assert exchange_base(upload_url) == base


def test_a_valid_id_token_buys_an_upload_token(index: FakeOIDCIndex) -> None:
    """GET audience, then POST the id token; the answer's token comes back."""
    token = id_token("testindex")
    assert mint_token(f"{index.url}/legacy/", token) == index.minted
    assert [(r.method, r.path) for r in index.requests] == [
        ("GET", "/_/oidc/audience"),
        ("POST", "/_/oidc/mint-token"),
    ]
    assert index.requests[1].body == {"token": token}


@pytest.mark.parametrize(
    ("token", "words"),
    [
        (id_token("pypi"), r"audience 'pypi' but the index expects 'testindex'.*oidc-audience"),
        (id_token("testindex", expires_in=-60), r"expired at .*retry the publish job"),
        ("not-a-jwt", f"{ID_TOKEN_VARIABLE} does not hold a JSON web token"),
    ],
    # Fixed ids: the tokens hold the time, and pytest-xdist workers must collect the same ids.
    ids=["wrong-audience", "expired", "not-a-jwt"],
)
def test_a_wrong_or_expired_token_is_refused_before_it_is_sent(
    index: FakeOIDCIndex, token: str, words: str
) -> None:
    """Wrong audience, expired, garbage: one line with the fix; the token never leaves."""
    with pytest.raises(PublishError, match=words) as caught:
        mint_token(f"{index.url}/legacy/", token)
    assert token not in str(caught.value)
    assert not index.calls("POST")


HOSTILE_AUDIENCES = {
    "huge": "x" * 300_000,
    "control-characters": "evil\nnoxline: all good\x1b[2K",
    "blank": "",
    "spaces": "my index",
}


@pytest.mark.parametrize("audience", HOSTILE_AUDIENCES.values(), ids=HOSTILE_AUDIENCES.keys())
def test_an_audience_answer_that_is_no_audience_is_one_line_naming_the_index(
    audience: str,
) -> None:
    """The index's /_/oidc/audience is text from outside: one that no audience looks like
    (300 kB of it became a 600 kB error line; control characters the advice to set a value the
    settings refuse) is one bounded line naming the server; nothing is sent."""
    with running(FakeOIDCIndex(audience=audience)) as index:
        assert isinstance(index, FakeOIDCIndex)
        with pytest.raises(PublishError) as caught:
            mint_token(f"{index.url}/legacy/", id_token("pypi"))
        message = str(caught.value)
        assert message.startswith(f"{index.url}/_/oidc/audience answered ")
        assert "\n" not in message and "\x1b" not in message and len(message) < 400
        assert not index.calls("POST")


@pytest.mark.parametrize("expires", [-1e20, -(10**30), float("-inf")])
def test_an_id_token_expired_before_any_date_is_one_line(expires: float) -> None:
    """An ``exp`` no date holds (before year 1) stopped publish with "unexpected error
    (OverflowError)": it is said as the number it is."""
    now = datetime.datetime.now(datetime.timezone.utc)
    with pytest.raises(PublishError, match=r"^the job's id token expired at .*seconds since 1970"):
        check_claims({"aud": "pypi", "exp": expires}, "pypi", now)


JOB = (
    "namespace 'group', project name 'tiny-lib', top-level pipeline file path '.gitlab-ci.yml', "
    "environment name"
)


@pytest.mark.parametrize(
    ("token", "refusal", "fields"),
    [
        (lambda: id_token("pypi"), "malformed or invalid token", f"{JOB} empty"),
        (lambda: id_token("testindex", -60), "malformed or invalid token", f"{JOB} empty"),
        (
            lambda: id_token("testindex", project_path="other/tiny-lib"),
            "valid token, but no corresponding publisher",
            "namespace 'other', project name 'tiny-lib'",
        ),
        (
            lambda: id_token("testindex", pipeline_file="ci/release.yml"),
            "valid token, but no corresponding publisher",
            "top-level pipeline file path 'ci/release.yml'",
        ),
        (
            lambda: id_token("testindex", environment="staging"),
            "valid token, but no corresponding publisher",
            f"{JOB} 'staging'",
        ),
    ],
    ids=["wrong-audience", "expired", "other-project", "other-pipeline-file", "other-environment"],
)
def test_the_index_refusal_is_one_clear_line(
    index: FakeOIDCIndex, token: Callable[[], str], refusal: str, fields: str
) -> None:
    """When the local check cannot tell (the index changed its mind, or its trusted publisher
    names another project, pipeline file or environment), the index's words show, and the
    fields of PyPI's form as this job fills them, to compare."""
    index.publishers = (TrustedPublisher("group", "tiny-lib", environment="pypi"),)
    now = datetime.datetime.fromtimestamp(0, datetime.timezone.utc)  # every token still valid
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("noxline.trusted_publishing.check_claims", lambda *args: None)
        with pytest.raises(PublishError, match=rf"HTTP 422: {refusal}.*trusted publisher") as e:
            mint_token(f"{index.url}/legacy/", token(), now=now)
    assert fields in str(e.value) and "\n" not in str(e.value)
    assert index.calls("POST") and not index.trusted


def test_check_claims_accepts_a_list_of_audiences() -> None:
    """GitLab may put several audiences in ``aud``; one matching is enough."""
    now = datetime.datetime.now(datetime.timezone.utc)
    check_claims({"aud": ["a", "testindex"], "exp": now.timestamp() + 60}, "testindex", now)
    with pytest.raises(PublishError, match="audience"):
        check_claims({"aud": ["a"], "exp": now.timestamp() + 60}, "testindex", now)


def test_an_index_without_the_exchange_says_what_to_set(index: FakeOIDCIndex) -> None:
    """404 on /_/oidc/audience: trusted publishing is not offered; name the fix."""
    index.answer = lambda request: (404, {"message": "not found"})  # type: ignore[method-assign]
    with pytest.raises(PublishError, match="does not offer trusted publishing.*TWINE_USERNAME"):
        mint_token(f"{index.url}/", id_token("testindex"))


def test_an_unreachable_index_is_one_line_without_the_token() -> None:
    """Nothing listens: one line naming where, never the token."""
    token = id_token("testindex")
    with pytest.raises(PublishError, match=r"the index's OIDC API: cannot reach http://127") as e:
        mint_token(f"http://127.0.0.1:{free_port()}/", token)
    assert token not in str(e.value)


def test_without_audience_or_id_token_the_other_credentials_stay() -> None:
    """Off (no audience) or outside a job with id_tokens: the repository is unchanged."""
    repository = Repository("https://x.example/", "https://x.example/simple/", "T", "u", "p")
    lines: list[str] = []
    env = {ID_TOKEN_VARIABLE: id_token("testindex")}
    assert with_trusted_publishing(repository, env, audience="", log=lines.append) is repository
    assert with_trusted_publishing(repository, {}, audience="x", log=lines.append) is repository
    assert lines == [
        f"trusted publishing: no id token in {ID_TOKEN_VARIABLE} (not a GitLab job with "
        "id_tokens): using the other credential sources"
    ]


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> Settings:
    """tiny-lib with trusted publishing on, committed (a local release needs a clean tree)."""
    return tiny_settings(tmp_path / "tiny", oidc_audience="testindex")


def test_publish_reads_and_uploads_as_token_with_the_minted_token(
    settings: Settings, dist: Dist, index: FakeOIDCIndex
) -> None:
    """No TWINE_USERNAME/PASSWORD: publish exchanges the id token and uses __token__ + minted."""
    index.files["tiny-lib"] = {f.path.name: sha256_of(f.path) for f in dist.files}
    token = id_token("testindex")
    lines: list[str] = []
    env = {"TWINE_REPOSITORY_URL": f"{index.url}/", ID_TOKEN_VARIABLE: token}
    io = JobIO(log=lines.append, warn=lines.append, env=env, twine="/nonexistent/twine")
    report = Report(project=settings.name)
    publish_dist(settings, RELEASE, dist, report, io)
    assert report.outcome == "already-published"
    reads = [r for r in index.requests if r.path.startswith("/simple/")]
    expected = "Basic " + base64.b64encode(f"__token__:{index.minted}".encode()).decode()
    assert reads and all(r.headers.get("authorization") == expected for r in reads)
    assert any("exchanged the job's id token" in line for line in lines)
    logged = "\n".join(lines)
    assert token not in logged and index.minted not in logged


def test_a_dry_run_exchanges_nothing_and_says_what_a_release_would_do(
    settings: Settings, dist: Dist, index: FakeOIDCIndex
) -> None:
    """A development build with an id token: no request to the exchange, one line about it."""
    token = id_token("testindex")
    lines: list[str] = []
    env = {"TWINE_REPOSITORY_URL": f"{index.url}/", ID_TOKEN_VARIABLE: token}
    io = JobIO(log=lines.append, warn=lines.append, env=env, twine="/nonexistent/twine")
    publish_dist(settings, DEV, dist, Report(project=settings.name), io)
    assert not [r for r in index.requests if r.path.startswith("/_/oidc/")]
    said = [line for line in lines if "id token" in line]
    assert said == [
        f"dry run: a release would exchange the job's id token ({ID_TOKEN_VARIABLE}) at "
        f"{index.url} for a short-lived upload token"
    ]
    assert token not in "\n".join(lines)


def test_a_dry_run_without_an_id_token_names_the_fallback() -> None:
    """Outside a job with id_tokens the words say the other credentials would be used."""
    repository = Repository("https://upload.pypi.org/legacy/", "https://pypi.org/simple/", "T")
    assert describe_exchange(repository, {}) == (
        f"no id token in {ID_TOKEN_VARIABLE} (not a GitLab job with id_tokens): a release here "
        "would use the other credential sources"
    )


def documented_pypi_setup() -> tuple[str, dict[str, str]]:
    """What docs/reference.md's "Trusted publishing to PyPI, step by step" tells a user to do:
    the ``[tool.noxline]`` lines of its step 1 exactly, and the fields of PyPI's form its step 2
    names with a literal value (field name → value)."""
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("#### Trusted publishing to PyPI, step by step", 1)[1].split("\n#### ")[0]
    block = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert block, "the PyPI walk-through shows its settings in a toml block"
    fields = dict(re.findall(r"\*\*([^*]+)\*\*: `([^`]+)`", section))
    return textwrap.dedent(block.group(1)), fields


@contextmanager
def pypi_on_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: FakeOIDCIndex
) -> Iterator[tuple[FakeOIDCIndex, list[str]]]:
    """``index`` serving as https://pypi.org and https://upload.pypi.org: the fake over TLS with
    a certificate for both names from a CA the client trusts, and a resolver (``net.resolver``)
    that sends those two names, and no other, to it. Yields the fake and the names asked."""
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("pypi.org", "upload.pypi.org", "127.0.0.1").configure_cert(context)
    asked: list[str] = []
    with running(index, tls=context) as fake:
        port = int(fake.url.rsplit(":", 1)[1])

        def resolve(host: str, _port: int) -> list[net.Address]:
            """pypi.org and upload.pypi.org are the fake; nothing else exists."""
            asked.append(host)
            if host not in ("pypi.org", "upload.pypi.org"):
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))
            ]

        monkeypatch.setattr(net, "resolver", resolve)
        assert isinstance(fake, FakeOIDCIndex)
        yield fake, asked


#: What GitLab sets in the publish job of a tag pipeline for tag 1.2.3 (protected).
TAG_PIPELINE = {
    "GITLAB_CI": "true",
    "CI_PIPELINE_ID": "7",
    "CI_COMMIT_TAG": "1.2.3",
    "CI_COMMIT_REF_NAME": "1.2.3",
    "CI_COMMIT_REF_PROTECTED": "true",
}


def test_the_documented_pypi_setup_publishes_the_first_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Following docs/reference.md alone: its settings, its PyPI form, and the job GitLab runs
    from the generated YAML (its id token's audience and environment) publish to PyPI through
    PyPI's documented exchange (here a fake on pypi.org and upload.pypi.org): the id token goes
    to https://pypi.org/_/oidc/mint-token, the minted token only to https://upload.pypi.org/legacy/,
    the index is read anonymously, neither token is logged."""
    toml, form = documented_pypi_setup()
    project = write_project(tmp_path / "tiny", f"[tool.noxline]\n{toml}")
    settings = load_settings(project)
    # One setting: the upload endpoint and the index follow from the audience.
    assert (settings.repository_url, settings.index_url) == (
        "https://upload.pypi.org/legacy/",
        "https://pypi.org/simple/",
    )
    publish = yaml.safe_load(gitlab.render(settings))["publish"]
    assert publish["id_tokens"] == {ID_TOKEN_VARIABLE: {"aud": "pypi"}}
    assert publish["environment"] == {"name": "pypi", "url": "https://pypi.org/p/tiny-lib"}
    # PyPI's form as the walk-through fills it for gitlab.com/group/tiny-lib.
    assert form["Top-level pipeline file path"] == ".gitlab-ci.yml"
    publisher = TrustedPublisher(
        "group", "tiny-lib", form["Top-level pipeline file path"], settings.publish_environment
    )
    token = id_token(
        publish["id_tokens"][ID_TOKEN_VARIABLE]["aud"],
        environment=publish["environment"]["name"],
    )
    dist = tiny_dist(settings)
    pypi = FakeOIDCIndex(audience="pypi", publishers=(publisher,))
    with pypi_on_loopback(tmp_path, monkeypatch, pypi) as (index, asked):
        env = {
            **TAG_PIPELINE,
            ID_TOKEN_VARIABLE: token,
            "SSL_CERT_FILE": str(tmp_path / "ca.pem"),
            "FAKE_UPLOAD_URL": f"{index.url}/legacy/",
        }
        lines: list[str] = []
        io = JobIO(lines.append, lines.append, env, recording_twine(tmp_path), poll_interval=0.05)
        report = Report(project=settings.name)
        publish_dist(settings, RELEASE, dist, report, io)
    assert report.outcome == "uploaded", lines
    exchange = [(r.method, r.path, r.headers["host"]) for r in index.requests[:2]]
    assert exchange == [
        ("GET", "/_/oidc/audience", "pypi.org"),
        ("POST", "/_/oidc/mint-token", "pypi.org"),
    ]
    assert index.requests[1].body == {"token": token}
    assert [(c["aud"], c["environment"]) for c in index.trusted] == [("pypi", "pypi")]
    uploads = index.calls("POST")[1:]
    expected = "Basic " + base64.b64encode(f"__token__:{index.minted}".encode()).decode()
    assert {(r.body["filename"], r.headers["x-upload-target"]) for r in uploads} == {
        (item.path.name, "https://upload.pypi.org/legacy/") for item in dist.files
    }
    assert all(r.headers["authorization"] == expected for r in uploads)
    reads = [r for r in index.requests if r.path.startswith("/simple/")]
    assert reads and all(r.headers["host"] == "pypi.org" for r in reads)
    assert not any("authorization" in r.headers for r in reads)
    assert set(asked) <= {"pypi.org", "upload.pypi.org"}
    logged = "\n".join(lines) + json.dumps(report.as_data())
    assert token not in logged and index.minted not in logged


@pytest.mark.parametrize("decision", [RELEASE, DEV], ids=["release", "dry-run"])
@pytest.mark.parametrize(
    ("setting", "variables", "target"),
    [
        ('repository-url = "https://test.pypi.org/legacy/"\n', {}, "https://test.pypi.org/legacy/"),
        ("", {"TWINE_REPOSITORY_URL": "https://test.pypi.org/legacy/"}, "TWINE_REPOSITORY_URL"),
        (
            "",
            {"TWINE_REPOSITORY_URL": "https://gitlab.com/api/v4/projects/7/packages/pypi"},
            "https://gitlab.com/api/v4/projects/7/packages/pypi",
        ),
    ],
    ids=["testpypi-setting", "testpypi-variable", "gitlab-registry"],
)
def test_an_upload_target_of_another_index_is_one_line_before_any_request(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    decision: VersionDecision,
    setting: str,
    variables: dict[str, str],
    target: str,
) -> None:
    """The documented settings (audience "pypi"), but the upload goes elsewhere: one line naming
    both and the fix, before any request (release or dry run), the fake (on every host the
    target could name) recording none and no name even resolved."""
    toml, _ = documented_pypi_setup()
    project = write_project(tmp_path / "tiny", f"[tool.noxline]\n{toml}{setting}")
    settings = load_settings(project)
    dist = tiny_dist(settings)
    with pypi_on_loopback(tmp_path, monkeypatch, FakeOIDCIndex(audience="pypi")) as (index, asked):
        env = {**TAG_PIPELINE, ID_TOKEN_VARIABLE: id_token("pypi", environment="pypi"), **variables}
        lines: list[str] = []
        io = JobIO(lines.append, lines.append, env, NO_TWINE)
        with pytest.raises(PublishError) as caught:
            publish_dist(settings, decision, dist, Report(project=settings.name), io)
    message = str(caught.value)
    assert message.startswith("oidc-audience 'pypi' is upload.pypi.org's, but the upload goes to")
    assert target in message and "\n" not in message
    assert not index.requests and not asked


@pytest.mark.parametrize(
    ("audience", "upload_url", "refused"),
    [
        ("pypi", "https://upload.pypi.org/legacy/", False),
        ("pypi", "https://test.pypi.org/legacy/", True),
        ("testpypi", "https://upload.pypi.org/legacy/", True),
        ("pypi", "https://gitlab.example/api/v4/projects/7/packages/pypi", True),
        ("company-index", "https://index.example/legacy/", False),  # not one noxline knows
    ],
)
def test_an_audience_for_another_index_is_refused(
    audience: str, upload_url: str, refused: bool
) -> None:
    """The upload target must be the index the audience belongs to, for the audiences noxline
    knows; one line naming both and the fix."""
    if refused:
        with pytest.raises(PublishError, match=rf"^oidc-audience '{audience}' is .*: remove"):
            check_target(audience, upload_url, "TWINE_REPOSITORY_URL")
    else:
        check_target(audience, upload_url, "TWINE_REPOSITORY_URL")


def test_a_mismatch_is_refused_before_any_exchange(index: FakeOIDCIndex) -> None:
    """audience "pypi" while the upload goes to another index (here a trusted-publishing index
    that would answer): refused before the id token is offered anywhere; the index saw nothing."""
    repository = Repository(index.url + "/legacy/", index.url + "/simple/", "TWINE_REPOSITORY_URL")
    env = {ID_TOKEN_VARIABLE: id_token("pypi")}
    with pytest.raises(PublishError, match="^oidc-audience 'pypi' is upload.pypi.org's"):
        with_trusted_publishing(repository, env, audience="pypi", log=lambda _: None)
    assert not index.requests
    # The same target with its own audience does exchange (the check is what stopped it).
    with_trusted_publishing(repository, {ID_TOKEN_VARIABLE: id_token("testindex")},
                            audience="testindex", log=lambda _: None)  # fmt: skip
    assert index.requests


@pytest.mark.parametrize(
    ("keys", "refusal"),
    [
        ('oidc-audience = "PyPI"', "oidc-audience = 'PyPI' is not the audience .*write 'pypi'"),
        ('oidc-audience = " testpypi"', "write 'testpypi' exactly"),
        # A newline is refused first by the check every setting string passes.
        ('oidc-audience = "pypi\\n"', "oidc-audience = 'pypi\\\\n' holds control characters"),
        ('oidc-audience = "my index"', "holds characters no audience has"),
        (f'oidc-audience = "{"a" * 257}"', "holds characters no audience has \\(or more than 256"),
        (f'oidc-audience = "{"a" * 256}"', None),
        ('oidc-audience = "https://index.example"', None),
        ('publish-environment = "py:pi"', "publish-environment = 'py:pi' is not a GitLab env"),
        ('publish-environment = "pypi\\n"', "publish-environment = .* holds control characters"),
        ('publish-environment = " "', "is not a GitLab environment name"),
        ('publish-environment = "release/pypi"', None),
        # A variable in the name is expanded on GitLab's Environments page: CI_ ones only.
        ('publish-environment = "pypi-$TWINE_PASSWORD"', r"refers to \$TWINE_PASSWORD: GitLab"),
        ('publish-environment = "pypi/${DEPLOY_TOKEN}"', r"refers to \$DEPLOY_TOKEN"),
        ('publish-environment = "pypi$"', r"refers to a variable"),
        ('publish-environment = "pypi/$CI_COMMIT_REF_SLUG"', None),
        ('publish-environment = "pypi/${CI_COMMIT_TAG}"', None),
    ],
)
def test_an_audience_or_environment_the_services_would_not_match_is_refused(
    tmp_path: Path, keys: str, refusal: str | None
) -> None:
    """Written as GitLab and PyPI compare them, or refused when the settings are loaded (one
    line, the fix named): "PyPI" would get an id token PyPI refuses, and upload elsewhere."""
    project = write_project(tmp_path, f"[tool.noxline]\n{keys}\n")
    if refusal is None:
        load_settings(project)
        return
    with pytest.raises(ConfigError, match=refusal) as caught:
        load_settings(project)
    assert "\n" not in str(caught.value)
