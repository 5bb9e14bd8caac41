"""Submitted work waiting for the writer, and how it is cut into commits.

Batches wait in modseq order. Controls (delete an account, optimize) wait in
submission order and act as barriers: a control runs after every batch
submitted before it and before any submitted after it, which the *epoch*
stamped on each entry expresses.

Batches are cut into *units*, one commit each. A unit holds the net effect of
its batches per document key (the last upsert or delete wins; within a batch
deletes follow upserts), because Whoosh's ``update_document`` cannot replace
a document added in the same commit. A batch too big for one unit is spread
over several; the unit that takes its end is the one that completes it.

Not thread-safe: the writer calls it under its own lock.
"""

from __future__ import annotations

import concurrent.futures as cf
import heapq
import itertools
import logging
from dataclasses import dataclass, field

from whoosh.codec.base import Segment

from .schema import IndexBatch, IndexDocument, doc_key

__all__ = ["Backlog", "Control", "Unit"]

log = logging.getLogger(__name__)


def _text_size(doc: IndexDocument) -> int:
    return (
        len(doc.body)
        + len(doc.subject)
        + len(doc.from_)
        + len(doc.to)
        + len(doc.cc)
        + len(doc.bcc)
        + len(doc.attachments)
    )


@dataclass
class Unit:
    """Batches cut for one commit, and how far building it has come."""

    min_modseq: int  # modseq of its first batch
    modseq: int = 0  # highest modseq whose batch ends in this unit
    ops: dict[str, IndexDocument | None] = field(default_factory=dict)
    docs: int = 0  # upserts taken (before collapsing by key)
    future: cf.Future | None = None  # set when built by a worker process
    work_dir: str | None = None
    built: bool = False
    segment: Segment | None = None
    moved: bool = False  # segment files already in the index directory
    in_process: bool = False  # the worker failed; index it here instead

    def ready(self) -> bool:
        return self.future is None or self.future.done()

    def upserts(self) -> list[IndexDocument]:
        return [d for d in self.ops.values() if d is not None]


@dataclass
class Control:
    epoch: int
    kind: str
    arg: object
    future: cf.Future


@dataclass(order=True)
class _Queued:
    epoch: int
    modseq: int
    seq: int
    batch: IndexBatch = field(compare=False)


@dataclass
class _Partial:
    """A batch being spread over several units."""

    batch: IndexBatch
    next_upsert: int = 0


class Backlog:
    def __init__(self, applied: int) -> None:
        self._heap: list[_Queued] = []
        self.controls: list[Control] = []
        self._epoch = 0
        self._seq = itertools.count()
        self._partial: _Partial | None = None
        self._taken = applied  # highest modseq taken into a unit
        self.queued = 0  # upserts submitted and not yet taken

    def push(self, batch: IndexBatch) -> None:
        heapq.heappush(self._heap, _Queued(self._epoch, batch.modseq, next(self._seq), batch))
        self.queued += len(batch.upserts)

    def push_control(self, kind: str, arg: object) -> cf.Future:
        fut: cf.Future = cf.Future()
        self.controls.append(Control(self._epoch, kind, arg, fut))
        self._epoch += 1
        return fut

    def drop_batches(self) -> None:
        """Forget batches not yet taken: they are above the applied modseq, so the caller submits
        them again after a restart."""
        self._heap.clear()
        self._partial = None
        self.queued = 0

    def has_batches(self) -> bool:
        return bool(self._heap) or self._partial is not None

    def _before_next_control(self) -> bool:
        """Whether batches wait that must go before the next control."""
        if self._partial is not None:
            return True
        if not self._heap:
            return False
        return not self.controls or self._heap[0].epoch <= self.controls[0].epoch

    def can_cut(self) -> bool:
        return self._before_next_control()

    def control_due(self) -> bool:
        """The next control may run once the units already cut are committed."""
        return bool(self.controls) and not self._before_next_control()

    def pop_control(self) -> Control:
        return self.controls.pop(0)

    def pending_modseqs(self) -> list[int]:
        """Modseqs of batches still to be taken (stale ones will be dropped)."""
        out = [q.modseq for q in self._heap if q.modseq >= self._taken]
        if self._partial is not None:
            out.append(self._partial.batch.modseq)
        return out

    def take(self, limit: int, max_chars: int) -> tuple[Unit | None, int]:
        """Cut the next unit: up to ``limit`` documents or about ``max_chars``
        characters of text, at least one batch or part of one.

        Returns the unit (None if only stale batches were found) and the
        number of upserts dropped as stale: a batch older than one already
        taken must not undo it.
        """
        unit: Unit | None = None
        chars = 0
        dropped = 0
        while unit is None or (len(unit.ops) < limit and chars < max_chars):
            if self._partial is None:
                if not self._before_next_control():
                    break
                q = heapq.heappop(self._heap)
                self.queued -= len(q.batch.upserts)
                if q.modseq < self._taken:
                    log.warning("dropping stale index batch %d (already past %d)", q.modseq, self._taken)
                    dropped += len(q.batch.upserts)
                    continue
                self.queued += len(q.batch.upserts)
                self._taken = q.modseq
                self._partial = _Partial(q.batch)
            part = self._partial
            batch = part.batch
            if unit is None:
                unit = Unit(min_modseq=batch.modseq)
            upserts = batch.upserts
            start = i = part.next_upsert
            while i < len(upserts) and len(unit.ops) < limit and chars < max_chars:
                doc = upserts[i]
                unit.ops[doc_key(doc.account_id, doc.email_id)] = doc
                chars += _text_size(doc)
                i += 1
            part.next_upsert = i
            unit.docs += i - start
            self.queued -= i - start
            if i < len(upserts):
                break
            for account_id, email_id in batch.deletes:
                unit.ops[doc_key(account_id, email_id)] = None
            unit.modseq = max(unit.modseq, batch.modseq)
            self._partial = None
        if unit is not None and unit.modseq == 0:
            unit.modseq = unit.min_modseq - 1  # holds only part of one batch
        return unit, dropped
