"""Mailbox/query (RFC 8621 §2.3) over the generic /query (RFC 8620 §5.5)."""

from __future__ import annotations

import pytest

from jmapd.protocol.capabilities import CORE

# A small tree beside the seven mailboxes every account starts with (all top-level, all with a role):
#
#   Alpha (20)            Zeta (10, unsubscribed)
#   ├── beta (5)          └── eta (0)
#   └── Gamma (5, unsubscribed)
#       └── delta (1)
TREE = {
    "Alpha": {"sortOrder": 20},
    "beta": {"parentId": "#Alpha", "sortOrder": 5},
    "Gamma": {"parentId": "#Alpha", "sortOrder": 5, "isSubscribed": False},
    "delta": {"parentId": "#Gamma", "sortOrder": 1},
    "Zeta": {"sortOrder": 10, "isSubscribed": False},
    "eta": {"parentId": "#Zeta", "sortOrder": 0},
}
OURS = {"hasAnyRole": False}


@pytest.fixture
def tree(client):
    """Creates TREE; returns {name: id} for its mailboxes and the account's own (by role)."""
    result = client.ok("Mailbox/set", {"create": {name: {"name": name, **props} for name, props in TREE.items()}})
    assert not result.get("notCreated"), result
    ids = {name: created["id"] for name, created in result["created"].items()}
    ids.update({role: m["id"] for role, m in client.mailboxes().items() if m["role"]})
    return ids


def query(client, **args):
    return client.ok("Mailbox/query", args)


def names(client, tree, **args):
    by_id = {v: k for k, v in tree.items()}
    return [by_id[i] for i in query(client, **args)["ids"]]


def error_type(client, args):
    name, result = client.call("Mailbox/query", args)
    assert name == "error", result
    return result["type"]


def everything(client):
    return {m["id"]: m for m in client.ok("Mailbox/get", {"ids": None})["list"]}


def collations(client):
    return client.session["capabilities"][CORE]["collationAlgorithms"]


# -- filters ---------------------------------------------------------------------------------------

def test_no_filter_returns_every_mailbox(client, tree):
    """RFC 8620 §5.5: a null filter includes every record of the type."""
    assert set(query(client)["ids"]) == set(everything(client))
    assert set(query(client, filter=None)["ids"]) == set(everything(client))


def test_empty_condition_matches_everything(client, tree):
    """RFC 8621 §2.3: a FilterCondition with zero properties is true for all objects."""
    assert set(query(client, filter={})["ids"]) == set(everything(client))


def test_filter_parent_id(client, tree):
    """RFC 8621 §2.3: parentId must match exactly; null selects the top-level mailboxes."""
    assert set(names(client, tree, filter={"parentId": tree["Alpha"]})) == {"beta", "Gamma"}
    assert set(names(client, tree, filter={"parentId": tree["Gamma"]})) == {"delta"}
    assert names(client, tree, filter={"parentId": tree["delta"]}) == []
    top = {m["id"] for m in everything(client).values() if m["parentId"] is None}
    assert set(query(client, filter={"parentId": None})["ids"]) == top
    assert set(names(client, tree, filter={"parentId": None, **OURS})) == {"Alpha", "Zeta"}


def test_filter_name_contains(client, tree):
    """RFC 8621 §2.3: the name property contains the given string."""
    assert set(names(client, tree, filter={"name": "eta"})) == {"beta", "Zeta", "eta"}
    assert set(names(client, tree, filter={"name": "Alpha"})) == {"Alpha"}
    assert names(client, tree, filter={"name": "no mailbox has this"}) == []
    every = set(everything(client))
    assert set(query(client, filter={"name": ""})["ids"]) == every


def test_filter_role(client, tree):
    """RFC 8621 §2.3: role must match the given value exactly; null matches mailboxes without a role."""
    assert names(client, tree, filter={"role": "inbox"}) == ["inbox"]
    assert names(client, tree, filter={"role": "trash"}) == ["trash"]
    assert names(client, tree, filter={"role": "flagged"}) == []
    assert set(names(client, tree, filter={"role": None})) == set(TREE)


def test_filter_has_any_role(client, tree):
    """RFC 8621 §2.3: hasAnyRole true matches mailboxes with a non-null role; false the others."""
    assert set(names(client, tree, filter={"hasAnyRole": True})) == {
        "inbox", "drafts", "sent", "archive", "junk", "trash", "outbox"}
    assert set(names(client, tree, filter={"hasAnyRole": False})) == set(TREE)


