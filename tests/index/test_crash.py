"""A SIGKILL in the middle of a bulk write loses nothing that the recorded
modseq claims, duplicates nothing, and re-submitting finishes the job
(RFC 8621 §4.4: query results must reflect the store's state)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from index import SearchIndex

from .conftest import QUIET
from .crash_child import batches, expected

N, PER = 40, 12
CHILD = os.path.join(os.path.dirname(__file__), "crash_child.py")


def _read_state(ix: SearchIndex) -> dict[str, int]:
    state: dict[str, int] = {}
    for m in range(1, N + 1):
        for eid in ix.search("acc", "body", f"v{m}"):
            assert eid not in state, f"{eid} present in two versions"
            state[eid] = m
    assert ix.doc_count("acc") == len(state), "duplicate documents"
    return state


def _prefix_states(stream, applied: int):
    for k in range(applied, N + 1):
        base = expected(stream, k)
        yield base
        if k < N:
            partial = dict(base)
            for d in stream[k].upserts:
                partial[d.email_id] = stream[k].modseq
                yield dict(partial)


def _recorded(path: str) -> int:
    try:
        with open(os.path.join(path, "applied_modseq")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def _kill_mid_write(path: str, after: int) -> None:
    child = subprocess.Popen([sys.executable, CHILD, path, str(N), str(PER)], stdout=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _recorded(path) < after:
            assert child.poll() is None, "child finished before it could be killed"
            assert time.monotonic() < deadline, "child made no progress"
            time.sleep(0.005)
        # Then the moment a build or a commit is under way: the index gathers a stream's batches
        # for a moment between commits, and a kill then would interrupt nothing.
        busy_until = time.monotonic() + 5
        while not _unfinished_work(path) and child.poll() is None and time.monotonic() < busy_until:
            time.sleep(0.001)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def test_sigkill_during_bulk_write(tmp_path):
    """RFC 8621 §4.4: after a crash the index holds exactly the batches up
    to some point at or after its recorded modseq, and catching up from the
    recorded modseq converges on the full state."""
    stream = batches(N, PER)
    path = str(tmp_path / "ix")
    interrupted = 0
    for after in (3, 15):
        _kill_mid_write(path, after)
        interrupted += _unfinished_work(path)
        # Open repairs leftovers (work directories, temporary files, locks).
        ix = SearchIndex.open(path, QUIET)
        try:
            applied = ix.applied_modseq()
            assert applied >= after
            state = _read_state(ix)
            # The index is the state after a prefix of the stream of changes
            # (whole batches, then maybe the first upserts of one split
            # across commits), no shorter than recorded; the record may lag.
            assert any(s == state for s in _prefix_states(stream, applied)), (
                f"index state matches no prefix at or after modseq {applied}"
            )
            if after == 15:
                for b in stream[applied:]:
                    ix.submit(b)
                assert ix.wait_for(N, 120)
                assert _read_state(ix) == expected(stream, N)
        finally:
            ix.close()
        assert not _unfinished_work(path)
    # The kills did land in the middle of writing (builds, a commit).
    assert interrupted


def _unfinished_work(path: str) -> int:
    try:  # (also read while the writer creates and removes what it lists)
        n = len(os.listdir(os.path.join(path, "work")))
    except FileNotFoundError:
        n = 0
    try:
        return n + sum(1 for name in os.listdir(path) if name.endswith((".tmp", ".pst", ".trm")))
    except FileNotFoundError:
        return n
