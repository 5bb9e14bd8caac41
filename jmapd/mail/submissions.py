"""The submission queue: what waits to be sent, and what became of each recipient.

Every way mail leaves this server goes through one function:

    queue_message(txn, account_id, raw, envelope, *, release_at=None, link=None) -> Queued

called inside the caller's write transaction (`store.write`), it stores the message's bytes as a
blob of the account, and puts one queue entry per message with one state per recipient. JMAP's
EmailSubmission/set passes `link` (the identity and email the submission is of), and the entry then
has an EmailSubmission record clients see; the SMTP submission listener, the Outbox mailbox of the
draft dialect, vacation replies and captured test mail pass raw bytes and an envelope, and nothing
else is needed. The caller has already checked who may send what (identities.py, addresses.py).

The outbox worker then works the queue through the functions below, each one transaction:

- `claim_due`: entries whose time has come, leased to one worker (several processes share a store;
  a lease held by a live worker is never taken over, one held by a dead process is at once);
- `begin_delivery`: before the message's content goes to a server, its recipients are marked "in
  doubt" — only if the caller still holds the lease and the recipient is still pending, so two
  workers can never both send to one recipient;
- `record_outcomes`: what each server answered. Accepted recipients are never sent to again;
  temporary failures are tried again later, with exponential back-off, until the entry's lifetime
  ends; permanent ones are final, and a bounce (built by the caller) goes into the sender's Inbox.

A recipient still "in doubt" when its worker died may or may not have been accepted: it is not
sent again (at most once), and its status says the outcome is unknown.

The records are server-wide (under the empty account id, which no account has): a queue entry keyed
by its id, and a due-time index whose keys sort by the time an entry is next due.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterable

import msgspec

from store import ReadTxn, WriteTxn
from store.blobs import put_blob

from . import clock
from .addresses import SERVER
from .errors import MailError
from .expiry import expire_at, removes
from .outbox_mailbox import file_sent

SUBMISSION = "EmailSubmission"  # the JMAP record, in the account, with a change log
SUBMISSION_OF_EMAIL = "SubmissionOfEmail"  # in the account, unlogged: an Email's newest submission
QUEUE = "OutboxQueue"  # server-wide: one entry per queued message
DUE = "OutboxDue"  # server-wide: "<due time, hex>.<queue id>" -> nothing, in due order
QUEUE_KIND = ("", QUEUE)  # announced after a commit that queued something: workers wake up

# Recipient states in a queue entry.
PENDING, IN_DOUBT, SENT, FAILED, UNKNOWN = "pending", "in-doubt", "sent", "failed", "unknown"
DONE_STATES = frozenset({SENT, FAILED, UNKNOWN})

DEFAULT_LIFETIME = 5 * 86400
SUBMISSION_RETENTION = 30 * 86400  # how long a finished EmailSubmission is kept
FIRST_RETRY = 60
MAX_RETRY = 3 * 3600


class CannotUnsend(MailError):
    def __init__(self, submission_id: str):
        super().__init__(f"submission {submission_id} has already been sent (or is being sent)")
        self.submission_id = submission_id


class UnknownQueueEntry(MailError):
    def __init__(self, queue_id: str):
        super().__init__(f"no queued message {queue_id}")
        self.queue_id = queue_id


# -- records ---------------------------------------------------------------------------------------
class Address(msgspec.Struct, kw_only=True):
    """An SMTP path with its ESMTP parameters (RFC 8621 §7 Address)."""

    email: str
    parameters: dict[str, str | None] | None = None


class Envelope(msgspec.Struct, kw_only=True):
    mail_from: Address
    rcpt_to: list[Address]


class DeliveryStatus(msgspec.Struct, kw_only=True):
    """Per recipient, as RFC 8621 §7 deliveryStatus shows it."""

    smtp_reply: str
    delivered: str = "queued"  # queued, yes, no, unknown
    displayed: str = "unknown"


class SubmissionLink(msgspec.Struct, kw_only=True):
    """What a JMAP submission is of: the identity it was sent as and the Email it sent."""

    identity_id: str
    email_id: str
    thread_id: str


class SubmissionRecord(msgspec.Struct, kw_only=True):
    identity_id: str
    email_id: str
    thread_id: str
    envelope: Envelope
    send_at: int
    queue_id: str
    undo_status: str = "pending"  # pending, final, canceled
    delivery_status: dict[str, DeliveryStatus] = {}
    dsn_blob_ids: list[str] = []
    mdn_blob_ids: list[str] = []
    created_at: int = 0


class RecipientState(msgspec.Struct, kw_only=True):
    address: str
    parameters: dict[str, str | None] | None = None
    state: str = PENDING
    attempts: int = 0
    next_try: int = 0
    reply: str = ""


class QueueEntry(msgspec.Struct, kw_only=True):
    account_id: str
    blob_id: str
    size: int
    mail_from: Address
    recipients: list[RecipientState]
    release_at: int
    expires_at: int
    created_at: int
    due: int
    submission_id: str | None = None
    owner: str = ""  # the worker holding the lease, "" when none
    lease_until: int = 0


class Queued(msgspec.Struct, frozen=True):
    queue_id: str
    blob_id: str
    release_at: int
    submission_id: str | None = None


class Outcome(msgspec.Struct, frozen=True):
    """What one server said about one recipient. `permanent` for 5xx; `accepted` for 2xx."""

    accepted: bool
    reply: str
    permanent: bool = False
    delivered: str = "unknown"  # what "accepted" means: "unknown" once relayed, "yes" when stored here


# -- queueing --------------------------------------------------------------------------------------
def queue_message(txn: WriteTxn, account_id: str, raw: bytes, envelope: Envelope, *,
                  release_at: int | None = None, link: SubmissionLink | None = None,
                  lifetime: int = DEFAULT_LIFETIME, now: int | None = None) -> Queued:
    """Queue `raw` for the envelope's recipients (see the module docstring). The bytes are sent as
    given, except that the outbox drops Bcc and may sign them."""
    if not envelope.rcpt_to:
        raise MailError("a message needs at least one recipient")
    now = int(time.time()) if now is None else now
    release = now if release_at is None else max(release_at, now)
    blob_id, _ = put_blob(txn, account_id, raw, "message/rfc822")
    queue_id = txn.new_id(SERVER, QUEUE, "Q")
    recipients = list({a.email: RecipientState(address=a.email, parameters=a.parameters)
                       for a in envelope.rcpt_to}.values())
    entry = QueueEntry(account_id=account_id, blob_id=blob_id, size=len(raw), mail_from=envelope.mail_from,
                       recipients=recipients, release_at=release, expires_at=release + lifetime,
                       created_at=now, due=release)
    submission_id = None
    if link is not None:
        submission_id = txn.new_id(account_id, SUBMISSION, "S")
        entry.submission_id = submission_id
        record = SubmissionRecord(
            identity_id=link.identity_id, email_id=link.email_id, thread_id=link.thread_id, envelope=envelope,
            send_at=release, queue_id=queue_id, created_at=now,
            delivery_status={r.address: DeliveryStatus(smtp_reply="250 2.0.0 queued") for r in recipients})
        txn.create(account_id, SUBMISSION, submission_id, record)
        txn.put_unlogged(account_id, SUBMISSION_OF_EMAIL, link.email_id, SubmissionOfEmail(submission_id))
    _put(txn, queue_id, entry)
    _index(txn, queue_id, entry.due)
    txn.touched.add(QUEUE_KIND)
    return Queued(queue_id, blob_id, release, submission_id)


def cancel_submission(txn: WriteTxn, account_id: str, submission_id: str) -> SubmissionRecord:
    """Undo send: only while no recipient has been, or may have been, sent to."""
    record = txn.get(account_id, SUBMISSION, submission_id, SubmissionRecord)
    if record is None:
        raise CannotUnsend(submission_id)
    if record.undo_status == "canceled":
        return record
    entry = txn.get(SERVER, QUEUE, record.queue_id, QueueEntry)
    if record.undo_status != "pending" or entry is None or any(r.state != PENDING for r in entry.recipients):
        raise CannotUnsend(submission_id)
    _remove(txn, record.queue_id, entry)
    record.undo_status = "canceled"
    record.delivery_status = {a: DeliveryStatus(smtp_reply="250 2.0.0 canceled before sending", delivered="no")
                              for a in record.delivery_status}
    txn.update(account_id, SUBMISSION, submission_id, record)
    return record


# -- the worker's side -----------------------------------------------------------------------------
def worker_identity() -> str:
    """Who holds a lease: the process (so a lease of a dead process is known dead) and a nonce
    (so a later process that happens to get the same pid is not taken for it)."""
    return f"{os.getpid()}:{secrets.token_hex(4)}"


def _owner_alive(owner: str) -> bool:
    pid = owner.partition(":")[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_due(txn: WriteTxn, owner: str, *, now: int, lease: int, limit: int) -> list[tuple[str, QueueEntry]]:
    """Lease up to `limit` entries whose time has come to `owner`, earliest first.

    Recipients left "in doubt" by a worker that is gone are settled as unknown here (at most once).
    """
    claimed: list[tuple[str, QueueEntry]] = []
    stale: list[tuple[str, int]] = []
    for key, _ in txn.scan(SERVER, DUE, _Nothing):
        due_hex, _, queue_id = key.partition(".")
        if int(due_hex, 16) > now or len(claimed) >= limit:
            break
        entry = txn.get(SERVER, QUEUE, queue_id, QueueEntry)
        if entry is None:
            stale.append((queue_id, int(due_hex, 16)))
            continue
        if entry.owner and entry.owner != owner and entry.lease_until > now and _owner_alive(entry.owner):
            continue
        claimed.append((queue_id, entry))
    for queue_id, due in stale:
        txn.delete_unlogged(SERVER, DUE, _due_key(due, queue_id))
    for queue_id, entry in claimed:
        if entry.owner != owner:
            _settle_in_doubt(txn, entry, now)
        entry.owner, entry.lease_until = owner, now + lease
        _move(txn, queue_id, entry, now + lease)
    return claimed


def recover_abandoned(txn: WriteTxn, *, now: int) -> int:
    """Entries leased by a process that is gone are due again at once, their in-doubt recipients
    settled as unknown. Run once when a worker starts (a dead worker's leases would otherwise wait
    out their time); returns how many were recovered."""
    recovered = 0
    for queue_id, entry in txn.scan(SERVER, QUEUE, QueueEntry):
        if entry.owner and not _owner_alive(entry.owner):
            _settle_in_doubt(txn, entry, now)
            entry.owner, entry.lease_until = "", 0
            if not [r for r in entry.recipients if r.state in (PENDING, IN_DOUBT)]:
                _remove(txn, queue_id, entry)
            else:
                _move(txn, queue_id, entry, now)
            recovered += 1
    return recovered


def _settle_in_doubt(txn: WriteTxn, entry: QueueEntry, now: int) -> None:
    doubtful = [r for r in entry.recipients if r.state == IN_DOUBT]
    for r in doubtful:
        r.state = UNKNOWN
        r.reply = "451 4.4.0 delivery was interrupted after the message was transmitted; " \
                  "not sent again, so it may not have arrived"
    if doubtful and entry.submission_id:
        _update_status(txn, entry, {r.address: DeliveryStatus(smtp_reply=r.reply, delivered="unknown")
                                    for r in doubtful}, final=True)


def begin_delivery(txn: WriteTxn, queue_id: str, owner: str, addresses: Iterable[str], *,
                   now: int, lease: int) -> list[str]:
    """Mark recipients in doubt just before the message's content is sent to them; returns those
    that may be sent to (still pending, and the lease still ours). Renews the lease."""
    entry = txn.get(SERVER, QUEUE, queue_id, QueueEntry)
    if entry is None or entry.owner != owner:
        return []
    wanted = set(addresses)
    marked = []
    for r in entry.recipients:
        if r.address in wanted and r.state == PENDING:
            r.state = IN_DOUBT
            r.attempts += 1
            marked.append(r.address)
    entry.lease_until = now + lease
    _move(txn, queue_id, entry, entry.lease_until)
    return marked


Bounce = Callable[[QueueEntry, list[RecipientState]], bytes | None]


def record_outcomes(txn: WriteTxn, queue_id: str, owner: str, outcomes: dict[str, Outcome], *, now: int,
                    bounce: Bounce | None = None, store_bounce: Callable[[WriteTxn, str, bytes], str] | None = None,
                    release: bool = False, first_retry: int = FIRST_RETRY) -> QueueEntry | None:
    """Record what servers answered, then either finish the entry or schedule its next try.

    `release` gives the lease up (the worker is done with the entry for now). Recipients that failed
    for good are passed to `bounce`, whose message `store_bounce(txn, account_id, raw)` files in the
    sender's account, in this same transaction: a bounce is never lost and never doubled.
    """
    entry = txn.get(SERVER, QUEUE, queue_id, QueueEntry)
    if entry is None:
        return None
    statuses: dict[str, DeliveryStatus] = {}
    failed: list[RecipientState] = []
    any_sent = False
    for r in entry.recipients:
        outcome = outcomes.get(r.address)
        if outcome is None or r.state in (SENT, FAILED):
            continue
        r.reply = outcome.reply
        if r.state == PENDING:
            r.attempts += 1  # failed before the content was sent (connection, MAIL, RCPT)
        if outcome.accepted:
            r.state = SENT
            any_sent = True
            statuses[r.address] = DeliveryStatus(smtp_reply=outcome.reply, delivered=outcome.delivered)
        elif outcome.permanent or now >= entry.expires_at:
            r.state = FAILED
            failed.append(r)
            statuses[r.address] = DeliveryStatus(smtp_reply=outcome.reply, delivered="no")
        else:
            r.state = PENDING
            r.next_try = now + retry_delay(r.attempts, first_retry)
            statuses[r.address] = DeliveryStatus(smtp_reply=outcome.reply, delivered="queued")
    dsn_blob = None
    if failed and bounce is not None and store_bounce is not None and entry.mail_from.email:
        raw = bounce(entry, failed)
        if raw is not None:
            dsn_blob = store_bounce(txn, entry.account_id, raw)
    pending = [r for r in entry.recipients if r.state in (PENDING, IN_DOUBT)]
    if entry.submission_id and (statuses or dsn_blob):
        # Final once anything was relayed, or once nothing is left to try (nothing left to cancel).
        _update_status(txn, entry, statuses, final=any_sent or not pending, dsn_blob=dsn_blob)
    if not pending:
        _remove(txn, queue_id, entry)
        _leave_outbox(txn, entry, now)
        return entry
    if release:
        # The worker is done with the entry for now: what it left in doubt, it cannot know.
        if entry.owner == owner:
            _settle_in_doubt(txn, entry, now)
            if not [r for r in entry.recipients if r.state in (PENDING, IN_DOUBT)]:
                _remove(txn, queue_id, entry)
                _leave_outbox(txn, entry, now)
                return entry
        entry.owner, entry.lease_until = "", 0
        waiting = [r.next_try for r in entry.recipients if r.state == PENDING]
        _move(txn, queue_id, entry, max(min(waiting, default=now), now))
    else:
        _put(txn, queue_id, entry)
    return entry


def _leave_outbox(txn: WriteTxn, entry: QueueEntry, now: int) -> None:
    """A message sent from the Outbox mailbox (once any recipient took it) moves to Sent."""
    if not entry.submission_id or not any(r.state == SENT for r in entry.recipients):
        return
    record = txn.get(entry.account_id, SUBMISSION, entry.submission_id, SubmissionRecord)
    if record is not None:
        file_sent(txn, entry.account_id, record.email_id, now)


def retry_delay(attempts: int, first: int = FIRST_RETRY) -> int:
    """Exponential back-off: `first` seconds (a minute), then doubling, at most three hours."""
    return min(first * 2 ** max(attempts - 1, 0), MAX_RETRY)


def _update_status(txn: WriteTxn, entry: QueueEntry, statuses: dict[str, DeliveryStatus], *, final: bool,
                   dsn_blob: str | None = None) -> None:
    record = txn.get(entry.account_id, SUBMISSION, entry.submission_id, SubmissionRecord)
    if record is None:  # the client destroyed its record; the delivery goes on (RFC 8621 §7.5)
        return
    record.delivery_status = {**record.delivery_status, **statuses}
    if final and record.undo_status == "pending":
        record.undo_status = "final"
    if dsn_blob:
        record.dsn_blob_ids = [*record.dsn_blob_ids, dsn_blob]
    txn.update(entry.account_id, SUBMISSION, entry.submission_id, record)


class SubmissionOfEmail(msgspec.Struct, array_like=True):
    """The newest EmailSubmission of an Email, so that finding it costs a lookup, not a scan."""

    submission_id: str


def pending_submissions(txn: ReadTxn, account_id: str, email_ids: Iterable[str]) -> dict[str, str]:
    """Email id -> id of its EmailSubmission still pending (not sent, not cancelled), for these
    Emails of the account: one lookup per Email."""
    found: dict[str, str] = {}
    for email_id in dict.fromkeys(email_ids):
        ref = txn.get(account_id, SUBMISSION_OF_EMAIL, email_id, SubmissionOfEmail)
        record = None if ref is None else txn.get(account_id, SUBMISSION, ref.submission_id, SubmissionRecord)
        if record is not None and record.email_id == email_id and record.undo_status == "pending":
            found[email_id] = ref.submission_id
    return found


# -- the operator's side ---------------------------------------------------------------------------
def list_queue(txn: ReadTxn) -> list[tuple[str, QueueEntry]]:
    return list(txn.scan(SERVER, QUEUE, QueueEntry))


def retry_now(txn: WriteTxn, queue_id: str, *, now: int) -> QueueEntry:
    """Try a waiting entry's pending recipients again at once (e.g. after fixing a relay)."""
    entry = txn.get(SERVER, QUEUE, queue_id, QueueEntry)
    if entry is None:
        raise UnknownQueueEntry(queue_id)
    for r in entry.recipients:
        if r.state == PENDING:
            r.next_try = now
    entry.release_at = min(entry.release_at, now)
    if not entry.owner:
        _move(txn, queue_id, entry, now)
    else:
        _put(txn, queue_id, entry)
    txn.touched.add(QUEUE_KIND)
    return entry


