"""Email/set (RFC 8621 §4.6, RFC 8620 §5.3) and Email/changes (RFC 8620 §5.2), over HTTP."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
TEXT = "Hello Bob,\n\nthe report is attached. Grüße!\n"
HTML = "<html><body><p>Hello Bob,</p><p>the report is <b>attached</b>. Grüße!</p></body></html>\n"


def parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def tree(part) -> object:
    if part.get_content_maintype() == "multipart":
        return (part.get_content_type(), [tree(p) for p in part.iter_parts()])
    return part.get_content_type()


def set_error(result: dict, section: str, key: str) -> dict:
    assert result[section] and key in result[section], result
    return result[section][key]


def structured_email(mail, pdf_blob: str, **headers) -> dict:
    return {
        "mailboxIds": mail.mailbox_ids("drafts"),
        "keywords": {"$draft": True},
        **headers,
        "textBody": [{"partId": "t", "type": "text/plain"}],
        "htmlBody": [{"partId": "h", "type": "text/html"}],
        "attachments": [{"blobId": pdf_blob, "type": "application/pdf", "name": "report.pdf"}],
        "bodyValues": {"t": {"value": TEXT}, "h": {"value": HTML}},
    }


def test_create_structured_email(mail):
    """RFC 8621 §4.6: an Email created from textBody, htmlBody and an uploaded attachment. The created
    object has id, blobId, threadId and size; the blob is a MIME message that reads back to an
    alternative of the two texts plus the attachment, with a generated Message-ID and Date (MUST);
    Email/get returns the mailboxes, keywords, headers and bodies given."""
    pdf_blob = mail.upload(PDF, "application/pdf")
    email = structured_email(mail, pdf_blob, **{
        "header:From:asAddresses": [{"name": "Alice", "email": "alice@example.org"}],
        "header:To:asAddresses": [{"name": "Bob", "email": "bob@example.net"}],
        "header:Subject:asText": "Quarterly report",
    })
    result = mail.email_set(create={"c1": email})
    assert result["notCreated"] is None, result["notCreated"]
    created = result["created"]["c1"]
    assert set(created) >= {"id", "blobId", "threadId", "size"}

    r = mail.download(created["blobId"], "c1.eml", "message/rfc822")
    assert r.status_code == 200 and len(r.content) == created["size"]
    msg = parse(r.content)
    assert msg.defects == []
    assert tree(msg) == ("multipart/mixed", [("multipart/alternative", ["text/plain", "text/html"]),
                                             "application/pdf"])
    assert msg["Message-ID"] and msg["Date"] is not None and msg["Date"].datetime is not None
    assert msg["Subject"] == "Quarterly report"
    assert [a.addr_spec for a in msg["To"].addresses] == ["bob@example.net"]
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().replace("\r\n", "\n") == HTML
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "report.pdf"
    assert attachment.get_content() == PDF

    got = mail.get_one(created["id"], ["blobId", "threadId", "size", "mailboxIds", "keywords", "from", "to",
                                       "subject", "messageId", "sentAt", "hasAttachment", "textBody", "htmlBody",
                                       "attachments", "bodyValues"], fetchAllBodyValues=True)
    assert (got["blobId"], got["threadId"], got["size"]) == (created["blobId"], created["threadId"],
                                                             created["size"])
    assert got["mailboxIds"] == mail.mailbox_ids("drafts")
    assert got["keywords"] == {"$draft": True}
    assert got["from"] == [{"name": "Alice", "email": "alice@example.org"}]
    assert got["to"] == [{"name": "Bob", "email": "bob@example.net"}]
    assert got["subject"] == "Quarterly report"
    assert got["messageId"] and got["sentAt"]
    assert got["hasAttachment"] is True
    assert [p["type"] for p in got["textBody"]] == ["text/plain"]
    assert [p["type"] for p in got["htmlBody"]] == ["text/html"]
    assert got["bodyValues"][got["textBody"][0]["partId"]]["value"] == TEXT
    assert got["bodyValues"][got["htmlBody"][0]["partId"]]["value"] == HTML
    (att,) = got["attachments"]
    assert (att["type"], att["name"], att["size"]) == ("application/pdf", "report.pdf", len(PDF))
    assert mail.download(att["blobId"]).content == PDF


def test_create_with_convenience_properties(mail):
    """RFC 8621 §4.6 / §4.1: from, to, subject, sentAt (immutable, not server-set) and receivedAt
    (default: time of creation) may be given on create, and Email/get returns them."""
    pdf_blob = mail.upload(PDF, "application/pdf")
    email = structured_email(mail, pdf_blob, **{
        "from": [{"name": "Alice", "email": "alice@example.org"}],
        "to": [{"name": "Bob", "email": "bob@example.net"}],
        "subject": "Quarterly report",
        "sentAt": "2021-03-04T05:06:07+01:00",
        "receivedAt": "2021-03-04T04:06:09Z",
        "messageId": ["report-2021@example.org"],
    })
    result = mail.email_set(create={"c1": email})
    assert result["notCreated"] is None, result["notCreated"]
    created = result["created"]["c1"]
    got = mail.get_one(created["id"], ["from", "to", "subject", "sentAt", "receivedAt", "messageId"])
    assert got == {"id": created["id"], "from": email["from"], "to": email["to"], "subject": email["subject"],
                   "sentAt": email["sentAt"], "receivedAt": email["receivedAt"], "messageId": email["messageId"]}


def test_create_into_mailbox_created_in_same_request(mail):
    """RFC 8620 §5.3: a mailbox created earlier in the request is referenced as #creationId in
    mailboxIds."""
    responses = mail.request([
        ["Mailbox/set", {"accountId": mail.account_id, "create": {"mb": {"name": "Projects"}}}, "0"],
        ["Email/set", {"accountId": mail.account_id, "create": {"e": {
            "mailboxIds": {"#mb": True}, "textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "x"}}}}}, "1"],
    ])
    assert [r[0] for r in responses] == ["Mailbox/set", "Email/set"], responses
    mailbox_id = responses[0][1]["created"]["mb"]["id"]
    created = responses[1][1]["created"]["e"]
    assert mail.get_one(created["id"], ["mailboxIds"])["mailboxIds"] == {mailbox_id: True}


def test_forward_an_attachment_by_part_blob_id(mail, kit):
    """RFC 8621 §4.1.4 / §4.6: a body part's blobId (here an attachment of a received Email) can be
    used as the content of a part of a new Email."""
    received = ("From: a@example.com\r\nTo: b@example.org\r\nSubject: Scan\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=\"s\"\r\n\r\n--s\r\nContent-Type: text/plain\r\n\r\n"
                "Scan attached.\r\n--s\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJeLjz9MKc2Nhbg==\r\n--s--\r\n").encode()
    original = mail.import_one(received)
    (part,) = mail.get_one(original["id"], ["attachments"])["attachments"]
    result = mail.email_set(create={"fwd": {
        "mailboxIds": mail.mailbox_ids("drafts"), "header:Subject:asText": "Fwd: Scan",
        "textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "Forwarding the scan."}},
        "attachments": [{"blobId": part["blobId"], "type": "application/pdf", "name": "scan.pdf"}]}})
    assert result["notCreated"] is None, result["notCreated"]
    created = result["created"]["fwd"]
    (att,) = mail.get_one(created["id"], ["attachments"])["attachments"]
    assert att["size"] == part["size"] and att["name"] == "scan.pdf"
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nscan"
    assert mail.download(att["blobId"]).content == mail.download(part["blobId"]).content == pdf


def test_update_keywords_by_patch(mail, kit):
    """RFC 8621 §4.6 / RFC 8620 §5.3: "keywords/$seen": true adds the keyword, null removes it; each
    successful update is in `updated` with a null value (nothing server-set changed)."""
    e = mail.import_one(kit.message("Patch me"), keywords={"$flagged": True})
    result = mail.email_set(update={e["id"]: {"keywords/$seen": True}})
    assert result["updated"] == {e["id"]: None}
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {"$flagged": True, "$seen": True}
    result = mail.email_set(update={e["id"]: {"keywords/$seen": None}})
    assert result["updated"] == {e["id"]: None}
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {"$flagged": True}
    result = mail.email_set(update={e["id"]: {"keywords": {}}})
    assert result["updated"] == {e["id"]: None}
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {}


def test_update_mailboxes_by_patch_and_replacement(mail, kit):
    """RFC 8621 §4.6: mailboxIds change by patch (add and remove one mailbox) or by replacing the
    whole set; the Email id stays the same (§2)."""
    inbox, archive, trash = mail.roles["inbox"], mail.roles["archive"], mail.roles["trash"]
    e = mail.import_one(kit.message("Move me"))
    assert mail.email_set(update={e["id"]: {f"mailboxIds/{archive}": True}})["updated"] == {e["id"]: None}
    assert mail.get_one(e["id"], ["mailboxIds"])["mailboxIds"] == {inbox: True, archive: True}
    mail.email_set(update={e["id"]: {f"mailboxIds/{inbox}": None}})
    assert mail.get_one(e["id"], ["mailboxIds"])["mailboxIds"] == {archive: True}
    mail.email_set(update={e["id"]: {"mailboxIds": {trash: True}}})
    assert mail.get_one(e["id"], ["mailboxIds"])["mailboxIds"] == {trash: True}


def test_update_with_whole_object(mail, kit):
    """RFC 8620 §5.3: a whole object is a valid PatchObject; immutable and server-set properties may
    be sent back unchanged, and only the changed mutable ones take effect."""
    e = mail.import_one(kit.message("Whole object"))
    current = mail.get_one(e["id"], ["id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt",
                                     "subject", "from", "sentAt", "messageId"])
    current["mailboxIds"] = mail.mailbox_ids("archive")
    current["keywords"] = {"$seen": True}
    result = mail.email_set(update={e["id"]: current})
    assert result["updated"] == {e["id"]: None}, result
    after = mail.get_one(e["id"], list(current))
    assert after == current


def test_update_with_whole_object_from_default_get(mail, kit):
    """RFC 8620 §5.3: "an entire Foo object is also a valid PatchObject" and immutable properties may
    be sent back with their current values: the Email exactly as Email/get returned it (default
    properties, or with headers and bodyStructure) updates with only its keywords changed."""
    e = mail.import_one(kit.message("Whole object"))
    for properties in (None, ["subject", "headers", "bodyStructure", "keywords"]):
        current = mail.get_one(e["id"], properties)
        current["keywords"] = {"$seen": True} if current["keywords"] == {} else {}
        result = mail.email_set(update={e["id"]: current})
        assert result["updated"] == {e["id"]: None}, result
        assert mail.get_one(e["id"], ["keywords"])["keywords"] == current["keywords"]


def test_destroy(mail, kit):
    """RFC 8621 §4.6 / RFC 8620 §5.3: a destroyed Email is in `destroyed`, then gone from Email/get
    (notFound) and from its mailbox."""
    e = mail.import_one(kit.message("Destroy me"))
    result = mail.email_set(destroy=[e["id"]])
    assert result["destroyed"] == [e["id"]] and result["notDestroyed"] is None
    got = mail.ok("Email/get", {"ids": [e["id"]]})
    assert got["list"] == [] and got["notFound"] == [e["id"]]
    assert mail.client.mailboxes()["inbox"]["totalEmails"] == 0


BAD_KEYWORDS = ["", "has space", "par(en", "paren)", "brace{", "bracket]", "per%cent", "st*r", 'quo"te',
                "back\\slash", "tab\there", "ctl\x01", "del\x7f", "café", "x" * 256]


def test_invalid_keywords(mail, kit):
    """RFC 8621 §4.1.1: a keyword is 1-255 characters of %x21-%x7e without ( ) { ] % * " \\; anything
    else is invalidProperties naming keywords, on create and on update (RFC 8620 §5.3)."""
    e = mail.import_one(kit.message("Keywords"))
    wrong = {}
    for keyword in BAD_KEYWORDS:
        result = mail.email_set(
            create={"c": {"mailboxIds": mail.mailbox_ids("inbox"), "keywords": {keyword: True},
                          "textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "x"}}}},
            update={e["id"]: {"keywords": {keyword: True}}})
        for section, key in (("notCreated", "c"), ("notUpdated", e["id"])):
            error = (result[section] or {}).get(key)
            if not error or error["type"] != "invalidProperties" or "keywords" not in error["properties"]:
                wrong[(keyword, section)] = error
    assert not wrong, wrong
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {}
    assert mail.ok("Email/changes", {"sinceState": "0"})["created"] == [e["id"]]


def test_longest_keyword_and_every_allowed_character(mail, kit):
    """RFC 8621 §4.1.1: 255 characters is allowed, and so is every character of %x21-%x7e except
    the eight forbidden ones (returned lowercase)."""
    allowed = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '(){]%*"\\')
    e = mail.import_one(kit.message("Keywords"))
    result = mail.email_set(update={e["id"]: {"keywords": {"k" * 255: True, allowed: True}}})
    assert result["updated"] == {e["id"]: None}, result
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {"k" * 255: True, allowed.lower(): True}


def test_keyword_values_must_be_true(mail, kit):
    """RFC 8621 §4.1.1: keywords is a String[Boolean] whose values MUST be true."""
    e = mail.import_one(kit.message("Keywords"))
    for value in ({"$seen": False}, {"$seen": 1}, ["$seen"], "$seen", {"$seen": None, "$flagged": "yes"}):
        error = set_error(mail.email_set(update={e["id"]: {"keywords": value}}), "notUpdated", e["id"])
        assert error["type"] == "invalidProperties" and "keywords" in error["properties"], value
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {}


def test_invalid_mailbox_ids(mail, kit):
    """RFC 8621 §4.1.1 / §4.6: an Email is always in at least one existing mailbox, each with value
    true: an empty set, an unknown mailbox id or a false value is invalidProperties on mailboxIds,
    and the Email keeps its mailboxes."""
    e = mail.import_one(kit.message("Mailboxes"))
    inbox = mail.roles["inbox"]
    bad = [{}, {"Mnope": True}, {inbox: False}, {inbox: True, "Mnope": True}, None, [inbox]]
    for value in bad:
        result = mail.email_set(
            update={e["id"]: {"mailboxIds": value}},
            create={"c": {"mailboxIds": value, "textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "x"}}}})
        for section, key in (("notUpdated", e["id"]), ("notCreated", "c")):
            error = set_error(result, section, key)
            assert error["type"] == "invalidProperties" and "mailboxIds" in error["properties"], (value, error)
    # a patch removing the only mailbox leaves an empty set
    error = set_error(mail.email_set(update={e["id"]: {f"mailboxIds/{inbox}": None}}), "notUpdated", e["id"])
    assert error["type"] == "invalidProperties" and "mailboxIds" in error["properties"]
    assert mail.get_one(e["id"], ["mailboxIds"])["mailboxIds"] == {inbox: True}


def test_create_without_mailbox_ids(mail):
    """RFC 8621 §4.1.1: mailboxIds has no default; an Email must belong to a mailbox."""
    result = mail.email_set(create={"c": {"textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "x"}}}})
    error = set_error(result, "notCreated", "c")
    assert error["type"] == "invalidProperties" and "mailboxIds" in error["properties"]


def _check_immutable(mail, kit, patches):
    e = mail.import_one(kit.message("Immutable"))
    wrong = {}
    for patch in patches:
        prop = next(iter(patch))
        result = mail.email_set(update={e["id"]: {**patch, "keywords/$seen": True}})
        error = (result["notUpdated"] or {}).get(e["id"])
        if not error or error["type"] != "invalidProperties" or prop not in error["properties"]:
            wrong[prop] = error
    assert not wrong, wrong
    after = mail.get_one(e["id"], ["keywords", "subject", "size", "blobId"])
    assert after["keywords"] == {} and after["subject"] == "Immutable" and after["blobId"] == e["blobId"]


def test_immutable_property_changed(mail, kit):
    """RFC 8621 §4.1: everything but mailboxIds and keywords is immutable; RFC 8620 §5.3: changing it
    is invalidProperties listing the property, and no part of the update is applied (atomic)."""
    _check_immutable(mail, kit, [
        {"subject": "Changed"},
        {"from": [{"name": None, "email": "mallory@example.com"}]},
        {"to": None},
        {"receivedAt": "2001-01-01T00:00:00Z"},
        {"sentAt": "2001-01-01T00:00:00Z"},
        {"size": 1},
        {"blobId": "Bother"},
        {"threadId": "Tother"},
        {"id": "Eother"},
        {"messageId": ["other@example.com"]},
        {"preview": "other"},
        {"hasAttachment": True},
        {"header:X-Extra": " value"},
        {"nonsense": 1},
    ])


def test_immutable_body_property_changed(mail, kit):
    """RFC 8621 §4.1.4: bodyStructure, bodyValues, textBody, htmlBody and attachments are immutable,
    and so is headers (§4.1.3); RFC 8620 §5.3: changing them is invalidProperties."""
    _check_immutable(mail, kit, [
        {"textBody": []},
        {"htmlBody": []},
        {"attachments": [{"blobId": "Bx", "type": "text/plain"}]},
        {"bodyStructure": {"type": "text/plain"}},
        {"bodyValues": {"1": {"value": "forged"}}},
        {"headers": [{"name": "Subject", "value": " forged"}]},
    ])


def test_blob_not_found(mail):
    """RFC 8621 §4.6: an attachment blobId that does not exist is blobNotFound, whose notFound lists
    every missing blobId."""
    result = mail.email_set(create={"c": {
        "mailboxIds": mail.mailbox_ids("drafts"), "header:Subject:asText": "Missing",
        "textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "see attached"}},
        "attachments": [{"blobId": "Bmissing1", "type": "application/pdf"},
                        {"blobId": "Bmissing2", "type": "image/png"}]}})
    error = set_error(result, "notCreated", "c")
    assert error["type"] == "blobNotFound"
    assert sorted(error["notFound"]) == ["Bmissing1", "Bmissing2"]


def test_blob_of_other_account_not_found(mail, make_mail):
    """RFC 8621 §4.6 / RFC 8620 §6: a blob uploaded to another account does not exist here."""
    other = make_mail()
    foreign = other.upload(PDF, "application/pdf")
    result = mail.email_set(create={"c": {
        "mailboxIds": mail.mailbox_ids("drafts"), "textBody": [{"partId": "t"}],
        "bodyValues": {"t": {"value": "x"}}, "attachments": [{"blobId": foreign, "type": "application/pdf"}]}})
    error = set_error(result, "notCreated", "c")
    assert error["type"] == "blobNotFound" and error["notFound"] == [foreign]


def test_not_found_on_update_and_destroy(mail):
    """RFC 8620 §5.3: updating or destroying an id that does not exist is notFound."""
    result = mail.email_set(update={"Enope": {"keywords/$seen": True}}, destroy=["Enope2"])
    assert set_error(result, "notUpdated", "Enope")["type"] == "notFound"
    assert set_error(result, "notDestroyed", "Enope2")["type"] == "notFound"


def test_destroyed_email_is_not_found_afterwards(mail, kit):
    """RFC 8620 §5.3: a destroyed Email can be neither updated nor destroyed again."""
    e = mail.import_one(kit.message("Once"))
    mail.email_set(destroy=[e["id"]])
    result = mail.email_set(update={e["id"]: {"keywords/$seen": True}})
    assert set_error(result, "notUpdated", e["id"])["type"] == "notFound"
    result = mail.email_set(destroy=[e["id"]])
    assert set_error(result, "notDestroyed", e["id"])["type"] == "notFound"


def test_missing_email_in_update_and_destroy_is_not_found(mail, kit):
    """RFC 8620 §5.3: "If an id given cannot be found, the update or destroy MUST be rejected with a
    notFound set error"; willDestroy is only for an object that this call destroys."""
    e = mail.import_one(kit.message("Once"))
    mail.email_set(destroy=[e["id"]])
    result = mail.email_set(update={e["id"]: {"keywords/$seen": True}}, destroy=[e["id"]])
    assert set_error(result, "notUpdated", e["id"])["type"] == "notFound"
    assert set_error(result, "notDestroyed", e["id"])["type"] == "notFound"


