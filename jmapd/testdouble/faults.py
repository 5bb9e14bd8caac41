"""Misbehaving on purpose, so a client can prove its error paths.

A fault is switched on at run time (admin API, Python helpers) for one user or for everyone, fires
a number of times or with a probability, and is applied where a real server would fail: before a
request is handled (latency, an HTTP error, a `limit` problem), in place of a method's answer
(serverFail, serverUnavailable, cannotCalculateChanges, stateMismatch), on uploads and downloads, on
a push stream (dropped after N events), and at the relay (the next submission refused or deferred).
"""

from __future__ import annotations

import random
import threading
from typing import Literal

import msgspec

from ..protocol.errors import MethodError

Kind = Literal["latency", "http", "limit", "method", "cannotCalculateChanges", "stateMismatch", "upload",
               "download", "pushDrop", "relayReject", "relayDefer"]


class Fault(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    kind: Kind
    user: str | None = None  # None: every user
    count: int | None = None  # how many times it fires; None: until cleared
    probability: float = 1.0
    ms: int = 0  # latency
    status: int = 503  # http, upload, download
    retry_after: int = 1  # with status 429
    limit: str = "maxConcurrentRequests"  # limit
    methods: list[str] = msgspec.field(default_factory=lambda: ["*"])  # method: names, or "*": every method
    error: str = "serverFail"  # method: the error type
    after_events: int = 0  # pushDrop: events delivered before the stream is dropped
    reply: str = ""  # relayReject/relayDefer: the SMTP reply text


class Faults:
    """The switched-on faults; thread-safe, as methods run in a thread pool."""

    def __init__(self, rng: random.Random | None = None):
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = rng or random.Random(0)

    def set(self, fault: Fault) -> None:
        if not 0 <= fault.probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        with self._lock:
            self._faults.append(fault)

    def clear(self, user: str | None = None) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if user is not None and f.user != user]

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, kind: str, user: str | None, method: str | None = None) -> Fault | None:
        """The fault of this kind that fires now for this user (and method), counting it down."""
        with self._lock:
            for fault in self._faults:
                if fault.kind != kind or (fault.user is not None and fault.user != user):
                    continue
                if method is not None and "*" not in fault.methods and method not in fault.methods:
                    continue
                if fault.probability < 1 and self._rng.random() >= fault.probability:
                    return None
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def method_error(self, name: str, user: str, args: dict) -> MethodError | None:
        """The method-level error to answer instead of running the method, if one fires."""
        if name.endswith(("/changes", "/queryChanges")):
            if self.take("cannotCalculateChanges", user, name):
                return MethodError("cannotCalculateChanges", "injected fault")
        if name.endswith("/set") and args.get("ifInState") is not None:
            if self.take("stateMismatch", user, name):
                return MethodError("stateMismatch", "injected fault")
        fault = self.take("method", user, name)
        if fault is not None:
            return MethodError(fault.error, "injected fault")
        return None
