"""Applying batches: idempotent upserts, deletes, ordering, read-your-writes
(RFC 8621 §4.4 Email/query results reflect the state they report)."""

from __future__ import annotations

import threading
import time

from index import IndexBatch, SearchIndex

from .conftest import QUIET, Index, doc


def test_upsert_is_idempotent(index):
    """RFC 8621 §4.4: an email matches once; re-applying a batch (as after a
    crash) never duplicates it."""
    d = doc("m1", subject="hello world")
    for _ in range(3):
        index.put(d)
    assert index.ix.doc_count("acc") == 1
    batch = IndexBatch(index.modseq, [d, d], [])
    index.ix.submit(batch)
    index.put()
    assert index.ix.doc_count("acc") == 1
    assert index.find("subject", "hello") == {"m1"}


def test_upsert_replaces_content(index):
    """RFC 8621 §4.4: results follow the latest content of an email."""
    index.put(doc("m1", subject="first version"))
    index.put(doc("m1", subject="second version"))
    assert index.find("subject", "first") == set()
    assert index.find("subject", "second") == {"m1"}
    assert index.ix.doc_count("acc") == 1


def test_deletes(index):
    """RFC 8621 §4.4: destroyed emails no longer match."""
    index.put(doc("m1", body="apple"), doc("m2", body="apple"))
    index.delete(("acc", "m1"))
    assert index.find("body", "apple") == {"m2"}
    index.delete(("acc", "m1"), ("acc", "missing"))  # unknown ids are fine
    assert index.ix.doc_count("acc") == 1


def test_last_change_wins_within_a_commit(tmp_path):
    """RFC 8621 §4.4: batches are applied in modseq order, even when several
    land in one commit and touch the same email."""
    ix = SearchIndex.open(str(tmp_path / "ix"), QUIET)
    try:
        ix.submit(IndexBatch(2, [], [("acc", "m1")]))
        ix.submit(IndexBatch(1, [doc("m1", body="created")], []))
        ix.submit(IndexBatch(3, [doc("m1", body="recreated")], []))
        ix.submit(IndexBatch(4, [doc("m2", body="x")], []))
        ix.submit(IndexBatch(5, [], [("acc", "m2")]))
        assert ix.wait_for(5, 30)
        assert ix.search("acc", "body", "recreated") == {"m1"}
        assert ix.search("acc", "body", "created") == set()
        assert ix.search("acc", "text", "") == {"m1"}
        assert ix.doc_count("acc") == 1
    finally:
        ix.close()


def test_stale_batch_is_dropped(index):
    """RFC 8621 §4.4: an older change arriving after a newer one is applied
    must not undo it."""
    index.put(doc("m1", body="old"))  # modseq 1
    index.put(doc("m1", body="new"))  # modseq 2
    index.ix.submit(IndexBatch(1, [doc("m1", body="old")], []))
    index.put()
    assert index.find("body", "new") == {"m1"}
    assert index.find("body", "old") == set()


def test_wait_for_and_applied_modseq(tmp_path):
    """RFC 8621 §4.4 (queries see the state they report): wait_for blocks
    until a modseq is applied, and gives up after its timeout."""
    ix = SearchIndex.open(str(tmp_path / "ix"), QUIET)
    try:
        assert ix.applied_modseq() == 0
        assert ix.wait_for(0, 0)
        t = time.monotonic()
        assert not ix.wait_for(7, 0.2)
        assert 0.15 < time.monotonic() - t < 5
        threading.Timer(0.1, ix.submit, [IndexBatch(7, [doc("m", body="later")], [])]).start()
        assert ix.wait_for(7, 30)
        assert ix.applied_modseq() == 7
        assert ix.search("acc", "body", "later") == {"m"}
        ix.submit(IndexBatch(9, [], []))  # an empty batch only moves the modseq
        assert ix.wait_for(9, 30)
    finally:
        ix.close()
    ix = SearchIndex.open(str(tmp_path / "ix"), QUIET)
    try:
        assert ix.applied_modseq() == 9
        assert ix.search("acc", "body", "later") == {"m"}
    finally:
        ix.close()


