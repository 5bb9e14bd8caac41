"""Mailbox/set (RFC 8621 §2, §2.5) over the generic /set (RFC 8620 §5.3)."""

from __future__ import annotations

import unicodedata

import pytest

from jmapd.protocol.capabilities import CORE, MAIL

SERVER_SET = ("id", "totalEmails", "unreadEmails", "totalThreads", "unreadThreads", "myRights")
DEFAULTED = {"parentId": None, "role": None, "sortOrder": 0}


def mset(client, **args):
    return client.ok("Mailbox/set", args)


def create(client, name, **props):
    result = mset(client, create={"new": {"name": name, **props}})
    assert not result.get("notCreated"), result
    return result["created"]["new"]["id"]


def all_mailboxes(client):
    return {m["id"]: m for m in client.ok("Mailbox/get", {"ids": None})["list"]}


def state(client):
    return client.ok("Mailbox/get", {"ids": []})["state"]


def not_created(client, obj):
    """The SetError for one rejected create; also checks nothing was created or changed."""
    before, before_state = all_mailboxes(client), state(client)
    result = mset(client, create={"x": obj})
    assert not result.get("created"), result
    assert all_mailboxes(client) == before and state(client) == before_state
    return result["notCreated"]["x"]


def not_updated(client, mailbox_id, patch):
    """The SetError for one rejected update; also checks the record (and state) did not change at all."""
    before, before_state = all_mailboxes(client), state(client)
    result = mset(client, update={mailbox_id: patch})
    assert not result.get("updated"), result
    assert all_mailboxes(client) == before and state(client) == before_state
    assert result["newState"] == result["oldState"] == before_state
    return result["notUpdated"][mailbox_id]


def invalid(error):
    assert error["type"] == "invalidProperties", error
    return set(error.get("properties") or [])


def error_type(client, args):
    name, result = client.call("Mailbox/set", args)
    assert name == "error", result
    return result["type"]


def name_limit(client):
    return client.session["accounts"][client.account_id]["accountCapabilities"][MAIL]["maxSizeMailboxName"]


# -- create ----------------------------------------------------------------------------------------

def test_create_returns_server_set_and_defaulted_properties(client):
    """RFC 8620 §5.3: created holds every server-set property and every property defaulted by the server."""
    before = state(client)
    result = mset(client, create={"a": {"name": "Projects"}})
    assert result["oldState"] == before
    assert result["newState"] != before and result["newState"] == state(client)
    created = result["created"]["a"]
    for prop in (*SERVER_SET, *DEFAULTED, "isSubscribed"):
        assert prop in created, prop
    stored = all_mailboxes(client)[created["id"]]
    assert stored["name"] == "Projects"
    for prop, value in created.items():
        assert stored[prop] == value, prop


def test_create_defaults(client):
    """RFC 8621 §2: parentId, role and sortOrder default to null, null, 0; a user's new mailbox is subscribed."""
    mailbox_id = create(client, "Defaults")
    stored = all_mailboxes(client)[mailbox_id]
    assert {k: stored[k] for k in DEFAULTED} == DEFAULTED
    assert stored["isSubscribed"] is True
    assert all(stored[c] == 0 for c in ("totalEmails", "unreadEmails", "totalThreads", "unreadThreads"))
    assert stored["myRights"]["mayReadItems"] is True


def test_create_with_every_settable_property(client):
    """RFC 8621 §2: name, parentId, role, sortOrder and isSubscribed may all be given on create."""
    parent = create(client, "Parent")
    result = mset(client, create={"a": {"name": "Flagged", "parentId": parent, "role": "flagged",
                                        "sortOrder": 7, "isSubscribed": False}})
    created = result["created"]["a"]
    for prop in SERVER_SET:
        assert prop in created
    stored = all_mailboxes(client)[created["id"]]
    assert (stored["name"], stored["parentId"], stored["role"], stored["sortOrder"], stored["isSubscribed"]) == (
        "Flagged", parent, "flagged", 7, False)


