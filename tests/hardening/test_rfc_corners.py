"""RFC corners a public conformance suite found (finding 11)."""

from __future__ import annotations

from .conftest import CORE, MAIL, import_messages, upload


def test_empty_using_answers_each_call_unknown_method(mail):
    """RFC 8620 §3.3 and §2: an empty `using` is a well-formed Request; no capability is opted in,
    so every call is unknownMethod (not a request-level notRequest)."""
    response = mail.post({"using": [], "methodCalls": [["Core/echo", {"a": 1}, "e"],
                                                       ["Mailbox/get", {"accountId": mail.account_id}, "m"]]})
    assert response.status_code == 200, response.text
    answers = response.json()["methodResponses"]
    assert [(name, args["type"], call_id) for name, args, call_id in answers] == [
        ("error", "unknownMethod", "e"), ("error", "unknownMethod", "m")]


def test_duplicate_sibling_mailbox_is_already_exists(mail):
    """RFC 8620 §5.4 (alreadyExists, with existingId) for a create that duplicates a sibling's name
    (RFC 8621 §2: names are unique among siblings), top level and nested."""
    first = mail.create_mailbox("Projects")
    result = mail.ok("Mailbox/set", {"create": {"again": {"name": "Projects"}}})
    assert result["notCreated"]["again"] == {"type": "alreadyExists", "description": "a sibling mailbox has this name",
                                             "existingId": first}
    child = mail.create_mailbox("Child", parentId=first)
    result = mail.ok("Mailbox/set", {"create": {"again": {"name": "Child", "parentId": first}}})
    assert result["notCreated"]["again"]["existingId"] == child
    # The same name under another parent is no duplicate.
    assert mail.ok("Mailbox/set", {"create": {"other": {"name": "Child"}}})["created"]["other"]["id"]


def test_blob_without_header_section_is_not_an_email(mail):
    """RFC 8621 §4.8: Email/import refuses a blob that is no message at all with invalidEmail, and
    §4.9: Email/parse lists it in notParsable; nothing is stored."""
    blob = upload(mail, b"this is not an email")
    before = mail.ok("Email/query", {"calculateTotal": True})["total"]
    result = mail.ok("Email/import", {"emails": {"x": {"blobId": blob, "mailboxIds": {mail.inbox: True}}}})
    assert result["created"] is None and result["notCreated"]["x"]["type"] == "invalidEmail"
    assert mail.ok("Email/query", {"calculateTotal": True})["total"] == before
    parsed = mail.ok("Email/parse", {"blobIds": [blob]})
    assert parsed["parsed"] is None and parsed["notParsable"] == [blob] and parsed["notFound"] is None


def test_malformed_real_messages_are_still_stored(mail):
    """RFC 8621 §4.1.2.3 (parse as well as possible) and §4.8: a message with a header section is
    stored however broken the rest is, and served: no From or Date, a boundary that never comes,
    a header block with no body, a bare LF message behind an mbox From line."""
    broken = [
        b"Subject: no sender, no date\r\n\r\nbody\r\n",
        b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=\"never\"\r\n\r\nno parts at all\r\n",
        b"From: a@example.org\r\nSubject: headers only",
        b"From someone Sat Jan  3 01:05:34 1996\nFrom: b@example.org\nSubject: mbox\n\nhi\n",
    ]
    result = import_messages(mail, broken, mail.inbox)
    assert result["notCreated"] is None and len(result["created"]) == len(broken), result
    ids = [made["id"] for made in result["created"].values()]
    got = mail.ok("Email/get", {"ids": ids, "properties": ["subject", "from", "bodyStructure", "bodyValues"],
                                "fetchAllBodyValues": True})
    assert [e["subject"] for e in got["list"]] == ["no sender, no date", None, "headers only", "mbox"]
    blobs = [upload(mail, raw) for raw in broken]
    parsed = mail.ok("Email/parse", {"blobIds": blobs, "properties": ["subject"]})
    assert parsed["notParsable"] is None and set(parsed["parsed"]) == set(blobs)


def test_using_without_core_still_runs_opted_in_calls(mail):
    """RFC 8620 §3.3: each call's own capability decides; mail methods run without core in `using`."""
    response = mail.post({"using": [MAIL], "methodCalls": [["Email/query", {"accountId": mail.account_id}, "q"]]})
    assert response.status_code == 200 and response.json()["methodResponses"][0][0] == "Email/query"
    response = mail.post({"using": [CORE], "methodCalls": [["Email/query", {"accountId": mail.account_id}, "q"]]})
    assert response.json()["methodResponses"][0][1]["type"] == "unknownMethod"
