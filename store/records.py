"""Typed records kept in the store.

Each JMAP data type has one record Struct; the JSON shape clients see is built from it by the method
layer. Fields get defaults so that a record written by an older version decodes under a newer one.
"""

from __future__ import annotations

import msgspec


class User(msgspec.Struct, kw_only=True):
    name: str
    password_hash: str
    account_id: str
    email: str | None = None
    created_at: int = 0
    disabled: bool = False
    # Accounts of other users shared with this one: account id -> read-only.
    shared_accounts: dict[str, bool] = {}


class Token(msgspec.Struct, kw_only=True):
    """An API token; only its SHA-256 is stored, so a copied database does not leak usable tokens."""

    username: str
    label: str = ""
    created_at: int = 0


class Account(msgspec.Struct, kw_only=True):
    name: str
    owner: str
    is_personal: bool = True
    is_read_only: bool = False
    created_at: int = 0


class Change(msgspec.Struct, array_like=True):
    """One entry of a per-type change log.

    `props` names the only properties that changed when the writer knows them (Mailbox/changes reports
    count-only updates as updatedProperties, RFC 8621 §2.2); None means "possibly anything".
    """

    id: str
    kind: int
    props: list[str] | None = None


CREATED, UPDATED, DESTROYED = 0, 1, 2


class BlobRef(msgspec.Struct, kw_only=True):
    """An account's right to read a content-addressed blob, with what it was uploaded as."""

    size: int
    type: str = "application/octet-stream"
    created_at: int = 0


class Mailbox(msgspec.Struct, kw_only=True):
    name: str
    parent_id: str | None = None
    role: str | None = None
    sort_order: int = 0
    is_subscribed: bool = True


class MailboxCounts(msgspec.Struct, array_like=True):
    """The four counts of RFC 8621 §2, read together on every Mailbox/get: one record, one lookup."""

    total_emails: int = 0
    unread_emails: int = 0
    total_threads: int = 0
    unread_threads: int = 0
