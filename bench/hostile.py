"""Hostile requests against one jmapd, with an honest user's latency and the server's memory beside.

    .venv/bin/python bench/hostile.py [--seconds 8] [--only NAME ...] [--messages 4000]

One `jmapd serve` process is started on a fresh data folder and loaded with generated mail
(`jmapd seed`'s dataset). Each scenario then runs its hostile work (one request at a time, over and
over, for --seconds) while an honest user of another account sends Core/echo in a closed loop; the
table reports the honest user's p50/p99, how the hostile requests were answered and how long each
took, and the server's memory (VmRSS: the whole resident set, including the search index's mapped
files; RssAnon: the heap) sampled every 100 ms.

Each finding is its own scenario function, registered in SCENARIOS; a new kind of hostile client
is a new function there. The goals are printed beside the figures (bench/RESULTS.md records them).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hostile_connections
import httpx
from mailbox_setup import USING, JmapSession, ensure_folders, import_all, upload_all
from servers import JMAPD, jmapd_server, wait_index_settled

from jmapd.seed import SeedOptions, iter_messages

HONEST_USER, HONEST_PASSWORD = "honest", "honest-pw"


@dataclass
class Target:
    """The server under attack and what the scenarios share."""

    base_url: str
    data: str
    pid: int
    jmap: JmapSession
    seconds: float
    mailbox_ids: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return self.jmap.account_id

    def post(self, calls: list[list[Any]], timeout: float = 120.0) -> httpx.Response:
        """One JMAP request as the hostile user; the raw response, whatever its status."""
        return self.jmap.http.post(self.jmap.api_url, json={"using": USING, "methodCalls": calls}, timeout=timeout)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def process_tree_memory(pid: int, *, children: bool = True) -> tuple[float, float]:
    """(VmRSS, RssAnon) in MB of a process and, unless told not to, its child processes (the index's
    builder and merge workers, the parse pool), whichever of its threads started them."""
    pids = [pid]
    if children:
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                pids += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
    rss = anon = 0.0
    for p in pids:
        try:
            text = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if key == "VmRSS":
                rss += int(rest.split()[0]) / 1024
            elif key == "RssAnon":
                anon += int(rest.split()[0]) / 1024
    return rss, anon


def _echo_loop(base_url: str, ready, measuring, stop, results) -> None:
    """The honest user, in a process of its own: building a hostile request of megabytes (JSON
    encoding holds the GIL) must not delay the honest one's timing."""
    http = httpx.Client(auth=(HONEST_USER, HONEST_PASSWORD), timeout=120, follow_redirects=True)
    api_url = http.get(base_url + "/.well-known/jmap").raise_for_status().json()["apiUrl"]
    body = json.dumps({"using": USING, "methodCalls": [["Core/echo", {"hello": "world"}, "e"]]})
    latencies: list[float] = []
    failures = 0
    ready.set()
    while not stop.is_set():
        started = time.perf_counter()
        try:
            ok = http.post(api_url, content=body, headers={"content-type": "application/json"}).status_code == 200
        except httpx.HTTPError:
            ok = False
        if measuring.is_set():
            latencies.append((time.perf_counter() - started) * 1000)
            failures += not ok
    results.send((latencies, failures))


