"""Open segment readers for searches, and the docnum -> email id maps.

Searches never take a lock that the writer holds: each search works on a
*snapshot* (a TOC generation: the list of segments and their deletions) that
the writer publishes after every commit, through segment readers opened for
that snapshot.

Readers are opened in a few sets, each used by one search at a time (Whoosh
readers and searchers are not documented as safe to share between threads at
once), and cached per (segment, number of deletions):
segments are immutable, and a segment that gained deletions must be reopened
because Whoosh's reader caches the deleted set it saw first (which is also
why ``Searcher.refresh()`` is not used here).

Matching documents become email ids through a per-segment list read once
from the ``key`` column -- an order of magnitude faster than loading stored
fields for large hit sets -- shared by all threads since a segment never
changes.

A search pins the snapshot it reads (:class:`SnapshotPins`): a merge
publishes a snapshot without the segments it replaced, but their files are
deleted only once no search that took an older snapshot still holds them.
Deleting them at the merge's commit made a search that had taken the
snapshot a moment before fail to open a segment (FileNotFoundError).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import msgspec
from whoosh.codec.base import Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

from .mapped import MappedSegmentReader
from .schema import SCHEMA, split_key

__all__ = ["IdMaps", "Leaf", "ReaderPool", "Snapshot", "SnapshotPins"]

log = logging.getLogger(__name__)


class Snapshot(msgspec.Struct, frozen=True):
    """One committed state of the index, as the writer published it."""

    generation: int
    segments: tuple[Segment, ...]


def _reader_key(segment: Segment) -> tuple[str, int]:
    return (segment.segid, segment.deleted_count())


class Leaf:
    """One open segment: its reader and an unscored searcher over it."""

    __slots__ = ("reader", "searcher", "segid")

    def __init__(self, storage: FileStorage, segment: Segment) -> None:
        self.segid = segment.segid
        self.reader = MappedSegmentReader(storage, SCHEMA, segment)
        self.searcher = Searcher(self.reader)

    def close(self) -> None:
        self.searcher.close()


class _ThreadReaders:
    """The readers of one thread; ``lock`` is held while a search uses them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = -1
        self.leaves: list[Leaf] = []
        self.by_key: dict[tuple[str, int], Leaf] = {}

    def update(self, storage: FileStorage, snap: Snapshot) -> list[Leaf]:
        if snap.generation != self.generation:
            old = self.by_key
            by_key: dict[tuple[str, int], Leaf] = {}
            for seg in snap.segments:
                key = _reader_key(seg)
                leaf = old.pop(key, None)
                by_key[key] = leaf or Leaf(storage, seg)
            for leaf in old.values():
                leaf.close()
            self.by_key = by_key
            self.leaves = list(by_key.values())
            self.generation = snap.generation
        return self.leaves

    def prune(self, snap: Snapshot) -> None:
        """Close readers of segments that ``snap`` no longer has."""
        if self.generation == snap.generation:
            return
        live = {_reader_key(s) for s in snap.segments}
        for key in [k for k in self.by_key if k not in live]:
            self.by_key.pop(key).close()
        self.leaves = []
        self.generation = -1  # rebuilt on next use

    def close(self) -> None:
        for leaf in self.by_key.values():
            leaf.close()
        self.by_key = {}
        self.leaves = []
        self.generation = -1


class ReaderPool:
    """A few sets of open readers over the latest published snapshot, lent to one search at a time.

    A set holds a reader of every segment, and a reader costs memory beyond the mapped file (term
    tables, per-document readers): one set per thread, as it was, made 40 request threads hold 40
    sets, hundreds of MB under load. Searches compute under the GIL, so more sets than
    ``max_sets`` would not search faster; a search beyond them waits for one to come back. A set
    is used by one thread at a time (Whoosh readers are not documented as safe to share between
    threads at once), under its lock.

    A merged-away segment's files go once no reader holds them; :meth:`prune` closes idle sets'
    readers of such segments so that a set not lent out does not keep them.
    """

    def __init__(self, storage: FileStorage, max_sets: int = 4) -> None:
        self.storage = storage
        self.max_sets = max_sets
        self._all: list[_ThreadReaders] = []
        self._free: list[_ThreadReaders] = []
        self._lock = threading.Condition()

    @contextmanager
    def leaves(self, snap: Snapshot) -> Iterator[list[Leaf]]:
        """Readers for ``snap``, for one search."""
        with self._lock:
            while not self._free and len(self._all) >= self.max_sets:
                self._lock.wait()
            if self._free:
                tr = self._free.pop()
            else:
                tr = _ThreadReaders()
                self._all.append(tr)
        try:
            with tr.lock:
                yield tr.update(self.storage, snap)
        finally:
            with self._lock:
                self._free.append(tr)
                self._lock.notify()

    def prune(self, snap: Snapshot) -> None:
        """Close readers that only older snapshots need, in sets not lent out."""
        with self._lock:
            sets = list(self._all)
        for tr in sets:
            if tr.lock.acquire(blocking=False):
                try:
                    tr.prune(snap)
                finally:
                    tr.lock.release()

    def close(self) -> None:
        """Close every set's readers; only once no search is running."""
        with self._lock:
            for tr in list(self._all):
                tr.close()


