"""getMessages, getMessageUpdates, getThreads and getThreadUpdates (draft-jenkins-jmapmail-00 §4,
§5.1, §5.2): the draft's Message and Thread objects shown from the stored records."""

from __future__ import annotations

from .conftest import message

RICH = (
    b"From: =?utf-8?q?J=C3=B6e_Bloggs?= <joe@bloggs.example>\r\n"
    b"Sender: Assistant <pa@bloggs.example>\r\n"
    b"To: Ann <ann@example.test>, bob@example.test\r\n"
    b"Cc: undisclosed-recipients:;\r\n"
    b"Reply-To: Replies <replies@bloggs.example>\r\n"
    b"Subject: =?utf-8?q?Dinner_on_Th=C3=BCrsday=3F?=\r\n"
    b"Date: Sun, 13 Oct 2013 16:12:00 +0200\r\n"
    b"Message-ID: <rich@bloggs.example>\r\n"
    b"X-Spam-Score: 1.5\r\n"
    b"Received: from a\r\nReceived: from b\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
    b"--outer\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n"
    b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nShall we meet at eight?\r\n"
    b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Shall we meet at <b>eight</b>? <img src=\"cid:map1\"></p>\r\n"
    b"--alt--\r\n"
    b"--outer\r\nContent-Type: image/png; name=map.png\r\nContent-ID: <map1>\r\nContent-Disposition: inline\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
    b"--outer\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=menu.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
    b"--outer\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: Old <old@example.test>\r\nTo: joe@bloggs.example\r\nSubject: Earlier\r\n"
    b"Date: Sat, 12 Oct 2013 09:00:00 +0000\r\nContent-Type: text/html\r\n\r\n<p>Earlier <i>words</i></p>\r\n"
    b"--outer--\r\n")


def test_get_messages_the_drafts_example(draft):
    """draft §5.1, its example: the properties asked for (and the id), mailboxIds as a list, from as
    Emailer objects, the date in UTC; an unknown id in notFound."""
    inbox = draft.roles()["inbox"]
    email_id = draft.deliver(RICH, inbox)
    got = draft.ok("getMessages", "messages", {"ids": ["f123u456", email_id],
                                               "properties": ["threadId", "mailboxIds", "from", "subject", "date"]})
    assert got["notFound"] == ["f123u456"]
    [shown] = got["list"]
    thread_id = draft.rfc.ok("Email/get", {"ids": [email_id], "properties": ["threadId"]})["list"][0]["threadId"]
    received = draft.rfc.ok("Email/get", {"ids": [email_id], "properties": ["receivedAt"]})["list"][0]["receivedAt"]
    assert shown == {"id": email_id, "threadId": thread_id, "mailboxIds": [inbox],
                     "from": [{"name": "Jöe Bloggs", "email": "joe@bloggs.example"}],
                     "subject": "Dinner on Thürsday?", "date": received}
    assert got["state"] == draft.rfc.ok("Email/get", {"ids": []})["state"]


def test_get_messages_every_property(draft):
    """draft §5: with properties null every Message property is returned: flags from keywords, the
    decoded headers map (repeated fields joined by newlines), Emailers, textBody and htmlBody as
    strings, Attachment objects (isInline when the HTML refers to its cid) and attachedMessages."""
    inbox = draft.roles()["inbox"]
    email_id = draft.deliver(RICH, inbox, unread=False, flagged=True)
    [shown] = draft.ok("getMessages", "messages", {"ids": [email_id], "properties": None})["list"]
    assert set(shown) == {"id", "blobId", "threadId", "mailboxIds", "inReplyToMessageId", "isUnread", "isFlagged",
                          "isAnswered", "isDraft", "hasAttachment", "headers", "sender", "from", "to", "cc", "bcc",
                          "replyTo", "subject", "date", "size", "preview", "textBody", "htmlBody", "attachments",
                          "attachedMessages"}
    assert (shown["isUnread"], shown["isFlagged"], shown["isAnswered"], shown["isDraft"]) == (False, True, False, False)
    assert shown["headers"]["subject"] == "Dinner on Thürsday?"
    assert shown["headers"]["received"] == "from a\nfrom b"
    assert shown["headers"]["x-spam-score"] == "1.5"
    assert shown["sender"] == {"name": "Assistant", "email": "pa@bloggs.example"}
    assert shown["to"] == [{"name": "Ann", "email": "ann@example.test"}, {"name": "", "email": "bob@example.test"}]
    assert shown["cc"] == [] and shown["bcc"] is None
    assert shown["replyTo"] == [{"name": "Replies", "email": "replies@bloggs.example"}]
    assert shown["textBody"].strip() == "Shall we meet at eight?"
    assert "<b>eight</b>" in shown["htmlBody"]
    assert shown["hasAttachment"] is True and shown["inReplyToMessageId"] is None
    by_name = {a["name"]: a for a in shown["attachments"]}
    assert by_name["map.png"]["isInline"] is True and by_name["map.png"]["cid"] == "map1"
    assert by_name["menu.pdf"]["isInline"] is False and by_name["menu.pdf"]["type"] == "application/pdf"
    assert by_name["menu.pdf"]["size"] == 9 and set(by_name["menu.pdf"]) == {
        "blobId", "type", "name", "size", "cid", "isInline", "width", "height"}
    attached_id = next(a["blobId"] for a in shown["attachments"] if a["type"] == "message/rfc822")
    attached = shown["attachedMessages"][attached_id]
    assert attached["subject"] == "Earlier" and attached["date"] == "2013-10-12T09:00:00Z"
    assert attached["from"] == [{"name": "Old", "email": "old@example.test"}]
    assert attached["textBody"].strip() == "Earlier words" and "<i>words</i>" in attached["htmlBody"]
    assert attached["headers"]["to"] == "joe@bloggs.example"
    download = draft.http.get(f"/jmap/download/{draft.account_id}/{by_name['menu.pdf']['blobId']}/menu.pdf")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")


