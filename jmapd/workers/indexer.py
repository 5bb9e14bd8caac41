"""The search indexer: follows the store's "search" feed into the full-text index.

The index lags the store by design and records how far it got (the feed sequence of its last
durable commit), so a crash costs at most some re-indexing, never a lost or doubled entry (updates
are idempotent). A query with a text condition waits, boundedly, until the index has everything
committed before it: read-your-writes (jmapd/workers/search.py). A fresh index is first filled from the Email records
themselves, which also covers data written before the feed existed.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterator

from index import IndexBatch, IndexDocument, SearchIndex
from store import ReadTxn, Store, feed
from store.blobs import read_blob
from store.codec import decode

from ..mail.records import EmailRecord, IndexEvent
from ..mail.writer import SEARCH_FEED
from ..mime import EmailSummary, parse_message, summarize

log = logging.getLogger("jmapd.indexer")
BATCH = 500
# How soon Emails written by another server process (which cannot wake this thread) are indexed.
POLL_SECONDS = 0.25
# Under a stream of small commits (mail delivered message after message), how long the indexer
# lets them gather after handing some to the index, rather than waking and submitting at each
# commit; the first commit after a quiet spell is taken at once. The index itself commits at most
# every WriterConfig.coalesce_seconds (0.1 s) under a stream, so this adds little to how soon
# mail is found and takes two thread wake-ups per commit off the server's one interpreter lock.
GATHER_SECONDS = 0.02
# Summaries handed over by imports, so the indexer need not parse those messages again; beyond this
# many waiting, the indexer parses instead of the cache growing.
MAX_HANDED_OVER = 5000


def _addresses(value) -> str:
    return ", ".join(f"{a.get('name') or ''} <{a.get('email') or ''}>" for a in value or [])


def document(txn: ReadTxn, account_id: str, email_id: str, record: EmailRecord) -> IndexDocument:
    """The searchable text of an Email, from its message (bodies are not kept in the record)."""
    raw = read_blob(txn, account_id, record.blob_id) or b""
    return document_from_summary(account_id, email_id, summarize(parse_message(raw, record.blob_id)))


def document_from_summary(account_id: str, email_id: str, summary: EmailSummary) -> IndexDocument:
    return IndexDocument(
        account_id=account_id, email_id=email_id, from_=_addresses(summary.from_), to=_addresses(summary.to),
        cc=_addresses(summary.cc), bcc=_addresses(summary.bcc), subject=summary.subject or "",
        body=summary.body_text, attachments=" ".join(summary.attachment_names))


def all_emails(txn: ReadTxn) -> Iterator[tuple[str, str, EmailRecord]]:
    """Every Email of every account, for rebuilding the index from the records."""
    marker = b"\x00Email\x00"
    with txn.txn.cursor(db=txn.dbs["records"]) as cur:
        for key, value in cur:
            account, found, email_id = key.partition(marker)
            if found:
                yield account.decode(), email_id.decode(), decode(value, EmailRecord)


class Indexer:
    def __init__(self, store: Store, index: SearchIndex):
        self.store = store
        self.index = index
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.position = index.applied_modseq()
        self._handed: dict[tuple[str, str], EmailSummary] = {}
        self._handed_lock = threading.Lock()

    def hand_over(self, summaries: dict[tuple[str, str], EmailSummary]) -> None:
        """Full summaries (with body text) of just-committed Emails, keyed by (account, email id)."""
        with self._handed_lock:
            if len(self._handed) + len(summaries) <= MAX_HANDED_OVER:
                self._handed.update(summaries)

    @classmethod
    def open(cls, store: Store, data_dir: str) -> "Indexer":
        with _swap_lock(data_dir, blocking=False) as lock:
            if lock.held:  # else a rebuild runs now, and finishes its own swap
                _finish_interrupted_swap(data_dir)
        return cls(store, SearchIndex.open(os.path.join(data_dir, INDEX)))

    def start(self) -> None:
        self.store.add_listener(self._committed)
        self._thread = threading.Thread(target=self._run, name="jmapd-indexer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop quickly: what the index has not committed is re-read from the feed next time."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.index.close(drain=False)

    def _committed(self, touched: set[tuple[str, str]]) -> None:
        if ("", "feed:" + SEARCH_FEED) in touched:
            self._wake.set()

    def _run(self) -> None:
        try:
            if self.position == 0:
                self.rebuild_from_records()
            while not self._stop.is_set():
                found = self.catch_up()
                if not found:
                    # Commits of this process wake it at once; other processes' are polled for.
                    self._wake.wait(timeout=POLL_SECONDS)
                    self._wake.clear()
                elif found < BATCH:  # the feed is read to its end: let the next commits gather
                    self._stop.wait(GATHER_SECONDS)
        except Exception:  # the server goes on without fresh search results; say why
            log.exception("the search indexer stopped")

    def rebuild_from_records(self) -> int:
        """Index every stored Email; later feed entries are replayed on top (harmlessly)."""
        with self.store.read() as txn:
            upto = feed.last(txn, SEARCH_FEED)
            docs: list[IndexDocument] = []
            count = 0
            for account_id, email_id, record in all_emails(txn):
                if self._stop.is_set():
                    return count  # the position stays: the next start rebuilds again
                docs.append(document(txn, account_id, email_id, record))
                if len(docs) >= BATCH:
                    self.index.submit(IndexBatch(modseq=upto, upserts=docs))
                    count += len(docs)
                    docs = []
            self.index.submit(IndexBatch(modseq=upto, upserts=docs))
        self.position = upto
        return count + len(docs)

    def catch_up(self) -> int:
        """Submit the next feed entries to the index; returns how many there were."""
        with self.store.read() as txn:
            entries = list(feed.since(txn, SEARCH_FEED, self.position, IndexEvent, BATCH))
            if not entries:
                return 0
            upserts, deletes = [], []
            for _, event in entries:
                key = (event.account_id, event.email_id)
                with self._handed_lock:
                    summary = self._handed.pop(key, None)
                record = None if event.removed else txn.get(event.account_id, "Email", event.email_id,
                                                             EmailRecord)
                if record is None:
                    deletes.append(key)
                elif summary is not None:
                    upserts.append(document_from_summary(event.account_id, event.email_id, summary))
                else:
                    upserts.append(document(txn, event.account_id, event.email_id, record))
        self.position = entries[-1][0]
        self.index.submit(IndexBatch(modseq=self.position, upserts=upserts, deletes=deletes))
        return len(entries)


# A rebuild is built beside the live index and swapped in when complete, so that a rebuild killed
# at any moment leaves a working index: the old one, or the new one (issue 20, finding 9).
INDEX, BUILDING, REPLACED = "index", "index.new", "index.old"
SWAP_LOCK = "index.rebuild.lock"


def rebuild_index(store: Store, data_dir: str) -> int:
    """Build the index again from the stored Emails, beside the live one, then swap it in; returns
    how many Emails it holds. Raises IndexBusyError while a server has the index open."""
    from index.durable import OwnerLock, fsync_dir

    live = os.path.join(data_dir, INDEX)
    building = os.path.join(data_dir, BUILDING)
    with _swap_lock(data_dir, blocking=True):
        _finish_interrupted_swap(data_dir)
        os.makedirs(live, 0o700, exist_ok=True)
        owner = OwnerLock(live)
        owner.acquire()  # held until the swap: no server opens the old index meanwhile
        try:
            shutil.rmtree(building, ignore_errors=True)  # what a killed rebuild left
            indexer = Indexer(store, SearchIndex.open(building))
            try:
                count = indexer.rebuild_from_records()
            finally:
                indexer.index.close()
            os.rename(live, os.path.join(data_dir, REPLACED))
            os.rename(building, live)
            fsync_dir(data_dir)
        finally:
            owner.release()
        shutil.rmtree(os.path.join(data_dir, REPLACED), ignore_errors=True)
    return count


def _finish_interrupted_swap(data_dir: str) -> None:
    """A rebuild killed between its two renames left no `index`: its complete build is `index.new`.
    One killed after them left `index.old` behind."""
    live, building, replaced = (os.path.join(data_dir, name) for name in (INDEX, BUILDING, REPLACED))
    if not os.path.exists(live) and os.path.exists(replaced):
        os.rename(building if os.path.exists(building) else replaced, live)
    shutil.rmtree(replaced, ignore_errors=True)


class _swap_lock:
    """The data folder's rebuild lock (flock: dropped by the kernel if its holder dies)."""

    def __init__(self, data_dir: str, blocking: bool):
        self.path = os.path.join(data_dir, SWAP_LOCK)
        self.blocking = blocking
        self.held = False

    def __enter__(self) -> "_swap_lock":
        import fcntl

        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | (0 if self.blocking else fcntl.LOCK_NB))
            self.held = True
        except BlockingIOError:
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)  # closing drops the lock