def test_create_null_means_default(client):
    """RFC 8620 §5.3 / RFC 8621 §2: properties with a default may be given as null (or omitted)."""
    mailbox_id = create(client, "Nulls", parentId=None, role=None)
    stored = all_mailboxes(client)[mailbox_id]
    assert stored["parentId"] is None and stored["role"] is None


def test_creation_id_as_parent_in_same_call(client):
    """RFC 8620 §5.3: a record created in the same call is referred to by #creationId."""
    result = mset(client, create={"p": {"name": "Parent"}, "c": {"name": "Child", "parentId": "#p"}})
    parent, child = result["created"]["p"]["id"], result["created"]["c"]["id"]
    assert all_mailboxes(client)[child]["parentId"] == parent


def test_creates_are_ordered_by_reference(client):
    """RFC 8620 §5.3: the server MUST order creates so that a record is created before its #id is referenced."""
    result = mset(client, create={"c": {"name": "Child", "parentId": "#p"},
                                  "g": {"name": "Grandchild", "parentId": "#c"},
                                  "p": {"name": "Parent"}})
    assert not result.get("notCreated"), result
    ids = {k: v["id"] for k, v in result["created"].items()}
    stored = all_mailboxes(client)
    assert stored[ids["c"]]["parentId"] == ids["p"]
    assert stored[ids["g"]]["parentId"] == ids["c"]


def test_creation_id_across_calls_and_created_ids(client):
    """RFC 8620 §3.3, §3.4, §5.3: creation ids hold for later calls; createdIds comes back when sent."""
    response = client.request([
        ["Mailbox/set", {"accountId": client.account_id, "create": {"p": {"name": "Parent"}}}, "0"],
        ["Mailbox/set", {"accountId": client.account_id, "create": {"c": {"name": "Child", "parentId": "#p"}}}, "1"],
    ], createdIds={})
    first, second = response["methodResponses"][0][1], response["methodResponses"][1][1]
    parent, child = first["created"]["p"]["id"], second["created"]["c"]["id"]
    assert response["createdIds"] == {"p": parent, "c": child}
    assert all_mailboxes(client)[child]["parentId"] == parent


def test_created_ids_passed_in_with_request(client):
    """RFC 8620 §3.3, §3.4: createdIds given in a request resolve #ids, and all of them come back."""
    parent = create(client, "Parent")
    response = client.request([
        ["Mailbox/set", {"accountId": client.account_id, "create": {"c": {"name": "Child", "parentId": "#p"}}}, "0"],
    ], createdIds={"p": parent, "unrelated": "zzz"})
    child = response["methodResponses"][0][1]["created"]["c"]["id"]
    assert response["createdIds"] == {"p": parent, "unrelated": "zzz", "c": child}
    assert all_mailboxes(client)[child]["parentId"] == parent


def test_no_created_ids_in_response_unless_requested(client):
    """RFC 8620 §3.4: createdIds is only returned if given in the request."""
    response = client.request([["Mailbox/set", {"accountId": client.account_id,
                                                "create": {"a": {"name": "A"}}}, "0"]])
    assert "createdIds" not in response


def test_update_and_destroy_by_creation_id(client):
    """RFC 8620 §5.3: update/destroy keys may be #creationIds of records created earlier in the request."""
    response = client.request([
        ["Mailbox/set", {"accountId": client.account_id, "create": {"n": {"name": "Temp"}},
                         "update": {"#n": {"sortOrder": 3}}}, "0"],
        ["Mailbox/set", {"accountId": client.account_id, "update": {"#n": {"name": "Kept"}}}, "1"],
    ])
    first, second = (r[1] for r in response["methodResponses"])
    mailbox_id = first["created"]["n"]["id"]
    assert not first.get("notUpdated") and not second.get("notUpdated"), response
    stored = all_mailboxes(client)[mailbox_id]
    assert (stored["name"], stored["sortOrder"]) == ("Kept", 3)
    response = client.request([
        ["Mailbox/set", {"accountId": client.account_id, "create": {"m": {"name": "Temp"}}}, "0"],
        ["Mailbox/set", {"accountId": client.account_id, "destroy": ["#m"]}, "1"],
    ])
    created = response["methodResponses"][0][1]["created"]["m"]["id"]
    assert response["methodResponses"][1][1]["destroyed"] == [created]
    assert created not in all_mailboxes(client)


