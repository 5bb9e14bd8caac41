"""Request-level behaviour of the API endpoint (RFC 8620 §3)."""

from __future__ import annotations

import json

from jmapd.protocol.capabilities import CORE, MAIL

URN = "urn:ietf:params:jmap:error:"


def problem(response):
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def test_not_json_body(client):
    """RFC 8620 §3.6.1: a body that does not parse as I-JSON is notJSON, HTTP 400."""
    r = client.http.post(client.api_url, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    body = problem(r)
    assert body["type"] == URN + "notJSON"
    assert body["status"] == 400


def test_wrong_content_type(client):
    """RFC 8620 §3.6.1: a request whose content type is not application/json is notJSON."""
    r = client.http.post(client.api_url, content=b'{"using":[],"methodCalls":[]}',
                         headers={"content-type": "text/plain"})
    assert r.status_code == 400
    assert problem(r)["type"] == URN + "notJSON"


def test_not_request(client):
    """RFC 8620 §3.6.1: valid JSON that is not a Request object is notRequest."""
    for body in ([], {"using": [CORE]}, {"using": "x", "methodCalls": []},
                 {"using": [CORE], "methodCalls": [["Core/echo", {}]]},
                 {"using": [CORE], "methodCalls": [["Core/echo", [], "c"]]}):
        r = client.post(body)
        assert r.status_code == 400, body
        assert problem(r)["type"] == URN + "notRequest", body


def test_unknown_capability(client):
    """RFC 8620 §3.6.1: an unsupported capability in `using` is unknownCapability."""
    r = client.post({"using": [CORE, "https://example.com/apis/foobar"], "methodCalls": []})
    assert r.status_code == 400
    body = problem(r)
    assert body["type"] == URN + "unknownCapability"
    assert "https://example.com/apis/foobar" in body["detail"]


def test_core_left_out_of_using(client):
    """RFC 8620 §3.3 and §2: each call's capability counts; without core in `using`, Core/echo does
    not exist for the request (unknownMethod), while the mail call it opted in to runs."""
    r = client.post({"using": [MAIL], "methodCalls": [["Core/echo", {}, "c"],
                                                      ["Mailbox/get", {"accountId": client.account_id}, "m"]]})
    assert r.status_code == 200
    (echo, mailboxes) = r.json()["methodResponses"]
    assert echo == ["error", {"type": "unknownMethod", "description": "unknown method 'Core/echo'"}, "c"]
    assert mailboxes[0] == "Mailbox/get"


def test_unknown_request_properties_ignored(client):
    """RFC 8620 §3.3: a server MUST ignore Request properties it does not understand."""
    r = client.post({"using": [CORE], "methodCalls": [["Core/echo", {"x": 1}, "c"]], "extension": True})
    assert r.status_code == 200
    assert r.json()["methodResponses"] == [["Core/echo", {"x": 1}, "c"]]


def test_max_calls_in_request(client, live):
    """RFC 8620 §3.6.1: exceeding maxCallsInRequest is a `limit` error naming the limit."""
    limit = client.session["capabilities"][CORE]["maxCallsInRequest"]
    calls = [["Core/echo", {}, str(i)] for i in range(limit + 1)]
    r = client.post({"using": [CORE], "methodCalls": calls})
    assert r.status_code == 400
    body = problem(r)
    assert body["type"] == URN + "limit"
    assert body["limit"] == "maxCallsInRequest"
    ok = client.post({"using": [CORE], "methodCalls": calls[:limit]})
    assert ok.status_code == 200 and len(ok.json()["methodResponses"]) == limit


def test_max_size_request(client, live):
    """RFC 8620 §3.6.1: a body larger than maxSizeRequest is a `limit` error (maxSizeRequest)."""
    limit = client.session["capabilities"][CORE]["maxSizeRequest"]
    big = json.dumps({"using": [CORE], "methodCalls": [["Core/echo", {"pad": "x" * limit}, "c"]]})
    r = client.http.post(client.api_url, content=big.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400
    body = problem(r)
    assert body["type"] == URN + "limit"
    assert body["limit"] == "maxSizeRequest"


def test_deep_json_is_rejected_cleanly(client):
    """RFC 8620 §8.4: deeply nested JSON must not crash the server; it is refused as notJSON."""
    deep = b'{"using":["' + CORE.encode() + b'"],"methodCalls":[["Core/echo",{"a":' + b"[" * 5000 + b"]" * 5000 + b'},"c"]]}'
    r = client.http.post(client.api_url, content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert problem(r)["type"] == URN + "notJSON"


def test_nesting_limit_is_exact(client):
    """RFC 8620 §8.4: the server bounds JSON nesting (64 levels, the Request object being the first):
    a request nested exactly that deep runs, one level more is refused as notJSON."""
    def request(lists: int) -> bytes:
        # Request, methodCalls, the call and its arguments are four levels; then `lists` arrays.
        return (b'{"using":["' + CORE.encode() + b'"],"methodCalls":[["Core/echo",{"a":'
                + b"[" * lists + b"]" * lists + b'},"c"]]}')

    ok = client.http.post(client.api_url, content=request(60), headers={"content-type": "application/json"})
    assert ok.status_code == 200 and ok.json()["methodResponses"][0][0] == "Core/echo"
    deep = client.http.post(client.api_url, content=request(61), headers={"content-type": "application/json"})
    assert deep.status_code == 400
    assert problem(deep)["type"] == URN + "notJSON"


def test_response_carries_session_state(client):
    """RFC 8620 §3.4: every Response has sessionState equal to the Session's state."""
    body = client.request([["Core/echo", {}, "c"]], using=[CORE])
    assert body["sessionState"] == client.session["state"]
    assert "createdIds" not in body  # only returned if given in the request


def test_echo(client):
    """RFC 8620 §4: Core/echo returns exactly the arguments it is given."""
    args = {"hello": True, "high": 5, "nested": {"list": [1, "two", None]}}
    assert client.request([["Core/echo", args, "b3ff"]], using=[CORE])["methodResponses"] == [
        ["Core/echo", args, "b3ff"]
    ]


def test_get_with_api_method_not_allowed(client):
    """RFC 8620 §3.1: API requests are POSTs; other methods get a clear 4xx."""
    assert client.http.get(client.api_url).status_code == 405
