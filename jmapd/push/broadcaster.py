"""StateChange events (RFC 8620 §7.1) as the store commits, for every push channel.

The store calls `Broadcaster.committed` from whichever thread of this process committed, once per
group commit; the states of the accounts it touched are read there and handed to the event loop,
where each listener (an EventSource, a WebSocket, the PushSubscription sender) gets one event for
the batch, filtered to its accounts and types. Commits of other processes on the same data folder
(other server workers, `jmapd` commands, other frontends) call nothing here: while anyone listens,
the loop polls LMDB's last transaction id and reads the listened-to accounts' states when it moves.
Both paths report a state only once.

Every state of an account is a modseq of that account's change log, so the largest state reported
for an account says everything up to it has been reported: a position (`positions.py`) made of one
such number per account is the EventSource event id and the WebSocket pushState, from which a
reconnecting client is told in one event what it missed.

Whether a user may still see an account is checked when each event is delivered, not only when the
listener connected: an account unshared meanwhile (`jmapd user unshare`) is no longer reported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from store import Store
from store.users import get_user

from .positions import Position, encode_position

log = logging.getLogger("jmapd.push")

# How soon a change committed by another process reaches this process's push connections.
POLL_SECONDS = 0.25
# Events a listener may have waiting; one more and the listener is dropped: a consumer that reads
# slower than changes happen must not hold memory (or the server) up.
BUFFER_EVENTS = 64


class Event:
    """One StateChange for its listeners: `changed` as RFC 8620 §7.1 has it, and the position after
    it. Listeners with the same accounts and types share one, and each channel's encoding of it is
    made once (a thousand listeners of one account cost one encoding, not a thousand)."""

    __slots__ = ("changed", "position", "encoded")

    def __init__(self, changed: dict[str, dict[str, str]], position: str):
        self.changed = changed
        self.position = position
        self.encoded: dict[str, bytes | str] = {}

    def state_change(self) -> dict:
        return {"@type": "StateChange", "changed": self.changed}

    def encode(self, channel: str, encoder: Callable[["Event"], bytes | str]) -> bytes | str:
        data = self.encoded.get(channel)
        if data is None:
            data = self.encoded[channel] = encoder(self)
        return data


@dataclass(eq=False)
class Subscriber:
    """One listener. `user` (a normalized user name) is checked for access to each account at
    delivery; None marks the server's own listeners, which see what they subscribed to."""

    accounts: frozenset[str]
    types: frozenset[str] | None  # None: every type
    user: str | None = None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(BUFFER_EVENTS))
    # Called once when the buffer overflows; the channel then closes its connection.
    on_overflow: Callable[[], None] | None = None
    dropped: bool = False

    def offer(self, event: Event) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            if self.on_overflow is not None:
                self.on_overflow()


