"""IMAP flags as JMAP keywords (RFC 8621 §4.1.1): the system flags map to `$`-keywords, other
keywords are themselves. Keywords are case-insensitive and stored lowercased, so `$Forwarded` comes
back as `$forwarded`.

`\\Deleted` is kept as the keyword `$deleted` until EXPUNGE, and `\\Recent` is not kept (IMAP4rev2
removed it; it is never set).
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import Bad

TO_KEYWORD = {"\\seen": "$seen", "\\answered": "$answered", "\\flagged": "$flagged", "\\draft": "$draft",
              "\\deleted": "$deleted"}
TO_FLAG = {v: k[0] + k[1].upper() + k[2:] for k, v in TO_KEYWORD.items()}
PERMANENT_FLAGS = "(\\Seen \\Answered \\Flagged \\Draft \\Deleted $Forwarded $MDNSent $Junk $NotJunk $Phishing \\*)"
FLAGS = "(\\Seen \\Answered \\Flagged \\Draft \\Deleted $Forwarded $MDNSent $Junk $NotJunk $Phishing)"
DELETED = "$deleted"


def keyword_of(flag: str) -> str | None:
    """The keyword for a flag; None for \\Recent, which is not stored."""
    lowered = flag.lower()
    if lowered == "\\recent":
        return None
    if lowered in TO_KEYWORD:
        return TO_KEYWORD[lowered]
    if lowered.startswith("\\"):
        raise Bad(f"unknown system flag {flag}")
    return lowered


def keywords_of(flags: Iterable[str]) -> set[str]:
    return {k for k in map(keyword_of, flags) if k is not None}


def imap_flags(keywords: Iterable[str]) -> list[str]:
    return [TO_FLAG.get(k, k) for k in keywords]
