"""EventSource push (RFC 8620 §7.3): StateChange events from every commit, resumable with
Last-Event-ID, checked parameters, and access re-checked at delivery."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from store.users import share_account


def test_one_event_per_change_with_an_id(client, event_stream):
    """RFC 8620 §7.3: a `state` event carries the StateChange (§7.1) of the change, and a new event id."""
    stream = event_stream(client).ready()
    first_id = stream.last_id
    state = client.ok("Mailbox/set", {"create": {"n": {"name": "Pushed"}}})["newState"]
    event_id, name, change = stream.next()
    assert change == {"@type": "StateChange", "changed": {client.account_id: {"Mailbox": state}}}
    assert event_id and event_id != first_id


def test_last_event_id_replays_what_was_missed(client, event_stream):
    """RFC 8620 §7.3: a client reconnecting with Last-Event-ID is sent the changes it missed at once,
    in one event; one reconnecting with an up-to-date id is sent nothing."""
    stream = event_stream(client).ready()
    mailbox_state = client.ok("Mailbox/set", {"create": {"n": {"name": "Before"}}})["newState"]
    seen_id = stream.next()[0]
    stream.close()
    # Missed while away: a mailbox and an email keyword change.
    client.ok("Mailbox/set", {"create": {"n": {"name": "While away"}}})
    mailbox_state = client.ok("Mailbox/get", {"ids": []})["state"]
    resumed = event_stream(client, last_event_id=seen_id)
    event_id, _, change = resumed.next(timeout=5)
    assert change["changed"] == {client.account_id: {"Mailbox": mailbox_state}}
    # Up to date: nothing is replayed, and later changes still come.
    again = event_stream(client, last_event_id=event_id).ready()
    assert again.next(timeout=0.5) is None
    client.ok("Mailbox/set", {"create": {"n": {"name": "Later"}}})
    assert again.next()[2]["changed"][client.account_id]["Mailbox"] != mailbox_state


def test_closeafter_state_with_a_replay(client, event_stream):
    """RFC 8620 §7.3: with closeafter=state the response ends after the first state event, the
    replayed one included."""
    stream = event_stream(client).ready()
    position = stream.last_id
    stream.close()
    client.ok("Mailbox/set", {"create": {"n": {"name": "Missed"}}})
    replay = event_stream(client, closeafter="state", last_event_id=position)
    assert replay.next() is not None
    assert replay.ended.wait(5)


def test_types_filter_and_ping(client, event_stream):
    """RFC 8620 §7.3: only the listed types are pushed; ping events carry the interval used and no id."""
    stream = event_stream(client, types="Email", ping=1).ready()
    client.ok("Mailbox/set", {"create": {"n": {"name": "Not for Email listeners"}}})
    event_id, _, ping = stream.next(name="ping", timeout=5)
    assert ping == {"interval": 1} and event_id is None
    assert [e for e in stream.seen if e[1] == "state"] == []


def test_bad_parameters_get_400(client):
    """RFC 8620 §7.3: types, closeafter and ping have fixed forms; anything else is a client error."""
    base = client.session["eventSourceUrl"]
    for types, closeafter, ping in (("*", "maybe", "0"), ("*", "no", "-1"), ("*", "no", "soon"),
                                    ("Em ail", "no", "0")):
        url = base.replace("{types}", types).replace("{closeafter}", closeafter).replace("{ping}", ping)
        response = client.http.get(url, timeout=5)
        assert response.status_code == 400, (types, closeafter, ping)
    assert httpx.get(base.replace("{types}", "*").replace("{closeafter}", "no").replace("{ping}", "0"),
                     timeout=5).status_code == 401


def test_shared_account_changes_stop_after_unshare(make_client, live, event_stream):
    """RFC 8620 §7.1 (changes for each account the user has access to) and the hardening finding:
    after `jmapd user unshare`, run as its own process, the former sharee's open EventSource gets
    nothing more of that account, while its own changes still come."""
    owner, sharee = make_client(), make_client()
    live.server.store.write(lambda txn: share_account(txn, owner.username, sharee.username, read_only=False))
    sharee.session = sharee.http.get("/jmap/session").json()
    stream = event_stream(sharee).ready()
    owner.ok("Mailbox/set", {"create": {"n": {"name": "Shared news"}}})
    assert owner.account_id in stream.next()[2]["changed"]
    jmapd = str(Path(sys.executable).with_name("jmapd"))
    done = subprocess.run([jmapd, "user", "unshare", owner.username, "--with", sharee.username,
                           "--data", live.config.data], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    owner.ok("Mailbox/set", {"create": {"n": {"name": "Private again"}}})
    sharee.ok("Mailbox/set", {"create": {"n": {"name": "My own"}}})
    _, _, change = stream.next()
    assert list(change["changed"]) == [sharee.account_id]
    assert stream.next(timeout=0.6) is None
