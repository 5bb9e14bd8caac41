"""Outbound mail captured instead of leaving the machine, as a test server sends it.

The outbox runs as in production (queue, holds, undo, exactly-once records, DSNs); only its last
step, the SMTP transaction, is this in-process sink, which keeps each message (envelope, bytes,
the submission it came from) for a test to read, and answers as the fault switches say: accepted,
refused for good (550) or deferred (451).
"""

from __future__ import annotations

import itertools
import threading
import time

import msgspec

from ..mail.submissions import Outcome
from ..outbox.routes import Route
from ..outbox.transports import SENDING, Begin
from .faults import Faults


class Captured(msgspec.Struct, kw_only=True, rename="camel"):
    id: str
    submission_id: str | None
    account_id: str
    mail_from: str
    recipients: list[str]
    message: str  # the bytes sent, as text (latin-1 keeps every byte)
    at: float


class CaptureTransport:
    def __init__(self, faults: Faults, user_of_account):
        self.faults = faults
        self.user_of_account = user_of_account
        self._captured: list[Captured] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    async def send(self, route: Route, mail_from: str, recipients: list[str], message: bytes,
                   begin: Begin) -> dict[str, Outcome]:
        sending = SENDING.get()
        queue_id, entry = sending if sending is not None else (None, None)
        user = None if entry is None else self.user_of_account(entry.account_id)
        fault = self.faults.take("relayReject", user)
        if fault is not None:
            reply = fault.reply or "550 5.7.1 refused by the test server's relay (injected fault)"
            return {r: Outcome(accepted=False, reply=reply, permanent=True) for r in recipients}
        fault = self.faults.take("relayDefer", user)
        if fault is not None:
            reply = fault.reply or "451 4.3.0 deferred by the test server's relay (injected fault)"
            return {r: Outcome(accepted=False, reply=reply, permanent=False) for r in recipients}
        accepted = await begin(recipients)
        if accepted:
            with self._lock:
                self._captured.append(Captured(
                    id=f"C{next(self._ids)}", submission_id=None if entry is None else entry.submission_id,
                    account_id="" if entry is None else entry.account_id, mail_from=mail_from,
                    recipients=list(accepted), message=message.decode("latin-1"), at=time.time()))
        return {r: Outcome(accepted=True, reply="250 2.0.0 captured by the test server") for r in accepted}

    def messages(self) -> list[Captured]:
        with self._lock:
            return list(self._captured)

    def get(self, captured_id: str) -> Captured:
        for captured in self.messages():
            if captured.id == captured_id:
                return captured
        raise LookupError(f"no captured message {captured_id}")

    def clear(self) -> None:
        with self._lock:
            self._captured.clear()
