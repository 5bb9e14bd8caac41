"""Email/get arguments (RFC 8621 §4.2, RFC 8620 §5.1) over HTTP."""

from __future__ import annotations

DEFAULT = {"id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt", "messageId", "inReplyTo",
           "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject", "sentAt", "hasAttachment",
           "preview", "bodyValues", "textBody", "htmlBody", "attachments"}
BODY_DEFAULT = {"partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language", "location"}
EURO_TEXT = "Preis: " + "€" * 40 + "\n"
HTML = "<div><a href=\"https://example.com/a/very/long/link/that/should/not/be/cut\">link</a></div>\n"


def mixed() -> bytes:
    """text/plain, text/html (alternative) and a text/csv attachment, plus two X-Tag fields."""
    return ("From: a@example.com\r\nTo: b@example.org\r\nSubject: Prices\r\nX-Tag: first\r\nX-Tag: second\r\n"
            "Date: Mon, 1 Feb 2021 09:00:00 +0000\r\nMessage-ID: <prices@example.com>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
            "--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
            "--a\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + EURO_TEXT.replace("\n", "\r\n") +
            "\r\n--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + HTML.replace("\n", "\r\n") +
            "\r\n--a--\r\n"
            "--m\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Disposition: attachment; filename=prices.csv\r\n"
            "\r\nitem,price\r\n\r\n--m--\r\n").encode("utf-8")


def test_default_properties(mail):
    """RFC 8621 §4.2: without properties, Email/get returns exactly the listed default properties
    (not "all"); without bodyProperties, parts have the default part properties."""
    e = mail.import_one(mixed())
    email = mail.get_one(e["id"])
    assert set(email) == DEFAULT
    assert email["bodyValues"] == {}
    for part in email["textBody"] + email["htmlBody"] + email["attachments"]:
        assert set(part) == BODY_DEFAULT


def test_fetch_body_values(mail):
    """RFC 8621 §4.2: fetchTextBodyValues covers text parts of textBody, fetchHTMLBodyValues those of
    htmlBody, fetchAllBodyValues every text/* part of bodyStructure."""
    e = mail.import_one(mixed())
    base = {"properties": ["textBody", "htmlBody", "attachments", "bodyValues"], "bodyProperties": ["partId", "type"]}
    email = mail.get_one(e["id"], **base, fetchTextBodyValues=True)
    plain = email["textBody"][0]["partId"]
    html = email["htmlBody"][0]["partId"]
    (csv,) = [p["partId"] for p in email["attachments"]]
    assert set(email["bodyValues"]) == {plain}
    assert email["bodyValues"][plain] == {"value": EURO_TEXT, "isEncodingProblem": False, "isTruncated": False}
    assert set(mail.get_one(e["id"], **base, fetchHTMLBodyValues=True)["bodyValues"]) == {html}
    both = mail.get_one(e["id"], **base, fetchTextBodyValues=True, fetchHTMLBodyValues=True)["bodyValues"]
    assert set(both) == {plain, html}
    every = mail.get_one(e["id"], **base, fetchAllBodyValues=True)["bodyValues"]
    assert set(every) == {plain, html, csv}
    assert every[csv]["value"] == "item,price\n"


def test_max_body_value_bytes(mail):
    """RFC 8621 §4.2: with maxBodyValueBytes, values are cut to at most that many octets, never
    mid-code-point, with isTruncated; a value that fits is whole and not truncated."""
    e = mail.import_one(mixed())
    for limit in range(8, 20):
        email = mail.get_one(e["id"], ["textBody", "bodyValues"], fetchTextBodyValues=True, maxBodyValueBytes=limit)
        value = email["bodyValues"][email["textBody"][0]["partId"]]
        assert value["isTruncated"] is True, limit
        assert len(value["value"].encode("utf-8")) <= limit
        assert EURO_TEXT.startswith(value["value"]) and "\ufffd" not in value["value"]
        assert len(value["value"].encode("utf-8")) > limit - 3  # cut at the last whole character
    email = mail.get_one(e["id"], ["textBody", "bodyValues"], fetchTextBodyValues=True, maxBodyValueBytes=10_000)
    value = email["bodyValues"][email["textBody"][0]["partId"]]
    assert value == {"value": EURO_TEXT, "isEncodingProblem": False, "isTruncated": False}


