"""Keeping the server's memory close to what it uses.

glibc's malloc gives threads arenas of their own (up to eight per core), and an arena keeps what
was freed in it for reuse. The server's request threads pass large buffers through it (uploaded
messages, import batches, parsed bodies), so after a bulk import the process held ~50% more
memory than it used, spread over arenas no other thread would reuse. Two arenas keep the
contention low enough for the few threads that run Python at once (the GIL admits one), and
returning freed memory after a large import gives the rest back. Elsewhere than glibc, both are
no-ops.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_ARENA_MAX = -8


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 - glibc has both; other C libraries may not
        libc.malloc_trim
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
    return _LIBC is not None and bool(_LIBC.malloc_trim(0))