def test_filter_is_subscribed(client, tree):
    """RFC 8621 §2.3: isSubscribed must be identical to the given value."""
    assert set(names(client, tree, filter={"isSubscribed": False})) == {"Gamma", "Zeta"}
    assert set(names(client, tree, filter={"isSubscribed": True, **OURS})) == {"Alpha", "beta", "delta", "eta"}


def test_condition_properties_are_anded(client, tree):
    """RFC 8621 §2.3: a Mailbox matches a FilterCondition only if all of its given properties match."""
    assert set(names(client, tree, filter={"parentId": tree["Alpha"], "isSubscribed": True})) == {"beta"}
    assert names(client, tree, filter={"name": "eta", "parentId": None}) == ["Zeta"]


def test_filter_operators_nest(client, tree):
    """RFC 8620 §5.5: AND, OR and NOT FilterOperators combine conditions and nest."""
    f_and = {"operator": "AND", "conditions": [{"name": "eta"}, {"isSubscribed": True}]}
    assert set(names(client, tree, filter=f_and)) == {"beta", "eta"}
    f_or = {"operator": "OR", "conditions": [{"parentId": tree["Alpha"]}, {"role": "inbox"}]}
    assert set(names(client, tree, filter=f_or)) == {"beta", "Gamma", "inbox"}
    f_not = {"operator": "NOT", "conditions": [{"hasAnyRole": True}, {"isSubscribed": False}]}
    assert set(names(client, tree, filter=f_not)) == {"Alpha", "beta", "delta", "eta"}
    nested = {"operator": "AND", "conditions": [
        OURS,
        {"operator": "OR", "conditions": [
            {"parentId": None},
            {"operator": "NOT", "conditions": [{"name": "l"}]},
        ]},
    ]}
    # Ours, and either top-level or without an "l" in the name: all but "delta".
    assert set(names(client, tree, filter=nested)) == {"Alpha", "Zeta", "beta", "Gamma", "eta"}


def test_empty_operators(client, tree):
    """RFC 8620 §5.5: AND of nothing matches every record, OR of nothing none, NOT of nothing every one."""
    every = set(everything(client))
    assert set(query(client, filter={"operator": "AND", "conditions": []})["ids"]) == every
    assert query(client, filter={"operator": "OR", "conditions": []})["ids"] == []
    assert set(query(client, filter={"operator": "NOT", "conditions": []})["ids"]) == every


def test_unknown_filter_is_unsupported_filter(client, tree):
    """RFC 8620 §5.5: a filter the server cannot process is rejected with unsupportedFilter."""
    assert error_type(client, {"filter": {"colour": "red"}}) == "unsupportedFilter"
    nested = {"operator": "OR", "conditions": [{"role": "inbox"}, {"totalEmails": 3}]}
    assert error_type(client, {"filter": nested}) == "unsupportedFilter"


def test_malformed_operator(client, tree):
    """RFC 8620 §5.5: operator MUST be AND, OR or NOT; anything else is not a valid filter."""
    assert error_type(client, {"filter": {"operator": "XOR", "conditions": []}}) in (
        "invalidArguments", "unsupportedFilter")


# -- sorting ---------------------------------------------------------------------------------------

def test_sort_by_sort_order(client, tree):
    """RFC 8621 §2.3: sortOrder MUST be supported for sorting; lower numbers first when ascending."""
    stored = everything(client)
    ascending = [stored[i]["sortOrder"] for i in query(client, sort=[{"property": "sortOrder"}])["ids"]]
    assert ascending == sorted(ascending) and len(ascending) == len(stored)
    descending = [stored[i]["sortOrder"]
                  for i in query(client, sort=[{"property": "sortOrder", "isAscending": False}])["ids"]]
    assert descending == sorted(descending, reverse=True)


def test_sort_by_name(client, tree):
    """RFC 8621 §2.3: name MUST be supported for sorting; the default collation is case-insensitive."""
    expected = sorted(TREE, key=str.lower)
    assert names(client, tree, filter=OURS, sort=[{"property": "name"}]) == expected
    assert names(client, tree, filter=OURS, sort=[{"property": "name", "isAscending": False}]) == expected[::-1]


