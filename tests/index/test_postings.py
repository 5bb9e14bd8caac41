"""Segments built and merged a whole posting list at a time (index.postings) hold exactly the
postings Whoosh's own writer would: the text conditions of RFC 8621 §4.4.1 are answered from them."""

from __future__ import annotations

import copy
import os

import msgspec
import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from index.schema import SCHEMA, whoosh_fields
from index.segments import INDEXNAME, build_segment, merge_segments
from jmapd.mime import parse_message, summarize
from jmapd.seed import SeedOptions, iter_messages
from jmapd.workers.indexer import document_from_summary

from ..conftest import CORPUS


@pytest.fixture(scope="module")
def documents():
    """Real messages from the corpus (many charsets and structures) and generated ones, so that
    common words have posting lists longer than one block (128 postings)."""
    paths = sorted(p for p in CORPUS.rglob("*.eml"))[:150]
    raws = [p.read_bytes() for p in paths]
    raws += [m.raw for m in iter_messages(3, 250, SeedOptions(max_attachment_bytes=20_000))]
    return [document_from_summary("acc", f"e{i}", summarize(parse_message(raw, f"b{i}")))
            for i, raw in enumerate(raws)]


def _whoosh_segment(directory, docs):
    """The reference: Whoosh's own SegmentWriter, untouched."""
    os.makedirs(directory)
    ix = FileIndex.create(FileStorage(str(directory)), SCHEMA, INDEXNAME)
    writer = SegmentWriter(ix)
    for d in docs:
        writer.add_document(**whoosh_fields(d))
    writer.commit(merge=False)
    (segment,) = TOC.read(FileStorage(str(directory)), INDEXNAME, schema=SCHEMA).segments
    return segment


def _contents(directory, segment):
    """Every posting (field, term, document, weight, value) and every stored key, as Whoosh reads them."""
    reader = SegmentReader(FileStorage(str(directory)), SCHEMA, segment)
    try:
        postings = list(reader.iter_postings())
        live = [d for d in range(segment.doc_count_all()) if not segment.is_deleted(d)]
        keys = list(reader.column_reader("key"))
        return postings, [keys[d] for d in live]
    finally:
        reader.close()


def test_built_segment_holds_whooshs_postings(tmp_path, documents):
    """RFC 8621 §4.4.1: the text conditions find what Whoosh's own writer would have indexed."""
    expected = _contents(tmp_path / "ref", _whoosh_segment(tmp_path / "ref", documents))
    built = build_segment(str(tmp_path / "ours"), msgspec.msgpack.encode(documents))
    got = _contents(tmp_path / "ours", built)
    assert got == expected
    postings = expected[0]
    assert len({(f, t) for f, t, *_ in postings}) > 1000
    longest = max(sum(1 for p in postings if p[:2] == key) for key in {("body", b"the"), ("account", b"acc")})
    assert longest > 128  # lists that span several blocks


def test_merged_segment_holds_whooshs_postings(tmp_path, documents):
    """RFC 8621 §4.4.1: merging segments, with deleted emails left out, keeps every other
    email findable by exactly the same words."""
    root = tmp_path / "ix"
    root.mkdir()
    thirds = [documents[i::3] for i in range(3)]
    segments = []
    for k, part in enumerate(thirds):
        work = tmp_path / f"build{k}"
        seg = build_segment(str(work), msgspec.msgpack.encode(part))
        for name in os.listdir(work):
            if name.startswith(seg.segment_id()):
                os.replace(work / name, root / name)
        segments.append(seg)
    for d in range(0, segments[1].doc_count_all(), 4):
        segments[1].delete_document(d)
    segments[2].delete_document(0)

    merged = merge_segments(str(root), str(tmp_path / "merge"), [copy.deepcopy(s) for s in segments])
    got = _contents(tmp_path / "merge", merged)

    ref_dir = tmp_path / "ref"
    os.makedirs(ref_dir)
    ix = FileIndex.create(FileStorage(str(ref_dir)), SCHEMA, INDEXNAME)
    writer = SegmentWriter(ix)
    for seg in segments:  # Whoosh's own merge: every live posting through its pool
        reader = SegmentReader(FileStorage(str(root)), SCHEMA, seg)
        writer.add_reader(reader)
        reader.close()
    writer.commit(merge=False)
    (reference,) = TOC.read(FileStorage(str(ref_dir)), INDEXNAME, schema=SCHEMA).segments
    assert got == _contents(ref_dir, reference)
    assert merged.doc_count_all() == sum(s.doc_count() for s in segments)
