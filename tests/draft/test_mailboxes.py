"""getMailboxes, getMailboxUpdates and setMailboxes (draft-jenkins-jmapmail-00 §2)."""

from __future__ import annotations

from .conftest import message

DRAFT_PROPERTIES = {"id", "name", "parentId", "role", "sortOrder", "mustBeOnlyMailbox", "mayReadItems",
                    "mayAddItems", "mayRemoveItems", "mayCreateChild", "mayRename", "mayDelete", "totalMessages",
                    "unreadMessages", "totalThreads", "unreadThreads"}


def test_get_mailboxes(draft):
    """draft §2, §2.1: every Mailbox property, the draft's role names (spam, outbox), the counts of
    messages, and notFound null when ids is null."""
    roles = draft.roles()
    draft.deliver(message("one"), roles["inbox"])
    draft.deliver(message("two"), roles["inbox"], unread=False)
    got = draft.ok("getMailboxes", "mailboxes", {"accountId": None, "ids": None, "properties": None})
    assert got["accountId"] == draft.account_id and got["notFound"] is None
    by_role = {m["role"]: m for m in got["list"]}
    assert set(by_role) == {"inbox", "drafts", "sent", "archive", "spam", "trash", "outbox"}
    inbox = by_role["inbox"]
    assert set(inbox) == DRAFT_PROPERTIES
    assert (inbox["totalMessages"], inbox["unreadMessages"], inbox["totalThreads"], inbox["unreadThreads"]) == (2, 1, 2, 1)
    assert inbox["mayDelete"] is False and inbox["mustBeOnlyMailbox"] is False
    assert by_role["outbox"]["name"] == "Outbox" and by_role["outbox"]["mayAddItems"] is True


def test_get_mailboxes_by_id_and_properties(draft):
    """draft §2.1: only the properties asked for (and always the id); unknown ids in notFound."""
    inbox = draft.roles()["inbox"]
    got = draft.ok("getMailboxes", "mailboxes", {"ids": [inbox, "Mnope"], "properties": ["name", "mayRename"]})
    assert got["list"] == [{"id": inbox, "name": "Inbox", "mayRename": False}]
    assert got["notFound"] == ["Mnope"]
    assert draft.error("getMailboxes", {"properties": ["myRights"]}) == "invalidArguments"


def test_outbox_to_rfc8621_clients(draft):
    """RFC 8621 §2: "New roles may be established": RFC 8621 clients see the Outbox with the role
    "outbox", which they do not act on, and cannot take the role away or give it to another mailbox."""
    roles = draft.roles()
    shown = draft.rfc.ok("Mailbox/get", {"ids": [roles["outbox"]]})["list"][0]
    assert shown["name"] == "Outbox" and shown["role"] == "outbox"
    result = draft.rfc.ok("Mailbox/set", {"update": {roles["outbox"]: {"role": None},
                                                     roles["archive"]: {"role": "outbox"}}})
    assert result["notUpdated"][roles["outbox"]]["type"] == "forbidden"
    assert result["notUpdated"][roles["archive"]]["type"] == "invalidProperties"
    assert draft.roles()["outbox"] == roles["outbox"]


def test_get_mailbox_updates(draft):
    """draft §2.2: changed and removed since a state; onlyCountsChanged when only counts moved, and
    fetchRecords then fetches just the four counts under the same client id."""
    roles = draft.roles()
    state = draft.ok("getMailboxes", "mailboxes")["state"]
    draft.deliver(message("count me"), roles["inbox"])
    responses = draft.send([["getMailboxUpdates", {"sinceState": state, "fetchRecords": True}, "u"]])
    assert [r[0] for r in responses] == ["mailboxUpdates", "mailboxes"] and {r[2] for r in responses} == {"u"}
    updates, fetched = responses[0][1], responses[1][1]
    assert updates["oldState"] == state and updates["changed"] == [roles["inbox"]] and updates["removed"] == []
    assert updates["onlyCountsChanged"] is True
    assert fetched["list"] == [{"id": roles["inbox"], "totalMessages": 1, "unreadMessages": 1, "totalThreads": 1,
                                "unreadThreads": 1}]
    renamed = draft.ok("getMailboxUpdates", "mailboxUpdates", {"sinceState": updates["newState"]})
    assert renamed["changed"] == [] and renamed["newState"] == updates["newState"]
    draft.ok("setMailboxes", "mailboxesSet", {"update": {roles["archive"]: {"name": "Old stuff"}}})
    renamed = draft.ok("getMailboxUpdates", "mailboxUpdates", {"sinceState": updates["newState"]})
    assert renamed["changed"] == [roles["archive"]] and renamed["onlyCountsChanged"] is False
    assert draft.error("getMailboxUpdates", {"sinceState": "999999"}) == "cannotCalculateChanges"
    assert draft.error("getMailboxUpdates", {}) == "invalidArguments"


