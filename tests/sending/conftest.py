"""Fixtures for sending: real aiosmtpd servers on loopback as the relay and as remote MX hosts,
and a jmapd that sends to them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from jmapd.config import OutboxConfig
from jmapd.testing import LiveServer, SmtpSink

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUBMISSION = "urn:ietf:params:jmap:submission"
VACATION = "urn:ietf:params:jmap:vacationresponse"
USING = [CORE, MAIL, SUBMISSION]


Sink = SmtpSink


def wait_for(probe: Callable[[], Any], timeout: float = 15.0, what: str = "a condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def sink():
    s = Sink().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def sending_server(sink):
    with LiveServer(relay=f"127.0.0.1:{sink.port}", outbox=OutboxConfig(retry_after=1)) as server:
        yield server


@pytest.fixture
def sender(sending_server, client_type, request):
    """A user of the sending server, as a JMAP client with the submission capability."""
    name = f"s{abs(hash(request.node.nodeid)) % 10**8}"
    sending_server.add_user(name, "pw-" + name, f"{name}@example.test")
    c = client_type(sending_server.url, name, "pw-" + name)
    yield c
    c.close()


def jmap(client, method: str, args: dict[str, Any]) -> tuple[str, dict[str, Any], list]:
    """One call with the submission capability; returns (name, arguments, every response)."""
    args = {"accountId": client.account_id, **args}
    responses = client.request([[method, args, "c0"]], using=USING)["methodResponses"]
    return responses[0][0], responses[0][1], responses


def create_draft(client, *, to: list[str], bcc: list[str] | None = None, from_: str | None = None,
                 subject: str = "hello", body: str = "Hi there.\n", **extra: Any) -> str:
    boxes = client.mailboxes()
    email = {"mailboxIds": {boxes["drafts"]["id"]: True}, "keywords": {"$draft": True, "$seen": True},
             "from": [{"email": from_ or f"{client.username}@example.test"}],
             "to": [{"email": a} for a in to], "subject": subject,
             "bodyValues": {"b": {"value": body}}, "textBody": [{"partId": "b", "type": "text/plain"}], **extra}
    if bcc:
        email["bcc"] = [{"email": a} for a in bcc]
    _, result, _ = jmap(client, "Email/set", {"create": {"d": email}})
    assert "d" in (result.get("created") or {}), result
    return result["created"]["d"]["id"]


def identity_id(client) -> str:
    _, result, _ = jmap(client, "Identity/get", {"ids": None})
    return result["list"][0]["id"]


def submit(client, email_id: str, **extra: Any) -> dict[str, Any]:
    _, result, responses = jmap(client, "EmailSubmission/set", {
        "create": {"s": {"identityId": identity_id(client), "emailId": email_id, **extra}}})
    return result


def submission(client, submission_id: str) -> dict[str, Any]:
    _, result, _ = jmap(client, "EmailSubmission/get", {"ids": [submission_id]})
    return result["list"][0]


class Kit:
    """The helpers above, for test modules (which cannot import this conftest)."""

    jmap = staticmethod(jmap)
    create_draft = staticmethod(create_draft)
    identity_id = staticmethod(identity_id)
    submit = staticmethod(submit)
    submission = staticmethod(submission)
    wait_for = staticmethod(wait_for)
    Sink = Sink


@pytest.fixture(scope="session")
def kit() -> type[Kit]:
    return Kit
