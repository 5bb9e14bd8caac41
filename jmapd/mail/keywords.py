"""Keywords (RFC 8621 §4.1.1): case-insensitive IMAP atoms, returned in lowercase."""

from __future__ import annotations

import re
from collections.abc import Iterable

_FORBIDDEN = set('(){]%*"\\')
# Visible ASCII but the characters IMAP atoms forbid, 1 to 255 of them.
_KEYWORD = re.compile("[%s]{1,255}" % "".join(re.escape(chr(c)) for c in range(0x21, 0x7F)
                                               if chr(c) not in _FORBIDDEN))
SEEN, DRAFT = "$seen", "$draft"


def valid_keyword(keyword: object) -> bool:
    return isinstance(keyword, str) and _KEYWORD.fullmatch(keyword) is not None


def normalize(keywords: Iterable[str]) -> list[str]:
    return sorted({k.lower() for k in keywords})


def is_unread(keywords: Iterable[str]) -> bool:
    """Unread means neither $seen nor $draft (RFC 8621 §2 unreadEmails)."""
    return not any(k in (SEEN, DRAFT) for k in keywords)
