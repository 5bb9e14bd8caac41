"""The full-text index of all accounts: the one object the server uses.

Opening takes ownership of the directory, repairs what a killed process left
behind, and starts the writer thread (:mod:`index.writer`). Searches run on
the caller's thread against the latest published snapshot
(:mod:`index.search`); :meth:`SearchIndex.wait_for` gives a query
read-your-writes when it needs them.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from contextlib import AbstractContextManager

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.query import Term

from .durable import (
    FORMAT_NAME,
    LOCK_NAME,
    MODSEQ_NAME,
    OwnerLock,
    read_int,
    remove_leftovers,
    write_atomic,
)
from .query import QueryTerms, parse_query
from .readers import IdMaps, ReaderPool, Snapshot, SnapshotPins
from .recent import RecentResults
from .schema import FIELD_OF, INDEX_FORMAT, SCHEMA, IndexBatch
from .search import search_leaves
from .segments import INDEXNAME
from .snippets import snippet as _snippet
from .writer import Writer, WriterConfig

__all__ = ["PREVIEW_MAX_BYTES", "SearchIndex", "Searching"]

log = logging.getLogger(__name__)

#: RFC 8621 §5: a SearchSnippet preview "MUST NOT be bigger than 255 octets".
PREVIEW_MAX_BYTES = 255


class Searching:
    """Searches over a published snapshot, shared by the index's owner (:class:`SearchIndex`) and
    the processes that only read it (:class:`index.follower.FollowedIndex`).

    Subclasses provide ``_readers``, ``_idmaps``, ``_recent``, :meth:`_snapshot`
    and :meth:`_pinned`.
    """

    _readers: ReaderPool
    _idmaps: IdMaps
    _recent: RecentResults

    def _snapshot(self) -> Snapshot:
        raise NotImplementedError

    def _pinned(self) -> AbstractContextManager[Snapshot]:
        """The snapshot to search, its segment files kept while the block runs."""
        raise NotImplementedError

    # ------------------------------------------------------------- reading

    def search(self, account_id: str, field: str, text: str) -> frozenset[str]:
        """Ids of the account's emails whose ``field`` matches ``text``.

        ``field`` is one of "text", "from", "to", "cc", "bcc", "subject",
        "body", "attachmentName" (see :data:`index.schema.FIELD_OF`); any
        other raises ValueError. ``text`` is user text, never query syntax:
        all its words must match, quoted phrases as phrases; no input makes
        this raise, and text without a single word matches every email.
        """
        return self.search_terms(account_id, field, parse_query(text))

    def search_terms(self, account_id: str, field: str, terms: QueryTerms) -> frozenset[str]:
        """:meth:`search` for text already parsed with :func:`query_terms`.

        The same search on an unchanged index is answered from the last few
        results (see :mod:`index.recent`).
        """
        if field not in FIELD_OF:
            raise ValueError(f"not a searchable field: {field!r}")
        key = (account_id, field, terms.sequences)
        found = self._recent.get(self._snapshot().generation, key)
        if found is None:
            with self._pinned() as snap, self._readers.leaves(snap) as leaves:
                found = frozenset(search_leaves(leaves, self._idmaps, account_id, field, terms))
            self._recent.put(snap.generation, key, found)
        return found

    def doc_count(self, account_id: str) -> int:
        """Documents of the account in the index (committed ones)."""
        q = Term("account", account_id)
        with self._pinned() as snap, self._readers.leaves(snap) as leaves:
            return sum(sum(1 for _ in leaf.searcher.docs_for_query(q)) for leaf in leaves)

    def segment_count(self) -> int:
        return len(self._snapshot().segments)

    # ------------------------------------------------------------ snippets

    @staticmethod
    def query_terms(text: str | None) -> QueryTerms:
        """The terms of a filter's text, parsed once for many snippets."""
        return parse_query(text)

    @staticmethod
    def snippet(
        text: str,
        query_terms: QueryTerms | str,
        max_chars: int | None = None,
        max_bytes: int | None = None,
    ) -> str | None:
        """SearchSnippet text (see :func:`index.snippets.snippet`).

        For the ``subject`` pass no limits; for the ``preview`` pass
        ``max_bytes=PREVIEW_MAX_BYTES``.
        """
        if isinstance(query_terms, str):
            query_terms = parse_query(query_terms)
        return _snippet(text, query_terms, max_chars=max_chars, max_bytes=max_bytes)