def test_special_properties(draft):
    """draft §5.1: "body" is htmlBody when there is an HTML part, else textBody; headers.NAME asks for
    single headers (case-insensitively; absent ones are left out); "headers" overrides them."""
    inbox = draft.roles()["inbox"]
    rich = draft.deliver(RICH, inbox)
    plain = draft.deliver(message("Plain", body="Just text.\n"), inbox)
    got = draft.ok("getMessages", "messages", {"ids": [rich, plain],
                                               "properties": ["body", "headers.X-Spam-Score", "headers.x-absent"]})
    by_id = {m["id"]: m for m in got["list"]}
    assert set(by_id[rich]) == {"id", "htmlBody", "headers"} and by_id[rich]["headers"] == {"x-spam-score": "1.5"}
    assert set(by_id[plain]) == {"id", "textBody", "headers"} and by_id[plain]["headers"] == {}
    assert by_id[plain]["textBody"] == "Just text.\r\n" or by_id[plain]["textBody"].strip() == "Just text."
    both = draft.ok("getMessages", "messages", {"ids": [rich], "properties": ["headers", "headers.x-spam-score"]})
    assert "message-id" in both["list"][0]["headers"]
    assert draft.error("getMessages", {"ids": [rich], "properties": ["colour"]}) == "invalidArguments"
    assert draft.error("getMessages", {"properties": ["subject"]}) == "invalidArguments"


def test_in_reply_to_message_id(draft):
    """draft §5 inReplyToMessageId: for received messages, the message the In-Reply-To header names,
    found in the user's mail."""
    inbox = draft.roles()["inbox"]
    parent = draft.deliver(message("Question", msgid="question@example.test"), inbox)
    reply = draft.deliver(message("Re: Question", in_reply_to="question@example.test"), inbox)
    stray = draft.deliver(message("Re: Nothing", in_reply_to="unknown@example.test"), inbox)
    renamed = draft.deliver(message("A new topic", in_reply_to="question@example.test"), inbox)
    got = draft.ok("getMessages", "messages", {"ids": [reply, stray, parent, renamed],
                                               "properties": ["inReplyToMessageId", "threadId"]})
    by_id = {m["id"]: m for m in got["list"]}
    assert {i: m["inReplyToMessageId"] for i, m in by_id.items()} == {reply: parent, stray: None, parent: None,
                                                                       renamed: parent}
    assert by_id[renamed]["threadId"] != by_id[parent]["threadId"]  # another subject, another thread


