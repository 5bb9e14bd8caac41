"""Delivery: the one way a message that arrived for a local address becomes mail in an account.

LMTP, SMTP as the MX and the copies submission keeps all end in `deliver()`, and the vacation
reply to a delivered message is decided inside it (a `DeliveryHook`, in the same transaction).
It adds the trace fields a final delivery adds (RFC 5321 §4.4: Return-Path and Received;
Delivered-To, with the `+tag` the sender used), asks the delivery filters where each copy goes
(the Inbox, the Junk mailbox, or nowhere: refused), and stores every accepted copy in one write
transaction of the store, so one durable commit (shared with other writers by the group commit)
covers all recipients of a message. When it returns, what it reports stored survives a crash: a
frontend may acknowledge then, and not before.

A message stored for a recipient is remembered by a digest of what was delivered (sender,
recipient, octets) for a while: an MTA that resends after losing our acknowledgement (a crash
between commit and reply, a dropped connection) gets its acknowledgement without a second copy.

Filters are modelled on aiosmtpd's handlers: an object with a `handle_delivery` method that
returns a `Decision`, or None to leave the decision to the next one. The first refusal wins, Junk
wins over Inbox. The DMARC rule (RFC 7489 §6.3: reject or quarantine what fails a domain's
policy) is shipped as one. Nothing here speaks a protocol: a refusal is a reason in words, which
each frontend turns into its own reply.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import hashlib
import logging
import os
import random
import re
from collections.abc import Callable, Iterable, Sequence
from email.utils import format_datetime
from datetime import datetime, timezone
from typing import Protocol

import msgspec

from store import WriteTxn
from store.blobs import blob_id_for

from . import clock
from .expiry import expire_at, removes_once_older
from .errors import MailError, NoMailbox
from .mailboxes import mailbox_by_role
from .operations import Mail, Stored
from .parsing import ParsedMessage, parse_for_import
from .placement import check_keywords
from .vacation import vacation_reply
from .writer import store_message

#: How long a delivered message is remembered, to answer a resend without storing it again:
#: longer than an MTA retries a message whose acknowledgement it did not get (days, RFC 5321 §4.5.4.1).
DUPLICATE_WINDOW = 7 * 24 * 3600
DELIVERED = "Delivered"
log = logging.getLogger("jmapd.delivery")


class Verdict(enum.Enum):
    INBOX = "inbox"
    JUNK = "junk"
    REJECT = "reject"


class Decision(msgspec.Struct, frozen=True):
    """Where a filter sends a copy; `reason` is told to the sender on a refusal."""

    verdict: Verdict
    reason: str = ""


class SenderAuthentication(msgspec.Struct, frozen=True, kw_only=True):
    """What was proven about who sent a message (RFC 8601 result words: pass, fail, none, ...).
    `dmarc_policy` is the policy the From domain publishes (none, quarantine, reject), when any."""

    spf: str = "none"
    dkim: str = "none"
    dmarc: str = "none"
    dmarc_policy: str | None = None
    from_domain: str | None = None


#: Where the `id` of a Received field comes from: a generator of delivery's own (others' use of the
#: random module's is theirs), seeded again in a forked child so that processes differ.
_TRACE_IDS = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_TRACE_IDS.seed)


def _trace_id() -> str:
    """The `id` of a Received field: 48 random bits, in hex. Not from the system's generator: that
    call would let other threads take the interpreter from the event loop, for every message."""
    return f"{_TRACE_IDS.getrandbits(48):012x}"


class Incoming(msgspec.Struct, kw_only=True):
    """A message as it arrived, with what its transport knows about it."""

    raw: bytes
    mail_from: str  # the reverse path; "" for the null sender of bounces
    received_by: str  # this server's host name, for Received
    protocol: str  # the Received `with` word (RFC 3848): LMTP, ESMTP, ESMTPS, ESMTPSA, LOCAL
    client_name: str | None = None  # what the client called itself (HELO/EHLO/LHLO)
    client_ip: str | None = None
    tls: str | None = None  # the TLS version and cipher, when the client used TLS
    authentication: SenderAuthentication | None = None
    # Header fields worked out by the frontend (Authentication-Results), added above Received.
    header_fields: list[str] = []
    # False for a sender's own copy (submission's Sent copy): stored as written, no trace fields.
    trace: bool = True
    trace_id: str = msgspec.field(default_factory=_trace_id)
    received_at: int | None = None


class Destination(msgspec.Struct, frozen=True, kw_only=True):
    """One copy to store: whose account, the address the sender used (for Delivered-To; None for a
    sender's own copy), and the mailbox it goes to unless a filter says otherwise."""

    account_id: str
    delivered_to: str | None
    mailbox_role: str = "inbox"
    keywords: tuple[str, ...] = ()


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one destination. `refused` is the reason when nothing was stored; a refusal
    is permanent unless `temporary`. `duplicate` marks a resend already stored earlier."""

    destination: Destination
    stored: Stored | None = None
    refused: str | None = None
    temporary: bool = False
    duplicate: bool = False
    junk: bool = False


class DeliveryFilter(Protocol):
    """Decides where a copy goes; None leaves it to the next filter (and, last, the Inbox)."""

    def handle_delivery(self, incoming: Incoming, destination: Destination) -> Decision | None: ...


class DeliveryHook(Protocol):
    """Told of each copy stored in the Inbox, inside the delivery's transaction, so that what it
    writes (a vacation reply queued for sending) commits with the message or not at all. What it
    raises is logged and undone on its own: it never fails the delivery."""

    def delivered(self, txn: WriteTxn, incoming: Incoming, destination: Destination, stored: Stored,
                  raw: bytes) -> None: ...


class VacationReplies:
    """The account's VacationResponse (RFC 8621 §8) answers mail delivered to its Inbox, when the
    rule of RFC 3834 says so (jmapd.mail.vacation)."""

    def delivered(self, txn: WriteTxn, incoming: Incoming, destination: Destination, stored: Stored,
                  raw: bytes) -> None:
        if incoming.mail_from:
            vacation_reply(txn, destination.account_id, raw, incoming.mail_from, incoming.received_by,
                           now=stored.received_at)


class DmarcRule:
    """A message failing DMARC for a From domain that asks for it is refused (p=reject) or goes to
    Junk (p=quarantine), RFC 7489 §6.3 and §6.6.2."""

    def handle_delivery(self, incoming: Incoming, destination: Destination) -> Decision | None:
        auth = incoming.authentication
        if auth is None or auth.dmarc != "fail":
            return None
        if auth.dmarc_policy == "reject":
            return Decision(Verdict.REJECT, f"DMARC policy of {auth.from_domain} rejects this message")
        if auth.dmarc_policy == "quarantine":
            return Decision(Verdict.JUNK, f"DMARC policy of {auth.from_domain} quarantines this message")
        return None


DEFAULT_FILTERS: tuple[DeliveryFilter, ...] = (DmarcRule(),)
DEFAULT_HOOKS: tuple[DeliveryHook, ...] = (VacationReplies(),)


def decide(incoming: Incoming, destination: Destination, filters: Iterable[DeliveryFilter]) -> Decision:
    """The filters' combined decision: the first refusal, else Junk if any says so, else the default."""
    junk: Decision | None = None
    for rule in filters:
        decision = rule.handle_delivery(incoming, destination)
        if decision is None:
            continue
        if decision.verdict is Verdict.REJECT:
            return decision
        if decision.verdict is Verdict.JUNK and junk is None:
            junk = decision
    return junk or Decision(Verdict.INBOX)


def trace_fields(incoming: Incoming, destination: Destination, when: int) -> list[str]:
    """The header fields a final delivery adds, topmost first (RFC 5321 §4.4)."""
    fields = [f"Return-Path: <{incoming.mail_from}>"]
    if destination.delivered_to:
        fields.append(f"Delivered-To: {destination.delivered_to}")
    fields.extend(incoming.header_fields)
    fields.append(received_field(incoming, destination, when))
    return fields


def received_field(incoming: Incoming, destination: Destination, when: int) -> str:
    """`Received: from NAME ([IP]) by HOST (jmapd) with PROTO id ID for <RCPT>; DATE`, folded."""
    parts = []
    if incoming.client_name or incoming.client_ip:
        peer = f" ([{incoming.client_ip}])" if incoming.client_ip else ""
        parts.append(f"from {_clean(incoming.client_name or 'unknown')}{peer}")
    tls = f" ({incoming.tls})" if incoming.tls else ""
    parts.append(f"by {incoming.received_by} (jmapd) with {incoming.protocol}{tls} id {incoming.trace_id}")
    if destination.delivered_to:
        parts.append(f"for <{destination.delivered_to}>")
    return "Received: " + "\r\n\t".join(parts) + f"; {_received_date(when)}"


@functools.lru_cache(maxsize=4)
def _received_date(when: int) -> str:
    """The date of a Received field (RFC 5322 §3.3), the same for every message of that second."""
    return format_datetime(datetime.fromtimestamp(when, timezone.utc))


#: What a client-supplied word loses: all but printable ASCII, and parentheses and backslashes.
_NOT_IN_WORD = re.compile(r"[^\x21-\x27\x2a-\x5b\x5d-\x7e]+")


def _clean(text: str) -> str:
    """A client-supplied word, kept to printable ASCII without parentheses (it goes in a header)."""
    return _NOT_IN_WORD.sub("", text)[:255] or "unknown"


def with_fields(raw: bytes, fields: Sequence[str]) -> bytes:
    """The message with header fields added at the top (the way trace fields are added)."""
    head = "".join(f + "\r\n" for f in fields).encode("utf-8", "surrogateescape")
    return head + raw


def delivery_digest(incoming: Incoming, destination: Destination) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in (destination.account_id, incoming.mail_from, destination.delivered_to or "", destination.mailbox_role):
        h.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    h.update(incoming.raw)
    return h.hexdigest()


class DeliveredMark(msgspec.Struct, array_like=True):
    email_id: str
    at: int


removes_once_older(DELIVERED, DeliveredMark, DUPLICATE_WINDOW)


class _Copy(msgspec.Struct):
    destination: Destination
    raw: bytes
    blob_id: str  # blob_id_for(raw), worked out once
    parsed: ParsedMessage
    digest: str
    junk: bool


def deliver(mail: Mail, incoming: Incoming, destinations: Sequence[Destination],
            filters: Iterable[DeliveryFilter] = DEFAULT_FILTERS,
            hooks: Iterable[DeliveryHook] = DEFAULT_HOOKS,
            within: Callable[[WriteTxn, list[Outcome]], None] | None = None) -> list[Outcome]:
    """Store `incoming` once for each destination the filters accept, all in one transaction.
    Blocking: call it from a thread in async code (or use `deliver_async`). Returns one outcome
    per destination, in order; a store failure (disk full, ...) raises, and then nothing was
    stored. `within` is run in the same transaction after the copies are stored (submission
    queues the message there); what it raises undoes the whole delivery and is raised here."""
    delivery = _Delivery(mail, incoming, destinations, filters, hooks, within)
    return delivery.outcomes(mail.store.write(delivery.work) if delivery.writes else [])


#: Up to this many octets (a message's size times its copies) a message is parsed on the event loop
#: by `deliver_async` (a fraction of a millisecond for ordinary mail); more is parsed in a thread.
#: Kept small because parse cost depends on shape as much as size: 128 KiB of HTML parts or of
#: addresses takes ~40 ms, and a hostile sender must not be able to stall the loop's other clients.
#: At 16 KiB the worst shapes found cost ~5 ms.
ASYNC_PARSE_LIMIT = 16 * 1024


async def deliver_async(mail: Mail, incoming: Incoming, destinations: Sequence[Destination],
                        filters: Iterable[DeliveryFilter] = DEFAULT_FILTERS,
                        hooks: Iterable[DeliveryHook] = DEFAULT_HOOKS) -> list[Outcome]:
    """`deliver` for a coroutine: the same transaction and durable commit, awaited without a
    thread blocked on it (a thread hop per message costs more CPU than a small message's parse)."""
    if len(incoming.raw) * len(destinations) > ASYNC_PARSE_LIMIT:
        return await asyncio.to_thread(deliver, mail, incoming, destinations, filters, hooks)
    delivery = _Delivery(mail, incoming, destinations, filters, hooks, None)
    return delivery.outcomes(await mail.store.write_async(delivery.work) if delivery.writes else [])


class _Delivery:
    """One message's delivery: the copies made (trace fields, parsed) before the write
    transaction, the work done in it, and the outcomes."""

    def __init__(self, mail: Mail, incoming: Incoming, destinations: Sequence[Destination],
                 filters: Iterable[DeliveryFilter], hooks: Iterable[DeliveryHook],
                 within: Callable[[WriteTxn, list[Outcome]], None] | None):
        filters = list(filters)
        self.mail, self.incoming, self.hooks, self.within = mail, incoming, list(hooks), within
        self.when = when = clock.now() if incoming.received_at is None else incoming.received_at
        self.count = len(destinations)
        self._outcomes: list[Outcome | None] = [None] * len(destinations)
        self.copies: list[tuple[int, _Copy]] = []
        for i, destination in enumerate(destinations):
            decision = decide(incoming, destination, filters)
            if decision.verdict is Verdict.REJECT:
                self._outcomes[i] = Outcome(destination=destination, refused=decision.reason)
                continue
            raw = with_fields(incoming.raw, trace_fields(incoming, destination, when)) if incoming.trace else incoming.raw
            blob_id = blob_id_for(raw)
            # The topmost Received field is the one just added: its date is `when`.
            parsed = parse_for_import(raw, blob_id, received_at=when if incoming.trace else None)
            self.copies.append((i, _Copy(destination, raw, blob_id, parsed, delivery_digest(incoming, destination),
                                         decision.verdict is Verdict.JUNK)))
        self.writes = bool(self.copies) or within is not None

    def work(self, txn: WriteTxn) -> list[tuple[int, Outcome]]:
        mail, copies, when = self.mail, self.copies, self.when
        done = []
        for i, copy in copies:
            try:
                with txn.savepoint():
                    outcome = _store_copy(txn, mail, copy, when)
            except MailError as exc:
                outcome = Outcome(destination=copy.destination, refused=str(exc), temporary=True)
            done.append((i, outcome))
            if outcome.stored and not outcome.duplicate and not outcome.junk and copy.destination.mailbox_role == "inbox":
                _run_hooks(txn, self.hooks, self.incoming, copy, outcome.stored)
        if mail.hand_over is not None:
            # Handed over at the commit, before the indexer is woken by it: later, it would often
            # find the new Emails in the feed first and parse them again.
            fresh = {(copy.destination.account_id, outcome.stored.email_id): copy.parsed.summary
                     for (_, copy), (_, outcome) in zip(copies, done) if outcome.stored and not outcome.duplicate}
            if fresh:
                txn.after_commit(lambda: mail.hand_over(fresh))
        if self.within is not None:
            placed = dict(done)
            self.within(txn, [placed.get(i) or self._outcomes[i] for i in range(self.count)])
        return done

    def outcomes(self, stored: list[tuple[int, Outcome]]) -> list[Outcome]:
        outcomes = list(self._outcomes)
        for i, outcome in stored:
            outcomes[i] = outcome
        return [o for o in outcomes if o is not None]


def _run_hooks(txn: WriteTxn, hooks: list[DeliveryHook], incoming: Incoming, copy: _Copy, stored: Stored) -> None:
    for hook in hooks:
        try:
            with txn.savepoint():
                hook.delivered(txn, incoming, copy.destination, stored, copy.raw)
        except Exception:  # a reply that cannot be made must not undo a delivery
            log.exception("delivery hook %s failed", type(hook).__name__)


def _store_copy(txn: WriteTxn, mail: Mail, copy: _Copy, when: int) -> Outcome:
    destination = copy.destination
    account_id = destination.account_id
    seen = txn.get(account_id, DELIVERED, copy.digest, DeliveredMark)
    if seen is not None and when - seen.at < DUPLICATE_WINDOW:
        return Outcome(destination=destination, duplicate=True, junk=copy.junk,
                       stored=Stored(seen.email_id, "", "", len(copy.raw), seen.at))
    role = "junk" if copy.junk else destination.mailbox_role
    mailbox_id = mailbox_by_role(txn, account_id, role) or mailbox_by_role(txn, account_id, "inbox")
    if mailbox_id is None:
        raise NoMailbox()
    email_id, record = store_message(txn, account_id, copy.raw, copy.parsed, mailbox_ids=[mailbox_id],
                                     keywords=check_keywords(destination.keywords), received_at=when,
                                     blob_id=copy.blob_id)
    txn.put_unlogged(account_id, DELIVERED, copy.digest, DeliveredMark(email_id, when))
    expire_at(txn, when + DUPLICATE_WINDOW, account_id, DELIVERED, copy.digest)
    return Outcome(destination=destination, junk=copy.junk,
                   stored=Stored(email_id, record.thread_id, record.blob_id, record.size, record.received_at))
