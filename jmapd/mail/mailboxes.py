"""Finding mailboxes by what they are for: roles (RFC 8621 §2, the IANA "JMAP Mailbox Roles").

An account holds tens of mailboxes, not thousands, so a lookup reads them; the writer remembers
an answer for the length of its transaction.
"""

from __future__ import annotations

from store import ReadTxn
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
