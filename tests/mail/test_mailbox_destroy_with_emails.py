"""Destroying a mailbox that holds emails (RFC 8621 §2.5) and creating Emails with content (§4.6)."""

from __future__ import annotations


def message(n: int) -> bytes:
    return (f"From: a@example.test\r\nTo: b@example.test\r\nSubject: note {n}\r\n"
            f"Message-ID: <note-{n}@example.test>\r\n\r\nbody {n}\r\n").encode()


def test_on_destroy_remove_emails(client):
    """RFC 8621 §2.5: without onDestroyRemoveEmails a mailbox with emails is mailboxHasEmail; with it,
    emails only in that mailbox are destroyed and emails also elsewhere just leave it."""
    boxes = client.mailboxes()
    folder = client.ok("Mailbox/set", {"create": {"f": {"name": "Doomed"}}})["created"]["f"]["id"]
    archive = boxes["archive"]["id"]
    blobs = [client.http.post(f"/jmap/upload/{client.account_id}/", content=message(n)).json()["blobId"]
             for n in range(2)]
    created = client.ok("Email/import", {"emails": {
        "only": {"blobId": blobs[0], "mailboxIds": {folder: True}},
        "both": {"blobId": blobs[1], "mailboxIds": {folder: True, archive: True}}}})["created"]
    refused = client.ok("Mailbox/set", {"destroy": [folder]})
    assert refused["notDestroyed"][folder]["type"] == "mailboxHasEmail"
    done = client.ok("Mailbox/set", {"destroy": [folder], "onDestroyRemoveEmails": True})
    assert done["destroyed"] == [folder]
    got = client.ok("Email/get", {"ids": [created["only"]["id"], created["both"]["id"]],
                                  "properties": ["mailboxIds"]})
    assert got["notFound"] == [created["only"]["id"]]
    assert got["list"] == [{"id": created["both"]["id"], "mailboxIds": {archive: True}}]
    counts = client.ok("Mailbox/get", {"ids": [archive], "properties": ["totalEmails", "totalThreads"]})
    assert counts["list"][0]["totalEmails"] == 1 and counts["list"][0]["totalThreads"] == 1


def test_create_with_content_then_immutable(client):
    """RFC 8621 §4.6 and §4.1: subject and body may be given on create; afterwards only mailboxIds and
    keywords change, and a changed subject is invalidProperties."""
    inbox = client.mailboxes()["inbox"]["id"]
    result = client.ok("Email/set", {"create": {"d": {
        "mailboxIds": {inbox: True}, "keywords": {"$draft": True}, "subject": "Hello there",
        "from": [{"name": "Me", "email": "me@example.test"}],
        "bodyValues": {"1": {"value": "Hi!"}}, "textBody": [{"partId": "1", "type": "text/plain"}]}}})
    email_id = result["created"]["d"]["id"]
    assert {"id", "blobId", "threadId", "size"} <= set(result["created"]["d"])
    changed = client.ok("Email/set", {"update": {email_id: {"subject": "Other"}}})
    assert changed["notUpdated"][email_id]["type"] == "invalidProperties"
    assert changed["notUpdated"][email_id]["properties"] == ["subject"]
    same = client.ok("Email/set", {"update": {email_id: {"subject": "Hello there", "keywords/$seen": True}}})
    assert same["updated"] == {email_id: None}
    got = client.ok("Email/get", {"ids": [email_id], "properties": ["subject", "keywords"]})["list"][0]
    assert got == {"id": email_id, "subject": "Hello there", "keywords": {"$draft": True, "$seen": True}}