class SnapshotPins:
    """The published snapshot, and the segments that searches of older snapshots still read.

    A search takes the published snapshot and pins its segments in one step, under the lock the
    writer publishes under, so no snapshot is ever read unpinned. A segment that a published
    snapshot no longer has is *retired*: its files stay until its last pin goes, then whoever let
    go of it (the writer publishing, or the last search) deletes them. The writer's commits keep
    the files of :meth:`kept` segments (see :class:`index.segwriter.DurableWriter`).
    """

    def __init__(self, directory: str, snap: Snapshot) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._snap = snap
        self._pins: Counter[str] = Counter()
        self._retired: dict[str, Segment] = {}

    @property
    def current(self) -> Snapshot:
        return self._snap

    @contextmanager
    def pinned(self) -> Iterator[Snapshot]:
        """The published snapshot, its segment files kept until the block ends."""
        with self._lock:
            snap = self._snap
            for seg in snap.segments:
                self._pins[seg.segid] += 1
        try:
            yield snap
        finally:
            released = []
            with self._lock:
                for seg in snap.segments:
                    self._pins[seg.segid] -= 1
                    if not self._pins[seg.segid]:
                        del self._pins[seg.segid]
                        if seg.segid in self._retired:
                            released.append(self._retired.pop(seg.segid))
            self._delete(released)

    def publish(self, snap: Snapshot) -> None:
        """Make ``snap`` the snapshot searches take; delete what nothing reads any more."""
        live = {seg.segid for seg in snap.segments}
        with self._lock:
            for seg in self._snap.segments:
                if seg.segid not in live:
                    self._retired[seg.segid] = seg
            self._snap = snap
            released = [self._retired.pop(segid) for segid in list(self._retired) if not self._pins[segid]]
        self._delete(released)

    def kept(self) -> list[Segment]:
        """Segments whose files a commit must keep besides its own: the published snapshot's (searches
        may pin it until the commit's snapshot is published) and the retired ones still pinned."""
        with self._lock:
            return [*self._snap.segments, *self._retired.values()]

    def _delete(self, segments: list[Segment]) -> None:
        for seg in segments:
            prefix = seg.segment_id() + "."
            for name in os.listdir(self.directory):
                if name.startswith(prefix):
                    try:
                        os.unlink(os.path.join(self.directory, name))
                    except FileNotFoundError:
                        pass
                    except OSError:  # left for the next commit's clean-up
                        log.warning("could not delete %s of a merged-away index segment", name, exc_info=True)


class IdMaps:
    """docnum -> email id, per segment, shared by all threads."""

    def __init__(self) -> None:
        self._maps: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def get(self, leaf: Leaf) -> list[str]:
        ids = self._maps.get(leaf.segid)
        if ids is None:
            ids = [split_key(k)[1] for k in leaf.reader.column_reader("key")]
            with self._lock:
                self._maps[leaf.segid] = ids
        return ids

    def retain(self, segments: tuple[Segment, ...]) -> None:
        """Forget segments that are no longer in the index."""
        live = {s.segid for s in segments}
        with self._lock:
            for segid in [k for k in self._maps if k not in live]:
                del self._maps[segid]


class KeyDocs:
    """document key -> docnum, per segment: which documents an upsert replaces.

    Asking each segment's term table for each key of a unit costs ~12 µs a
    miss; a unit of 2,000 new emails against 50 segments was a second of the
    writer thread (under the server's GIL) per commit, growing with the index.
    Segments never change their documents, so the map of one is built once,
    from its key column, and dropped when the segment leaves the index.
    Only the writer thread uses it.
    """

    def __init__(self) -> None:
        self._maps: dict[str, dict[str, int | tuple[int, ...]]] = {}

    def docs(self, leaf: Leaf, key: str) -> tuple[int, ...]:
        docs = self._maps.get(leaf.segid)
        if docs is None:
            docs = {}
            for docnum, k in enumerate(leaf.reader.column_reader("key")):
                seen = docs.get(k)
                if seen is None:
                    docs[k] = docnum
                else:  # not expected (a unit holds one version of a key; merges keep live ones), kept exact
                    docs[k] = (seen, docnum) if isinstance(seen, int) else (*seen, docnum)
            self._maps[leaf.segid] = docs
        found = docs.get(key)
        if found is None:
            return ()
        return (found,) if isinstance(found, int) else found

    def retain(self, segments: tuple[Segment, ...]) -> None:
        live = {s.segid for s in segments}
        for segid in [k for k in self._maps if k not in live]:
            del self._maps[segid]
