"""Per-mailbox counts (RFC 8621 §2), kept as counters beside the mailbox record.

The Email code adjusts them in the same transaction as each change, so Mailbox/get reads four numbers
instead of scanning the mailbox; a count-only change is logged with the count properties so that
Mailbox/changes can report updatedProperties.
"""

from __future__ import annotations

from store import ReadTxn, WriteTxn

COUNT_PROPERTIES = ("totalEmails", "unreadEmails", "totalThreads", "unreadThreads")


def _key(mailbox_id: str, prop: str) -> str:
    return f"mbox:{mailbox_id}:{prop}"


def read_counts(txn: ReadTxn, account_id: str, mailbox_id: str) -> dict[str, int]:
    return {prop: txn.counter(account_id, _key(mailbox_id, prop)) for prop in COUNT_PROPERTIES}


def adjust_counts(txn: WriteTxn, account_id: str, mailbox_id: str, deltas: dict[str, int]) -> None:
    """Add the deltas and log a count-only update of the mailbox (if any count moved)."""
    moved = [prop for prop, delta in deltas.items() if delta]
    for prop in moved:
        txn.bump(account_id, _key(mailbox_id, prop), deltas[prop])
    if moved:
        txn.touch(account_id, "Mailbox", mailbox_id, list(moved))


def clear_counts(txn: WriteTxn, account_id: str, mailbox_id: str) -> None:
    for prop in COUNT_PROPERTIES:
        txn.drop_counter(account_id, _key(mailbox_id, prop))
