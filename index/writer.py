"""The one writer: a thread that owns every change to the index.

Whoosh allows one writer at a time, so every change goes through this thread:
submitted batches, account deletion, adopting built and merged segments.

Submitted batches wait in a :class:`index.backlog.Backlog` and are cut into
*units*, one commit each. For every key a unit touches, the committed
versions are deleted and the new one added, so applying a unit twice (after a
crash) leaves exactly one copy.

Two paths, chosen by backlog:

* hot path: a small backlog is indexed right here and committed with
  ``merge=False`` (a default commit may merge segments and hold the writer
  for tens of seconds); under a steady stream, what arrives within
  ``coalesce_seconds`` of the last commit is gathered into one;
* bulk path: a large backlog is cut into units that worker processes index
  into segments of their own (:mod:`index.segments`), several at a time;
  this thread adopts them in modseq order.

Merges run in a worker process too, in idle time (or when segments pile up,
or on :meth:`Writer.optimize`), and are adopted by a quick commit, so neither
a search nor a waiting reader ever sits behind a merge.

After every commit the thread publishes the new snapshot for searches, then
records the highest modseq it fully holds (see :meth:`Writer._settle`).
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import msgspec
from whoosh.codec.base import Segment
from whoosh.index import FileIndex
from whoosh.writing import SegmentWriter

from .backlog import Backlog, Control, Unit
from .durable import MODSEQ_NAME, write_atomic
from .readers import KeyDocs, Leaf, ReaderPool, Snapshot
from .schema import IndexBatch, IndexDocument, whoosh_fields
from .segments import MergePolicy, adopt_files, carry_deletions, new_work_dir
from .segwriter import DurableWriter
from .workers import WorkerProcess

__all__ = ["Writer", "WriterConfig"]

log = logging.getLogger(__name__)


class WriterConfig(msgspec.Struct, frozen=True):
    """Tuning of the writer; the defaults suit a small (2-core) machine."""

    #: Largest unit indexed in the writer thread itself (one commit).
    local_unit_docs: int = 1000
    local_unit_chars: int = 3_000_000
    #: Backlog (documents waiting) from which units go to builder processes.
    #: A trickle (a delivery, one Email/set) is indexed in the writer thread,
    #: the quickest way to searchable; anything larger is analysed in a
    #: builder, so that the server's own threads never pay for analysis
    #: (under the GIL, that work would come out of request handling).
    bulk_min_docs: int = 64
    #: Largest unit built by a worker process (one segment each). A builder
    #: holds a unit's postings in memory, ~60 KB per email of ~3.5 KB of
    #: text: ~120 MB for 2000 of them.
    bulk_unit_docs: int = 2000
    bulk_unit_chars: int = 5_000_000
    #: Builder processes; 0 turns the bulk path off.
    builders: int = min(2, os.cpu_count() or 1)
    #: Scheduling niceness of builder and merge processes: the index lags by
    #: design, so its catch-up yields the CPU to requests (imports above all).
    worker_nice: int = 10
    #: ``submit`` blocks while more documents than this are waiting.
    max_backlog_docs: int = 20000
    #: Background merging (the policy chooses what; these say when).
    merges: bool = True
    merge_policy: MergePolicy = MergePolicy()
    #: Seconds without work before a background merge may start.
    idle_merge_delay: float = 1.0
    #: Coalescing under a steady stream: every commit writes, syncs and opens a segment and records
    #: the modseq, whatever its size, so a commit of the few documents that arrived while the last
    #: one ran costs far more per document than one of many. A backlog smaller than
    #: ``bulk_min_docs`` is cut only once this many seconds have passed since the last cut;
    #: what arrives meanwhile joins it. After a quiet spell the first change is cut at once, so a
    #: lone message is as quickly searchable as without it.
    coalesce_seconds: float = 0.1
    #: Under such a stream (the last cut less than two windows ago), a unit of at least this many
    #: documents goes to a builder process as a large backlog does, so that its analysis does not
    #: come out of the server's own threads while mail keeps arriving; 0 keeps it here.
    stream_min_docs: int = 16
    #: Above this many segments a merge starts even while busy. Merging
    #: while a backlog is being built takes the CPU the builders need (a merge
    #: rewrites every document it takes), so the bound only guards search
    #: against an ever-growing segment count: 64 lets 100,000 emails (50
    #: units) catch up first and merge after.
    max_segments: int = 64


# --------------------------------------------------------------------------


@dataclass
class _Merge:
    """A background merge: its inputs as they were when it started."""

    snapshot: list[Segment]
    work_dir: str
    full: bool
    done: bool = False
    result: Segment | None = None
    error: str | None = None
    moved: bool = False


# --------------------------------------------------------------------------


class Writer:
    """Owns the writer thread; the only code that changes the index."""

    def __init__(
        self,
        ix: FileIndex,
        directory: str,
        applied: int,
        readers: ReaderPool,
        publish: Callable[[Snapshot], None],
        config: WriterConfig,
        kept: Callable[[], list[Segment]] = list,
    ) -> None:
        self.ix = ix
        self._kept = kept  # segments whose files searches may still read
        self.directory = directory
        self.config = config
        self._readers = readers
        self._publish = publish
        self._cv = threading.Condition()
        self._queue = Backlog(applied)
        self._jobs: deque[Unit] = deque()  # units cut, in modseq order
        self._backlog = 0  # documents submitted and not yet committed
        self._applied = applied  # highest modseq fully committed (in memory)
        self._recorded = applied  # value in the modseq file
        self._merge: _Merge | None = None
        self._optimize_waiters: list[cf.Future] = []
        self._builds: cf.ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._workers: list[WorkerProcess] = []
        self._merger: WorkerProcess | None = None
        self._bulk_ok = config.builders > 0
        self._idle_since = time.monotonic()
        self._last_cut = float("-inf")
        self._merge_pause_until = 0.0  # after a failed merge, wait a while
        self._checked_segments: tuple[Segment, ...] | None = None  # nothing to merge there
        self._stopping = False
        self._stopped = False
        self.last_error: BaseException | None = None
        toc = ix._read_toc()
        self._synced = {s.segid for s in toc.segments}
        self._snap = Snapshot(toc.generation, tuple(toc.segments))
        self._segments = self._snap.segments
        self._key_docs = KeyDocs()
        self._thread = threading.Thread(target=self._run, name="index-writer", daemon=True)
        self._thread.start()

    # ----------------------------------------------------------- public API

    def submit(self, batch: IndexBatch) -> None:
        """Queue a batch; blocks while the backlog is over its bound."""
        n = len(batch.upserts)
        with self._cv:
            self._check_open()
            while self._backlog > 0 and self._backlog + n > self.config.max_backlog_docs:
                self._cv.wait()
                self._check_open()
            self._queue.push(batch)
            self._backlog += n
            self._cv.notify_all()

    def control(self, kind: str, arg: object = None) -> cf.Future:
        """Run ``kind`` after every batch submitted so far is committed."""
        with self._cv:
            self._check_open()
            fut = self._queue.push_control(kind, arg)
            self._cv.notify_all()
        return fut

    def applied(self) -> int:
        with self._cv:
            return self._applied

    def wait_for(self, modseq: int, timeout: float) -> bool:
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cv:
            while self._applied < modseq:
                left = deadline - time.monotonic()
                if left <= 0 or self._stopped:
                    return False
                self._cv.wait(left)
            return True

    def segment_count(self) -> int:
        return len(self._segments)

    def close(self, drain: bool = True) -> None:
        """Stop merging and end the thread, after committing everything submitted (drain) or only
        the units already being built (not drain: the rest is above applied_modseq, to be
        submitted again after a restart)."""
        with self._cv:
            self._stopping = True
            if not drain:
                self._queue.drop_batches()
            self._cv.notify_all()
        self._thread.join()

    # ------------------------------------------------------------ the loop

    def _check_open(self) -> None:
        if self._stopping:
            raise RuntimeError("the index is closed")

    def _run(self) -> None:
        backoff = 0.0
        while True:
            try:
                if not self._step():
                    break
                backoff = 0.0
            except Exception as e:  # keep the index alive; the work is retried
                backoff = min(30.0, backoff * 2 or 0.5)
                log.exception("index writer failed; retrying in %.1f s", backoff)
                self.last_error = e.with_traceback(None)  # frames hold writers
                with self._cv:
                    if self._stopping and backoff >= 8:
                        break  # do not hang close() on a persistent failure
                    self._cv.wait(backoff)
        self._shutdown()

    def _step(self) -> bool:
        """Do the next piece of work; False when it is time to stop."""
        with self._cv:
            job = self._jobs[0] if self._jobs and self._jobs[0].ready() else None
            swap = self._merge if self._merge is not None and self._merge.done else None
        if job is not None:
            self._commit(job, swap)
            return True
        with self._cv:
            ctl = self._queue.pop_control() if not self._jobs and self._queue.control_due() else None
        if ctl is not None:
            self._run_control(ctl)
            return True
        if self._cut():
            return True
        if swap is not None:  # units still being built are adopted later
            self._commit(None, swap)
            return True
        if self._maybe_start_merge():
            return True
        with self._cv:
            if self._stopping and not self._has_work():
                return False
            if self._has_runnable_work():
                return True
            self._cv.wait(self._wait_timeout())
        return True

    def _has_work(self) -> bool:
        return bool(self._jobs or self._queue.has_batches() or self._queue.controls)

    def _has_runnable_work(self) -> bool:
        if self._jobs and self._jobs[0].ready():
            return True
        if self._merge is not None and self._merge.done:
            return True
        if not self._jobs and self._queue.control_due():
            return True
        return self._can_cut()

    def _wait_timeout(self) -> float | None:
        """How long to sleep: until a small backlog held back may be cut, or until a background
        merge may be due, if any."""
        if not self._jobs and self._queue.can_cut() and self._coalescing():
            return max(0.001, self._last_cut + self.config.coalesce_seconds - time.monotonic())
        if (
            self.config.merges
            and self._merge is None
            and not self._has_work()
            and self._checked_segments is not self._segments
        ):
            return max(0.05, self._idle_since + self.config.idle_merge_delay - time.monotonic())
        return None

    # ------------------------------------------------------------- cutting

    def _can_cut(self) -> bool:
        if not self._queue.can_cut():
            return False
        if not self._jobs:
            return not self._coalescing()
        # Behind units still being built, only more bulk work may queue up: whatever waits as
        # soon as a builder is idle (the end of a backlog must not be left to one builder while
        # the other has nothing to do), or one full unit ahead while every builder is busy.
        if not self._bulk_ok:
            return False
        if self._building() < self.config.builders:
            return self._queue.queued >= self.config.bulk_min_docs
        return self._remote_inflight() <= self.config.builders and self._queue.queued >= self.config.bulk_unit_docs

    def _coalescing(self) -> bool:
        """Whether a small backlog waits for more to join it (see ``coalesce_seconds``)."""
        return (
            not self._stopping
            and self._queue.queued < self.config.bulk_min_docs
            and time.monotonic() < self._last_cut + self.config.coalesce_seconds
        )

    def _streaming(self) -> bool:
        """A backlog worth a builder that gathered under a steady stream (see ``stream_min_docs``)."""
        return (
            0 < self.config.stream_min_docs <= self._queue.queued
            and time.monotonic() - self._last_cut < 2 * self.config.coalesce_seconds
        )

    def _remote_inflight(self) -> int:
        return sum(1 for j in self._jobs if j.future is not None)

    def _building(self) -> int:
        return sum(1 for j in self._jobs if j.future is not None and not j.future.done())

    def _bulk_unit_size(self) -> int:
        """Documents for the next builder: a full unit, or, once the backlog is shorter than
        one unit per builder, a builder's share of it. Units shrink as the backlog drains, so
        the builders finish about together instead of one building the last full unit alone."""
        share = -(-self._queue.queued // max(1, self.config.builders))
        return min(self.config.bulk_unit_docs, max(self.config.bulk_min_docs, share))

    def _cut(self) -> bool:
        """Cut the next unit off the queue; True if there was anything."""
        with self._cv:
            if not self._can_cut():
                return False
            remote = self._bulk_ok and (self._queue.queued >= self.config.bulk_min_docs or bool(self._jobs)
                                        or self._streaming())
            if remote:
                unit, dropped = self._queue.take(self._bulk_unit_size(), self.config.bulk_unit_chars)
            else:
                unit, dropped = self._queue.take(self.config.local_unit_docs, self.config.local_unit_chars)
            self._backlog -= dropped
            if unit is None:
                return True
            self._jobs.append(unit)
            self._last_cut = time.monotonic()
        if remote and unit.docs:
            self._send(unit)
        return True

    def _send(self, unit: Unit) -> None:
        """Hand a unit to a builder process; it becomes ready when built."""
        if self._builds is None:
            self._builds = cf.ThreadPoolExecutor(self.config.builders, thread_name_prefix="index-build")
        unit.work_dir = new_work_dir(self.directory, "build")
        payload = msgspec.msgpack.encode(unit.upserts())
        unit.future = self._builds.submit(self._build, unit.work_dir, payload)
        unit.future.add_done_callback(lambda _f: self._notify())

    def _build(self, work_dir: str, payload: bytes) -> Segment | None:
        """Runs on a build thread: drive this thread's worker process."""
        worker = getattr(self._local, "worker", None)
        if worker is None or not worker.alive():
            worker = WorkerProcess(nice=self.config.worker_nice)
            self._local.worker = worker
            with self._cv:
                self._workers.append(worker)
        return worker.run("build", work_dir, payload)

    def _notify(self) -> None:
        with self._cv:
            self._cv.notify_all()

    # ------------------------------------------------------------ committing

    def _commit(self, unit: Unit | None, swap: _Merge | None) -> None:
        """One Whoosh commit: a unit's changes and/or a finished merge.

        Safe to retry after an exception: files already moved into the index
        are not moved again, and every deletion is recomputed from the
        committed state.
        """
        adopted: list[Segment] = []
        local: list[IndexDocument] = []
        if unit is not None:
            if unit.future is not None and not unit.built and not unit.in_process:
                try:
                    unit.segment = unit.future.result()
                except Exception:
                    log.exception("index builder failed; indexing that unit in-process")
                    self._bulk_ok = False
                    unit.in_process = True
                    if unit.work_dir:
                        shutil.rmtree(unit.work_dir, ignore_errors=True)
                else:
                    unit.built = True
            if unit.segment is not None:
                if not unit.moved:
                    adopt_files(unit.work_dir, self.directory, unit.segment)
                    unit.moved = True
                adopted.append(unit.segment)
            elif unit.future is None or unit.in_process:
                local = unit.upserts()
        if swap is not None and swap.result is not None and not swap.moved:
            adopt_files(swap.work_dir, self.directory, swap.result)
            swap.moved = True

        if unit is not None and not unit.ops and swap is None:
            self._finish(unit, swap)  # empty batches: only the modseq moves
            return

        w = DurableWriter(self.ix, self.directory, self._synced, self._kept)
        try:
            if unit is not None and unit.ops:
                self._delete_keys(w, list(unit.ops))
            for doc in local:
                w.add_document(**whoosh_fields(doc))
            inflight = self._inflight_ids(swap)
            w.commit(mergetype=lambda _w, segs: self._plan(segs, adopted, swap, inflight))
        except BaseException:
            if not w.is_closed:
                w.cancel()
            raise
        self._finish(unit, swap)

    def _delete_term(self, w: SegmentWriter, fieldname: str, terms: list[bytes]) -> int:
        """Mark every committed document with one of ``terms`` deleted in
        writer ``w``; returns how many."""
        count = 0
        with self._writer_leaves(w) as pairs:
            for seg, leaf in pairs:
                reader = leaf.reader
                for tb in terms:
                    if (fieldname, tb) in reader:
                        for docnum in reader.postings(fieldname, tb).all_ids():
                            seg.delete_document(docnum)
                            count += 1
        return count

    def _delete_keys(self, w: SegmentWriter, keys: list[str]) -> None:
        """Mark the committed documents with these keys deleted in writer ``w``
        (the versions an upsert replaces; usually there are none)."""
        with self._writer_leaves(w) as pairs:
            for seg, leaf in pairs:
                for key in keys:
                    for docnum in self._key_docs.docs(leaf, key):
                        if not seg.is_deleted(docnum):
                            seg.delete_document(docnum)

    @contextmanager
    def _writer_leaves(self, w: SegmentWriter) -> Iterator[list[tuple[Segment, Leaf]]]:
        """Pairs of (segment of ``w``, reader leaf) for the committed segments.

        Reads go through the published snapshot, which is the state ``w``
        starts from (this thread makes every commit); its segment objects are
        not the ones ``w`` marks deletions in.
        """
        snap = self._snap
        with self._readers.leaves(snap) as leaves:
            pairs = list(zip(w.segments, leaves))
            if (
                snap.generation != w.generation - 1
                or len(pairs) != len(snap.segments)
                or any(s.segid != leaf.segid for s, leaf in pairs)
            ):
                raise RuntimeError("index changed under its writer")
            yield pairs

    def _inflight_ids(self, swap: _Merge | None) -> set[str]:
        if self._merge is None or self._merge is swap:
            return set()
        return {s.segid for s in self._merge.snapshot}

    def _plan(
        self,
        segments: list[Segment],
        adopted: list[Segment],
        swap: _Merge | None,
        inflight: set[str],
    ) -> list[Segment]:
        """The merge policy of every commit: the new list of segments.

        Nothing is merged here (that would hold the writer); a finished
        merge is swapped in, fully deleted segments are dropped, adopted
        segments are appended.
        """
        replaced: set[str] = set()
        merged: Segment | None = None
        if swap is not None and swap.error is None:
            replaced = {s.segid for s in swap.snapshot}
            merged = swap.result
            if merged is not None:
                carry_deletions(merged, swap.snapshot, {s.segid: s for s in segments})
        out = [
            s
            for s in segments
            if s.segid not in replaced and (s.doc_count() > 0 or s.segid in inflight)
        ]
        if merged is not None and merged.doc_count() > 0:
            out.append(merged)
        out.extend(adopted)
        return out

    def _finish(self, unit: Unit | None, swap: _Merge | None) -> None:
        toc = self.ix._read_toc()
        self._snap = Snapshot(toc.generation, tuple(toc.segments))
        self._segments = self._snap.segments
        self._key_docs.retain(self._segments)
        self._publish(self._snap)
        with self._cv:
            if unit is not None:
                self._jobs.popleft()
                self._backlog -= unit.docs
            if swap is not None:
                self._merge = None
                if swap.work_dir and os.path.isdir(swap.work_dir):
                    shutil.rmtree(swap.work_dir, ignore_errors=True)
                if swap.error is not None:
                    self._merge_pause_until = time.monotonic() + 60.0
                if swap.full:
                    for fut in self._optimize_waiters:
                        if fut.done():
                            continue
                        if swap.error is None:
                            fut.set_result(None)
                        else:
                            fut.set_exception(RuntimeError(f"merge failed: {swap.error}"))
                    self._optimize_waiters.clear()
            self._idle_since = time.monotonic()
            self._cv.notify_all()
        if unit is not None:
            self._settle(unit.modseq)

    def _settle(self, complete: int) -> None:
        """Record the highest modseq the index now fully holds.

        That is the unit's highest complete batch, lowered below any batch
        of that modseq still waiting (a modseq split into several batches is
        only done when all are), and recorded on disk after the commit that
        made it true: on restart, re-submitting everything after the recorded
        value redoes at most some already applied, idempotent upserts.
        """
        with self._cv:
            pending = self._queue.pending_modseqs()
            pending.extend(j.min_modseq for j in self._jobs)
            value = complete if not pending else min(complete, min(pending) - 1)
        if value != self._recorded and value >= 0:
            write_atomic(self.directory, MODSEQ_NAME, b"%d\n" % value)
            self._recorded = value
        with self._cv:
            if value > self._applied:
                self._applied = value
                self._cv.notify_all()

    # -------------------------------------------------------------- controls

    def _run_control(self, ctl: Control) -> None:
        if ctl.future.done():
            return
        try:
            if ctl.kind == "delete_account":
                result = self._delete_account(str(ctl.arg))
            elif ctl.kind == "optimize":
                with self._cv:
                    self._optimize_waiters.append(ctl.future)
                if not self._maybe_start_merge(full=True) and self._merge is None:
                    self._resolve_optimize()
                return
            else:
                raise ValueError(f"unknown control {ctl.kind!r}")
        except BaseException as e:
            ctl.future.set_exception(e)
            raise
        ctl.future.set_result(result)

    def _resolve_optimize(self) -> None:
        with self._cv:
            for fut in self._optimize_waiters:
                if not fut.done():
                    fut.set_result(None)
            self._optimize_waiters.clear()

    def _delete_account(self, account_id: str) -> int:
        w = DurableWriter(self.ix, self.directory, self._synced, self._kept)
        try:
            count = self._delete_term(w, "account", [account_id.encode("utf-8")])
            inflight = self._inflight_ids(None)
            w.commit(mergetype=lambda _w, s: self._plan(s, [], None, inflight))
        except BaseException:
            if not w.is_closed:
                w.cancel()
            raise
        self._finish(None, None)
        return count

    # ---------------------------------------------------------------- merges

    def _maybe_start_merge(self, full: bool = False) -> bool:
        """Start a background merge if one is due; True if started."""
        with self._cv:
            if self._merge is not None or self._stopping:
                return False
            want_full = full or bool(self._optimize_waiters)
            busy = self._has_work()
            segments = list(self._segments)
        if want_full:
            chosen = segments if (len(segments) > 1 or any(s.has_deletions() for s in segments)) else []
            if not chosen:
                self._resolve_optimize()
                return False
        else:
            if not self.config.merges or time.monotonic() < self._merge_pause_until:
                return False
            idle = not busy and time.monotonic() - self._idle_since >= self.config.idle_merge_delay
            if not idle and len(segments) <= self.config.max_segments:
                return False
            chosen = self.config.merge_policy.choose(segments)
            if not chosen:
                self._checked_segments = self._segments
                return False
        snapshot = [copy.deepcopy(s) for s in chosen]
        merge = _Merge(snapshot=snapshot, work_dir=new_work_dir(self.directory, "merge"), full=want_full)
        with self._cv:
            self._merge = merge
            if self._merger is None or not self._merger.alive():
                self._merger = WorkerProcess(nice=self.config.worker_nice)
                self._workers.append(self._merger)
            merger = self._merger
        threading.Thread(target=self._run_merge, args=(merger, merge), name="index-merge", daemon=True).start()
        log.debug("merging %d segments (%d docs)", len(chosen), sum(s.doc_count() for s in chosen))
        return True

    def _run_merge(self, merger: WorkerProcess, m: _Merge) -> None:
        """Runs on its own thread while the worker process merges."""
        try:
            m.result = merger.run("merge", self.directory, m.work_dir, m.snapshot)
        except Exception as e:
            m.error = str(e)
            if not self._stopping:
                log.error("index merge failed: %s", e)
        with self._cv:
            m.done = True
            self._cv.notify_all()

    # -------------------------------------------------------------- shutdown

    def _shutdown(self) -> None:
        if self._merger is not None:
            self._merger.kill()  # an unfinished merge is simply discarded
        if self._merge is not None:
            shutil.rmtree(self._merge.work_dir, ignore_errors=True)
        if self._builds is not None:
            self._builds.shutdown(wait=True, cancel_futures=True)
        for worker in self._workers:
            worker.close()
        with self._cv:
            self._stopped = True
            err = RuntimeError("the index was closed")
            for fut in self._optimize_waiters:
                if not fut.done():
                    fut.set_exception(err)
            for ctl in self._queue.controls:
                if not ctl.future.done():
                    ctl.future.set_exception(err)
            self._cv.notify_all()
