"""Creating users with a ready-to-use mail account.

A new user gets the mailboxes every mail client expects to find, with their roles, in the same
transaction that creates the user: there is never a user without an Inbox.
"""

from __future__ import annotations

import secrets

from store import Store, WriteTxn
from store.records import User
from store.users import add_user, hash_password

from .addresses import add_address
from .mailboxes import create_mailbox

DEFAULT_MAILBOXES = (
    ("Inbox", "inbox"),
    ("Drafts", "drafts"),
    ("Sent", "sent"),
    ("Archive", "archive"),
    ("Junk", "junk"),
    ("Trash", "trash"),
)


def provision_mailboxes(txn: WriteTxn, account_id: str) -> None:
    for order, (name, role) in enumerate(DEFAULT_MAILBOXES, start=1):
        create_mailbox(txn, account_id, name, role=role, sort_order=order)


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
