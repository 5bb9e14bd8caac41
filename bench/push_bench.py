"""Push fan-out: idle EventSource and WebSocket listeners held open while changes are made.

Starts a real `jmapd serve` on a fresh data folder with one user (the dataset: that user's account,
whose Mailbox state every change moves), opens --eventsource EventSource connections and --websocket
WebSocket connections with push enabled for that account, then makes --changes Mailbox/set calls
over HTTP, one at a time. For each change it measures the time from sending the call to the moment
the last listener has the new state (an upper bound of commit to last listener: it includes the
call's own processing), checks that every listener got every change, and reads the server's
resident memory before and after the listeners connected.

    .venv/bin/python bench/push_bench.py --eventsource 1000 --websocket 1000 --changes 50
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
JMAPD = str(Path(sys.executable).with_name("jmapd"))
STATE = re.compile(rb'"Mailbox":"(\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Arrivals:
    """When each listener saw each Mailbox state."""

    def __init__(self, listeners: int):
        self.seen: list[dict[int, float]] = [{} for _ in range(listeners)]
        self.changed = asyncio.Event()

    def record(self, index: int, state: int) -> None:
        self.seen[index].setdefault(state, time.perf_counter())
        self.changed.set()


async def eventsource_listener(port: int, auth: str, index: int, arrivals: Arrivals, ready: asyncio.Event):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /jmap/eventsource/?types=Mailbox&closeafter=no&ping=0 HTTP/1.1\r\n"
                  f"Host: 127.0.0.1:{port}\r\nAuthorization: {auth}\r\nAccept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    buffer = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        buffer += chunk
        if not ready.is_set() and b"id: " in buffer:
            ready.set()  # the server has subscribed this connection
        for match in STATE.finditer(buffer):
            arrivals.record(index, int(match.group(1)))
        buffer = buffer[-64:]


async def websocket_listener(url: str, auth: str, index: int, arrivals: Arrivals, ready: asyncio.Event):
    async with connect(url, subprotocols=["jmap"], additional_headers={"Authorization": auth},
                       compression=None, open_timeout=60, ping_interval=None) as ws:
        await ws.send('{"@type":"WebSocketPushEnable","dataTypes":["Mailbox"]}')
        await ws.send('{"@type":"Request","id":"ready","using":["urn:ietf:params:jmap:core"],'
                      '"methodCalls":[["Core/echo",{},"c"]]}')
        async for message in ws:
            data = message.encode() if isinstance(message, str) else message
            if b'"requestId":"ready"' in data:
                ready.set()
            for match in STATE.finditer(data):
                arrivals.record(index, int(match.group(1)))


async def open_listeners(count: int, make, arrivals: Arrivals, offset: int, tasks: list) -> None:
    """Open `count` listeners a batch at a time (a burst of thousands of handshakes at once would
    measure the accept queue, not push)."""
    for start in range(0, count, 100):
        readies = []
        for index in range(offset + start, offset + min(count, start + 100)):
            ready = asyncio.Event()
            readies.append(ready)
            tasks.append(asyncio.create_task(make(index, ready)))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def measure(args, port: int, pid: int, auth: str, account_id: str) -> dict:
    total = args.eventsource + args.websocket
    arrivals = Arrivals(total)
    tasks: list[asyncio.Task] = []
    before = rss_kib(pid)
    await open_listeners(args.eventsource, lambda i, r: eventsource_listener(port, auth, i, arrivals, r),
                         arrivals, 0, tasks)
    after_es = rss_kib(pid)
    ws_url = f"ws://127.0.0.1:{port}/jmap/ws/"
    await open_listeners(args.websocket, lambda i, r: websocket_listener(ws_url, auth, i, arrivals, r),
                         arrivals, args.eventsource, tasks)
    await asyncio.sleep(1.0)
    after_all = rss_kib(pid)
    latencies, missing = [], 0
    cpu_before = cpu_seconds(pid)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": auth},
                                 timeout=30) as http:
        for n in range(args.changes):
            body = {"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
                    "methodCalls": [["Mailbox/set", {"accountId": account_id,
                                                     "create": {"m": {"name": f"Change {n}"}}}, "c"]]}
            sent = time.perf_counter()
            response = (await http.post("/jmap/api/", json=body)).json()
            state = int(response["methodResponses"][0][1]["newState"])
            deadline = time.monotonic() + 10
            while not all(state in seen for seen in arrivals.seen) and time.monotonic() < deadline:
                arrivals.changed.clear()
                try:
                    await asyncio.wait_for(arrivals.changed.wait(), 1)
                except asyncio.TimeoutError:
                    pass
            times = [seen[state] for seen in arrivals.seen if state in seen]
            missing += total - len(times)
            if times:
                latencies.append((max(times) - sent) * 1000)
            await asyncio.sleep(args.pause)
    cpu = cpu_seconds(pid) - cpu_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"latencies": latencies, "missing": missing, "rss_before": before, "rss_es": after_es,
            "rss_all": after_all, "cpu": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eventsource", type=int, default=1000)
    parser.add_argument("--websocket", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between changes")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2 * (args.eventsource + args.websocket) + 1024
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, needed)), hard))
    data = tempfile.mkdtemp(prefix="jmapd-push-bench-")
    port = free_port()
    try:
        subprocess.run([JMAPD, "user", "add", "bench", "--password", "bench-pw", "--data", data],
                       check=True, capture_output=True)
        # Every listener comes from 127.0.0.1: lift the per-address connection cap above their number.
        config = os.path.join(data, "jmapd.toml")
        Path(config).write_text(f"[connections]\nmax_per_address = {needed}\n")
        server = subprocess.Popen([JMAPD, "serve", "--host", "127.0.0.1", "--port", str(port), "--data", data,
                                   "--config", config],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            auth = "Basic " + base64.b64encode(b"bench:bench-pw").decode()
            deadline = time.monotonic() + 30
            while True:
                try:
                    session = httpx.get(f"http://127.0.0.1:{port}/jmap/session", headers={"Authorization": auth})
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            account_id = session.json()["primaryAccounts"]["urn:ietf:params:jmap:mail"]
            try:
                import uvloop

                uvloop.install()
            except ImportError:
                pass
            result = asyncio.run(measure(args, port, server.pid, auth, account_id))
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    lat = result["latencies"]
    total = args.eventsource + args.websocket
    print(f"listeners: {args.eventsource} EventSource + {args.websocket} WebSocket; changes: {args.changes}")
    print(f"events missing: {result['missing']} of {total * args.changes}")
    if lat:
        print(f"send->last listener ms: p50 {statistics.median(lat):.1f}  p99 {percentile(lat, 99):.1f}  "
              f"max {max(lat):.1f}")
    print(f"server CPU per change (the call and its fan-out to every listener): "
          f"{result['cpu'] / max(1, args.changes) * 1000:.1f} ms")
    es_kib = (result["rss_es"] - result["rss_before"]) / max(1, args.eventsource)
    ws_kib = (result["rss_all"] - result["rss_es"]) / max(1, args.websocket)
    print(f"server RSS: {result['rss_before'] / 1024:.1f} MiB idle, {result['rss_all'] / 1024:.1f} MiB with "
          f"all listeners; per EventSource {es_kib:.1f} KiB, per WebSocket {ws_kib:.1f} KiB")
    return 0 if result["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