def test_update_and_destroy_in_one_call(mail, kit):
    """RFC 8620 §5.3: updating and destroying the same Email in one call destroys it; the update is
    either applied first or skipped with willDestroy."""
    e = mail.import_one(kit.message("Both"))
    result = mail.email_set(update={e["id"]: {"keywords/$seen": True}}, destroy=[e["id"]])
    assert result["destroyed"] == [e["id"]]
    if result["notUpdated"]:
        assert result["notUpdated"][e["id"]]["type"] == "willDestroy"
    else:
        assert result["updated"] == {e["id"]: None}


def test_too_many_keywords(mail, kit):
    """RFC 8621 §4.6: a create or update that would exceed the server's keyword maximum is
    tooManyKeywords (which wins over invalidProperties, RFC 8620 §5.3)."""
    many = {f"k{i}": True for i in range(2000)}
    e = mail.import_one(kit.message("Lots of keywords"))
    result = mail.email_set(
        create={"c": {"mailboxIds": mail.mailbox_ids("inbox"), "keywords": many, "textBody": [{"partId": "t"}],
                      "bodyValues": {"t": {"value": "x"}}}},
        update={e["id"]: {f"keywords/{k}": True for k in many}})
    assert set_error(result, "notCreated", "c")["type"] == "tooManyKeywords"
    assert set_error(result, "notUpdated", e["id"])["type"] == "tooManyKeywords"
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {}