def test_multiple_comparators(client, tree):
    """RFC 8620 §5.5: when the first comparator ties, the next one decides, each with its own direction."""
    by_order_then_name = [{"property": "sortOrder"}, {"property": "name"}]
    assert names(client, tree, filter=OURS, sort=by_order_then_name) == [
        "eta", "delta", "beta", "Gamma", "Zeta", "Alpha"]
    by_order_then_name_desc = [{"property": "sortOrder"}, {"property": "name", "isAscending": False}]
    assert names(client, tree, filter=OURS, sort=by_order_then_name_desc) == [
        "eta", "delta", "Gamma", "beta", "Zeta", "Alpha"]
    desc_then_asc = [{"property": "sortOrder", "isAscending": False}, {"property": "name"}]
    assert names(client, tree, filter=OURS, sort=desc_then_asc) == [
        "Alpha", "Zeta", "beta", "Gamma", "delta", "eta"]


def test_sort_is_stable_between_calls(client, tree):
    """RFC 8620 §5.5: with ties or no sort the order is server-dependent but MUST be stable between calls."""
    for sort in (None, [], [{"property": "sortOrder"}], [{"property": "name"}]):
        first = query(client, sort=sort)["ids"]
        assert query(client, sort=sort)["ids"] == first


def test_unknown_sort_property(client, tree):
    """RFC 8620 §5.5: a sort property the server does not support is unsupportedSort."""
    assert error_type(client, {"sort": [{"property": "colour"}]}) == "unsupportedSort"
    assert error_type(client, {"sort": [{"property": "name"}, {"property": "totalEmails2"}]}) == "unsupportedSort"


def test_unknown_collation(client, tree):
    """RFC 8620 §5.5: a collation the server does not recognise is unsupportedSort."""
    assert error_type(client, {"sort": [{"property": "name", "collation": "i;no-such-collation"}]}) == \
        "unsupportedSort"


def test_every_advertised_collation_is_accepted(client, tree):
    """RFC 8620 §2: collationAlgorithms lists the collations the server supports for sorting."""
    for collation in collations(client):
        assert len(query(client, sort=[{"property": "name", "collation": collation}])["ids"]) == 13


def _sorted_names(client, collation, mailbox_names):
    if collation not in collations(client):
        pytest.skip(f"{collation} is not advertised")
    result = client.ok("Mailbox/set", {"create": {n: {"name": n} for n in mailbox_names}})
    ids = {v["id"]: k for k, v in result["created"].items()}
    out = query(client, filter=OURS, sort=[{"property": "name", "collation": collation}])["ids"]
    return [ids[i] for i in out]


def test_collation_ascii_numeric(client):
    """RFC 4790 §9.1 via RFC 8620 §5.5: i;ascii-numeric orders by the leading decimal number; others last."""
    assert _sorted_names(client, "i;ascii-numeric", ["10", "9", "x", "100", "2b"]) == [
        "2b", "9", "10", "100", "x"]


def test_collation_ascii_casemap(client):
    """RFC 4790 §9.2 via RFC 8620 §5.5: i;ascii-casemap treats ASCII letters case-insensitively."""
    assert _sorted_names(client, "i;ascii-casemap", ["b", "C", "a", "D"]) == ["a", "b", "C", "D"]


def test_collation_unicode_casemap(client):
    """RFC 5051 via RFC 8620 §5.5: i;unicode-casemap is case-insensitive and sorts accented letters with their base."""
    assert _sorted_names(client, "i;unicode-casemap", ["Bär", "Ärger", "apfel", "Zoo", "éclair"]) == [
        "apfel", "Ärger", "Bär", "éclair", "Zoo"]


# -- tree options ----------------------------------------------------------------------------------

def test_sort_as_tree(client, tree):
    """RFC 8621 §2.3: sortAsTree puts ancestors before descendants and sorts each set of siblings."""
    sort = [{"property": "sortOrder"}, {"property": "name"}]
    assert names(client, tree, filter=OURS, sort=sort, sortAsTree=True) == [
        "Zeta", "eta", "Alpha", "beta", "Gamma", "delta"]
    sort = [{"property": "name", "isAscending": False}]
    assert names(client, tree, filter=OURS, sort=sort, sortAsTree=True) == [
        "Zeta", "eta", "Alpha", "Gamma", "delta", "beta"]


