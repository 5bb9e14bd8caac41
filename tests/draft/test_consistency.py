"""Both dialects over one store: a change made in one is seen in the other, with states that move
together (draft-jenkins-jmapmail-00 §2.2, §3.2, §4.2, §5.2; RFC 8620 §5.2; RFC 8621 §2, §4)."""

from __future__ import annotations

from .conftest import message


def test_rfc8621_change_shows_in_get_message_updates(draft):
    """A keyword set with RFC 8621 Email/set is a changed message in the draft's getMessageUpdates,
    from the draft's own state to the state RFC 8621 reports; the flag reads back changed."""
    inbox = draft.roles()["inbox"]
    email_id = draft.deliver(message("Flag me"), inbox)
    state = draft.ok("getMessages", "messages", {"ids": [email_id], "properties": ["isFlagged"]})["state"]
    rfc = draft.rfc.ok("Email/set", {"update": {email_id: {"keywords/$flagged": True}}})
    assert rfc["oldState"] == state
    updates = draft.ok("getMessageUpdates", "messageUpdates", {"sinceState": state, "fetchRecords": False})
    assert updates["changed"] == [email_id] and updates["newState"] == rfc["newState"]
    assert draft.ok("getMessages", "messages", {"ids": [email_id], "properties": ["isFlagged"]}
                    )["list"][0]["isFlagged"] is True
    mailbox_state = draft.ok("getMailboxes", "mailboxes")["state"]
    assert mailbox_state == draft.rfc.ok("Mailbox/get", {"ids": []})["state"]


def test_draft_change_shows_in_email_changes(draft):
    """A message marked read with setMessages is an updated Email in RFC 8621 Email/changes from the
    state Email/get gave, and the counts RFC 8621 reports follow."""
    inbox = draft.roles()["inbox"]
    email_id = draft.deliver(message("Read me"), inbox)
    state = draft.rfc.ok("Email/get", {"ids": []})["state"]
    mailbox_state = draft.rfc.ok("Mailbox/get", {"ids": []})["state"]
    result = draft.ok("setMessages", "messagesSet", {"update": {email_id: {"isUnread": False}}})
    assert result["oldState"] == state
    changes = draft.rfc.ok("Email/changes", {"sinceState": state})
    assert changes["updated"] == [email_id] and changes["newState"] == result["newState"]
    assert draft.rfc.ok("Email/get", {"ids": [email_id], "properties": ["keywords"]})["list"][0]["keywords"] == \
        {"$seen": True}
    mailbox_changes = draft.rfc.ok("Mailbox/changes", {"sinceState": mailbox_state})
    assert mailbox_changes["updated"] == [inbox]
    assert set(mailbox_changes["updatedProperties"]) == {"unreadEmails", "unreadThreads"}
    counts = draft.rfc.ok("Mailbox/get", {"ids": [inbox], "properties": ["unreadEmails"]})["list"][0]
    assert counts["unreadEmails"] == 0


def test_mailbox_and_thread_states_follow_either_dialect(draft):
    """A mailbox renamed over RFC 8621 is changed in getMailboxUpdates; a thread grown by a draft
    saved over the draft dialect is changed in RFC 8621 Thread/changes."""
    roles = draft.roles()
    state = draft.ok("getMailboxes", "mailboxes", {"ids": []})["state"]
    draft.rfc.mailbox_set_ok(update={roles["archive"]: {"name": "Kept"}})
    updates = draft.ok("getMailboxUpdates", "mailboxUpdates", {"sinceState": state, "fetchRecords": True})
    assert updates["changed"] == [roles["archive"]] and updates["onlyCountsChanged"] is False
    parent = draft.deliver(message("Topic", msgid="topic-c@example.test"), roles["inbox"])
    thread_state = draft.rfc.ok("Thread/get", {"ids": []})["state"]
    draft.ok("setMessages", "messagesSet", {"create": {"r": {
        "mailboxIds": [roles["drafts"]], "inReplyToMessageId": parent, "subject": "Re: Topic"}}})
    thread_changes = draft.rfc.ok("Thread/changes", {"sinceState": thread_state})
    thread_id = draft.ok("getMessages", "messages", {"ids": [parent], "properties": ["threadId"]}
                         )["list"][0]["threadId"]
    assert thread_changes["updated"] == [thread_id]
    assert draft.ok("getThreadUpdates", "threadUpdates", {"sinceState": thread_state})["changed"] == [thread_id]


def test_message_list_state_is_the_query_state(draft):
    """A draft messageList's state is RFC 8621 Email/query's queryState for the same list, and a
    change over RFC 8621 is an added item in getMessageListUpdates."""
    inbox = draft.roles()["inbox"]
    draft.deliver(message("First"), inbox)
    listed = draft.ok("getMessageList", "messageList", {"filter": {"inMailboxes": [inbox]}, "sort": ["date desc"]})
    query = draft.rfc.ok("Email/query", {"filter": {"inMailbox": inbox},
                                         "sort": [{"property": "receivedAt", "isAscending": False}]})
    assert listed["state"] == query["queryState"] and listed["messageIds"] == query["ids"]
    newer = draft.deliver(message("Second"), inbox)
    updates = draft.ok("getMessageListUpdates", "messageListUpdates", {
        "filter": {"inMailboxes": [inbox]}, "sort": ["date desc"], "sinceState": listed["state"]})
    assert [a["messageId"] for a in updates["added"]] == [newer] and updates["total"] == 2
