"""Creating users with a ready-to-use mail account.

A new user gets the mailboxes every mail client expects to find, with their roles, in the same
transaction that creates the user: there is never a user without an Inbox.
"""

from __future__ import annotations

import secrets

from store import Store, WriteTxn
from store.records import Mailbox, User
from store.users import add_user, hash_password

from .addresses import add_address
from .mailboxes import OUTBOX, create_mailbox, mailbox_by_name, mailbox_by_role

DEFAULT_MAILBOXES = (
    ("Inbox", "inbox"),
    ("Drafts", "drafts"),
    ("Sent", "sent"),
    ("Archive", "archive"),
    ("Junk", "junk"),
    ("Trash", "trash"),
    # Where a message waits to be sent, in the draft JMAP-for-Mail dialect (its §5.3.3); RFC 8621
    # has no such role, so its clients see an ordinary mailbox.
    ("Outbox", OUTBOX),
)


def provision_mailboxes(txn: WriteTxn, account_id: str) -> None:
    for order, (name, role) in enumerate(DEFAULT_MAILBOXES, start=1):
        create_mailbox(txn, account_id, name, role=role, sort_order=order)


def ensure_mailbox(store: Store, account_id: str, name: str, role: str) -> str:
    """The id of the account's mailbox with `role`, created for accounts made before it was a
    default (a top-level mailbox of that name without a role takes the role instead)."""
    with store.read() as txn:
        found = mailbox_by_role(txn, account_id, role)
    if found is not None:
        return found

    def work(txn: WriteTxn) -> str:
        found = mailbox_by_role(txn, account_id, role)
        if found is not None:
            return found
        same_name = mailbox_by_name(txn, account_id, name)
        if same_name is not None:
            mailbox = txn.get(account_id, "Mailbox", same_name, Mailbox)
            if mailbox.role is None:
                mailbox.role = role
                txn.update(account_id, "Mailbox", same_name, mailbox)
                return same_name
            name_taken = True
        else:
            name_taken = False
        return create_mailbox(txn, account_id, f"{name} ({role})" if name_taken else name, role=role,
                              sort_order=len(DEFAULT_MAILBOXES))

    return store.write(work)


def create_user(store: Store, name: str, password: str, email: str | None = None, *,
                account_id: str | None = None, scrypt_n: int | None = None) -> User:
    password_hash = hash_password(password, scrypt_n)  # slow by design: hashed before the write lock is taken

    def work(txn: WriteTxn) -> User:
        user = add_user(txn, name, password_hash, email, account_id=account_id)
        if email:
            add_address(txn, user.name, email)
        provision_mailboxes(txn, user.account_id)
        return user

    return store.write(work)


def generate_password() -> str:
    return secrets.token_urlsafe(12)
