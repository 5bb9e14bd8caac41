"""Validating the mailboxIds and keywords a client gives (RFC 8621 §4.1.1, §4.6, §4.8)."""

from __future__ import annotations

from typing import Any

from store import ReadTxn

from ...protocol.errors import SetError, invalid_properties
from .keywords import normalize, valid_keyword

MAX_KEYWORDS = 100


def mailbox_ids(ctx, txn: ReadTxn, account_id: str, value: Any, *, prop: str = "mailboxIds") -> list[str]:
    """An Id[Boolean] set of existing mailboxes, at least one (an Email is always in a mailbox)."""
    if not isinstance(value, dict) or not value or any(v is not True for v in value.values()):
        raise invalid_properties([prop], "mailboxIds must be a non-empty object of mailbox ids to true")
    resolved = []
    for key in value:
        mailbox_id = ctx.resolve_id(key)
        if mailbox_id is None or not txn.exists(account_id, "Mailbox", mailbox_id):
            raise invalid_properties([prop], f"no mailbox {key}")
        resolved.append(mailbox_id)
    limit = ctx.server.mail_limits.max_mailboxes_per_email
    if limit is not None and len(set(resolved)) > limit:
        raise SetError("tooManyMailboxes", f"an Email may be in at most {limit} mailboxes", maxMailboxes=limit)
    return sorted(set(resolved))


def keywords(value: Any, *, prop: str = "keywords") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict) or any(v is not True for v in value.values()):
        raise invalid_properties([prop], "keywords must be an object of keywords to true")
    bad = [k for k in value if not valid_keyword(k)]
    if bad:
        raise invalid_properties([prop], f"invalid keywords: {', '.join(map(str, bad[:5]))}")
    result = normalize(value)
    if len(result) > MAX_KEYWORDS:
        raise SetError("tooManyKeywords", f"an Email may have at most {MAX_KEYWORDS} keywords",
                       maxKeywords=MAX_KEYWORDS)
    return result
