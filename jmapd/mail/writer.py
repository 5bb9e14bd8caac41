"""The one place where Emails change, with everything derived from them, in one transaction.

Creating, changing or destroying an Email also updates its Thread, the Message-ID index used for
threading, the per-mailbox receivedAt index that mailbox views read, the IMAP UIDs and flag index
(uids.py), what never changes about the Email (envelopes.py), and the four counts of every
mailbox involved (RFC 8621 §2), incrementally: nothing here scans an account.
"""

from __future__ import annotations

from dataclasses import dataclass

from store import ReadTxn, WriteTxn, feed
from store.blobs import blob_ref, put_blob

from ..mime import EmailSummary
from ..mime.subjects import base_subject
from .counts import adjust_counts
from .keywords import is_unread
from .mailboxes import mailbox_by_role
from .parsing import ParsedMessage
from . import envelopes, uids
from .received_index import ALL_MAILBOXES, index_entries, update_index
from .records import EmailRecord, IndexEvent, ThreadRecord, ThreadStats
from .summary import list_view_summary
from .threads import find_thread, remember_ids

EMAIL, THREAD, STATS = "Email", "Thread", "ThreadStats"
# A push-only state that moves when a new Email arrives and on no other change (RFC 8621 §1.5): a
# client may show a notification for it, where a keyword change or a move must not ring.
EMAIL_DELIVERY = "EmailDelivery"
SEARCH_FEED = "search"


def trash_id(txn: WriteTxn, account_id: str) -> str | None:
    """The mailbox with the trash role, looked up once per transaction."""
    key = ("trash", account_id)
    if key not in txn.memo:
        txn.memo[key] = mailbox_by_role(txn, account_id, "trash")
    return txn.memo[key]


@dataclass(frozen=True)
class Placement:
    """Where an email is and whether it counts as unread: all that its counts depend on."""

    mailboxes: frozenset[str]
    unread: bool

    @classmethod
    def of(cls, record: EmailRecord | None) -> "Placement":
        if record is None:
            return cls(frozenset(), False)
        return cls(frozenset(record.mailbox_ids), is_unread(record.keywords))


# -- counts ----------------------------------------------------------------------------------------
def account_totals(txn: ReadTxn, account_id: str) -> tuple[int, int]:
    """(Emails, Threads) in the account, kept as counters so whole-account totals need no scan."""
    return txn.counter(account_id, "count:Email"), txn.counter(account_id, "count:Thread")


def account_bytes(txn: ReadTxn, account_id: str) -> int:
    """The octets of every Email in the account (each Email counted at its size once, as RFC 9425
    quotas count), kept as a counter beside the totals."""
    return txn.counter(account_id, "bytes:Email")


def _thread_view(stats: ThreadStats, trash: str | None) -> dict[str, tuple[int, int]]:
    """(counts towards totalThreads, counts towards unreadThreads) for each mailbox of the thread."""
    view = {}
    for mailbox_id, n in stats.mailboxes.items():
        if n > 0:
            unread = stats.unread_trash if mailbox_id == trash else stats.unread_live
            view[mailbox_id] = (1, 1 if unread > 0 else 0)
    return view


def _place(stats: ThreadStats, placement: Placement, sign: int, trash: str | None) -> None:
    for mailbox_id in placement.mailboxes:
        n = stats.mailboxes.get(mailbox_id, 0) + sign
        if n:
            stats.mailboxes[mailbox_id] = n
        else:
            stats.mailboxes.pop(mailbox_id, None)
    if placement.unread:
        if placement.mailboxes - {trash}:
            stats.unread_live += sign
        if trash in placement.mailboxes:
            stats.unread_trash += sign