class Broadcaster:
    def __init__(self, store: Store):
        self.store = store
        self.subscribers: set[Subscriber] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        # The states last reported (or found when the first subscriber came), per listened account.
        self._reported: dict[str, dict[str, int]] = {}
        self._listeners: dict[str, int] = {}  # listeners per account, to forget unlistened ones
        self._last_txnid = -1
        self._poller: asyncio.Task | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.store.add_listener(self.committed)
        self._poller = loop.create_task(self._poll())

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            try:
                await self._poller
            except asyncio.CancelledError:
                pass

    def subscribe(self, sub: Subscriber) -> None:
        """Listen from the states the accounts have now: only later changes are reported."""
        if sub in self.subscribers:
            return
        with self.store.read() as txn:
            for account_id in sub.accounts:
                if account_id not in self._reported:
                    self._reported[account_id] = txn.states(account_id)
                self._listeners[account_id] = self._listeners.get(account_id, 0) + 1
        self.subscribers.add(sub)

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub not in self.subscribers:
            return
        self.subscribers.discard(sub)
        for account_id in sub.accounts:
            left = self._listeners[account_id] - 1
            if left:
                self._listeners[account_id] = left
            else:
                del self._listeners[account_id]
                self._reported.pop(account_id, None)

    def catch_up(self, sub: Subscriber, since: Position) -> Event | None:
        """What `sub` missed after `since` (a position it was given), as one event; call it after
        subscribe(), so that nothing committed in between falls through."""
        visible = self._visible({}, sub.user)
        changed: dict[str, dict[str, str]] = {}
        now: dict[str, int] = {}
        with self.store.read() as txn:
            for account_id in sub.accounts:
                if visible is not None and account_id not in visible:
                    continue
                states = txn.states(account_id)
                now[account_id] = max(states.values(), default=0)
                if account_id not in since:
                    continue
                mine = {kind: str(state) for kind, state in states.items()
                        if state > since[account_id] and (sub.types is None or kind in sub.types)}
                if mine:
                    changed[account_id] = mine
        return Event(changed, encode_position(now)) if changed else None

    def position(self, sub: Subscriber) -> str:
        """Where `sub` stands now: everything up to it has been reported to it."""
        return encode_position({a: max(self._reported.get(a, {}).values(), default=0) for a in sub.accounts})
    def rebase(self, account_id: str) -> None:
        """Report from the states the account has now, even if lower than those reported: after a
        test server put the account back as it was (nothing else makes a state go down)."""
        if account_id in self._reported:
            with self.store.read() as txn:
                self._reported[account_id] = txn.states(account_id)

    def committed(self, touched: set[tuple[str, str]]) -> None:
        """Called by the store's writer thread after each group commit."""
        if self.loop is None or not self.subscribers:
            return
        accounts = {account_id for account_id, _ in touched if account_id in self._reported}
        if not accounts:
            return
        with self.store.read() as txn:
            # Every state of each touched account, not only those that moved: an account's position
            # is then the largest of them, and all at or below it have been reported.
            states = {account_id: txn.states(account_id) for account_id in accounts}
        self.loop.call_soon_threadsafe(self._report, states)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if not self.subscribers:
                continue
            try:
                txnid = self.store.env.info()["last_txnid"]
                if txnid == self._last_txnid:
                    continue
                self._last_txnid = txnid
                with self.store.read() as txn:
                    states = {account_id: txn.states(account_id) for account_id in self._reported}
                self._report(states)
            except Exception:  # the poller must outlive any one failure
                log.exception("reading the store's changes for push failed")

    def _report(self, states: dict[str, dict[str, int]]) -> None:
        """Fan out the states newer than those reported (on the loop: one path at a time)."""
        changed: dict[str, dict[str, str]] = {}
        for account_id, kinds in states.items():
            reported = self._reported.get(account_id)
            if reported is None:
                continue
            for kind, state in kinds.items():
                if state > reported.get(kind, 0):
                    reported[kind] = state
                    changed.setdefault(account_id, {})[kind] = str(state)
        if not changed:
            return
        positions = {a: max(self._reported[a].values(), default=0) for a in changed}
        access: dict[str, frozenset[str] | None] = {}
        shared: dict[tuple, Event | None] = {}
        for sub in list(self.subscribers):
            touched = [a for a in changed if a in sub.accounts]
            if not touched:
                continue
            visible = self._visible(access, sub.user)
            key = (sub.accounts, sub.types, visible)
            if key in shared:
                if shared[key] is not None:
                    sub.offer(shared[key])
                continue
            shared[key] = None
            mine: dict[str, dict[str, str]] = {}
            for account_id in touched:
                if visible is not None and account_id not in visible:
                    continue
                kinds = changed[account_id]
                if sub.types is not None:
                    kinds = {k: v for k, v in kinds.items() if k in sub.types}
                if kinds:
                    mine[account_id] = kinds
            if mine:
                shared[key] = event = Event(mine, self._position_of(sub, positions))
                sub.offer(event)

    def _position_of(self, sub: Subscriber, fresh: dict[str, int]) -> str:
        return encode_position({a: fresh[a] if a in fresh else max(self._reported.get(a, {}).values(), default=0)
                                for a in sub.accounts})

    def _visible(self, cache: dict[str, frozenset[str] | None], user: str | None) -> frozenset[str] | None:
        """The accounts `user` may see now (None: no check), read once per event batch."""
        if user is None:
            return None
        if user not in cache:
            with self.store.read() as txn:
                record = get_user(txn, user)
            cache[user] = (frozenset() if record is None or record.disabled
                           else frozenset({record.account_id, *record.shared_accounts}))
        return cache[user]
