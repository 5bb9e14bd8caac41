"""Keywords (RFC 8621 §4.1.1): case-insensitive IMAP atoms, returned in lowercase."""

from __future__ import annotations

from collections.abc import Iterable

_FORBIDDEN = set('(){]%*"\\')
SEEN, DRAFT = "$seen", "$draft"


def valid_keyword(keyword: object) -> bool:
    return (isinstance(keyword, str) and 1 <= len(keyword) <= 255
            and all(0x21 <= ord(ch) <= 0x7E and ch not in _FORBIDDEN for ch in keyword))


def normalize(keywords: Iterable[str]) -> list[str]:
    return sorted({k.lower() for k in keywords})


def is_unread(keywords: Iterable[str]) -> bool:
    """Unread means neither $seen nor $draft (RFC 8621 §2 unreadEmails)."""
    return not any(k in (SEEN, DRAFT) for k in keywords)
