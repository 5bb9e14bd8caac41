"""Sending the draft's way, through the Outbox (draft-jenkins-jmapmail-00 §5.3.3, §5.3.4, §5.4),
end to end: a jmapd with an aiosmtpd relay on loopback, driven over the draft endpoint."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from jmapd.config import OutboxConfig
from jmapd.testing import LiveServer, SmtpSink

from .conftest import DRAFT, DraftClient, message

SUBMISSION = "urn:ietf:params:jmap:submission"


@pytest.fixture(scope="module")
def relay():
    with SmtpSink() as r:
        yield r


@pytest.fixture(scope="module")
def sending(relay):
    with LiveServer(relay=f"127.0.0.1:{relay.port}", outbox=OutboxConfig(retry_after=1)) as server:
        yield server


@pytest.fixture
def sender(sending, client_type, request):
    name = f"o{abs(hash(request.node.nodeid)) % 10**8}"
    sending.add_user(name, "pw", f"{name}@example.test")
    rfc = client_type(sending.url, name, "pw")
    yield DraftClient(rfc)
    rfc.close()


def outgoing(draft: DraftClient, subject: str, mailbox: str, **extra) -> dict:
    return {"mailboxIds": [mailbox], "from": [{"name": "Me", "email": f"{draft.rfc.username}@example.test"}],
            "to": [{"name": "Bob", "email": "bob@remote.example"}], "subject": subject,
            "textBody": f"{subject}, in full.", **extra}


def in_mailbox(draft: DraftClient, mailbox: str) -> list[dict]:
    listed = draft.send([["getMessageList", {"filter": {"inMailboxes": [mailbox]}, "fetchMessages": True,
                                             "fetchMessageProperties": ["subject", "isDraft", "isUnread"]}, "l"]])
    return listed[1][1]["list"]


def wait_until(probe, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_can_delay_send_is_advertised(sender):
    """draft §1.3 canDelaySend: true on a server that sends."""
    assert sender.rfc.session["capabilities"][DRAFT]["canDelaySend"] is True


def test_send_by_creating_in_the_outbox(sender, relay):
    """draft §5.3.3: a message created in the Outbox is sent; once sent it is deleted from the Outbox
    and a new copy (a new id) is in Sent, and the message it replies to is answered; RFC 8621
    clients see the EmailSubmission."""
    roles = sender.roles()
    parent = sender.deliver(message("Question", msgid="question@remote.example"), roles["inbox"])
    result = sender.ok("setMessages", "messagesSet", {"create": {"m": outgoing(
        sender, "Sent at once", roles["outbox"], inReplyToMessageId=parent)}})
    made = result["created"]["m"]["id"]
    sent = relay.wait_for_subject("Sent at once")
    mail_from, rcpt_tos = sent.mail_from, sent.rcpt_tos
    assert mail_from == f"{sender.rfc.username}@example.test" and rcpt_tos == ["bob@remote.example"]
    sent = wait_until(lambda: in_mailbox(sender, roles["sent"]))
    assert [m["subject"] for m in sent] == ["Sent at once"] and sent[0]["id"] != made
    assert sent[0]["isDraft"] is False and sent[0]["isUnread"] is False
    assert in_mailbox(sender, roles["outbox"]) == []
    assert sender.ok("getMessages", "messages", {"ids": [made]})["notFound"] == [made]
    # "If inReplyToMessageId was set, the server SHOULD mark this message as isAnswered: true".
    assert sender.ok("getMessages", "messages", {"ids": [parent], "properties": ["isAnswered"]}
                     )["list"][0]["isAnswered"] is True
    submissions = sender.rfc.request([["EmailSubmission/query", {"accountId": sender.account_id,
                                                                  "filter": {"emailIds": [made]}}, "q"]],
                                     using=["urn:ietf:params:jmap:core", SUBMISSION])["methodResponses"]
    assert len(submissions[0][1]["ids"]) == 1


def test_delayed_send_then_cancel_by_moving_out(sender, relay):
    """draft §5.3.1 date, §5.3.4: a message moved to the Outbox waits for its date; moved back to
    Drafts before then, its send is cancelled and it is never sent; a draft whose date has come is
    sent when moved in."""
    roles = sender.roles()
    soon = (datetime.now(timezone.utc) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    saved = sender.ok("setMessages", "messagesSet", {"create": {
        "soon": outgoing(sender, "Delayed a little", roles["drafts"], date=soon),
        "later": outgoing(sender, "Delayed an hour", roles["drafts"], date=later)}})["created"]
    soon_id, later_id = saved["soon"]["id"], saved["later"]["id"]
    moved = sender.ok("setMessages", "messagesSet", {"update": {soon_id: {"mailboxIds": [roles["outbox"]]},
                                                                later_id: {"mailboxIds": [roles["outbox"]]}}})
    assert sorted(moved["updated"]) == sorted([soon_id, later_id])
    time.sleep(0.5)
    assert not relay.with_subject("Delayed a little")  # held until its date
    back = sender.ok("setMessages", "messagesSet", {"update": {later_id: {"mailboxIds": [roles["drafts"]]}}})
    assert back["updated"] == [later_id]
    relay.wait_for_subject("Delayed a little")
    wait_until(lambda: any(m["subject"] == "Delayed a little" for m in in_mailbox(sender, roles["sent"])))
    drafts = in_mailbox(sender, roles["drafts"])
    assert [m["id"] for m in drafts] == [later_id]
    statuses = sender.rfc.request([["EmailSubmission/query", {"accountId": sender.account_id,
                                                               "filter": {"emailIds": [later_id]}}, "q"],
                                   ["EmailSubmission/get", {"accountId": sender.account_id,
                                                            "#ids": {"resultOf": "q", "name": "EmailSubmission/query",
                                                                     "path": "/ids"}}, "g"]],
                                  using=["urn:ietf:params:jmap:core", SUBMISSION])["methodResponses"]
    assert [s["undoStatus"] for s in statuses[1][1]["list"]] == ["canceled"]
    assert not relay.with_subject("Delayed an hour")


def test_unsendable_messages_are_refused(sender, relay):
    """draft §5.3.3: without a recipient, with an invalid address, or from an address the user may
    not send as, the creation is rejected with invalidProperties naming the properties; nothing is
    kept in the Outbox; a message that is not a draft may not be imported into it either (§5.4)."""
    roles = sender.roles()
    result = sender.ok("setMessages", "messagesSet", {"create": {
        "nobody": {**outgoing(sender, "To nobody", roles["outbox"]), "to": []},
        "bad": {**outgoing(sender, "Bad address", roles["outbox"]), "cc": [{"name": "", "email": "not an address"}]},
        "forged": {**outgoing(sender, "Forged", roles["outbox"]), "from": [{"name": "", "email": "ceo@bank.example"}]},
    }})
    errors = result["notCreated"]
    assert result["created"] == {}
    assert errors["nobody"]["type"] == "invalidProperties" and errors["nobody"]["properties"] == ["to"]
    assert errors["bad"]["properties"] == ["cc"]
    assert errors["forged"]["properties"] == ["from"]
    assert in_mailbox(sender, roles["outbox"]) == []
    blob = sender.upload(b"From: x@example.test\r\nTo: y@example.test\r\nSubject: Old\r\n\r\nbody\r\n")
    imported = sender.ok("importMessages", "messagesImported", {"messages": {"i": {
        "blobId": blob, "mailboxIds": [roles["outbox"]], "isUnread": False, "isFlagged": False,
        "isAnswered": False, "isDraft": True}}})
    assert imported["notCreated"]["i"]["properties"] == ["from"]
    assert in_mailbox(sender, roles["outbox"]) == []
