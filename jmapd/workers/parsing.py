"""Parsing imported messages in worker processes.

Email/import spends most of its time parsing MIME and summarising each message for list views and
the search index. In the server process that work holds the GIL, so a batch import keeps one core
busy while the other waits. Large batches are therefore parsed by worker processes (one per core),
while the request thread waits without holding the GIL; small ones are parsed in place, where the
round trip to a worker would cost more than it saves. A worker that fails or dies costs nothing but
time: its share is parsed in place.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import msgspec

from index.workers import WorkerError, WorkerProcess

from ..mail.parsing import ParsedMessage, parse_for_import

log = logging.getLogger("jmapd.parsing")

#: Batches smaller than this are parsed in the calling thread.
MIN_POOLED_BATCH = 8
#: A worker that has not parsed its share after this many seconds, plus one per MB of it, is
#: killed and the share parsed in place (parsing runs at tens of MB/s).
PARSE_DEADLINE_S = 30.0


def _parse_batch(items: list[tuple[bytes, str]]) -> bytes:
    """Worker process job: msgpack of a ParsedMessage per item."""
    return msgspec.msgpack.encode([parse_for_import(raw, blob_id) for raw, blob_id in items])


#: The jobs a worker process of this module runs (see index.workers).
JOBS = {"parse": _parse_batch}

_decode = msgspec.msgpack.Decoder(list[ParsedMessage]).decode


def _shares(items: list[tuple[bytes, str]], count: int) -> list[list[tuple[bytes, str]]]:
    """Cut items, in order, into up to ``count`` runs of about equal size in bytes."""
    total = sum(len(raw) for raw, _ in items)
    target = total / count
    shares: list[list[tuple[bytes, str]]] = [[]]
    size = 0
    for item in items:
        if size >= target * len(shares) and len(shares) < count:
            shares.append([])
        shares[-1].append(item)
        size += len(item[0])
    return [s for s in shares if s]


class ParsePool:
    """Worker processes that parse import batches; started on first use, stopped by close()."""

    def __init__(self, workers: int | None = None):
        self.size = max(1, workers if workers is not None else os.cpu_count() or 1)
        self._workers: list[WorkerProcess | None] = [None] * self.size
        self._lock = threading.Lock()
        self._threads: ThreadPoolExecutor | None = None
        self._closed = False

    def parse_many(self, items: list[tuple[bytes, str]]) -> list[ParsedMessage]:
        """A ParsedMessage per (raw, blob id), in order."""
        if len(items) < MIN_POOLED_BATCH or self._closed:
            return [parse_for_import(raw, blob_id) for raw, blob_id in items]
        shares = _shares(items, self.size)
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self.size, thread_name_prefix="jmapd-parse")
            threads = self._threads
        results = threads.map(self._parse_share, range(len(shares)), shares)
        return [parsed for share in results for parsed in share]

    def _parse_share(self, slot: int, share: list[tuple[bytes, str]]) -> list[ParsedMessage]:
        deadline = PARSE_DEADLINE_S + sum(len(raw) for raw, _ in share) / 1e6
        try:
            return _decode(self._worker(slot).run("parse", share, timeout=deadline))
        except (WorkerError, OSError, msgspec.DecodeError) as exc:
            log.warning("message parsing worker failed (%s); parsing in the server", exc)
            return [parse_for_import(raw, blob_id) for raw, blob_id in share]

    def _worker(self, slot: int) -> WorkerProcess:
        with self._lock:
            if self._closed:
                raise WorkerError("the parse pool is closed")
            worker = self._workers[slot]
            if worker is None or not worker.alive():
                worker = self._workers[slot] = WorkerProcess(jobs=__name__)
            return worker

    def close(self) -> None:
        """Stop the workers, then wait for the shares in flight: a share whose worker is gone is
        parsed in place, so no request is left waiting."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, [None] * self.size
            threads, self._threads = self._threads, None
        for worker in workers:
            if worker is not None:
                worker.close()
        if threads is not None:
            threads.shutdown(wait=True)
