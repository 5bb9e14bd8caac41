"""Back-off after failed logins, per user and per client address, for every protocol.

Without it, a client may try passwords as fast as the server checks them (issue 20, finding 5: 300
wrong passwords at 14/s were all answered). Each key (a user name, a client address) may fail
`free` times; every further failure blocks it for twice as long as the one before, up to `cap`
seconds, and attempts while blocked are refused without checking anything, with the seconds left
(HTTP answers 429 with Retry-After; IMAP and SMTP say NO / 454 and how long). Failures are forgiven
one per `forgive_every` seconds, so an honest mistake now and then never adds up.

Per user, the cap is short: anyone can fail logins as any user, so a long block there would let
a stranger lock the user out. Per address it is long: an address is the attacker's own.
"""

from __future__ import annotations

import math
import threading
import time

from ..limits.logins import LoginLimits

__all__ = ["Backoff", "LoginLimits", "LoginThrottled"]


class LoginThrottled(Exception):
    """Refused before any check: too many failures. `retry_after` is in whole seconds."""

    def __init__(self, retry_after: int, who: str):
        super().__init__(f"too many failed logins for {who}; retry in {retry_after} s")
        self.retry_after = retry_after


class _Record:
    __slots__ = ("failures", "blocked_until", "changed")

    def __init__(self, now: float):
        self.failures = 0.0
        self.blocked_until = 0.0
        self.changed = now


class Backoff:
    def __init__(self, free: int, cap: float, forgive_every: float, max_keys: int):
        self.free = free
        self.cap = cap
        self.forgive_every = forgive_every
        self.max_keys = max_keys
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds `key` must wait before its next attempt is checked (0: go ahead)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            record = self._records.get(key)
            return 0.0 if record is None else max(0.0, record.blocked_until - now)

    def failed(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            record = self._records.pop(key, None) or _Record(now)
            record.failures = max(0.0, record.failures - (now - record.changed) / self.forgive_every) + 1
            record.changed = now
            beyond = math.ceil(record.failures) - self.free  # a failure counts until wholly forgiven
            if beyond > 0:
                record.blocked_until = now + min(self.cap, 2.0 ** (beyond - 1))
            self._records[key] = record  # re-inserted: the dict's order is least recently failed first
            while len(self._records) > self.max_keys:
                del self._records[next(iter(self._records))]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)

    def __len__(self) -> int:
        return len(self._records)
