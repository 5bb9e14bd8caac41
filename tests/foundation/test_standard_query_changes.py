"""The generic /queryChanges (RFC 8620 §5.6) as Mailbox/queryChanges (RFC 8621 §2.4)."""

from __future__ import annotations

import pytest

from jmapd.mail.counts import adjust_counts

# Query shapes a client might keep cached: (filter, sort).
SHAPES = [
    (None, None),
    (None, [{"property": "name"}]),
    (None, [{"property": "sortOrder", "isAscending": False}, {"property": "name"}]),
    ({"isSubscribed": True}, [{"property": "name", "isAscending": False}]),
    ({"hasAnyRole": False}, [{"property": "sortOrder"}, {"property": "name"}]),
    ({"operator": "OR", "conditions": [{"name": "o"}, {"role": "inbox"}]}, [{"property": "name"}]),
]




def query(client, filter_, sort, **args):
    return client.ok("Mailbox/query", {"filter": filter_, "sort": sort, **args})


def query_changes(client, filter_, sort, since, **args):
    return client.ok("Mailbox/queryChanges", {"filter": filter_, "sort": sort, "sinceQueryState": since, **args})


def error_type(client, args):
    name, result = client.call("Mailbox/queryChanges", args)
    assert name == "error", result
    return result["type"]


def splice(old, removed, added, total=None):
    """The client's update of a cached result list (RFC 8620 §5.6).

    Splice out every removed id it has, then splice in each added id at its index, lowest index first,
    then truncate or extend to the new total.
    """
    ids = [i for i in old if i not in set(removed)]
    for item in added:
        ids.insert(item["index"], item["id"])
    if total is not None:
        ids = (ids + [None] * total)[:total]
    return ids


def check_query_changes(client, filter_, sort, before):
    """queryChanges from `before` (a /query response) takes the old ids to exactly a fresh query's ids."""
    after = query(client, filter_, sort, calculateTotal=True)
    result = query_changes(client, filter_, sort, before["queryState"], calculateTotal=True)
    assert result["accountId"] == client.account_id
    assert result["oldQueryState"] == before["queryState"]
    assert result["newQueryState"] == after["queryState"]
    assert result["total"] == after["total"] == len(after["ids"])
    indexes = [item["index"] for item in result["added"]]
    assert indexes == sorted(indexes), "added MUST be sorted by index, lowest first"
    assert all(after["ids"][item["index"]] == item["id"] for item in result["added"])
    # removed MUST hold every id that left the results, added every id that joined them.
    assert set(before["ids"]) - set(after["ids"]) <= set(result["removed"])
    assert set(after["ids"]) - set(before["ids"]) <= {item["id"] for item in result["added"]}
    assert splice(before["ids"], result["removed"], result["added"], result["total"]) == after["ids"], (
        before["ids"], result, after["ids"])
    return result


def mutate(client, live):
    """Creates, renames (moving places in a name sort), moves, subscription flips, counts and destroys."""
    boxes = client.mailboxes()
    made = {name: client.create_mailbox(name, sortOrder=order) for name, order in
            (("Orders", 5), ("Bills", 50), ("Travel", 7), ("Zoo", 1))}
    client.mailbox_set_ok(update={made["Zoo"]: {"name": "Aardvarks"}})                        # to the front by name
    client.mailbox_set_ok(update={boxes["inbox"]["id"]: {"sortOrder": 1000}})                 # to the end by order
    client.mailbox_set_ok(update={boxes["sent"]["id"]: {"isSubscribed": False}})              # out of a filter
    client.mailbox_set_ok(update={made["Bills"]: {"parentId": made["Orders"]}})               # moved in the tree
    client.mailbox_set_ok(update={boxes["junk"]["id"]: {"name": "Spam folder"}})
    client.mailbox_set_ok(destroy=[boxes["trash"]["id"], made["Travel"]])
    live.server.store.write(lambda txn: adjust_counts(txn, client.account_id, boxes["drafts"]["id"],
                                                      {"totalEmails": 1}))


@pytest.mark.parametrize("filter_,sort", SHAPES)
def test_splicing_changes_gives_the_new_results(client, live, filter_, sort):
    """RFC 8620 §5.6: applying removed/added to the old results, as the RFC describes, gives the new results."""
    before = query(client, filter_, sort)
    mutate(client, live)
    result = check_query_changes(client, filter_, sort, before)
    assert result["removed"] or result["added"]


def test_changes_in_several_steps(client, live):
    """RFC 8620 §5.6: each queryState is a base for the next queryChanges; every step splices exactly."""
    filter_, sort = None, [{"property": "name"}]
    before = query(client, filter_, sort)
    for step in range(4):
        client.create_mailbox(f"Step {step}")
        if step % 2:
            client.mailbox_set_ok(update={before["ids"][0]: {"sortOrder": step}})
        check_query_changes(client, filter_, sort, before)
        before = query(client, filter_, sort)


