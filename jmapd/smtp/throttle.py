"""Failed logins over SMTP AUTH, counted per client address, so a password cannot be guessed at speed.

After `MAX_FAILURES` failures from one address within `WINDOW` seconds, AUTH from there is refused
(454 4.7.0) until the oldest of them leaves the window; a success forgets the address's failures.
The listener asks `auth_allowed`, then tells `auth_failed` or `auth_succeeded`: when the server
gains one limiter for every protocol's logins, these three are what change to ask it instead.
"""

from __future__ import annotations

import collections
import time

MAX_FAILURES = 5
WINDOW = 15 * 60.0
#: Addresses remembered at most; past that the oldest are forgotten (memory stays bounded).
MAX_ADDRESSES = 10_000


class AuthFailures:
    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW, clock=time.monotonic):
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: collections.OrderedDict[str, list[float]] = collections.OrderedDict()

    def _recent(self, address: str) -> list[float]:
        now = self.clock()
        times = [t for t in self._failures.get(address, ()) if now - t < self.window]
        if times:
            self._failures[address] = times
        else:
            self._failures.pop(address, None)
        return times

    def auth_allowed(self, address: str) -> bool:
        return len(self._recent(address)) < self.max_failures

    def auth_failed(self, address: str) -> None:
        times = self._recent(address)
        times.append(self.clock())
        self._failures[address] = times
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_ADDRESSES:
            self._failures.popitem(last=False)

    def auth_succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