def test_reused_creation_id_maps_to_most_recent(client):
    """RFC 8620 §5.3: a reused creation id maps to the most recently created item with that id."""
    response = client.request([
        ["Mailbox/set", {"accountId": client.account_id, "create": {"x": {"name": "First"}}}, "0"],
        ["Mailbox/set", {"accountId": client.account_id, "create": {"x": {"name": "Second"}}}, "1"],
        ["Mailbox/set", {"accountId": client.account_id, "create": {"c": {"name": "C", "parentId": "#x"}}}, "2"],
    ], createdIds={})
    second = response["methodResponses"][1][1]["created"]["x"]["id"]
    child = response["methodResponses"][2][1]["created"]["c"]["id"]
    assert all_mailboxes(client)[child]["parentId"] == second
    assert response["createdIds"]["x"] == second


# -- update ----------------------------------------------------------------------------------------

def test_update_each_settable_property(client):
    """RFC 8620 §5.3: a PatchObject sets top-level properties; updated maps the id to null when nothing else moved."""
    target, other = create(client, "Target"), create(client, "Other")
    before = state(client)
    result = mset(client, update={target: {"name": "Renamed", "parentId": other, "sortOrder": 42,
                                           "isSubscribed": False}})
    assert result["updated"] == {target: None}
    assert result["oldState"] == before and result["newState"] != before
    stored = all_mailboxes(client)[target]
    assert (stored["name"], stored["parentId"], stored["sortOrder"], stored["isSubscribed"]) == (
        "Renamed", other, 42, False)
    mset(client, update={target: {"parentId": None, "isSubscribed": True}})
    stored = all_mailboxes(client)[target]
    assert stored["parentId"] is None and stored["isSubscribed"] is True


def test_update_patch_path_name(client):
    """RFC 8620 §5.3: patch keys are JSON Pointers with an implicit leading slash; "name" replaces the name."""
    target = create(client, "Old")
    assert mset(client, update={target: {"name": "New"}})["updated"] == {target: None}
    assert all_mailboxes(client)[target]["name"] == "New"


def test_update_patch_into_object_property_with_same_value(client):
    """RFC 8620 §5.3: a path inside an object property is a valid patch; server-set values may be restated."""
    target = create(client, "Target")
    current = all_mailboxes(client)[target]["myRights"]["mayDelete"]
    result = mset(client, update={target: {"myRights/mayDelete": current, "name": "Moved"}})
    assert result["updated"] == {target: None}
    assert all_mailboxes(client)[target]["name"] == "Moved"


def test_null_in_patch_resets_to_default(client):
    """RFC 8620 §5.3: null in a patch sets the property to its default (sortOrder 0, parentId null, role null)."""
    parent = create(client, "Parent")
    target = create(client, "Target", sortOrder=9, parentId=parent, role="flagged")
    mset(client, update={target: {"sortOrder": None, "parentId": None, "role": None}})
    stored = all_mailboxes(client)[target]
    assert (stored["sortOrder"], stored["parentId"], stored["role"]) == (0, None, None)


def test_whole_object_is_a_valid_patch(client):
    """RFC 8620 §5.3: an entire object (server-set properties unchanged) is a valid PatchObject."""
    target = create(client, "Target")
    whole = dict(all_mailboxes(client)[target], name="Whole", sortOrder=5)
    assert mset(client, update={target: whole})["updated"] == {target: None}
    stored = all_mailboxes(client)[target]
    assert stored == whole


def test_server_set_property_unchanged_is_ok(client):
    """RFC 8620 §5.3: server-set properties MAY be in the patch when identical to the server's value."""
    target = create(client, "Target")
    current = all_mailboxes(client)[target]
    patch = {p: current[p] for p in SERVER_SET}
    result = mset(client, update={target: dict(patch, sortOrder=1)})
    assert result["updated"] == {target: None}
    assert all_mailboxes(client)[target]["sortOrder"] == 1


