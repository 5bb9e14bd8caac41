"""JMAP over WebSocket (RFC 8887): requests, errors and push on one connection."""

from __future__ import annotations

import base64
import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from jmapd.protocol.capabilities import CoreLimits
from jmapd.testing import LiveServer

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
WS = "urn:ietf:params:jmap:websocket"
_held: dict[int, list] = {}  # messages receive() skipped, per connection


def open_ws(client, url: str | None = None, subprotocols=("jmap",)):
    url = url or client.session["capabilities"][WS]["url"]
    user, password = client.username, "secret-pw"
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    ws = connect(url, subprotocols=list(subprotocols) if subprotocols else None,
                 additional_headers={"Authorization": auth}, open_timeout=10, max_size=None)
    _held.pop(id(ws), None)
    return ws


def request(ws, calls, request_id="R1", using=(CORE, MAIL)):
    ws.send(json.dumps({"@type": "Request", "id": request_id, "using": list(using), "methodCalls": calls}))


def receive(ws, kind: str | None = None, timeout: float = 20.0):
    """The next message (of @type `kind`: others are kept for later calls, in order)."""
    held = _held.setdefault(id(ws), [])
    for message in held:
        if kind is None or message["@type"] == kind:
            held.remove(message)
            return message
    while True:
        message = json.loads(ws.recv(timeout=timeout))
        if kind is None or message["@type"] == kind:
            return message
        held.append(message)


def test_capability_and_request_response(client):
    """RFC 8887 §3 (the capability with url and supportsPush) and §4.3.2-4.3.3: a Request with an id
    is answered by a Response with that requestId, methodResponses and sessionState."""
    capability = client.session["capabilities"][WS]
    assert capability["supportsPush"] is True and capability["url"].startswith("ws://")
    with open_ws(client) as ws:
        assert ws.subprotocol == "jmap"
        request(ws, [["Core/echo", {"hello": True}, "c1"],
                     ["Mailbox/get", {"accountId": client.account_id, "ids": []}, "c2"]], "first")
        response = receive(ws)
        assert response["@type"] == "Response" and response["requestId"] == "first"
        assert response["methodResponses"][0] == ["Core/echo", {"hello": True}, "c1"]
        assert response["methodResponses"][1][0] == "Mailbox/get"
        assert response["sessionState"] == client.session["state"]


def test_bad_messages_get_request_errors_and_the_connection_stays(client):
    """RFC 8887 §4.3.4: bad JSON, an unknown @type or a bad Request get a RequestError (with the
    requestId when there is one), and the connection goes on answering."""
    with open_ws(client) as ws:
        ws.send("{not json")
        error = receive(ws)
        assert error["@type"] == "RequestError" and error["type"].endswith(":notJSON")
        ws.send(json.dumps({"@type": "Nonsense", "id": "x1"}))
        error = receive(ws)
        assert error["type"].endswith(":notRequest") and error["requestId"] == "x1"
        ws.send(json.dumps({"@type": "Request", "id": "x2", "using": [CORE], "methodCalls": "no"}))
        error = receive(ws)
        assert error["type"].endswith(":notRequest") and error["requestId"] == "x2"
        request(ws, [["Core/echo", {}, "c"]], "x3", using=(CORE, "urn:example:unknown"))
        error = receive(ws)
        assert error["type"].endswith(":unknownCapability") and error["requestId"] == "x3"
        ws.send(b"\x00binary")
        assert receive(ws)["@type"] == "RequestError"
        request(ws, [["Core/echo", {"still": "here"}, "c"]], "x4")
        assert receive(ws)["requestId"] == "x4"


def test_authentication_and_subprotocol_required(client):
    """RFC 8887 §4.1-4.2: the opening handshake is authenticated as any request (401 without
    credentials) and must negotiate the jmap subprotocol."""
    url = client.session["capabilities"][WS]["url"]
    with pytest.raises(InvalidStatus) as refused:
        connect(url, subprotocols=["jmap"], open_timeout=10)
    assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as refused:
        open_ws(client, subprotocols=())
    assert refused.value.response.status_code == 400


def test_push_enable_state_changes_and_resume(client):
    """RFC 8887 §4.3.5: after WebSocketPushEnable, changes (made here over the WebSocket itself)
    arrive as StateChange objects with a pushState; a new connection enabling push with that
    pushState is sent what it missed at once; WebSocketPushDisable stops the pushes."""
    with open_ws(client) as ws:
        ws.send(json.dumps({"@type": "WebSocketPushEnable", "dataTypes": ["Mailbox"]}))
        request(ws, [["Mailbox/set", {"accountId": client.account_id,
                                      "create": {"n": {"name": "Over the socket"}}}, "c"]], "set")
        response = receive(ws, "Response")
        new_state = response["methodResponses"][0][1]["newState"]
        change = receive(ws, "StateChange")
        assert change["changed"] == {client.account_id: {"Mailbox": new_state}}
        push_state = change["pushState"]
    client.ok("Mailbox/set", {"create": {"n": {"name": "While closed"}}})
    missed_state = client.ok("Mailbox/get", {"ids": []})["state"]
    with open_ws(client) as ws:
        ws.send(json.dumps({"@type": "WebSocketPushEnable", "dataTypes": None, "pushState": push_state}))
        change = receive(ws, "StateChange")
        assert change["changed"] == {client.account_id: {"Mailbox": missed_state}}
        ws.send(json.dumps({"@type": "WebSocketPushDisable"}))
        client.ok("Mailbox/set", {"create": {"n": {"name": "Not pushed"}}})
        request(ws, [["Core/echo", {}, "c"]], "after")
        # The echo's Response is the next message: no StateChange came before it.
        assert receive(ws, timeout=5)["@type"] == "Response"
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)


def test_limits_per_connection(client_type):
    """RFC 8887 §4.3.4 with RFC 8620 §3.6.1: maxSizeRequest applies to each message (a `limit`
    error, the connection stays), a message past twice the limit is refused by closing (1009), and
    maxConcurrentRequests counts the requests in flight on the connection."""
    limits = CoreLimits(max_size_request=5000, max_concurrent_requests=1)
    with LiveServer(limits=limits) as server:
        server.add_user("wsl", "secret-pw")
        client = client_type(server.url, "wsl", "secret-pw")
        with open_ws(client) as ws:
            request(ws, [["Core/echo", {"pad": "x" * 6000}, "c"]], "big")
            error = receive(ws)
            assert error["type"].endswith(":limit") and error["limit"] == "maxSizeRequest"
            for n in range(3):  # sent back to back: the later ones find the first still running
                request(ws, [["Mailbox/set", {"accountId": client.account_id,
                                              "create": {"n": {"name": f"box {n}"}}}, "c"]], f"r{n}")
            answers = [receive(ws) for _ in range(3)]
            refused = [a for a in answers if a["@type"] == "RequestError"]
            assert refused and all(a["limit"] == "maxConcurrentRequests" for a in refused)
            assert any(a["@type"] == "Response" for a in answers)
            ws.send("x" * 11000)
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        client.close()
