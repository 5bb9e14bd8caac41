"""The generic /changes (RFC 8620 §5.2) as Mailbox/changes (RFC 8621 §2.2), and the §2.6 example."""

from __future__ import annotations

import pytest

from jmapd.mail.counts import adjust_counts

COUNTS = {"totalEmails", "unreadEmails", "totalThreads", "unreadThreads"}




def state(client):
    return client.ok("Mailbox/get", {"ids": []})["state"]


def changes(client, since, **args):
    return client.ok("Mailbox/changes", {"sinceState": since, **args})


def error_type(client, args):
    name, result = client.call("Mailbox/changes", args)
    assert name == "error", result
    return result["type"]


def email_arrives(live, client, mailbox_id, **deltas):
    """What delivering or flagging an Email does to a mailbox: its counts move, nothing else."""
    live.server.store.write(lambda txn: adjust_counts(txn, client.account_id, mailbox_id, deltas))


def test_no_changes(client):
    """RFC 8620 §5.2: from the current state there is nothing to report and newState is that state."""
    now = state(client)
    result = changes(client, now)
    assert result["accountId"] == client.account_id
    assert (result["oldState"], result["newState"], result["hasMoreChanges"]) == (now, now, False)
    assert (result["created"], result["updated"], result["destroyed"]) == ([], [], [])


def test_created_updated_destroyed(client):
    """RFC 8620 §5.2: ids created, updated and destroyed since the old state are listed as such."""
    kept, renamed, gone = client.create_mailbox("Kept"), client.create_mailbox("Renamed"), client.create_mailbox("Gone")
    since = state(client)
    fresh = client.create_mailbox("Fresh")
    client.mailbox_set_ok(update={renamed: {"name": "Renamed again"}})
    client.mailbox_set_ok(destroy=[gone])
    result = changes(client, since)
    assert result["oldState"] == since and result["newState"] == state(client)
    assert result["hasMoreChanges"] is False
    assert result["created"] == [fresh]
    assert result["updated"] == [renamed]
    assert result["destroyed"] == [gone]
    assert kept not in result["created"] + result["updated"] + result["destroyed"]


def test_created_and_destroyed_is_omitted(client):
    """RFC 8620 §5.2: a record created AND destroyed since the old state SHOULD be left out entirely."""
    since = state(client)
    ephemeral = client.create_mailbox("Ephemeral")
    client.mailbox_set_ok(update={ephemeral: {"sortOrder": 4}})
    client.mailbox_set_ok(destroy=[ephemeral])
    result = changes(client, since)
    assert ephemeral not in result["created"] + result["updated"] + result["destroyed"]


def test_created_and_updated_is_only_created(client):
    """RFC 8620 §5.2: a record created AND updated since the old state SHOULD only be in created."""
    since = state(client)
    made = client.create_mailbox("Made")
    client.mailbox_set_ok(update={made: {"name": "Made and renamed", "sortOrder": 8}})
    result = changes(client, since)
    assert result["created"] == [made] and result["updated"] == [] and result["destroyed"] == []


def test_updated_and_destroyed_is_only_destroyed(client):
    """RFC 8620 §5.2: a record updated AND destroyed since the old state SHOULD only be in destroyed."""
    doomed = client.create_mailbox("Doomed")
    since = state(client)
    client.mailbox_set_ok(update={doomed: {"name": "Doomed twice"}})
    client.mailbox_set_ok(destroy=[doomed])
    result = changes(client, since)
    assert result["destroyed"] == [doomed] and result["updated"] == [] and result["created"] == []


def test_each_id_listed_once(client):
    """RFC 8620 §5.2: many updates of one record report its id once."""
    target = client.create_mailbox("Target")
    since = state(client)
    for order in range(1, 5):
        client.mailbox_set_ok(update={target: {"sortOrder": order}})
    result = changes(client, since)
    assert result["updated"] == [target]


def sync(client, since, cache, max_changes):
    """Page through /changes as a client does, keeping a cache of records; returns the final state.

    Checks on the way that no page exceeds maxChanges and the ordering rules of RFC 8620 §5.2.
    """
    seen: dict[str, list[str]] = {}
    for _ in range(100):
        result = changes(client, since, maxChanges=max_changes)
        assert result["oldState"] == since
        ids = result["created"] + result["updated"] + result["destroyed"]
        assert len(ids) <= max_changes, result
        assert len(set(ids)) == len(ids), result
        for kind in ("created", "updated", "destroyed"):
            for record_id in result[kind]:
                history = seen.setdefault(record_id, [])
                if kind == "created":
                    assert not history, (record_id, history)  # never created after updated/destroyed
                assert "destroyed" not in history, (record_id, history)  # nothing after destroyed
                history.append(kind)
        fetch = result["created"] + result["updated"]
        if fetch:
            for record in client.ok("Mailbox/get", {"ids": fetch})["list"]:
                cache[record["id"]] = record
        for record_id in result["destroyed"]:
            cache.pop(record_id, None)
        since = result["newState"]
        if not result["hasMoreChanges"]:
            return since
    raise AssertionError("hasMoreChanges never became false")


