"""Answers from outside that are wrong in shape, size, depth or encoding: one line, nothing done.

Real servers on 127.0.0.1 answer the releases API and the token exchange with what a broken or
hostile service might send; each case asserts one error line naming the service, nothing sent
after it (no PUT to a path an answer made up), and no secret in the message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from noxline.errors import NoxlineError
from noxline.jobs.release import GitLabProject, Link, Plan, apply_release
from noxline.trusted_publishing import mint_token
from tests.fakes import id_token
from tests.unit._hostile_server import Server, answer, running

TOKEN = "job-token-Zq81x-secret"
RELEASE_PATH = "/api/v4/projects/42/releases/1.2.3"
PLAN = Plan("1.2.3", "tiny-lib 1.2.3", "notes", (Link("a.whl", "https://h.example/a.whl"),))
JSON = {"Content-Type": "application/json"}


@pytest.fixture(name="server")
def server_fixture() -> Iterator[Server]:
    """A server whose routes each test sets."""
    with running() as server:
        yield server


def _release(links: object) -> bytes:
    """A release as GitLab answers it, with ``links`` as its asset links."""
    return json.dumps(
        {"name": "tiny-lib 1.2.3", "description": "notes", "assets": {"links": links}}
    ).encode()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (_release("a.whl"), "asset links are not a list"),
        (_release([{"name": {"a": 1}, "url": "u", "id": 1}]), "asset links are not a list"),
        (_release([{"name": "a.whl", "url": "u", "id": "../../../../user"}]), "numeric id"),
        (_release([{"name": "a.whl", "url": "u", "id": True}]), "numeric id"),
        (_release([{"name": "a.whl", "url": 7, "id": 1}]), "asset links are not a list"),
        (b"[" * 70 + b"]" * 70, "nested more than 64 levels"),
        (b'{"name": "\xff"}', "not UTF-8"),
        (b"<html>maintenance</html>", "not JSON"),
    ],
    ids=["links-text", "name-table", "id-path", "id-bool", "url-number", "deep", "latin1", "html"],
)
def test_a_malformed_release_is_one_line_and_changes_nothing(
    server: Server, body: bytes, words: str
) -> None:
    """The release read back has another shape: one line naming the API; nothing is changed
    (only the one GET was sent)."""
    server.routes[RELEASE_PATH] = answer(body, headers=JSON)
    project = GitLabProject(server.url + "/api/v4", "42", TOKEN)
    with pytest.raises(NoxlineError, match=words) as caught:
        apply_release(project, PLAN, lambda line: None)
    message = str(caught.value)
    assert "\n" not in message and TOKEN not in message
    assert [(seen.method, seen.path) for seen in server.seen] == [("GET", RELEASE_PATH)]


def test_a_huge_refusal_is_shown_bounded(server: Server) -> None:
    """The API's explanation is text from outside: one line of bounded length."""
    server.routes[RELEASE_PATH] = answer(b'{"message": "nope"}', status=404, headers=JSON)
    said = json.dumps({"message": "x\n" * 200_000}).encode()
    server.routes["/api/v4/projects/42/releases"] = answer(said, status=400, headers=JSON)
    project = GitLabProject(server.url + "/api/v4", "42", TOKEN)
    with pytest.raises(NoxlineError, match="HTTP 400") as caught:
        apply_release(project, PLAN, lambda line: None)
    assert len(str(caught.value)) < 600 and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (200, {"token": "abc\r\nX-Injected: 1"}, "not one line of printable ASCII"),
        (200, {"token": "t" * 5000}, "not one line of printable ASCII"),
        (200, {"token": ["a"]}, "refused to exchange"),
        (200, ["token"], "refused to exchange"),
        (422, {"errors": [{"description": "bad\n" * 100_000}]}, "refused to exchange"),
        (422, {"errors": "text"}, "no reason given"),
    ],
    ids=["header-injection", "huge", "list", "not-object", "huge-reason", "errors-text"],
)
def test_a_malformed_exchange_answer_is_one_line(
    server: Server, status: int, body: object, words: str
) -> None:
    """The token endpoint answers a token that could not be a header, or a refusal of any
    size or shape: one bounded line, without the id token."""
    server.routes["/_/oidc/audience"] = answer(b'{"audience": "testindex"}', headers=JSON)
    server.routes["/_/oidc/mint-token"] = answer(
        json.dumps(body).encode(), status=status, headers=JSON
    )
    token = id_token("testindex")
    with pytest.raises(NoxlineError, match=words) as caught:
        mint_token(server.url + "/legacy/", token)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message and token not in message
    assert len(message) < 800
