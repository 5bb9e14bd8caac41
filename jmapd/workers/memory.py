"""Keeping the server's memory close to what it uses.

glibc's malloc gives threads arenas of their own (up to eight per core), and an arena keeps what
was freed in it for reuse. The server's request threads pass large buffers through it (uploaded
messages, import batches, parsed bodies), so after a bulk import the process held ~50% more
memory than it used, spread over arenas no other thread would reuse. Two arenas keep the
contention low enough for the few threads that run Python at once (the GIL admits one), and
returning freed memory after a large import gives the rest back. Elsewhere than glibc, both are
no-ops.

The cycle collector is the other way memory and time are spent. Its full passes walk every object
the process tracks, holding the GIL throughout: under hostile requests (a decoded request of
100,000 comparators, a parsed message of 100,000 parts) a serving process ran a full pass every
few hundred milliseconds, each 60 to 200 ms long, and found nothing to free; every other user's
request waited behind each. A server process therefore freezes what it holds once started (the
modules, the application: never garbage) and leaves full passes to the trimmer's thread, at a
steady pace (`quiet_collector`); the young generations are still collected as Python does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time

from index.workers import retire_idle, trim_heap

_M_ARENA_MAX = -8


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 - glibc has it; other C libraries may not
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


def limit_arenas(count: int = 2) -> bool:
    """Call before the server starts its threads: arenas are handed out as threads first allocate.
    True when the C library took the limit."""
    return _LIBC is not None and bool(_LIBC.mallopt(_M_ARENA_MAX, count))


def give_back() -> bool:
    """Return freed heap memory to the system (after work that allocated a lot); True when some was."""
    return trim_heap()


#: A generation-2 threshold the collector never reaches: full passes happen only when asked for.
_NEVER = 2**30
#: Seconds between the trimmer's full collections.
FULL_COLLECTION_EVERY = 30.0
RETIRE_IDLE_WORKERS_AFTER = 30.0  # seconds without a job before a parse or index worker process stops


def quiet_collector() -> None:
    """For a serving process, once it has started: what it holds now is never collected, and the
    collector makes no full pass of its own (MemoryTrimmer makes one every FULL_COLLECTION_EVERY
    seconds, so that reference cycles are still freed)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)


def resident_anonymous_bytes() -> int | None:
    """The process's anonymous resident memory (its heap, not the index's mapped files), on Linux."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"RssAnon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


class MemoryTrimmer:
    """Gives freed heap memory back to the system a little while after it was freed.

    After a burst of requests (parses, renderings, large responses) the caches are bounded, but
    what the burst freed stays in malloc's heaps, spread between blocks still in use. A thread
    looks every `interval` seconds and trims while the heap grows by `threshold` or more between
    looks, and once more when it has stopped moving after a change (what a burst frees at its end
    is returned then); malloc_trim returns free pages from anywhere in the heap, not only its top,
    and runs outside the GIL. It also makes the full collections the process's collector may leave
    to it (see `quiet_collector`): every `collect_every` seconds, and at each look while the heap
    grows, so that cycles freed by nothing else never pile up for long. And it stops the parse and
    index worker processes that had no job for `retire_after` seconds (index.workers.retire_idle).
    """

    def __init__(self, interval: float = 5.0, threshold: int = 16 * 1024 * 1024,
                 collect_every: float = FULL_COLLECTION_EVERY, retire_after: float = RETIRE_IDLE_WORKERS_AFTER):
        self.interval = interval
        self.retire_after = retire_after
        self.threshold = threshold
        self.collect_every = collect_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-trimmer", daemon=True)
        self.trims = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 1)

    def _run(self) -> None:
        trimmed = previous = resident_anonymous_bytes() or 0
        collected = time.monotonic()
        while not self._stop.wait(self.interval):
            retire_idle(self.retire_after)
            now = resident_anonymous_bytes()
            growing = now is not None and now - previous >= self.threshold
            if growing or time.monotonic() - collected >= self.collect_every:
                gc.collect()  # reference cycles freed, before the heap is trimmed
                collected = time.monotonic()
            if now is None or _LIBC is None:
                continue
            settled = abs(now - previous) < self.threshold // 16 and abs(now - trimmed) >= self.threshold // 16
            previous = now
            if growing or settled:
                give_back()
                self.trims += 1
                trimmed = previous = resident_anonymous_bytes() or now
