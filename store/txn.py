"""Read and write transactions over records, change logs and counters.

Every change to a record goes through `WriteTxn.create/update/destroy`, which append to the type's
change log in the same LMDB transaction. That is what makes /changes exact: a record cannot change
without the log knowing, and a crash cannot separate the two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import lmdb

from . import keys
from .codec import decode, encode, from_u64, u64
from .records import CREATED, DESTROYED, UPDATED, Change

T = TypeVar("T")

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode_counter(n: int) -> str:
    """Short base-36 ids: ids travel in every response, so their length is paid for many times."""
    digits = []
    while True:
        n, r = divmod(n, 36)
        digits.append(_ID_ALPHABET[r])
        if n == 0:
            return "".join(reversed(digits))


class ReadTxn:
    def __init__(self, txn: lmdb.Transaction, dbs: dict[str, object]):
        self.txn = txn
        self.dbs = dbs

    # -- records ---------------------------------------------------------------------------------
    def get(self, account_id: str, kind: str, record_id: str, record_type: type[T]) -> T | None:
        raw = self.txn.get(keys.record(account_id, kind, record_id), db=self.dbs["records"])
        return None if raw is None else decode(raw, record_type)

    def exists(self, account_id: str, kind: str, record_id: str) -> bool:
        return self.txn.get(keys.record(account_id, kind, record_id), db=self.dbs["records"]) is not None

    def scan(self, account_id: str, kind: str, record_type: type[T]) -> Iterator[tuple[str, T]]:
        """Every record of one type in one account, in id byte order."""
        p = keys.prefix(account_id, kind)
        n = len(p)
        with self.txn.cursor(db=self.dbs["records"]) as cur:
            if not cur.set_range(p):
                return
            for key, value in cur:
                if not key.startswith(p):
                    break
                yield key[n:].decode(), decode(value, record_type)

    # -- change log --------------------------------------------------------------------------------
    def state(self, account_id: str, kind: str) -> int:
        """The modseq of the newest change of this type: the JMAP state of the type."""
        return self.counter(account_id, "state:" + kind)

    def states(self, account_id: str) -> dict[str, int]:
        """The state of every type the account has changed, by type name."""
        p = keys.counter(account_id, "state:")
        n = len(p)
        out: dict[str, int] = {}
        with self.txn.cursor(db=self.dbs["counters"]) as cur:
            if not cur.set_range(p):
                return out
            for key, value in cur:
                if not key.startswith(p):
                    break
                out[key[n:].decode()] = from_u64(value)
        return out

    def changes_since(self, account_id: str, kind: str, since: int) -> Iterator[tuple[int, Change]]:
        """Log entries with modseq greater than `since`, oldest first."""
        p = keys.prefix(account_id, kind)
        n = len(p)
        with self.txn.cursor(db=self.dbs["changes"]) as cur:
            if not cur.set_range(p + u64(since + 1)):
                return
            for key, value in cur:
                if not key.startswith(p):
                    break
                yield from_u64(key[n:]), decode(value, Change)

    def log_floor(self, account_id: str, kind: str) -> int:
        """Changes at or before this modseq are no longer in the log (0 while nothing was pruned)."""
        return self.counter(account_id, "floor:" + kind)

    def counter(self, account_id: str, name: str) -> int:
        raw = self.txn.get(keys.counter(account_id, name), db=self.dbs["counters"])
        return 0 if raw is None else from_u64(raw)


class WriteTxn(ReadTxn):
    def __init__(self, txn: lmdb.Transaction, dbs: dict[str, object], env: lmdb.Environment):
        super().__init__(txn, dbs)
        self.env = env
        # (account_id, kind) pairs whose state moved: announced to push listeners after commit.
        self.touched: set[tuple[str, str]] = set()
        # Count-only updates, logged once per record at commit however often they happened.
        self.pending_touches: dict[tuple[str, str, str], set[str]] = {}
        # Per-transaction memo for derived lookups (e.g. which mailbox is the trash).
        self.memo: dict[object, object] = {}
        # Counters as this transaction has set them, written once by finish().
        # Every change bumps a few of them (modseq, the type's state, ids, totals), so an import
        # of a hundred messages would otherwise read and rewrite the same keys hundreds of times.
        self._counters: dict[bytes, int] = {}
        # Run once the transaction is durably committed, before listeners hear of it.
        self.on_commit: list[Callable[[], None]] = []

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Have `fn` called once this transaction is durably committed, before the store's listeners
        are told of the commit; never if it is not (a savepoint that raises drops what it added)."""
        self.on_commit.append(fn)

    @contextmanager
    def savepoint(self) -> Iterator["WriteTxn"]:
        """A nested transaction: if the block raises, its writes vanish and the outer ones stay.

        One /set applies many records in one commit; a record rejected halfway must leave no trace
        (RFC 8620 §5.3: never commit part of an update to a single record).
        """
        parent = self.txn
        child = self.env.begin(write=True, parent=parent)
        self.txn = child
        touches = {key: set(props) for key, props in self.pending_touches.items()}
        touched = set(self.touched)
        counters = dict(self._counters)
        callbacks = len(self.on_commit)
        try:
            yield self
        except BaseException:
            child.abort()
            self.pending_touches = touches
            self.touched = touched
            self._counters = counters
            del self.on_commit[callbacks:]
            self.memo.clear()
            raise
        else:
            child.commit()
        finally:
            self.txn = parent

    # -- counters, written back by finish() -------------------------------------------------------
    def counter(self, account_id: str, name: str) -> int:
        key = keys.counter(account_id, name)
        if key in self._counters:
            return self._counters[key]
        raw = self.txn.get(key, db=self.dbs["counters"])
        return 0 if raw is None else from_u64(raw)

    def states(self, account_id: str) -> dict[str, int]:
        out = super().states(account_id)
        p = keys.counter(account_id, "state:")
        out.update((key[len(p):].decode(), value) for key, value in self._counters.items() if key.startswith(p))
        return out

    def bump(self, account_id: str, name: str, by: int = 1) -> int:
        value = self.counter(account_id, name) + by
        self._counters[keys.counter(account_id, name)] = value
        return value

    def new_id(self, account_id: str, kind: str, prefix: str) -> str:
        return prefix + encode_counter(self.bump(account_id, "id:" + kind))

    def _log(self, account_id: str, kind: str, record_id: str, what: int, props: list[str] | None) -> int:
        modseq = self.bump(account_id, "modseq")
        self.txn.put(
            keys.change(account_id, kind, modseq), encode(Change(record_id, what, props)), db=self.dbs["changes"]
        )
        self._counters[keys.counter(account_id, "state:" + kind)] = modseq
        self.touched.add((account_id, kind))
        return modseq

    def note_state(self, account_id: str, kind: str) -> None:
        """Move a state that has no change log of its own (RFC 8621 §1.5 EmailDelivery): pushed to
        clients like any other, read by no /changes. It takes the modseq of this transaction's latest
        change, so it never runs ahead of the account's real states."""
        self._counters[keys.counter(account_id, "state:" + kind)] = self.counter(account_id, "modseq")
        self.touched.add((account_id, kind))

    def create(self, account_id: str, kind: str, record_id: str, record: object) -> None:
        self.txn.put(keys.record(account_id, kind, record_id), encode(record), db=self.dbs["records"])
        self._log(account_id, kind, record_id, CREATED, None)

    def update(
        self, account_id: str, kind: str, record_id: str, record: object, props: list[str] | None = None
    ) -> None:
        self.txn.put(keys.record(account_id, kind, record_id), encode(record), db=self.dbs["records"])
        self._log(account_id, kind, record_id, UPDATED, props)

    def put_unlogged(self, account_id: str, kind: str, record_id: str, record: object) -> None:
        """Derived bookkeeping that no client sees as an object of its own (e.g. thread statistics)."""
        self.txn.put(keys.record(account_id, kind, record_id), encode(record), db=self.dbs["records"])

    def delete_unlogged(self, account_id: str, kind: str, record_id: str) -> None:
        self.txn.delete(keys.record(account_id, kind, record_id), db=self.dbs["records"])

    def touch(self, account_id: str, kind: str, record_id: str, props: list[str]) -> None:
        """Note that derived properties of a record changed (e.g. mailbox counts).

        Logged once per record when the transaction ends, so importing a thousand messages into a
        mailbox adds one Mailbox change, not a thousand.
        """
        self.pending_touches.setdefault((account_id, kind, record_id), set()).update(props)

    def finish(self) -> None:
        """Log the pending touches and write the counters back: the last step before commit."""
        for (account_id, kind, record_id), props in self.pending_touches.items():
            if self.exists(account_id, kind, record_id):
                self._log(account_id, kind, record_id, UPDATED, sorted(props))
        self.pending_touches.clear()
        db = self.dbs["counters"]
        for key, value in self._counters.items():
            self.txn.put(key, u64(value), db=db)
        self._counters.clear()

    def destroy(self, account_id: str, kind: str, record_id: str) -> None:
        self.txn.delete(keys.record(account_id, kind, record_id), db=self.dbs["records"])
        self._log(account_id, kind, record_id, DESTROYED, None)
