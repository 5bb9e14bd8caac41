"""Query answers kept between requests, by account, arguments and state.

A state names one version of an account's records, so an answer computed at it stays exact for as
long as a client asks at that state: nothing needs invalidating, and an answer for an older state is
simply never asked for again. Clients re-run the same query (a mailbox's first page) on every
refresh; Cyrus keeps Email/query results for the same reason (jmap_querycache_max_age).
"""

from __future__ import annotations

import threading
from typing import Any

# Answers kept per account (those of the newest state only) and accounts kept, and the ids they
# hold in all: an answer may hold 10,000 ids (~80 bytes each, with the list's share).
MAX_PER_ACCOUNT = 64
MAX_ACCOUNTS = 1_000
MAX_IDS = 200_000


class QueryResults:
    def __init__(self, per_account: int = MAX_PER_ACCOUNT, accounts: int = MAX_ACCOUNTS, max_ids: int = MAX_IDS):
        self.per_account = per_account
        self.accounts = accounts
        self.max_ids = max_ids
        self._lock = threading.Lock()
        self._by_account: dict[str, tuple[int, dict[bytes, Any]]] = {}
        self._ids = 0

    def get(self, account_id: str, state: int, key: bytes) -> Any | None:
        held = self._by_account.get(account_id)
        if held is None or held[0] != state:
            return None
        kept = held[1].get(key)
        return None if kept is None else kept[1]

    def put(self, account_id: str, state: int, key: bytes, answer: Any, ids: int | None = None) -> None:
        """Keep a query answer under its arguments' bytes in `key`. Its weight is the ids it holds:
        `ids`, or by default the length of answer[1] (Email/query's (position, ids, total, limit))."""
        size = (len(answer[1]) if ids is None else ids) + len(key) // 64 + 1
        if size > self.max_ids // 8:
            return  # cheaper to compute again than to evict everything else
        with self._lock:
            held = self._by_account.get(account_id)
            if held is None or held[0] < state:
                if held is not None:
                    self._ids -= self._held_ids(held[1])
                if held is None and len(self._by_account) >= self.accounts:
                    self._clear()
                held = self._by_account[account_id] = (state, {})
            elif held[0] > state:
                return  # computed from an older snapshot than answers already kept
            answers = held[1]
            if len(answers) >= self.per_account:
                self._ids -= self._held_ids(answers)
                answers.clear()
            if self._ids + size > self.max_ids:
                self._clear()
                answers = self._by_account.setdefault(account_id, (state, {}))[1]
            old = answers.get(key)
            if old is not None:
                self._ids -= old[0]
            answers[key] = (size, answer)
            self._ids += size

    @staticmethod
    def _held_ids(answers: dict[bytes, Any]) -> int:
        return sum(size for size, _ in answers.values())

    def _clear(self) -> None:
        self._by_account.clear()
        self._ids = 0
