"""Email sort keys (RFC 8621 §4.4.2), all computed from stored records."""

from __future__ import annotations

from ...protocol.errors import MethodError, invalid_arguments
from ..args import Comparator
from ..filtering import SortKey, casemap
from .conditions import ThreadKeywords
from .keywords import valid_keyword
from .threads import base_subject

SORT_PROPERTIES = ("receivedAt", "sentAt", "size", "from", "to", "subject", "hasKeyword",
                   "allInThreadHaveKeyword", "someInThreadHaveKeyword")


def _first_address(addresses) -> str:
    """The first address's name, or its email if the name is empty, else "" (§4.4.2 from/to)."""
    if not addresses:
        return ""
    first = addresses[0]
    return first.get("name") or first.get("email") or ""


def _collate(collation: str | None):
    if collation in (None, "i;unicode-casemap"):
        return casemap
    if collation == "i;ascii-casemap":
        return lambda s: "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in (s or ""))
    if collation == "i;ascii-numeric":
        # RFC 4790 §9.1: leading digits as a number; strings without digits sort after all numbers.
        def numeric(s: str | None) -> tuple[int, int]:
            digits = ""
            for ch in s or "":
                if not ch.isdigit():
                    break
                digits += ch
            return (0, int(digits)) if digits else (1, 0)
        return numeric
    raise MethodError("unsupportedSort", f"unknown collation {collation!r}")


def sort_key(comparator: Comparator, threads: ThreadKeywords) -> SortKey:
    prop = comparator.property
    if prop == "receivedAt":
        return lambda i, r: r.received_at
    if prop == "sentAt":
        return lambda i, r: r.summary.sent_at_epoch or 0
    if prop == "size":
        return lambda i, r: r.size
    if prop in ("from", "to", "subject"):
        collate = _collate(comparator.collation)
        if prop == "subject":
            return lambda i, r: collate(base_subject(r.summary.subject))
        if prop == "from":
            return lambda i, r: collate(_first_address(r.summary.from_))
        return lambda i, r: collate(_first_address(r.summary.to))
    if prop in ("hasKeyword", "allInThreadHaveKeyword", "someInThreadHaveKeyword"):
        if not valid_keyword(comparator.keyword):
            raise invalid_arguments(f"a {prop} sort needs a keyword (RFC 8621 §4.4.2)")
        keyword = comparator.keyword.lower()
        if prop == "hasKeyword":
            return lambda i, r: keyword in r.keywords
        if prop == "allInThreadHaveKeyword":
            return lambda i, r: threads.all_have(r.thread_id, keyword)
        return lambda i, r: threads.some_have(r.thread_id, keyword)
    raise MethodError("unsupportedSort", f"cannot sort Emails by {prop!r}")
