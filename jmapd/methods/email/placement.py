"""mailboxIds and keywords as a JMAP client gives them (RFC 8621 §4.1.1, §4.6, §4.8).

The shape on the wire is checked here; what the mail layer refuses comes back as the SetError the
RFC names.
"""

from __future__ import annotations

from typing import Any

from store import ReadTxn

from ...mail import placement
from ...mail.errors import InvalidKeywords, NoSuchMailbox, TooManyKeywords, TooManyMailboxes
from ...protocol.errors import SetError, invalid_properties


def mailbox_ids(ctx, txn: ReadTxn, account_id: str, value: Any, *, prop: str = "mailboxIds") -> list[str]:
    """An Id[Boolean] set of existing mailboxes, at least one (an Email is always in a mailbox)."""
    if not isinstance(value, dict) or not value or any(v is not True for v in value.values()):
        raise invalid_properties([prop], "mailboxIds must be a non-empty object of mailbox ids to true")
    given: dict[str, str] = {}
    for key in value:
        mailbox_id = ctx.resolve_id(key)
        if mailbox_id is None:
            raise invalid_properties([prop], f"no mailbox {key}")
        given.setdefault(mailbox_id, key)
    try:
        return placement.check_mailboxes(txn, account_id, given, ctx.server.mail_limits.max_mailboxes_per_email)
    except NoSuchMailbox as exc:
        raise invalid_properties([prop], f"no mailbox {given[exc.mailbox_id]}") from None
    except TooManyMailboxes as exc:
        raise SetError("tooManyMailboxes", str(exc).replace("a message", "an Email"),
                       maxMailboxes=exc.limit) from None


def keywords(value: Any, *, prop: str = "keywords") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict) or any(v is not True for v in value.values()):
        raise invalid_properties([prop], "keywords must be an object of keywords to true")
    try:
        return placement.check_keywords(value)
    except InvalidKeywords as exc:
        raise invalid_properties([prop], str(exc)) from None
    except TooManyKeywords as exc:
        raise SetError("tooManyKeywords", str(exc).replace("a message", "an Email"),
                       maxKeywords=exc.limit) from None
