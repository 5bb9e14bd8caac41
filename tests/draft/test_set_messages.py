"""setMessages (draft-jenkins-jmapmail-00 §5.3): saving drafts, updating flags and mailboxes,
destroying; its SetErrors."""

from __future__ import annotations

from .conftest import message

DRAFT_MESSAGE = {
    "from": [{"name": "Alice", "email": "alice@example.test"}],
    "to": [{"name": "Bob", "email": "bob@example.net"}, {"name": "", "email": "carol@example.net"}],
    "subject": "Lunch plans",
    "textBody": "Noon at the usual place?",
    "headers": {"x-priority": "1", "x-note": "Grüße"},
    "isFlagged": True,
}


def test_save_a_draft(draft):
    """draft §5.3.1: a message created in the drafts mailbox is saved with the server-set id, blobId,
    threadId and size reported; it reads back as a read, flagged draft with the given content, and
    RFC 8621 clients see the same Email."""
    roles = draft.roles()
    result = draft.ok("setMessages", "messagesSet", {"create": {"d1": {**DRAFT_MESSAGE,
                                                                         "mailboxIds": [roles["drafts"]]}}})
    created = result["created"]["d1"]
    assert set(created) == {"id", "blobId", "threadId", "size"} and result["notCreated"] == {}
    shown = draft.ok("getMessages", "messages", {"ids": [created["id"]], "properties": None})["list"][0]
    assert shown["mailboxIds"] == [roles["drafts"]] and shown["threadId"] == created["threadId"]
    assert (shown["isDraft"], shown["isUnread"], shown["isFlagged"], shown["isAnswered"]) == (True, False, True, False)
    assert shown["subject"] == "Lunch plans" and shown["textBody"].strip() == "Noon at the usual place?"
    assert shown["to"] == DRAFT_MESSAGE["to"] and shown["from"] == DRAFT_MESSAGE["from"]
    assert shown["headers"]["x-priority"] == "1" and shown["headers"]["x-note"] == "Grüße"
    assert shown["htmlBody"] is None and shown["size"] == created["size"]
    email = draft.rfc.ok("Email/get", {"ids": [created["id"]], "properties": ["keywords", "subject"]})["list"][0]
    assert email["keywords"] == {"$draft": True, "$seen": True, "$flagged": True}


def test_html_only_draft_gets_a_text_version(draft):
    """draft §5.3.1 textBody: "If not supplied and an htmlBody is, the server SHOULD generate a text
    version"; date sets the message's date."""
    roles = draft.roles()
    result = draft.ok("setMessages", "messagesSet", {"create": {"h": {
        "mailboxIds": [roles["drafts"]], "htmlBody": "<p>Hello <b>there</b></p>", "date": "2030-01-02T03:04:05Z"}}})
    made = result["created"]["h"]["id"]
    shown = draft.ok("getMessages", "messages", {"ids": [made], "properties": ["textBody", "htmlBody", "date",
                                                                              "subject"]})["list"][0]
    assert shown["htmlBody"] == "<p>Hello <b>there</b></p>" and shown["textBody"].strip() == "Hello there"
    assert shown["date"] == "2030-01-02T03:04:05Z" and shown["subject"] == ""


def test_create_errors(draft):
    """draft §5.3.1: server-set properties, a mailbox other than drafts/outbox, isUnread/isDraft other
    than the defaults are invalidProperties; a missing attachment blob is invalidProperties with
    attachmentsNotFound; an unknown inReplyToMessageId is inReplyToNotFound; bad header names too."""
    roles = draft.roles()
    drafts = [roles["drafts"]]
    result = draft.ok("setMessages", "messagesSet", {"create": {
        "server": {"mailboxIds": drafts, "size": 5, "threadId": "T1"},
        "inbox": {"mailboxIds": [roles["inbox"]], "subject": "nope"},
        "unread": {"mailboxIds": drafts, "isUnread": True, "isDraft": False},
        "blob": {"mailboxIds": drafts, "attachments": [{"blobId": "Bmissing", "type": "image/png", "name": "x.png"}]},
        "parent": {"mailboxIds": drafts, "inReplyToMessageId": "Enone"},
        "headers": {"mailboxIds": drafts, "headers": {"X-Upper": "no"}},
        "type": {"mailboxIds": drafts, "to": "bob@example.net"},
    }})
    errors = result["notCreated"]
    assert result["created"] == {}
    assert errors["server"]["type"] == "invalidProperties" and set(errors["server"]["properties"]) == {"size", "threadId"}
    assert errors["inbox"]["properties"] == ["mailboxIds"]
    assert set(errors["unread"]["properties"]) == {"isUnread", "isDraft"}
    assert errors["blob"]["type"] == "invalidProperties" and errors["blob"]["attachmentsNotFound"] == ["Bmissing"]
    assert errors["parent"]["type"] == "inReplyToNotFound"
    assert errors["headers"]["properties"] == ["headers"]
    assert errors["type"]["properties"] == ["to"]


