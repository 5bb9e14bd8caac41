"""The data folder's layout version and migrations: upgrades never silently lose or misread data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import lmdb
import pytest

from store import SchemaError, Store
from store.blobs import put_blob, read_blob
from store.records import Mailbox
from store.schema import CURRENT_VERSION, Migration, registry

ROOT = Path(__file__).resolve().parents[2]


def write_mailbox(store: Store, name: str) -> None:
    store.write(lambda txn: txn.create("acct", "Mailbox", name, Mailbox(name=name)))


def test_fresh_folder_gets_current_version(tmp_path):
    store = Store.open(str(tmp_path))
    store.close()
    assert Store.open(str(tmp_path)).migrations_run == []


def test_older_layout_is_backed_up_then_migrated(tmp_path):
    """An older folder is copied to backups/ first, then each registered step runs once, in order."""
    store = Store.open(str(tmp_path), current_version=1)
    write_mailbox(store, "old")
    store.close()

    def rename(txn, dbs):
        key = b"acct\x00Mailbox\x00old"
        raw = txn.get(key, db=dbs["records"])
        txn.put(b"acct\x00Mailbox\x00new", raw, db=dbs["records"])
        txn.delete(key, db=dbs["records"])

    steps = registry(Migration(1, "rename", rename), Migration(2, "noop", lambda txn, dbs: None))
    store = Store.open(str(tmp_path), current_version=3, migrations=steps)
    assert store.migrations_run == ["v1 -> v2: rename", "v2 -> v3: noop"]
    with store.read() as txn:
        assert txn.get("acct", "Mailbox", "new", Mailbox).name == "old"
        assert txn.get("acct", "Mailbox", "old", Mailbox) is None
    store.close()
    backups = os.listdir(tmp_path / "backups")
    assert len(backups) == 1 and backups[0].startswith("store-v1-")
    env = lmdb.open(str(tmp_path / "backups" / backups[0]), max_dbs=64, readonly=True)
    with env.begin() as txn:
        records = env.open_db(b"records", txn=txn, create=False)
        assert txn.get(b"acct\x00Mailbox\x00old", db=records) is not None
    env.close()
    # running again does nothing more
    assert Store.open(str(tmp_path), current_version=3, migrations=steps).migrations_run == []


def test_failed_migration_leaves_data_readable_by_old_version(tmp_path):
    """A step that fails aborts its transaction: the folder stays at the old version, data intact."""
    store = Store.open(str(tmp_path), current_version=1)
    write_mailbox(store, "keep")
    store.close()

    def boom(txn, dbs):
        txn.delete(b"acct\x00Mailbox\x00keep", db=dbs["records"])
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        Store.open(str(tmp_path), current_version=2, migrations=registry(Migration(1, "boom", boom)))
    store = Store.open(str(tmp_path), current_version=1)
    with store.read() as txn:
        assert txn.get("acct", "Mailbox", "keep", Mailbox) is not None


def test_newer_layout_is_refused(tmp_path):
    """A folder written by a newer jmapd is refused with a clear message, never misread."""
    newer = CURRENT_VERSION + 1
    Store.open(str(tmp_path), current_version=newer, migrations=registry(
        *[Migration(v, "x", lambda t, d: None) for v in range(1, newer)])).close()
    with pytest.raises(SchemaError, match="newer jmapd"):
        Store.open(str(tmp_path))


def test_missing_migration_is_refused(tmp_path):
    Store.open(str(tmp_path), current_version=1).close()
    with pytest.raises(SchemaError, match="no migration"):
        Store.open(str(tmp_path), current_version=2, migrations={})


def test_foreign_lmdb_is_refused(tmp_path):
    """An LMDB environment that jmapd did not write is not taken over."""
    os.makedirs(tmp_path / "store")
    env = lmdb.open(str(tmp_path / "store"), max_dbs=4)
    with env.begin(write=True) as txn:
        txn.put(b"someone", b"else's data")
    env.close()
    with pytest.raises(SchemaError, match="not written by jmapd"):
        Store.open(str(tmp_path))


def test_map_grows_when_full(tmp_path):
    """LMDB refuses a write that does not fit the map; the store grows the map and retries."""
    store = Store.open(str(tmp_path), map_size=1 << 20)
    data = os.urandom(3 << 20)
    blob_id, _ = store.write(lambda txn: put_blob(txn, "acct", data, "application/octet-stream"))
    with store.read() as txn:
        assert read_blob(txn, "acct", blob_id) == data
    assert store.env.info()["map_size"] > 1 << 20


def test_map_grown_by_another_process(tmp_path):
    """Another process sharing the folder (`jmapd import` beside the server) grows the map; this
    process's next write adopts the larger map instead of its writer failing for good."""
    store = Store.open(str(tmp_path), map_size=1 << 20)
    store.write(lambda txn: put_blob(txn, "acct", b"first", "text/plain"))
    grow = ("import os, sys; from store import Store; from store.blobs import put_blob; "
            "s = Store.open(sys.argv[1], map_size=1 << 20); "
            "s.write(lambda t: put_blob(t, 'acct', os.urandom(3 << 20), 'application/octet-stream')); s.close()")
    subprocess.run([sys.executable, "-c", grow, str(tmp_path)], check=True, cwd=ROOT)
    blob_id, _ = store.write(lambda txn: put_blob(txn, "acct", b"after", "text/plain"))
    with store.read() as txn:
        assert read_blob(txn, "acct", blob_id) == b"after"
    assert store.env.info()["map_size"] > 1 << 20
    store.close()


def test_layout_1_mailbox_counters_become_records(tmp_path):
    """The v1 -> v2 step: per-property mailbox counters become one MailboxCounts record each, the old
    counters disappear, other counters stay, and a backup of the v1 folder is kept."""
    from jmapd.mail.counts import read_counts

    store = Store.open(str(tmp_path), current_version=1, migrations={})

    def v1_counters(txn):
        for prop, value in (("totalEmails", 7), ("unreadEmails", 3), ("totalThreads", 5), ("unreadThreads", 2)):
            txn.bump("acct", f"mbox:M1:{prop}", value)
        txn.bump("acct", "mbox:M2:totalEmails", 1)
        txn.bump("acct", "modseq", 42)

    store.write(v1_counters)
    store.close()
    store = Store.open(str(tmp_path), current_version=2)
    assert store.migrations_run == ["v1 -> v2: mailbox counts kept as one record per mailbox"]
    with store.read() as txn:
        assert read_counts(txn, "acct", "M1") == {"totalEmails": 7, "unreadEmails": 3, "totalThreads": 5,
                                                   "unreadThreads": 2}
        assert read_counts(txn, "acct", "M2")["totalEmails"] == 1
        assert txn.counter("acct", "mbox:M1:totalEmails") == 0
        assert txn.counter("acct", "modseq") == 42
    assert any(name.startswith("store-v1-") for name in os.listdir(tmp_path / "backups"))
