"""Text conditions of Email/query, answered from the full-text index (jmapd/workers/indexer.py).

The index and its dependencies load in a background thread, not at import: the server must answer
its first request within moments of starting, and loading Whoosh and the Unicode tables of the
analyser takes a noticeable part of a second.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from store import ReadTxn, Store, feed

from ..mail.writer import SEARCH_FEED
from ..protocol.errors import MethodError

if TYPE_CHECKING:
    from index.follower import FollowedIndex

    from .indexer import Indexer

log = logging.getLogger("jmapd.indexer")
# How long a text query waits for the index to open and catch up before answering from what it has.
READ_YOUR_WRITES_WAIT = 5.0
# How long a process that does not own the index waits for its owner to create it.
FOLLOW_WAIT = 60.0


class IndexedSearch:
    """Text conditions of Email/query answered from the index, after it has caught up.

    The index opens in the background so the server answers at once; a text query that comes
    first waits for it like it waits for the index to catch up. With several server processes, one
    owns the index and indexes for all; the others follow it read-only (index.follower).
    """

    def __init__(self, store: Store, data_dir: str):
        self.store = store
        self.data_dir = data_dir
        self.indexer: Indexer | None = None
        self.follower: FollowedIndex | None = None
        self.ready = threading.Event()
        self._stopping = threading.Event()
        self._opener = threading.Thread(target=self._open, name="jmapd-index-open", daemon=True)

    def start(self) -> None:
        self._opener.start()

    def _open(self) -> None:
        try:
            from index import IndexBusyError

            from .indexer import Indexer
        except Exception:
            log.exception("the search index could not be loaded; text search is off")
            self.ready.set()
            return
        try:
            self.indexer = Indexer.open(self.store, self.data_dir)
            self.indexer.start()
        except IndexBusyError:
            self._follow()
        except Exception:
            log.exception("the search index could not be opened; text search is off")
        finally:
            self.ready.set()

    def _follow(self) -> None:
        """Another process owns the index: read what it commits (once it has created the index)."""
        from index.follower import FollowedIndex, IndexNotReady

        path = os.path.join(self.data_dir, "index")
        deadline = time.monotonic() + FOLLOW_WAIT
        while not self._stopping.is_set():
            try:
                self.follower = FollowedIndex(path)
                return
            except IndexNotReady:
                if time.monotonic() > deadline:
                    break
                self._stopping.wait(0.2)
        log.warning("another process owns the search index but has not created it; text search is off")

    def stop(self) -> None:
        self._stopping.set()
        self._opener.join(timeout=60)
        if self.indexer is not None:
            self.indexer.stop()
        if self.follower is not None:
            self.follower.close()

    def hand_over(self, summaries) -> None:
        """Summaries of new Emails for the indexer, which then need not parse them again."""
        if self.indexer is not None and summaries:
            self.indexer.hand_over(summaries)

    def matching_ids(self, txn: ReadTxn, account_id: str, field: str, text: str) -> frozenset[str]:
        self.ready.wait(timeout=READ_YOUR_WRITES_WAIT)
        index = self.indexer.index if self.indexer is not None else self.follower
        if index is None:
            raise MethodError("unsupportedFilter", "full-text search is not available right now")
        if not index.wait_for(feed.last(txn, SEARCH_FEED), READ_YOUR_WRITES_WAIT):
            log.warning("search index is behind the store; answering from what it has")
        return index.search(account_id, field, text)
