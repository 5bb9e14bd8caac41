"""Requests/s and latency of Core/echo and Mailbox/get against a running jmapd over loopback, beside
a bare Starlette endpoint returning the same bytes (the floor of this stack on this machine).

    .venv/bin/python bench/http_floor.py [--duration 1.5] [--warmup 0.25] [--concurrency 8]
                                         [--rounds 15] [--workers 1,2] [--data DIR]

Dataset: a fresh account with the six default mailboxes (Mailbox/get of all of them, ~4 KB response).
With --data DIR (a folder loaded by `bench/query_bench.py --data DIR`), also the mailbox view: the
first page of the Inbox (Email/query receivedAt descending, collapseThreads, limit 50, calculateTotal,
plus Email/get of the list-view properties by back-reference), against the floor answering the
same bytes.

Each worker count is measured for both servers (the floor is served as jmapd is). This machine's
speed drifts, by a fifth or more within minutes, so jmapd and the floor take turns in short
rounds for each request, and each figure is the median of its rounds (the ratio, the median of
the rounds' ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

import httpx

from loadgen import run
from query_bench import view_calls
from servers import basic, floor_server, jmapd_server

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def mailbox_view(api_url: str, headers: dict[str, str], account: str) -> dict:
    """query_bench's mailbox view, at the Inbox's first page."""
    mailboxes = httpx.post(api_url, headers=headers, json={"using": USING, "methodCalls": [
        ["Mailbox/get", {"accountId": account, "ids": None, "properties": ["role"]}, "0"]]}).json()
    inbox = next(m["id"] for m in mailboxes["methodResponses"][0][1]["list"] if m["role"] == "inbox")
    return {"using": USING, "methodCalls": view_calls(account, inbox, 0)}


def median_summary(runs: list[dict]) -> dict:
    return {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}


def measure(data: str | None, workers: int, args) -> dict:
    """{request name: {jmapd, floor, ratio_rps, response_bytes}} with `workers` processes each."""
    rounds: dict[str, dict] = {}
    with jmapd_server(data=data, workers=workers) as (base, _, _pid):
        auth = basic("bench", "bench")
        session = httpx.get(base + "/jmap/session", headers={"authorization": auth}).json()
        account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        bodies = {
            "Core/echo": {"using": USING, "methodCalls": [["Core/echo", {"hello": "world", "n": [1, 2, 3]}, "0"]]},
            "Mailbox/get": {"using": USING, "methodCalls": [["Mailbox/get", {"accountId": account, "ids": None}, "0"]]},
        }
        if data:
            bodies["mailbox-view"] = mailbox_view(session["apiUrl"], headers, account)
        for name, body in bodies.items():
            payload = json.dumps(body).encode()
            answer = httpx.post(session["apiUrl"], content=payload, headers=headers).content
            entry = rounds[name] = {"response_bytes": len(answer), "jmapd": [], "floor": []}
            with floor_server(answer, workers=workers) as floor_url:
                for _ in range(args.rounds):
                    entry["jmapd"].append(run(session["apiUrl"], payload, headers, duration=args.duration,
                                              concurrency=args.concurrency, warmup=args.warmup).summary())
                    entry["floor"].append(run(floor_url, payload, {"Content-Type": "application/json"},
                                              duration=args.duration, concurrency=args.concurrency,
                                              warmup=args.warmup).summary())
    results = {}
    for name, entry in rounds.items():
        jmapd, floor = median_summary(entry["jmapd"]), median_summary(entry["floor"])
        ratios = [j["rps"] / f["rps"] for j, f in zip(entry["jmapd"], entry["floor"])]
        results[name] = {"response_bytes": entry["response_bytes"], "jmapd": jmapd, "floor": floor,
                         "ratio_rps": round(statistics.median(ratios), 3),
                         "ratios": [round(r, 3) for r in ratios]}
    return results


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=1.5, help="seconds per round and server")
    parser.add_argument("--warmup", type=float, default=0.25, help="seconds before each round's measurement")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}",
                        help="worker process counts to measure, comma-separated (default: 1 and one per core)")
    parser.add_argument("--data", help="a loaded data folder: adds the mailbox view")
    args = parser.parse_args()
    counts = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    results = {str(workers): measure(args.data, workers, args) for workers in counts}
    print(f"{'processes':<10}{'request':<14}{'server':<9}{'req/s':>9}{'median ms':>11}{'p99 ms':>9}")
    for workers, by_name in results.items():
        for name, entry in by_name.items():
            for who in ("jmapd", "floor"):
                s = entry[who]
                print(f"{workers:<10}{name:<14}{who:<9}{s['rps']:>9.0f}{s['median_ms']:>11.2f}{s['p99_ms']:>9.2f}")
            print(f"{workers:<10}{name:<14}{'ratio':<9}{entry['ratio_rps']:>9.2f}  (median of rounds "
                  f"{entry['ratios']}; {entry['response_bytes']} response bytes)")
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
