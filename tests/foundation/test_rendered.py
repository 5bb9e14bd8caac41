"""/get answers kept between requests (jmapd.rendered) stay exact for every reader's snapshot.

RFC 8620 §5.1: /get returns the records as they are at the state it reports. A kept rendering is
only usable when it is the record at the reader's own state: these tests read at states before,
at and after the kept ones, on a real LMDB store, with records changed through the logged
transactions every writer uses.
"""

from __future__ import annotations

import msgspec
import pytest

from jmapd.methods.cache.rendered import RenderedRecords
from store import Store
from store.records import Mailbox

ACCOUNT, KIND, PROPS = "acct", "Mailbox", ("id", "name")


@pytest.fixture
def store(tmp_path):
    s = Store.open(str(tmp_path))
    yield s
    s.close()


def put(store: Store, record_id: str, name: str, *, create: bool = False) -> None:
    op = "create" if create else "update"
    store.write(lambda txn: getattr(txn, op)(ACCOUNT, KIND, record_id, Mailbox(name=name)))


class Counting:
    """Renders records as /get would, counting how often it had to."""

    def __init__(self):
        self.rendered = 0

    def __call__(self):
        def render(record_id, record):
            self.rendered += 1
            return {"id": record_id, "name": record.name}
        return render


def answer(kept: RenderedRecords, txn, ids, renderer=None):
    state = txn.state(ACCOUNT, KIND)
    raw = kept.answers(txn, ACCOUNT, KIND, PROPS, state, ids,
                       load=lambda i: txn.get(ACCOUNT, KIND, i, Mailbox), renderer=renderer or Counting())
    return [None if r is None else msgspec.json.decode(r) for r in raw]


def test_kept_answer_is_reused_until_the_record_changes(store):
    """A second /get at the same state renders nothing; after an update, the new name is answered."""
    put(store, "m1", "Inbox", create=True)
    kept, renders = RenderedRecords(), Counting()
    with store.read() as txn:
        assert answer(kept, txn, ["m1"], renders) == [{"id": "m1", "name": "Inbox"}]
    with store.read() as txn:
        assert answer(kept, txn, ["m1"], renders) == [{"id": "m1", "name": "Inbox"}]
    assert renders.rendered == 1
    put(store, "m1", "Renamed")
    with store.read() as txn:
        assert answer(kept, txn, ["m1"], renders) == [{"id": "m1", "name": "Renamed"}]
    assert renders.rendered == 2


def test_reader_behind_gets_its_own_snapshot(store):
    """A transaction opened before a change answers the record as it was at its state, even after a
    newer reader kept the new rendering."""
    put(store, "m1", "Old", create=True)
    kept = RenderedRecords()
    with store.read() as old_txn:
        put(store, "m1", "New")
        with store.read() as new_txn:
            assert answer(kept, new_txn, ["m1"]) == [{"id": "m1", "name": "New"}]
        assert answer(kept, old_txn, ["m1"]) == [{"id": "m1", "name": "Old"}]
    with store.read() as txn:
        assert answer(kept, txn, ["m1"]) == [{"id": "m1", "name": "New"}]


def test_missing_and_destroyed_records_are_none(store):
    """RFC 8620 §5.1 notFound: an unknown id, an unresolved creation id and a destroyed record."""
    put(store, "m1", "A", create=True)
    put(store, "m2", "B", create=True)
    kept = RenderedRecords()
    with store.read() as txn:
        assert answer(kept, txn, ["m1", "m2", "nope", None]) == [
            {"id": "m1", "name": "A"}, {"id": "m2", "name": "B"}, None, None]
    store.write(lambda txn: txn.destroy(ACCOUNT, KIND, "m2"))
    with store.read() as txn:
        assert answer(kept, txn, ["m1", "m2"]) == [{"id": "m1", "name": "A"}, None]


def test_many_changes_drop_everything_and_stay_exact(store):
    """Past max_changes the log is not read: every entry goes, and answers are rendered afresh."""
    for i in range(5):
        put(store, f"m{i}", f"v0-{i}", create=True)
    kept, renders = RenderedRecords(max_changes=2), Counting()
    ids = [f"m{i}" for i in range(5)]
    with store.read() as txn:
        answer(kept, txn, ids, renders)
    for i in range(4):
        put(store, f"m{i}", f"v1-{i}")
    with store.read() as txn:
        got = answer(kept, txn, ids, renders)
    assert [g["name"] for g in got] == ["v1-0", "v1-1", "v1-2", "v1-3", "v0-4"]
    assert renders.rendered == 10


def test_entry_limit_bounds_memory(store):
    """Past max_entries everything kept is dropped; answers stay right."""
    for i in range(6):
        put(store, f"m{i}", f"n{i}", create=True)
    kept = RenderedRecords(max_entries=4)
    with store.read() as txn:
        got = answer(kept, txn, [f"m{i}" for i in range(6)])
    assert [g["name"] for g in got] == [f"n{i}" for i in range(6)]
    assert kept._size <= 4
    with store.read() as txn:
        assert answer(kept, txn, ["m5"]) == [{"id": "m5", "name": "n5"}]
