"""Email sort keys (RFC 8621 §4.4.2), all computed from stored records."""

from __future__ import annotations

import re

from ...mail.keywords import valid_keyword
from ...protocol.errors import MethodError, invalid_arguments
from ..args import Comparator
from ..filtering import SortKey
from ..mailbox.datatype import collation_key
from .conditions import ThreadKeywords

SORT_PROPERTIES = ("id", "receivedAt", "sentAt", "size", "from", "to", "subject", "hasKeyword",
                   "allInThreadHaveKeyword", "someInThreadHaveKeyword")


def _first_address(addresses) -> str:
    """The first address's name, or its email if the name is empty, else "" (§4.4.2 from/to)."""
    if not addresses:
        return ""
    first = addresses[0]
    return first.get("name") or first.get("email") or ""


def _collate(collation: str | None):
    """The RFC 4790 collation's sort key (the mailbox sorts' own): i;unicode-casemap by default."""
    if collation in (None, "i;unicode-casemap", "i;ascii-casemap", "i;ascii-numeric"):
        key = collation_key(collation)
        return lambda s: key(s or "")
    raise MethodError("unsupportedSort", f"unknown collation {collation!r}")


# RFC 5256 §2.1 ABNF, case-insensitive: subj-blob, subj-refwd, subj-leader, subj-trailer.
_BLOB = r"\[[^\[\]]*\][ \t]*"
_LEADER = re.compile(r"(?:%s)*(?:re|fwd?)[ \t]*(?:%s)?:|[ \t]" % (_BLOB, _BLOB), re.IGNORECASE)
_BLOB_PREFIX = re.compile(_BLOB)
_TRAILER = re.compile(r"(?:\(fwd\)|[ \t])$", re.IGNORECASE)
_WHITE = re.compile(r"[ \t\r\n]+")


def sort_base_subject(subject: str | None) -> str:
    """The base subject of RFC 5256 §2.1, which the `subject` sort compares (RFC 8621 §4.4.2).

    The subject is already decoded (step 1's encoded words); case is left to the collation.
    """
    text = _WHITE.sub(" ", subject or "")
    while True:
        while True:  # (2) trailing "(fwd)" and white space
            cut = _TRAILER.sub("", text)
            if cut == text:
                break
            text = cut
        while True:  # (3) and (4), repeated (5)
            before = text
            leader = _LEADER.match(text)
            if leader and leader.end():
                text = text[leader.end():]
            blob = _BLOB_PREFIX.match(text)
            if blob and text[blob.end():].strip(" \t"):  # only if a non-empty base remains
                text = text[blob.end():]
            if text == before:
                break
        if text[:5].lower() == "[fwd:" and text.endswith("]"):  # (6) "[fwd: ... ]"
            text = text[5:-1]
            continue
        return text


def sort_key(comparator: Comparator, threads: ThreadKeywords) -> SortKey:
    prop = comparator.property
    if prop == "id":  # beyond RFC 8621 §4.4.2, which allows more; the draft dialect's sorts need it
        return lambda i, r: i
    if prop == "receivedAt":
        return lambda i, r: r.received_at
    if prop == "sentAt":
        return lambda i, r: r.summary.sent_at_epoch or 0
    if prop == "size":
        return lambda i, r: r.size
    if prop in ("from", "to", "subject"):
        collate = _collate(comparator.collation)
        if prop == "subject":
            return lambda i, r: collate(sort_base_subject(r.summary.subject))
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
