"""LMTP delivery into a large account: throughput with 1 and 4 connections, end-of-DATA → 250
latency, and how soon each delivered message is found by a text search.

    .venv/bin/python bench/lmtp_bench.py --count 100000 [--messages 3000] [--data DIR] [--from DIR]

Dataset: an account of --count generated messages (about 1.5 KB each: realistic headers, threads
of up to five messages, body text from a fixed vocabulary; seed 1), written straight into the
store through the mail layer's writer in transactions of 1,000 before the server starts (loading
over JMAP would take far longer and is measured elsewhere), then indexed by the server: the bench
waits until the index has caught up and finished merging before it measures anything.

Delivery: `jmapd serve --lmtp` in its own process; the client is asyncio speaking LMTP directly
(LHLO once, then MAIL, RCPT, DATA per message on each connection), --messages messages with one
connection, then --messages with 4. Each message carries a word of its own in its body.
- throughput: messages acknowledged per second of wall time, per phase;
- end of DATA → 250: from the client's last write of a message's data (the final `.`) to the
  reply, per message; median and p99;
- server CPU per message: the server process's CPU time over the phase / messages, which the
  machine's other load does not change (throughput and latency it does); its descendants' (the
  index's segment builders and merges) are given apart, and so is this client's own;
- deliveries per store commit: how many messages a durable commit held on average;
- searchable: for one message in 25, from its 250 until Email/query {text: its word} lists it
  (the query itself waits until the index has caught up with the store, as the server promises);
  median, p99 and worst. These searches are made by a second client process, as a mail app beside
  the MTA would: handling their answers never holds up the LMTP client.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

from jmapd.testing import free_port, wait_until_answering

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from servers import wait_index_settled  # noqa: E402

JMAPD = str(Path(sys.executable).with_name("jmapd"))
USER, PASSWORD, ADDRESS = "bench", "bench", "bench@example.test"
WORDS = ("meeting report budget travel invoice garden review release schedule project kitchen "
         "weather football concert library quarterly proposal contract design server network").split()
SAMPLE_EVERY = 25
# Searches in flight at once: below the server's maxConcurrentRequests (8), which answers 429 past it.
SEARCH_SLOTS = 4


def synthetic(n: int, rng: random.Random, *, token: str | None = None) -> bytes:
    thread = n // 5
    subject = f"{'Re: ' if n % 5 else ''}{rng.choice(WORDS)} {rng.choice(WORDS)} {thread}"
    refs = f"In-Reply-To: <t{thread}.{n % 5 - 1}@bench.test>\r\n" if n % 5 else ""
    body = " ".join(rng.choice(WORDS) for _ in range(180))
    if token:
        body += f" {token}"
    body = "\r\n".join(textwrap.wrap(body, 76))
    return (f"From: Sender {n % 97} <sender{n % 97}@bench.test>\r\nTo: {ADDRESS}\r\nSubject: {subject}\r\n"
            f"Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <t{thread}.{n % 5}@bench.test>\r\n{refs}"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def preload(data: str, count: int) -> float:
    """Write `count` messages into the user's Inbox through the mail layer's writer; seconds taken."""
    from store import Store
    from store.blobs import blob_id_for

    from jmapd.mail.accounts import create_user
    from jmapd.mail.mailboxes import mailbox_by_role
    from jmapd.mail.parsing import parse_for_import
    from jmapd.mail.writer import store_message

    store = Store.open(data)
    started = time.monotonic()
    try:
        user = create_user(store, USER, PASSWORD, ADDRESS)
        with store.read() as txn:
            inbox = mailbox_by_role(txn, user.account_id, "inbox")
        rng = random.Random(1)
        for start in range(0, count, 1000):
            batch = [synthetic(n, rng) for n in range(start, min(count, start + 1000))]
            parsed = [parse_for_import(raw, blob_id_for(raw)) for raw in batch]

            def work(txn, batch=batch, parsed=parsed, start=start):
                for i, (raw, p) in enumerate(zip(batch, parsed)):
                    store_message(txn, user.account_id, raw, p, mailbox_ids=[inbox], keywords=["$seen"],
                                  received_at=1_700_000_000 + start + i)

            store.write(work)
    finally:
        store.close()
    return time.monotonic() - started


class Lmtp:
    """A minimal LMTP client: enough to deliver one message at a time and time the final reply."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> "Lmtp":
        client = cls(*await asyncio.open_connection("127.0.0.1", port))
        await client.reply()
        client.writer.write(b"LHLO bench.test\r\n")
        await client.reply()
        return client

    async def reply(self) -> bytes:
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionError("closed")
            if line[3:4] != b"-":
                return line

    ENVELOPE = f"MAIL FROM:<sender@bench.test>\r\nRCPT TO:<{ADDRESS}>\r\nDATA\r\n".encode()

    @staticmethod
    def render(raw: bytes) -> bytes:
        """A message as DATA sends it: dot-stuffed (RFC 5321 §4.5.2), with the final "." line."""
        stuffed = (b"." + raw if raw.startswith(b".") else raw).replace(b"\r\n.", b"\r\n..")
        return stuffed + b".\r\n"

    async def deliver(self, data: bytes) -> tuple[bool, float]:
        """(accepted, seconds from the end of data to the reply); `data` as `render` made it. The
        envelope goes in one write (RFC 2920 pipelining), the data in another after the 354."""
        self.writer.write(self.ENVELOPE)
        for _ in range(3):
            last = await self.reply()
        assert last.startswith(b"354"), last
        self.writer.write(data)
        await self.writer.drain()
        sent = time.perf_counter()
        answer = await self.reply()
        return answer.startswith(b"250"), time.perf_counter() - sent

    async def close(self) -> None:
        self.writer.write(b"QUIT\r\n")
        self.writer.close()