def test_server_set_properties_on_create(mail):
    """RFC 8620 §5.3 / RFC 8621 §4.1: id, blobId, threadId, size, hasAttachment and preview are
    server-set; giving them on create is invalidProperties listing them."""
    result = mail.email_set(create={"c": {
        "mailboxIds": mail.mailbox_ids("drafts"), "id": "Emine", "blobId": "Bmine", "threadId": "Tmine",
        "size": 5, "hasAttachment": True, "preview": "mine",
        "textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "x"}}}})
    error = set_error(result, "notCreated", "c")
    assert error["type"] == "invalidProperties"
    assert {"id", "blobId", "threadId", "size", "hasAttachment", "preview"} <= set(error["properties"])


INVALID_CREATIONS = [
    ({"headers": [{"name": "X-A", "value": "b"}]}, "headers"),
    ({"textBody": [{"partId": "t"}, {"partId": "u"}], "bodyValues": {"t": {"value": "x"}, "u": {"value": "y"}}},
     "textBody"),
    ({"htmlBody": [{"partId": "t", "type": "text/plain"}], "bodyValues": {"t": {"value": "x"}}}, "htmlBody"),
    ({"bodyStructure": {"partId": "t"}, "textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "x"}}},
     "textBody"),
    ({"header:Content-Type": " text/plain"}, "header:Content-Type"),
    ({"header:From:asDate": "2020-01-01T00:00:00Z"}, "header:From:asDate"),
    ({"bodyValues": {"t": {"value": "x", "isTruncated": True}}, "textBody": [{"partId": "t"}]}, "bodyValues"),
    ({"textBody": [{"partId": "t", "blobId": "B1"}], "bodyValues": {"t": {"value": "x"}}}, "textBody"),
    ({"textBody": [{"partId": "nope"}]}, "textBody"),
]


def test_invalid_creation_objects(mail):
    """RFC 8621 §4.6: creation objects that break the listed constraints are invalidProperties
    naming the offending property."""
    wrong = {}
    for email, prop in INVALID_CREATIONS:
        result = mail.email_set(create={"c": {"mailboxIds": mail.mailbox_ids("drafts"), **email}})
        error = (result["notCreated"] or {}).get("c")
        if (not error or error["type"] != "invalidProperties"
                or not any(p == prop or p.startswith(prop + "/") for p in error["properties"])):
            wrong[prop] = error
    assert not wrong, wrong
    assert mail.client.mailboxes()["drafts"]["totalEmails"] == 0


def test_if_in_state_mismatch(mail, kit):
    """RFC 8620 §5.3: a wrong ifInState is a stateMismatch method error and nothing changes; the
    current state is accepted."""
    e = mail.import_one(kit.message("State"))
    state = mail.state("Email")
    name, result = mail.call("Email/set", {"ifInState": state + "0", "update": {e["id"]: {"keywords/$seen": True}},
                                           "destroy": [e["id"]]})
    assert (name, result["type"]) == ("error", "stateMismatch")
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {}
    assert mail.state("Email") == state
    result = mail.email_set(ifInState=state, update={e["id"]: {"keywords/$seen": True}})
    assert result["oldState"] == state and result["updated"] == {e["id"]: None}


def test_email_changes_after_set(mail, kit):
    """RFC 8620 §5.2: Email/changes from a state lists what was created, updated and destroyed since;
    a record created and updated is only in created; one created and destroyed is not in created or
    updated; newState is the current state; no changes gives empty lists."""
    a, b, c = mail.import_raw([kit.message(f"Change {i}") for i in range(3)])
    s1 = mail.state("Email")
    d, e = mail.import_raw([kit.message("New 1"), kit.message("New 2")])
    mail.email_set(update={a["id"]: {"keywords/$seen": True}, d["id"]: {"keywords/$flagged": True}},
                   destroy=[b["id"], e["id"]])
    changes = mail.ok("Email/changes", {"sinceState": s1})
    assert changes["oldState"] == s1 and changes["newState"] == mail.state("Email")
    assert changes["hasMoreChanges"] is False
    assert changes["created"] == [d["id"]]
    assert changes["updated"] == [a["id"]]
    assert b["id"] in changes["destroyed"]
    assert e["id"] not in changes["created"] + changes["updated"]
    assert c["id"] not in changes["created"] + changes["updated"] + changes["destroyed"]
    same = mail.ok("Email/changes", {"sinceState": changes["newState"]})
    assert (same["created"], same["updated"], same["destroyed"]) == ([], [], [])
    assert same["newState"] == changes["newState"]


def test_email_changes_paged(mail, kit):
    """RFC 8620 §5.2: with maxChanges, changes come in pages (hasMoreChanges) that together name
    every change once the client follows newState."""
    created = mail.import_raw([kit.message(f"Paged {i}") for i in range(7)])
    state = "0"
    seen: list[str] = []
    for _ in range(20):
        page = mail.ok("Email/changes", {"sinceState": state, "maxChanges": 3})
        assert len(page["created"]) + len(page["updated"]) + len(page["destroyed"]) <= 3
        seen += page["created"]
        state = page["newState"]
        if not page["hasMoreChanges"]:
            break
    assert sorted(seen) == sorted(c["id"] for c in created)


def test_email_changes_bad_state(mail):
    """RFC 8620 §5.2: a state the server cannot calculate changes from is cannotCalculateChanges."""
    name, result = mail.call("Email/changes", {"sinceState": "not-a-state"})
    assert (name, result["type"]) == ("error", "cannotCalculateChanges")