@pytest.mark.parametrize("max_changes", [1, 2, 3])
def test_max_changes_pages_reconstruct_everything(client, max_changes):
    """RFC 8620 §5.2: with maxChanges the server returns intermediate states until hasMoreChanges is false;
    applying every page to a cache yields exactly the server's records, in its current state."""
    boxes = client.mailboxes()
    start = client.ok("Mailbox/get", {"ids": None})
    cache = {m["id"]: m for m in start["list"]}
    a, b, c = client.create_mailbox("A"), client.create_mailbox("B"), client.create_mailbox("C")
    client.mailbox_set_ok(update={a: {"name": "A2"}})
    client.mailbox_set_ok(destroy=[b])
    d = client.create_mailbox("D", parentId=c)
    client.mailbox_set_ok(update={d: {"sortOrder": 3}})
    client.mailbox_set_ok(update={boxes["drafts"]["id"]: {"name": "Entwürfe"}})
    e = client.create_mailbox("E")
    client.mailbox_set_ok(destroy=[e])
    client.mailbox_set_ok(update={boxes["junk"]["id"]: {"isSubscribed": False}})
    client.mailbox_set_ok(destroy=[boxes["trash"]["id"]])
    final = sync(client, start["state"], cache, max_changes)
    current = client.ok("Mailbox/get", {"ids": None})
    assert final == current["state"]
    assert cache == {m["id"]: m for m in current["list"]}


def test_max_changes_smaller_than_changes_sets_has_more(client):
    """RFC 8620 §5.2: more changes than maxChanges gives an intermediate newState and hasMoreChanges true."""
    since = state(client)
    for name in ("One", "Two", "Three"):
        client.create_mailbox(name)
    first = changes(client, since, maxChanges=1)
    assert first["hasMoreChanges"] is True
    assert len(first["created"] + first["updated"] + first["destroyed"]) == 1
    assert first["newState"] != since and first["newState"] != state(client)
    everything = changes(client, since, maxChanges=10)
    assert everything["hasMoreChanges"] is False and len(everything["created"]) == 3


@pytest.mark.parametrize("bad", [0, -1, -100])
def test_max_changes_must_be_positive(client, bad):
    """RFC 8620 §5.2: maxChanges, if supplied, MUST be greater than 0, else invalidArguments."""
    assert error_type(client, {"sinceState": state(client), "maxChanges": bad}) == "invalidArguments"


def test_max_changes_null_is_allowed(client):
    """RFC 8620 §5.2: maxChanges may be null; the server then chooses how many to return."""
    since = state(client)
    client.create_mailbox("X")
    assert len(changes(client, since, maxChanges=None)["created"]) == 1


@pytest.mark.parametrize("bad", ["", "garbage", "-1", "1.5", "99999999999999999999999", "1" + "0" * 18])
def test_unknown_state_cannot_calculate_changes(client, bad):
    """RFC 8620 §5.2: a state the server cannot calculate changes from is cannotCalculateChanges."""
    assert error_type(client, {"sinceState": bad}) == "cannotCalculateChanges"


def test_state_never_given_out(client):
    """RFC 8620 §5.2: a state string the server never gave out is not a basis for changes."""
    client.create_mailbox("Moves the state")
    now = state(client)
    assert error_type(client, {"sinceState": now + "0"}) == "cannotCalculateChanges"


def test_account_not_found(client):
    """RFC 8620 §3.6.2: an unknown accountId is accountNotFound."""
    assert error_type(client, {"accountId": "nope", "sinceState": state(client)}) == "accountNotFound"


# -- updatedProperties (RFC 8621 §2.2) -------------------------------------------------------------

def test_updated_properties_null_when_names_change(client):
    """RFC 8621 §2.2: updatedProperties lists properties only when just the counts changed; else null."""
    target = client.create_mailbox("Target")
    since = state(client)
    client.mailbox_set_ok(update={target: {"name": "Other"}})
    result = changes(client, since)
    assert result["updated"] == [target]
    assert result["updatedProperties"] is None