def test_reply_with_attachment(draft):
    """draft §5.3.1: inReplyToMessageId sets In-Reply-To and References from the message replied to,
    which reads back as inReplyToMessageId; an uploaded file becomes an attachment."""
    roles = draft.roles()
    parent = draft.deliver(message("Menu", msgid="menu@example.test"), roles["inbox"])
    blob = draft.upload(b"%PDF-1.4 a menu")
    made = draft.ok("setMessages", "messagesSet", {"create": {"r": {
        "mailboxIds": [roles["drafts"]], "inReplyToMessageId": parent, "subject": "Re: Menu",
        "textBody": "Looks good.", "attachments": [{"blobId": blob, "type": "application/pdf", "name": "menu.pdf"}],
        "headers": {"in-reply-to": "<ignored@example.test>"}}}})["created"]["r"]
    shown = draft.ok("getMessages", "messages", {"ids": [made["id"]], "properties": [
        "inReplyToMessageId", "headers.in-reply-to", "headers.references", "attachments", "hasAttachment"]})["list"][0]
    assert shown["inReplyToMessageId"] == parent
    assert shown["headers"] == {"in-reply-to": "<menu@example.test>", "references": "<menu@example.test>"}
    assert shown["hasAttachment"] is True and shown["attachments"][0]["name"] == "menu.pdf"
    assert made["threadId"] == draft.ok("getMessages", "messages", {"ids": [parent], "properties": ["threadId"]}
                                        )["list"][0]["threadId"]


def test_update_flags_and_mailboxes(draft):
    """draft §5.3.2: isFlagged, isUnread, isAnswered and mailboxIds may change (a mailbox may be a
    #creationId of this request); other properties may be repeated unchanged, never changed."""
    roles = draft.roles()
    email_id = draft.deliver(message("Invoice"), roles["inbox"])
    result = draft.ok("setMessages", "messagesSet", {"update": {email_id: {
        "isUnread": False, "isFlagged": True, "isAnswered": True, "subject": "Invoice",
        "mailboxIds": [roles["inbox"], roles["archive"]]}}})
    assert result["updated"] == [email_id] and result["notUpdated"] == {}
    assert result["oldState"] != result["newState"]
    shown = draft.ok("getMessages", "messages", {"ids": [email_id], "properties": [
        "isUnread", "isFlagged", "isAnswered", "mailboxIds"]})["list"][0]
    assert (shown["isUnread"], shown["isFlagged"], shown["isAnswered"]) == (False, True, True)
    assert sorted(shown["mailboxIds"]) == sorted([roles["inbox"], roles["archive"]])
    responses = draft.send([
        ["setMailboxes", {"create": {"new": {"name": "Receipts"}}}, "a"],
        ["setMessages", {"update": {email_id: {"mailboxIds": ["#new"], "subject": "Changed", "isDraft": True},
                                    "Enope": {"isFlagged": False}}}, "b"],
        ["setMessages", {"update": {email_id: {"mailboxIds": ["#new"], "isFlagged": "yes"}}}, "c"],
        ["setMessages", {"update": {email_id: {"mailboxIds": ["#new"]}}}, "d"]])
    new_box = responses[0][1]["created"]["new"]["id"]
    assert set(responses[1][1]["notUpdated"][email_id]["properties"]) == {"subject", "isDraft"}
    assert responses[1][1]["notUpdated"]["Enope"]["type"] == "notFound"
    assert responses[2][1]["notUpdated"][email_id]["properties"] == ["isFlagged"]
    assert responses[3][1]["updated"] == [email_id]
    assert draft.ok("getMessages", "messages", {"ids": [email_id], "properties": ["mailboxIds"]}
                    )["list"][0]["mailboxIds"] == [new_box]


def test_only_drafts_go_to_the_outbox(draft):
    """draft §5.3.2: "The server MUST reject any attempt to add a message with isDraft == false to
    the outbox"."""
    roles = draft.roles()
    received = draft.deliver(message("Not mine"), roles["inbox"])
    result = draft.ok("setMessages", "messagesSet", {"update": {received: {"mailboxIds": [roles["outbox"]]}}})
    assert result["notUpdated"][received]["type"] == "invalidProperties"
    assert result["notUpdated"][received]["properties"] == ["mailboxIds"]


def test_destroy_and_state(draft):
    """draft §5.3.5, §5.3.6: destroyed messages leave every mailbox; an unknown id is notFound; a
    stale ifInState is stateMismatch and changes nothing."""
    roles = draft.roles()
    email_id = draft.deliver(message("Old news"), roles["inbox"])
    state = draft.ok("getMessages", "messages", {"ids": []})["state"]
    assert draft.error("setMessages", {"ifInState": "1", "destroy": [email_id]}) == "stateMismatch"
    result = draft.ok("setMessages", "messagesSet", {"ifInState": state, "destroy": [email_id, "Enope"]})
    assert result["destroyed"] == [email_id] and result["notDestroyed"]["Enope"]["type"] == "notFound"
    assert draft.ok("getMessages", "messages", {"ids": [email_id]})["notFound"] == [email_id]
    inbox = draft.ok("getMailboxes", "mailboxes", {"ids": [roles["inbox"]], "properties": ["totalMessages"]})
    assert inbox["list"][0]["totalMessages"] == 0


def test_outbox_on_a_server_that_does_not_send(draft):
    """draft §5.3.3, §1.3: on a server that does not send mail (canDelaySend false), a message put in
    the Outbox is rejected with invalidProperties on mailboxIds, and none is kept."""
    roles = draft.roles()
    assert draft.rfc.session["capabilities"]["urn:jmapd:draft-jenkins-jmapmail-00"]["canDelaySend"] is False
    result = draft.ok("setMessages", "messagesSet", {"create": {"m": {
        "mailboxIds": [roles["outbox"]], "from": [{"name": "", "email": f"{draft.rfc.username}@example.test"}],
        "to": [{"name": "", "email": "bob@example.net"}], "subject": "Go"}}})
    assert result["notCreated"]["m"]["properties"] == ["mailboxIds"] and result["created"] == {}
    outbox = draft.ok("getMailboxes", "mailboxes", {"ids": [roles["outbox"]], "properties": ["totalMessages"]})
    assert outbox["list"][0]["totalMessages"] == 0
