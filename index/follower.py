"""The index as read by a process that does not own it.

With several server processes, the first to open the index owns it (:class:`SearchIndex`: writer,
merges, the lock); the others follow it read-only. They search the segments the owner last
committed: Whoosh segments are immutable files and a commit publishes a new table of contents, so a
follower only has to notice a newer one. The owner records how far the index is after each commit
(``applied_modseq``); a follower waiting for its own writes to be searchable polls that record.

The owner keeps a merged-away segment's files while its own searches read them (pins do not cross
processes). Readers already open keep their files; a follower that finds a file gone reads the
table of contents again and retries, a few times: merges come seconds apart.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import AbstractContextManager, nullcontext

from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex

from .durable import FORMAT_NAME, MODSEQ_NAME, read_int
from .query import QueryTerms
from .readers import IdMaps, ReaderPool, Snapshot
from .recent import RecentResults
from .schema import INDEX_FORMAT, SCHEMA
from .searchindex import Searching
from .segments import INDEXNAME

__all__ = ["FollowedIndex", "IndexNotReady"]

#: How stale a follower's table of contents may be before a search reads it again.
REFRESH_SECONDS = 0.25
#: How often :meth:`FollowedIndex.wait_for` looks at the owner's record.
POLL_SECONDS = 0.02
#: Searches tried again, each on a newly read table of contents, when a segment file is gone.
RETRIES = 3


class IndexNotReady(RuntimeError):
    """The owner has not finished creating the index yet."""


class FollowedIndex(Searching):
    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        if read_int(self.path, FORMAT_NAME, -1) != INDEX_FORMAT:
            raise IndexNotReady(f"no complete index in {self.path} yet")
        storage = FileStorage(self.path)
        self._ix = FileIndex(storage, SCHEMA, INDEXNAME)
        self._readers = ReaderPool(storage)
        self._idmaps = IdMaps()
        self._recent = RecentResults()
        self._lock = threading.Lock()
        self._snap = self._read_snapshot()
        self._read_at = time.monotonic()

    def _read_snapshot(self) -> Snapshot:
        toc = self._ix._read_toc()
        return Snapshot(toc.generation, tuple(toc.segments))

    def _snapshot(self) -> Snapshot:
        if time.monotonic() - self._read_at >= REFRESH_SECONDS:
            self.refresh()
        return self._snap

    def refresh(self) -> None:
        """Read the owner's latest table of contents (retried while the owner replaces it)."""
        with self._lock:
            for attempt in range(5):
                try:
                    snap = self._read_snapshot()
                    break
                except OSError:
                    if attempt == 4:
                        raise
                    time.sleep(POLL_SECONDS)
            if snap.generation != self._snap.generation:
                self._snap = snap
                self._idmaps.retain(snap.segments)
                self._readers.prune(snap)
            self._read_at = time.monotonic()

    def _pinned(self) -> AbstractContextManager[Snapshot]:
        return nullcontext(self._snapshot())

    def search_terms(self, account_id: str, field: str, terms: QueryTerms) -> frozenset[str]:
        for attempt in range(RETRIES + 1):
            try:
                return super().search_terms(account_id, field, terms)
            except OSError:  # a segment of our snapshot was merged away and deleted: read the newer one
                if attempt == RETRIES:
                    raise
                self.refresh()
        raise AssertionError("unreachable")

    def applied_modseq(self) -> int:
        return read_int(self.path, MODSEQ_NAME, 0)

    def wait_for(self, modseq: int, timeout: float) -> bool:
        """Block until the owner has ``modseq`` in the index (True) or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while self.applied_modseq() < modseq:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
        self.refresh()
        return True

    def close(self) -> None:
        self._readers.close()
