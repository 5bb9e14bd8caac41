"""Per-mailbox counts (RFC 8621 §2), kept in one small record beside the mailbox record.

The Email writer adjusts them in the same transaction as each change, so Mailbox/get reads one
record instead of scanning the mailbox; a count-only change is logged with the count properties so
that Mailbox/changes can report updatedProperties.
"""

from __future__ import annotations

from store import ReadTxn, WriteTxn
from store.records import MailboxCounts

COUNT_PROPERTIES = ("totalEmails", "unreadEmails", "totalThreads", "unreadThreads")
KIND = "MailboxCounts"


def read_counts(txn: ReadTxn, account_id: str, mailbox_id: str) -> dict[str, int]:
    counts = txn.get(account_id, KIND, mailbox_id, MailboxCounts) or MailboxCounts()
    return dict(zip(COUNT_PROPERTIES, (counts.total_emails, counts.unread_emails, counts.total_threads,
                                       counts.unread_threads)))


def adjust_counts(txn: WriteTxn, account_id: str, mailbox_id: str, deltas: dict[str, int]) -> None:
    """Add the deltas and log a count-only update of the mailbox (if any count moved)."""
    moved = [prop for prop, delta in deltas.items() if delta]
    if not moved:
        return
    current = read_counts(txn, account_id, mailbox_id)
    values = [current[prop] + deltas.get(prop, 0) for prop in COUNT_PROPERTIES]
    txn.put_unlogged(account_id, KIND, mailbox_id, MailboxCounts(*values))
    txn.touch(account_id, "Mailbox", mailbox_id, moved)


def clear_counts(txn: WriteTxn, account_id: str, mailbox_id: str) -> None:
    txn.delete_unlogged(account_id, KIND, mailbox_id)
