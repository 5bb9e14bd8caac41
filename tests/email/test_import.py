"""Email/import (RFC 8621 §4.8) over HTTP: validation, defaults, isolation, attached messages."""

from __future__ import annotations

import time
from datetime import datetime, timezone



def not_created(result: dict, key: str) -> dict:
    assert result["notCreated"] and key in result["notCreated"], result
    return result["notCreated"][key]


def test_import_response(mail, kit):
    """RFC 8621 §4.8: the response has accountId, oldState, newState (the Email state after) and
    created with id, blobId, threadId and size; notCreated is null when all succeed."""
    raw = kit.message("Imported")
    blob_id = mail.upload(raw)
    before = mail.state("Email")
    result = mail.ok("Email/import", {"emails": {"a": {"blobId": blob_id, "mailboxIds": mail.mailbox_ids("inbox")}}})
    assert result["accountId"] == mail.account_id
    assert result["oldState"] == before
    assert result["newState"] == mail.state("Email") != before
    assert result["notCreated"] is None
    created = result["created"]["a"]
    assert set(created) >= {"id", "blobId", "threadId", "size"}
    assert created["size"] == len(raw)
    assert mail.download(created["blobId"]).content == raw
    email = mail.get_one(created["id"], ["blobId", "threadId", "size", "mailboxIds", "keywords", "subject"])
    assert email == {"id": created["id"], "blobId": created["blobId"], "threadId": created["threadId"],
                     "size": len(raw), "mailboxIds": mail.mailbox_ids("inbox"), "keywords": {},
                     "subject": "Imported"}


def test_each_import_is_atomic(mail, kit):
    """RFC 8621 §4.8: each Email to import succeeds or fails on its own."""
    good, bad = mail.upload(kit.message("Good")), mail.upload(kit.message("Bad"))
    result = mail.ok("Email/import", {"emails": {
        "good": {"blobId": good, "mailboxIds": mail.mailbox_ids("inbox")},
        "bad": {"blobId": bad, "mailboxIds": {}},
    }})
    assert set(result["created"]) == {"good"}
    assert set(result["notCreated"]) == {"bad"}
    assert mail.client.mailboxes()["inbox"]["totalEmails"] == 1


def test_invalid_mailbox_ids(mail, kit):
    """RFC 8621 §4.8: mailboxIds is required, with at least one existing mailbox; anything else is
    invalidProperties naming mailboxIds."""
    blob_id = mail.upload(kit.message("Where"))
    inbox = mail.roles["inbox"]
    cases = {"missing": None, "empty": {}, "unknown": {"Mnope": True}, "false": {inbox: False},
             "list": [inbox], "string": inbox, "partly-unknown": {inbox: True, "Mnope": True}}
    emails = {}
    for name, value in cases.items():
        emails[name] = {"blobId": blob_id} if value is None else {"blobId": blob_id, "mailboxIds": value}
    result = mail.ok("Email/import", {"emails": emails})
    assert result["created"] is None
    for name in cases:
        error = not_created(result, name)
        assert error["type"] == "invalidProperties" and "mailboxIds" in error["properties"], (name, error)


def test_invalid_keywords(mail, kit):
    """RFC 8621 §4.8 / §4.1.1: invalid keywords are invalidProperties naming keywords."""
    blob_id = mail.upload(kit.message("Keywords"))
    cases = {"space": {"a b": True}, "paren": {"(x": True}, "false": {"$seen": False}, "list": ["$seen"],
             "empty": {"": True}, "long": {"k" * 256: True}, "nonascii": {"ünïcode": True}}
    result = mail.ok("Email/import", {"emails": {
        name: {"blobId": blob_id, "mailboxIds": mail.mailbox_ids("inbox"), "keywords": value}
        for name, value in cases.items()}})
    assert result["created"] is None
    for name in cases:
        error = not_created(result, name)
        assert error["type"] == "invalidProperties" and "keywords" in error["properties"], (name, error)


