"""The Email and Thread examples of RFC 8621 (§3.1.1, §4.2.1, §4.10, §7.5.1), with real ids.

Ids, states, blobIds and sizes in the RFC are illustrative; the tests keep every request as the RFC
writes it (with the account's real ids) and check what the RFC's text requires of the answer.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser



DINNER_HTML = ("<html><body><p>Hello all, dinner on Thursday at <a href=\"https://example.com/restaurant/"
               "menu?day=thursday&amp;time=evening\">the usual place</a>? " + "Bring friends. " * 30
               + "</p></body></html>\n")
FOOTER = "-- Sent by your friendly mailing list manager\n"


def dinner_message() -> bytes:
    """The message of §4.2.1: an HTML body followed by a plain-text footer, with List-Post."""
    return ("From: Joe Bloggs <joe@example.com>\r\n"
            "To: partytime@lists.example.com\r\n"
            "Subject: Dinner on Thursday?\r\n"
            "Date: Sun, 13 Oct 2013 14:10:00 +0000\r\n"
            "Message-ID: <dinner@example.com>\r\n"
            "List-Post: <mailto:partytime@lists.example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            + DINNER_HTML.replace("\n", "\r\n") +
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + FOOTER.replace("\n", "\r\n") +
            "--b1--\r\n").encode()


def test_email_get_example_4_2_1(mail):
    """RFC 8621 §4.2.1: the Email/get example. Only the named properties come back, the header
    property keeps the request's capitalisation (§4.2), htmlBody parts carry only the named
    bodyProperties, bodyValues holds the text parts of htmlBody (fetchHTMLBodyValues), truncated to
    maxBodyValueBytes octets with isTruncated, and an unknown id is in notFound."""
    created = mail.import_one(dinner_message(), received_at="2013-10-13T14:12:00Z")
    missing = "f123u456"
    properties = ["threadId", "mailboxIds", "from", "subject", "receivedAt", "header:List-POST:asURLs",
                  "htmlBody", "bodyValues"]
    result = mail.ok("Email/get", {
        "ids": [missing, created["id"]],
        "properties": properties,
        "bodyProperties": ["partId", "blobId", "size", "type"],
        "fetchHTMLBodyValues": True,
        "maxBodyValueBytes": 256,
    })
    assert result["accountId"] == mail.account_id
    assert isinstance(result["state"], str)
    assert result["notFound"] == [missing]
    (email,) = result["list"]
    assert set(email) == {"id", *properties}
    assert email["id"] == created["id"] and email["threadId"] == created["threadId"]
    assert email["mailboxIds"] == mail.mailbox_ids("inbox")
    assert email["from"] == [{"name": "Joe Bloggs", "email": "joe@example.com"}]
    assert email["subject"] == "Dinner on Thursday?"
    assert email["receivedAt"] == "2013-10-13T14:12:00Z"
    assert email["header:List-POST:asURLs"] == ["mailto:partytime@lists.example.com"]
    html, footer = email["htmlBody"]
    for part in (html, footer):
        assert set(part) == {"partId", "blobId", "size", "type"}
    assert (html["type"], footer["type"]) == ("text/html", "text/plain")
    # RFC 2046 §5.1.1: the CRLF before a boundary delimiter belongs to the delimiter.
    assert html["size"] == len(DINNER_HTML.rstrip("\n").replace("\n", "\r\n").encode())
    assert footer["size"] == len(FOOTER.rstrip("\n").encode())
    assert set(email["bodyValues"]) == {html["partId"], footer["partId"]}
    truncated = email["bodyValues"][html["partId"]]
    assert truncated["isTruncated"] is True and truncated["isEncodingProblem"] is False
    assert len(truncated["value"].encode("utf-8")) <= 256
    assert DINNER_HTML.startswith(truncated["value"])
    # SHOULD NOT truncate inside an HTML tag (§4.2 maxBodyValueBytes).
    assert truncated["value"].rfind("<") < truncated["value"].rfind(">") or "<" not in truncated["value"]
    assert email["bodyValues"][footer["partId"]] == {"value": FOOTER.rstrip("\n"), "isEncodingProblem": False,
                                                     "isTruncated": False}


def test_thread_get_example_3_1_1(mail, kit):
    """RFC 8621 §3.1.1: Thread/get of two threads, one with two Emails (oldest first) and one with
    one; notFound is empty."""
    first = kit.message("Plans", msgid="plans@example.com")
    reply = kit.message("Re: Plans", msgid="plans-reply@example.com", in_reply_to="plans@example.com",
                        references=["plans@example.com"])
    other = kit.message("Something else", msgid="other@example.com")
    a, b, c = mail.import_raw([first, reply, other], received_at=[
        "2020-01-01T10:00:00Z", "2020-01-01T11:00:00Z", "2020-01-01T12:00:00Z"])
    assert a["threadId"] == b["threadId"] != c["threadId"]
    result = mail.threads([a["threadId"], c["threadId"]])
    assert result["accountId"] == mail.account_id and isinstance(result["state"], str)
    assert result["notFound"] == []
    assert result["list"] == [{"id": a["threadId"], "emailIds": [a["id"], b["id"]]},
                              {"id": c["threadId"], "emailIds": [c["id"]]}]


BIG_REVEAL_TEXT = ("As you may be aware, we are required to prepare a presentation where we wow a panel of 5 "
                   "random members of the public, on or before 30 June each year.  We have drafted a few "
                   "slides and would like your opinion on them before Friday.\n")


def big_reveal(msgid: str, subject: str = "The Big Reveal", **kw) -> bytes:
    return ("From: Jane Doe <jdoe@example.com>\r\n"
            "To: team@example.com\r\n"
            f"Subject: {subject}\r\n"
            "Date: Wed, 27 Jun 2018 00:20:00 +0000\r\n"
            f"Message-ID: <{msgid}>\r\n"
            + "".join(f"{k}: <{v}>\r\n" for k, v in kw.items()) +
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n"
            "--xx\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + BIG_REVEAL_TEXT.replace("\n", "\r\n") +
            "--xx\r\nContent-Type: application/pdf; name=\"slides.pdf\"\r\n"
            "Content-Disposition: attachment; filename=\"slides.pdf\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            "JVBERi0xLjQKJeLjz9MK\r\n"
            "--xx--\r\n").encode()


def _mailbox_listing(mail, kit):
    """The inbox of §4.10: one Thread with one Email and one Thread with two."""
    raws = [big_reveal("reveal@example.com"), big_reveal("plan@example.com", "Plans"),
            big_reveal("plan-re@example.com", "Re: Plans", **{"In-Reply-To": "plan@example.com"})]
    created = mail.import_raw(raws, keywords={"$seen": True, "$flagged": True}, received_at=[
        "2018-06-27T00:20:35Z", "2018-06-26T10:00:00Z", "2018-06-26T11:00:00Z"])
    return created


def _check_listing(mail, responses, created):
    by_thread = {}
    for c in created:
        by_thread.setdefault(c["threadId"], []).append(c["id"])
    threads = responses[-2][1]["list"]
    assert {t["id"]: t["emailIds"] for t in threads} == by_thread
    emails = {e["id"]: e for e in responses[-1][1]["list"]}
    assert set(emails) == {c["id"] for c in created}
    reveal = emails[created[0]["id"]]
    assert set(reveal) == {"id", "threadId", "mailboxIds", "keywords", "hasAttachment", "from", "subject",
                           "receivedAt", "size", "preview"}
    assert reveal["threadId"] == created[0]["threadId"]
    assert reveal["mailboxIds"] == mail.mailbox_ids("inbox")
    assert reveal["keywords"] == {"$seen": True, "$flagged": True}
    assert reveal["hasAttachment"] is True
    assert reveal["from"] == [{"email": "jdoe@example.com", "name": "Jane Doe"}]
    assert reveal["subject"] == "The Big Reveal"
    assert reveal["receivedAt"] == "2018-06-27T00:20:35Z"
    assert reveal["size"] == created[0]["size"]
    # §4.1.4 preview: a plain-text fragment of the body, at most 256 characters.
    assert 0 < len(reveal["preview"]) <= 256
    assert " ".join(reveal["preview"].split()).rstrip(".…") in " ".join(BIG_REVEAL_TEXT.split())


def test_mailbox_listing_example_4_10_from_known_ids(mail, kit):
    """RFC 8621 §4.10: the listing request's back-reference chain, Email/get (threadId) ->
    Thread/get (#ids from /list/*/threadId) -> Email/get (#ids from /list/*/emailIds), starting from
    the Email ids the example's Email/query would give."""
    created = _mailbox_listing(mail, kit)
    acct = mail.account_id
    responses = mail.request([
        ["Email/get", {"accountId": acct, "ids": [created[0]["id"], created[2]["id"]],
                       "properties": ["threadId"]}, "1"],
        ["Thread/get", {"accountId": acct, "#ids": {"resultOf": "1", "name": "Email/get",
                                                    "path": "/list/*/threadId"}}, "2"],
        ["Email/get", {"accountId": acct, "#ids": {"resultOf": "2", "name": "Thread/get",
                                                   "path": "/list/*/emailIds"},
                       "properties": ["threadId", "mailboxIds", "keywords", "hasAttachment", "from", "subject",
                                      "receivedAt", "size", "preview"]}, "3"],
    ])
    assert [r[0] for r in responses] == ["Email/get", "Thread/get", "Email/get"], responses
    assert responses[0][1]["list"] == [{"id": created[0]["id"], "threadId": created[0]["threadId"]},
                                       {"id": created[2]["id"], "threadId": created[2]["threadId"]}]
    _check_listing(mail, responses, created)


def test_mailbox_listing_example_4_10_with_query(mail, kit):
    """RFC 8621 §4.10: the full listing request, starting with Email/query (collapseThreads)."""
    created = _mailbox_listing(mail, kit)
    acct, inbox = mail.account_id, mail.roles["inbox"]
    responses = mail.request([
        ["Email/query", {"accountId": acct, "filter": {"inMailbox": inbox},
                         "sort": [{"isAscending": False, "property": "receivedAt"}], "collapseThreads": True,
                         "position": 0, "limit": 30, "calculateTotal": True}, "0"],
        ["Email/get", {"accountId": acct, "#ids": {"resultOf": "0", "name": "Email/query", "path": "/ids"},
                       "properties": ["threadId"]}, "1"],
        ["Thread/get", {"accountId": acct, "#ids": {"resultOf": "1", "name": "Email/get",
                                                    "path": "/list/*/threadId"}}, "2"],
        ["Email/get", {"accountId": acct, "#ids": {"resultOf": "2", "name": "Thread/get",
                                                   "path": "/list/*/emailIds"},
                       "properties": ["threadId", "mailboxIds", "keywords", "hasAttachment", "from", "subject",
                                      "receivedAt", "size", "preview"]}, "3"],
    ])
    assert [r[0] for r in responses] == ["Email/query", "Email/get", "Thread/get", "Email/get"], responses
    assert responses[0][1]["ids"] == [created[0]["id"], created[2]["id"]]
    assert responses[0][1]["total"] == 2
    _check_listing(mail, responses, created)


def test_mark_unread_then_changes_example_4_10(mail, kit):
    """RFC 8621 §4.10: "keywords/$seen": null marks an Email unread (updated: {id: null}, a new
    state); after deleting Emails and a new arrival, Email/changes (maxChanges 50) lists the
    arrival as created, the unread one as updated and the deleted ones as destroyed."""
    created = mail.import_raw([kit.message(f"Note {i}") for i in range(4)], keywords={"$seen": True})
    reveal, gone = created[0], created[1:3]
    result = mail.email_set(update={reveal["id"]: {"keywords/$seen": None}})
    assert result["updated"] == {reveal["id"]: None}
    assert result["oldState"] != result["newState"]
    assert mail.get_one(reveal["id"], ["keywords"])["keywords"] == {}
    since = result["oldState"]
    assert mail.email_set(destroy=[g["id"] for g in gone])["destroyed"] == [g["id"] for g in gone]
    arrival = mail.import_one(kit.message("New arrival"))
    changes = mail.ok("Email/changes", {"sinceState": since, "maxChanges": 50})
    assert changes["oldState"] == since
    assert changes["newState"] == mail.state("Email")
    assert changes["hasMoreChanges"] is False
    assert changes["created"] == [arrival["id"]]
    assert changes["updated"] == [reveal["id"]]
    assert sorted(changes["destroyed"]) == sorted(g["id"] for g in gone)


def test_query_changes_example_4_10(mail, kit):
    """RFC 8621 §4.10 with RFC 8620 §5.6: after Emails are deleted and a new one arrives,
    Email/queryChanges for the collapsed inbox listing (maxChanges 25, calculateTotal) gives removed
    and added entries that turn the old result ids into the new ones, and the new total."""
    created = mail.import_raw([kit.message(f"Listing {i}") for i in range(5)], keywords={"$seen": True},
                              received_at=[f"2018-06-2{i}T00:00:00Z" for i in range(5)])
    query = {"accountId": mail.account_id, "filter": {"inMailbox": mail.roles["inbox"]},
             "sort": [{"property": "receivedAt", "isAscending": False}], "collapseThreads": True}
    before = mail.ok("Email/query", {**query, "position": 0, "limit": 30, "calculateTotal": True})
    assert before["ids"] == [c["id"] for c in reversed(created)] and before["total"] == 5
    since = mail.state("Email")
    mail.email_set(update={created[4]["id"]: {"keywords/$seen": None}}, destroy=[created[1]["id"], created[3]["id"]])
    arrival = mail.import_one(kit.message("Arrival"))
    responses = mail.request([
        ["Email/changes", {"accountId": mail.account_id, "sinceState": since, "maxChanges": 50}, "3"],
        ["Email/queryChanges", {**query, "sinceQueryState": before["queryState"], "maxChanges": 25,
                                "calculateTotal": True}, "11"],
    ])
    assert [r[0] for r in responses] == ["Email/changes", "Email/queryChanges"], responses
    email_changes = responses[0][1]
    assert email_changes["created"] == [arrival["id"]] and email_changes["updated"] == [created[4]["id"]]
    assert sorted(email_changes["destroyed"]) == sorted([created[1]["id"], created[3]["id"]])
    changes = responses[1][1]
    assert changes["oldQueryState"] == before["queryState"]
    assert changes["total"] == 4
    ids = [i for i in before["ids"] if i not in set(changes["removed"])]
    for item in sorted(changes["added"], key=lambda a: a["index"]):
        ids.insert(item["index"], item["id"])
    after = mail.ok("Email/query", {**query, "position": 0, "limit": 30})
    assert ids == after["ids"] == [arrival["id"], created[4]["id"], created[2]["id"], created[0]["id"]]
    assert {created[1]["id"], created[3]["id"]} <= set(changes["removed"])
    assert {"id": arrival["id"], "index": 0} in changes["added"]


PLAN = "I have the most brilliant plan. Let me tell you all about it. What we do is, we"
PLAN_HTML = ("<!DOCTYPE html><html><head><title></title><style type=\"text/css\">div{font-size:16px}</style>"
             "</head><body><div>I have the most <b>brilliant</b> plan. Let me tell you all about it. "
             "What we do is, we</div></body></html>")


def _draft_k192(mail) -> dict:
    return {
        "mailboxIds": mail.mailbox_ids("drafts"),
        "keywords": {"$seen": True, "$draft": True},
        "from": [{"name": "Joe Bloggs", "email": "joe@example.com"}],
        "subject": "World domination",
        "receivedAt": "2018-07-10T01:03:11Z",
        "sentAt": "2018-07-10T11:03:11+10:00",
        "bodyStructure": {"type": "text/plain", "partId": "bd48", "header:Content-Language": "en"},
        "bodyValues": {"bd48": {"value": PLAN, "isTruncated": False}},
    }


def test_create_draft_example_4_10(mail):
    """RFC 8621 §4.10 / §4.6: creating the draft k192. The created object has id, blobId, threadId
    and size; the message has a generated Message-ID, the Date from sentAt, From, Subject and
    Content-Language (§4.6 MUST for Message-ID and Date); Email/get gives back what was set."""
    result = mail.email_set(create={"k192": _draft_k192(mail)})
    assert result["notCreated"] is None, result["notCreated"]
    created = result["created"]["k192"]
    assert set(created) >= {"id", "blobId", "threadId", "size"}
    raw = mail.download(created["blobId"], "draft.eml", "message/rfc822").content
    assert len(raw) == created["size"]
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert msg["Message-ID"] and msg["Message-ID"].strip().startswith("<")
    assert msg["Date"].datetime.isoformat() == "2018-07-10T11:03:11+10:00"
    assert msg["From"].addresses[0].display_name == "Joe Bloggs"
    assert msg["From"].addresses[0].addr_spec == "joe@example.com"
    assert msg["Subject"] == "World domination"
    assert msg["Content-Language"].strip() == "en"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().replace("\r\n", "\n").rstrip("\n") == PLAN
    email = mail.get_one(created["id"], ["mailboxIds", "keywords", "from", "subject", "receivedAt", "sentAt",
                                         "bodyStructure", "bodyValues"], fetchAllBodyValues=True)
    assert email["mailboxIds"] == mail.mailbox_ids("drafts")
    assert email["keywords"] == {"$seen": True, "$draft": True}
    assert email["from"] == [{"name": "Joe Bloggs", "email": "joe@example.com"}]
    assert email["subject"] == "World domination"
    assert email["receivedAt"] == "2018-07-10T01:03:11Z"
    assert email["sentAt"] == "2018-07-10T11:03:11+10:00"
    assert email["bodyStructure"]["type"] == "text/plain"
    assert email["bodyStructure"]["language"] == ["en"]
    assert email["bodyValues"][email["bodyStructure"]["partId"]]["value"].rstrip("\n") == PLAN


def test_replace_draft_example_4_10(mail):
    """RFC 8621 §4.10: the updated draft k1546 (multipart/alternative HTML + text, both in English)
    is created and the old draft destroyed in the same Email/set."""
    first = mail.email_set(create={"k192": _draft_k192(mail)})["created"]["k192"]
    draft = {
        "mailboxIds": mail.mailbox_ids("drafts"),
        "keywords": {"$seen": True, "$draft": True},
        "from": [{"name": "Joe Bloggs", "email": "joe@example.com"}],
        "to": [{"name": "John", "email": "john@example.com"}],
        "subject": "World domination",
        "receivedAt": "2018-07-10T01:05:08Z",
        "sentAt": "2018-07-10T11:05:08+10:00",
        "bodyStructure": {"type": "multipart/alternative", "subParts": [
            {"partId": "a49d", "type": "text/html", "header:Content-Language": "en"},
            {"partId": "bd48", "type": "text/plain", "header:Content-Language": "en"}]},
        "bodyValues": {"bd48": {"value": PLAN, "isTruncated": False},
                       "a49d": {"value": PLAN_HTML, "isTruncated": False}},
    }
    result = mail.email_set(create={"k1546": draft}, destroy=[first["id"]])
    assert result["notCreated"] is None and result["notDestroyed"] is None, result
    assert result["destroyed"] == [first["id"]]
    created = result["created"]["k1546"]
    assert set(created) >= {"id", "blobId", "threadId", "size"}
    gone = mail.ok("Email/get", {"ids": [first["id"]], "properties": ["id"]})
    assert gone["notFound"] == [first["id"]]
    email = mail.get_one(created["id"], ["to", "bodyStructure", "textBody", "htmlBody", "bodyValues"],
                         fetchAllBodyValues=True)
    assert email["to"] == [{"name": "John", "email": "john@example.com"}]
    structure = email["bodyStructure"]
    assert structure["type"] == "multipart/alternative"
    assert [p["type"] for p in structure["subParts"]] == ["text/html", "text/plain"]
    assert all(p["language"] == ["en"] for p in structure["subParts"])
    assert [p["type"] for p in email["textBody"]] == ["text/plain"]
    assert [p["type"] for p in email["htmlBody"]] == ["text/html"]
    values = {p["type"]: email["bodyValues"][p["partId"]]["value"] for p in structure["subParts"]}
    assert values["text/html"].rstrip("\n") == PLAN_HTML
    assert values["text/plain"].rstrip("\n") == PLAN


def test_copy_draft_to_other_account_example_4_10(mail, make_mail, live, kit):
    """RFC 8621 §4.10 / §4.7: Email/copy of the draft into another account with a new mailboxIds and
    onSuccessDestroyOriginal answers Email/copy (created: id, blobId, threadId, size) and then the
    implicit Email/set (destroyed: the original), both under the call id of the copy."""
    from store.users import share_account

    target = make_mail()
    live.server.store.write(lambda txn: share_account(txn, target.client.username, mail.client.username,
                                                      read_only=False))
    raw = kit.message("World domination")
    draft = mail.import_one(raw, mailboxes=("drafts",), keywords={"$seen": True, "$draft": True})
    target_inbox = target.roles["inbox"]
    responses = mail.request([["Email/copy", {
        "fromAccountId": mail.account_id,
        "accountId": target.account_id,
        "create": {"k45": {"id": draft["id"], "mailboxIds": {target_inbox: True}}},
        "onSuccessDestroyOriginal": True,
    }, "0"]])
    assert [(r[0], r[2]) for r in responses] == [("Email/copy", "0"), ("Email/set", "0")], responses
    copy, implicit = responses[0][1], responses[1][1]
    assert copy["fromAccountId"] == mail.account_id and copy["accountId"] == target.account_id
    assert copy["notCreated"] is None
    created = copy["created"]["k45"]
    assert set(created) >= {"id", "blobId", "threadId", "size"}
    assert created["size"] == draft["size"]
    assert implicit["accountId"] == mail.account_id
    assert implicit["destroyed"] == [draft["id"]]
    assert mail.ok("Email/get", {"ids": [draft["id"]]})["notFound"] == [draft["id"]]
    copied = target.get_one(created["id"], ["mailboxIds", "keywords", "subject", "blobId"])
    assert copied["mailboxIds"] == {target_inbox: True}
    assert copied["keywords"] == {"$seen": True, "$draft": True}
    assert copied["subject"] == "World domination"
    assert target.download(copied["blobId"]).content == raw


def test_send_then_file_example_7_5_1(mail, kit):
    """RFC 8621 §7.5.1: the Email/set update that EmailSubmission's onSuccessUpdateEmail implies:
    remove the drafts mailbox, add the sent mailbox and drop $draft, as one patch."""
    draft = mail.import_one(kit.message("Sending soon"), mailboxes=("drafts",),
                            keywords={"$draft": True, "$seen": True})
    drafts, sent = mail.roles["drafts"], mail.roles["sent"]
    result = mail.email_set(update={draft["id"]: {
        f"mailboxIds/{drafts}": None, f"mailboxIds/{sent}": True, "keywords/$draft": None}})
    assert result["updated"] == {draft["id"]: None}
    assert result["oldState"] != result["newState"]
    email = mail.get_one(draft["id"], ["mailboxIds", "keywords"])
    assert email["mailboxIds"] == {sent: True}
    assert email["keywords"] == {"$seen": True}


def test_forbidden_header_form_is_invalid_arguments(mail, kit):
    """RFC 8621 §4.2 and §4.9: fetching a forbidden form (header:From:asDate) MUST be rejected with
    invalidArguments."""
    created = mail.import_one(kit.message("Forms"))
    for method, target in (("Email/get", {"ids": [created["id"]]}), ("Email/parse", {"blobIds": [created["blobId"]]})):
        for prop in ("header:From:asDate", "header:Subject:asAddresses", "header:Date:asMessageIds"):
            name, result = mail.call(method, {**target, "properties": [prop]})
            assert (name, result["type"]) == ("error", "invalidArguments"), (method, prop)
