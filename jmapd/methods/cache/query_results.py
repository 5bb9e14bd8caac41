"""Query answers kept between requests, by account, arguments and state.

A state names one version of an account's records, so an answer computed at it stays exact for as
long as a client asks at that state: nothing needs invalidating, and an answer for an older state is
simply never asked for again. Clients re-run the same query (a mailbox's first page) on every
refresh; Cyrus keeps Email/query results for the same reason (jmap_querycache_max_age).
"""

from __future__ import annotations

import threading
from typing import Any

# Answers kept per account (those of the newest state only) and accounts kept.
MAX_PER_ACCOUNT = 64
MAX_ACCOUNTS = 1_000


class QueryResults:
    def __init__(self, per_account: int = MAX_PER_ACCOUNT, accounts: int = MAX_ACCOUNTS):
        self.per_account = per_account
        self.accounts = accounts
        self._lock = threading.Lock()
        self._by_account: dict[str, tuple[int, dict[bytes, Any]]] = {}

    def get(self, account_id: str, state: int, key: bytes) -> Any | None:
        held = self._by_account.get(account_id)
        if held is None or held[0] != state:
            return None
        return held[1].get(key)

    def put(self, account_id: str, state: int, key: bytes, answer: Any) -> None:
        with self._lock:
            held = self._by_account.get(account_id)
            if held is None or held[0] < state:
                if held is None and len(self._by_account) >= self.accounts:
                    self._by_account.clear()
                held = self._by_account[account_id] = (state, {})
            elif held[0] > state:
                return  # computed from an older snapshot than answers already kept
            answers = held[1]
            if len(answers) >= self.per_account:
                answers.clear()
            answers[key] = answer
