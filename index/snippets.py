"""SearchSnippet text (RFC 8621 §5): matched words marked, the rest escaped.

Matching is done on the tokens of :mod:`index.analysis`, so a word is marked
exactly when the index would have matched it (``cafe`` marks ``Café``), and
the marked span is the *original* text of the match. Everything outside
``<mark>`` is HTML-escaped, and so is everything inside; the only markup in
the result is the ``<mark>`` tags themselves.
"""

from __future__ import annotations

from .analysis import Token, fold, positioned_tokens
from .query import QueryTerms

__all__ = ["MAX_SCAN_CHARS", "find_spans", "snippet"]

#: Only this much of a text is searched for a match to show. A match further
#: into a huge body still makes the email a search result; it just gets no
#: preview, which the RFC allows ("server defined").
MAX_SCAN_CHARS = 1_000_000

_OPEN = "<mark>"
_CLOSE = "</mark>"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def find_spans(text: str, terms: QueryTerms) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans of ``text`` that match.

    A sequence matches where its terms sit at consecutive positions; any one
    matching sequence is enough (the snippet shows *what* matched, the AND of
    the filter is the search's business).
    """
    if terms.empty or not text:
        return []
    tokens = positioned_tokens(text[:MAX_SCAN_CHARS])
    wanted = terms.terms()
    at: dict[int, dict[str, Token]] = {}
    starts: dict[str, list[Token]] = {}
    firsts = {seq[0] for seq in terms.sequences}
    for tok in tokens:
        if tok.term in wanted:
            at.setdefault(tok.pos, {})[tok.term] = tok
            if tok.term in firsts:
                starts.setdefault(tok.term, []).append(tok)
    found: list[tuple[int, int]] = []
    for seq in terms.sequences:
        for first in starts.get(seq[0], ()):
            start, end = first.start, first.end
            for k in range(1, len(seq)):
                tok = at.get(first.pos + k, {}).get(seq[k])
                if tok is None:
                    break
                start, end = min(start, tok.start), max(end, tok.end)
            else:
                found.append((start, end))
    found.sort()
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


#: A preview tokenizes a region from the first place a query word occurs
#: (see :func:`_first_region`) to this many times its length after it.
REGION_REACH = 2


def _first_region(text: str, terms: QueryTerms, reach: int) -> tuple[int, int] | None:
    """Where in ``text`` the first match, and what a preview of ``reach``
    characters shows after it, must be; cheaply. None when no word that
    starts a sequence occurs anywhere (so nothing can match).

    Every term is a substring of the folded text (tokens are runs of it), so
    the first match starts at or after the first occurrence of a first word:
    no token before it needs reading (the lead-in the preview shows is taken
    from the text itself). The region opens and closes on white space, so it
    cuts no word in two.
    Only when folding keeps every character in place can an offset in the
    folded text be used in the original; otherwise the region is all of it.
    """
    scanned = text[:MAX_SCAN_CHARS]
    folded = fold(scanned)
    hits = [i for i in (folded.find(seq[0]) for seq in terms.sequences) if i >= 0]
    if not hits:
        return None
    if len(folded) != len(scanned):
        return 0, len(scanned)
    first = min(hits)
    lo = max(scanned.rfind(" ", 0, first), scanned.rfind("\n", 0, first)) + 1
    hi = min(len(scanned), first + REGION_REACH * reach)
    if hi < len(scanned):
        cut = [i for i in (scanned.find(" ", hi), scanned.find("\n", hi)) if i >= 0]
        hi = min(cut) if cut else len(scanned)
    return lo, hi


def _first_spans(text: str, terms: QueryTerms, reach: int) -> list[tuple[int, int]]:
    """The spans a preview of at most ``reach`` characters can show: the
    first match and every one within ``reach`` after it."""
    if terms.empty or not text:
        return []
    region = _first_region(text, terms, reach)
    if region is None:
        return []
    lo, hi = region
    whole = (lo, hi) == (0, min(len(text), MAX_SCAN_CHARS))
    spans = [(s + lo, e + lo) for s, e in find_spans(text[lo:hi], terms)]
    if whole or (spans and spans[0][1] + reach <= hi):
        return spans
    # The first occurrence was inside a longer word, or the match lies too
    # near the end of the region to show what follows it: look everywhere.
    return find_spans(text, terms)


def _size(s: str, in_bytes: bool) -> int:
    if not in_bytes or s.isascii():
        return len(s)
    return len(s.encode("utf-8"))


def _window_start(text: str, first: int, context: int) -> int:
    """Where to start showing text so the first match has some lead-in.

    Up to ``context`` characters before the match, moved forward to the start
    of a word so the preview does not open mid-word.
    """
    if first <= context:
        return 0
    lo = first - context
    for i in range(lo, first):
        if text[i].isspace():
            return i + 1
    return first


class _Out:
    """Builds the escaped string within a budget of characters or octets."""

    def __init__(self, limit: int | None, in_bytes: bool) -> None:
        self.parts: list[str] = []
        self.used = 0
        self.limit = limit
        self.in_bytes = in_bytes
        self.collapse = limit is not None  # white space runs -> one space
        self.space = False  # a collapsed run of white space is pending
        self.fixed = 0  # parts before this index are marks or precede them

    def fits(self, piece: str, reserve: int = 0) -> bool:
        if self.limit is None:
            return True
        return self.used + _size(piece, self.in_bytes) + reserve <= self.limit

    def put(self, piece: str) -> None:
        self.parts.append(piece)
        self.used += _size(piece, self.in_bytes)

    def char(self, ch: str, reserve: int = 0) -> bool:
        """Append one text character; False when the budget is exhausted."""
        if self.collapse and ch.isspace():
            self.space = bool(self.parts)
            return True
        piece = _ESCAPES.get(ch, ch)
        if self.space:
            piece = " " + piece
        if not self.fits(piece, reserve):
            return False
        self.put(piece)
        self.space = False
        return True


def snippet(
    text: str,
    terms: QueryTerms,
    max_chars: int | None = None,
    max_bytes: int | None = None,
) -> str | None:
    """``text`` with its matches wrapped in ``<mark></mark>``, or None.

    Without limits the whole text is returned, transformed only as RFC 8621
    §5 says (the SearchSnippet ``subject``). With ``max_chars`` and/or
    ``max_bytes`` (the ``preview``: at most 255 octets) the result, markup and
    entities included, stays within them: a window that opens shortly before
    the first match, with runs of white space collapsed to one space and no
    word cut in half at its end. A match that does not fit whole is left out
    rather than cut, unless it is the first one.
    """
    limits = [n for n in (max_chars, max_bytes) if n is not None]
    spans = _first_spans(text, terms, min(limits)) if limits else find_spans(text, terms)
    if not spans:
        return None
    if max_bytes is not None:
        out = _Out(max_bytes if max_chars is None else min(max_bytes, max_chars), True)
    else:
        out = _Out(max_chars, False)
    start = 0
    if out.limit is not None:
        if out.limit < len(_OPEN) + len(_CLOSE) + 4:
            return None  # not even one marked character would fit
        start = _window_start(text, spans[0][0], out.limit // 5)
    pos = start
    done = False
    for s, e in spans:
        if s < pos:
            continue
        for ch in text[pos:s]:
            if not out.char(ch):
                done = True
                break
        if done:
            break
        # The whole match, or (for the first one only) as much as fits.
        pending_space = out.space
        inner = _Out(None, out.in_bytes)
        inner.collapse = out.collapse
        for ch in text[s:e]:
            inner.char(ch)
        whole = (" " if pending_space else "") + _OPEN + "".join(inner.parts) + _CLOSE
        if out.fits(whole):
            out.put(whole)
            out.space = False
            out.fixed = len(out.parts)
        elif out.parts:
            done = True
            break
        else:
            out.put(_OPEN)
            out.space = False
            for ch in text[s:e]:
                if not out.char(ch, reserve=len(_CLOSE)):
                    break
            out.put(_CLOSE)
            out.fixed = len(out.parts)
            done = True
            break
        pos = e
    if not done:
        for ch in text[pos:]:
            if not out.char(ch):
                done = True
                break
    if done:
        _drop_cut_word(out)
    return "".join(out.parts)


def _drop_cut_word(out: _Out) -> None:
    """Remove the word the budget cut short, so the preview ends cleanly."""
    parts = out.parts
    if out.space or len(parts) <= out.fixed:
        return  # the cut fell on white space, or right after a mark
    while len(parts) > out.fixed and not parts[-1].startswith(" "):
        parts.pop()
    if len(parts) > out.fixed:
        parts.pop()