def test_sort_as_tree_whole_account(client, tree):
    """RFC 8621 §2.3: with sortAsTree, every mailbox follows its parent and precedes its descendants."""
    stored = everything(client)
    ids = query(client, sort=[{"property": "name"}], sortAsTree=True)["ids"]
    assert set(ids) == set(stored)
    position = {mailbox_id: i for i, mailbox_id in enumerate(ids)}
    for mailbox_id, mailbox in stored.items():
        if mailbox["parentId"] is not None:
            assert position[mailbox["parentId"]] < position[mailbox_id]
    # Each subtree is contiguous: everything between a mailbox and its last descendant descends from it.
    def ancestors(i):
        while stored[i]["parentId"] is not None:
            i = stored[i]["parentId"]
            yield i
    for mailbox_id in stored:
        inside = [i for i in ids if mailbox_id in set(ancestors(i))]
        if inside:
            span = ids[position[mailbox_id] + 1: position[mailbox_id] + 1 + len(inside)]
            assert set(span) == set(inside)


def test_filter_as_tree(client, tree):
    """RFC 8621 §2.3: with filterAsTree a Mailbox is included only if all its ancestors also match."""
    subscribed = {"isSubscribed": True, **OURS}
    assert set(names(client, tree, filter=subscribed)) == {"Alpha", "beta", "delta", "eta"}
    assert set(names(client, tree, filter=subscribed, filterAsTree=True)) == {"Alpha", "beta"}
    assert set(names(client, tree, filter={"name": "eta"}, filterAsTree=True)) == {"Zeta", "eta"}
    assert set(names(client, tree, filter={"name": "eta"}, filterAsTree=False)) == {"beta", "Zeta", "eta"}


def test_filter_and_sort_as_tree(client, tree):
    """RFC 8621 §2.3: sortAsTree and filterAsTree combine: a pruned tree in tree order."""
    sort = [{"property": "sortOrder"}]
    filter_ = {"operator": "NOT", "conditions": [{"name": "Gamma"}, {"hasAnyRole": True}]}
    assert names(client, tree, filter=filter_, sort=sort, sortAsTree=True, filterAsTree=True) == [
        "Zeta", "eta", "Alpha", "beta"]


def test_tree_options_default_false(client, tree):
    """RFC 8621 §2.3: sortAsTree and filterAsTree default to false."""
    sort = [{"property": "sortOrder"}, {"property": "name"}]
    assert query(client, filter=OURS, sort=sort)["ids"] == query(
        client, filter=OURS, sort=sort, sortAsTree=False, filterAsTree=False)["ids"]
    subscribed = {"isSubscribed": True, **OURS}
    assert set(names(client, tree, filter=subscribed)) == {"Alpha", "beta", "delta", "eta"}


# -- the result window -----------------------------------------------------------------------------

SORT = [{"property": "sortOrder"}, {"property": "name"}]
ORDER = ["eta", "delta", "beta", "Gamma", "Zeta", "Alpha"]


def window(client, tree, **args):
    result = query(client, filter=OURS, sort=SORT, **args)
    by_id = {v: k for k, v in tree.items()}
    return result["position"], [by_id[i] for i in result["ids"]], result


def test_full_list_and_position_zero(client, tree):
    """RFC 8620 §5.5: position defaults to 0 and, with no limit, ids runs to the end of the results."""
    assert window(client, tree)[:2] == (0, ORDER)


def test_positive_position(client, tree):
    """RFC 8620 §5.5: position is the zero-based index of the first id to return."""
    assert window(client, tree, position=2)[:2] == (2, ORDER[2:])
    assert window(client, tree, position=2, limit=2)[:2] == (2, ORDER[2:4])


def test_negative_position(client, tree):
    """RFC 8620 §5.5: a negative position is added to the total; if still negative it is clamped to 0."""
    assert window(client, tree, position=-2)[:2] == (4, ORDER[4:])
    assert window(client, tree, position=-2, limit=1)[:2] == (4, ORDER[4:5])
    assert window(client, tree, position=-100)[:2] == (0, ORDER)


def test_position_beyond_end(client, tree):
    """RFC 8620 §5.5: a position at or past the end gives an empty ids array, not an error."""
    assert window(client, tree, position=6)[1] == []
    _, ids, result = window(client, tree, position=1000, calculateTotal=True)
    assert ids == [] and result["total"] == 6