def _recount(txn: WriteTxn, account_id: str, thread_id: str, old: Placement, new: Placement) -> None:
    trash = trash_id(txn, account_id)
    stats = txn.get(account_id, STATS, thread_id, ThreadStats) or ThreadStats(mailboxes={})
    before = _thread_view(stats, trash)
    _place(stats, old, -1, trash)
    _place(stats, new, +1, trash)
    after = _thread_view(stats, trash)
    if stats.mailboxes:
        txn.put_unlogged(account_id, STATS, thread_id, stats)
    else:
        txn.delete_unlogged(account_id, STATS, thread_id)
    for mailbox_id in old.mailboxes | new.mailboxes | before.keys() | after.keys():
        was, now = mailbox_id in old.mailboxes, mailbox_id in new.mailboxes
        b, a = before.get(mailbox_id, (0, 0)), after.get(mailbox_id, (0, 0))
        adjust_counts(txn, account_id, mailbox_id, {
            "totalEmails": now - was,
            "unreadEmails": (now and new.unread) - (was and old.unread),
            "totalThreads": a[0] - b[0],
            "unreadThreads": a[1] - b[1],
        })


# -- the changes ----------------------------------------------------------------------------------
def insert_email(txn: WriteTxn, account_id: str, *, blob_id: str, size: int, summary: EmailSummary,
                 mailbox_ids: list[str], keywords: list[str], received_at: int,
                 subject_key: str | None = None, head: bytes | None) -> tuple[str, EmailRecord]:
    """Create an Email (mailboxes and keywords already validated) and place it in a thread.
    `subject_key` is base_subject(summary.subject), when the caller has it already; `head` is its
    header section as envelopes.py keeps it (`head_of` the octets, or the `head` of the Email it
    copies), None for one too long to keep."""
    if subject_key is None:
        subject_key = base_subject(summary.subject)

    def thread_subject(thread_id: str) -> str | None:
        thread = txn.get(account_id, THREAD, thread_id, ThreadRecord)
        return None if thread is None else thread.base_subject

    email_id = txn.new_id(account_id, EMAIL, "E")
    thread_id = find_thread(txn, account_id, summary, subject_key, thread_subject)
    if thread_id is None:
        thread_id = txn.new_id(account_id, THREAD, "T")
        thread = ThreadRecord(emails=[(received_at, email_id)], base_subject=subject_key)
        txn.create(account_id, THREAD, thread_id, thread)
        txn.bump(account_id, "count:Thread")
    else:
        thread = txn.get(account_id, THREAD, thread_id, ThreadRecord)
        thread.emails.append((received_at, email_id))
        thread.emails.sort()
        txn.update(account_id, THREAD, thread_id, thread)
    remember_ids(txn, account_id, summary, thread_id, lambda t: txn.exists(account_id, THREAD, t))
    record = EmailRecord(blob_id=blob_id, thread_id=thread_id, mailbox_ids=sorted(set(mailbox_ids)),
                         keywords=sorted(set(keywords)), size=size, received_at=received_at, summary=summary)
    txn.create(account_id, EMAIL, email_id, record)
    envelopes.keep(txn, account_id, email_id, record, head)
    txn.note_state(account_id, EMAIL_DELIVERY)
    txn.bump(account_id, "count:Email")
    txn.bump(account_id, "bytes:Email", size)
    feed.append(txn, SEARCH_FEED, IndexEvent(account_id, email_id))
    update_index(txn, account_id, email_id, record, [*record.mailbox_ids, ALL_MAILBOXES], add=True)
    uids.enter(txn, account_id, email_id, record.mailbox_ids, record.keywords, record.size)
    _recount(txn, account_id, thread_id, Placement.of(None), Placement.of(record))
    return email_id, record


def store_message(txn: WriteTxn, account_id: str, raw: bytes, parsed: ParsedMessage, *, mailbox_ids: list[str],
                  keywords: list[str], received_at: int, blob_id: str | None = None) -> tuple[str, EmailRecord]:
    """A message's octets become an Email: every way mail arrives (delivery, Email/import, Email/set,
    IMAP APPEND, importers) ends here. The octets are stored once by content; `blob_id` names a blob
    the account may already read (an upload), which is then not stored again; blob ids name their
    content, so a blob id given is that of `raw` and is not worked out again."""
    if blob_id is None or blob_ref(txn, account_id, blob_id) is None:
        blob_id, _ = put_blob(txn, account_id, raw, "message/rfc822", blob_id)
    return insert_email(txn, account_id, blob_id=blob_id, size=len(raw), summary=list_view_summary(parsed.summary),
                        mailbox_ids=mailbox_ids, keywords=keywords, received_at=received_at,
                        subject_key=parsed.thread_subject, head=envelopes.head_of(raw))