def test_html_not_cut_inside_a_tag(mail):
    """RFC 8621 §4.2: an HTML value SHOULD NOT be truncated inside a tag."""
    e = mail.import_one(mixed())
    for limit in (12, 30, 60):
        email = mail.get_one(e["id"], ["htmlBody", "bodyValues"], fetchHTMLBodyValues=True, maxBodyValueBytes=limit)
        value = email["bodyValues"][email["htmlBody"][0]["partId"]]["value"]
        assert len(value.encode()) <= limit and HTML.startswith(value)
        assert value.count("<") == value.count(">"), (limit, value)


def test_header_properties(mail):
    """RFC 8621 §4.1.3 / §4.2: header:{name} gives the last instance in Raw form, :all every
    instance in order, parsed forms apply, and the response keeps the request's capitalisation."""
    e = mail.import_one(mixed())
    email = mail.get_one(e["id"], ["header:X-Tag", "header:x-tag:all", "header:X-TAG:asText:all",
                                   "header:Subject:asText", "header:X-Missing", "header:X-Missing:all"])
    assert email["header:X-Tag"] == " second"
    assert email["header:x-tag:all"] == [" first", " second"]
    assert email["header:X-TAG:asText:all"] == ["first", "second"]
    assert email["header:Subject:asText"] == "Prices"
    assert email["header:X-Missing"] is None and email["header:X-Missing:all"] == []


def test_invalid_arguments(mail):
    """RFC 8620 §5.1 / §3.6.2: unknown properties or body properties are invalidArguments."""
    e = mail.import_one(mixed())
    for args in ({"properties": ["nope"]}, {"bodyProperties": ["subParts2"]}, {"properties": ["header:"]},
                 {"maxBodyValueBytes": -1}, {"fetchAllBodyValues": "yes"}):
        name, result = mail.call("Email/get", {"ids": [e["id"]], **args})
        assert (name, result["type"]) == ("error", "invalidArguments"), args


def test_ids_null_and_other_accounts(mail, make_mail, kit):
    """RFC 8620 §5.1: ids null returns every Email; an id of another account's Email is notFound
    here (accounts are isolated)."""
    other = make_mail()
    theirs = other.import_one(kit.message("Theirs"))
    mine = mail.import_raw([kit.message("Mine 1"), kit.message("Mine 2")])
    every = mail.ok("Email/get", {"ids": None, "properties": ["subject"]})
    assert sorted(e["id"] for e in every["list"]) == sorted(m["id"] for m in mine)
    result = mail.ok("Email/get", {"ids": [theirs["id"]], "properties": ["subject"]})
    if result["list"]:
        # ids are per account, so the same id may name one of this account's own Emails
        assert result["list"][0]["subject"] != "Theirs"
    else:
        assert result["notFound"] == [theirs["id"]]


def test_duplicate_ids(mail, kit):
    """RFC 8620 §5.1: an id given more than once is in the list, or in notFound, only once (for
    Email/get and Thread/get)."""
    e = mail.import_one(kit.message("Twice asked"))
    result = mail.ok("Email/get", {"ids": [e["id"], e["id"], "Enope", "Enope"], "properties": ["subject"]})
    assert result["list"] == [{"id": e["id"], "subject": "Twice asked"}]
    assert result["notFound"] == ["Enope"]
    threads = mail.threads([e["threadId"], e["threadId"], "Tnope", "Tnope"])
    assert threads["list"] == [{"id": e["threadId"], "emailIds": [e["id"]]}]
    assert threads["notFound"] == ["Tnope"]
