"""Hostile clients against one `jmapd serve`: 2,000 trickling connections, and 300 wrong passwords,
each while an honest client is measured (issue 20, findings 2 and 5).

    .venv/bin/python bench/hostile_connections.py [--duration 20] [--json]

The attacker runs in a process of its own from 127.0.0.2 (all of 127/8 is loopback), the honest
client from 127.0.0.1, so neither shares an event loop with the other. The server is started with a
soft and hard limit of 1,024 descriptors (a common service default, and the condition in which about
1,000 trickling connections used to lock out every real client).

- trickle: 2,000 connections that each send half a request line and then a byte a second; a
  connection the server closes is opened again a second later.
- wrong-passwords: 300 wrong passwords for one real user at 14 a second (401: checked; 429: refused
  before any check, with Retry-After).

Alongside each, the honest client opens a fresh connection every 20 ms and calls Core/echo with the
right password; its p50/p99 and errors are reported, with the server's RSS. Goals: honest p99 under
100 ms during the trickle; the wrong passwords mostly refused without scrypt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import JMAPD, basic  # noqa: E402

from jmapd.testing import free_port, wait_until_answering  # noqa: E402

ECHO = {"using": ["urn:ietf:params:jmap:core"], "methodCalls": [["Core/echo", {"ok": True}, "0"]]}
DESCRIPTORS = 1024


# ---------------------------------------------------------------- attackers (in their own process)

async def _trickler(port: int, stop_at: float, stats: dict) -> None:
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
        except OSError:
            stats["connect_failed"] += 1
            await asyncio.sleep(1)
            continue
        stats["opened"] += 1
        try:
            writer.write(b"GET /jmap/session HTTP/1.1\r\nHo")
            while time.monotonic() < stop_at:
                read = asyncio.ensure_future(reader.read(256))
                done, _ = await asyncio.wait({read}, timeout=1)
                if done:
                    answer = read.result()
                    stats["closed_" + (answer[9:12].decode() if answer.startswith(b"HTTP/1.1 ") else "silently")] += 1
                    break
                read.cancel()
                writer.write(b"s")
                await writer.drain()
        except (ConnectionError, OSError):
            stats["reset"] += 1
        finally:
            writer.close()
        await asyncio.sleep(1)


def trickle(port: int, connections: int, duration: float, out) -> None:
    async def main():
        stats = {k: 0 for k in ("opened", "connect_failed", "reset", "closed_408", "closed_429", "closed_503",
                                "closed_silently")}
        stop_at = time.monotonic() + duration
        await asyncio.gather(*(_trickler(port, stop_at, stats) for _ in range(connections)))
        return stats

    out.put(asyncio.run(main()))


def wrong_passwords(port: int, count: int, rate: float, user: str, out) -> None:
    statuses: dict[str, int] = {}
    retry_after = []
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30) as client:
        started = time.monotonic()
        for n in range(count):
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
            r = client.get(f"http://127.0.0.1:{port}/jmap/session", auth=(user, f"guess-{n}"))
            statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
            if r.status_code == 429:
                retry_after.append(int(r.headers["retry-after"]))
    out.put({"statuses": statuses, "max_retry_after_s": max(retry_after, default=0),
             "seconds": round(time.monotonic() - started, 1)})


# ---------------------------------------------------------------- the honest client and the server

def honest(port: int, duration: float, auth: tuple[str, str]) -> dict:
    """Core/echo over a fresh connection every 20 ms (so admission is measured too), written and read
    with a plain socket: an HTTP library would spend more CPU per request than the server does."""
    body = json.dumps(ECHO).encode()
    request = (b"POST /jmap/api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + basic(*auth).encode() +
               b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
               + body)
    latencies, errors = [], 0
    stop_at = time.monotonic() + duration
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        answer = b""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.sendall(request)
                while chunk := sock.recv(65536):
                    answer += chunk
        except OSError:
            pass
        latencies.append((time.perf_counter() - started) * 1000)
        errors += not (answer.startswith(b"HTTP/1.1 200") and b'"ok":true' in answer)
        time.sleep(0.02)
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2)}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def run(duration: float, jmapd: str = JMAPD) -> dict:
    data = tempfile.mkdtemp(prefix="jmapd-hostile-")
    for name in ("honest", "victim"):
        subprocess.run([jmapd, "user", "add", name, "--password", f"{name}-pw", "--data", data], check=True,
                       capture_output=True)
    port = free_port()

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))

    server = subprocess.Popen([jmapd, "serve", "--port", str(port), "--data", data], preexec_fn=low_limit,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict = {"server_descriptor_limit": DESCRIPTORS}
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/.well-known/jmap")
        results["quiet"] = honest(port, min(duration, 10), ("honest", "honest-pw"))
        out = multiprocessing.Queue()
        attacker = multiprocessing.Process(target=trickle, args=(port, 2000, duration, out))
        attacker.start()
        time.sleep(2)  # let the 2,000 connect
        results["trickle"] = {"honest": honest(port, duration - 3, ("honest", "honest-pw")),
                              "server_rss_mb": rss_mb(server.pid)}
        results["trickle"]["attacker"] = out.get(timeout=duration + 60)
        attacker.join()
        attacker = multiprocessing.Process(target=wrong_passwords, args=(port, 300, 14.0, "victim", out))
        attacker.start()
        results["wrong_passwords"] = {"honest": honest(port, 300 / 14.0, ("honest", "honest-pw")),
                                      "server_rss_mb": rss_mb(server.pid)}
        results["wrong_passwords"]["attacker"] = out.get(timeout=120)
        attacker.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(["rm", "-rf", data])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of the trickle scenario")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--jmapd", default=JMAPD, help="the jmapd program to measure (e.g. an older build's)")
    args = parser.parse_args()
    results = run(args.duration, args.jmapd)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"server descriptor limit: {results['server_descriptor_limit']}")
    for name in ("quiet", "trickle", "wrong_passwords"):
        part = results[name]
        h = part if name == "quiet" else part["honest"]
        print(f"{name:16} honest p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, "
              f"{h['errors']} errors in {h['requests']} requests")
        if name != "quiet":
            print(f"{'':16} server RSS {part['server_rss_mb']} MB; attacker {part['attacker']}")


if __name__ == "__main__":
    main()
