"""A push listener that does not keep up is dropped once its bounded buffer is full, instead of
holding memory (or the server) up; the others keep getting every event (RFC 8620 §7: a dropped
push costs a client only a resync)."""

from __future__ import annotations

import asyncio

from jmapd.mail.accounts import create_user
from jmapd.push import BUFFER_EVENTS, Broadcaster, Subscriber
from store import Store
from store.users import normalize


def test_a_listener_that_never_reads_is_dropped(tmp_path):
    """RFC 8620 §7.1 events, one per commit, into each listener's bounded buffer: the listener that
    reads nothing is dropped (its channel told once) after BUFFER_EVENTS events; one that reads
    gets all of them."""
    store = Store.open(str(tmp_path))
    user = create_user(store, "slow", "pw", None)

    async def scenario():
        push = Broadcaster(store)
        push.start(asyncio.get_running_loop())
        told = []
        stuck = Subscriber(frozenset({user.account_id}), None, user=normalize(user.name),
                           on_overflow=lambda: told.append(True))
        reader = Subscriber(frozenset({user.account_id}), None, user=normalize(user.name))
        push.subscribe(stuck)
        push.subscribe(reader)
        received = []
        for n in range(BUFFER_EVENTS + 5):
            await asyncio.to_thread(store.write, lambda txn, n=n: txn.bump(user.account_id, "modseq") and
                                    txn.note_state(user.account_id, "Probe"))
            received.append(await asyncio.wait_for(reader.queue.get(), 5))
        await push.stop()
        return told, stuck, received

    try:
        told, stuck, received = asyncio.run(scenario())
    finally:
        store.close()
    assert told == [True] and stuck.dropped
    assert stuck.queue.qsize() == BUFFER_EVENTS
    assert len(received) == BUFFER_EVENTS + 5
    states = [int(e.changed[user.account_id]["Probe"]) for e in received]
    assert states == sorted(set(states))