def test_updated_properties_lists_counts(client, live):
    """RFC 8621 §2.2: if only the count properties changed, updatedProperties lists those that may have."""
    inbox = client.mailboxes()["inbox"]["id"]
    since = state(client)
    email_arrives(live, client, inbox, totalEmails=1, unreadEmails=1, totalThreads=1, unreadThreads=1)
    result = changes(client, since)
    assert result["updated"] == [inbox]
    assert result["updatedProperties"] is not None
    assert {"totalEmails", "unreadEmails"} <= set(result["updatedProperties"]) <= COUNTS


def test_updated_properties_null_when_counts_and_names_change(client, live):
    """RFC 8621 §2.2: when anything but counts changed in the window, updatedProperties MUST be null."""
    boxes = client.mailboxes()
    since = state(client)
    email_arrives(live, client, boxes["inbox"]["id"], totalEmails=1)
    client.mailbox_set_ok(update={boxes["archive"]["id"]: {"name": "Old stuff"}})
    assert changes(client, since)["updatedProperties"] is None
    since = state(client)
    email_arrives(live, client, boxes["archive"]["id"], totalEmails=1)
    client.mailbox_set_ok(update={boxes["archive"]["id"]: {"sortOrder": 99}})
    assert changes(client, since)["updatedProperties"] is None


def test_counts_of_new_mailbox_do_not_make_it_updated(client, live):
    """RFC 8620 §5.2: a record created since the old state is only in created, whatever happened after."""
    since = state(client)
    made = client.create_mailbox("Made")
    email_arrives(live, client, made, totalEmails=2)
    result = changes(client, since)
    assert result["created"] == [made] and result["updated"] == []


def test_rfc8621_section_2_6_example(client, live):
    """RFC 8621 §2.6: Mailbox/changes then Mailbox/get with #ids and #properties back-references."""
    account = client.account_id
    listed = client.ok("Mailbox/get", {"accountId": account, "ids": None})
    boxes = {m["role"]: m for m in listed["list"]}
    inbox = boxes["inbox"]["id"]
    email_arrives(live, client, inbox, totalEmails=3, unreadEmails=2, totalThreads=2, unreadThreads=1)

    calls = [
        ["Mailbox/changes", {"accountId": account, "sinceState": listed["state"]}, "0"],
        ["Mailbox/get", {"accountId": account,
                         "#ids": {"resultOf": "0", "name": "Mailbox/changes", "path": "/created"}}, "1"],
        ["Mailbox/get", {"accountId": account,
                         "#ids": {"resultOf": "0", "name": "Mailbox/changes", "path": "/updated"},
                         "#properties": {"resultOf": "0", "name": "Mailbox/changes",
                                         "path": "/updatedProperties"}}, "2"],
    ]
    (n0, changed, c0), (n1, created, c1), (n2, updated, c2) = client.request(calls)["methodResponses"]
    assert (n0, n1, n2, c0, c1, c2) == ("Mailbox/changes", "Mailbox/get", "Mailbox/get", "0", "1", "2")
    assert changed["oldState"] == listed["state"] and changed["hasMoreChanges"] is False
    assert (changed["created"], changed["updated"], changed["destroyed"]) == ([], [inbox], [])
    assert changed["updatedProperties"] is not None and set(changed["updatedProperties"]) <= COUNTS
    assert created["list"] == [] and created["notFound"] == []
    assert created["state"] == updated["state"] == changed["newState"]
    (record,) = updated["list"]
    assert set(record) == {"id", *changed["updatedProperties"]}
    expected = {"totalEmails": 3, "unreadEmails": 2, "totalThreads": 2, "unreadThreads": 1}
    assert record == {"id": inbox, **{p: expected[p] for p in changed["updatedProperties"]}}

    # The example's /set: rename one mailbox and try to destroy the inbox (no permission).
    other = boxes["archive"]["id"]
    (name, result, _), = client.request([["Mailbox/set", {
        "accountId": account, "ifInState": changed["newState"],
        "update": {other: {"name": "Maybe important mail"}},
        "destroy": [inbox],
    }, "0"]])["methodResponses"]
    assert name == "Mailbox/set"
    assert result["oldState"] == changed["newState"] and result["newState"] != result["oldState"]
    assert result["updated"] == {other: None}
    assert result["notDestroyed"][inbox]["type"] == "forbidden"

    # The same round now finds a rename: updatedProperties is null, so the whole record comes back.
    calls[0][1]["sinceState"] = changed["newState"]
    (_, changed, _), (_, created, _), (_, updated, _) = client.request(calls)["methodResponses"]
    assert changed["updated"] == [other] and changed["updatedProperties"] is None
    assert created["list"] == []
    (record,) = updated["list"]
    assert record["name"] == "Maybe important mail" and "myRights" in record and "sortOrder" in record
