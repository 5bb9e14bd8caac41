"""The last few search results, for as long as the index does not change.

A client repeats searches: it pages through results (each page is a new
Email/query with the same filter), asks Email/query and then
Email/queryChanges, or several clients of one user search the same words.
A segment never changes once written, so the same snapshot gives the same
answer; every commit publishes a new snapshot, which empties the cache.
Results are frozensets, shared by every caller.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["RecentResults"]


class RecentResults:
    """An LRU of results of one snapshot generation, bounded in entries and in ids held."""

    # A frozenset costs ~50 bytes an id: 250,000 ids are ~12 MB (the ids themselves are the
    # segments' own strings, shared).
    def __init__(self, max_entries: int = 64, max_ids: int = 250_000) -> None:
        self.max_entries = max_entries
        self.max_ids = max_ids
        self._lock = threading.Lock()
        self._generation = -1
        self._items: OrderedDict[Hashable, frozenset[str]] = OrderedDict()
        self._ids = 0

    def get(self, generation: int, key: Hashable) -> frozenset[str] | None:
        with self._lock:
            if generation != self._generation:
                return None
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, generation: int, key: Hashable, value: frozenset[str]) -> None:
        if len(value) > self.max_ids:
            return
        with self._lock:
            if generation < self._generation:
                return  # computed on a snapshot that is already gone
            if generation > self._generation:
                self._items.clear()
                self._ids = 0
                self._generation = generation
            old = self._items.pop(key, None)
            if old is not None:
                self._ids -= len(old)
            self._items[key] = value
            self._ids += len(value)
            while len(self._items) > self.max_entries or self._ids > self.max_ids:
                _, dropped = self._items.popitem(last=False)
                self._ids -= len(dropped)
