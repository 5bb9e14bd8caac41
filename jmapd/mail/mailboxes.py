"""Finding mailboxes by what they are for: roles (RFC 8621 §2, the IANA "JMAP Mailbox Roles").

An account holds tens of mailboxes, not thousands, so a lookup reads them; the writer remembers
an answer for the length of its transaction.
"""

from __future__ import annotations

from store import ReadTxn, WriteTxn
from store.records import Mailbox

#: The draft JMAP-for-Mail dialect's sending mailbox (draft-jenkins-jmapmail-00 §2, §5.3.3).
OUTBOX = "outbox"


def mailbox_by_role(txn: ReadTxn, account_id: str, role: str) -> str | None:
    """The id of the account's mailbox with this role (at most one has it), or None."""
    return next((i for i, m in txn.scan(account_id, "Mailbox", Mailbox) if m.role == role), None)


def mailbox_by_name(txn: ReadTxn, account_id: str, name: str, parent_id: str | None = None) -> str | None:
    """The id of the mailbox with this name under this parent (names are unique among siblings)."""
    return next((i for i, m in txn.scan(account_id, "Mailbox", Mailbox)
                 if m.name == name and m.parent_id == parent_id), None)


def create_mailbox(txn: WriteTxn, account_id: str, name: str, *, parent_id: str | None = None,
                   role: str | None = None, sort_order: int = 0) -> str:
    """A new mailbox record (the caller has checked the name is free among its siblings)."""
    mailbox_id = txn.new_id(account_id, "Mailbox", "M")
    txn.create(account_id, "Mailbox", mailbox_id,
               Mailbox(name=name, parent_id=parent_id, role=role, sort_order=sort_order))
    return mailbox_id


def ensure_mailbox_path(txn: WriteTxn, account_id: str, path: str, separator: str = "/") -> str:
    """The mailbox at a folder path ("Lists/dev"), created with its parents where missing. A
    top-level name that is a role's usual name ("Inbox", "Sent"...) finds the mailbox with that role."""
    parent_id: str | None = None
    for depth, name in enumerate(n for n in path.split(separator) if n):
        found = mailbox_by_name(txn, account_id, name, parent_id)
        if found is None and depth == 0:
            found = mailbox_by_role(txn, account_id, name.lower())
        parent_id = found if found is not None else create_mailbox(txn, account_id, name, parent_id=parent_id)
    if parent_id is None:
        raise ValueError(f"an empty folder path: {path!r}")
    return parent_id
