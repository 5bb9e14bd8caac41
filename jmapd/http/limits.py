"""Per-user concurrency limits of the core capability (maxConcurrentRequests, maxConcurrentUpload)."""

from __future__ import annotations

from collections import defaultdict

from ..protocol.errors import RequestError


class ConcurrencyLimit:
    """Counts requests in flight per user; the event loop is single-threaded, so no lock is needed."""

    def __init__(self, name: str, limit: int):
        self.name = name
        self.limit = limit
        self.active: dict[str, int] = defaultdict(int)

    def slot(self, user: str) -> "_Slot":
        """`with limit.slot(user):` one request in flight, or RequestError 429 past the limit."""
        if self.active[user] >= self.limit:
            raise RequestError("limit", f"More than {self.limit} concurrent requests.", limit=self.name, status=429)
        self.active[user] += 1
        return _Slot(self, user)


class _Slot:
    """Taken when created; given back when its block ends (a class: it is on every request's path)."""

    __slots__ = ("limit", "user")

    def __init__(self, limit: ConcurrencyLimit, user: str):
        self.limit = limit
        self.user = user

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        active = self.limit.active
        active[self.user] -= 1
        if not active[self.user]:
            del active[self.user]
