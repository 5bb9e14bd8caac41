"""Searches run beside the writer on any thread (RFC 8621 §4.4: Email/query
may be called at any time, while mail is being delivered)."""

from __future__ import annotations

import threading

from index import IndexBatch, SearchIndex, WriterConfig

from .conftest import doc


def test_searches_during_writes_and_merges(tmp_path):
    """RFC 8621 §4.4: concurrent queries always see a consistent committed
    state and never fail while commits and merges happen."""
    cfg = WriterConfig(builders=0, merges=True, idle_merge_delay=0.0)
    ix = SearchIndex.open(str(tmp_path / "ix"), cfg)
    errors: list[BaseException] = []
    stop = threading.Event()

    def searcher() -> None:
        try:
            while not stop.is_set():
                found = ix.search("acc", "body", "shared")
                # Every batch adds two emails in one commit: never half of one.
                assert len(found) % 2 == 0, found
                ix.search("acc", "text", '"shared word"')
                stop.wait(0.002)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for m in range(1, 21):
            ix.submit(IndexBatch(m, [doc(f"m{m}a", body="shared word"), doc(f"m{m}b", body="shared word")], []))
            ix.wait_for(m, 30)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    try:
        assert not errors, errors[0]
        assert len(ix.search("acc", "body", "shared")) == 40
    finally:
        ix.close()


def test_idle_threads_release_merged_segments(tmp_path):
    """RFC 8621 §4.4 (operations): a thread that searched once and went idle
    does not keep merged-away segments open (their disk space is freed)."""
    cfg = WriterConfig(builders=0, merges=False)
    ix = SearchIndex.open(str(tmp_path / "ix"), cfg)
    try:
        for m in range(1, 6):
            ix.submit(IndexBatch(m, [doc(f"m{m}", body="x")], []))
            ix.wait_for(m, 30)
        assert ix.segment_count() == 5
        searched = threading.Event()
        done = threading.Event()

        def idle_searcher() -> None:
            ix.search("acc", "body", "x")
            searched.set()
            done.wait(30)

        t = threading.Thread(target=idle_searcher)
        t.start()
        searched.wait(30)
        ix.optimize(timeout=60)
        live = {s.segid for s in ix._snap.segments}
        held = [tr for tr in ix._readers._all if tr.by_key]
        assert all(key[0] in live for tr in held for key in tr.by_key)
        done.set()
        t.join(30)
        assert ix.search("acc", "body", "x") == {f"m{m}" for m in range(1, 6)}
    finally:
        ix.close()
