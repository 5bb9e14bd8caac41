"""The mail layer's operations for frontends that change one thing at a time.

Delivery (LMTP, SMTP, submission copies, vacation replies and bounces), IMAP commands and the
importers each call one of these; each call is one transaction of the store, committed (durably,
shared with other writers by the group commit) before it returns, so a frontend may acknowledge
what it was given as soon as the call is back. JMAP's /set and /import batch many changes in one
transaction and call the same functions of the writer inside theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import msgspec

from store import ReadTxn, Store, WriteTxn
from store.blobs import blob_id_for
from store.records import Change

from ..mime import EmailSummary
from . import clock
from .errors import NoSuchEmail
from .parsing import ParsedMessage, parse_for_import
from .placement import check_keywords, check_mailboxes
from .received_index import index_entries
from .records import EmailRecord
from .writer import EMAIL, delete_email, store_message, update_email

#: The types whose changes a mail client follows, in the order a sync applies them.
MAIL_TYPES = ("Mailbox", "Thread", "Email")


class Stored(msgspec.Struct, frozen=True):
    """A message the store now holds."""

    email_id: str
    thread_id: str
    blob_id: str
    size: int
    received_at: int


class MailChange(msgspec.Struct, frozen=True):
    """One entry of an account's change log: `kind` is 0 created, 1 updated, 2 destroyed."""

    modseq: int
    type: str
    id: str
    kind: int


class Mail:
    """The operations, over one store. `hand_over` is given each stored message's summary, so the
    full-text index need not parse it again (it catches up from the store's feed without it)."""

    def __init__(self, store: Store, *, max_mailboxes: int | None = None,
                 hand_over: Callable[[dict[tuple[str, str], EmailSummary]], None] | None = None):
        self.store = store
        self.max_mailboxes = max_mailboxes
        self.hand_over = hand_over

    # -- writes ------------------------------------------------------------------------------------
    def deliver(self, account_id: str, raw: bytes, mailboxes: Iterable[str], keywords: Iterable[str] = (),
                received_at: int | None = None, *, parsed: ParsedMessage | None = None) -> Stored:
        """Store a message in the given mailboxes. The message is parsed before the store's writer is
        taken; `received_at` defaults to now."""
        if parsed is None:
            parsed = parse_for_import(raw, blob_id_for(raw))
        when = clock.now() if received_at is None else received_at
        mailboxes, keywords = list(mailboxes), list(keywords)

        def work(txn: WriteTxn) -> Stored:
            email_id, record = store_message(
                txn, account_id, raw, parsed, received_at=when, keywords=check_keywords(keywords),
                mailbox_ids=check_mailboxes(txn, account_id, mailboxes, self.max_mailboxes))
            if self.hand_over is not None:  # before the indexer is woken by the commit
                txn.after_commit(lambda: self.hand_over({(account_id, email_id): parsed.summary}))
            return Stored(email_id, record.thread_id, record.blob_id, record.size, record.received_at)

        return self.store.write(work)

    def move(self, account_id: str, email_id: str, mailboxes: Iterable[str]) -> EmailRecord:
        """Put a message in exactly these mailboxes."""
        mailboxes = list(mailboxes)
        return self._change(account_id, email_id, lambda txn, record: update_email(
            txn, account_id, email_id, record,
            mailbox_ids=check_mailboxes(txn, account_id, mailboxes, self.max_mailboxes)))

    def set_keywords(self, account_id: str, email_id: str, keywords: Iterable[str]) -> EmailRecord:
        """Give a message exactly these keywords."""
        checked = check_keywords(keywords)
        return self._change(account_id, email_id, lambda txn, record: update_email(
            txn, account_id, email_id, record, keywords=checked))

    def destroy(self, account_id: str, email_id: str) -> None:
        """Remove a message from every mailbox; its octets stay while another Email shares them."""
        self._change(account_id, email_id, lambda txn, record: delete_email(txn, account_id, email_id, record))

    def _change(self, account_id: str, email_id: str, apply):
        def work(txn: WriteTxn):
            record = txn.get(account_id, EMAIL, email_id, EmailRecord)
            if record is None:
                raise NoSuchEmail(email_id)
            return apply(txn, record)

        return self.store.write(work)

    # -- reads -------------------------------------------------------------------------------------
    @staticmethod
    def mailbox_messages(txn: ReadTxn, account_id: str, mailbox_id: str,
                         newest_first: bool = False) -> Iterator[str]:
        """A mailbox's email ids in receivedAt order (ties by id), read from the index: as cheap per
        message in a mailbox of a million as in one of ten."""
        for email_id, _ in index_entries(txn, account_id, mailbox_id, descending=newest_first):
            yield email_id.decode()

    @staticmethod
    def changes_since(txn: ReadTxn, account_id: str, modseq: int, types: Iterable[str] = MAIL_TYPES,
                      limit: int | None = None) -> list[MailChange]:
        """The account's changes after `modseq`, oldest first, across the given types: what an IMAP
        session or a cache must catch up on. At most `limit` entries (the oldest)."""
        merged: list[MailChange] = []
        for kind in types:
            for count, (seq, change) in enumerate(txn.changes_since(account_id, kind, modseq)):
                if limit is not None and count >= limit:
                    break
                merged.append(_entry(seq, kind, change))
        merged.sort(key=lambda c: c.modseq)
        return merged if limit is None else merged[:limit]


def _entry(seq: int, kind: str, change: Change) -> MailChange:
    return MailChange(seq, kind, change.id, change.kind)
