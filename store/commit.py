"""Group commit: concurrent writers share one durable LMDB commit.

A durable commit waits for the disk (milliseconds), and LMDB has a single writer, so writers that
each commit alone queue behind each other's disk flushes. Here one committer thread takes every
write waiting, runs each in a nested transaction of one outer transaction, and commits once. Each
write still succeeds or fails alone: a write that raises has its nested transaction aborted and
gets its exception back, while the others commit.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import lmdb

from .txn import WriteTxn

MAX_GROUP = 64
#: How long the committer waits for a group as large as the largest of its last few to gather.
#: Each commit costs the same two disk syncs and most of the same pages however many writes it
#: holds, so writers that keep coming together (mail delivered over several connections) are kept
#: together; a lone writer (recent groups held one) is never made to wait. Once every
#: GATHER_MEMORY commits, writers that come together are waited for one more of, so that groups
#: grow to as many as keep coming (rather than settle at two halves taking turns).
GATHER_SECONDS = 0.002
GATHER_MEMORY = 16  # groups
log = logging.getLogger("store")


@dataclass(eq=False)
class _Pending:
    fn: Callable[[WriteTxn], Any]
    done: threading.Event | None = None  # set when the write is durable (or failed), for `write`
    then: Callable[[Any, BaseException | None], None] | None = None  # or told so, for `submit`
    result: Any = None
    error: BaseException | None = None

    def finish(self) -> None:
        if self.then is None:
            self.done.set()
            return
        try:
            self.then(self.result, self.error)
        except Exception:  # the writer goes on whatever a caller's callback does
            log.exception("a store write's callback failed")


class GroupCommitter:
    def __init__(self, env: lmdb.Environment, dbs: dict[str, object], grow: Callable[[], None],
                 committed: Callable[[set[tuple[str, str]]], None]):
        self.env = env
        self.dbs = dbs
        self.grow = grow
        self.committed = committed
        self._queue: list[_Pending] = []
        self._cv = threading.Condition()
        self._closing = False
        self._recent_groups: collections.deque[int] = collections.deque([1], maxlen=GATHER_MEMORY)
        self._commits = 0
        self._thread = threading.Thread(target=self._run, name="jmapd-store-writer", daemon=True)
        self._thread.start()

    def write(self, fn: Callable[[WriteTxn], Any]) -> Any:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a store write cannot start another store write")
        pending = _Pending(fn, done=threading.Event())
        self._enqueue(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.result

    def submit(self, fn: Callable[[WriteTxn], Any], then: Callable[[Any, BaseException | None], None]) -> None:
        """Queue a write without waiting for it: `then(result, error)` is called on the committer's
        thread once it is durable (error None) or has failed."""
        self._enqueue(_Pending(fn, then=then))

    def _enqueue(self, pending: _Pending) -> None:
        with self._cv:
            if self._closing:
                raise RuntimeError("the store is closed")
            self._queue.append(pending)
            self._cv.notify()

    def close(self) -> None:
        with self._cv:
            self._closing = True
            self._cv.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._closing:
                    self._cv.wait()
                if not self._queue:
                    return
                expected = max(self._recent_groups)
                self._commits += 1
                if expected > 1 and self._commits % GATHER_MEMORY == 0:
                    expected += 1
                if len(self._queue) < expected:
                    deadline = time.monotonic() + GATHER_SECONDS
                    while len(self._queue) < expected and not self._closing:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        self._cv.wait(left)
                group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
            self._recent_groups.append(len(group))
            self._commit(group)

    def _commit(self, group: list[_Pending]) -> None:
        while True:
            touched: set[tuple[str, str]] = set()
            callbacks: list[Callable[[], None]] = []
            try:
                txn = self.env.begin(write=True)
            except lmdb.MapResizedError:  # another process (an import, say) grew the map
                self.env.set_mapsize(0)
                continue
            try:
                for pending in group:
                    pending.result, pending.error = None, None
                    child = self.env.begin(write=True, parent=txn)
                    wtxn = WriteTxn(child, self.dbs, self.env)
                    try:
                        pending.result = pending.fn(wtxn)
                        wtxn.finish()
                        child.commit()
                        touched |= wtxn.touched
                        callbacks.extend(wtxn.on_commit)
                    except lmdb.MapFullError:
                        child.abort()
                        raise
                    except BaseException as exc:  # this write alone fails
                        child.abort()
                        pending.error = exc
                txn.commit()
            except lmdb.MapFullError:
                txn.abort()
                self.grow()
                continue  # rerun the whole group in a larger map
            except BaseException as exc:  # the commit itself failed: nothing of the group happened
                txn.abort()
                for pending in group:
                    pending.result, pending.error = None, exc
                    pending.finish()
                return
            break
        for callback in callbacks:
            try:
                callback()
            except Exception:  # nor must a callback's
                log.exception("a store commit callback failed")
        if touched:
            try:
                self.committed(touched)
            except Exception:  # a listener's failure must not lose the writers' results
                pass
        for pending in group:
            pending.finish()
