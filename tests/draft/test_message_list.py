"""getMessageList and getMessageListUpdates (draft-jenkins-jmapmail-00 §3): filtering, sorting,
thread collapsing, windowing, the implicit fetches, and delta updates."""

from __future__ import annotations

import pytest

from .conftest import DraftClient, message


@pytest.fixture(scope="module")
def mailbox(live, client_type):
    """An inbox of six messages in four threads, arriving a day apart (oldest first):
    a1 <- a2 (a reply), b1, c1 (flagged, read), d1 <- d2 (read); and one archived message."""
    live.add_user("lister", "pw", "lister@example.test")
    draft = DraftClient(client_type(live.url, "lister", "pw"))
    roles = draft.roles()
    inbox, archive = roles["inbox"], roles["archive"]
    ids = {}
    specs = [("a1", "Apples", None, {}), ("a2", "Re: Apples", "a1", {}), ("b1", "Bananas", None, {}),
             ("c1", "Cherries", None, {"flagged": True, "unread": False}), ("d1", "Dates", None, {}),
             ("d2", "Re: Dates", "d1", {"unread": False})]
    for day, (key, subject, parent, flags) in enumerate(specs, start=1):
        raw = message(subject, msgid=f"{key}@lister.test", in_reply_to=parent and f"{parent}@lister.test",
                      date=f"Fri, {day:02d} May 2020 10:00:00 +0000", body=f"The {key} message about {subject}.\n")
        blob = draft.upload(raw)
        keywords = {k: True for k, on in (("$seen", not flags.get("unread", True)),
                                          ("$flagged", flags.get("flagged", False))) if on}
        created = draft.rfc.ok("Email/import", {"emails": {"m": {
            "blobId": blob, "mailboxIds": {inbox: True}, "keywords": keywords,
            "receivedAt": f"2020-05-{day:02d}T10:00:00Z"}}})["created"]["m"]
        ids[key] = created["id"]
    ids["x1"] = draft.deliver(message("Elsewhere", body="An archived message.\n"), archive)
    yield draft, ids, roles
    draft.rfc.close()


def listing(draft, **args):
    return draft.ok("getMessageList", "messageList", args)


def test_fetch_threads_and_messages_in_order(mailbox):
    """draft §3.1: with fetchThreads and fetchMessages the response is messageList, then threads,
    then messages, all under the call's clientId; the messages are those of the listed threads."""
    draft, ids, roles = mailbox
    responses = draft.send([["getMessageList", {
        "filter": {"inMailboxes": [roles["inbox"]]}, "sort": ["date desc"], "collapseThreads": True,
        "position": 0, "limit": 2, "fetchThreads": True, "fetchMessages": True,
        "fetchMessageProperties": ["threadId", "subject", "isUnread"]}, "#1"]])
    assert [r[0] for r in responses] == ["messageList", "threads", "messages"]
    assert {r[2] for r in responses} == {"#1"}
    listed, threads, messages = (r[1] for r in responses)
    assert listed["messageIds"] == [ids["d2"], ids["c1"]] and listed["total"] == 4
    assert listed["collapseThreads"] is True and listed["sort"] == ["date desc"]
    assert [t["id"] for t in threads["list"]] == listed["threadIds"]
    assert threads["list"][0]["messageIds"] == [ids["d1"], ids["d2"]]
    assert {m["id"] for m in messages["list"]} == {ids["d1"], ids["d2"], ids["c1"]}
    assert all(set(m) == {"id", "threadId", "subject", "isUnread"} for m in messages["list"])


def test_fetch_messages_and_snippets(mailbox):
    """draft §3.1: fetchMessages without fetchThreads fetches the listed messages; the search
    snippets come after any other implicit call, for the same filter."""
    draft, ids, roles = mailbox
    responses = draft.send([["getMessageList", {
        "filter": {"text": "bananas"}, "fetchMessages": True, "fetchMessageProperties": ["subject"],
        "fetchSearchSnippets": True}, "s"]])
    assert [r[0] for r in responses] == ["messageList", "messages", "searchSnippets"]
    assert responses[0][1]["messageIds"] == [ids["b1"]]
    assert responses[1][1]["list"] == [{"id": ids["b1"], "subject": "Bananas"}]
    snippet = responses[2][1]["list"][0]
    assert snippet["messageId"] == ids["b1"] and "<mark>" in snippet["subject"]
    assert responses[2][1]["filter"] == {"text": "bananas"}


