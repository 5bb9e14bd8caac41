"""The JMAP requests the server handled and what it answered, for a test to assert on."""

from __future__ import annotations

import threading
import time
from collections import deque

import msgspec


class Exchange(msgspec.Struct):
    at: float
    user: str | None
    path: str
    status: int
    request: msgspec.Raw
    response: msgspec.Raw


class RequestLog:
    """The last `limit` exchanges with the API, oldest first."""

    def __init__(self, limit: int = 1000):
        self._entries: deque[Exchange] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, user: str | None, path: str, status: int, request: bytes, response: bytes) -> None:
        def raw(body: bytes) -> msgspec.Raw:
            try:
                msgspec.json.decode(body)
                return msgspec.Raw(body)
            except msgspec.DecodeError:
                return msgspec.Raw(msgspec.json.encode(body.decode("utf-8", "replace")))

        with self._lock:
            self._entries.append(Exchange(time.time(), user, path, status, raw(request), raw(response)))

    def entries(self, user: str | None = None) -> list[Exchange]:
        with self._lock:
            return [e for e in self._entries if user is None or e.user == user]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