def test_anchor(client, tree):
    """RFC 8620 §5.5: the anchor's index plus anchorOffset is used as the position; position is ignored."""
    assert window(client, tree, anchor=tree["beta"])[:2] == (2, ORDER[2:])
    assert window(client, tree, anchor=tree["beta"], anchorOffset=1, limit=2)[:2] == (3, ORDER[3:5])
    assert window(client, tree, anchor=tree["beta"], position=5)[:2] == (2, ORDER[2:])
    assert window(client, tree, anchor=tree["Alpha"], anchorOffset=3)[1] == []


def test_anchor_negative_offset(client, tree):
    """RFC 8620 §5.5: a negative anchorOffset counts back from the anchor, and is clamped to 0."""
    assert window(client, tree, anchor=tree["Gamma"], anchorOffset=-1, limit=2)[:2] == (2, ORDER[2:4])
    assert window(client, tree, anchor=tree["delta"], anchorOffset=-5)[:2] == (0, ORDER)


def test_anchor_offset_ignored_without_anchor(client, tree):
    """RFC 8620 §5.5: without an anchor, anchorOffset MUST be ignored."""
    assert window(client, tree, anchorOffset=3)[:2] == (0, ORDER)


def test_anchor_not_found(client, tree):
    """RFC 8620 §5.5: an anchor not in the (filtered) results is rejected with anchorNotFound."""
    assert error_type(client, {"anchor": "no-such-id"}) == "anchorNotFound"
    # The inbox exists, but the filter excludes it.
    assert error_type(client, {"filter": OURS, "anchor": tree["inbox"]}) == "anchorNotFound"


def test_limit_zero(client, tree):
    """RFC 8620 §5.5: limit is the most ids to return; 0 returns none."""
    position, ids, result = window(client, tree, limit=0, calculateTotal=True)
    assert ids == [] and result["total"] == 6


def test_limit(client, tree):
    """RFC 8620 §5.5: ids runs until it hits the end of the results or reaches limit."""
    assert window(client, tree, limit=3)[1] == ORDER[:3]
    assert window(client, tree, limit=100)[1] == ORDER


def test_negative_limit(client, tree):
    """RFC 8620 §5.5: a negative limit MUST be rejected with invalidArguments."""
    assert error_type(client, {"limit": -1}) == "invalidArguments"


def test_calculate_total(client, tree):
    """RFC 8620 §5.5: total is the number of results given the filter, and MUST be omitted unless asked for."""
    assert "total" not in query(client, filter=OURS)
    assert "total" not in query(client, filter=OURS, calculateTotal=False)
    assert query(client, filter=OURS, limit=1, calculateTotal=True)["total"] == 6
    assert query(client, calculateTotal=True)["total"] == 13
    assert query(client, filter={"isSubscribed": False}, calculateTotal=True)["total"] == 2


def test_response_shape(client, tree):
    """RFC 8620 §5.5: the response has accountId, queryState, canCalculateChanges, position and ids."""
    result = query(client)
    assert result["accountId"] == client.account_id
    assert isinstance(result["queryState"], str)
    assert isinstance(result["canCalculateChanges"], bool)
    assert result["position"] == 0 and isinstance(result["ids"], list)


def test_query_state_follows_the_data(client, tree):
    """RFC 8620 §5.5: queryState MUST change when the results change; here it is the Mailbox state."""
    first = query(client, filter=OURS)
    assert first["queryState"] == client.ok("Mailbox/get", {"ids": []})["state"]
    assert query(client, filter=OURS)["queryState"] == first["queryState"]
    client.ok("Mailbox/set", {"create": {"n": {"name": "Another"}}})
    second = query(client, filter=OURS)
    assert second["queryState"] != first["queryState"]
    assert second["queryState"] == client.ok("Mailbox/get", {"ids": []})["state"]


def test_can_calculate_changes(client, tree):
    """RFC 8620 §5.5 / RFC 8621 §2.3: canCalculateChanges says whether /queryChanges works for the query."""
    assert query(client, filter=OURS, sort=SORT)["canCalculateChanges"] is True
    assert query(client, sort=SORT, sortAsTree=True)["canCalculateChanges"] is False


def test_account_not_found(client):
    """RFC 8620 §3.6.2: an unknown accountId is accountNotFound."""
    assert error_type(client, {"accountId": "nope"}) == "accountNotFound"
