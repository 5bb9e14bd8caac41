"""Bulk catch-up through worker processes, background merges and optimize:
different paths, same results (RFC 8621 §4.4: a query's results do not
depend on how the index got there)."""

from __future__ import annotations

import os
import random
import threading

from index import IndexBatch, SearchIndex, WriterConfig
from index.schema import SCHEMA
from index.segments import MergePolicy, build_segment, carry_deletions, merge_segments
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

import msgspec

from .conftest import doc


def _model_batches(n_batches: int, per_batch: int, seed: int = 7):
    """Batches with creates, rewrites and deletes, and the expected state."""
    r = random.Random(seed)
    state: dict[str, str] = {}
    batches = []
    for m in range(1, n_batches + 1):
        ups, dels = [], []
        for j in range(per_batch):
            eid = f"m{m}-{j}"
            ups.append(doc(eid, account=f"a{j % 2}", body=f"v{m} common"))
            state[eid] = f"v{m}"
        if state and r.random() < 0.5:
            eid = r.choice(sorted(state))
            ups.append(doc(eid, account=f"a{int(eid.split('-')[1]) % 2}", body=f"v{m} common"))
            state[eid] = f"v{m}"
        if state and r.random() < 0.5:
            eid = r.choice(sorted(state))
            dels.append((f"a{int(eid.split('-')[1]) % 2}", eid))
            del state[eid]
        batches.append(IndexBatch(m, ups, dels))
    return batches, state


def _state(ix: SearchIndex, versions: int) -> dict[str, str]:
    seen: dict[str, str] = {}
    for v in range(1, versions + 1):
        for account in ("a0", "a1"):
            for eid in ix.search(account, "body", f"v{v}"):
                assert eid not in seen, f"{eid} in two versions"
                seen[eid] = f"v{v}"
    total = ix.doc_count("a0") + ix.doc_count("a1")
    assert total == len(seen), "duplicate documents"
    return seen


def test_bulk_path_matches_model(tmp_path):
    """RFC 8621 §4.4: a large backlog indexed by worker processes ends in
    exactly the state the batches describe."""
    cfg = WriterConfig(merges=False, builders=2, bulk_min_docs=30, bulk_unit_docs=20, local_unit_docs=15)
    batches, expected = _model_batches(30, 8)
    ix = SearchIndex.open(str(tmp_path / "ix"), cfg)
    try:
        for b in batches:
            ix.submit(b)
        assert ix.wait_for(30, 60)
        assert _state(ix, 30) == expected
        assert ix.segment_count() > 2
    finally:
        ix.close()
    assert not os.listdir(tmp_path / "ix" / "work") if (tmp_path / "ix" / "work").exists() else True


def test_a_steady_stream_goes_to_builders_and_matches_model(tmp_path):
    """RFC 8621 §4.4: small batches arriving one after another, gathered by the coalescing window
    into units that worker processes build (as a large backlog is), end in exactly the state the
    batches describe, rewrites and deletes included."""
    import time

    cfg = WriterConfig(merges=False, builders=1, coalesce_seconds=0.05, stream_min_docs=4)
    batches, expected = _model_batches(60, 1)
    ix = SearchIndex.open(str(tmp_path / "ix"), cfg)
    try:
        for b in batches:
            ix.submit(b)
            time.sleep(0.004)
        assert ix.wait_for(60, 60)
        assert _state(ix, 60) == expected
        assert ix._writer._workers, "no unit of the stream went to a builder process"
    finally:
        ix.close()


def test_background_merges_keep_results(tmp_path):
    """RFC 8621 §4.4: merging segments in idle time changes nothing a query
    sees, and deletes during merges are kept."""
    cfg = WriterConfig(
        builders=0,
        merges=True,
        idle_merge_delay=0.05,
        merge_policy=MergePolicy(per_tier=3, floor_docs=5),
    )
    batches, expected = _model_batches(24, 3, seed=11)
    ix = SearchIndex.open(str(tmp_path / "ix"), cfg)
    try:
        for b in batches:
            ix.submit(b)
            ix.wait_for(b.modseq, 30)
        merged = threading.Event()
        for _ in range(200):
            if ix.segment_count() <= 4:
                merged.set()
                break
            threading.Event().wait(0.05)
        assert merged.is_set(), f"{ix.segment_count()} segments"
        assert _state(ix, 24) == expected
    finally:
        ix.close()


def test_optimize_while_writing(tmp_path):
    """RFC 8621 §4.4: an explicit full merge runs beside writes and
    searches; changes made meanwhile survive it."""
    cfg = WriterConfig(builders=0, merges=False)
    batches, expected = _model_batches(40, 3, seed=5)
    ix = SearchIndex.open(str(tmp_path / "ix"), cfg)
    try:
        for b in batches[:30]:
            ix.submit(b)
            if b.modseq % 5 == 0:
                assert ix.wait_for(b.modseq, 60)
        assert ix.segment_count() > 1
        t = threading.Thread(target=ix.optimize, kwargs={"timeout": 60})
        t.start()
        for b in batches[30:]:
            ix.submit(b)
            ix.search("a0", "text", "common")  # searches never wait
        assert ix.wait_for(40, 60)
        t.join(60)
        assert not t.is_alive()
        assert _state(ix, 40) == expected
        ix.optimize(timeout=60)
        assert ix.segment_count() == 1
        assert _state(ix, 40) == expected
    finally:
        ix.close()


def test_carry_deletions_maps_document_numbers(tmp_path):
    """RFC 8621 §4.4: emails deleted while their segments were being merged
    stay deleted in the merged segment."""
    root = tmp_path / "ix"
    root.mkdir()
    segs = []
    for k in range(3):
        docs = [doc(f"s{k}d{i}", body="x") for i in range(5)]
        seg = build_segment(str(tmp_path / f"b{k}"), msgspec.msgpack.encode(docs))
        for name in os.listdir(tmp_path / f"b{k}"):
            if name.startswith(seg.segment_id()):
                os.replace(tmp_path / f"b{k}" / name, root / name)
        segs.append(seg)
    segs[0].delete_document(1)  # deleted before the merge
    segs[1].delete_document(0)
    import copy

    snapshot = [copy.deepcopy(s) for s in segs]
    merged = merge_segments(str(root), str(tmp_path / "m"), snapshot)
    assert merged.doc_count_all() == 13
    # During the merge: more deletions in the inputs.
    segs[0].delete_document(3)
    segs[1].delete_document(4)
    segs[2].delete_document(0)
    carry_deletions(merged, snapshot, {s.segid: s for s in segs})
    for name in os.listdir(tmp_path / "m"):
        if name.startswith(merged.segment_id()):
            os.replace(tmp_path / "m" / name, root / name)
    reader = SegmentReader(FileStorage(str(root)), SCHEMA, merged)
    keys = list(reader.column_reader("key"))
    live = {keys[d].split("\x1f")[1] for d in reader.all_doc_ids()}
    reader.close()
    gone = {"s0d1", "s1d0", "s0d3", "s1d4", "s2d0"}
    assert live == {f"s{k}d{i}" for k in range(3) for i in range(5)} - gone
