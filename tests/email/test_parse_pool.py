"""Large Email/import batches are parsed in worker processes (jmapd/workers/parsing.py); what a
client sees must not depend on where a message was parsed (RFC 8621 §4.8)."""

from __future__ import annotations

import csv
import os
import signal
import time
from pathlib import Path

import pytest

from jmapd.workers import parsing
from jmapd.workers.parsing import MIN_POOLED_BATCH, ParsePool, parse_for_import

CORPUS = Path("/work/shared/corpus")
for candidate in (Path(__file__).resolve().parents[3] / "shared" / "corpus", CORPUS):
    if (candidate / "manifest.tsv").is_file():
        CORPUS = candidate
        break
PROPERTIES = ["blobId", "size", "receivedAt", "messageId", "inReplyTo", "references", "sender", "from", "to",
              "cc", "bcc", "replyTo", "subject", "sentAt", "hasAttachment", "preview"]


def corpus_sample(count: int) -> list[bytes]:
    """Messages spread over the corpus (several sources, charsets, structures, a few malformed)."""
    with open(CORPUS / "manifest.tsv", newline="", encoding="utf-8") as f:
        paths = [CORPUS / row["path"] for row in csv.DictReader(f, delimiter="\t")]
    step = max(1, len(paths) // count)
    return [p.read_bytes() for p in paths[::step][:count]]


def test_pooled_import_matches_one_by_one(make_mail):
    """RFC 8621 §4.8: an imported Email's properties come from its message, so a batch (parsed by
    worker processes) and the same messages imported one by one (parsed in the server) read back
    the same, in the same order of the request, with receivedAt from the topmost Received header."""
    raws = corpus_sample(3 * MIN_POOLED_BATCH)
    batch, single = make_mail(), make_mail()
    pooled = batch.import_raw(raws)
    one_by_one = [single.import_one(raw) for raw in raws]
    assert [c["size"] for c in pooled] == [len(raw) for raw in raws]
    got_pooled = batch.get([c["id"] for c in pooled], PROPERTIES)
    got_single = single.get([c["id"] for c in one_by_one], PROPERTIES)
    # receivedAt defaults to the import time for messages without a Received header.
    for a, b in zip(got_pooled, got_single):
        a.pop("id"), b.pop("id")
        if abs(_epoch(a["receivedAt"]) - _epoch(b["receivedAt"])) <= 60:
            a["receivedAt"] = b["receivedAt"]
    assert got_pooled == got_single


def _epoch(utc_date: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(utc_date.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def batch():
    """A batch large enough for the pool, and what parsing it in place gives."""
    raws = corpus_sample(4 * MIN_POOLED_BATCH)
    items = [(raw, f"B{i}") for i, raw in enumerate(raws)]
    return items, [parse_for_import(raw, blob_id) for raw, blob_id in items]


def test_pool_parses_like_the_server_and_survives_a_dead_worker(batch):
    """The pool gives, in order, exactly what parsing in place gives; a worker killed between
    batches is replaced, and one killed is never a reason to lose or reorder a message."""
    items, expected = batch
    pool = ParsePool(workers=2)
    try:
        assert pool.parse_many(items) == expected
        for worker in pool._workers:
            assert worker is not None and worker.alive()
            worker.kill()
        assert pool.parse_many(items) == expected
        assert all(w is not None and w.alive() for w in pool._workers)
        assert pool.parse_many(items[:3]) == expected[:3]  # small batches stay in place
    finally:
        pool.close()
    assert pool.parse_many(items) == expected  # after close, parsing goes on in place


def test_a_stuck_worker_costs_its_deadline_not_the_import(monkeypatch, batch):
    """RFC 8621 §4.8: an Email/import is answered even when a parsing worker is alive but never
    answers its job: past its deadline the worker is killed and its share parsed in the server,
    in order, and the next batch gets a new worker."""
    monkeypatch.setattr(parsing, "PARSE_DEADLINE_S", 1.0)
    items, expected = batch
    pool = ParsePool(workers=2)
    try:
        assert pool.parse_many(items) == expected
        stuck = pool._workers[0]
        os.kill(stuck.pid, signal.SIGSTOP)  # alive, but will never answer
        started = time.monotonic()
        assert pool.parse_many(items) == expected
        assert time.monotonic() - started < 15
        assert not stuck.alive()
        assert pool.parse_many(items) == expected
        assert pool._workers[0] is not stuck and pool._workers[0].alive()
    finally:
        pool.close()