@pytest.mark.parametrize("prop,value", [("totalEmails", 5), ("unreadThreads", 1), ("id", "Mother")])
def test_server_set_property_changed_is_invalid(client, prop, value):
    """RFC 8620 §5.3: a server-set property with a different value is rejected with invalidProperties."""
    target = create(client, "Target")
    assert prop in invalid(not_updated(client, target, {prop: value, "name": "Changed"}))


def test_server_set_rights_changed_is_invalid(client):
    """RFC 8620 §5.3 / RFC 8621 §2: myRights is server-set; changing it is invalidProperties."""
    target = create(client, "Target")
    rights = all_mailboxes(client)[target]["myRights"]
    flipped = dict(rights, mayRename=not rights["mayRename"])
    bad = invalid(not_updated(client, target, {"myRights": flipped}))
    assert bad and all(p.split("/")[0] == "myRights" for p in bad), bad
    bad = invalid(not_updated(client, target, {"myRights/mayRename": not rights["mayRename"]}))
    assert bad and all(p.split("/")[0] == "myRights" for p in bad), bad


def test_update_returns_server_changes(client):
    """RFC 8620 §5.3: updated holds any property changed in a way the patch did not ask for, else null."""
    target = create(client, "Target")
    decomposed = unicodedata.normalize("NFD", "Café Noël")
    result = mset(client, update={target: {"name": decomposed}})
    stored = all_mailboxes(client)[target]["name"]
    if stored == decomposed:
        assert not result["updated"][target] or "name" not in result["updated"][target]
    else:
        # The server changed the name (e.g. to NFC, RFC 5198): it must say what it stored.
        assert result["updated"][target] == {"name": stored}


def test_create_reports_server_changed_name(client):
    """RFC 8620 §5.3: the client learns the stored value of every property the server set itself."""
    decomposed = unicodedata.normalize("NFD", "Ünïcode")
    result = mset(client, create={"a": {"name": decomposed}})
    created = result["created"]["a"]
    stored = all_mailboxes(client)[created["id"]]["name"]
    if stored != decomposed:
        assert created.get("name") == stored


def test_noop_update_is_success(client):
    """RFC 8620 §5.3: an empty patch or one restating current values is a successful update."""
    target = create(client, "Target")
    assert mset(client, update={target: {}})["updated"] == {target: None}
    assert mset(client, update={target: {"name": "Target"}})["updated"] == {target: None}


def test_rename_to_same_name_in_other_parent_is_ok(client):
    """RFC 8621 §2: only siblings (same parent) must have different names."""
    parent = create(client, "Parent")
    child = create(client, "Inbox", parentId=parent)
    assert all_mailboxes(client)[child]["name"] == "Inbox"


# -- invalidPatch ----------------------------------------------------------------------------------

@pytest.mark.parametrize("patch", [
    {"myRights": {}, "myRights/mayDelete": True},      # one path is a prefix of another
    {"name": "A", "name/x": "B"},
    {"nosuch/child": 1},                               # a part before the last does not exist
    {"myRights/nosuch/deeper": True},
    {"name/0": "x"},                                   # parts before the last must be objects
    {"sortOrder/x": 1},
])
def test_invalid_patch(client, patch):
    """RFC 8620 §5.3: overlapping paths or paths through missing members are rejected with invalidPatch."""
    target = create(client, "Target")
    assert not_updated(client, target, patch)["type"] == "invalidPatch"


def test_invalid_patch_does_not_apply_valid_parts(client):
    """RFC 8620 §5.3: an update is atomic: a rejected patch changes no property, even a valid one."""
    target = create(client, "Target")
    assert not_updated(client, target, {"name": "Changed", "sortOrder": 3, "a/b": 1})["type"] == "invalidPatch"


# -- invalidProperties -----------------------------------------------------------------------------

def test_empty_name(client):
    """RFC 8621 §2: name MUST be at least one character: invalidProperties naming "name"."""
    assert invalid(not_created(client, {"name": ""})) == {"name"}
    assert invalid(not_created(client, {})) == {"name"}
    target = create(client, "Target")
    assert invalid(not_updated(client, target, {"name": ""})) == {"name"}
    assert invalid(not_updated(client, target, {"name": None})) == {"name"}


