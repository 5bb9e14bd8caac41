"""A JMAP client library from PyPI (jmapc), used as its users use it, against the test double:
connect (RFC 8620 §2 Session over HTTPS), list mailboxes (RFC 8621 §2.1), query and fetch (§4.4,
§4.2), set a keyword (§4.6), send (§7.5, as jmapc's own example does) and find the message among
the captured mail."""

from __future__ import annotations

import time

import pytest

from jmapd.testing import Server

jmapc = pytest.importorskip("jmapc")
from jmapc.methods import EmailGet, EmailQuery, EmailSet, EmailSubmissionSet, IdentityGet, MailboxGet  # noqa: E402
from jmapc.ref import Ref  # noqa: E402


@pytest.fixture(scope="module")
def https_server(certificate):
    cert, key = certificate
    with Server(users=["alice"], seed="demo", tls_cert=cert, tls_key=key) as server:
        yield server, cert


def test_jmapc_session(https_server, monkeypatch):
    server, cert = https_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)  # jmapc speaks https only, through requests
    client = jmapc.Client.create_with_password(f"127.0.0.1:{server.port}", "alice", "alice")
    assert client.account_id == server.account_id("alice")
    boxes = client.request(MailboxGet(ids=None))
    inbox = next(m for m in boxes.data if m.role == "inbox")
    assert inbox.total_emails > 0
    results = client.request([
        EmailQuery(filter=jmapc.EmailQueryFilterCondition(in_mailbox=inbox.id), limit=5,
                   sort=[jmapc.Comparator(property="receivedAt", is_ascending=False)]),
        EmailGet(ids=Ref("/ids"), properties=["id", "subject", "keywords", "from"]),
    ])
    emails = results[1].response.data
    assert len(emails) == 5 and all(e.subject is not None for e in emails)
    target = emails[0].id
    flagged = client.request(EmailSet(update={target: {"keywords/$flagged": True}}))
    assert target in flagged.updated
    again = client.request(EmailGet(ids=[target], properties=["keywords"]))
    assert again.data[0].keywords.get("$flagged") is True

    identity = client.request(IdentityGet(ids=None)).data[0]
    drafts = next(m for m in boxes.data if m.role == "drafts")
    sent = client.request([
        EmailSet(create={"draft": jmapc.Email(
            mail_from=[jmapc.EmailAddress(name="Alice", email=identity.email)],
            to=[jmapc.EmailAddress(name="Bob", email="bob@example.org")], subject="From jmapc",
            keywords={"$draft": True}, mailbox_ids={drafts.id: True},
            body_values={"body": jmapc.EmailBodyValue(value="Sent by a real client library.")},
            text_body=[jmapc.EmailBodyPart(part_id="body", type="text/plain")])}),
        EmailSubmissionSet(on_success_destroy_email=["#sendIt"], create={"sendIt": jmapc.EmailSubmission(
            email_id="#draft", identity_id=identity.id,
            envelope=jmapc.Envelope(mail_from=jmapc.Address(email=identity.email),
                                    rcpt_to=[jmapc.Address(email="bob@example.org")]))}),
    ])
    assert "sendIt" in sent[1].response.created
    deadline = time.monotonic() + 15
    while not server.captured() and time.monotonic() < deadline:
        time.sleep(0.05)
    (captured,) = server.captured()
    assert captured["recipients"] == ["bob@example.org"] and "Subject: From jmapc" in captured["message"]
