"""Email/import throughput and list-view Email/get latency (issue: Email and Thread).

    .venv/bin/python bench/import_bench.py [--count 20000] [--seed 1] [--max-attachment-bytes N]

Dataset: `jmapd seed`'s deterministic mailbox (thread mix, median ~10 KB, a tail of 1-10 MB attachments,
multipart/alternative, non-ASCII headers, several folders), uploaded first, then imported through
Email/import in batches of 100. Email/get: 50 emails with list-view properties, 300 requests.
Server time is read from the Server-Timing header jmapd adds to every API response.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time

from mailbox_setup import JmapSession, ensure_folders, import_all, upload_all
from query_bench import LIST_VIEW
from servers import jmapd_server

from jmapd.seed import SeedOptions, iter_messages



def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-attachment-bytes", type=int, default=None)
    parser.add_argument("--get-requests", type=int, default=300)
    args = parser.parse_args()

    t = time.perf_counter()
    messages = list(iter_messages(args.seed, args.count, SeedOptions(max_attachment_bytes=args.max_attachment_bytes)))
    generated = time.perf_counter() - t
    total_bytes = sum(len(m.raw) for m in messages)
    sizes = sorted(len(m.raw) for m in messages)
    print(f"dataset: {len(messages)} messages, {total_bytes / 1e6:.0f} MB, median {sizes[len(sizes) // 2]} B, "
          f"largest {sizes[-1]} B (generated in {generated:.1f} s)", flush=True)

    with jmapd_server() as (base, _data, _pid):
        jmap = JmapSession(base + "/.well-known/jmap", "bench", "bench")
        folders = ensure_folders(jmap, {m.folder for m in messages})
        blob_ids, upload_s = upload_all(jmap, [m.raw for m in messages])
        print(f"upload: {len(messages) / upload_s:.0f} messages/s ({total_bytes / 1e6 / upload_s:.0f} MB/s)", flush=True)
        items = [{"blobId": b, "mailboxIds": {folders[m.folder]: True},
                  "keywords": dict.fromkeys(m.keywords, True), "receivedAt": m.received_at}
                 for b, m in zip(blob_ids, messages)]
        ids, import_s, errors = import_all(jmap, items)
        print(f"Email/import: {len(ids) / import_s:.0f} messages/s ({len(ids)} imported, {len(errors)} errors)",
              flush=True)

        rng = random.Random(args.seed)
        wall, server = [], []
        for _ in range(args.get_requests):
            start = rng.randrange(0, max(1, len(ids) - 50))
            body = {"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": [
                ["Email/get", {"accountId": jmap.account_id, "ids": ids[start:start + 50],
                               "properties": LIST_VIEW}, "0"]]}
            t = time.perf_counter()
            r = jmap.http.post(jmap.api_url, json=body)
            wall.append((time.perf_counter() - t) * 1000)
            server.append(float(r.headers["server-timing"].split("dur=")[1]))
        result = {
            "count": len(messages), "dataset_mb": round(total_bytes / 1e6, 1),
            "upload_msgs_per_s": round(len(messages) / upload_s, 1),
            "import_msgs_per_s": round(len(ids) / import_s, 1), "import_errors": len(errors),
            "email_get_50_server_ms": {"median": round(statistics.median(server), 3),
                                       "p99": round(percentile(server, 99), 3)},
            "email_get_50_wall_ms": {"median": round(statistics.median(wall), 3),
                                     "p99": round(percentile(wall, 99), 3)},
        }
    print(f"Email/get 50 list-view emails: server median {result['email_get_50_server_ms']['median']} ms, "
          f"p99 {result['email_get_50_server_ms']['p99']} ms; over HTTP median "
          f"{result['email_get_50_wall_ms']['median']} ms")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
