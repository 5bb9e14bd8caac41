"""Method-level behaviour: errors, back-references and creation ids (RFC 8620 §3.6.2, §3.7, §3.3)."""

from __future__ import annotations

from jmapd.protocol.capabilities import CORE


def responses(client, calls, **extra):
    return client.request(calls, **extra)["methodResponses"]


def test_unknown_method_does_not_abort_others(client):
    """RFC 8620 §3.6.2: an error answers one call; later calls are processed as normal."""
    out = responses(client, [["Foo/bar", {}, "a"], ["Core/echo", {"x": 1}, "b"]])
    assert out[0] == ["error", {"type": "unknownMethod", "description": "unknown method 'Foo/bar'"}, "a"]
    assert out[1] == ["Core/echo", {"x": 1}, "b"]


def test_method_of_capability_not_in_using_is_unknown(client):
    """RFC 8620 §3.3: the client must opt in to a capability to use its methods."""
    out = responses(client, [["Mailbox/get", {"accountId": client.account_id}, "a"]], using=[CORE])
    assert out[0][0] == "error" and out[0][1]["type"] == "unknownMethod"


def test_invalid_arguments(client):
    """RFC 8620 §3.6.2: arguments of the wrong type, missing or unknown are invalidArguments."""
    bad = [
        {"accountId": client.account_id, "ids": "M1"},
        {"accountId": 5},
        {},
        {"accountId": client.account_id, "properties": [1, 2]},
        {"accountId": client.account_id, "noSuchArgument": 1},
        {"accountId": client.account_id, "ids": [None]},
    ]
    for args in bad:
        (name, result, _), = responses(client, [["Mailbox/get", args, "x"]])
        assert (name, result["type"]) == ("error", "invalidArguments"), args


def test_account_not_found(client, make_client):
    """RFC 8620 §3.6.2: an accountId the user cannot access is accountNotFound (accounts are isolated)."""
    other = make_client()
    for account_id in ("nope", other.account_id):
        (name, result, _), = responses(client, [["Mailbox/get", {"accountId": account_id}, "x"]])
        assert (name, result["type"]) == ("error", "accountNotFound")


def test_result_reference(client):
    """RFC 8620 §3.7: a #argument takes its value from an earlier response by JSON Pointer."""
    out = responses(client, [
        ["Mailbox/query", {"accountId": client.account_id, "filter": {"role": "inbox"}}, "q"],
        ["Mailbox/get", {"accountId": client.account_id,
                         "#ids": {"resultOf": "q", "name": "Mailbox/query", "path": "/ids"}}, "g"],
    ])
    assert out[1][0] == "Mailbox/get"
    assert [m["role"] for m in out[1][1]["list"]] == ["inbox"]


def test_result_reference_wildcard_flattens(client):
    """RFC 8620 §3.7: `*` maps through an array, and arrays of arrays are flattened."""
    out = responses(client, [
        ["Core/echo", {"list": [{"ids": ["a", "b"]}, {"ids": ["c"]}, {"ids": []}],
                       "objs": [{"id": "x"}, {"id": "y"}]}, "e"],
        ["Core/echo", {"#flat": {"resultOf": "e", "name": "Core/echo", "path": "/list/*/ids"},
                       "#plain": {"resultOf": "e", "name": "Core/echo", "path": "/objs/*/id"},
                       "#one": {"resultOf": "e", "name": "Core/echo", "path": "/list/0/ids/1"}}, "f"],
    ], using=[CORE])
    assert out[1][1] == {"flat": ["a", "b", "c"], "plain": ["x", "y"], "one": "b"}


def test_result_reference_escapes(client):
    """RFC 6901 via RFC 8620 §3.7: ~1 is '/', ~0 is '~' in reference tokens."""
    out = responses(client, [
        ["Core/echo", {"a/b": {"c~d": 7}}, "e"],
        ["Core/echo", {"#v": {"resultOf": "e", "name": "Core/echo", "path": "/a~1b/c~0d"}}, "f"],
    ], using=[CORE])
    assert out[1][1] == {"v": 7}


def test_invalid_result_references(client):
    """RFC 8620 §3.7: a reference that fails to resolve rejects the method with invalidResultReference."""
    refs = [
        {"resultOf": "nope", "name": "Core/echo", "path": "/x"},  # no such call
        {"resultOf": "e", "name": "Mailbox/get", "path": "/x"},  # wrong name
        {"resultOf": "e", "name": "Core/echo", "path": "/missing"},  # pointer does not resolve
        {"resultOf": "e", "name": "Core/echo", "path": "/x/5"},  # past the end
        {"resultOf": "e", "name": "Core/echo", "path": "x"},  # not a pointer
        {"resultOf": "e", "name": "Core/echo"},  # missing path
        "not an object",
    ]
    for ref in refs:
        out = responses(client, [["Core/echo", {"x": [1]}, "e"], ["Core/echo", {"#y": ref}, "f"]], using=[CORE])
        assert out[1][0] == "error" and out[1][1]["type"] == "invalidResultReference", ref