def delete_entry(txn: WriteTxn, queue_id: str, *, reason: str = "deleted from the queue by the operator") -> QueueEntry:
    """Give up on an entry: its pending recipients are marked failed (no bounce is sent)."""
    entry = txn.get(SERVER, QUEUE, queue_id, QueueEntry)
    if entry is None:
        raise UnknownQueueEntry(queue_id)
    waiting = [r for r in entry.recipients if r.state in (PENDING, IN_DOUBT)]
    if entry.submission_id:
        record = txn.get(entry.account_id, SUBMISSION, entry.submission_id, SubmissionRecord)
        nothing_sent = all(r.state == PENDING for r in entry.recipients)
        if record is not None and nothing_sent and record.undo_status == "pending":
            record.undo_status = "canceled"
            txn.update(entry.account_id, SUBMISSION, entry.submission_id, record)
        _update_status(txn, entry, {r.address: DeliveryStatus(smtp_reply=f"550 5.0.0 {reason}", delivered="no")
                                    for r in waiting}, final=False)
    _remove(txn, queue_id, entry)
    return entry


# -- keys ------------------------------------------------------------------------------------------
class _Nothing(msgspec.Struct, array_like=True):
    pass


def _due_key(due: int, queue_id: str) -> str:
    return f"{due:012x}.{queue_id}"