def test_invalid_received_at(mail, kit):
    """RFC 8621 §4.8 / RFC 8620 §1.4: receivedAt is a UTCDate ("Z" zone); other values are
    invalidProperties naming receivedAt."""
    blob_id = mail.upload(kit.message("When"))
    cases = {"words": "yesterday", "no-zone": "2020-01-01T00:00:00", "number": 1577836800,
             "date-only": "2020-01-01", "bad-day": "2020-02-30T00:00:00Z", "object": {}}
    result = mail.ok("Email/import", {"emails": {
        name: {"blobId": blob_id, "mailboxIds": mail.mailbox_ids("inbox"), "receivedAt": value}
        for name, value in cases.items()}})
    assert result["created"] is None
    for name in cases:
        error = not_created(result, name)
        assert error["type"] == "invalidProperties" and "receivedAt" in error["properties"], (name, error)


def test_invalid_blob_id(mail, kit):
    """RFC 8621 §4.8: a missing, mistyped or unknown blobId is invalidProperties naming blobId."""
    result = mail.ok("Email/import", {"emails": {
        "missing": {"mailboxIds": mail.mailbox_ids("inbox")},
        "number": {"blobId": 5, "mailboxIds": mail.mailbox_ids("inbox")},
        "unknown": {"blobId": "Bdoesnotexist", "mailboxIds": mail.mailbox_ids("inbox")},
    }})
    assert result["created"] is None
    for name in ("missing", "number", "unknown"):
        error = not_created(result, name)
        assert error["type"] == "invalidProperties" and "blobId" in error["properties"], (name, error)


def test_blob_of_another_account(mail, make_mail, kit):
    """RFC 8621 §4.8 and RFC 8620 §6: accounts are isolated; a blob uploaded to another account (or a
    part of another account's Email) is not found here, so the import is invalidProperties (blobId)."""
    other = make_mail()
    raw = rfc822_container()
    foreign = other.upload(raw)
    other_email = other.import_one(raw)
    (part,) = other.get_one(other_email["id"], ["attachments"])["attachments"]
    result = mail.ok("Email/import", {"emails": {
        "blob": {"blobId": foreign, "mailboxIds": mail.mailbox_ids("inbox")},
        "part": {"blobId": part["blobId"], "mailboxIds": mail.mailbox_ids("inbox")},
    }})
    assert result["created"] is None
    for name in ("blob", "part"):
        error = not_created(result, name)
        assert error["type"] == "invalidProperties" and "blobId" in error["properties"], error
    assert mail.download(foreign).status_code == 404
    # The other account has just read (and so parsed) that message: its part is still not ours.
    assert other.download(part["blobId"]).status_code == 200
    assert mail.download(part["blobId"]).status_code == 404
    assert mail.client.mailboxes()["inbox"]["totalEmails"] == 0


def test_received_at_given(mail, kit):
    """RFC 8621 §4.8: the receivedAt given is the Email's receivedAt."""
    e = mail.import_one(kit.message("Dated"), received_at="2011-11-11T11:11:11Z")
    assert mail.get_one(e["id"], ["receivedAt"])["receivedAt"] == "2011-11-11T11:11:11Z"


def test_received_at_defaults_to_most_recent_received_header(mail):
    """RFC 8621 §4.8: without receivedAt, the default is the time of the most recent Received header
    (the topmost, RFC 5321 §4.4), in UTC (RFC 8620 §1.4)."""
    raw = (b"Received: from mx2.example.net by mx3.example.org; Tue, 5 Mar 2019 10:20:30 +0100\r\n"
           b"Received: from client.example.com by mx2.example.net; Tue, 5 Mar 2019 10:19:00 +0100\r\n"
           b"From: a@example.com\r\nTo: b@example.org\r\nSubject: Relayed\r\n"
           b"Date: Tue, 5 Mar 2019 10:18:00 +0100\r\nMessage-ID: <relayed@example.com>\r\n\r\nHi\r\n")
    e = mail.import_one(raw)
    assert mail.get_one(e["id"], ["receivedAt"])["receivedAt"] == "2019-03-05T09:20:30Z"


