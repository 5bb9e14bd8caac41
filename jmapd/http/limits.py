"""Per-user concurrency limits of the core capability (maxConcurrentRequests, maxConcurrentUpload)."""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from collections.abc import Iterator

from ..protocol.errors import RequestError


class ConcurrencyLimit:
    """Counts requests in flight per user; the event loop is single-threaded, so no lock is needed."""

    def __init__(self, name: str, limit: int):
        self.name = name
        self.limit = limit
        self.active: dict[str, int] = defaultdict(int)

    @contextmanager
    def slot(self, user: str) -> Iterator[None]:
        if self.active[user] >= self.limit:
            raise RequestError("limit", f"More than {self.limit} concurrent requests.", limit=self.name, status=429)
        self.active[user] += 1
        try:
            yield
        finally:
            self.active[user] -= 1
            if not self.active[user]:
                del self.active[user]