def test_message_updates(draft):
    """draft §5.2: changed and removed messages since a state, hasMoreUpdates with maxChanges, and
    fetchRecords fetching the changed ones with fetchRecordProperties under the same client id."""
    inbox = draft.roles()["inbox"]
    state = draft.ok("getMessages", "messages", {"ids": []})["state"]
    first = draft.deliver(message("one"), inbox)
    second = draft.deliver(message("two"), inbox)
    responses = draft.send([["getMessageUpdates", {"sinceState": state, "fetchRecords": True,
                                                   "fetchRecordProperties": ["subject"]}, "u"]])
    assert [(r[0], r[2]) for r in responses] == [("messageUpdates", "u"), ("messages", "u")]
    updates = responses[0][1]
    assert updates["changed"] == [first, second] and updates["removed"] == [] and updates["hasMoreUpdates"] is False
    assert [m["subject"] for m in responses[1][1]["list"]] == ["one", "two"]
    partial = draft.ok("getMessageUpdates", "messageUpdates", {"sinceState": state, "maxChanges": 1})
    assert partial["changed"] == [first] and partial["hasMoreUpdates"] is True
    draft.ok("setMessages", "messagesSet", {"destroy": [first]})
    after = draft.ok("getMessageUpdates", "messageUpdates", {"sinceState": updates["newState"]})
    assert after["removed"] == [first] and after["changed"] == []
    assert draft.error("getMessageUpdates", {"sinceState": state, "maxChanges": 0}) == "invalidArguments"
    assert draft.error("getMessageUpdates", {"sinceState": "bogus"}) == "cannotCalculateChanges"


def test_get_threads_the_drafts_example(draft):
    """draft §4.1, its example: threads by id with their messageIds in date order; unknown ids in
    notFound; fetchMessages adds a messages response under the same client id."""
    inbox = draft.roles()["inbox"]
    first = draft.deliver(message("Plan", msgid="plan@example.test"), inbox)
    second = draft.deliver(message("Re: Plan", in_reply_to="plan@example.test"), inbox)
    thread_id = draft.ok("getMessages", "messages", {"ids": [first], "properties": ["threadId"]})["list"][0]["threadId"]
    responses = draft.send([["getThreads", {"ids": [thread_id, "f41u44"], "fetchMessages": False,
                                            "fetchMessageProperties": None}, "#1"]])
    assert len(responses) == 1 and responses[0][0] == "threads"
    threads = responses[0][1]
    assert threads["list"] == [{"id": thread_id, "messageIds": [first, second]}] and threads["notFound"] == ["f41u44"]
    responses = draft.send([["getThreads", {"ids": [thread_id], "fetchMessages": True,
                                            "fetchMessageProperties": ["subject"]}, "#2"]])
    assert [(r[0], r[2]) for r in responses] == [("threads", "#2"), ("messages", "#2")]
    assert [m["subject"] for m in responses[1][1]["list"]] == ["Plan", "Re: Plan"]
    assert draft.error("getThreads", {}) == "invalidArguments"


def test_thread_updates(draft):
    """draft §4.2: threads whose messages changed since a state; fetchRecords fetches them (without
    their messages)."""
    inbox = draft.roles()["inbox"]
    state = draft.ok("getThreads", "threads", {"ids": []})["state"]
    first = draft.deliver(message("Topic", msgid="topic@example.test"), inbox)
    responses = draft.send([["getThreadUpdates", {"sinceState": state, "fetchRecords": True}, "t"]])
    assert [r[0] for r in responses] == ["threadUpdates", "threads"]
    updates, threads = responses[0][1], responses[1][1]
    assert len(updates["changed"]) == 1 and updates["removed"] == [] and updates["hasMoreUpdates"] is False
    assert threads["list"] == [{"id": updates["changed"][0], "messageIds": [first]}]
    draft.ok("setMessages", "messagesSet", {"destroy": [first]})
    gone = draft.ok("getThreadUpdates", "threadUpdates", {"sinceState": updates["newState"]})
    assert gone["removed"] == updates["changed"]


def test_thread_order_puts_drafts_after_their_parent(draft):
    """draft §4: a Thread's messageIds are in date order, except that a draft replying to a message
    of the thread comes immediately after that message."""
    roles = draft.roles()
    first = draft.deliver(message("Plan B", msgid="planb@example.test"), roles["inbox"])
    second = draft.deliver(message("Re: Plan B", msgid="planb2@example.test", in_reply_to="planb@example.test"),
                           roles["inbox"])
    reply = draft.ok("setMessages", "messagesSet", {"create": {"r": {
        "mailboxIds": [roles["drafts"]], "inReplyToMessageId": first, "subject": "Re: Plan B"}}})["created"]["r"]
    threads = draft.ok("getThreads", "threads", {"ids": [reply["threadId"]]})
    assert threads["list"][0]["messageIds"] == [first, reply["id"], second]
    rfc = draft.rfc.ok("Thread/get", {"ids": [reply["threadId"]]})["list"][0]["emailIds"]
    assert rfc == [first, second, reply["id"]]
