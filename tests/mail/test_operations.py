"""The mail layer's operations, seen through JMAP: a message stored, moved, flagged or destroyed by
the mail layer is what a JMAP client reads (RFC 8621 §2 counts, §3 threads, §4 Email, RFC 8620
§5.2 changes)."""

from __future__ import annotations

import pytest

from jmapd.mail import Mail
from jmapd.mail.errors import InvalidKeywords, NoMailbox, NoSuchEmail, NoSuchMailbox


def message(n: int, reply_to: int | None = None) -> bytes:
    refs = f"In-Reply-To: <m{reply_to}@example.test>\r\n" if reply_to is not None else ""
    return (f"From: a@example.test\r\nTo: b@example.test\r\nSubject: {'Re: ' if refs else ''}topic\r\n"
            f"Message-ID: <m{n}@example.test>\r\n{refs}\r\nbody {n}\r\n").encode()


@pytest.fixture
def mail(live) -> Mail:
    return Mail(live.server.store)


def test_deliver_is_an_email_in_its_mailbox_with_counts_and_thread(client, mail):
    """RFC 8621 §4.1: the stored octets are the Email's blob; §2: totalEmails and unreadEmails count
    it; §3: a reply joins its parent's thread."""
    inbox = client.mailboxes()["inbox"]["id"]
    first = mail.deliver(client.account_id, message(1), [inbox], received_at=1_700_000_000)
    reply = mail.deliver(client.account_id, message(2, reply_to=1), [inbox])
    assert reply.thread_id == first.thread_id
    got = client.ok("Email/get", {"ids": [first.email_id], "properties": ["blobId", "mailboxIds", "keywords",
                                                                         "receivedAt", "size"]})["list"][0]
    assert got == {"id": first.email_id, "blobId": first.blob_id, "mailboxIds": {inbox: True}, "keywords": {},
                   "receivedAt": "2023-11-14T22:13:20Z", "size": len(message(1))}
    raw = client.http.get(f"/jmap/download/{client.account_id}/{first.blob_id}/m.eml").content
    assert raw == message(1)
    box = client.ok("Mailbox/get", {"ids": [inbox]})["list"][0]
    assert (box["totalEmails"], box["unreadEmails"], box["totalThreads"], box["unreadThreads"]) == (2, 2, 1, 1)


def test_move_keywords_destroy_are_changes_a_client_sees(client, mail):
    """RFC 8620 §5.2: each operation is a change in Email/changes; RFC 8621 §2: counts follow."""
    boxes = client.mailboxes()
    inbox, archive = boxes["inbox"]["id"], boxes["archive"]["id"]
    stored = mail.deliver(client.account_id, message(10), [inbox])
    state = client.ok("Email/get", {"ids": []})["state"]
    mail.set_keywords(client.account_id, stored.email_id, ["$Seen", "$flagged"])
    mail.move(client.account_id, stored.email_id, [archive])
    changes = client.ok("Email/changes", {"sinceState": state})
    assert changes["updated"] == [stored.email_id]
    got = client.ok("Email/get", {"ids": [stored.email_id], "properties": ["mailboxIds", "keywords"]})["list"][0]
    assert got["mailboxIds"] == {archive: True} and got["keywords"] == {"$seen": True, "$flagged": True}
    counts = {m["id"]: m for m in client.ok("Mailbox/get", {"ids": [inbox, archive]})["list"]}
    assert counts[inbox]["totalEmails"] == 0 and counts[archive]["totalEmails"] == 1
    assert counts[archive]["unreadEmails"] == 0
    state = changes["newState"]
    mail.destroy(client.account_id, stored.email_id)
    assert client.ok("Email/changes", {"sinceState": state})["destroyed"] == [stored.email_id]
    assert client.ok("Mailbox/get", {"ids": [archive]})["list"][0]["totalEmails"] == 0


def test_refusals_write_nothing(client, mail):
    """The mail layer's own errors; the state does not move (RFC 8620 §5.3: nothing half-done)."""
    inbox = client.mailboxes()["inbox"]["id"]
    state = client.ok("Email/get", {"ids": []})["state"]
    with pytest.raises(NoSuchMailbox):
        mail.deliver(client.account_id, message(20), ["Mnope"])
    with pytest.raises(NoMailbox):
        mail.deliver(client.account_id, message(20), [])
    with pytest.raises(InvalidKeywords):
        mail.deliver(client.account_id, message(20), [inbox], ["bad keyword"])
    with pytest.raises(NoSuchEmail):
        mail.move(client.account_id, "Enope", [inbox])
    assert client.ok("Email/get", {"ids": []})["state"] == state


def test_mailbox_messages_in_received_order_and_changes_since(client, mail, live):
    """The receivedAt index gives a mailbox's messages in order (RFC 8621 §4.4.2 receivedAt), and the
    change log every change after a modseq, across types, oldest first."""
    inbox = client.mailboxes()["inbox"]["id"]
    store = live.server.store
    with store.read() as txn:
        start = txn.counter(client.account_id, "modseq")
    ids = [mail.deliver(client.account_id, message(30 + n), [inbox], received_at=1_700_000_000 - n).email_id
           for n in range(3)]
    with store.read() as txn:
        assert list(Mail.mailbox_messages(txn, client.account_id, inbox)) == ids[::-1]
        assert list(Mail.mailbox_messages(txn, client.account_id, inbox, newest_first=True)) == ids
        changes = Mail.changes_since(txn, client.account_id, start)
        limited = Mail.changes_since(txn, client.account_id, start, limit=2)
    assert [c.modseq for c in changes] == sorted(c.modseq for c in changes)
    assert [c.id for c in changes if c.type == "Email"] == ids
    assert {c.type for c in changes} == {"Email", "Thread", "Mailbox"}
    assert limited == changes[:2]


def test_corpus_messages_are_stored_byte_for_byte(client, mail, corpus):
    """RFC 8621 §4.1.4: the blob is the message as received, whatever its line endings or charset."""
    inbox = client.mailboxes()["inbox"]["id"]
    files = sorted(p for p in (corpus / "enmime" / "mail").glob("*") if p.is_file())[:8]
    assert files
    for path in files:
        raw = path.read_bytes()
        stored = mail.deliver(client.account_id, raw, [inbox])
        assert client.http.get(f"/jmap/download/{client.account_id}/{stored.blob_id}/m.eml").content == raw
