"""Sending throughput: EmailSubmission/set accepted per second, and the queue drained to a sink.

    .venv/bin/python bench/submission_bench.py [--count 1000] [--clients 8] [--recipients-per-message 10]

Dataset (generated here): 100 recipients spread over 10 domains (r0@d0.test ... r9@d9.test), and
COUNT drafts of about 1 KB, each addressed to RECIPIENTS-PER-MESSAGE of them (one per domain by
default, rotating). A `jmapd serve` on a fresh data folder delivers directly, its transport table
sending all ten domains to one local aiosmtpd sink (one SMTP transaction per domain and message,
`connections_per_domain = 4`). The drafts are created first (not timed); then CLIENTS threads send
one EmailSubmission/set per request until all COUNT are accepted, while the outbox drains.

With --api-only every submission is held (HOLDFOR a day), so the API is measured alone.

Printed: submissions accepted per second by the API (first request to last answer), and the drain:
from the first submission until the sink has received every message to every recipient, in
messages and SMTP transactions per second, and the sink's own pace for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jmapd.testing import free_port, wait_until_answering  # noqa: E402

JMAPD = str(Path(sys.executable).with_name("jmapd"))
USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:submission"]
DOMAINS = [f"d{i}.test" for i in range(10)]
RECIPIENTS = [f"r{j}@{d}" for d in DOMAINS for j in range(10)]


class CountingSink:
    def __init__(self):
        self.messages = 0
        self.transactions = 0
        self.recipients = 0
        self.first = self.last = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.perf_counter()
        with self.lock:
            self.transactions += 1
            self.recipients += len(envelope.rcpt_tos)
            self.first = self.first or now
            self.last = now
        return "250 2.0.0 accepted"


def call(http: httpx.Client, account: str, method: str, args: dict) -> dict:
    response = http.post("/jmap/api/", json={"using": USING, "methodCalls": [[method, {"accountId": account, **args},
                                                                                "0"]]})
    response.raise_for_status()
    name, result, _ = response.json()["methodResponses"][0]
    if name == "error":
        raise RuntimeError(result)
    return result


async def sink_capacity(port: int, transactions: int, concurrency: int) -> float:
    """Transactions/s the sink takes from a plain aiosmtplib client doing what the outbox does (a
    connection per transaction, one recipient, ~1 KB), `concurrency` at a time: its pace."""
    import aiosmtplib

    message = b"From: a@example.test\r\nTo: r0@d0.test\r\nSubject: pace\r\n\r\n" + b"x" * 900 + b"\r\n"
    slots = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with slots:
            await aiosmtplib.send(message, sender="a@example.test", recipients=["r0@d0.test"], hostname="127.0.0.1",
                                  port=port, local_hostname="localhost", start_tls=False)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(transactions)))
    return transactions / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--recipients-per-message", type=int, default=10)
    parser.add_argument("--api-only", action="store_true",
                        help="hold every submission for a day (FUTURERELEASE), so the outbox sends nothing "
                             "while the API is measured; no drain figures")
    args = parser.parse_args()

    sink = CountingSink()
    sink_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
    controller.start()
    pace = asyncio.run(sink_capacity(sink_port, 2000, 40))
    sink.messages = sink.transactions = sink.recipients = 0
    sink.first = sink.last = None
    print(f"sink pace (aiosmtplib straight to it, 40 connections at once): {pace:.0f} transactions/s", flush=True)
    folder = tempfile.mkdtemp(prefix="jmapd-submission-bench-")
    data = os.path.join(folder, "data")
    config = os.path.join(folder, "jmapd.toml")
    with open(config, "w") as f:
        f.write('[outbox]\ndelivery = "direct"\nconnections_per_domain = 4\nmax_recipients = 100\n[outbox.transport]\n')
        f.writelines(f'"{d}" = "127.0.0.1:{sink_port}"\n' for d in DOMAINS)
    subprocess.run([JMAPD, "user", "add", "bench", "--password", "bench", "--email", "bench@example.test",
                    "--data", data], check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([JMAPD, "serve", "--port", str(port), "--data", data, "--config", config],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(base + "/.well-known/jmap", timeout=60)
        http = httpx.Client(base_url=base, auth=("bench", "bench"), timeout=60)
        account = http.get("/jmap/session").json()["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        drafts_box = next(m["id"] for m in call(http, account, "Mailbox/get", {"ids": None})["list"]
                          if m["role"] == "drafts")
        identity = call(http, account, "Identity/get", {"ids": None})["list"][0]["id"]
        per = args.recipients_per_message
        drafts = []
        for start in range(0, args.count, 100):
            create = {}
            for n in range(start, min(start + 100, args.count)):
                to = [RECIPIENTS[(n + k * 10) % len(RECIPIENTS)] for k in range(per)] if per <= 10 else \
                     [RECIPIENTS[(n + k) % len(RECIPIENTS)] for k in range(per)]
                create[str(n)] = {"mailboxIds": {drafts_box: True}, "keywords": {"$draft": True},
                                  "from": [{"email": "bench@example.test"}], "to": [{"email": a} for a in to],
                                  "subject": f"bench message {n}",
                                  "bodyValues": {"b": {"value": ("All work and no play. " * 40)[:900]}},
                                  "textBody": [{"partId": "b", "type": "text/plain"}]}
            created = call(http, account, "Email/set", {"create": create})["created"]
            drafts += [created[str(n)]["id"] for n in range(start, min(start + 100, args.count))]
        print(f"dataset: {len(drafts)} drafts of ~1 KB, {per} recipients each, over {len(RECIPIENTS)} recipients "
              f"in {len(DOMAINS)} domains", flush=True)

        local = threading.local()

        def submit(email_id: str) -> None:
            if not hasattr(local, "http"):
                local.http = httpx.Client(base_url=base, auth=("bench", "bench"), timeout=60)
            submission = {"identityId": identity, "emailId": email_id}
            if args.api_only:
                submission["envelope"] = {"mailFrom": {"email": "bench@example.test", "parameters": {"HOLDFOR": "86400"}},
                                          "rcptTo": [{"email": RECIPIENTS[0], "parameters": None}]}
            result = call(local.http, account, "EmailSubmission/set", {"create": {"s": submission}})
            if not result.get("created"):
                raise RuntimeError(result)

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(submit, drafts))
        accepted = time.perf_counter() - started
        print(f"API: {len(drafts) / accepted:.0f} submissions/s accepted "
              f"({len(drafts)} in {accepted:.2f} s, {args.clients} clients, one submission per request"
              f"{', held: the outbox idle' if args.api_only else ', the outbox draining meanwhile'})", flush=True)
        if args.api_only:
            return
        expected = len(drafts) * per
        deadline = time.monotonic() + 600
        while sink.recipients < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        drained = (sink.last or time.perf_counter()) - started
        print(f"drain: {len(drafts) / drained:.0f} messages/s, {sink.transactions / drained:.0f} SMTP transactions/s, "
              f"{sink.recipients / drained:.0f} recipients/s ({sink.recipients}/{expected} recipients in {drained:.2f} s "
              f"from the first submission)")
        if sink.first and sink.last and sink.last > sink.first:
            print(f"drain from the first message at the sink to the last: "
                  f"{sink.transactions / (sink.last - sink.first):.0f} transactions/s")
    finally:
        server.terminate()
        server.wait(timeout=30)
        controller.stop()


if __name__ == "__main__":
    main()
