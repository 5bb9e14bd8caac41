"""Counters (states, modseqs, id sequences, totals) as a write transaction holds them until commit.

A write keeps the counters it bumps in memory and writes them once at the end; these tests hold it
to the same answers as writing each bump through: what the write itself reads, what survives a
savepoint that fails, and what a failed write leaves behind.
"""

from __future__ import annotations

import pytest

from store import Store
from store.records import Mailbox


@pytest.fixture
def store(tmp_path):
    s = Store.open(str(tmp_path))
    yield s
    s.close()


def test_a_write_reads_its_own_counters_and_they_survive_the_commit(store):
    """RFC 8620 §5.1: the state string changes whenever the data changes; a method that created a
    record reports the new state in the same response, so the write must read its own bumps."""
    def work(txn):
        before = txn.state("acct", "Mailbox")
        txn.create("acct", "Mailbox", "m1", Mailbox(name="one"))
        txn.create("acct", "Mailbox", "m2", Mailbox(name="two"))
        return before, txn.state("acct", "Mailbox"), txn.states("acct"), txn.new_id("acct", "Mailbox", "M")

    before, after, states, new_id = store.write(work)
    assert before == 0 and after == 2
    assert states == {"Mailbox": 2}
    assert new_id == "M1"
    with store.read() as txn:
        assert txn.state("acct", "Mailbox") == 2
        assert txn.states("acct") == {"Mailbox": 2}
        assert [m for m, _ in txn.changes_since("acct", "Mailbox", 0)] == [1, 2]
    assert store.write(lambda txn: txn.new_id("acct", "Mailbox", "M")) == "M2"


def test_a_failed_savepoint_takes_its_counters_back(store):
    """RFC 8620 §5.3: a create that fails leaves no trace, so the state it would have moved stays."""
    def work(txn):
        txn.create("acct", "Mailbox", "kept", Mailbox(name="kept"))
        with pytest.raises(ValueError):
            with txn.savepoint():
                txn.create("acct", "Mailbox", "lost", Mailbox(name="lost"))
                txn.bump("acct", "count:Mailbox", 5)
                raise ValueError("rejected")
        return txn.state("acct", "Mailbox"), txn.counter("acct", "count:Mailbox")

    assert store.write(work) == (1, 0)
    with store.read() as txn:
        assert txn.state("acct", "Mailbox") == 1
        assert txn.get("acct", "Mailbox", "lost", Mailbox) is None
        assert [c.id for _, c in txn.changes_since("acct", "Mailbox", 0)] == ["kept"]


def test_a_write_that_raises_leaves_no_counter_behind(store):
    """A write that fails as a whole commits nothing, its counters included (RFC 8620 §5.3)."""
    store.write(lambda txn: txn.create("acct", "Mailbox", "m1", Mailbox(name="one")))

    def failing(txn):
        txn.create("acct", "Mailbox", "m2", Mailbox(name="two"))
        txn.bump("acct", "count:Mailbox")
        raise RuntimeError("broken")

    with pytest.raises(RuntimeError):
        store.write(failing)
    with store.read() as txn:
        assert txn.state("acct", "Mailbox") == 1
        assert txn.counter("acct", "count:Mailbox") == 0



def test_after_commit_runs_once_committed_and_before_listeners_only_for_what_committed(store):
    """RFC 8620 §7 (push follows commits): what a write asks to run after its commit runs once the
    commit is durable and before the store's listeners hear of it; a savepoint that fails, or a
    write that raises, takes its callbacks back with its changes."""
    events = []
    store.add_listener(lambda touched: events.append("listener"))

    def work(txn):
        txn.create("acct", "Mailbox", "m1", Mailbox(name="one"))
        txn.after_commit(lambda: events.append(("kept", store_has("m1"))))
        with pytest.raises(ValueError):
            with txn.savepoint():
                txn.after_commit(lambda: events.append("from a failed savepoint"))
                raise ValueError("rejected")
        assert events == []  # nothing runs before the commit

    def store_has(mailbox_id):
        with store.read() as txn:
            return txn.get("acct", "Mailbox", mailbox_id, Mailbox) is not None

    def failing(txn):
        txn.after_commit(lambda: events.append("from a failed write"))
        raise RuntimeError("broken")

    store.write(work)
    with pytest.raises(RuntimeError):
        store.write(failing)
    assert events == [("kept", True), "listener"]


def test_an_awaited_write_is_durable_when_it_returns_and_fails_alone(store):
    """RFC 8620 §5.3 (a change is made whole or not at all): a write awaited from a coroutine
    returns once its commit is done (another transaction then sees it), concurrent ones share
    commits yet succeed or fail alone, and what a failing one raises reaches its awaiter."""
    import asyncio

    def create(mailbox_id):
        def work(txn):
            txn.create("acct", "Mailbox", mailbox_id, Mailbox(name=mailbox_id))
            return mailbox_id
        return work

    def failing(txn):
        txn.create("acct", "Mailbox", "never", Mailbox(name="never"))
        raise RuntimeError("broken")

    async def main():
        results = await asyncio.gather(*(store.write_async(create(f"m{n}")) for n in range(20)),
                                       store.write_async(failing), return_exceptions=True)
        with store.read() as txn:
            seen = {n: txn.get("acct", "Mailbox", f"m{n}", Mailbox) is not None for n in range(20)}
            never = txn.get("acct", "Mailbox", "never", Mailbox)
        return results, seen, never

    results, seen, never = asyncio.run(main())
    assert results[:20] == [f"m{n}" for n in range(20)] and all(seen.values())
    assert isinstance(results[20], RuntimeError) and never is None


def test_writers_that_keep_coming_together_share_commits(store):
    """RFC 5321 §4.1.1.4 (mail is acknowledged once stored durably, so every delivery waits for a
    commit): four writers in step, each waiting for its last write before the next, mostly share
    their commits (each costs the disk syncs once), and each still gets its own result."""
    import threading

    commits = []
    store.add_listener(lambda touched: commits.append(len(touched)))
    results: dict[int, list[str]] = {}

    def writer(n: int) -> None:
        def work(txn, name):
            txn.create("acct", "Mailbox", name, Mailbox(name=name))
            return name
        results[n] = [store.write(lambda txn, i=i: work(txn, f"w{n}.{i}")) for i in range(40)]

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: [f"w{n}.{i}" for i in range(40)] for n in range(4)}
    assert len(commits) <= 64, len(commits)  # 160 writes; two halves taking turns would make 80
