"""Mailbox/get (RFC 8621 §2, §2.1) over the generic /get (RFC 8620 §5.1)."""

from __future__ import annotations


from jmapd.protocol.capabilities import CORE, MAIL

PROPERTIES = {"id", "name", "parentId", "role", "sortOrder", "totalEmails", "unreadEmails", "totalThreads",
              "unreadThreads", "myRights", "isSubscribed"}
COUNTS = ("totalEmails", "unreadEmails", "totalThreads", "unreadThreads")
RIGHTS = {"mayReadItems", "mayAddItems", "mayRemoveItems", "maySetSeen", "maySetKeywords", "mayCreateChild",
          "mayRename", "mayDelete", "maySubmit"}
DEFAULT_ROLES = {"inbox", "drafts", "sent", "archive", "junk", "trash", "outbox"}


def get(client, **args):
    return client.ok("Mailbox/get", args)


def error_type(client, method, args):
    name, result = client.call(method, args)
    assert name == "error", result
    return result["type"]


def is_unsigned_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**53 - 1


def test_null_ids_returns_every_mailbox(client):
    """RFC 8621 §2.1: ids may be null to fetch all Mailboxes; notFound is then empty (RFC 8620 §5.1)."""
    result = get(client, ids=None)
    assert result["accountId"] == client.account_id
    assert isinstance(result["state"], str) and result["state"]
    assert result["notFound"] == []
    assert {m["role"] for m in result["list"]} == DEFAULT_ROLES
    assert len({m["id"] for m in result["list"]}) == len(result["list"]) == 7


def test_omitted_ids_is_null(client):
    """RFC 8620 §3.5 / §5.1: an omitted ids argument means null, i.e. every record."""
    assert {m["id"] for m in get(client)["list"]} == {m["id"] for m in get(client, ids=None)["list"]}


def test_every_property_present_with_its_type(client):
    """RFC 8621 §2: by default every Mailbox property is returned, each with the type the RFC gives."""
    for mailbox in get(client, ids=None)["list"]:
        assert set(mailbox) == PROPERTIES, mailbox
        assert isinstance(mailbox["id"], str) and 1 <= len(mailbox["id"]) <= 255
        assert isinstance(mailbox["name"], str) and mailbox["name"]
        assert mailbox["parentId"] is None or isinstance(mailbox["parentId"], str)
        assert mailbox["role"] is None or isinstance(mailbox["role"], str)
        assert is_unsigned_int(mailbox["sortOrder"]) and mailbox["sortOrder"] < 2**31
        for count in COUNTS:
            assert is_unsigned_int(mailbox[count]), (count, mailbox)
        assert isinstance(mailbox["myRights"], dict)
        assert isinstance(mailbox["isSubscribed"], bool)


def test_properties_null_returns_all(client):
    """RFC 8620 §5.1: properties null means every property of the object."""
    for mailbox in get(client, ids=None, properties=None)["list"]:
        assert set(mailbox) == PROPERTIES


def test_new_account_counts_are_zero(client):
    """RFC 8621 §2: totalEmails/unreadEmails/totalThreads/unreadThreads count Emails; a new account has none."""
    for mailbox in get(client, ids=None)["list"]:
        assert all(mailbox[count] == 0 for count in COUNTS), mailbox


def test_my_rights_shape(client):
    """RFC 8621 §2: myRights is a MailboxRights object of exactly nine Booleans."""
    for mailbox in get(client, ids=None)["list"]:
        rights = mailbox["myRights"]
        assert set(rights) == RIGHTS, rights
        assert all(isinstance(v, bool) for v in rights.values()), rights


def test_own_mailboxes_are_readable(client):
    """RFC 8621 §2: the owner of a personal account may read (and so query and fetch) its own mailboxes."""
    for mailbox in get(client, ids=None)["list"]:
        assert mailbox["myRights"]["mayReadItems"] is True


def test_properties_filter_returns_only_those_and_id(client):
    """RFC 8620 §5.1: only the properties listed are returned, and id always is, even if not asked for."""
    result = get(client, ids=None, properties=["name", "role"])
    assert result["list"] and all(set(m) == {"id", "name", "role"} for m in result["list"])
    result = get(client, ids=None, properties=["totalEmails"])
    assert all(set(m) == {"id", "totalEmails"} for m in result["list"])
    result = get(client, ids=None, properties=[])
    assert all(set(m) == {"id"} for m in result["list"])


