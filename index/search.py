"""Running text conditions against the index.

Searches never take a lock that the writer holds: each search works on a
*snapshot* (a TOC generation: the list of segments and their deletions) that
the writer publishes after every commit, through segment readers opened for
that snapshot.

Readers are opened per thread, because Whoosh readers and searchers are not
documented as safe to share, and cached per (segment, number of deletions):
segments are immutable, and a segment that gained deletions must be reopened
because Whoosh's reader caches the deleted set it saw first (which is also
why ``Searcher.refresh()`` is not used here).

Matching documents are turned into email ids through a per-segment list read
once from the ``key`` column (``docs_for_query`` plus this map is an order of
magnitude faster than loading stored fields for large hit sets), shared by
all threads since a segment never changes.
"""

from __future__ import annotations

import threading
import weakref

import msgspec
from whoosh.codec.base import Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.query import And, Or, Phrase, Query, Term
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher

from .analysis import QueryTerms
from .schema import FIELD_OF, SCHEMA, split_key

__all__ = ["IdMaps", "ReaderPool", "Snapshot", "build_query", "run_query"]


class Snapshot(msgspec.Struct, frozen=True):
    """One committed state of the index, as the writer published it."""

    generation: int
    segments: tuple[Segment, ...]


def _reader_key(segment: Segment) -> tuple[str, int]:
    return (segment.segid, segment.deleted_count())


class _Leaf:
    __slots__ = ("reader", "searcher", "segid")

    def __init__(self, storage: FileStorage, segment: Segment) -> None:
        self.segid = segment.segid
        self.reader = SegmentReader(storage, SCHEMA, segment)
        self.searcher = Searcher(self.reader)

    def close(self) -> None:
        self.searcher.close()


class _ThreadReaders:
    """The readers of one thread for one snapshot generation."""

    def __init__(self) -> None:
        self.generation = -1
        self.leaves: list[_Leaf] = []
        self.by_key: dict[tuple[str, int], _Leaf] = {}

    def update(self, storage: FileStorage, snap: Snapshot) -> list[_Leaf]:
        if snap.generation != self.generation:
            old = self.by_key
            by_key: dict[tuple[str, int], _Leaf] = {}
            for seg in snap.segments:
                key = _reader_key(seg)
                leaf = old.pop(key, None)
                by_key[key] = leaf or _Leaf(storage, seg)
            for leaf in old.values():
                leaf.close()
            self.by_key = by_key
            self.leaves = list(by_key.values())
            self.generation = snap.generation
        return self.leaves

    def close(self) -> None:
        for leaf in self.by_key.values():
            leaf.close()
        self.by_key = {}
        self.leaves = []
        self.generation = -1


class ReaderPool:
    """Per-thread readers over the latest published snapshot."""

    def __init__(self, storage: FileStorage) -> None:
        self.storage = storage
        self._local = threading.local()
        self._all: weakref.WeakSet[_ThreadReaders] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False

    def leaves(self, snap: Snapshot) -> list[_Leaf]:
        tr = getattr(self._local, "readers", None)
        if tr is None:
            tr = _ThreadReaders()
            self._local.readers = tr
            with self._lock:
                self._all.add(tr)
        return tr.update(self.storage, snap)

    def close(self) -> None:
        """Close every thread's readers; only once no search is running."""
        with self._lock:
            for tr in list(self._all):
                tr.close()


class IdMaps:
    """docnum -> email id, per segment, shared by all threads."""

    def __init__(self) -> None:
        self._maps: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def get(self, leaf: _Leaf) -> list[str]:
        ids = self._maps.get(leaf.segid)
        if ids is None:
            column = leaf.reader.column_reader("key")
            ids = [split_key(k)[1] for k in column]
            with self._lock:
                self._maps[leaf.segid] = ids
        return ids

    def retain(self, segments: tuple[Segment, ...]) -> None:
        """Forget segments that are no longer in the index."""
        live = {s.segid for s in segments}
        with self._lock:
            for segid in [k for k in self._maps if k not in live]:
                del self._maps[segid]


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


def run_query(leaves: list[_Leaf], idmaps: IdMaps, query: Query) -> set[str]:
    out: set[str] = set()
    for leaf in leaves:
        docs = query.docs(leaf.searcher)
        ids = None
        for docnum in docs:
            if ids is None:
                ids = idmaps.get(leaf)
            out.add(ids[docnum])
    return out
