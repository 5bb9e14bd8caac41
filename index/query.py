"""Filter text as RFC 8621 §4.4.1 describes it, turned into terms to find.

User text is never handed to a query parser: operators, wildcards and field
prefixes are just characters here, and nothing a user types can make a search
fail.
"""

from __future__ import annotations

import re

import msgspec

from .analysis import phrase_terms

__all__ = ["MAX_QUERY_CHARS", "MAX_QUERY_TERMS", "QueryTerms", "parse_query"]

#: Characters of query text considered at all: enough for MAX_QUERY_TERMS
#: terms of any sensible length, and a bound on the work a pasted novel costs.
MAX_QUERY_CHARS = 8192

#: A query is cut after this many terms. Each further word would only narrow
#: an AND that is already very selective, while costing a posting-list walk.
MAX_QUERY_TERMS = 64


class QueryTerms(msgspec.Struct, frozen=True):
    """What a filter's text asks for: every sequence must occur.

    Each sequence is a run of terms at consecutive positions: a single word
    is a sequence of one; a quoted phrase, a word joined by punctuation
    (``alice@example.com``) or a CJK run is longer.
    """

    sequences: tuple[tuple[str, ...], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.sequences

    def terms(self) -> frozenset[str]:
        return frozenset(t for seq in self.sequences for t in seq)


_QUOTES = "\"'"
_CHUNK_RE = re.compile(r"\S+")


def _chunks(text: str) -> list[str]:
    """Split user text into phrases and white-space separated chunks.

    RFC 8621 §4.4.1: matched single or double quotes delimit a phrase, inside
    which a backslash escapes ``'``, ``"`` and ``\\``; outside phrases white
    space separates tokens that must all be present. A quote only opens a
    phrase at the start of a chunk and only closes it when followed by white
    space or the end, so apostrophes inside words (``don't``) stay words. An
    unmatched quote is plain punctuation.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        m = _CHUNK_RE.search(text, i)
        if m is None:
            break
        i = m.start()
        q = text[i]
        if q in _QUOTES:
            buf: list[str] = []
            j = i + 1
            while j < n:
                c = text[j]
                if c == "\\" and j + 1 < n and text[j + 1] in "\"'\\":
                    buf.append(text[j + 1])
                    j += 2
                    continue
                if c == q and (j + 1 == n or text[j + 1].isspace()):
                    break
                buf.append(c)
                j += 1
            if j < n:
                out.append("".join(buf))
                i = j + 1
                continue
        out.append(m.group())
        i = m.end()
    return out


def parse_query(text: str | None) -> QueryTerms:
    """Turn a FilterCondition's text into the sequences it requires.

    Never raises: user text is not a query language, so operators, wildcards
    and stray quotes are just characters. A quoted phrase and an unquoted
    chunk whose words are joined by punctuation are alike: their terms must
    appear in this order. Duplicates are dropped and the total number of
    terms is capped at :data:`MAX_QUERY_TERMS`.
    """
    if not text or not isinstance(text, str):
        return QueryTerms()
    seqs: list[tuple[str, ...]] = []
    seen: set[tuple[str, ...]] = set()
    budget = MAX_QUERY_TERMS
    for chunk in _chunks(text[:MAX_QUERY_CHARS]):
        key = tuple(phrase_terms(chunk)[:budget])
        if not key or key in seen:
            continue
        seen.add(key)
        seqs.append(key)
        budget -= len(key)
        if budget <= 0:
            break
    return QueryTerms(tuple(seqs))