def _put(txn: WriteTxn, queue_id: str, entry: QueueEntry) -> None:
    txn.put_unlogged(SERVER, QUEUE, queue_id, entry)


def _index(txn: WriteTxn, queue_id: str, due: int) -> None:
    txn.put_unlogged(SERVER, DUE, _due_key(due, queue_id), _Nothing())


def _move(txn: WriteTxn, queue_id: str, entry: QueueEntry, due: int) -> None:
    if due != entry.due:
        txn.delete_unlogged(SERVER, DUE, _due_key(entry.due, queue_id))
        entry.due = due
        _index(txn, queue_id, due)
    _put(txn, queue_id, entry)


def _remove(txn: WriteTxn, queue_id: str, entry: QueueEntry) -> None:
    """The entry is done (sent, failed, canceled or deleted): its EmailSubmission is kept for
    SUBMISSION_RETENTION more, then destroyed."""
    txn.delete_unlogged(SERVER, DUE, _due_key(entry.due, queue_id))
    txn.delete_unlogged(SERVER, QUEUE, queue_id)
    if entry.submission_id:
        expire_at(txn, int(clock.now()) + SUBMISSION_RETENTION, entry.account_id, SUBMISSION, entry.submission_id)


@removes(SUBMISSION)
def _destroy_submission(txn: WriteTxn, account_id: str, submission_id: str, now: int) -> None:
    """A finished EmailSubmission goes (RFC 8621 §7: the server may delete them after a while); the
    client learns it from EmailSubmission/changes like any destroy."""
    record = txn.get(account_id, SUBMISSION, submission_id, SubmissionRecord)
    if record is None or record.undo_status == "pending":
        return
    txn.destroy(account_id, SUBMISSION, submission_id)
    newest = txn.get(account_id, SUBMISSION_OF_EMAIL, record.email_id, SubmissionOfEmail)
    if newest is not None and newest.submission_id == submission_id:
        txn.delete_unlogged(account_id, SUBMISSION_OF_EMAIL, record.email_id)


class SubmissionPolicy(msgspec.Struct, kw_only=True, frozen=True):
    """What the server accepts for sending; present only while the server sends at all."""

    max_delayed_send: int = 30 * 86400
    max_recipients: int = 100
    max_size: int = 25_000_000
    lifetime: int = DEFAULT_LIFETIME
