"""The outbox worker: takes due entries from the submission queue and sends them.

It runs in every `jmapd serve` process that sends (a BackgroundService). With `--workers N` each
process runs one; they share the queue through the store, where each entry is leased to one worker
at a time and each recipient is marked before its content goes (jmapd/mail/submissions.py), so no
two processes ever send the same recipient a message. A process learns of new entries from its own
commits at once, and of other processes' by polling every `poll` seconds.

Blocking store work runs in threads; the event loop only waits on sockets. Connections are
bounded per destination (a domain, or the relay): `connections_per_domain`, per process.
"""

from __future__ import annotations

import asyncio
import logging
import time

from store import WriteTxn
from store.blobs import blob_id_for, read_blob

from ..config import OutboxConfig
from ..mail.mailboxes import mailbox_by_role
from ..mail.parsing import parse_for_import
from ..mail.submissions import (
    PENDING, QUEUE_KIND, Outcome, QueueEntry, begin_delivery, claim_due, record_outcomes, recover_abandoned,
    worker_identity,
)
from ..mail.writer import store_message
from ..methods.services import Server
from .dkim import DkimKeys
from .dsn import compose_dsn
from .message import outgoing
from .routes import Resolver, Router, relay_route
from .transports import SENDING, SmtpTransport, Transport

log = logging.getLogger("jmapd.outbox")

LEASE = 300  # seconds; renewed as each recipient's attempt is recorded
BATCH = 64
MAX_IN_FLIGHT = 64
STOP_GRACE = 4.0  # seconds sends under way may take to finish when the server stops


