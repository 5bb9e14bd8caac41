"""The server keeps its heap close to what it uses (jmapd/memory.py): two malloc arenas, and freed
memory handed back after large imports. Both need glibc, which every supported Linux has."""

from __future__ import annotations

import platform
import threading

import pytest

from jmapd.workers.memory import give_back, limit_arenas

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="needs glibc's mallopt and malloc_trim")


def rss_anon_kb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("RssAnon:"))


@glibc
def test_arena_limit_is_taken():
    assert limit_arenas(2) is True


@glibc
def test_freed_buffers_are_given_back():
    """Buffers freed between ones still in use stay in the process until give_back() returns them."""
    kept: list[bytearray] = []

    def churn():
        blocks = [bytearray(b"x" * 64_000) for _ in range(800)]
        kept.extend(blocks[::40])  # a few stay alive, pinning the freed space between them

    threads = [threading.Thread(target=churn) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    before = rss_anon_kb()
    give_back()
    after = rss_anon_kb()
    assert before - after > 40_000, (before, after)  # of ~100 MB churned, most goes back
    assert len(kept) == 40
