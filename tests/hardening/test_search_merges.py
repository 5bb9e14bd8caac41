"""Searches while merges replace the segments they read (finding: "serverFail: FileNotFoundError in
Email/query" when a search opened a segment file a merge had just deleted, index/readers.py ->
index/mapped.py)."""

from __future__ import annotations

import threading

import pytest

from index import IndexBatch, IndexDocument, SearchIndex, WriterConfig

QUIET = WriterConfig(merges=False, builders=0)
WORDS = ["apple", "banana", "cherry", "damson", "elder", "fig", "grape"]


def _doc(n: int) -> IndexDocument:
    return IndexDocument(account_id="acc", email_id=f"e{n}", subject=f"{WORDS[n % len(WORDS)]} note {n}",
                         body=f"the body of message {n} mentions {WORDS[(n * 3) % len(WORDS)]}")


class _Feeder:
    def __init__(self, ix: SearchIndex):
        self.ix = ix
        self.modseq = ix.applied_modseq()
        self.n = 0
        self.committed = 0

    def segment(self, docs: int = 3) -> None:
        """One commit: one more segment."""
        self.modseq += 1
        self.ix.submit(IndexBatch(self.modseq, [_doc(self.n + i) for i in range(docs)], []))
        self.n += docs
        assert self.ix.wait_for(self.modseq, timeout=30)
        self.committed = self.n


@pytest.fixture
def ix(tmp_path):
    index = SearchIndex.open(str(tmp_path / "ix"), QUIET)
    yield index
    index.close()


def test_searches_from_new_threads_during_merges(ix):
    """Finding 3 reproduced: every search from a thread that has no readers yet opens each segment
    of the snapshot it took, while the writer merges those segments away and deletes their files.
    With readers pinning what they read, none fails and each finds every document committed
    before it started."""
    feeder = _Feeder(ix)
    for _ in range(12):
        feeder.segment()
    failures: list[BaseException] = []
    stop = threading.Event()
    searches = 0

    def search_once() -> None:
        nonlocal searches
        searches += 1
        try:
            expected = feeder.committed  # documents committed before this search began
            # A word no document has: the same search on the same snapshot would be answered from
            # the recent results, without opening anything.
            assert ix.search("acc", "text", f"note zz{searches}x") == frozenset()
            assert len(ix.search("acc", "subject", f"note {WORDS[searches % len(WORDS)]}")) >= 0
            assert len(ix.search("acc", "text", "note")) >= expected
        except BaseException as exc:  # noqa: BLE001 - every failure is the finding
            failures.append(exc)

    def searcher() -> None:
        while not stop.is_set():
            # A fresh thread has no cached readers: it opens every segment of its snapshot.
            t = threading.Thread(target=search_once)
            t.start()
            t.join()

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            for _ in range(8):
                feeder.segment()
            ix.optimize(timeout=60)  # merge them all into one, deleting the inputs' files
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures, f"{len(failures)} of {searches} searches failed: {failures[0]!r}"
    assert searches > 0


def test_merged_away_files_stay_while_pinned_and_go_after(ix, tmp_path):
    """Finding 3, the mechanism: a search's snapshot keeps its segment files through a merge that
    replaces them (so it can still open every one), and the files go once the search ends."""
    feeder = _Feeder(ix)
    for _ in range(4):
        feeder.segment()
    directory = tmp_path / "ix"

    def segment_files() -> set[str]:
        return {p.name for p in directory.iterdir() if p.name.endswith(".seg")}

    with ix._pinned() as snap:
        before = segment_files()
        assert len(snap.segments) == 4 and len(before) == 4
        ix.optimize(timeout=60)
        assert len(ix._snapshot().segments) == 1
        assert before <= segment_files()  # still there for this search
        thread_result: list = []
        # A thread that never searched opens every segment of the pinned snapshot.
        reader = threading.Thread(target=lambda: thread_result.append(_search_in(ix, snap)))
        reader.start()
        reader.join()
        assert thread_result == [feeder.committed]
    after = segment_files()
    assert not (before & after) and len(after) == 1
    assert len(ix.search("acc", "text", "note")) == feeder.committed


def _search_in(ix: SearchIndex, snap) -> int:
    from index.search import search_leaves
    from index.query import parse_query

    with ix._readers.leaves(snap) as leaves:
        return len(search_leaves(leaves, ix._idmaps, "acc", "text", parse_query("note")))