async def searchable_after(http: httpx.AsyncClient, api: str, account: str, token: str, acked: float,
                           slots: asyncio.Semaphore) -> float:
    """Seconds from the 250 until a text search for `token` finds the message."""
    body = {"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
            "methodCalls": [["Email/query", {"accountId": account, "filter": {"text": token}}, "q"]]}
    while True:
        async with slots:
            answer = await http.post(api, json=body)
        if answer.status_code == 200 and answer.json()["methodResponses"][0][1].get("ids"):
            return time.perf_counter() - acked
        if time.perf_counter() - acked > 30:
            return float("inf")
        await asyncio.sleep(0.05)


def search_sampled(http_port: int, orders, results) -> None:
    """The searching client, in a process of its own so that handling its answers never delays the
    LMTP client (a mail server in front does not wait on anyone's searches). Reads (word, time of
    the 250) from `orders` until None, and sends back the list of seconds until each was found and
    its CPU seconds (a first message says it is ready, with its CPU seconds until then).
    time.perf_counter is the system's monotonic clock, the same in both processes."""

    async def run() -> list[float]:
        slots = asyncio.Semaphore(SEARCH_SLOTS)
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", auth=(USER, PASSWORD),
                                     timeout=60) as http:
            session = (await http.get("/jmap/session")).json()
            account, api = session["primaryAccounts"]["urn:ietf:params:jmap:mail"], session["apiUrl"]
            results.send(time.process_time())  # ready
            tasks = []
            while (order := await loop.run_in_executor(None, orders.recv)) is not None:
                tasks.append(asyncio.create_task(searchable_after(http, api, account, *order, slots)))
            return list(await asyncio.gather(*tasks))

    found = asyncio.run(run())
    results.send((found, time.process_time()))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def store_commits(data: str) -> int:
    """How many write transactions the store has committed so far (LMDB's last transaction id,
    read beside the server as any other reader would)."""
    import lmdb

    env = lmdb.open(str(Path(data) / "store"), readonly=True, max_dbs=64, max_readers=1024)
    try:
        return env.info()["last_txnid"]
    finally:
        env.close()


