"""Mailbox view, text search and indexing throughput on a generated account (issue: Email/query and search).

    .venv/bin/python bench/query_bench.py --count 100000 [--seed 1] [--max-attachment-bytes 200000]

Dataset: `jmapd seed`'s deterministic mailbox of --count messages (see bench/import_bench.py), loaded
with upload + Email/import in batches of 100 (two requests in flight) while the indexer catches up
in the background. With --data DIR the loaded folder is kept, and a later run on it measures the
queries without loading again.
- index catch-up: from the first Email/import until a text search for a marker word that is in
  exactly 10% of the messages finds all of them; messages/s = count / that time. The index then
  goes on merging segments in the background; the queries are measured once it has settled.
- mailbox view: Email/query {inMailbox: Inbox} sorted receivedAt descending, collapseThreads, limit 50,
  position on one of the first five pages, plus Email/get of the list-view properties through a
  back-reference to the ids, in one request; 500 requests. Repeated pages are answered from what
  the server keeps between requests (query answers by state, each Email's list-view JSON), as a
  client refreshing its view is.
- mailbox view after a change: the same, 200 times, each after an Email/set (not timed) toggles
  $flagged on a random email of the account: the account's state moved, so the query runs again
  (the renderings of unchanged emails stay).
- text search: Email/query {text: word} limit 50 (+ calculateTotal), 100 requests, each for a
  different word, from rare to common (see search_words). Server time comes from the Server-Timing
  header.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from mailbox_setup import USING, JmapSession, ensure_folders, import_all, upload_all
from servers import jmapd_server, wait_index_settled

from jmapd.seed import SeedOptions, iter_messages
from jmapd.seed.text import MARKER_WORDS, VOCABULARY

LIST_VIEW = ["id", "threadId", "mailboxIds", "keywords", "from", "to", "subject", "receivedAt", "size",
             "preview", "hasAttachment"]
def search_words(count: int) -> list[str]:
    """Distinct words, each searched once: the marker words (in 10%, 1%, 0.1% and 0.01% of the
    messages), then words spread over the dataset's vocabulary, from common English to its rare
    invented tail. A repeated search is answered from the server's recent results, so repeating
    words would measure that cache, not a search."""
    spread = VOCABULARY[20::max(1, len(VOCABULARY) // max(1, count))]
    words = list(dict.fromkeys([*MARKER_WORDS, *spread]))
    return words[:count]


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 3), "p99": round(ordered[int(0.99 * (len(ordered) - 1))], 3),
            "max": round(ordered[-1], 3)}


def timed(jmap: JmapSession, calls) -> tuple[float, float, list]:
    t = time.perf_counter()
    r = jmap.http.post(jmap.api_url, json={"using": USING, "methodCalls": calls})
    wall = (time.perf_counter() - t) * 1000
    return wall, float(r.headers["server-timing"].split("dur=")[1]), r.json()["methodResponses"]


def view_calls(account_id: str, mailbox_id: str, position: int) -> list:
    """One page of a mailbox view: the query and the list-view properties of its emails."""
    return [["Email/query", {"accountId": account_id, "filter": {"inMailbox": mailbox_id},
                             "sort": [{"property": "receivedAt", "isAscending": False}],
                             "collapseThreads": True, "position": position, "limit": 50,
                             "calculateTotal": True}, "q"],
            ["Email/get", {"accountId": account_id, "properties": LIST_VIEW,
                           "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "g"]]


def email_total(jmap: JmapSession) -> int:
    return jmap.call([["Email/query", {"accountId": jmap.account_id, "calculateTotal": True, "limit": 0},
                       "t"]])[0][1]["total"]


def load(jmap: JmapSession, messages, folders: dict[str, str], marker: str, expected: int) -> dict:
    """Upload and import the dataset; time the import and the index catching up with it."""
    result: dict = {}
    blob_ids, upload_s = upload_all(jmap, [m.raw for m in messages], concurrency=8)
    result["upload_msgs_per_s"] = round(len(messages) / upload_s, 1)
    print(f"upload: {result['upload_msgs_per_s']} messages/s", flush=True)
    items = [{"blobId": b, "mailboxIds": {folders[m.folder]: True},
              "keywords": dict.fromkeys(m.keywords, True), "receivedAt": m.received_at}
             for b, m in zip(blob_ids, messages)]
    start = time.perf_counter()
    ids, import_s, errors = import_all(jmap, items)
    assert not errors, errors[:3]
    result["import_msgs_per_s"] = round(len(items) / import_s, 1)
    print(f"Email/import: {result['import_msgs_per_s']} messages/s", flush=True)
    while True:
        _, _, out = timed(jmap, [["Email/query", {"accountId": jmap.account_id, "filter": {"text": marker},
                                                  "calculateTotal": True, "limit": 1}, "s"]])
        if out[0][1].get("total", 0) >= expected:
            break
        time.sleep(0.5)
    index_s = time.perf_counter() - start
    result["index_catch_up_msgs_per_s"] = round(len(items) / index_s, 1)
    print(f"index caught up {index_s - import_s:.1f} s after the last import: "
          f"{result['index_catch_up_msgs_per_s']} messages/s end to end", flush=True)
    return result


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-attachment-bytes", type=int, default=200000)
    parser.add_argument("--views", type=int, default=500)
    parser.add_argument("--views-after-change", type=int, default=200)
    parser.add_argument("--searches", type=int, default=100)
    parser.add_argument("--data", help="data folder to use and keep; an account already loaded with the same "
                                       "dataset is measured without loading it again")
    args = parser.parse_args()

    messages = list(iter_messages(args.seed, args.count, SeedOptions(max_attachment_bytes=args.max_attachment_bytes)))
    marker = "quillorax"
    expected = sum(1 for m in messages if marker in m.markers)
    print(f"dataset: {len(messages)} messages, {sum(len(m.raw) for m in messages) / 1e6:.0f} MB; "
          f"{expected} contain {marker!r}", flush=True)
    result: dict = {"count": len(messages)}
    with jmapd_server(data=args.data) as (base, data, pid):
        jmap = JmapSession(base + "/.well-known/jmap", "bench", "bench")
        folders = ensure_folders(jmap, {m.folder for m in messages})
        # A kept account may hold more than the dataset (jmapd bench's import scenario adds mail).
        if email_total(jmap) < len(messages):
            result.update(load(jmap, messages, folders, marker, expected))
        result["index_settle_s"] = round(wait_index_settled(data), 1)
        print(f"index merges settled after {result['index_settle_s']} s more", flush=True)
        inbox = folders["Inbox"]
        rng = random.Random(args.seed)
        wall, server = [], []
        for _ in range(args.views):
            w, s, out = timed(jmap, view_calls(jmap.account_id, inbox, 50 * rng.randrange(5)))
            query = out[0][1]
            assert len(out[1][1]["list"]) == min(50, max(0, query["total"] - query["position"])), out
            wall.append(w)
            server.append(s)
        result["mailbox_view_ms"] = {"wall": stats(wall), "server": stats(server)}
        print(f"mailbox view: {result['mailbox_view_ms']}", flush=True)
        all_ids = jmap.call([["Email/query", {"accountId": jmap.account_id, "limit": 5000}, "a"]])[0][1]["ids"]
        wall, server = [], []
        for i in range(args.views_after_change):
            jmap.call([["Email/set", {"accountId": jmap.account_id, "update": {
                rng.choice(all_ids): {"keywords/$flagged": True if i % 2 == 0 else None}}}, "f"]])
            w, s, out = timed(jmap, view_calls(jmap.account_id, inbox, 50 * rng.randrange(5)))
            assert out[0][0] == "Email/query" and out[1][0] == "Email/get", out
            wall.append(w)
            server.append(s)
        result["mailbox_view_after_change_ms"] = {"wall": stats(wall), "server": stats(server)}
        print(f"mailbox view after a change: {result['mailbox_view_after_change_ms']}", flush=True)
        wall, server = [], []
        for word in search_words(args.searches):
            w, s, _ = timed(jmap, [["Email/query", {"accountId": jmap.account_id, "filter": {"text": word},
                                                    "limit": 50, "calculateTotal": True}, "s"]])
            wall.append(w)
            server.append(s)
        result["search_ms"] = {"wall": stats(wall), "server": stats(server)}
        print(f"text search: {result['search_ms']}", flush=True)
        # RSS includes file pages of the LMDB map the server has read (blobs read for indexing);
        # RssAnon is the server's own memory.
        with open(f"/proc/{pid}/status") as f:
            status = {line.split(":")[0]: int(line.split()[1]) for line in f if line.startswith(("VmRSS", "Rss"))}
        result["server_rss_mb"] = round(status["VmRSS"] / 1024, 1)
        result["server_rss_anon_mb"] = round(status.get("RssAnon", 0) / 1024, 1)
        result["server_rss_file_mb"] = round(status.get("RssFile", 0) / 1024, 1)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