def update_email(txn: WriteTxn, account_id: str, email_id: str, record: EmailRecord, *,
                 mailbox_ids: list[str] | None = None, keywords: list[str] | None = None) -> EmailRecord:
    old = Placement.of(record)
    old_mailboxes = set(record.mailbox_ids)
    old_keywords = record.keywords
    if mailbox_ids is not None:
        record.mailbox_ids = sorted(set(mailbox_ids))
    if keywords is not None:
        record.keywords = sorted(set(keywords))
    new_mailboxes = set(record.mailbox_ids)
    update_index(txn, account_id, email_id, record, old_mailboxes - new_mailboxes, add=False)
    update_index(txn, account_id, email_id, record, new_mailboxes - old_mailboxes, add=True)
    txn.update(account_id, EMAIL, email_id, record)
    uids.leave(txn, account_id, email_id, old_mailboxes - new_mailboxes, old_keywords, record.size)
    uids.enter(txn, account_id, email_id, sorted(new_mailboxes - old_mailboxes), record.keywords, record.size)
    if record.keywords != old_keywords:
        uids.touch(txn, account_id, email_id, old_mailboxes & new_mailboxes, old_keywords, record.keywords)
    _recount(txn, account_id, record.thread_id, old, Placement.of(record))
    return record


def delete_email(txn: WriteTxn, account_id: str, email_id: str, record: EmailRecord) -> None:
    update_index(txn, account_id, email_id, record, [*record.mailbox_ids, ALL_MAILBOXES], add=False)
    uids.leave(txn, account_id, email_id, record.mailbox_ids, record.keywords, record.size)
    txn.destroy(account_id, EMAIL, email_id)
    envelopes.drop(txn, account_id, email_id)
    txn.bump(account_id, "count:Email", -1)
    txn.bump(account_id, "bytes:Email", -record.size)
    feed.append(txn, SEARCH_FEED, IndexEvent(account_id, email_id, removed=True))
    _recount(txn, account_id, record.thread_id, Placement.of(record), Placement.of(None))
    thread = txn.get(account_id, THREAD, record.thread_id, ThreadRecord)
    if thread is None:
        return
    thread.emails = [e for e in thread.emails if e[1] != email_id]
    if thread.emails:
        txn.update(account_id, THREAD, record.thread_id, thread)
    else:
        txn.destroy(account_id, THREAD, record.thread_id)
        txn.bump(account_id, "count:Thread", -1)


def remove_mailbox(txn: WriteTxn, account_id: str, mailbox_id: str, *, orphans_to: str | None = None) -> None:
    """Take every email out of a mailbox that is being destroyed; emails in no other mailbox are
    destroyed with it (RFC 8621 §2.5 onDestroyRemoveEmails), or moved to `orphans_to` when given
    (the draft dialect keeps them, in the inbox: draft-jenkins-jmapmail-00 §2.3.4)."""
    email_ids = [email_id.decode() for email_id, _ in index_entries(txn, account_id, mailbox_id)]
    for email_id in email_ids:
        record = txn.get(account_id, EMAIL, email_id, EmailRecord)
        if record is None:
            continue
        remaining = [m for m in record.mailbox_ids if m != mailbox_id]
        if not remaining and orphans_to is not None and orphans_to != mailbox_id:
            remaining = [orphans_to]
        if remaining:
            update_email(txn, account_id, email_id, record, mailbox_ids=remaining)
        else:
            delete_email(txn, account_id, email_id, record)