def test_received_at_defaults_to_import_time(mail, kit):
    """RFC 8621 §4.8: without receivedAt or a Received header, receivedAt is the time of import."""
    before = int(time.time())
    e = mail.import_one(kit.message("Now"))
    after = int(time.time()) + 1
    received = mail.get_one(e["id"], ["receivedAt"])["receivedAt"]
    epoch = datetime.strptime(received, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    assert before <= epoch <= after


def test_keywords_returned_lowercase(mail, kit):
    """RFC 8621 §4.1.1: keywords are case-insensitive and servers MUST return them in lowercase."""
    e = mail.import_one(kit.message("Cases"), keywords={"$Seen": True, "$FLAGGED": True, "Work_Item": True})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {"$seen": True, "$flagged": True,
                                                               "work_item": True}


def test_keywords_differing_only_in_case_are_one(mail, kit):
    """RFC 8621 §4.1.1: "$Seen" and "$seen" are the same keyword."""
    e = mail.import_one(kit.message("Cases"), keywords={"$Seen": True, "$seen": True, "$SEEN": True})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {"$seen": True}


def test_duplicates_are_independent(mail, kit):
    """RFC 8621 §4.8: importing the same message twice either fails with alreadyExists (with
    existingId) or creates an Email with its own id and independent mutable properties."""
    blob_id = mail.upload(kit.message("Twice"))
    first = mail.ok("Email/import", {"emails": {"a": {"blobId": blob_id, "mailboxIds": mail.mailbox_ids("inbox")}}})
    second = mail.ok("Email/import", {"emails": {"b": {"blobId": blob_id, "mailboxIds": mail.mailbox_ids("archive"),
                                                       "keywords": {"$flagged": True}}}})
    a = first["created"]["a"]
    if second["notCreated"]:
        error = second["notCreated"]["b"]
        assert error["type"] == "alreadyExists" and error["existingId"] == a["id"]
        return
    b = second["created"]["b"]
    assert b["id"] != a["id"]
    mail.email_set(update={a["id"]: {"keywords/$seen": True}})
    got = {e["id"]: e for e in mail.get([a["id"], b["id"]], ["mailboxIds", "keywords"])}
    assert got[a["id"]]["keywords"] == {"$seen": True} and got[a["id"]]["mailboxIds"] == mail.mailbox_ids("inbox")
    assert got[b["id"]]["keywords"] == {"$flagged": True}
    assert got[b["id"]]["mailboxIds"] == mail.mailbox_ids("archive")


INNER = (b"From: Carol <carol@example.com>\r\nTo: Dave <dave@example.org>\r\nSubject: The inner message\r\n"
         b"Date: Mon, 1 Feb 2021 09:00:00 +0000\r\nMessage-ID: <inner@example.com>\r\n"
         b"Content-Type: text/plain; charset=utf-8\r\n\r\nThis is the attached message.\r\n")


def rfc822_container() -> bytes:
    return (b"From: Eve <eve@example.net>\r\nTo: Dave <dave@example.org>\r\nSubject: Fwd: The inner message\r\n"
            b"Date: Mon, 1 Feb 2021 10:00:00 +0000\r\nMessage-ID: <outer@example.net>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
            b"--outer\r\nContent-Type: text/plain\r\n\r\nSee the attached message.\r\n"
            b"--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"
            + INNER + b"\r\n--outer--\r\n")


def test_import_attached_message_part(mail):
    """RFC 8621 §4.1.4 / §4.8: an attached message/rfc822 part has a blobId (its octets), and that
    blob imports as an Email of its own, whose blob is the part's octets."""
    outer = mail.import_one(rfc822_container())
    (part,) = mail.get_one(outer["id"], ["attachments"])["attachments"]
    assert part["type"] == "message/rfc822"
    part_octets = mail.download(part["blobId"]).content
    assert part_octets == INNER and part["size"] == len(INNER)
    result = mail.ok("Email/import", {"emails": {"inner": {"blobId": part["blobId"],
                                                           "mailboxIds": mail.mailbox_ids("archive")}}})
    assert result["notCreated"] is None, result["notCreated"]
    inner = result["created"]["inner"]
    assert inner["size"] == len(INNER)
    assert mail.download(inner["blobId"]).content == INNER
    email = mail.get_one(inner["id"], ["subject", "from", "messageId", "mailboxIds", "size", "blobId"])
    assert email["subject"] == "The inner message"
    assert email["from"] == [{"name": "Carol", "email": "carol@example.com"}]
    assert email["messageId"] == ["inner@example.com"]
    assert email["mailboxIds"] == mail.mailbox_ids("archive")


def test_eai_headers(mail):
    """RFC 8621 §4.8: the server MUST support messages with RFC 6532 (UTF-8) header fields."""
    raw = ("From: Jöran Grüße <jöran@exämple.org>\r\nTo: 用户 <用户@例子.广告>\r\nSubject: Grüße aus Köln\r\n"
           "Date: Mon, 1 Feb 2021 09:00:00 +0000\r\nMessage-ID: <eai@exämple.org>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nHallo!\r\n").encode("utf-8")
    e = mail.import_one(raw)
    email = mail.get_one(e["id"], ["from", "to", "subject", "messageId"])
    assert email["subject"] == "Grüße aus Köln"
    assert email["from"] == [{"name": "Jöran Grüße", "email": "jöran@exämple.org"}]
    assert email["to"] == [{"name": "用户", "email": "用户@例子.广告"}]
    assert email["messageId"] == ["eai@exämple.org"]


def test_if_in_state(mail, kit):
    """RFC 8621 §4.8: a wrong ifInState is a stateMismatch method error and nothing is imported; the
    current state is accepted."""
    blob_id = mail.upload(kit.message("Stateful"))
    state = mail.state("Email")
    emails = {"a": {"blobId": blob_id, "mailboxIds": mail.mailbox_ids("inbox")}}
    name, result = mail.call("Email/import", {"ifInState": "x" + state, "emails": emails})
    assert (name, result["type"]) == ("error", "stateMismatch")
    assert mail.state("Email") == state
    assert mail.client.mailboxes()["inbox"]["totalEmails"] == 0
    result = mail.ok("Email/import", {"ifInState": state, "emails": emails})
    assert result["oldState"] == state and set(result["created"]) == {"a"}


def test_created_id_usable_later_in_the_request(mail, kit):
    """RFC 8620 §5.3 / §3.3: an Email created by Email/import can be referenced as #creationId by a
    later call in the same request."""
    blob_id = mail.upload(kit.message("Chained"))
    responses = mail.request([
        ["Email/import", {"accountId": mail.account_id,
                          "emails": {"k1": {"blobId": blob_id, "mailboxIds": mail.mailbox_ids("inbox")}}}, "0"],
        ["Email/set", {"accountId": mail.account_id, "update": {"#k1": {"keywords/$seen": True}}}, "1"],
    ])
    assert [r[0] for r in responses] == ["Email/import", "Email/set"], responses
    email_id = responses[0][1]["created"]["k1"]["id"]
    # "updated" is keyed by the ids updated; the RFC does not say whether a "#k1" key is echoed or resolved
    assert responses[1][1]["updated"] in ({email_id: None}, {"#k1": None})
    assert mail.get_one(email_id, ["keywords"])["keywords"] == {"$seen": True}


def test_bad_arguments(mail):
    """RFC 8620 §3.6.2 / RFC 8621 §4.8: an emails argument that is not an Id[EmailImport] is
    invalidArguments, or, for one bad EmailImport, a SetError for that one."""
    for emails in (None, [], "x", 5, {"a": "not an object"}, {"a": None}):
        name, result = mail.call("Email/import", {"emails": emails})
        if name == "error":
            assert result["type"] == "invalidArguments", emails
        else:
            assert name == "Email/import" and result["created"] is None, emails
            assert not_created(result, "a")["type"] == "invalidProperties", emails
    assert mail.client.mailboxes()["inbox"]["totalEmails"] == 0
