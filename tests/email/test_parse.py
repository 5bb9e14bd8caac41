"""Email/parse (RFC 8621 §4.9) over HTTP."""

from __future__ import annotations

import os

DEFAULT = {"messageId", "inReplyTo", "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject",
           "sentAt", "hasAttachment", "preview", "bodyValues", "textBody", "htmlBody", "attachments"}
BODY_DEFAULT = {"partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language", "location"}

TEXT = "Dear Dave,\nplease find the minutes below.\n" + "Item. " * 100 + "\n"
HTML = "<p>Dear Dave,</p><p>please find the minutes below.</p>\n"


def alternative(subject: str = "Minutes") -> bytes:
    return (f"From: Carol <carol@example.com>\r\nTo: Dave <dave@example.org>\r\nCc: eve@example.net\r\n"
            f"Subject: {subject}\r\nDate: Mon, 1 Feb 2021 09:00:00 +0100\r\nMessage-ID: <minutes@example.com>\r\n"
            "In-Reply-To: <agenda@example.com>\r\nReferences: <agenda@example.com>\r\n"
            "X-Tracking: abc-123\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
            "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + TEXT.replace("\n", "\r\n") +
            "\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + HTML.replace("\n", "\r\n") +
            "\r\n--alt--\r\n").encode()


def test_parse_defaults(mail):
    """RFC 8621 §4.9: without properties, each parsed Email has exactly the default properties, with
    the values the message states; bodyValues is empty without a fetch argument; the body parts
    have the Email/get default bodyProperties."""
    blob_id = mail.upload(alternative())
    result = mail.ok("Email/parse", {"blobIds": [blob_id]})
    assert result["accountId"] == mail.account_id
    assert result["notFound"] is None and result["notParsable"] is None
    email = result["parsed"][blob_id]
    assert set(email) == DEFAULT
    assert email["subject"] == "Minutes"
    assert email["from"] == [{"name": "Carol", "email": "carol@example.com"}]
    assert email["to"] == [{"name": "Dave", "email": "dave@example.org"}]
    assert email["cc"] == [{"name": None, "email": "eve@example.net"}]
    assert email["bcc"] is None and email["replyTo"] is None and email["sender"] is None
    assert email["sentAt"] == "2021-02-01T09:00:00+01:00"
    assert email["messageId"] == ["minutes@example.com"]
    assert email["inReplyTo"] == ["agenda@example.com"] and email["references"] == ["agenda@example.com"]
    assert email["hasAttachment"] is False
    assert email["preview"].startswith("Dear Dave,") and len(email["preview"]) <= 256
    assert email["bodyValues"] == {}
    assert [p["type"] for p in email["textBody"]] == ["text/plain"]
    assert [p["type"] for p in email["htmlBody"]] == ["text/html"]
    assert email["attachments"] == []
    assert all(set(p) == BODY_DEFAULT for p in email["textBody"] + email["htmlBody"])


def test_parse_metadata_properties_are_null(mail):
    """RFC 8621 §4.9: id, mailboxIds, keywords and receivedAt are null for a parsed blob; threadId is
    null or the thread it would join; blobId and size describe the blob."""
    raw = alternative()
    blob_id = mail.upload(raw)
    props = ["id", "mailboxIds", "keywords", "receivedAt", "threadId", "blobId", "size", "subject"]
    email = mail.ok("Email/parse", {"blobIds": [blob_id], "properties": props})["parsed"][blob_id]
    assert set(email) == set(props)
    assert email["id"] is None
    assert email["mailboxIds"] is None and email["keywords"] is None and email["receivedAt"] is None
    assert email["threadId"] is None or isinstance(email["threadId"], str)
    assert email["blobId"] == blob_id and email["size"] == len(raw)
    assert email["subject"] == "Minutes"
    # "If supplied, only the properties listed in the array are returned": none for an empty list.
    assert mail.ok("Email/parse", {"blobIds": [blob_id], "properties": []})["parsed"] == {blob_id: {}}


def test_parse_not_found(mail, make_mail):
    """RFC 8621 §4.9: unknown blob ids, and blobs of another account, are in notFound; the found
    ones are parsed in the same call."""
    other = make_mail()
    foreign = other.upload(alternative("Private"))
    mine = mail.upload(alternative())
    result = mail.ok("Email/parse", {"blobIds": [mine, "Bnothing", foreign], "properties": ["subject"]})
    assert set(result["parsed"]) == {mine}
    assert sorted(result["notFound"]) == sorted(["Bnothing", foreign])
    result = mail.ok("Email/parse", {"blobIds": ["Bnothing"]})
    assert result["parsed"] is None and result["notFound"] == ["Bnothing"]


