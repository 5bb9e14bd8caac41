"""Which thread a new message joins (RFC 8621 §3 leaves the algorithm to the server).

A message joins a thread when it shares a Message-ID with it (its own, In-Reply-To or References)
and has the same base subject: references alone would glue unrelated conversations that quote one
message, and subjects alone would glue every "Hello". Every id a message mentions is recorded for
its thread, so a parent that arrives after its reply finds the reply's thread. Thread ids are
immutable (RFC 8621 §4.1.1), so threads are never merged.
"""

from __future__ import annotations

import hashlib

from store import ReadTxn, WriteTxn

from ..mime import EmailSummary
from .records import EmailRecord, ThreadRecord

MAX_KEY = 400  # LMDB keys are at most 511 octets


def mentioned_ids(summary: EmailSummary) -> list[str]:
    """Nearest relations first: the parent, then older ancestors, then the message's own id."""
    ids = list(summary.in_reply_to or [])
    ids += reversed(summary.references or [])
    ids += summary.message_id or []
    return list(dict.fromkeys(i for i in ids if i))


def _key(account_id: str, message_id: str) -> bytes:
    raw = message_id.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_KEY:
        raw = b"#" + hashlib.sha256(raw).digest()
    return account_id.encode() + b"\x00" + raw


def find_thread(txn: ReadTxn, account_id: str, summary: EmailSummary, subject_key: str,
                thread_subject) -> str | None:
    """The existing thread this message belongs to, if any; `thread_subject(id)` gives a live
    thread's base subject, or None if the thread no longer exists."""
    db = txn.dbs["msgids"]
    for message_id in mentioned_ids(summary):
        found = txn.txn.get(_key(account_id, message_id), db=db)
        if found is None:
            continue
        thread_id = found.decode()
        if thread_subject(thread_id) == subject_key:
            return thread_id
    return None


def thread_mentioning(txn: ReadTxn, account_id: str, message_id: str) -> str | None:
    """The thread recorded for a Message-ID: where the message with that id is, if it is anywhere
    (a reply with another subject starts a thread of its own: its parent is found this way)."""
    found = txn.txn.get(_key(account_id, message_id), db=txn.dbs["msgids"])
    return None if found is None else found.decode()


def message_with_id(txn: ReadTxn, account_id: str, message_id: str) -> str | None:
    """The Email whose Message-ID this is, looked up in the thread the id is recorded for."""
    thread_id = thread_mentioning(txn, account_id, message_id)
    thread = thread_id and txn.get(account_id, "Thread", thread_id, ThreadRecord)
    for _, email_id in thread.emails if thread else []:
        record = txn.get(account_id, "Email", email_id, EmailRecord)
        if record is not None and message_id in (record.summary.message_id or []):
            return email_id
    return None


def remember_ids(txn: WriteTxn, account_id: str, summary: EmailSummary, thread_id: str, thread_alive) -> None:
    """Point every id the message mentions at its thread, unless a live thread claimed it first."""
    db = txn.dbs["msgids"]
    value = thread_id.encode()
    for message_id in mentioned_ids(summary):
        key = _key(account_id, message_id)
        existing = txn.txn.get(key, db=db)
        if existing is None or (existing != value and not thread_alive(existing.decode())):
            txn.txn.put(key, value, db=db)
