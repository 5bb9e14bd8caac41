"""The time, and the Message-IDs, the server makes up for what it stores.

receivedAt of new mail, the Date and Message-ID of composed messages all come from here, so a test
server can fix the clock and count Message-IDs up: the same client test then gets the same bytes
back on every run.
"""

from __future__ import annotations

import threading
import time
from email.utils import make_msgid


class Clock:
    """The wall clock and random Message-IDs: what a real server uses."""

    def now(self) -> float:
        return time.time()

    def message_id(self, hostname: str) -> str:
        return make_msgid(domain=hostname)


class FixedClock(Clock):
    """Time that stands still until it is set or advanced, and Message-IDs from a counter."""

    def __init__(self, start: float):
        self._now = start
        self._ids = 0
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def set(self, when: float) -> None:
        self._now = when

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def message_id(self, hostname: str) -> str:
        with self._lock:
            self._ids += 1
            return f"<{self._ids}@{hostname}>"


_clock: Clock = Clock()


def use(clock: Clock) -> None:
    """Make `clock` the one the whole process stamps with (a test server's choice)."""
    global _clock
    _clock = clock


def current() -> Clock:
    return _clock


def now() -> int:
    """Seconds since the epoch, as receivedAt stores them."""
    return int(_clock.now())