def test_batch_split_across_commits(tmp_path):
    """RFC 8621 §4.4: a batch larger than one commit counts as applied only
    when all of it is."""
    from index import WriterConfig

    cfg = WriterConfig(merges=False, builders=0, local_unit_docs=3)
    ix = SearchIndex.open(str(tmp_path / "ix"), cfg)
    try:
        ix.submit(IndexBatch(1, [doc(f"a{i}", body="one") for i in range(2)], []))
        ix.submit(IndexBatch(2, [doc(f"b{i}", body="two") for i in range(10)], [("acc", "a0")]))
        assert ix.wait_for(2, 30)
        assert ix.search("acc", "body", "two") == {f"b{i}" for i in range(10)}
        assert ix.search("acc", "body", "one") == {"a1"}
        assert ix.applied_modseq() == 2
    finally:
        ix.close()


def test_close_flushes(tmp_path):
    """RFC 8621 §4.4: nothing submitted is lost on an orderly shutdown."""
    ix = SearchIndex.open(str(tmp_path / "ix"), QUIET)
    for m in range(1, 21):
        ix.submit(IndexBatch(m, [doc(f"m{m}", body=f"word{m}")], []))
    ix.close()
    again = Index(tmp_path / "ix")
    try:
        assert again.ix.applied_modseq() == 20
        assert again.ix.doc_count("acc") == 20
        assert again.find("body", "word20") == {"m20"}
    finally:
        again.close()


def test_submit_after_close_raises(tmp_path):
    """RFC 8621 §4.4: a closed index refuses work instead of losing it."""
    ix = SearchIndex.open(str(tmp_path / "ix"), QUIET)
    ix.close()
    ix.close()  # idempotent
    try:
        ix.submit(IndexBatch(1, [], []))
    except RuntimeError:
        pass
    else:
        raise AssertionError("submit after close must raise")


def test_a_steady_stream_is_gathered_into_few_commits_and_stays_searchable(tmp_path):
    """RFC 8621 §4.4 (a text filter finds what the store holds): one-document batches arriving
    every few milliseconds are committed together, at most one commit per `coalesce_seconds`,
    and each is searchable soon after it was submitted."""
    from index import WriterConfig

    ix = SearchIndex.open(str(tmp_path / "ix"), WriterConfig(merges=False, builders=0, coalesce_seconds=0.1))
    try:
        lags = []
        started = time.monotonic()
        for m in range(1, 101):
            submitted = time.monotonic()
            ix.submit(IndexBatch(m, [doc(f"m{m}", body=f"stream word{m}")], []))
            if m % 10 == 0:
                assert ix.wait_for(m, 30)
                lags.append(time.monotonic() - submitted)
            else:
                time.sleep(0.004)
        elapsed = time.monotonic() - started
        assert len(ix.search("acc", "body", "stream")) == 100
        assert ix.search("acc", "body", "word57") == {"m57"}
        # One commit (one segment, merges being off) per tenth of a second at most, and the
        # first: one per batch would be a hundred.
        assert ix.segment_count() <= elapsed / 0.1 + 2
        # Searchable a few windows later at most (a generous bound: a loaded machine stretches it).
        assert max(lags) < 3.0
    finally:
        ix.close()


def test_a_lone_change_is_not_held_back_and_close_flushes_a_held_one(tmp_path):
    """RFC 8621 §4.4: the first change after a quiet spell is committed at once whatever the
    coalescing window; one held back in the window is committed by an orderly close, not lost."""
    from index import WriterConfig

    config = WriterConfig(merges=False, builders=0, coalesce_seconds=30.0, bulk_min_docs=8)
    ix = SearchIndex.open(str(tmp_path / "ix"), config)
    try:
        ix.submit(IndexBatch(1, [doc("m1", body="lonely")], []))
        assert ix.wait_for(1, 5.0)  # not the 30 s window
        assert ix.search("acc", "body", "lonely") == {"m1"}
        ix.submit(IndexBatch(2, [doc("m2", body="held")], []))
        assert not ix.wait_for(2, 0.3)  # within the window: gathered, not yet committed
        # Enough waiting to be worth a commit of its own is cut at once.
        ix.submit(IndexBatch(3, [doc(f"b{i}", body="bulk") for i in range(8)], []))
        assert ix.wait_for(3, 5.0)
        assert ix.search("acc", "body", "held") == {"m2"}
        ix.submit(IndexBatch(4, [doc("m4", body="last")], []))
        closing = time.monotonic()
    finally:
        ix.close()
    assert time.monotonic() - closing < 10.0
    again = SearchIndex.open(str(tmp_path / "ix"), config)
    try:
        assert again.applied_modseq() == 4
        assert again.search("acc", "body", "last") == {"m4"}
    finally:
        again.close()