def test_name_of_wrong_type(client):
    """RFC 8621 §2: name is a String."""
    assert invalid(not_created(client, {"name": 5})) == {"name"}
    assert invalid(not_created(client, {"name": ["a"]})) == {"name"}


def test_name_length_in_octets(client):
    """RFC 8621 §1.3.1: maxSizeMailboxName limits the name's length in UTF-8 octets."""
    limit = name_limit(client)
    assert limit >= 100
    create(client, "a" * limit)
    assert invalid(not_created(client, {"name": "b" * (limit + 1)})) == {"name"}
    # Two octets per character: fewer characters than the limit, more octets.
    assert invalid(not_created(client, {"name": "é" * (limit // 2 + 1)})) == {"name"}
    target = create(client, "Target")
    assert invalid(not_updated(client, target, {"name": "c" * (limit + 1)})) == {"name"}


def test_bad_role(client):
    """RFC 8621 §2: role MUST be one of the IMAP Mailbox Name Attributes (lowercase)."""
    assert invalid(not_created(client, {"name": "X", "role": "notarole"})) == {"role"}
    assert invalid(not_created(client, {"name": "X", "role": 3})) == {"role"}
    target = create(client, "Target")
    assert invalid(not_updated(client, target, {"role": "bogus"})) == {"role"}


def test_duplicate_role(client):
    """RFC 8621 §2: there MUST NOT be two Mailboxes in the same account with the same role."""
    assert invalid(not_created(client, {"name": "Inbox 2", "role": "inbox"})) == {"role"}
    target = create(client, "Target")
    assert invalid(not_updated(client, target, {"role": "trash"})) == {"role"}
    # A role freed by its mailbox may be taken by another one.
    trash = client.mailboxes()["trash"]["id"]
    mset(client, update={trash: {"role": None}})
    assert mset(client, update={target: {"role": "trash"}})["updated"] == {target: None}


def test_sibling_name_clash(client):
    """RFC 8621 §2: there MUST NOT be two sibling Mailboxes with the same parent and the same name;
    a create that only duplicates one is alreadyExists with its existingId (RFC 8620 §5.4)."""
    inbox = client.mailboxes()["inbox"]["id"]
    assert not_created(client, {"name": "Inbox"})["type"] == "alreadyExists"
    assert not_created(client, {"name": "Inbox"})["existingId"] == inbox
    target = create(client, "Target")
    assert invalid(not_updated(client, target, {"name": "Sent"})) == {"name"}
    parent = create(client, "Parent")
    child = create(client, "Child", parentId=parent)
    error = not_created(client, {"name": "Child", "parentId": parent})
    assert (error["type"], error["existingId"]) == ("alreadyExists", child)


def test_move_into_parent_with_same_named_child(client):
    """RFC 8621 §2: moving a mailbox next to a sibling of the same name is rejected."""
    parent = create(client, "Parent")
    create(client, "Twin", parentId=parent)
    twin = create(client, "Twin")
    bad = invalid(not_updated(client, twin, {"parentId": parent}))
    assert bad and bad <= {"name", "parentId"}


def test_unknown_property(client):
    """RFC 8620 §5.3: properties not in the type are invalidProperties."""
    assert invalid(not_created(client, {"name": "X", "colour": "red"})) == {"colour"}
    target = create(client, "Target")
    assert invalid(not_updated(client, target, {"colour": "red"})) == {"colour"}


def test_parent_not_found(client):
    """RFC 8620 §5.3: a reference to a record that does not exist is invalidProperties."""
    assert invalid(not_created(client, {"name": "X", "parentId": "no-such-mailbox"})) == {"parentId"}
    assert invalid(not_created(client, {"name": "X", "parentId": "#never-created"})) == {"parentId"}
    target = create(client, "Target")
    assert invalid(not_updated(client, target, {"parentId": "no-such-mailbox"})) == {"parentId"}


def test_parent_loop(client):
    """RFC 8621 §2: Mailboxes form a forest; there MUST NOT be a loop via parentId."""
    a = create(client, "A")
    b = create(client, "B", parentId=a)
    c = create(client, "C", parentId=b)
    assert invalid(not_updated(client, a, {"parentId": a})) == {"parentId"}
    assert invalid(not_updated(client, a, {"parentId": b})) == {"parentId"}
    assert invalid(not_updated(client, a, {"parentId": c})) == {"parentId"}


def test_max_mailbox_depth(client):
    """RFC 8621 §1.3.1: maxMailboxDepth is one more than the most ancestors a Mailbox may have."""
    depth = client.session["accounts"][client.account_id]["accountCapabilities"][MAIL]["maxMailboxDepth"]
    if depth is None:
        pytest.skip("no depth limit")
    chain = {"d1": {"name": "d1"}}
    chain.update({f"d{i}": {"name": f"d{i}", "parentId": f"#d{i - 1}"} for i in range(2, depth + 1)})
    result = mset(client, create=chain)
    assert not result.get("notCreated"), result
    deepest = result["created"][f"d{depth}"]["id"]
    assert invalid(not_created(client, {"name": "too deep", "parentId": deepest})) == {"parentId"}


@pytest.mark.parametrize("order", [-1, 2**31, 1.5, "1", True])
def test_sort_order_out_of_range(client, order):
    """RFC 8621 §2: sortOrder is an UnsignedInt with 0 <= sortOrder < 2^31."""
    assert invalid(not_created(client, {"name": "X", "sortOrder": order})) == {"sortOrder"}
    target = create(client, "Target")
    assert invalid(not_updated(client, target, {"sortOrder": order})) == {"sortOrder"}


def test_value_of_wrong_type_equal_in_python_is_still_invalid(client):
    """RFC 8621 §2: true is not the UnsignedInt 1 and 0 is not the Boolean false (JSON types differ)."""
    target = create(client, "Target", sortOrder=1, isSubscribed=False)
    assert invalid(not_updated(client, target, {"sortOrder": True})) == {"sortOrder"}
    assert invalid(not_updated(client, target, {"isSubscribed": 0})) == {"isSubscribed"}


def test_sort_order_bounds_accepted(client):
    """RFC 8621 §2: 0 and 2^31-1 are valid sortOrder values."""
    largest, zero = create(client, "Max", sortOrder=2**31 - 1), create(client, "Zero", sortOrder=0)
    stored = all_mailboxes(client)
    assert (stored[largest]["sortOrder"], stored[zero]["sortOrder"]) == (2**31 - 1, 0)


def test_is_subscribed_must_be_boolean(client):
    """RFC 8621 §2: isSubscribed is a Boolean."""
    assert invalid(not_created(client, {"name": "X", "isSubscribed": "yes"})) == {"isSubscribed"}


def test_server_set_property_on_create(client):
    """RFC 8620 §5.3: the client MUST omit server-set properties on create; giving one is invalidProperties."""
    assert invalid(not_created(client, {"name": "X", "id": "mine"})) == {"id"}
    assert invalid(not_created(client, {"name": "X", "totalEmails": 3})) == {"totalEmails"}


def test_invalid_properties_lists_every_bad_property_on_create(client):
    """RFC 8620 §5.3: the SetError's properties lists all the properties that were invalid."""
    bad = invalid(not_created(client, {"name": "", "role": "bogus", "sortOrder": -1, "parentId": "missing",
                                       "isSubscribed": 1, "colour": "red", "unreadEmails": 4}))
    assert bad == {"name", "role", "sortOrder", "parentId", "isSubscribed", "colour", "unreadEmails"}
    # Clashes with other mailboxes count too: a sibling's name and another mailbox's role.
    assert invalid(not_created(client, {"name": "Inbox", "role": "trash", "sortOrder": -1})) == {
        "name", "role", "sortOrder"}


def test_invalid_properties_lists_every_bad_property_on_update(client):
    """RFC 8620 §5.3: the SetError's properties lists all the properties that were invalid."""
    target = create(client, "Target")
    bad = invalid(not_updated(client, target, {"name": "Drafts", "role": "inbox", "sortOrder": 2**31,
                                               "colour": 1, "totalEmails": 9}))
    assert bad == {"name", "role", "sortOrder", "colour", "totalEmails"}


def test_failed_update_leaves_record_untouched(client):
    """RFC 8620 §5.3: the server MUST NOT commit part of an update to a single record."""
    target = create(client, "Target", sortOrder=4)
    assert invalid(not_updated(client, target, {"name": "Renamed", "isSubscribed": False,
                                                "sortOrder": -5})) == {"sortOrder"}
    assert invalid(not_updated(client, target, {"name": "Renamed", "role": "inbox"})) == {"role"}


# -- the rest of /set ------------------------------------------------------------------------------

def test_each_operation_is_independent(client):
    """RFC 8620 §5.3: a rejected create/update/destroy is reported and the server continues with the next."""
    keep = create(client, "Keep")
    gone = create(client, "Gone")
    result = mset(client, create={"bad": {"name": ""}, "good": {"name": "Good"}},
                  update={keep: {"sortOrder": 2}, "nope": {"sortOrder": 2}},
                  destroy=[gone, "nope"])
    assert set(result["created"]) == {"good"} and set(result["notCreated"]) == {"bad"}
    assert result["updated"] == {keep: None} and set(result["notUpdated"]) == {"nope"}
    assert result["destroyed"] == [gone] and set(result["notDestroyed"]) == {"nope"}
    stored = all_mailboxes(client)
    assert stored[keep]["sortOrder"] == 2 and gone not in stored
    assert result["created"]["good"]["id"] in stored


def test_if_in_state(client):
    """RFC 8620 §5.3: ifInState must match the current state, else the call fails with stateMismatch."""
    current = state(client)
    create(client, "Moves the state")
    before = all_mailboxes(client)
    assert error_type(client, {"ifInState": current, "create": {"a": {"name": "Nope"}}}) == "stateMismatch"
    assert all_mailboxes(client) == before
    now = state(client)
    result = mset(client, ifInState=now, create={"a": {"name": "Yes"}})
    assert result["oldState"] == now and "a" in result["created"]


def test_not_found_on_update_and_destroy(client):
    """RFC 8620 §5.3: an id that cannot be found is rejected with notFound."""
    result = mset(client, update={"no-such-id": {"name": "X"}}, destroy=["no-such-id-either"])
    assert result["notUpdated"]["no-such-id"]["type"] == "notFound"
    assert result["notDestroyed"]["no-such-id-either"]["type"] == "notFound"
    gone = create(client, "Gone")
    mset(client, destroy=[gone])
    result = mset(client, update={gone: {"name": "X"}}, destroy=[gone])
    assert result["notDestroyed"][gone]["type"] == "notFound"
    assert result["notUpdated"][gone]["type"] in ("notFound", "willDestroy")


def test_update_and_destroy_of_same_record(client):
    """RFC 8620 §5.3: updating and destroying one record in a call: the update MAY be skipped with willDestroy."""
    target = create(client, "Target")
    result = mset(client, update={target: {"name": "Renamed"}}, destroy=[target])
    assert result["destroyed"] == [target]
    if result.get("notUpdated"):
        assert result["notUpdated"][target]["type"] == "willDestroy"
    else:
        assert target in result["updated"]
    assert target not in all_mailboxes(client)


def test_destroy(client):
    """RFC 8620 §5.3: a destroyed record is gone; destroyed lists its id and the state moves."""
    target = create(client, "Target")
    before = state(client)
    result = mset(client, destroy=[target])
    assert result["destroyed"] == [target]
    assert result["oldState"] == before and result["newState"] != before
    assert client.ok("Mailbox/get", {"ids": [target]})["notFound"] == [target]


def test_destroy_with_child_is_mailbox_has_child(client):
    """RFC 8621 §2.5: destroying a Mailbox that still has a child fails with mailboxHasChild."""
    parent = create(client, "Parent")
    child = create(client, "Child", parentId=parent)
    result = mset(client, destroy=[parent])
    assert result["notDestroyed"][parent]["type"] == "mailboxHasChild"
    assert {parent, child} <= set(all_mailboxes(client))
    result = mset(client, destroy=[child, parent])
    assert result["destroyed"] == [child, parent]


def test_destroy_parent_and_child_together_leaves_a_valid_tree(client):
    """RFC 8620 §5.3 / RFC 8621 §2: the final state after /set MUST be valid: no mailbox loses its parent."""
    parent = create(client, "Parent")
    child = create(client, "Child", parentId=parent)
    result = mset(client, destroy=[parent, child])
    assert child in result["destroyed"]
    if parent not in (result["destroyed"] or []):
        assert result["notDestroyed"][parent]["type"] == "mailboxHasChild"
    stored = all_mailboxes(client)
    assert all(m["parentId"] is None or m["parentId"] in stored for m in stored.values())


def test_rights_are_enforced(client):
    """RFC 8621 §2: a mailbox whose myRights deny delete/rename cannot be destroyed/renamed (forbidden)."""
    for mailbox_id, mailbox in all_mailboxes(client).items():
        if not mailbox["myRights"]["mayDelete"]:
            assert mset(client, destroy=[mailbox_id])["notDestroyed"][mailbox_id]["type"] == "forbidden"
        if not mailbox["myRights"]["mayRename"]:
            assert not_updated(client, mailbox_id, {"name": "Renamed"})["type"] == "forbidden"


def test_inbox_cannot_be_destroyed(client):
    """RFC 8621 §2.6: destroying a mailbox without permission, as the inbox here, is forbidden."""
    inbox = client.mailboxes()["inbox"]
    assert inbox["myRights"]["mayDelete"] is False
    result = mset(client, destroy=[inbox["id"]])
    assert result["notDestroyed"][inbox["id"]]["type"] == "forbidden"
    assert inbox["id"] in all_mailboxes(client)


def test_destroyed_id_is_not_reused(client):
    """RFC 8620 §1.2: an id is never reused for a different record."""
    gone = create(client, "Gone")
    mset(client, destroy=[gone])
    assert create(client, "Gone") != gone


def test_too_many_operations_is_request_too_large(client):
    """RFC 8620 §5.3: more creates+updates+destroys than maxObjectsInSet may be rejected with requestTooLarge."""
    limit = client.session["capabilities"][CORE]["maxObjectsInSet"]
    half = limit // 2
    args = {"create": {f"c{i}": {"name": f"n{i}"} for i in range(half)},
            "destroy": [f"x{i}" for i in range(limit - half + 1)]}
    before = state(client)
    assert error_type(client, args) == "requestTooLarge"
    assert state(client) == before


def test_account_not_found(client, make_client):
    """RFC 8620 §3.6.2: /set on an account that is not the user's is accountNotFound, and changes nothing."""
    other = make_client()
    before = {m["id"] for m in other.ok("Mailbox/get", {"ids": None})["list"]}
    assert error_type(client, {"accountId": other.account_id, "create": {"a": {"name": "X"}}}) == "accountNotFound"
    assert error_type(client, {"accountId": "nope", "destroy": []}) == "accountNotFound"
    assert {m["id"] for m in other.ok("Mailbox/get", {"ids": None})["list"]} == before


def test_rejected_records_announce_no_state_change(client, live):
    """RFC 8620 §7.1: a StateChange names the types whose state changed; a /set that changed nothing
    (every record rejected) must not announce one."""
    announced: list[tuple[str, str]] = []
    listening = [True]

    def listener(touched):
        if listening[0]:
            announced.extend(t for t in touched if t[0] == client.account_id)

    target = create(client, "Target")
    live.server.store.add_listener(listener)
    try:
        not_created(client, {"name": "Valid name", "totalEmails": 3})
        not_updated(client, target, {"name": "Valid too", "myRights": {}})
        not_updated(client, target, {"name": "Inbox"})
    finally:
        listening[0] = False
    assert announced == []


def test_all_null_response_when_nothing_asked(client):
    """RFC 8620 §5.3: created/updated/destroyed and the not* maps are null when empty; the state is unchanged."""
    result = mset(client)
    for key in ("created", "updated", "destroyed", "notCreated", "notUpdated", "notDestroyed"):
        assert result.get(key) is None, key
    assert result["oldState"] == result["newState"]
