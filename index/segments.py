"""Segments built and merged away from the writer thread.

Whoosh writes an index as immutable segment files plus a table of contents
(TOC) listing the segments and, per segment, the set of deleted documents.
Two expensive jobs never need the write lock to do their work, only to
publish it:

* building a segment from a large backlog of documents (bulk catch-up), and
* merging several segments into one.

Both run in worker processes (the GIL would otherwise make them compete with
searches and with the writer thread), each into a private directory under
``work/``. The writer thread then *adopts* the result in an ordinary commit:
it moves the finished segment file into the index directory and swaps the
table of contents. Until that commit the work is invisible, and a crash at
any point leaves only a directory that the next open deletes.

A merge works from a snapshot of its input segments. Documents deleted from
those segments while the merge ran are carried over to the merged segment at
adoption, using the order in which a merge copies live documents (see
:func:`carry_deletions`).
"""

from __future__ import annotations

import bisect
import math
import os
import shutil
import uuid

import msgspec
from whoosh.codec.base import Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex

from .durable import WORK_DIR, fsync_dir, fsync_file
from .mapped import MappedSegmentReader
from .postings import live_term_lists, write_terms
from .schema import SCHEMA, IndexDocument, whoosh_fields
from .segwriter import LeanSegmentWriter, segment_files

__all__ = [
    "INDEXNAME",
    "MergePolicy",
    "adopt_files",
    "build_segment",
    "carry_deletions",
    "merge_segments",
    "new_work_dir",
]

INDEXNAME = "MAIN"


def new_work_dir(index_dir: str, kind: str) -> str:
    return os.path.join(index_dir, WORK_DIR, f"{kind}-{uuid.uuid4().hex}")


def _private_writer(work_dir: str) -> LeanSegmentWriter:
    os.makedirs(work_dir, exist_ok=True)
    storage = FileStorage(work_dir)
    ix = FileIndex.create(storage, SCHEMA, INDEXNAME)
    return LeanSegmentWriter(ix)


def _finish(work_dir: str, writer: LeanSegmentWriter) -> Segment:
    writer.commit(merge=False)
    toc = TOC.read(FileStorage(work_dir), INDEXNAME, schema=SCHEMA)
    (segment,) = toc.segments
    for name in segment_files(work_dir, segment):
        fsync_file(os.path.join(work_dir, name))
    return segment


def build_segment(work_dir: str, payload: bytes) -> Segment | None:
    """Worker process: index msgpack-encoded documents into one segment."""
    docs = msgspec.msgpack.decode(payload, type=list[IndexDocument])
    if not docs:
        return None
    writer = _private_writer(work_dir)
    for doc in docs:
        writer.add_document(**whoosh_fields(doc))
    return _finish(work_dir, writer)


def merge_segments(index_dir: str, work_dir: str, segments: list[Segment]) -> Segment | None:
    """Worker process: copy the live documents of ``segments`` into one.

    Returns None when none is live (the inputs can simply be dropped).

    ``SegmentWriter.add_reader`` would push every posting through the
    writer's pool one by one; but each input's terms already come in (field,
    term) order, and renumbered documents of later inputs only follow those
    of earlier ones, so a k-way merge of the inputs' whole posting lists
    (:func:`index.postings.live_term_lists`) is already in the order the
    field writer needs.
    """
    if sum(s.doc_count() for s in segments) == 0:
        return None
    storage = FileStorage(index_dir)
    writer = _private_writer(work_dir)
    names = set(SCHEMA.names())
    readers = [MappedSegmentReader(storage, SCHEMA, s) for s in segments]
    try:
        sources = []
        for reader in readers:
            base = writer.docnum
            sources.append((reader, base, writer.write_per_doc(names, reader)))
        writer.perdocwriter.close()
        write_terms(writer.fieldwriter, SCHEMA, live_term_lists(sources))
        writer._added = True
        writer._close_segment()
        writer._assemble_segment()
        segment = writer.get_segment()
        writer._commit_toc([segment])
        writer._finish()
    finally:
        for reader in readers:
            reader.close()
    for name in segment_files(work_dir, segment):
        fsync_file(os.path.join(work_dir, name))
    return segment


def adopt_files(work_dir: str, index_dir: str, segment: Segment) -> None:
    """Move a finished segment's files into the index directory.

    The files are not referenced until the next TOC names them; Whoosh deletes
    unreferenced segment files at every commit, so a crash in between costs
    nothing but the work.
    """
    for name in segment_files(work_dir, segment):
        os.replace(os.path.join(work_dir, name), os.path.join(index_dir, name))
    fsync_dir(index_dir)
    shutil.rmtree(work_dir, ignore_errors=True)


def carry_deletions(
    merged: Segment, snapshot: list[Segment], current: dict[str, Segment]
) -> None:
    """Apply to ``merged`` the deletions its inputs received during the merge.

    ``SegmentWriter.add_reader`` copies the live documents of each input in
    input order and, within an input, in document order; so the document that
    was the k-th live one of input i is ``base_i + k`` in the merged segment.
    Deletions only ever grow, so "received during the merge" is the current
    deleted set minus the snapshot's.
    """
    base = 0
    for snap in snapshot:
        before = sorted(snap.deleted_docs())
        now = current.get(snap.segid)
        if now is not None:
            for doc in now.deleted_docs():
                if not snap.is_deleted(doc):
                    merged.delete_document(base + doc - bisect.bisect_left(before, doc))
        base += snap.doc_count_all() - len(before)


class MergePolicy(msgspec.Struct, frozen=True):
    """Which segments to merge next (tiered, like Lucene's).

    Segments are grouped into tiers by live size (``floor_docs`` and below is
    tier 0, then one tier per factor ``per_tier``). When a tier holds
    ``per_tier`` segments, its smallest ``per_tier`` are merged into one of
    the next tier, so each document is rewritten about log(N) times and the
    segment count stays near ``per_tier`` per tier. A segment that is mostly
    deletions is rewritten alone to reclaim the space.
    """

    per_tier: int = 8
    floor_docs: int = 2000
    max_deleted_ratio: float = 0.4

    def tier(self, live: int) -> int:
        if live <= self.floor_docs:
            return 0
        return 1 + int(math.log(live / self.floor_docs, self.per_tier))

    def choose(self, segments: list[Segment]) -> list[Segment]:
        tiers: dict[int, list[Segment]] = {}
        for s in segments:
            live = s.doc_count()
            if live > 0:
                tiers.setdefault(self.tier(live), []).append(s)
        for t in sorted(tiers):
            group = tiers[t]
            if len(group) >= self.per_tier:
                group.sort(key=lambda s: s.doc_count())
                return group[: self.per_tier]
        for s in segments:
            total = s.doc_count_all()
            dead = s.deleted_count()
            if dead >= 100 and total and dead / total > self.max_deleted_ratio:
                return [s]
        return []


#: What a worker process (:mod:`index.workers`) of the index runs.
JOBS = {"build": build_segment, "merge": merge_segments}
