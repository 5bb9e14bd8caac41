"""importMessages, copyMessages, reportMessages and getSearchSnippets (draft-jenkins-jmapmail-00
§5.4, §5.5, §5.6, §7)."""

from __future__ import annotations

from store.users import share_account

from .conftest import message


def test_import_messages(draft):
    """draft §5.4: uploaded RFC 5322 messages become Messages in the given mailboxes with the given
    flags; an unknown mailbox is invalidMailboxes, an unknown blob notFound, and a draft must go to
    the drafts or outbox mailbox."""
    roles = draft.roles()
    blob = draft.upload(message("Imported", body="From the archive.\n"))
    result = draft.ok("importMessages", "messagesImported", {"messages": {
        "ok": {"blobId": blob, "mailboxIds": [roles["archive"]], "isUnread": False, "isFlagged": True,
               "isAnswered": False, "isDraft": False},
        "nobox": {"blobId": blob, "mailboxIds": ["Mnope"], "isUnread": True, "isFlagged": False,
                  "isAnswered": False, "isDraft": False},
        "noblob": {"blobId": "Bnope", "mailboxIds": [roles["inbox"]], "isUnread": True, "isFlagged": False,
                   "isAnswered": False, "isDraft": False},
        "draft": {"blobId": blob, "mailboxIds": [roles["inbox"]], "isUnread": False, "isFlagged": False,
                  "isAnswered": False, "isDraft": True}}})
    created = result["created"]["ok"]
    assert set(created) == {"id", "blobId", "threadId", "size"}
    assert {k: v["type"] for k, v in result["notCreated"].items()} == {
        "nobox": "invalidMailboxes", "noblob": "notFound", "draft": "invalidMailboxes"}
    shown = draft.ok("getMessages", "messages", {"ids": [created["id"]], "properties": [
        "subject", "mailboxIds", "isUnread", "isFlagged", "isDraft"]})["list"][0]
    assert shown == {"id": created["id"], "subject": "Imported", "mailboxIds": [roles["archive"]],
                     "isUnread": False, "isFlagged": True, "isDraft": False}


def test_copy_within_an_account(draft):
    """draft §5.5: "The from account may be the same as the to account": the copy is a new message
    (new id) in the given mailboxes with the given flags, the original unchanged."""
    roles = draft.roles()
    original = draft.deliver(message("Keep a copy"), roles["inbox"])
    result = draft.ok("copyMessages", "messagesCopied", {"messages": {
        "c": {"messageId": original, "mailboxIds": [roles["archive"]], "isUnread": False, "isFlagged": True,
              "isAnswered": False, "isDraft": False},
        "gone": {"messageId": "Enope", "mailboxIds": [roles["archive"]], "isUnread": False, "isFlagged": False,
                 "isAnswered": False, "isDraft": False}}})
    assert result["fromAccountId"] == result["toAccountId"] == draft.account_id
    copy = result["created"]["c"]
    assert copy["id"] != original and result["notCreated"]["gone"]["type"] == "notFound"
    got = draft.ok("getMessages", "messages", {"ids": [original, copy["id"]],
                                               "properties": ["subject", "mailboxIds", "isFlagged", "date"]})
    by_id = {m["id"]: m for m in got["list"]}
    assert by_id[copy["id"]]["mailboxIds"] == [roles["archive"]] and by_id[copy["id"]]["isFlagged"] is True
    assert by_id[original]["mailboxIds"] == [roles["inbox"]] and by_id[original]["isFlagged"] is False
    assert by_id[copy["id"]]["date"] == by_id[original]["date"]


def test_copy_between_accounts(make_draft, live):
    """draft §5.5: a copy to another account the user may use; the errors for unknown accounts are
    fromAccountNotFound and toAccountNotFound, and a read-only target is accountReadOnly."""
    owner, other = make_draft(), make_draft()
    live.server.store.write(lambda txn: share_account(txn, owner.rfc.username, other.rfc.username, read_only=False))
    original = other.deliver(message("Shared"), other.roles()["inbox"])
    owner_inbox = owner.roles()["inbox"]
    result = other.ok("copyMessages", "messagesCopied", {"fromAccountId": None, "toAccountId": owner.account_id,
                                                         "messages": {"x": {"messageId": original,
                                                                            "mailboxIds": [owner_inbox],
                                                                            "isUnread": True, "isFlagged": False,
                                                                            "isAnswered": False, "isDraft": False}}})
    assert result["notCreated"] is None and result["toAccountId"] == owner.account_id
    copied = owner.ok("getMessages", "messages", {"ids": [result["created"]["x"]["id"]], "properties": ["subject"]})
    assert copied["list"][0]["subject"] == "Shared"
    assert other.error("copyMessages", {"fromAccountId": "nobody", "messages": {}}) == "fromAccountNotFound"
    assert other.error("copyMessages", {"toAccountId": "nobody", "messages": {}}) == "toAccountNotFound"


def test_report_messages(draft):
    """draft §5.6: reported ids and notFound; reporting MUST NOT change the messages (no state
    change, no move to or from the spam mailbox)."""
    roles = draft.roles()
    email_id = draft.deliver(message("Buy now"), roles["inbox"])
    state = draft.ok("getMessages", "messages", {"ids": []})["state"]
    result = draft.ok("reportMessages", "messagesReported", {"messageIds": [email_id, "Enope"], "asSpam": True})
    assert result == {"accountId": draft.account_id, "asSpam": True, "reported": [email_id], "notFound": ["Enope"]}
    assert draft.ok("getMessages", "messages", {"ids": [email_id], "properties": ["mailboxIds"]}) == {
        "accountId": draft.account_id, "state": state, "list": [{"id": email_id, "mailboxIds": [roles["inbox"]]}],
        "notFound": None}
    assert draft.error("reportMessages", {"messageIds": [email_id]}) == "invalidArguments"


def test_get_search_snippets(draft):
    """draft §7.1: snippets by messageId, the filter's words marked in the subject and body preview,
    null where nothing matched; unknown ids in notFound; a bad filter is cannotDoFilter."""
    roles = draft.roles()
    hit = draft.deliver(message("Quarterly figures", body="The figures for the quarter are attached.\n"),
                        roles["inbox"])
    other = draft.deliver(message("Lunch", body="Nothing relevant.\n"), roles["inbox"])
    result = draft.ok("getSearchSnippets", "searchSnippets", {"messageIds": [hit, other, "Enope"],
                                                              "filter": {"text": "figures"}})
    assert result["filter"] == {"text": "figures"} and result["notFound"] == ["Enope"]
    by_id = {s["messageId"]: s for s in result["list"]}
    assert by_id[hit]["subject"] == "Quarterly <mark>figures</mark>"
    assert "<mark>figures</mark>" in by_id[hit]["preview"]
    assert by_id[other]["subject"] is None
    assert draft.error("getSearchSnippets", {"messageIds": [hit], "filter": {"colour": "red"}}) == "cannotDoFilter"
