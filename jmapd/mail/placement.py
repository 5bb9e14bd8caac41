"""Where a message may be put and which keywords it may carry (RFC 8621 §4.1.1).

Every frontend places messages through these checks: JMAP's mailboxIds and keywords, IMAP's flags
and folders, delivery's target mailbox. They raise the mail layer's errors; what a client sent and
how it was spelled on the wire is the frontend's business.
"""

from __future__ import annotations

from collections.abc import Iterable

from store import ReadTxn

from .errors import InvalidKeywords, NoMailbox, NoSuchMailbox, TooManyKeywords, TooManyMailboxes
from .keywords import normalize, valid_keyword

MAX_KEYWORDS = 100


def check_mailboxes(txn: ReadTxn, account_id: str, mailbox_ids: Iterable[str],
                    max_mailboxes: int | None = None) -> list[str]:
    """The existing mailboxes named, sorted and once each; at least one."""
    named = list(dict.fromkeys(mailbox_ids))
    if not named:
        raise NoMailbox()
    for mailbox_id in named:
        if not txn.exists(account_id, "Mailbox", mailbox_id):
            raise NoSuchMailbox(mailbox_id)
    if max_mailboxes is not None and len(named) > max_mailboxes:
        raise TooManyMailboxes(max_mailboxes)
    return sorted(named)


def check_keywords(keywords: Iterable[str]) -> list[str]:
    """Valid keywords, lowercased, sorted and once each (keywords are case-insensitive)."""
    given = list(keywords)
    bad = [k for k in given if not valid_keyword(k)]
    if bad:
        raise InvalidKeywords(bad)
    result = normalize(given)
    if len(result) > MAX_KEYWORDS:
        raise TooManyKeywords(MAX_KEYWORDS)
    return result
