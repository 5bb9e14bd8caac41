"""The receivedAt index: each mailbox's messages in receivedAt order, kept in the writer's transaction.

Mailbox views, IMAP's message sequence numbers and a mailbox's removal all read a mailbox's
messages in this order; reading it costs the page read, not the size of the mailbox or account.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from store import ReadTxn, WriteTxn
from store.codec import u64

ALL_MAILBOXES = ""  # the index also lists every email once under this pseudo-mailbox


def index_key(account_id: str, mailbox_id: str, received_at: int, email_id: str) -> bytes:
    return b"%s\x00%s\x00%s%s" % (account_id.encode(), mailbox_id.encode(), u64(received_at), email_id.encode())


def update_index(txn: WriteTxn, account_id: str, email_id: str, record, mailboxes: Iterable[str], add: bool) -> None:
    """Add (or remove) an email's entries under the given mailboxes; the value is its thread id."""
    db = txn.dbs["by_mailbox"]
    for mailbox_id in mailboxes:
        key = index_key(account_id, mailbox_id, record.received_at, email_id)
        if add:
            txn.txn.put(key, record.thread_id.encode(), db=db)
        else:
            txn.txn.delete(key, db=db)


def index_entries(txn: ReadTxn, account_id: str, mailbox_id: str,
                  descending: bool = False) -> Iterator[tuple[bytes, bytes]]:
    """(email id, thread id) of a mailbox's emails in receivedAt order (ties by id), still encoded: a
    page decodes only the ids it answers."""
    prefix = b"%s\x00%s\x00" % (account_id.encode(), mailbox_id.encode())
    skip = len(prefix) + 8
    with txn.txn.cursor(db=txn.dbs["by_mailbox"]) as cur:
        if descending:
            end = prefix[:-1] + b"\x01"
            positioned = cur.prev() if cur.set_range(end) else cur.last()
            if not positioned:
                return
            entries = cur.iterprev()
        else:
            if not cur.set_range(prefix):
                return
            entries = iter(cur)
        for key, value in entries:
            if not key.startswith(prefix):
                return
            yield key[skip:], value