class Outbox:
    """The BackgroundService. After start, `server.extras["outbox"]` is this object."""

    def __init__(self, settings: OutboxConfig, data_dir: str, *, transport: Transport | None = None,
                 resolver: Resolver | None = None, poll: float = 1.0):
        self.settings = settings
        self.data_dir = data_dir
        self.transport = transport
        self.router = Router(settings, resolver)
        self.poll = poll
        self.owner = worker_identity()
        self.keys = DkimKeys(data_dir, settings.dkim_selector)
        self._in_flight: dict[str, asyncio.Task] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self.server: Server | None = None

    # -- BackgroundService -------------------------------------------------------------------------
    async def start(self, server: Server) -> None:
        self.server = server
        if self.transport is None:
            self.transport = SmtpTransport(server.hostname, self.settings.timeout)
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        server.store.add_listener(lambda touched: QUEUE_KIND in touched and not self._stopping
                                  and loop.call_soon_threadsafe(self._wake.set))
        server.extras["outbox"] = self
        self._task = asyncio.create_task(self._run(), name="jmapd-outbox")

    def relay_size_limit(self) -> int | None:
        """The relay's SIZE limit as last announced (None before it was reached, or when mail goes
        directly, where each domain has its own): EmailSubmission/set refuses larger messages."""
        if self.settings.delivery != "relay" or not isinstance(self.transport, SmtpTransport):
            return None
        return self.transport.size_limits.get("relay") or None

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        tasks = list(self._in_flight.values())
        if tasks:  # let sends under way finish (a cut one may leave its recipient unknown), briefly
            _, late = await asyncio.wait(tasks, timeout=STOP_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self.server is not None:
            self.server.extras.pop("outbox", None)

    # -- the loop ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        if isinstance(self.transport, SmtpTransport):
            await asyncio.to_thread(self.transport.prepare)
        if self.settings.delivery == "relay" and isinstance(self.transport, SmtpTransport):
            await self.transport.probe(relay_route(self.settings.relay))
        try:
            await asyncio.to_thread(self.server.store.write,
                                    lambda txn: recover_abandoned(txn, now=int(time.time())))
        except Exception:
            log.exception("the outbox could not recover abandoned entries")
        while not self._stopping:
            self._wake.clear()
            try:
                claimed = await asyncio.to_thread(self.server.store.write, self._claim)
            except Exception:
                log.exception("the outbox could not read its queue")
                claimed = []
            for queue_id, entry in claimed:
                if queue_id not in self._in_flight:
                    task = asyncio.create_task(self._deliver(queue_id, entry))
                    self._in_flight[queue_id] = task
                    task.add_done_callback(lambda _, q=queue_id: self._done(q))
            if len(claimed) >= BATCH and len(self._in_flight) < MAX_IN_FLIGHT:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll)
            except asyncio.TimeoutError:
                pass

    def _done(self, queue_id: str) -> None:
        self._in_flight.pop(queue_id, None)
        if self._wake is not None and not self._stopping:
            self._wake.set()  # a slot is free

    def _claim(self, txn: WriteTxn) -> list[tuple[str, QueueEntry]]:
        room = MAX_IN_FLIGHT - len(self._in_flight)
        if room <= 0:
            return []
        return claim_due(txn, self.owner, now=int(time.time()), lease=LEASE, limit=min(BATCH, room))

    # -- one entry ---------------------------------------------------------------------------------
    async def _deliver(self, queue_id: str, entry: QueueEntry) -> None:
        store = self.server.store
        now = int(time.time())
        try:
            due = [r.address for r in entry.recipients if r.state == PENDING and r.next_try <= now]
            if due:
                raw, message = await asyncio.to_thread(self._prepare, entry)
                if raw is None:
                    await self._record(queue_id, {a: Outcome(accepted=False, permanent=True,
                                                              reply="554 5.3.0 the message's content is gone")
                                                  for a in due}, original=b"")
                    return
                plan = await self.router.plan(due)
                for unroutable, addresses in plan.unroutable:
                    await self._record(queue_id, {a: Outcome(accepted=False, reply=unroutable.reply,
                                                              permanent=unroutable.permanent)
                                                  for a in addresses}, original=raw)
                await asyncio.gather(*(self._send_route(queue_id, route, addresses, message, entry, raw)
                                       for route, addresses in plan.routes))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sending queued message %s failed", queue_id)
        finally:  # the store outlives the services: the lease is given back even while stopping
            try:
                await asyncio.to_thread(store.write, lambda txn: record_outcomes(
                    txn, queue_id, self.owner, {}, now=int(time.time()), release=True))
            except Exception:
                log.exception("could not release queued message %s", queue_id)

    async def _send_route(self, queue_id, route, addresses, message, entry: QueueEntry, raw: bytes) -> None:
        slot = self._slots.setdefault(route.key, asyncio.Semaphore(max(1, self.settings.connections_per_domain)))
        store = self.server.store

        async def begin(accepted: list[str]) -> list[str]:
            return await asyncio.to_thread(store.write, lambda txn: begin_delivery(
                txn, queue_id, self.owner, accepted, now=int(time.time()), lease=LEASE))

        async with slot:
            sending = SENDING.set((queue_id, entry))
            try:
                outcomes = await self.transport.send(route, entry.mail_from.email, addresses, message, begin)
            finally:
                SENDING.reset(sending)
        await self._record(queue_id, outcomes, original=raw)

    async def _record(self, queue_id: str, outcomes: dict[str, Outcome], *, original: bytes) -> None:
        hostname = self.server.hostname
        first_retry = self.settings.retry_after

        def bounce(entry, failed):
            return compose_dsn(entry, failed, original, hostname)

        await asyncio.to_thread(self.server.store.write, lambda txn: record_outcomes(
            txn, queue_id, self.owner, outcomes, now=int(time.time()), bounce=bounce,
            store_bounce=file_in_inbox, first_retry=first_retry))

    def _prepare(self, entry: QueueEntry) -> tuple[bytes | None, bytes]:
        """The stored message and the bytes to send (parsing and signing: in a thread)."""
        with self.server.store.read() as txn:
            raw = read_blob(txn, entry.account_id, entry.blob_id)
        if raw is None:
            return None, b""
        sender_domain = _from_domain(raw) or entry.mail_from.email.rpartition("@")[2]
        return raw, outgoing(raw, sender_domain, self.keys)


def file_in_inbox(txn: WriteTxn, account_id: str, raw: bytes) -> str:
    """Put a bounce in the account's Inbox, in the caller's transaction; returns its blob id."""
    inbox = mailbox_by_role(txn, account_id, "inbox")
    if inbox is None:
        return blob_id_for(raw)
    _, record = store_message(txn, account_id, raw, parse_for_import(raw, blob_id_for(raw)),
                              mailbox_ids=[inbox], keywords=[], received_at=int(time.time()))
    return record.blob_id


def _from_domain(raw: bytes) -> str | None:
    from ..mime import parse_message

    senders = parse_message(raw, "").header("From", "Addresses") or []
    email = senders[0].get("email") if senders else None
    return email.rpartition("@")[2].lower() if email and "@" in email else None
