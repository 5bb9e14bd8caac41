"""The draft dialect's mailbox view against RFC 8621's, on one generated account, turn about.

    .venv/bin/python bench/draft_bench.py --count 100000 [--seed 1] [--rounds 600] [--data DIR]

Dataset: `jmapd seed`'s deterministic mailbox of --count messages (attachments capped at
--max-attachment-bytes, 20 KB by default: the views never read message bodies, and smaller
messages load faster), loaded into a `jmapd serve` with upload + Email/import in batches of 100.
With --data DIR the loaded folder is kept, and a later run measures without loading again.

Both views show one page of 50 of the Inbox, newest first, threads collapsed, on one of the first
five pages, with the list-view properties of each message, in one request:
- RFC 8621: Email/query (+ calculateTotal) and Email/get of 11 properties by back-reference;
- draft:    getMessageList with fetchMessages and fetchMessageProperties, the draft's names for
            the same 11 properties (keywords become isUnread, isFlagged, isAnswered, isDraft).
They alternate request by request, so that a drift in the machine's speed falls on both alike; the
figure compared is the server time of the method calls (the Server-Timing header). Then the same
after changes: before each view an Email/set (not timed) toggles $flagged on a random email of the
Inbox's first pages, so that every view queries again (neither finds the other's answer kept) and
renders the changed email again. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

import httpx
from mailbox_setup import USING, JmapSession, ensure_folders, import_all, upload_all
from servers import jmapd_server

from jmapd.seed import SeedOptions, iter_messages

DRAFT = "urn:jmapd:draft-jenkins-jmapmail-00"
LIST_VIEW = ["id", "threadId", "mailboxIds", "keywords", "from", "to", "subject", "receivedAt", "size",
             "preview", "hasAttachment"]
DRAFT_LIST_VIEW = ["threadId", "mailboxIds", "isUnread", "isFlagged", "isAnswered", "isDraft", "from", "to",
                   "subject", "date", "size", "preview", "hasAttachment"]


def rfc_view(account_id: str, inbox: str, position: int) -> dict:
    return {"using": USING, "methodCalls": [
        ["Email/query", {"accountId": account_id, "filter": {"inMailbox": inbox},
                         "sort": [{"property": "receivedAt", "isAscending": False}], "collapseThreads": True,
                         "position": position, "limit": 50, "calculateTotal": True}, "q"],
        ["Email/get", {"accountId": account_id, "properties": LIST_VIEW,
                       "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "g"]]}


def draft_view(inbox: str, position: int) -> list:
    return [["getMessageList", {"filter": {"inMailboxes": [inbox]}, "sort": ["date desc"], "collapseThreads": True,
                                "position": position, "limit": 50, "fetchMessages": True,
                                "fetchMessageProperties": DRAFT_LIST_VIEW}, "#0"]]


def timed(http: httpx.Client, url: str, body) -> tuple[float, float, object]:
    started = time.perf_counter()
    response = http.post(url, json=body)
    wall = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return wall, float(response.headers["server-timing"].split("dur=")[1]), response.json()


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 3), "p99": round(ordered[int(0.99 * (len(ordered) - 1))], 3)}


def compare(jmap: JmapSession, draft_url: str, inbox: str, rounds: int, rng: random.Random,
            before_each=None) -> dict:
    """Pairs of views, the two dialects in alternating order; medians and the median of the ratios."""
    rfc_server, draft_server, rfc_wall, draft_wall, ratios = [], [], [], [], []
    for i in range(rounds):
        position = 50 * rng.randrange(5)
        order = ("rfc", "draft") if i % 2 == 0 else ("draft", "rfc")
        got = {}
        for dialect in order:
            if before_each is not None:
                before_each()
            if dialect == "rfc":
                got[dialect] = timed(jmap.http, jmap.api_url, rfc_view(jmap.account_id, inbox, position))
            else:
                got[dialect] = timed(jmap.http, draft_url, draft_view(inbox, position))
        rfc_ids = [e["id"] for e in got["rfc"][2]["methodResponses"][1][1]["list"]]
        draft_ids = [m["id"] for m in got["draft"][2][1][1]["list"]]
        assert rfc_ids == draft_ids and len(rfc_ids) == 50, (rfc_ids[:3], draft_ids[:3])
        rfc_wall.append(got["rfc"][0])
        draft_wall.append(got["draft"][0])
        rfc_server.append(got["rfc"][1])
        draft_server.append(got["draft"][1])
        ratios.append(got["draft"][1] / got["rfc"][1])
    return {"rfc_server_ms": stats(rfc_server), "draft_server_ms": stats(draft_server),
            "rfc_wall_ms": stats(rfc_wall), "draft_wall_ms": stats(draft_wall),
            "ratio_of_medians": round(statistics.median(draft_server) / statistics.median(rfc_server), 3),
            "median_ratio": round(statistics.median(ratios), 3)}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-attachment-bytes", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=600)
    parser.add_argument("--rounds-after-change", type=int, default=200)
    parser.add_argument("--data", help="data folder to use and keep (loaded once)")
    args = parser.parse_args()
    result: dict = {"count": args.count}
    with jmapd_server(data=args.data) as (base, data, pid):
        jmap = JmapSession(base + "/.well-known/jmap", "bench", "bench")
        draft_url = jmap.session["capabilities"][DRAFT]["apiUrl"]
        total = jmap.call([["Email/query", {"accountId": jmap.account_id, "calculateTotal": True, "limit": 0},
                            "t"]])[0][1]["total"]
        messages = list(iter_messages(args.seed, args.count,
                                      SeedOptions(max_attachment_bytes=args.max_attachment_bytes)))
        folders = ensure_folders(jmap, {m.folder for m in messages})
        if total < len(messages):
            started = time.perf_counter()
            blob_ids, _ = upload_all(jmap, [m.raw for m in messages], concurrency=8)
            items = [{"blobId": b, "mailboxIds": {folders[m.folder]: True},
                      "keywords": dict.fromkeys(m.keywords, True), "receivedAt": m.received_at}
                     for b, m in zip(blob_ids, messages)]
            _, _, errors = import_all(jmap, items)
            assert not errors, errors[:3]
            result["load_s"] = round(time.perf_counter() - started, 1)
            print(f"loaded {len(items)} messages in {result['load_s']} s", flush=True)
        del messages
        inbox = folders["Inbox"]
        result["inbox_messages"] = jmap.call([["Mailbox/get", {"accountId": jmap.account_id, "ids": [inbox],
                                                               "properties": ["totalEmails"]}, "m"]]
                                             )[0][1]["list"][0]["totalEmails"]
        rng = random.Random(args.seed)
        for _ in range(50):  # warm both paths (first renderings, the draft's first use making its Outbox)
            compare(jmap, draft_url, inbox, 1, rng)
        result["view"] = compare(jmap, draft_url, inbox, args.rounds, rng)
        print(f"mailbox view: {result['view']}", flush=True)
        all_ids = jmap.call([["Email/query", {"accountId": jmap.account_id, "filter": {"inMailbox": inbox},
                                              "limit": 250}, "a"]])[0][1]["ids"]

        flagged: set[str] = set()

        def change() -> None:
            email_id = rng.choice(all_ids)
            flagged.symmetric_difference_update({email_id})
            jmap.call([["Email/set", {"accountId": jmap.account_id, "update": {
                email_id: {"keywords/$flagged": True if email_id in flagged else None}}}, "f"]])

        result["view_after_change"] = compare(jmap, draft_url, inbox, args.rounds_after_change, rng, change)
        print(f"mailbox view after a change: {result['view_after_change']}", flush=True)
        with open("/proc/loadavg") as f:
            result["load_average"] = f.read().split()[:3]
        # Printed before the server stops: after a large load it may take a while to.
        print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