@pytest.mark.parametrize("condition, expected", [
    ({}, ["d2", "d1", "c1", "b1", "a2", "a1"]),
    ({"isUnread": True}, ["d1", "b1", "a2", "a1"]),
    ({"isFlagged": True}, ["c1"]),
    ({"isFlagged": False, "isUnread": False}, ["d2"]),
    ({"threadIsUnread": False}, ["c1"]),
    ({"threadIsUnread": True}, ["d2", "d1", "b1", "a2", "a1"]),
    ({"threadIsFlagged": True}, ["c1"]),
    ({"after": "2020-05-05T10:00:00Z"}, ["d2", "d1"]),
    ({"before": "2020-05-02T10:00:00Z"}, ["a1"]),
    ({"subject": "dates", "isUnread": False}, ["d2"]),
    ({"header": ["In-Reply-To"]}, ["d2", "a2"]),
])
def test_filter_conditions(mailbox, condition, expected):
    """draft §3.1.1: the FilterCondition properties, each on the message (or, threadIs*, its thread),
    several in one condition all applying."""
    draft, ids, roles = mailbox
    got = listing(draft, filter={"inMailboxes": [roles["inbox"]], **condition}, sort=["date desc"])
    assert got["messageIds"] == [ids[k] for k in expected]


def test_filter_operators_and_mailboxes(mailbox):
    """draft §3.1.1: inMailboxes (all of them), notInMailboxes (none of them) and the AND/OR/NOT
    operators."""
    draft, ids, roles = mailbox
    got = listing(draft, filter={"notInMailboxes": [roles["inbox"]]})
    assert got["messageIds"] == [ids["x1"]]
    got = listing(draft, filter={"inMailboxes": [roles["inbox"], roles["archive"]]})
    assert got["messageIds"] == [] and got["total"] == 0
    got = listing(draft, filter={"operator": "OR", "conditions": [{"subject": "apples"}, {"isFlagged": True}]},
                  sort=["date asc"])
    assert got["messageIds"] == [ids["a1"], ids["a2"], ids["c1"]]
    got = listing(draft, filter={"operator": "NOT", "conditions": [{"inMailboxes": [roles["inbox"]]}]})
    assert got["messageIds"] == [ids["x1"]]


@pytest.mark.parametrize("sort, expected", [
    (["date asc"], ["a1", "a2", "b1", "c1", "d1", "d2"]),
    (["subject asc", "date desc"], ["a2", "a1", "b1", "c1", "d2", "d1"]),
    (["isUnread desc", "date asc"], ["a1", "a2", "b1", "d1", "c1", "d2"]),
    (["isFlagged desc", "date asc"], ["c1", "a1", "a2", "b1", "d1", "d2"]),
    (["threadIsUnread asc", "date asc"], ["c1", "a1", "a2", "b1", "d1", "d2"]),
])
def test_sorts(mailbox, sort, expected):
    """draft §3.1.2: a list of "property asc|desc"; later properties break ties; subject ignores
    Re:, booleans sort false first when ascending."""
    draft, ids, roles = mailbox
    got = listing(draft, filter={"inMailboxes": [roles["inbox"]]}, sort=sort)
    assert got["messageIds"] == [ids[k] for k in expected]


def test_sort_by_id_is_stable(mailbox):
    """draft §3.1.2: id MUST be supported for sorting."""
    draft, ids, roles = mailbox
    got = listing(draft, filter={"inMailboxes": [roles["inbox"]]}, sort=["id asc"])
    assert got["messageIds"] == sorted(got["messageIds"]) and len(got["messageIds"]) == 6
    assert listing(draft, filter={"inMailboxes": [roles["inbox"]]}, sort=["id desc"])["messageIds"] == \
        got["messageIds"][::-1]


def test_windowing(mailbox):
    """draft §3.1.4: position and limit; an anchor with an anchorOffset (the anchor's index relative
    to the first result, so -1 starts just after it), clamped at 0; position ignored with an anchor."""
    draft, ids, roles = mailbox
    base = {"filter": {"inMailboxes": [roles["inbox"]]}, "sort": ["date asc"]}
    got = listing(draft, **base, position=2, limit=2)
    assert got["messageIds"] == [ids["b1"], ids["c1"]] and got["position"] == 2 and got["total"] == 6
    assert got["threadIds"][0] != got["threadIds"][1]
    got = listing(draft, **base, anchor=ids["b1"], anchorOffset=-1, limit=2, position=5)
    assert got["messageIds"] == [ids["c1"], ids["d1"]] and got["position"] == 3
    got = listing(draft, **base, anchor=ids["b1"], anchorOffset=1, limit=2)
    assert got["messageIds"] == [ids["a2"], ids["b1"]]
    got = listing(draft, **base, anchor=ids["a2"], anchorOffset=5, limit=1)
    assert got["position"] == 0
    assert listing(draft, **base, position=10)["messageIds"] == []