def test_properties_filter_values_match_full_object(client):
    """RFC 8620 §5.1: a property filter changes which properties come back, not their values."""
    full = {m["id"]: m for m in get(client, ids=None)["list"]}
    for mailbox in get(client, ids=None, properties=["sortOrder", "myRights", "isSubscribed"])["list"]:
        for prop, value in mailbox.items():
            assert full[mailbox["id"]][prop] == value


def test_invalid_property_is_invalid_arguments(client):
    """RFC 8620 §5.1: if an invalid property is requested, the call MUST be rejected with invalidArguments."""
    assert error_type(client, "Mailbox/get", {"ids": None, "properties": ["name", "colour"]}) == "invalidArguments"
    # Properties of other data types are not Mailbox properties.
    assert error_type(client, "Mailbox/get", {"ids": None, "properties": ["mailboxIds"]}) == "invalidArguments"


def test_not_found(client):
    """RFC 8620 §5.1: ids of records that do not exist are listed in notFound; the others in list."""
    inbox = client.mailboxes()["inbox"]["id"]
    result = get(client, ids=[inbox, "no-such-id"])
    assert [m["id"] for m in result["list"]] == [inbox]
    assert result["notFound"] == ["no-such-id"]


def test_duplicate_ids_answered_once(client):
    """RFC 8620 §5.1: an id included more than once MUST be in list or notFound only once."""
    inbox = client.mailboxes()["inbox"]["id"]
    result = get(client, ids=[inbox, "missing", inbox, "missing", inbox])
    assert [m["id"] for m in result["list"]] == [inbox]
    assert result["notFound"] == ["missing"]


def test_empty_ids(client):
    """RFC 8620 §5.1: an empty ids array gives an empty list and an empty notFound."""
    result = get(client, ids=[])
    assert result["list"] == [] and result["notFound"] == []
    assert result["state"] == get(client, ids=None)["state"]


def test_get_by_ids_matches_get_all(client):
    """RFC 8620 §5.1: a record fetched by id is the same as in the list of all records."""
    everything = {m["id"]: m for m in get(client, ids=None)["list"]}
    some = list(everything)[:3]
    assert {m["id"]: m for m in get(client, ids=some)["list"]} == {i: everything[i] for i in some}


def test_state_stable_until_data_changes(client):
    """RFC 8620 §5.1: the state SHOULD stay the same while the data is unchanged and MUST change when it does."""
    first = get(client, ids=None)["state"]
    assert get(client, ids=[])["state"] == first
    client.ok("Mailbox/set", {"create": {"a": {"name": "New"}}})
    assert get(client, ids=None)["state"] != first


def test_state_covers_all_records_not_just_those_returned(client):
    """RFC 8620 §5.1: state represents all the data of the type, not just the records returned."""
    inbox = client.mailboxes()["inbox"]["id"]
    before = get(client, ids=[inbox])["state"]
    client.ok("Mailbox/set", {"create": {"a": {"name": "Elsewhere"}}})
    assert get(client, ids=[inbox])["state"] != before


def test_account_not_found(client, make_client):
    """RFC 8620 §3.6.2: an accountId that does not exist or is not the user's is accountNotFound."""
    assert error_type(client, "Mailbox/get", {"accountId": "nope", "ids": None}) == "accountNotFound"
    other = make_client()
    assert error_type(client, "Mailbox/get", {"accountId": other.account_id, "ids": None}) == "accountNotFound"


def test_too_many_ids_is_request_too_large(client):
    """RFC 8620 §5.1: more ids than maxObjectsInGet may be rejected with requestTooLarge."""
    limit = client.session["capabilities"][CORE]["maxObjectsInGet"]
    assert error_type(client, "Mailbox/get", {"ids": [f"x{i}" for i in range(limit + 1)]}) == "requestTooLarge"


def test_mail_capability_required(client):
    """RFC 8620 §3.3: Mailbox/get is a method of the mail capability, unknown without it in using."""
    name, result, _ = client.request([["Mailbox/get", {"accountId": client.account_id}, "0"]],
                                     using=[CORE])["methodResponses"][0]
    assert (name, result["type"]) == ("error", "unknownMethod")
    name, _, _ = client.request([["Mailbox/get", {"accountId": client.account_id}, "0"]],
                                using=[CORE, MAIL])["methodResponses"][0]
    assert name == "Mailbox/get"
