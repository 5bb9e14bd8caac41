"""Push with several server processes on one data folder (`jmapd serve --workers N`): every
process's listeners get every process's changes (RFC 8620 §7.1: changes from whichever path)."""

from __future__ import annotations

import base64
import json

from websockets.sync.client import connect

WS = "urn:ietf:params:jmap:websocket"


def test_listeners_of_one_process_get_the_others_changes(two_servers, event_stream):
    """RFC 8620 §7.3 and RFC 8887 §4.3.5: an EventSource on one process and a WebSocket on the other
    both get a change made through either process."""
    here, there = two_servers
    stream = event_stream(here).ready()
    auth = "Basic " + base64.b64encode(b"both:both-pw").decode()
    with connect(there.session["capabilities"][WS]["url"], subprotocols=["jmap"],
                 additional_headers={"Authorization": auth}, open_timeout=10) as ws:
        ws.send(json.dumps({"@type": "WebSocketPushEnable", "dataTypes": ["Mailbox"]}))
        ws.send(json.dumps({"@type": "Request", "id": "sync", "using": ["urn:ietf:params:jmap:core"],
                            "methodCalls": [["Core/echo", {}, "c"]]}))
        assert json.loads(ws.recv(timeout=20))["requestId"] == "sync"  # push is on from here
        made_here = here.ok("Mailbox/set", {"create": {"n": {"name": "Made here"}}})["newState"]
        change = json.loads(ws.recv(timeout=20))
        assert change["changed"] == {here.account_id: {"Mailbox": made_here}}
        assert stream.next()[2]["changed"] == {here.account_id: {"Mailbox": made_here}}
        made_there = there.ok("Mailbox/set", {"create": {"n": {"name": "Made there"}}})["newState"]
        assert json.loads(ws.recv(timeout=20))["changed"] == {here.account_id: {"Mailbox": made_there}}
        assert stream.next()[2]["changed"] == {here.account_id: {"Mailbox": made_there}}