def test_parse_body_properties_and_values(mail):
    """RFC 8621 §4.9: bodyProperties limits the part properties; fetchTextBodyValues fetches the text
    body, fetchHTMLBodyValues the HTML body, and maxBodyValueBytes truncates on a character
    boundary with isTruncated."""
    blob_id = mail.upload(alternative())
    base = {"blobIds": [blob_id], "properties": ["textBody", "htmlBody", "bodyValues", "header:X-Tracking:asText",
                                                 "header:x-tracking"], "bodyProperties": ["partId", "type"]}
    email = mail.ok("Email/parse", {**base, "fetchTextBodyValues": True})["parsed"][blob_id]
    assert email["header:X-Tracking:asText"] == "abc-123" and email["header:x-tracking"] == " abc-123"
    (text,) = email["textBody"]
    (html,) = email["htmlBody"]
    assert set(text) == set(html) == {"partId", "type"}
    assert email["bodyValues"] == {text["partId"]: {"value": TEXT,
                                                    "isEncodingProblem": False, "isTruncated": False}}
    email = mail.ok("Email/parse", {**base, "fetchHTMLBodyValues": True, "maxBodyValueBytes": 10})["parsed"][blob_id]
    assert set(email["bodyValues"]) == {html["partId"]}
    value = email["bodyValues"][html["partId"]]
    assert value["isTruncated"] is True and len(value["value"].encode()) <= 10 and HTML.startswith(value["value"])
    email = mail.ok("Email/parse", {**base, "fetchAllBodyValues": True})["parsed"][blob_id]
    assert set(email["bodyValues"]) == {text["partId"], html["partId"]}


def test_parse_attached_message(mail):
    """RFC 8621 §4.1.4 attachments: "Attached messages may be fetched using the Email/parse method
    and the blobId"; parsing creates no Email."""
    inner = alternative("The attached minutes")
    outer = (b"From: Eve <eve@example.net>\r\nTo: dave@example.org\r\nSubject: Fwd: minutes\r\n"
             b"Date: Mon, 1 Feb 2021 10:00:00 +0000\r\nMessage-ID: <fwd@example.net>\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n"
             b"--mix\r\nContent-Type: text/plain\r\n\r\nForwarded.\r\n"
             b"--mix\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--mix--\r\n")
    e = mail.import_one(outer)
    (part,) = mail.get_one(e["id"], ["attachments"])["attachments"]
    state = mail.state("Email")
    result = mail.ok("Email/parse", {"blobIds": [part["blobId"]], "properties": ["subject", "from", "textBody"]})
    parsed = result["parsed"][part["blobId"]]
    assert parsed["subject"] == "The attached minutes"
    assert parsed["from"] == [{"name": "Carol", "email": "carol@example.com"}]
    assert [p["type"] for p in parsed["textBody"]] == ["text/plain"]
    assert mail.state("Email") == state
    assert mail.client.mailboxes()["inbox"]["totalEmails"] == 1


def test_parse_anything_without_error(mail):
    """RFC 8621 §4.9 / §4.1.2.3: any blob is either parsed (best effort) or notParsable, never a
    method error."""
    blobs = [mail.upload(os.urandom(3000), "application/octet-stream"), mail.upload(b"", "text/plain"),
             mail.upload(b"\x00\xff" * 100), mail.upload(b"no header separator at all")]
    result = mail.ok("Email/parse", {"blobIds": blobs, "fetchAllBodyValues": True})
    assert result["notFound"] is None
    assert set(result["parsed"] or {}) | set(result["notParsable"] or []) == set(blobs)


def test_parse_invalid_property(mail):
    """RFC 8620 §3.6.2: an unknown property name is invalidArguments."""
    blob_id = mail.upload(alternative())
    for args in ({"properties": ["subjectline"]}, {"bodyProperties": ["sizeInKb"]}):
        name, result = mail.call("Email/parse", {"blobIds": [blob_id], **args})
        assert (name, result["type"]) == ("error", "invalidArguments"), args