class SearchIndex(Searching):
    """Full-text search over the emails of every account.

    Thread-safe: any thread may submit, wait and search. Changes are applied
    by one background writer in modseq order; :meth:`applied_modseq` says how
    far the index durably is, so after a restart the caller re-submits every
    batch after it (re-submitting more is harmless: upserts are idempotent).
    """

    def __init__(self, path: str, config: WriterConfig | None = None) -> None:
        self.path = os.path.abspath(path)
        os.makedirs(self.path, exist_ok=True)
        self._lock = OwnerLock(self.path)
        self._lock.acquire()
        self._closed = False
        self._close_lock = threading.Lock()
        try:
            remove_leftovers(self.path, INDEXNAME)
            storage = FileStorage(self.path)
            if read_int(self.path, FORMAT_NAME, -1) != INDEX_FORMAT or TOC._latest_generation(storage, INDEXNAME) < 0:
                self._create(storage)
            try:
                self._ix = FileIndex(storage, SCHEMA, INDEXNAME)
                toc = self._ix._read_toc()
            except Exception:
                # Derived data: rebuilding beats refusing to start.
                log.exception("search index in %s is unreadable; starting a new one", self.path)
                self._create(storage)
                self._ix = FileIndex(storage, SCHEMA, INDEXNAME)
                toc = self._ix._read_toc()
            self._readers = ReaderPool(storage)
            self._idmaps = IdMaps()
            self._recent = RecentResults()
            # Segment files of a commit that a crash cut short.
            clean_files(storage, INDEXNAME, toc.generation, toc.segments)
            self._pins = SnapshotPins(self.path, Snapshot(toc.generation, tuple(toc.segments)))
            self._writer = Writer(
                self._ix,
                self.path,
                read_int(self.path, MODSEQ_NAME, 0),
                self._readers,
                self._publish,
                config or WriterConfig(),
                self._pins.kept,
            )
        except BaseException:
            self._lock.release()
            raise

    @classmethod
    def open(cls, path: str, config: WriterConfig | None = None) -> SearchIndex:
        """Open the index in ``path``, creating it if missing.

        An index written with another analysis format, half-created or
        unreadable is discarded and recreated empty; its applied modseq then
        reads 0, so the caller re-submits everything.
        Raises :class:`index.durable.IndexBusyError` if another process has it
        open.
        """
        return cls(path, config)

    def _create(self, storage: FileStorage) -> None:
        for name in os.listdir(self.path):
            if name == LOCK_NAME:
                continue
            full = os.path.join(self.path, name)
            if os.path.isdir(full):
                shutil.rmtree(full)
            else:
                os.unlink(full)
        FileIndex.create(storage, SCHEMA, INDEXNAME)
        write_atomic(self.path, MODSEQ_NAME, b"0\n")
        # Written last: its presence means the index is complete.
        write_atomic(self.path, FORMAT_NAME, b"%d\n" % INDEX_FORMAT)

    def _snapshot(self) -> Snapshot:
        return self._pins.current

    @property
    def _snap(self) -> Snapshot:
        return self._pins.current

    def _pinned(self) -> AbstractContextManager[Snapshot]:
        return self._pins.pinned()

    def _publish(self, snap: Snapshot) -> None:
        self._pins.publish(snap)
        self._idmaps.retain(snap.segments)
        self._readers.prune(snap)

    # ------------------------------------------------------------- writing

    def submit(self, batch: IndexBatch) -> None:
        """Queue a batch for the writer (see :class:`IndexBatch`).

        Returns at once unless the backlog is over its bound, in which case
        it blocks until the writer has caught up enough.
        """
        self._writer.submit(batch)

    def applied_modseq(self) -> int:
        """The highest modseq whose batches are all durably in the index."""
        return self._writer.applied()

    def wait_for(self, modseq: int, timeout: float) -> bool:
        """Block until ``modseq`` is applied (True) or ``timeout`` passes."""
        return self._writer.wait_for(modseq, timeout)

    def delete_account(self, account_id: str, timeout: float | None = None) -> int:
        """Remove every document of an account, after all batches submitted
        so far; returns how many were removed once that is committed."""
        return self._writer.control("delete_account", account_id).result(timeout)

    def optimize(self, timeout: float | None = None) -> None:
        """Merge all segments into one, in a worker process.

        Blocks the caller until done; writes and searches go on meanwhile.
        """
        self._writer.control("optimize").result(timeout)

    # ------------------------------------------------------------ lifecycle

    def close(self, drain: bool = True) -> None:
        """Stop the writer and release the index, after committing everything submitted (drain) or
        just what is already being built (not drain: a quick stop; the caller resubmits the rest
        after :meth:`applied_modseq` when it opens the index again)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._writer.close(drain)
            self._readers.close()
        finally:
            self._lock.release()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