def test_from_an_older_state(client, live):
    """RFC 8620 §5.6: changes can be calculated across several intermediate query states at once."""
    filter_, sort = {"hasAnyRole": False}, [{"property": "name", "isAscending": False}]
    before = query(client, filter_, sort)
    a = client.create_mailbox("Apple")
    query(client, filter_, sort)
    client.create_mailbox("Banana")
    client.mailbox_set_ok(update={a: {"name": "Cherry"}})
    check_query_changes(client, filter_, sort, before)


def test_no_changes(client):
    """RFC 8620 §5.6: from the current queryState nothing is removed or added."""
    before = query(client, None, [{"property": "name"}])
    result = query_changes(client, None, [{"property": "name"}], before["queryState"])
    assert result["removed"] == [] and result["added"] == []
    assert result["newQueryState"] == result["oldQueryState"] == before["queryState"]


def test_total_only_when_asked(client):
    """RFC 8620 §5.6: total MUST be omitted unless calculateTotal is true."""
    before = query(client, None, None)
    client.create_mailbox("New")
    assert "total" not in query_changes(client, None, None, before["queryState"])
    assert query_changes(client, None, None, before["queryState"], calculateTotal=True)["total"] == 8


def test_too_many_changes(client):
    """RFC 8620 §5.6: more changes than maxChanges (each removed or added item counts) is tooManyChanges."""
    before = query(client, None, [{"property": "name"}])
    for name in ("One", "Two", "Three"):
        client.create_mailbox(name)
    args = {"sort": [{"property": "name"}], "sinceQueryState": before["queryState"]}
    assert error_type(client, {**args, "maxChanges": 1}) == "tooManyChanges"
    result = client.ok("Mailbox/queryChanges", {**args, "maxChanges": 100})
    assert len(result["removed"]) + len(result["added"]) <= 100
    assert {item["id"] for item in result["added"]} >= set(query(client, None, [{"property": "name"}])["ids"]) - set(
        before["ids"])


@pytest.mark.parametrize("bad", ["", "nonsense", "-3", "99999999999999999999999"])
def test_bad_state_cannot_calculate_changes(client, bad):
    """RFC 8620 §5.6: a queryState the server cannot work from is cannotCalculateChanges."""
    assert error_type(client, {"sinceQueryState": bad}) == "cannotCalculateChanges"


def test_future_state_cannot_calculate_changes(client):
    """RFC 8620 §5.6: a queryState never given out is cannotCalculateChanges."""
    state = query(client, None, None)["queryState"]
    assert error_type(client, {"sinceQueryState": state + "7"}) == "cannotCalculateChanges"


def test_sort_as_tree_cannot_calculate_changes(client):
    """RFC 8620 §5.5/§5.6: when /query says canCalculateChanges is false, /queryChanges cannot follow it."""
    sort = [{"property": "name"}]
    before = client.ok("Mailbox/query", {"sort": sort, "sortAsTree": True})
    if before["canCalculateChanges"]:
        pytest.skip("the server can calculate changes for tree queries")
    client.create_mailbox("New")
    args = {"sort": sort, "sortAsTree": True, "sinceQueryState": before["queryState"]}
    assert error_type(client, args) == "cannotCalculateChanges"
    before = client.ok("Mailbox/query", {"filter": {"isSubscribed": True}, "filterAsTree": True})
    if not before["canCalculateChanges"]:
        args = {"filter": {"isSubscribed": True}, "filterAsTree": True, "sinceQueryState": before["queryState"]}
        assert error_type(client, args) == "cannotCalculateChanges"


def test_query_reports_can_calculate_changes_for_plain_queries(client):
    """RFC 8620 §5.5: canCalculateChanges is true when /queryChanges works for this filter and sort."""
    for filter_, sort in SHAPES:
        result = query(client, filter_, sort)
        assert result["canCalculateChanges"] is True
        client.create_mailbox(f"For {len(result['ids'])} {sort and sort[0]['property']} {filter_ is None}")
        check_query_changes(client, filter_, sort, result)


def test_up_to_id_keeps_the_splice_exact_for_the_cached_prefix(client):
    """RFC 8620 §5.6: with upToId the server MAY omit changes after it; the cached prefix stays exact."""
    sort = [{"property": "name"}]
    before = query(client, None, sort)
    cached = before["ids"][:3]
    client.create_mailbox("Aaa first")
    client.create_mailbox("Zzz last")
    result = query_changes(client, None, sort, before["queryState"], upToId=cached[-1])
    after = query(client, None, sort)["ids"]
    spliced = splice(cached, result["removed"], result["added"])
    # Everything up to the last cached id is now exactly the new results' prefix.
    assert cached[-1] in spliced
    upto = spliced.index(cached[-1]) + 1
    assert spliced[:upto] == after[:upto]


def test_account_not_found(client):
    """RFC 8620 §3.6.2: an unknown accountId is accountNotFound."""
    assert error_type(client, {"accountId": "nope", "sinceQueryState": "0"}) == "accountNotFound"
