"""Same (seed, count, options) must give the same bytes, anywhere.

Benchmarks compare servers and runs by loading "the same" mailbox; if the bytes
drifted with the machine, the time zone, the locale or hash randomisation, two
results would silently measure different data.
"""

from __future__ import annotations

import os
import subprocess
import sys

from jmapd.seed import SeedOptions, iter_messages, write_dataset

OPTS = SeedOptions(max_attachment_bytes=2048)

# Run both here and in child interpreters, so parent and children hash alike.
_DIGEST_SRC = """
import hashlib
from jmapd.seed import SeedOptions, iter_messages

def digest(seed, count, cap=2048):
    h = hashlib.sha256()
    for m in iter_messages(seed, count, SeedOptions(max_attachment_bytes=cap)):
        h.update(m.raw)
        h.update(repr((m.folder, m.keywords, m.received_at, m.message_id, m.thread_key, m.markers)).encode())
    return h.hexdigest()
"""
_ns: dict = {}
exec(_DIGEST_SRC, _ns)
_digest = _ns["digest"]


def test_two_runs_are_identical():
    """Guards against any state leaking between runs (module-level caches, shared RNGs)."""
    assert _digest(11, 300) == _digest(11, 300)


def test_different_seeds_differ():
    """Guards against the seed being ignored somewhere, e.g. a stream seeded with a constant."""
    a = [m.raw for m in iter_messages(1, 50, OPTS)]
    b = [m.raw for m in iter_messages(2, 50, OPTS)]
    assert a != b
    assert sum(x == y for x, y in zip(a, b)) == 0


def test_independent_of_hash_seed_time_zone_and_locale():
    """Guards against iteration over sets, time.localtime/strftime and locale-dependent names.

    A child interpreter with a different PYTHONHASHSEED, TZ and LC_ALL must produce
    the digest this process produced.
    """
    expected = _digest(5, 200)
    code = _DIGEST_SRC + "\nprint(digest(5, 200))\n"
    for env_extra in (
        {"PYTHONHASHSEED": "1", "TZ": "Asia/Tokyo", "LC_ALL": "C"},
        {"PYTHONHASHSEED": "4242", "TZ": "America/St_Johns", "LC_ALL": "C.UTF-8"},
    ):
        env = dict(os.environ, **env_extra)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert out == expected, env_extra


def test_attachment_cap_changes_only_attachment_bytes():
    """Guards the promise that --max-attachment-bytes keeps the mailbox's shape.

    Quick runs are only comparable with full runs if ids, folders, keywords,
    dates, header blocks and every message without attachments stay identical.
    """
    small = list(iter_messages(3, 400, SeedOptions(max_attachment_bytes=1000)))
    full = list(iter_messages(3, 400, SeedOptions()))
    changed = 0
    for a, b in zip(small, full):
        assert (a.folder, a.keywords, a.received_at, a.message_id, a.thread_key, a.markers) == (
            b.folder,
            b.keywords,
            b.received_at,
            b.message_id,
            b.thread_key,
            b.markers,
        )
        assert a.raw.split(b"\r\n\r\n", 1)[0] == b.raw.split(b"\r\n\r\n", 1)[0]
        if a.raw != b.raw:
            changed += 1
            assert len(a.raw) < len(b.raw)
    assert 0 < changed < len(small) // 4


def test_written_manifests_are_byte_identical(tmp_path):
    """Guards the on-disk form: manifest field order and JSON formatting must not vary."""
    s1 = write_dataset(tmp_path / "a", 9, 120, "eml", OPTS)
    s2 = write_dataset(tmp_path / "b", 9, 120, "eml", OPTS)
    assert s1 == s2
    for name in ("manifest.jsonl", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


# Digest of _digest(1, 150) for the generator version below.  Benchmark results
# are only comparable across releases if the dataset is; a change here is a
# change of dataset and must come with a new GENERATOR_ID.
GOLDEN = ("jmapd-seed/1", "2181ba5b16b423073564842ee736c073860244863a866170c91b1191c747cbfa")


def test_output_is_frozen_per_generator_version():
    """Guards against silently changing the dataset a seed denotes (bump GENERATOR_ID instead)."""
    from jmapd.seed import GENERATOR_ID

    assert (GENERATOR_ID, _digest(1, 150)) == GOLDEN
