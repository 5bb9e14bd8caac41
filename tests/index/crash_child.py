"""Child process of the crash test: bulk-indexes a deterministic batch stream.

Run as ``python crash_child.py INDEX_DIR N_BATCHES PER_BATCH``; the test
SIGKILLs it part-way. The batch stream and its expected states come from
:func:`batches`, shared with the test.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from index import IndexBatch, IndexDocument, SearchIndex, WriterConfig  # noqa: E402

#: Small units so that several are built by worker processes at any moment.
CONFIG = WriterConfig(merges=True, idle_merge_delay=0.0, builders=2, bulk_min_docs=40, bulk_unit_docs=25, local_unit_docs=20)


def batches(n: int, per: int) -> list[IndexBatch]:
    """Batch m creates ``per`` emails, rewrites one of batch m-1 and deletes
    those of batch m-3 with an even number. Body words: ``v<m>`` says which
    batch wrote the current version, ``filler`` makes the bodies ~1 KB."""
    out = []
    filler = " ".join(f"filler{k % 97}" for k in range(150))
    for m in range(1, n + 1):
        ups = [
            IndexDocument(account_id="acc", email_id=f"m{m}-{j}", subject=f"batch {m}", body=f"v{m} {filler}")
            for j in range(per)
        ]
        if m > 1:
            ups.append(IndexDocument(account_id="acc", email_id=f"m{m - 1}-0", body=f"v{m} rewritten"))
        dels = [("acc", f"m{m - 3}-{j}") for j in range(0, per, 2)] if m > 3 else []
        out.append(IndexBatch(m, ups, dels))
    return out


def expected(stream: list[IndexBatch], upto: int) -> dict[str, int]:
    """email id -> batch that wrote its current version, after ``upto``."""
    state: dict[str, int] = {}
    for b in stream[:upto]:
        for d in b.upserts:
            state[d.email_id] = b.modseq
        for _, eid in b.deletes:
            state.pop(eid, None)
    return state


def main() -> None:
    path, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ix = SearchIndex.open(path, CONFIG)
    start = ix.applied_modseq()
    for b in batches(n, per)[start:]:
        ix.submit(b)
    print("submitted", flush=True)
    ix.wait_for(n, 600)
    ix.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
