"""Source folders become mailboxes: the hierarchy kept, the special ones given their JMAP roles.

A folder's role comes from its IMAP special-use attribute (RFC 6154) when the source has one, else
from the names mail programs give these folders ("Sent Items", "Deleted Messages", "Spam", ...).
A folder with a role lands in the account's mailbox of that role (the Inbox, Sent, ... every account
starts with), so a Dovecot "Sent", a Gmail "[Gmail]/Sent Mail" and a Thunderbird "Sent" all end in
the one Sent mailbox; other folders become mailboxes of the same name under the same parent.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from store import Store, WriteTxn
from store.records import Mailbox

from ..mail.mailboxes import mailbox_by_name, mailbox_by_role

SPECIAL_USE_ROLES = {
    "\\sent": "sent", "\\drafts": "drafts", "\\trash": "trash", "\\junk": "junk", "\\archive": "archive",
}
#: Special-use folders that only show messages kept elsewhere too: they add no mailbox of their own
#: (the flag or the other folders carry what they mean). Gmail's All Mail (\All) is read last, and
#: only what no other folder holds goes to the Archive: that is what archived means there.
VIRTUAL = frozenset({"\\flagged", "\\important"})
ALL_MAIL = "\\all"

_NAMED_ROLES = {
    "inbox": "inbox",
    "sent": "sent", "sent items": "sent", "sent messages": "sent", "sent mail": "sent",
    "drafts": "drafts", "draft": "drafts",
    "trash": "trash", "deleted items": "trash", "deleted messages": "trash", "bin": "trash",
    "junk": "junk", "spam": "junk", "junk e-mail": "junk", "junk email": "junk", "bulk mail": "junk",
    "archive": "archive", "archives": "archive",
}


def role_for(path: Sequence[str], attributes: Sequence[str] = ()) -> str | None:
    """The JMAP role a folder at `path` (its names from the top) stands for, if any."""
    for attribute in attributes:
        role = SPECIAL_USE_ROLES.get(attribute.lower())
        if role:
            return role
    if not path:
        return "inbox"
    # Names count at the top level, or directly under INBOX as Courier-style servers nest them.
    if len(path) == 1 or (len(path) == 2 and path[0].upper() == "INBOX"):
        return _NAMED_ROLES.get(path[-1].strip().lower())
    return None


def clean_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip() or "(unnamed)"


class Folders:
    """Finds or creates the mailbox for each source folder of one account, remembering answers."""

    def __init__(self, store: Store, account_id: str):
        self.store = store
        self.account_id = account_id
        self._known: dict[tuple[tuple[str, ...], str | None], str] = {}

    def mailbox(self, path: Sequence[str], role: str | None = None) -> str:
        """The mailbox id for a folder: by role when it has one, else by its path (created as needed,
        parents first). An empty path is the Inbox."""
        key = (tuple(path), role)
        if key not in self._known:
            self._known[key] = self.store.write(lambda txn: self._resolve(txn, list(path), role))
        return self._known[key]

    def _resolve(self, txn: WriteTxn, path: list[str], role: str | None) -> str:
        if role is not None:
            found = mailbox_by_role(txn, self.account_id, role)
            if found is not None:
                return found
        if path and path[0].upper() == "INBOX":
            parent = mailbox_by_role(txn, self.account_id, "inbox")
            path = path[1:]
            if not path or parent is None:
                return parent or self._create(txn, "Inbox", None, "inbox")
        else:
            parent = None
        for depth, name in enumerate(path):
            name = clean_name(name)
            found = mailbox_by_name(txn, self.account_id, name, parent)
            if found is None:
                leaf = depth == len(path) - 1
                found = self._create(txn, name, parent, role if leaf else None)
            parent = found
        if parent is None:
            parent = mailbox_by_role(txn, self.account_id, "inbox") or self._create(txn, "Inbox", None, "inbox")
        return parent

    def _create(self, txn: WriteTxn, name: str, parent: str | None, role: str | None) -> str:
        if role is not None and mailbox_by_role(txn, self.account_id, role) is not None:
            role = None  # at most one mailbox has a role
        mailbox_id = txn.new_id(self.account_id, "Mailbox", "M")
        txn.create(self.account_id, "Mailbox", mailbox_id, Mailbox(name=name, parent_id=parent, role=role))
        return mailbox_id
