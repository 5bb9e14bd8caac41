"""What is stored for an Email and its Thread.

The Email record keeps every property a list view needs (the MIME summary: subject, addresses,
dates, preview...), so listing never re-parses MIME; body properties are parsed from the blob on
demand. Thread statistics feed the per-mailbox thread counts and are invisible to clients, so they
are stored beside the Thread without touching its change log.
"""

from __future__ import annotations

import msgspec

from ..mime import EmailSummary


class EmailRecord(msgspec.Struct, kw_only=True):
    blob_id: str
    thread_id: str
    mailbox_ids: list[str]
    keywords: list[str]
    size: int
    received_at: int
    summary: EmailSummary


class ThreadRecord(msgspec.Struct, kw_only=True):
    """emails: (receivedAt, email id) pairs, oldest first (RFC 8621 §3 emailIds order)."""

    emails: list[tuple[int, str]]
    base_subject: str = ""


class ThreadStats(msgspec.Struct, kw_only=True):
    """Per thread: emails in each mailbox, and unread emails outside and inside the trash.

    RFC 8621 §2 unreadThreads: emails only in the trash are ignored for other mailboxes, and emails
    not in the trash are ignored for the trash.
    """

    mailboxes: dict[str, int] = {}
    unread_live: int = 0
    unread_trash: int = 0


class IndexEvent(msgspec.Struct, array_like=True):
    """An entry of the "search" feed: an Email whose text the full-text index must add or drop."""

    account_id: str
    email_id: str
    removed: bool = False
