"""Evaluating text conditions (RFC 8621 §4.4.1) on open segments.

Each condition is a set of sequences (see :class:`index.analysis.QueryTerms`)
that must all occur, each in any of the condition's fields, within one
account. Whoosh would evaluate that as a tree of And/Or/Phrase matchers that
advance one document at a time in Python; for a "text" condition (seven
fields) over a common word that costs ~25 microseconds per hit. Here it is set
algebra over posting lists instead: lists are read a block (up to 128
documents) at a time, conditions are applied rarest first, each only among
the documents that passed the ones before (probing a long list block by
block when few candidates remain), and phrase positions are checked only for
documents of the account that contain every word of the phrase.

:func:`build_query` and :func:`run_query` are the same search as a Whoosh
query run through ``docs_for_query``; the tests hold the two to the same
results.
"""

from __future__ import annotations

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Or, Phrase, Query, Term
from whoosh.reading import SegmentReader

from .query import QueryTerms
from .readers import IdMaps, Leaf
from .schema import FIELD_OF

__all__ = ["build_query", "evaluate", "run_query", "search_leaves"]


def build_query(account_id: str, field: str, terms: QueryTerms) -> Query:
    """The Whoosh query for one text condition, restricted to an account.

    Built from analyzed terms, never by parsing user text. Each sequence
    (word or phrase) must be present; with several fields ("text"), each
    sequence may be found in any of them, independently of the others.
    No sequences at all is vacuously true: every email of the account.
    """
    fields = FIELD_OF[field]
    parts: list[Query] = [Term("account", account_id)]
    for seq in terms.sequences:
        if len(seq) == 1:
            alts: list[Query] = [Term(f, seq[0]) for f in fields]
        else:
            alts = [Phrase(f, list(seq)) for f in fields]
        parts.append(alts[0] if len(alts) == 1 else Or(alts))
    return parts[0] if len(parts) == 1 else And(parts)


def run_query(leaves: list[Leaf], idmaps: IdMaps, query: Query) -> set[str]:
    """Email ids matching a Whoosh query (the reference evaluation)."""
    out: set[str] = set()
    for leaf in leaves:
        ids = None
        for docnum in leaf.searcher.docs_for_query(query):
            if ids is None:
                ids = idmaps.get(leaf)
            out.add(ids[docnum])
    return out


def _postings(reader: SegmentReader, fieldname: str, text: str) -> Matcher | None:
    key = (fieldname, text.encode("utf-8"))
    if key not in reader:
        return None
    return reader.postings(fieldname, text)


def _all_ids(m: Matcher) -> set[int]:
    """Every document of a fresh posting matcher, a block at a time.

    Reads the block arrays of Whoosh's own leaf matcher (pinned version) and
    falls back to the generic one-document-at-a-time walk for any other.
    """
    excluded: frozenset[int] | set[int] = frozenset()
    if type(m) is FilterMatcher and m._exclude:
        excluded = m._ids
        m = m.child
    if type(m) is not W3LeafMatcher:
        return set(m.all_ids()) - excluded
    out: set[int] = set()
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        out.update(m._ids[m._i :])
        m._next_block()
    return out - excluded if excluded else out


#: Below this share of a posting list, checking candidates one by one
#: (skipping whole blocks by their last document) beats reading the list.
_PROBE_RATIO = 8


def _probe(m: Matcher, within: set[int]) -> set[int]:
    out: set[int] = set()
    for docnum in sorted(within):
        if not m.is_active():
            break
        if m.id() < docnum:
            m.skip_to(docnum)
            if not m.is_active():
                break
        if m.id() == docnum:
            out.add(docnum)
    return out


def _docs(reader: SegmentReader, fieldname: str, text: str, within: set[int] | None) -> set[int]:
    """Documents containing a term, optionally only among ``within``."""
    m = _postings(reader, fieldname, text)
    if m is None:
        return set()
    if within is not None and len(within) * _PROBE_RATIO < reader.doc_frequency(fieldname, text):
        return _probe(m, within)
    docs = _all_ids(m)
    return docs if within is None else docs & within


def _phrase_docs(reader: SegmentReader, fieldname: str, seq: tuple[str, ...], within: set[int] | None) -> set[int]:
    """Documents (of ``within``) where ``seq`` occurs at consecutive positions."""
    words = sorted(set(seq), key=lambda w: reader.doc_frequency(fieldname, w))
    candidates = within
    for w in words:
        candidates = _docs(reader, fieldname, w, candidates)
        if not candidates:
            return set()
    matchers = {w: reader.postings(fieldname, w) for w in words}
    out: set[int] = set()
    for docnum in sorted(candidates):
        positions: dict[str, set[int]] = {}
        for w, m in matchers.items():
            m.skip_to(docnum)
            positions[w] = set(m.value_as("positions"))
        if any(all(p + k in positions[seq[k]] for k in range(1, len(seq))) for p in positions[seq[0]]):
            out.add(docnum)
    return out


def _seq_docs(reader: SegmentReader, fields: tuple[str, ...], seq: tuple[str, ...], within: set[int] | None) -> set[int]:
    found: set[int] = set()
    for fieldname in fields:
        if len(seq) == 1:
            found |= _docs(reader, fieldname, seq[0], within)
        else:
            found |= _phrase_docs(reader, fieldname, seq, within)
    return found


def _cost(reader: SegmentReader, fields: tuple[str, ...], seq: tuple[str, ...]) -> int:
    """An upper bound on the documents a sequence can match."""
    return sum(min(reader.doc_frequency(f, w) for w in seq) for f in fields)


def evaluate(leaf: Leaf, account_id: str, field: str, terms: QueryTerms) -> set[int]:
    """Document numbers of one segment matching a text condition.

    Conditions are applied rarest first, each only among the documents that
    passed the ones before, so a rare word next to a common one costs about
    what the rare word alone costs.
    """
    reader = leaf.reader
    fields = FIELD_OF[field]
    in_account = reader.doc_frequency("account", account_id)
    steps: list[tuple[int, tuple[str, ...] | None]] = []
    # A segment holding only this account's documents (always, on a one-user server) needs no
    # account step: reading that posting list would cost as much as a word found everywhere.
    if in_account != reader.doc_count_all() or not terms.sequences:
        steps.append((in_account, None))
    elif len(terms.sequences) == 1:  # one step: nothing to order, so no cost to work out
        return _seq_docs(reader, fields, terms.sequences[0], None)
    steps += [(_cost(reader, fields, seq), seq) for seq in terms.sequences]
    steps.sort(key=lambda step: step[0])
    result: set[int] | None = None
    for cost, seq in steps:
        if cost == 0:
            return set()
        if seq is None:
            result = _docs(reader, "account", account_id, result)
        else:
            result = _seq_docs(reader, fields, seq, result)
        if not result:
            return set()
    return result or set()


def search_leaves(leaves: list[Leaf], idmaps: IdMaps, account_id: str, field: str, terms: QueryTerms) -> set[str]:
    out: set[str] = set()
    for leaf in leaves:
        docs = evaluate(leaf, account_id, field, terms)
        if docs:
            ids = idmaps.get(leaf)
            out.update(ids[d] for d in docs)
    return out
