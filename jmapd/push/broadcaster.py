"""StateChange events (RFC 8620 §7.1) as the store commits, for EventSource and other push channels.

The store calls `Broadcaster.committed` from whichever thread of this process committed; events are
handed to the event loop, where each open push connection has a queue filtered to its accounts and
types. Commits of other processes on the same data folder (other server workers, `jmapd` commands)
call nothing here: while anyone listens, the loop polls LMDB's last transaction id and reads the
listened-to accounts' states when it moves. Both paths report a state only once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from store import Store

# How soon a change committed by another process reaches this process's push connections.
POLL_SECONDS = 0.25


@dataclass(eq=False)
class Subscriber:
    accounts: frozenset[str]
    types: frozenset[str] | None  # None: every type
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)


class Broadcaster:
    def __init__(self, store: Store):
        self.store = store
        self.subscribers: set[Subscriber] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        # The states last reported (or found when the first subscriber came), per listened account.
        self._reported: dict[str, dict[str, int]] = {}
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
        with self.store.read() as txn:
            for account_id in sub.accounts:
                if account_id not in self._reported:
                    self._reported[account_id] = txn.states(account_id)
        self.subscribers.add(sub)

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        listened = {a for s in self.subscribers for a in s.accounts}
        for account_id in [a for a in self._reported if a not in listened]:
            del self._reported[account_id]

    def rebase(self, account_id: str) -> None:
        """Report from the states the account has now, even if lower than those reported: after a
        test server put the account back as it was (nothing else makes a state go down)."""
        if account_id in self._reported:
            with self.store.read() as txn:
                self._reported[account_id] = txn.states(account_id)

    def committed(self, touched: set[tuple[str, str]]) -> None:
        if self.loop is None or not self.subscribers:
            return
        with self.store.read() as txn:
            changed: dict[str, dict[str, int]] = {}
            for account_id, kind in touched:
                changed.setdefault(account_id, {})[kind] = txn.state(account_id, kind)
        self.loop.call_soon_threadsafe(self._report, changed)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if not self.subscribers:
                continue
            txnid = self.store.env.info()["last_txnid"]
            if txnid == self._last_txnid:
                continue
            self._last_txnid = txnid
            with self.store.read() as txn:
                changed = {account_id: txn.states(account_id) for account_id in self._reported}
            self._report(changed)

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
        for sub in self.subscribers:
            mine = {
                account_id: {k: v for k, v in states.items() if sub.types is None or k in sub.types}
                for account_id, states in changed.items()
                if account_id in sub.accounts
            }
            mine = {a: s for a, s in mine.items() if s}
            if mine:
                sub.queue.put_nowait({"@type": "StateChange", "changed": mine})