def test_a_page_asked_again_is_the_same(mailbox):
    """draft §3.1.5: at one state the list is the same; asked again (as a client refreshing its view
    does), it is answered alike, and a change of state is seen at once."""
    draft, ids, roles = mailbox
    args = {"filter": {"inMailboxes": [roles["inbox"]]}, "sort": ["date desc"], "collapseThreads": True, "limit": 3}
    first, again = listing(draft, **args), listing(draft, **args)
    assert first == again and first["messageIds"] == [ids["d2"], ids["c1"], ids["b1"]]
    draft.ok("setMessages", "messagesSet", {"update": {ids["b1"]: {"isFlagged": True}}})
    moved = listing(draft, **args)
    assert moved["state"] != first["state"] and moved["messageIds"] == first["messageIds"]
    draft.ok("setMessages", "messagesSet", {"update": {ids["b1"]: {"isFlagged": False}}})


def test_collapse_threads(mailbox):
    """draft §3.1.3: each thread once, at its first message's place."""
    draft, ids, roles = mailbox
    got = listing(draft, filter={"inMailboxes": [roles["inbox"]]}, sort=["date asc"], collapseThreads=True)
    assert got["messageIds"] == [ids["a1"], ids["b1"], ids["c1"], ids["d1"]] and got["total"] == 4
    assert len(set(got["threadIds"])) == 4


def test_errors(mailbox):
    """draft §3.1, §3.1.5: negative position or limit and a malformed sort are invalidArguments, an
    unknown sort property unsupportedSort, an unknown condition cannotDoFilter, a missing anchor
    anchorNotFound."""
    draft, ids, roles = mailbox
    assert draft.error("getMessageList", {"position": -1}) == "invalidArguments"
    assert draft.error("getMessageList", {"limit": -5}) == "invalidArguments"
    assert draft.error("getMessageList", {"sort": ["date"]}) == "invalidArguments"
    assert draft.error("getMessageList", {"sort": ["colour asc"]}) == "unsupportedSort"
    assert draft.error("getMessageList", {"filter": {"isPurple": True}}) == "cannotDoFilter"
    assert draft.error("getMessageList", {"filter": {"inMailboxes": "x"}}) == "invalidArguments"
    assert draft.error("getMessageList", {"anchor": "Enope"}) == "anchorNotFound"
    assert draft.error("getMessageList", {"filter": {"isUnread": "yes"}}) == "invalidArguments"


def test_message_list_updates(make_draft):
    """draft §3.2: removed and added items (messageId, threadId, and for added the index) take a
    cached list from the old state to the new; the response echoes filter, sort, collapseThreads
    and uptoMessageId, and gives the total; too small a maxChanges is tooManyChanges."""
    draft = make_draft()
    inbox = draft.roles()["inbox"]
    first = draft.deliver(message("first"), inbox)
    second = draft.deliver(message("second"), inbox)
    args = {"filter": {"inMailboxes": [inbox], "isUnread": True}, "sort": ["date desc"]}
    before = draft.ok("getMessageList", "messageList", args)
    threads = dict(zip(before["messageIds"], before["threadIds"]))
    draft.ok("setMessages", "messagesSet", {"update": {first: {"isUnread": False}}})
    third = draft.deliver(message("third"), inbox)
    updates = draft.ok("getMessageListUpdates", "messageListUpdates",
                       {**args, "sinceState": before["state"], "uptoMessageId": second})
    assert updates["oldState"] == before["state"] and updates["uptoMessageId"] == second
    assert updates["filter"] == args["filter"] and updates["sort"] == args["sort"] and updates["total"] == 2
    assert {"messageId": first, "threadId": threads[first]} in updates["removed"]
    assert [a["messageId"] for a in updates["added"]] == [third]
    assert updates["added"][0]["index"] == 0 and updates["added"][0]["threadId"]
    cached = [m for m in before["messageIds"] if m not in {r["messageId"] for r in updates["removed"]}]
    for item in updates["added"]:
        cached.insert(item["index"], item["messageId"])
    assert cached == draft.ok("getMessageList", "messageList", args)["messageIds"] == [third, second]
    assert draft.error("getMessageListUpdates", {**args, "sinceState": before["state"], "maxChanges": 1}) == \
        "tooManyChanges"
    assert draft.error("getMessageListUpdates", {**args}) == "invalidArguments"