def test_reference_to_later_call_fails(client):
    """RFC 8620 §3.7: only previously processed calls can be referenced."""
    out = responses(client, [["Core/echo", {"#y": {"resultOf": "f", "name": "Core/echo", "path": "/x"}}, "e"],
                             ["Core/echo", {"x": 1}, "f"]], using=[CORE])
    assert out[0][1]["type"] == "invalidResultReference"


def test_same_argument_plain_and_referenced(client):
    """RFC 8620 §3.7: `foo` and `#foo` together is invalidArguments."""
    out = responses(client, [["Core/echo", {"x": 1}, "e"],
                             ["Core/echo", {"x": 2, "#x": {"resultOf": "e", "name": "Core/echo", "path": "/x"}}, "f"]],
                    using=[CORE])
    assert out[1][1]["type"] == "invalidArguments"


def test_creation_ids_across_calls_and_created_ids(client):
    """RFC 8620 §3.3 and §5.3: #creationId refers to a record created in an earlier call; createdIds
    given in the request is returned with every new creation added."""
    body = client.request([
        ["Mailbox/set", {"accountId": client.account_id, "create": {"top": {"name": "Top"}}}, "a"],
        ["Mailbox/set", {"accountId": client.account_id, "create": {"kid": {"name": "Kid", "parentId": "#top"}}}, "b"],
        ["Mailbox/get", {"accountId": client.account_id, "ids": ["#kid"], "properties": ["parentId", "name"]}, "c"],
    ], createdIds={"earlier": "Mzzz"})
    top = body["methodResponses"][0][1]["created"]["top"]["id"]
    kid = body["methodResponses"][1][1]["created"]["kid"]["id"]
    assert body["methodResponses"][2][1]["list"] == [{"id": kid, "parentId": top, "name": "Kid"}]
    assert body["createdIds"] == {"earlier": "Mzzz", "top": top, "kid": kid}


def test_initial_created_ids_resolve(client):
    """RFC 8620 §3.3: createdIds passed in the request resolve #references (for proxies)."""
    inbox = client.mailboxes()["inbox"]["id"]
    body = client.request([["Mailbox/get", {"accountId": client.account_id, "ids": ["#given"],
                                            "properties": ["role"]}, "c"]], createdIds={"given": inbox})
    assert body["methodResponses"][0][1]["list"] == [{"id": inbox, "role": "inbox"}]


def test_unknown_creation_id_is_invalid(client):
    """RFC 8620 §5.3: a reference to a creation id never created is not a valid foreign key."""
    _, result = client.call("Mailbox/set", {"create": {"k": {"name": "K", "parentId": "#nowhere"}}})
    assert result["notCreated"]["k"]["type"] == "invalidProperties"
    assert result["notCreated"]["k"]["properties"] == ["parentId"]


def test_max_objects_in_get(client):
    """RFC 8620 §5.1: more ids than maxObjectsInGet is requestTooLarge."""
    limit = client.session["capabilities"]["urn:ietf:params:jmap:core"]["maxObjectsInGet"]
    name, result = client.call("Mailbox/get", {"ids": [f"M{i}" for i in range(limit + 1)]})
    assert (name, result["type"]) == ("error", "requestTooLarge")


def test_blob_copy_between_accounts_refuses_unreachable(client, make_client):
    """RFC 8620 §6.3 and §3.6.2: Blob/copy to an account the user cannot reach is accountNotFound, from
    one it cannot reach is fromAccountNotFound."""
    other = make_client()
    blob = client.http.post(f"/jmap/upload/{client.account_id}/", content=b"hello").json()["blobId"]
    _, result = client.call("Blob/copy", {"fromAccountId": client.account_id, "accountId": other.account_id,
                                          "blobIds": [blob]}, using=[CORE])
    assert result["type"] == "accountNotFound"
    _, result = client.call("Blob/copy", {"fromAccountId": other.account_id, "accountId": client.account_id,
                                          "blobIds": [blob]}, using=[CORE])
    assert result["type"] == "fromAccountNotFound"


def test_blob_copy_reports_missing(client):
    """RFC 8620 §6.3: blobs that cannot be copied are in notCopied with a blobNotFound SetError."""
    blob = client.http.post(f"/jmap/upload/{client.account_id}/", content=b"hello").json()["blobId"]
    _, result = client.call("Blob/copy", {"fromAccountId": client.account_id, "accountId": client.account_id,
                                          "blobIds": [blob, "Bnothere"]}, using=[CORE])
    assert result["copied"] == {blob: blob}
    assert result["notCopied"]["Bnothere"]["type"] == "blobNotFound"
