"""Requests/s and latency of Core/echo and Mailbox/get against a running jmapd over loopback, beside
a bare Starlette endpoint returning the same bytes (the floor of this stack on this machine).

    .venv/bin/python bench/http_floor.py [--duration 5] [--concurrency 8] [--data DIR]

Dataset: a fresh account with the six default mailboxes (Mailbox/get of all of them, ~2 KB response).
With --data DIR (a folder loaded by `bench/query_bench.py --data DIR`), also the mailbox view: the
first page of the Inbox (Email/query receivedAt descending, collapseThreads, limit 50, calculateTotal,
plus Email/get of the list-view properties by back-reference), against the floor answering the
same bytes.
"""

from __future__ import annotations

import argparse
import json

import httpx

from loadgen import run
from servers import basic, floor_server, jmapd_server

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


LIST_VIEW = ["id", "threadId", "mailboxIds", "keywords", "from", "to", "subject", "receivedAt", "size",
             "preview", "hasAttachment"]


def mailbox_view(api_url: str, headers: dict[str, str], account: str) -> dict:
    mailboxes = httpx.post(api_url, headers=headers, json={"using": USING, "methodCalls": [
        ["Mailbox/get", {"accountId": account, "ids": None, "properties": ["role"]}, "0"]]}).json()
    inbox = next(m["id"] for m in mailboxes["methodResponses"][0][1]["list"] if m["role"] == "inbox")
    return {"using": USING, "methodCalls": [
        ["Email/query", {"accountId": account, "filter": {"inMailbox": inbox},
                         "sort": [{"property": "receivedAt", "isAscending": False}], "collapseThreads": True,
                         "limit": 50, "calculateTotal": True}, "q"],
        ["Email/get", {"accountId": account, "properties": LIST_VIEW,
                       "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "g"]]}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--data", help="a loaded data folder: adds the mailbox view")
    args = parser.parse_args()
    results = {}
    with jmapd_server(data=args.data) as (base, _, _pid):
        auth = basic("bench", "bench")
        session = httpx.get(base + "/jmap/session", headers={"authorization": auth}).json()
        account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        bodies = {
            "Core/echo": {"using": USING, "methodCalls": [["Core/echo", {"hello": "world", "n": [1, 2, 3]}, "0"]]},
            "Mailbox/get": {"using": USING, "methodCalls": [["Mailbox/get", {"accountId": account, "ids": None}, "0"]]},
        }
        if args.data:
            bodies["mailbox-view"] = mailbox_view(session["apiUrl"], headers, account)
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