def children_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each live descendant of a process (the index's builder and merge processes,
    and whatever they start)."""
    found: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            try:
                found[child] = cpu_seconds(child)
                found.update(children_cpu(child))
            except OSError:
                pass
    return found


async def phase(port: int, http_port: int, connections: int, messages: int, first: int, server_pid: int,
                data: str) -> dict:
    rng = random.Random(first)
    # Made before the clock starts: the client's own work is not the server's throughput.
    prepared = {n: Lmtp.render(synthetic(n, rng, token=f"zqtok{n}")) for n in range(first, first + messages)}
    queue = collections.deque(prepared)
    latencies: list[float] = []
    orders, orders_in = multiprocessing.Pipe(duplex=False)
    results_out, results = multiprocessing.Pipe(duplex=False)
    searcher = multiprocessing.get_context("spawn").Process(target=search_sampled, args=(http_port, orders, results))
    searcher.start()
    searcher_started = await asyncio.get_running_loop().run_in_executor(None, results_out.recv)
    refused = 0

    async def worker() -> None:
        nonlocal refused
        client = await Lmtp.connect(port)
        while queue:
            n = queue.popleft()
            token = f"zqtok{n}"
            ok, latency = await client.deliver(prepared[n])
            acked = time.perf_counter()
            latencies.append(latency)
            refused += not ok
            if n % SAMPLE_EVERY == 0:
                orders_in.send((token, acked))
        await client.close()

    started, cpu_before, children_before = time.perf_counter(), cpu_seconds(server_pid), children_cpu(server_pid)
    client_before, commits_before = time.process_time(), store_commits(data)
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(server_pid) - cpu_before
    client = time.process_time() - client_before
    commits = store_commits(data) - commits_before
    # A child that ended during the phase is not counted: the index keeps its workers running.
    children = sum(t - children_before.get(child, 0.0) for child, t in children_cpu(server_pid).items())
    orders_in.send(None)
    found, searcher_cpu = await asyncio.get_running_loop().run_in_executor(None, results_out.recv)
    found.sort()
    client += searcher_cpu - searcher_started
    searcher.join()
    latencies.sort()
    return {
        "connections": connections, "messages": messages, "refused": refused,
        "messages_per_s": round(messages / elapsed, 1),
        # The server's own CPU per message (delivery, its share of indexing, the sampled searches):
        # what the machine's other load does not change.
        "server_cpu_ms_per_message": round(cpu / messages * 1000, 2),
        # Its descendants' (index segment builds and merges, at a lower priority), besides.
        "workers_cpu_ms_per_message": round(children / messages * 1000, 2),
        # This client's own (LMTP, and the sampled searches' process), on the same two cores.
        "client_cpu_ms_per_message": round(client / messages * 1000, 2),
        # Deliveries per durable store commit (the group commit shares one between concurrent ones).
        "messages_per_store_commit": round(messages / max(1, commits), 2),
        "end_of_data_to_250_ms": {"median": round(statistics.median(latencies) * 1000, 2),
                                  "p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2)},
        "searchable_s": {"samples": len(found), "median": round(statistics.median(found), 3),
                         "p99": round(found[max(0, int(len(found) * 0.99) - 1)], 3), "worst": round(found[-1], 3)},
    }


async def measure(http_port: int, lmtp_port: int, messages: int, server_pid: int, data: str) -> list[dict]:
    results = []
    for index, connections in enumerate((1, 4)):
        first = 10_000_000 * (index + 1) + int(time.time()) % 1_000_000 * 10  # new words on every run
        results.append(await phase(lmtp_port, http_port, connections, messages, first, server_pid, data))
    return results


def wait_caught_up(http_port: int, count: int, timeout: float = 1800) -> float:
    """Seconds until the index holds the whole preloaded account (a word every message has)."""
    started = time.monotonic()
    with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", auth=(USER, PASSWORD), timeout=60) as http:
        session = http.get("/jmap/session").json()
        account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        body = {"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
                "methodCalls": [["Email/query", {"accountId": account, "filter": {"text": "bench.test"},
                                                 "calculateTotal": True, "limit": 1}, "q"]]}
        while time.monotonic() - started < timeout:
            result = http.post(session["apiUrl"], json=body).json()["methodResponses"][0][1]
            if result.get("total", 0) >= count:
                return time.monotonic() - started
            time.sleep(2)
    raise TimeoutError("the index did not catch up")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="messages already in the account")
    parser.add_argument("--messages", type=int, default=3000, help="messages delivered in each phase")
    parser.add_argument("--data", help="keep the data folder here (a second run on it skips the preload, "
                                       "and adds its own messages to the account)")
    parser.add_argument("--from", dest="template", metavar="DIR",
                        help="start from a copy of this data folder (one an earlier run kept with --data), so "
                             "that every run starts from the same account; --data is then replaced by the copy")
    args = parser.parse_args()
    tmp = None
    data = args.data
    if data is None:
        tmp = tempfile.TemporaryDirectory(prefix="jmapd-lmtp-bench-", dir=args.template and Path(args.template).parent)
        data = tmp.name
    if args.template:
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(args.template, data, symlinks=True)
    report: dict = {"count": args.count, "messages_per_phase": args.messages}
    if not (Path(data) / "store").exists():
        report["preload_s"] = round(preload(data, args.count), 1)
    http_port, lmtp_port = free_port(), free_port()
    server = subprocess.Popen([JMAPD, "serve", "--data", data, "--port", str(http_port), "--lmtp",
                               f"127.0.0.1:{lmtp_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{http_port}/.well-known/jmap", timeout=60)
        report["index_caught_up_s"] = round(wait_caught_up(http_port, args.count), 1)
        report["index_settled_s"] = round(wait_index_settled(data), 1)
        report["load_average_before"] = os.getloadavg()
        report["phases"] = asyncio.run(measure(http_port, lmtp_port, args.messages, server.pid, data))
        report["load_average_after"] = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if tmp is not None:
            tmp.cleanup()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
