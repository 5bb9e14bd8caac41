"""Bad input never gets a 500 or a traceback: every case gets the error the RFC names (RFC 8620 §3.6)."""

from __future__ import annotations

import json
import random

import pytest

from jmapd.protocol.capabilities import CORE, MAIL

URN = "urn:ietf:params:jmap:error:"

GARBAGE_BODIES = [b"", b"null", b"1", b'"str"', b"[[[", b"\xff\xfe\x00", b'{"using": [], "methodCalls": {}}',
                  b"{" * 100, b'{"using":["' + CORE.encode() + b'"],"methodCalls":[[1,2,3]]}',
                  b'{"using":[null],"methodCalls":[]}', b"\x00" * 50, "{\"a\": \"\ud800\"}".encode("utf-8", "surrogatepass")]


@pytest.mark.parametrize("body", GARBAGE_BODIES)
def test_garbage_bodies(client, body):
    """RFC 8620 §3.6.1: anything that is not a Request is notJSON or notRequest, HTTP 400."""
    r = client.http.post(client.api_url, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["type"] in (URN + "notJSON", URN + "notRequest")


WRONG_VALUES = [None, True, -1, 2**64, 1.5, "", "x" * 300, [], {}, [None], {"a": None}, [[[]]]]
METHOD_ARGS = {
    "Mailbox/get": ["accountId", "ids", "properties"],
    "Mailbox/changes": ["accountId", "sinceState", "maxChanges"],
    "Mailbox/set": ["accountId", "ifInState", "create", "update", "destroy", "onDestroyRemoveEmails"],
    "Mailbox/query": ["accountId", "filter", "sort", "position", "anchor", "anchorOffset", "limit",
                      "calculateTotal", "sortAsTree", "filterAsTree"],
    "Mailbox/queryChanges": ["accountId", "filter", "sort", "sinceQueryState", "maxChanges", "upToId",
                             "calculateTotal"],
    "Blob/copy": ["fromAccountId", "accountId", "blobIds"],
}
ACCEPTABLE = {"invalidArguments", "accountNotFound", "fromAccountNotFound", "cannotCalculateChanges",
              "unsupportedFilter", "unsupportedSort", "anchorNotFound", "stateMismatch", "requestTooLarge"}


@pytest.mark.parametrize("method", sorted(METHOD_ARGS))
def test_wrong_types_in_every_argument(client, method):
    """RFC 8620 §3.6.2 and §3.9: a wrong type in any argument is a method error, never a crash; the
    other calls of the request still run."""
    base = {"accountId": client.account_id, "fromAccountId": client.account_id, "sinceState": "0",
            "sinceQueryState": "0", "blobIds": []}
    calls = []
    for arg in METHOD_ARGS[method]:
        for value in WRONG_VALUES:
            args = {k: v for k, v in base.items() if k in METHOD_ARGS[method]}
            args[arg] = value
            calls.append([method, args, f"{arg}={json.dumps(value)[:20]}"])
    for start in range(0, len(calls), 30):
        chunk = calls[start:start + 30]
        body = client.request(chunk, using=[CORE, MAIL])
        assert len(body["methodResponses"]) >= len(chunk)
        for name, result, call_id in body["methodResponses"]:
            if name == "error":
                assert result["type"] in ACCEPTABLE, (call_id, result)
                assert result["type"] != "serverFail", (call_id, result)


def test_random_set_payloads_never_fail_the_server(client):
    """RFC 8620 §5.3: malformed create/update objects are SetErrors; stored data is not lost."""
    rng = random.Random(8620)
    values = WRONG_VALUES + ["Inbox", "inbox", "#nope", 0, 2**31, {"name": "x"}]
    props = ["name", "parentId", "role", "sortOrder", "isSubscribed", "id", "myRights", "totalEmails", "x/y", ""]
    inbox = client.mailboxes()["inbox"]
    for _ in range(20):
        create = {f"c{i}": {rng.choice(props): rng.choice(values) for _ in range(3)} for i in range(5)}
        update = {inbox["id"]: {rng.choice(props): rng.choice(values)}, "Mnope": {"name": "z"}}
        body = client.request([["Mailbox/set", {"accountId": client.account_id, "create": create,
                                                "update": update}, "s"]])
        name, result, _ = body["methodResponses"][0]
        assert name == "Mailbox/set", result
    after = {m["id"]: m for m in client.ok("Mailbox/get", {"ids": None})["list"]}
    assert after[inbox["id"]]["name"] == "Inbox"  # the inbox may not be renamed
    assert after[inbox["id"]]["role"] == "inbox"  # nor lose its role: delivery depends on it


def test_huge_numbers(client):
    """RFC 8620 §1.3: numbers beyond the UnsignedInt range are invalidArguments."""
    for args in ({"limit": 2**60}, {"position": -(2**60)}, {"limit": 10**30}, {"anchorOffset": 1e300}):
        name, result = client.call("Mailbox/query", args)
        assert (name, result["type"]) == ("error", "invalidArguments"), args


def test_non_string_method_name_and_ids(client):
    """RFC 8620 §3.2: an Invocation is [String, Object, String]; anything else is notRequest."""
    r = client.post({"using": [CORE], "methodCalls": [[None, {}, "c"]]})
    assert r.status_code == 400 and r.json()["type"] == URN + "notRequest"
