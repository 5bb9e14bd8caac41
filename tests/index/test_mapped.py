"""Segment readers read the mapped segment file in place (index/mapped.py): same answers as
Whoosh's own reader, without a private copy of the segment per reader."""

from __future__ import annotations

import random
import tracemalloc

from index.mapped import MappedSegmentReader
from index.schema import SCHEMA
from index.segments import INDEXNAME, build_segment
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.reading import SegmentReader

import msgspec

from .conftest import doc

WORDS = [f"w{i}" for i in range(3000)]


def _segment(tmp_path, count: int = 1500):
    r = random.Random(5)
    docs = [doc(f"m{i}", body=" ".join(r.choices(WORDS, k=300)), subject=f"s{i} topic") for i in range(count)]
    work = str(tmp_path / "seg")
    build_segment(work, msgspec.msgpack.encode(docs))
    storage = FileStorage(work)
    (segment,) = TOC.read(storage, INDEXNAME, schema=SCHEMA).segments
    return storage, segment


def _everything(reader) -> list:
    """Each term with its documents and positions, and the stored keys."""
    out: list = []
    for fieldname, term in reader.all_terms():
        m = reader.postings(fieldname, term)
        if fieldname in ("key", "account"):
            out.append((fieldname, term, list(m.all_ids())))
        else:
            out.append((fieldname, term, list(m.items_as("positions"))))
    out.append(list(reader.column_reader("key")))
    return out


def test_mapped_reader_reads_what_whoosh_reads(tmp_path):
    """Every term, posting list and stored key of a segment reads the same through both readers
    (RFC 8621 §4.4.1: search results must not depend on how the index is read)."""
    storage, segment = _segment(tmp_path, 400)
    plain, mapped = SegmentReader(storage, SCHEMA, segment), MappedSegmentReader(storage, SCHEMA, segment)
    try:
        assert _everything(mapped) == _everything(plain)
    finally:
        plain.close()
        mapped.close()


def test_opening_a_reader_does_not_copy_the_segment(tmp_path):
    """Opening readers and searching allocates far less than the segment's size: the parts are read
    from the file mapping, which the kernel shares and can reclaim."""
    storage, segment = _segment(tmp_path)
    size = storage.file_length(segment.make_filename(segment.COMPOUND_EXT))
    assert size > 2_000_000
    tracemalloc.start()
    try:
        readers = [MappedSegmentReader(storage, SCHEMA, segment) for _ in range(4)]
        for reader in readers:
            assert len(list(reader.postings("body", "w1").all_ids())) > 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    for reader in readers:
        reader.close()
    assert peak < size / 4, (peak, size)
