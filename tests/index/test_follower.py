"""A process that does not own the index reads what its owner commits (index.follower).

RFC 8621 §4.4: Email/query results reflect the state they report, whichever server process
answers. The follower here shares the directory with a live owner, as a second server worker does.
"""

from __future__ import annotations

import pytest

from index.follower import FollowedIndex, IndexNotReady

from .conftest import doc


def test_follower_sees_commits_deletions_and_merges(index):
    """New documents, deletions and a merge that deletes the segments the follower had open: the
    follower answers as the owner does after waiting for the owner's modseq."""
    index.put(doc("m1", subject="alpha one"))
    follower = FollowedIndex(str(index.path))
    try:
        assert follower.search("acc", "subject", "alpha") == {"m1"}
        for i in range(2, 6):
            index.put(doc(f"m{i}", subject=f"alpha number{i}"))
        modseq = index.delete(("acc", "m1"))
        assert follower.wait_for(modseq, 10)
        assert follower.search("acc", "subject", "alpha") == {"m2", "m3", "m4", "m5"}
        assert follower.segment_count() == index.ix.segment_count() > 1
        index.ix.optimize(timeout=60)  # one segment: the ones the follower read are deleted
        follower.refresh()
        assert follower.segment_count() == 1
        assert follower.search("acc", "subject", "number3") == {"m3"}
        assert follower.search("acc", "subject", "alpha") == index.find("subject", "alpha")
    finally:
        follower.close()


def test_follower_wait_for_times_out_while_owner_is_behind(index):
    """RFC 8621 §4.4 read-your-writes: waiting for a modseq the owner has not applied returns False
    after the timeout rather than answering as if it had."""
    modseq = index.put(doc("m1", body="x"))
    follower = FollowedIndex(str(index.path))
    try:
        assert follower.wait_for(modseq, 0)
        assert not follower.wait_for(modseq + 1, 0.1)
    finally:
        follower.close()


def test_follower_refuses_an_index_not_created_yet(tmp_path):
    """Before the owner has written the index's format record there is nothing to follow."""
    with pytest.raises(IndexNotReady):
        FollowedIndex(str(tmp_path / "nothing"))