def test_set_mailboxes_the_drafts_example(draft):
    """draft §2.3, its example: ifInState, an update of the name, a destroy; the response is
    mailboxesSet with oldState/newState, and a stale ifInState is stateMismatch."""
    roles = draft.roles()
    made = draft.ok("setMailboxes", "mailboxesSet", {"create": {"f5": {"name": "Doomed"}, "f3": {"name": "Keep"}}})
    f5, f3 = made["created"]["f5"]["id"], made["created"]["f3"]["id"]
    assert set(made["created"]["f5"]) == {"id", "mustBeOnlyMailbox", "mayReadItems", "mayAddItems", "mayRemoveItems",
                                          "mayCreateChild", "mayRename", "mayDelete", "totalMessages",
                                          "unreadMessages", "totalThreads", "unreadThreads"}
    state = made["newState"]
    result = draft.ok("setMailboxes", "mailboxesSet", {"ifInState": state, "update": {f3: {"name": "The new name"}},
                                                       "destroy": [f5]})
    assert result["oldState"] == state and result["updated"] == [f3] and result["destroyed"] == [f5]
    assert result["notUpdated"] == {} and result["notDestroyed"] == {}
    assert draft.error("setMailboxes", {"ifInState": state, "destroy": [f3]}) == "stateMismatch"
    assert roles["inbox"] not in result["destroyed"]


def test_set_mailboxes_rules(draft):
    """draft §2.3.2-§2.3.4: server-set properties may not be given; role may only be set on create
    ("spam" is RFC 8621's junk); a child may reference its parent by #creationId; the inbox may not
    be destroyed; a mailbox with children is mailboxHasChild."""
    roles = draft.roles()
    made = draft.ok("setMailboxes", "mailboxesSet", {"create": {
        "bad": {"name": "X", "mustBeOnlyMailbox": True, "totalMessages": 3},
        "parent": {"name": "Projects"},
        "child": {"name": "Alpha", "parentId": "#parent"}}})
    assert made["notCreated"]["bad"]["type"] == "invalidProperties"
    assert set(made["notCreated"]["bad"]["properties"]) == {"mustBeOnlyMailbox", "totalMessages"}
    parent, child = made["created"]["parent"]["id"], made["created"]["child"]["id"]
    assert draft.ok("getMailboxes", "mailboxes", {"ids": [child]})["list"][0]["parentId"] == parent
    result = draft.ok("setMailboxes", "mailboxesSet", {"update": {
        parent: {"role": "x-projects"}, child: {"role": None, "name": "Beta"}}, "destroy": [roles["inbox"]]})
    assert result["notUpdated"][parent] == {"type": "invalidProperties", "properties": ["role"],
                                            "description": result["notUpdated"][parent]["description"]}
    assert result["updated"] == [child]
    assert result["notDestroyed"][roles["inbox"]]["type"] == "forbidden"
    assert draft.ok("setMailboxes", "mailboxesSet", {"destroy": [parent]})["notDestroyed"][parent]["type"] == \
        "mailboxHasChild"
    spam = draft.ok("getMailboxes", "mailboxes", {"ids": [roles["spam"]], "properties": ["role"]})["list"][0]
    assert spam["role"] == "spam"
    assert draft.rfc.ok("Mailbox/get", {"ids": [roles["spam"]], "properties": ["role"]})["list"][0]["role"] == "junk"


def test_destroying_a_mailbox_keeps_its_messages(draft):
    """draft §2.3.4: destroying a mailbox MUST NOT delete its messages: those in no other mailbox
    are added to the inbox; those also elsewhere just leave it."""
    roles = draft.roles()
    folder = draft.ok("setMailboxes", "mailboxesSet", {"create": {"f": {"name": "Folder"}}})["created"]["f"]["id"]
    only = draft.deliver(message("only here"), folder)
    both = draft.deliver(message("also archived"), folder)
    draft.ok("setMessages", "messagesSet", {"update": {both: {"mailboxIds": [folder, roles["archive"]]}}})
    result = draft.ok("setMailboxes", "mailboxesSet", {"destroy": [folder]})
    assert result["destroyed"] == [folder]
    got = draft.ok("getMessages", "messages", {"ids": [only, both], "properties": ["mailboxIds"]})
    assert got["notFound"] is None
    assert {m["id"]: m["mailboxIds"] for m in got["list"]} == {only: [roles["inbox"]], both: [roles["archive"]]}
    inbox = draft.ok("getMailboxes", "mailboxes", {"ids": [roles["inbox"]], "properties": ["totalMessages"]})
    assert inbox["list"][0]["totalMessages"] == 1
