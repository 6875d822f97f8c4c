"""Every secret leaves noxline as credentials bound to one origin, in a header or in a body.

Real servers on 127.0.0.1; a stand-in resolver gives them a name that is not a loopback name, so
plain http to them counts as "another machine". Each case asserts what the servers received:
never the secret where it does not belong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from noxline import net
from noxline.errors import PublishError
from noxline.trusted_publishing import mint_token
from noxline.webapi import WebError, request_json
from tests.fakes import FakeOIDCIndex, id_token
from tests.fakes import running as running_fake
from tests.unit._hostile_server import FakeResolver, Server, answer, redirect, running

SECRET = "s3cret-value-Zq81x"


@pytest.fixture(name="named")
def named_fixture(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    """``index.example`` resolves to 127.0.0.1 (a name, so plain http to it is no loopback)."""
    resolver = FakeResolver(names={"index.example": "127.0.0.1"})
    monkeypatch.setattr(net, "resolver", resolver)
    return resolver


@pytest.fixture(name="server")
def server_fixture() -> Iterator[Server]:
    """A server answering JSON everywhere it is asked."""
    with running() as server:
        for path in ("/api", "/elsewhere"):
            server.routes[path] = answer(b"{}", headers={"Content-Type": "application/json"})
        yield server


@pytest.fixture(name="oidc")
def oidc_fixture() -> Iterator[FakeOIDCIndex]:
    """PyPI's exchange on 127.0.0.1."""
    with running_fake(FakeOIDCIndex()) as fake:
        assert isinstance(fake, FakeOIDCIndex)
        yield fake


def test_the_id_token_never_goes_over_plain_http_to_another_machine(
    oidc: FakeOIDCIndex, named: FakeResolver
) -> None:
    """The mint-token body carries the id token: plain http to a name is refused before the
    POST (the anonymous audience GET may go), exactly as upload credentials would be."""
    del named
    token = id_token("testindex")
    port = oidc.url.rsplit(":", 1)[1]
    with pytest.raises(PublishError, match="over plain http") as caught:
        mint_token(f"http://index.example:{port}/legacy/", token)
    assert token not in str(caught.value)
    assert [(r.method, r.path) for r in oidc.requests] == [("GET", "/_/oidc/audience")]


def test_the_id_token_goes_to_a_loopback_index(oidc: FakeOIDCIndex) -> None:
    """http to 127.0.0.1 is allowed, as for upload credentials; the token is then remembered
    and masked everywhere."""
    assert mint_token(f"{oidc.url}/legacy/", id_token("testindex")) == oidc.minted
    assert net.mask(f"got {oidc.minted}") == "got ****"


@pytest.mark.parametrize(
    ("where", "build"),
    [
        ("body", lambda url: {"url": url + "/api", "body": json.dumps({"t": SECRET}).encode()}),
        ("header", lambda url: {"url": url + "/api", "headers": {"X-Token": SECRET}}),
        ("query", lambda url: {"url": f"{url}/api?state={SECRET}"}),
    ],
)
def test_a_secret_of_the_environment_is_never_sent_unbound(
    server: Server, monkeypatch: pytest.MonkeyPatch, where: str, build: object
) -> None:
    """Code that puts a secret of the environment into a URL, a header or a body without
    binding it as credentials is refused before anything is sent."""
    monkeypatch.setenv("TWINE_PASSWORD", SECRET)
    assert callable(build)
    with pytest.raises(net.NetError, match="carries a secret") as caught:
        net.request("POST", **build(server.url))
    assert SECRET not in str(caught.value) and not server.seen, where


def test_a_secret_in_a_body_follows_no_redirect_to_another_origin(server: Server) -> None:
    """A 307 re-sends the body: to another origin it is refused, and that origin sees nothing."""
    with running() as elsewhere:
        elsewhere.routes["/api"] = answer(b"{}")
        server.routes["/api"] = redirect(elsewhere.url + "/api", status=307)
        with pytest.raises(WebError, match="another origin"):
            request_json(
                "POST",
                server.url + "/api",
                service="the index",
                payload={"token": SECRET},
                secret_in_payload=SECRET,
            )
        assert not elsewhere.seen
    assert [seen.path for seen in server.seen] == ["/api"]


def test_a_body_secret_bound_elsewhere_is_refused(server: Server) -> None:
    """Credentials bound to one origin never let their body go to another."""
    credentials = net.Credentials.in_body("https://pypi.org/", SECRET)
    with pytest.raises(net.NetError, match="bound to https://pypi.org:443"):
        net.request("POST", server.url + "/api", body=SECRET.encode(), credentials=credentials)
    assert not server.seen
