"""Whoosh segment writers tuned for this index.

:class:`LeanSegmentWriter` is what worker processes build and merge with;
:class:`DurableWriter` is what the writer thread commits with. Both are
Whoosh's ``SegmentWriter`` with the postings path swapped for
:mod:`index.postings`, whose files Whoosh's reader reads unchanged.
"""

from __future__ import annotations

import os

from whoosh.index import TOC, FileIndex, clean_files
from whoosh.writing import SegmentWriter

from .analysis import index_terms
from .durable import fsync_dir, fsync_file
from .postings import TermPool, write_terms
from .schema import FoldedText

__all__ = ["DurableWriter", "LeanSegmentWriter", "segment_files"]


def segment_files(directory: str, segment) -> list[str]:
    """Names of the files of ``segment`` in ``directory``."""
    prefix = segment.segment_id() + "."
    return [n for n in os.listdir(directory) if n.startswith(prefix)]


class LeanSegmentWriter(SegmentWriter):
    """SegmentWriter that gathers postings per term (:class:`index.postings.TermPool`)
    and writes each term's list whole (:func:`index.postings.write_terms`).

    ``add_document`` feeds the pool straight from :func:`index.analysis.index_terms`
    for :class:`index.schema.FoldedText` fields. It does only what Whoosh's
    does for this schema, whose fields store nothing, score nothing and keep
    no vectors or spelling (checked here; any other schema takes Whoosh's
    own ``add_document``).
    """

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        self.pool = TermPool()
        self._plain = all(
            not f.stored and not f.scorable and not f.vector and not f.separate_spelling()
            for _, f in self.schema.items()
        )

    def add_document(self, **fields) -> None:
        if not self._plain:
            return super().add_document(**fields)
        self._check_state()
        schema = self.schema
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        docnum = self.docnum
        pool = self.pool
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            if isinstance(field, FoldedText):
                pool.add_positions(name, docnum, index_terms(value), field.format)
            elif field.indexed:
                for btext, _freq, weight, vbytes in field.index(value):
                    pool.add((name, btext, docnum, weight, vbytes))
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        write_terms(self.fieldwriter, self.schema, self.pool.term_lists())
        self.fieldwriter.close()


class DurableWriter(LeanSegmentWriter):
    """A SegmentWriter whose commit reaches the disk in a safe order.

    Segment files are synced before the table of contents that names them,
    and the table of contents before the commit returns (see
    :mod:`index.durable`). Files of segments no longer in the index are
    deleted, but for ``kept()``'s.
    """

    def __init__(self, ix: FileIndex, directory: str, synced: set[str], kept=lambda: ()) -> None:
        self._directory = directory
        self._synced = synced
        self._kept = kept
        try:
            super().__init__(ix, timeout=0.0)
        except BaseException:
            # SegmentWriter takes the lock first; do not leave it held when
            # the rest of its setup fails.
            lock = getattr(self, "writelock", None)
            if lock is not None and lock.fd is not None:
                lock.release()
            raise

    def _commit_toc(self, segments):
        for seg in segments:
            if seg.segid not in self._synced:
                for name in segment_files(self._directory, seg):
                    fsync_file(os.path.join(self._directory, name))
                self._synced.add(seg.segid)
        fsync_dir(self._directory)
        toc = TOC(self.schema, segments, self.generation)
        toc.write(self.storage, self.indexname)
        fsync_file(os.path.join(self._directory, TOC._filename(self.indexname, self.generation)))
        fsync_dir(self._directory)
        # Files of segments that searches may still read stay (see index.readers.SnapshotPins).
        clean_files(self.storage, self.indexname, self.generation, [*segments, *self._kept()])
        live = {s.segid for s in segments}
        self._synced.intersection_update(live)
