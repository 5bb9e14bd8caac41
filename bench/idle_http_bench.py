"""Does a crowd of IMAP connections in IDLE slow the HTTP API? Core/echo latency over HTTP with no
IMAP connection, then with N IMAP connections in IDLE on the same `jmapd serve`, then again while a
flag changes four times a second in the mailbox 49 of those sessions watch (so they have something
to report).

    .venv/bin/python bench/idle_http_bench.py [--connections 1000] [--requests 2000]

Run it under `flock /tmp/jmapd-bench.lock` on a shared machine. A fresh data folder holds one
mailbox of 10 messages; the IDLE sessions belong to N/49 users of their own (jmapd admits 50 IMAP
connections per user, and the first user's last one changes a flag in the third phase), come from 127.0.0.2 to 127.0.0.9 (the server admits at most 256 connections
per client address), and each has INBOX selected. Core/echo requests go one after the other over
one keep-alive connection. Prints the median, p90 and p99 in milliseconds of each phase, the
server's CPU seconds per request and its resident memory.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from servers import JMAPD, basic

from jmapd.testing import free_port, wait_until_answering

PASSWORD = "bench-pw"
PER_USER = 49  # jmapd admits 50 IMAP connections per user: one is left for the one changing flags
ECHO = {"using": ["urn:ietf:params:jmap:core"], "methodCalls": [["Core/echo", {"hello": "world"}, "0"]]}
CLOCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def measure(http: httpx.Client, url: str, requests: int, pid: int) -> dict:
    for _ in range(50):  # warm-up
        http.post(url, json=ECHO).raise_for_status()
    samples = []
    cpu = cpu_seconds(pid)
    for _ in range(requests):
        start = time.perf_counter()
        http.post(url, json=ECHO).raise_for_status()
        samples.append((time.perf_counter() - start) * 1000)
    cpu = cpu_seconds(pid) - cpu
    ordered = sorted(samples)
    return {"median_ms": statistics.median(ordered), "p90_ms": percentile(ordered, 0.9),
            "p99_ms": percentile(ordered, 0.99), "requests": requests, "server_cpu_ms_per_request": cpu / requests * 1000,
            "server_rss_mb": rss_mb(pid), "load_avg": os.getloadavg()}


def idle(port: int, user: str, source: str) -> tuple[socket.socket, object]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60, source_address=(source, 0))
    reader = sock.makefile("rb")
    reader.readline()
    sock.sendall(b"a LOGIN %s %s\r\nb SELECT INBOX\r\nc IDLE\r\n" % (user.encode(), PASSWORD.encode()))
    while True:
        line = reader.readline()
        if not line:
            raise RuntimeError(f"connection closed before IDLE (user {user})")
        if line.startswith(b"+"):
            return sock, reader
        if line[:2] in (b"a ", b"b ") and b" OK " not in line:
            raise RuntimeError(f"{user}: {line!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.connections + 1024)), hard))
    users = [f"idle{n}" for n in range((args.connections + PER_USER - 1) // PER_USER)]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="idle-http-") as data:
        for name in ["bench", *users]:
            subprocess.run([JMAPD, "user", "add", name, "--password", PASSWORD, "--data", data], check=True,
                           capture_output=True)
        http_port, imap_port = free_port(), free_port()
        proc = subprocess.Popen([JMAPD, "serve", "--port", str(http_port), "--imap", f"127.0.0.1:{imap_port}",
                                 "--data", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        idlers = []
        try:
            base = f"http://127.0.0.1:{http_port}"
            wait_until_answering(base + "/.well-known/jmap")
            with imaplib.IMAP4("127.0.0.1", imap_port) as conn:  # the messages whose flags change
                conn.login(users[0], PASSWORD)
                for n in range(10):
                    conn.append("INBOX", None, None, b"From: a@example.com\r\nSubject: %d\r\n\r\nhello\r\n" % n)
            with httpx.Client(headers={"Authorization": basic("bench", PASSWORD)}, timeout=60) as http:
                url = http.get(base + "/jmap/session").json()["apiUrl"]
                results["no IMAP connections"] = measure(http, url, args.requests, proc.pid)
                print(json.dumps(results), flush=True)
                start = time.perf_counter()
                for n in range(args.connections):
                    idlers.append(idle(imap_port, users[n // PER_USER], f"127.0.0.{2 + n % 8}"))
                opened = time.perf_counter() - start
                time.sleep(2)
                label = f"{args.connections} IMAP connections in IDLE"
                results[label] = measure(http, url, args.requests, proc.pid)
                results[label]["seconds_to_open_them"] = opened
                print(json.dumps(results[label]), flush=True)
                # every IDLE session of the first user gets a FETCH at each change
                stop = threading.Event()

                def flag_changes() -> None:
                    conn = socket.create_connection(("127.0.0.1", imap_port), timeout=60)
                    f = conn.makefile("rb")
                    f.readline()
                    conn.sendall(b"a LOGIN %s %s\r\nb SELECT INBOX\r\n" % (users[0].encode(), PASSWORD.encode()))
                    while not (line := f.readline()).startswith(b"b "):
                        if not line or line.startswith(b"a NO") or line.startswith(b"* BYE"):
                            raise RuntimeError(f"the flag changer could not log in: {line!r}")
                    n = 0
                    while True:
                        n += 1
                        sign = b"+" if n % 2 else b"-"
                        conn.sendall(b"s%d STORE 1 %sFLAGS (\\Flagged)\r\n" % (n, sign))
                        if stop.wait(0.25):
                            break
                    conn.close()

                changer = threading.Thread(target=flag_changes, daemon=True)
                changer.start()
                label2 = label + ", a flag changing 4 times a second"
                results[label2] = measure(http, url, args.requests, proc.pid)
                stop.set()
                changer.join()
                time.sleep(0.5)
                print(json.dumps(results[label2]), flush=True)
                woken = sum(1 for sock, reader in idlers[:PER_USER] if _has_data(sock))
                results[label2]["idle_sessions_told_of_the_change"] = woken
        finally:
            for sock, _ in idlers:
                sock.close()
            proc.terminate()
            proc.wait(timeout=60)
    print(markdown(results))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=1))


def _has_data(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return bool(sock.recv(4096, socket.MSG_PEEK))
    except BlockingIOError:
        return False
    finally:
        sock.setblocking(True)


def markdown(results: dict) -> str:
    lines = ["| Core/echo over HTTP | median ms | p90 ms | p99 ms | server CPU ms/request | server RSS MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['median_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['server_cpu_ms_per_request']:.3f} | {r['server_rss_mb']:.0f} |")
    told = [r["idle_sessions_told_of_the_change"] for r in results.values() if "idle_sessions_told_of_the_change" in r]
    if told:
        lines.append(f"\nIDLE sessions of the changed mailbox that were sent its FETCH: {told[0]} of {PER_USER}.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
