"""Requests/s and latency of Core/echo and Mailbox/get against a running jmapd over loopback, beside
a bare Starlette endpoint returning the same bytes (the floor of this stack on this machine).

    .venv/bin/python bench/http_floor.py [--duration 5] [--concurrency 8]

Dataset: a fresh account with the six default mailboxes (Mailbox/get of all of them, ~2 KB response).
"""

from __future__ import annotations

import argparse
import json

import httpx

from loadgen import run
from servers import basic, floor_server, jmapd_server

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    results = {}
    with jmapd_server() as (base, _, _pid):
        auth = basic("bench", "bench")
        session = httpx.get(base + "/jmap/session", headers={"authorization": auth}).json()
        account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        bodies = {
            "Core/echo": {"using": USING, "methodCalls": [["Core/echo", {"hello": "world", "n": [1, 2, 3]}, "0"]]},
            "Mailbox/get": {"using": USING, "methodCalls": [["Mailbox/get", {"accountId": account, "ids": None}, "0"]]},
        }
        for name, body in bodies.items():
            payload = json.dumps(body).encode()
            response_bytes = httpx.post(session["apiUrl"], content=payload, headers=headers).content
            jmapd = run(session["apiUrl"], payload, headers, duration=args.duration, concurrency=args.concurrency)
            results[name] = {"jmapd": jmapd.summary(), "response_bytes": len(response_bytes),
                             "_response": response_bytes, "_payload": payload}
    for name, entry in results.items():
        with floor_server(entry.pop("_response")) as url:
            floor = run(url, entry.pop("_payload"), {"Content-Type": "application/json"},
                        duration=args.duration, concurrency=args.concurrency)
        entry["floor"] = floor.summary()
        entry["ratio_rps"] = round(entry["jmapd"]["rps"] / entry["floor"]["rps"], 3)
    print(f"{'request':<14}{'server':<9}{'req/s':>9}{'median ms':>11}{'p99 ms':>9}")
    for name, entry in results.items():
        for who in ("jmapd", "floor"):
            s = entry[who]
            print(f"{name:<14}{who:<9}{s['rps']:>9.0f}{s['median_ms']:>11.2f}{s['p99_ms']:>9.2f}")
        print(f"{name:<14}{'ratio':<9}{entry['ratio_rps']:>9.2f}  (jmapd req/s ÷ floor req/s, "
              f"{entry['response_bytes']} response bytes)")
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
