"""StateChange events (RFC 8620 §7.1) as the store commits, for EventSource and other push channels.

The store calls `Broadcaster.committed` from whichever thread committed; events are handed to the
event loop, where each open push connection has a queue filtered to its accounts and types.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from store import Store


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

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.store.add_listener(self.committed)

    def committed(self, touched: set[tuple[str, str]]) -> None:
        if self.loop is None or not self.subscribers:
            return
        with self.store.read() as txn:
            changed: dict[str, dict[str, str]] = {}
            for account_id, kind in touched:
                changed.setdefault(account_id, {})[kind] = str(txn.state(account_id, kind))
        self.loop.call_soon_threadsafe(self._fan_out, changed)

    def _fan_out(self, changed: dict[str, dict[str, str]]) -> None:
        for sub in self.subscribers:
            mine = {
                account_id: {k: v for k, v in states.items() if sub.types is None or k in sub.types}
                for account_id, states in changed.items()
                if account_id in sub.accounts
            }
            mine = {a: s for a, s in mine.items() if s}
            if mine:
                sub.queue.put_nowait({"@type": "StateChange", "changed": mine})