class Honest:
    """Another user's Core/echo in a closed loop (in a process of its own), and the server's memory,
    while a scenario runs."""

    def __init__(self, base_url: str, pid: int):
        self.base_url = base_url
        self.pid = pid
        self.rss: list[tuple[float, float]] = []
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.rss.append(process_tree_memory(self.pid))

    def measure(self, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        import multiprocessing

        spawn = multiprocessing.get_context("spawn")
        ready, measuring, stop = spawn.Event(), spawn.Event(), spawn.Event()
        receive, send = spawn.Pipe(duplex=False)
        echo = spawn.Process(target=_echo_loop, args=(self.base_url, ready, measuring, stop, send), daemon=True)
        echo.start()
        self.rss = []
        self._stop.clear()
        sampler = threading.Thread(target=self._sample, daemon=True)
        sampler.start()
        ready.wait(120)  # the echo process is up and looping
        measuring.set()
        try:
            details = work()
        finally:
            stop.set()
            self._stop.set()
            sampler.join()
            latencies, failures = receive.recv()
            echo.join()
        return {
            **details,
            "echo_requests": len(latencies),
            "echo_failures": failures,
            "echo_p50_ms": round(percentile(latencies, 50), 2),
            "echo_p99_ms": round(percentile(latencies, 99), 2),
            "echo_max_ms": round(max(latencies, default=float("nan")), 2),
            "rss_max_mb": round(max((r for r, _ in self.rss), default=0.0), 1),
            "anon_max_mb": round(max((a for _, a in self.rss), default=0.0), 1),
        }


def repeat(target: Target, calls: Callable[[int], list[list[Any]]], *, at_least: int = 1) -> dict[str, Any]:
    """Send one hostile request after another for the scenario's seconds (at least `at_least`
    times); how they were answered and how long each took. `calls(n)` builds the n-th request:
    each differs a little from the last (its position, a word), so that no answer the server keeps
    between requests is reused and every one is worked out in full."""
    answers: dict[str, int] = {}
    took: list[float] = []
    deadline = time.monotonic() + target.seconds
    while len(took) < at_least or time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            r = target.post(calls(len(took)))
            if r.status_code != 200:
                kind = f"HTTP {r.status_code}"
            else:
                kinds = [resp[1].get("type", "") if resp[0] == "error" else "ok"
                         for resp in r.json()["methodResponses"]]
                kind = kinds[-1] if kinds else "empty"
        except httpx.HTTPError as exc:
            kind = type(exc).__name__
        took.append(time.perf_counter() - started)
        answers[kind] = answers.get(kind, 0) + 1
    return {"hostile_requests": len(took), "answers": answers,
            "hostile_p50_s": round(statistics.median(took), 3), "hostile_max_s": round(max(took), 3)}


# ------------------------------------------------------------------------------------------ finding 1

def idle(target: Target) -> dict[str, Any]:
    """Nothing hostile: the honest user's baseline in this run, on this machine, now."""
    time.sleep(target.seconds)
    return {"hostile_requests": 0, "answers": {}}


def _comparators(target: Target, count: int) -> Callable[[int], list[list[Any]]]:
    sort = [{"property": "subject"}] * count
    return lambda n: [["Email/query", {"accountId": target.account_id, "sort": sort, "position": n % 100}, "q"]]


def sort_20k_comparators(target: Target) -> dict[str, Any]:
    """Email/query with 20,000 `subject` comparators (488 KB): 25 s on the loop before the bound."""
    return repeat(target, _comparators(target, 20_000))


def sort_100k_comparators(target: Target) -> dict[str, Any]:
    """100,000 comparators: did not finish in 60 s before the bound."""
    return repeat(target, _comparators(target, 100_000))


def header_filter(target: Target) -> dict[str, Any]:
    """A `header` condition parses every message of the account."""
    return repeat(target, lambda n: [["Email/query", {"accountId": target.account_id, "calculateTotal": True,
                                                     "filter": {"header": ["X-Nothing-Has-This", f"x{n}"]}}, "q"]])


def wide_filter(target: Target) -> dict[str, Any]:
    """An OR of 20,000 conditions over every message: 20,000 predicate calls per message."""
    conditions = [{"hasKeyword": f"k{i}"} for i in range(20_000)]
    return repeat(target, lambda n: [["Email/query", {"accountId": target.account_id, "calculateTotal": True,
                                                     "position": n % 100,
                                                     "filter": {"operator": "OR", "conditions": conditions}}, "q"]])


def many_parts_get(target: Target) -> dict[str, Any]:
    """Email/get of every body property of one 4 MB message of 100,000 parts (12 s and 73 MB before)."""
    email_id = target.extra["many_parts_id"]
    return repeat(target, lambda n: [["Email/get", {
        "accountId": target.account_id, "ids": [email_id],
        "properties": ["bodyStructure", "textBody", "htmlBody", "attachments", "bodyValues", "headers"],
        "fetchAllBodyValues": True}, "g"]])


def text_filter_by_reference(target: Target) -> dict[str, Any]:
    """A text filter given as a `#filter` result reference, sorted by subject: the decision to
    leave the event loop must see the resolved filter."""
    words = ["the", "meeting", "report", "project", "update", "thanks", "week", "please"]

    def calls(n: int) -> list[list[Any]]:
        word = words[n % len(words)]
        return [["Core/echo", {"filter": {"text": word}}, "f"],
                ["Email/query", {"accountId": target.account_id, "calculateTotal": True, "position": n % 97,
                                 "sort": [{"property": "subject"}, {"property": "from"}],
                                 "#filter": {"resultOf": "f", "name": "Core/echo", "path": "/filter"}}, "q"]]
    return repeat(target, calls)


def get_full_bodies(target: Target) -> dict[str, Any]:
    """Email/get of every body property, with every body value, of as many emails as maxObjectsInGet."""
    ids = target.extra["email_ids"][:1000]
    return repeat(target, lambda n: [["Email/get", {
        "accountId": target.account_id, "ids": ids[n % 2:], "fetchAllBodyValues": True,
        "properties": ["bodyStructure", "textBody", "htmlBody", "attachments", "bodyValues", "headers"]}, "g"]])


def snippets_for_many(target: Target) -> dict[str, Any]:
    """SearchSnippet/get for as many emails as allowed: each body is parsed and scanned."""
    ids = target.extra["email_ids"][:1000]
    words = ["the meeting", "report", "project update", "thanks"]
    return repeat(target, lambda n: [["SearchSnippet/get", {
        "accountId": target.account_id, "emailIds": ids, "filter": {"body": words[n % len(words)]}}, "s"]])


# ------------------------------------------------------------------------------------------ finding 3

def searches_during_merges(target: Target) -> dict[str, Any]:
    """10,000 text searches (four clients) while imports keep making segments and merges keep
    replacing them. Imports pause now and then, long enough for an idle-time merge to start."""
    total = target.extra.get("searches", 10_000)
    words = ["the", "meeting", "report", "project", "update", "thanks", "week", "please", "time", "hello"]
    stop = threading.Event()
    merges = 0
    imported = 0
    raws = target.extra["spare_raws"]
    inbox = target.mailbox_ids["Inbox"]

    def importer() -> None:
        nonlocal imported
        batch = 0
        while not stop.is_set():
            chunk = raws[(batch * 10) % len(raws):][:10]
            blob_ids, _ = upload_all(target.jmap, chunk, concurrency=2)
            import_all(target.jmap, [{"blobId": b, "mailboxIds": {inbox: True}} for b in blob_ids], batch=10)
            imported += len(chunk)
            batch += 1
            if batch % 8 == 0:
                stop.wait(1.3)  # idle long enough for a background merge to start

    def watch_merges() -> None:
        nonlocal merges
        work = Path(target.data) / "index" / "work"
        seen: set[str] = set()
        while not stop.wait(0.05):
            if work.is_dir():
                for entry in work.iterdir():
                    if entry.name.startswith("merge-") and entry.name not in seen:
                        seen.add(entry.name)
                        merges += 1

    failures: dict[str, int] = {}
    done = 0
    lock = threading.Lock()

    def searcher(n: int) -> None:
        nonlocal done
        http = httpx.Client(auth=target.jmap.auth, timeout=120)
        i = n
        while True:
            with lock:
                if done >= total:
                    break
                done += 1
            word = words[i % len(words)] + ("" if i % 3 else " " + words[(i * 7) % len(words)])
            i += 4
            r = http.post(target.jmap.api_url, json={"using": USING, "methodCalls": [
                ["Email/query", {"accountId": target.account_id, "filter": {"text": word}, "limit": 10,
                                 "calculateTotal": True}, "q"]]})
            if r.status_code != 200:
                kind = f"HTTP {r.status_code}"
            else:
                name, args, _ = r.json()["methodResponses"][0]
                kind = None if name == "Email/query" else f"{args.get('type')}: {args.get('description')}"
            if kind:
                with lock:
                    failures[kind] = failures.get(kind, 0) + 1
        http.close()

    helpers = [threading.Thread(target=importer, daemon=True), threading.Thread(target=watch_merges, daemon=True)]
    for t in helpers:
        t.start()
    started = time.perf_counter()
    clients = [threading.Thread(target=searcher, args=(n,)) for n in range(4)]
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    elapsed = time.perf_counter() - started
    stop.set()
    for t in helpers:
        t.join()
    return {"hostile_requests": total, "answers": {"failed": sum(failures.values()), **failures},
            "merges_started": merges, "imported_meanwhile": imported, "seconds": round(elapsed, 1)}


# ------------------------------------------------------------------------------------------ finding 7

MIXED_USERS = 7  # 8 requests in flight each (maxConcurrentRequests): room for 50 clients


def mixed_load_memory(target: Target) -> dict[str, Any]:
    """50 clients of one shared account for 60 s (mailbox views, opened threads with bodies,
    searches with snippets, flag changes, subject sorts and header filters), then 60 s idle; the
    server's memory during the load and a minute after it stopped."""
    import asyncio
    import random

    seconds = target.extra.get("load_seconds", 60.0)
    users = []
    for n in range(MIXED_USERS):
        name = f"mixed{n}"
        subprocess.run([JMAPD, "user", "add", name, "--password", "mixed-pw", "--data", target.data],
                       capture_output=True, check=False)
        subprocess.run([JMAPD, "user", "share", "bench", "--with", name, "--data", target.data],
                       capture_output=True, check=True)
        users.append(name)
    account, inbox, ids = target.account_id, target.mailbox_ids["Inbox"], target.extra["email_ids"]
    words = ["the", "meeting", "report", "project", "update", "thanks", "week", "please", "time", "hello"]
    view_props = ["id", "threadId", "mailboxIds", "keywords", "from", "subject", "receivedAt", "size", "preview"]

    def calls(rng: random.Random) -> list[list[Any]]:
        kind = rng.random()
        if kind < 0.4:
            return [["Email/query", {"accountId": account, "filter": {"inMailbox": inbox}, "collapseThreads": True,
                                     "sort": [{"property": "receivedAt", "isAscending": False}],
                                     "position": 50 * rng.randrange(20), "limit": 50, "calculateTotal": True}, "q"],
                    ["Email/get", {"accountId": account, "properties": view_props,
                                   "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "g"]]
        if kind < 0.65:
            return [["Email/get", {"accountId": account, "ids": rng.sample(ids, 5), "fetchHTMLBodyValues": True,
                                   "properties": ["subject", "from", "to", "htmlBody", "textBody", "attachments",
                                                  "bodyValues", "headers"]}, "g"]]
        if kind < 0.8:
            word = rng.choice(words) + " " + rng.choice(words)
            return [["Email/query", {"accountId": account, "filter": {"text": word}, "limit": 20}, "q"],
                    ["SearchSnippet/get", {"accountId": account, "filter": {"text": word},
                                           "#emailIds": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "s"]]
        if kind < 0.9:
            return [["Email/set", {"accountId": account, "update": {
                rng.choice(ids): {"keywords/$flagged": True if rng.random() < 0.5 else None}}}, "f"]]
        if kind < 0.95:
            return [["Email/query", {"accountId": account, "sort": [{"property": "subject"}, {"property": "from"}],
                                     "position": rng.randrange(1000), "limit": 50}, "q"]]
        return [["Email/query", {"accountId": account, "limit": 20,
                                 "filter": {"header": ["Message-ID", str(rng.randrange(10**6))]}}, "q"]]

    done = {"requests": 0, "failed": 0}
    failures: dict[str, int] = {}

    async def client(n: int, until: float) -> None:
        rng = random.Random(n)
        auth = (users[n % len(users)], "mixed-pw")
        async with httpx.AsyncClient(auth=auth, timeout=120) as http:
            while time.monotonic() < until:
                r = await http.post(target.jmap.api_url, json={"using": USING, "methodCalls": calls(rng)})
                done["requests"] += 1
                kinds = ([f"HTTP {r.status_code}"] if r.status_code != 200 else
                         [f"{resp[1].get('type')}: {resp[1].get('description', '')[:60]}"
                          for resp in r.json()["methodResponses"] if resp[0] == "error"])
                if kinds:
                    done["failed"] += 1
                    failures[kinds[0]] = failures.get(kinds[0], 0) + 1

    samples: list[tuple[float, float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        start = time.monotonic()
        while not stop.wait(0.5):
            samples.append((time.monotonic() - start, *process_tree_memory(target.pid)))

    before = process_tree_memory(target.pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    async def load() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(*(client(n, until) for n in range(50)))

    asyncio.run(load())
    during = list(samples)
    time.sleep(seconds)
    stop.set()
    sampler.join()
    after = process_tree_memory(target.pid)
    server_alone = process_tree_memory(target.pid, children=False)
    return {"hostile_requests": done["requests"], "answers": {"failed": done["failed"], **failures},
            "server_process_after_mb": [round(v, 1) for v in server_alone],
            "rss_before_mb": round(before[0], 1), "anon_before_mb": round(before[1], 1),
            "rss_during_max_mb": round(max(r for _, r, _ in during), 1),
            "anon_during_max_mb": round(max(a for _, _, a in during), 1),
            "rss_after_mb": round(after[0], 1), "anon_after_mb": round(after[1], 1)}


# ------------------------------------------------------------------------------------ findings 2 and 5
# The attackers are bench/hostile_connections.py's, run in a process of their own from 127.0.0.2.

def _attack(target: Target, attacker: Callable[..., None], *args: Any) -> dict[str, Any]:
    out = multiprocessing.Queue()
    process = multiprocessing.Process(target=attacker, args=(int(target.base_url.rsplit(":", 1)[1]), *args, out))
    process.start()
    try:
        return out.get(timeout=600)
    finally:
        process.join()


def trickling_connections(target: Target) -> dict[str, Any]:
    """2,000 connections trickling their headers a byte a second, reopened a second after the
    server closes one: with 1,024 descriptors, about 1,000 of them locked out every real client."""
    stats = _attack(target, hostile_connections.trickle, 2000, target.seconds)
    return {"hostile_requests": stats.pop("opened"), "answers": {k: v for k, v in stats.items() if v}}


def wrong_passwords(target: Target) -> dict[str, Any]:
    """300 wrong passwords for one real user at 14 a second (all were checked with scrypt before)."""
    subprocess.run([JMAPD, "user", "add", "victim", "--password", "victim-pw", "--data", target.data],
                   capture_output=True, check=True)
    result = _attack(target, hostile_connections.wrong_passwords, 300, 14.0, "victim")
    return {"hostile_requests": sum(result["statuses"].values()),
            "answers": {f"HTTP {k}": v for k, v in result["statuses"].items()},
            "max_retry_after_s": result["max_retry_after_s"]}


# ------------------------------------------------------------------------------------------ the run

#: name -> (scenario, goal). Scenarios run in this order; --only picks some.
SCENARIOS: dict[str, tuple[Callable[[Target], dict[str, Any]], str]] = {
    "idle": (idle, "baseline"),
    "sort-20k-comparators": (sort_20k_comparators, "echo p99 < 50 ms"),
    "sort-100k-comparators": (sort_100k_comparators, "echo p99 < 50 ms"),
    "header-filter": (header_filter, "echo p99 < 50 ms"),
    "wide-filter": (wide_filter, "echo p99 < 50 ms"),
    "many-parts-get": (many_parts_get, "echo p99 < 50 ms"),
    "text-filter-by-reference": (text_filter_by_reference, "echo p99 < 50 ms"),
    "get-full-bodies": (get_full_bodies, "echo p99 < 50 ms"),
    "snippets-for-many": (snippets_for_many, "echo p99 < 50 ms"),
    "searches-during-merges": (searches_during_merges, "0 failures in 10,000 searches"),
    "mixed-load-memory": (mixed_load_memory, "RSS < 500 MB during, < 300 MB a minute after"),
    "trickling-connections": (trickling_connections, "echo p99 < 100 ms, served"),
    "wrong-passwords": (wrong_passwords, "back-off with Retry-After"),
}


def many_parts_message(parts: int = 100_000) -> bytes:
    """A 4 MB multipart/mixed message of `parts` tiny text parts."""
    head = (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: many parts\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
    part = b"--b\r\nContent-Type: text/plain\r\n\r\npart body\r\n"
    return head + part * parts + b"--b--\r\n"


def load(target: Target, count: int) -> None:
    messages = list(iter_messages(7, count + 200, SeedOptions(max_attachment_bytes=4000)))
    spare, messages = messages[count:], messages[:count]
    target.mailbox_ids.update(ensure_folders(target.jmap, {m.folder for m in messages}))
    blob_ids, _ = upload_all(target.jmap, [m.raw for m in messages], concurrency=4)
    items = [{"blobId": b, "mailboxIds": {target.mailbox_ids[m.folder]: True},
              "keywords": dict.fromkeys(m.keywords, True), "receivedAt": m.received_at}
             for b, m in zip(blob_ids, messages)]
    ids, seconds, errors = import_all(target.jmap, items)
    assert not errors, errors[:3]
    print(f"loaded {len(ids)} messages in {seconds:.1f} s", flush=True)
    target.extra["email_ids"] = ids
    target.extra["spare_raws"] = [m.raw for m in spare]
    (blob,), _ = upload_all(target.jmap, [many_parts_message()], concurrency=1)
    (created,), _, errors = import_all(target.jmap, [{"blobId": blob, "mailboxIds": {target.mailbox_ids["Inbox"]: True}}])
    assert not errors, errors
    target.extra["many_parts_id"] = created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each scenario repeats its request")
    parser.add_argument("--messages", type=int, default=4000, help="messages loaded into the hostile account")
    parser.add_argument("--searches", type=int, default=10_000)
    parser.add_argument("--load-seconds", type=float, default=60.0, help="mixed-load-memory: seconds of load, then idle")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    chosen = [name for name in SCENARIOS if not args.only or name in args.only or name == "idle"]
    results = []
    with jmapd_server() as (base, data, pid):
        subprocess.run([JMAPD, "user", "add", HONEST_USER, "--password", HONEST_PASSWORD, "--data", data],
                       capture_output=True, check=True)
        jmap = JmapSession(base + "/.well-known/jmap", "bench", "bench")
        target = Target(base, data, pid, jmap, args.seconds, {}, {"searches": args.searches,
                                                                  "load_seconds": args.load_seconds})
        load(target, args.messages)
        print(f"index settled after {wait_index_settled(data):.1f} s", flush=True)
        honest = Honest(base, pid)
        for name in chosen:
            scenario, goal = SCENARIOS[name]
            row = {"scenario": name, "goal": goal, **honest.measure(lambda: scenario(target))}
            results.append(row)
            print(json.dumps(row), flush=True)
    print()
    print("| scenario | hostile requests | answered | hostile p50 / max s | echo p50 / p99 / max ms | "
          "VmRSS / RssAnon max MB | goal |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in results:
        if "rss_during_max_mb" in row:
            print(f"| {row['scenario']} | {row['hostile_requests']} | {row['answers']} | VmRSS / RssAnon MB: before "
                  f"{row['rss_before_mb']} / {row['anon_before_mb']}, during max {row['rss_during_max_mb']} / "
                  f"{row['anon_during_max_mb']}, a minute after {row['rss_after_mb']} / {row['anon_after_mb']} | "
                  f"{row['echo_p50_ms']} / {row['echo_p99_ms']} / {row['echo_max_ms']} | - | {row['goal']} |")
            continue
        answers = ", ".join(f"{k} {v}" for k, v in row["answers"].items()) or "-"
        print(f"| {row['scenario']} | {row['hostile_requests']} | {answers} | "
              f"{row.get('hostile_p50_s', '-')} / {row.get('hostile_max_s', '-')} | "
              f"{row['echo_p50_ms']} / {row['echo_p99_ms']} / {row['echo_max_ms']} | "
              f"{row['rss_max_mb']} / {row['anon_max_mb']} | {row['goal']} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
