"""EventSource push (RFC 8620 §7.3) and the concurrency limits of the core capability (§2)."""

from __future__ import annotations

import json
import threading
import time

import httpx

from jmapd.protocol.capabilities import CORE, CoreLimits
from jmapd.testing import LiveServer


def read_events(response, count):
    events, name = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))
            if len(events) == count:
                return events
    return events


def test_eventsource_state_change(client):
    """RFC 8620 §7.3 and §7.1: an EventSource connection gets a `state` event with a StateChange
    naming the account and the new state of each changed type; closeafter=state closes after it."""
    url = (client.session["eventSourceUrl"].replace("{types}", "*").replace("{closeafter}", "state")
           .replace("{ping}", "0"))
    with client.http.stream("GET", url, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        threading.Timer(0.3, lambda: client.call("Mailbox/set", {"create": {"n": {"name": "Pushed"}}})).start()
        events = read_events(response, 2)
    assert len(events) == 1  # the stream ended after the first state event
    name, change = events[0]
    assert name == "state"
    assert change["@type"] == "StateChange"
    state = client.ok("Mailbox/get", {"ids": []})["state"]
    assert change["changed"] == {client.account_id: {"Mailbox": state}}


def test_eventsource_filters_types_and_pings(client):
    """RFC 8620 §7.3: `types` filters the data types reported; `ping` sends ping events with the interval."""
    url = (client.session["eventSourceUrl"].replace("{types}", "Email").replace("{closeafter}", "no")
           .replace("{ping}", "1"))
    with client.http.stream("GET", url, timeout=15) as response:
        client.call("Mailbox/set", {"create": {"n": {"name": "NotReported"}}})
        events = read_events(response, 1)
    assert events[0][0] == "ping"
    assert events[0][1]["interval"] >= 1


def test_eventsource_is_account_isolated(client, make_client):
    """Security: one user's changes are never pushed to another."""
    other = make_client()
    url = (other.session["eventSourceUrl"].replace("{types}", "*").replace("{closeafter}", "no")
           .replace("{ping}", "1"))
    with other.http.stream("GET", url, timeout=15) as response:
        client.call("Mailbox/set", {"create": {"n": {"name": "Mine"}}})
        events = read_events(response, 1)
    assert events[0][0] == "ping"


def slow_body(seconds):
    yield b"{"
    time.sleep(seconds)
    yield b"}"


def test_max_concurrent_upload_and_requests():
    """RFC 8620 §2: maxConcurrentUpload and maxConcurrentRequests are enforced per user with a `limit`
    problem naming the limit."""
    limits = CoreLimits(max_concurrent_upload=1, max_concurrent_requests=1)
    with LiveServer(limits=limits) as server:
        user = server.add_user("busy", "pw")
        session = httpx.get(server.url + "/jmap/session", auth=("busy", "pw")).json()
        assert session["capabilities"][CORE]["maxConcurrentUpload"] == 1
        for url, name in ((f"{server.url}/jmap/upload/{user.account_id}/", "maxConcurrentUpload"),
                          (session["apiUrl"], "maxConcurrentRequests")):
            slow = threading.Thread(target=lambda: httpx.post(
                url, content=slow_body(1.0), auth=("busy", "pw"), headers={"content-type": "application/json"},
                timeout=10))
            slow.start()
            time.sleep(0.4)
            r = httpx.post(url, content=b"{}", auth=("busy", "pw"), headers={"content-type": "application/json"})
            slow.join()
            assert r.status_code == 429, (name, r.text)
            assert r.json()["type"] == "urn:ietf:params:jmap:error:limit"
            assert r.json()["limit"] == name
