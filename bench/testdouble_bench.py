"""The test double's costs: start-up in-process and as a subprocess, and resetting an account.

    .venv/bin/python bench/testdouble_bench.py [--runs 10]

- in-process start: `jmapd.testing.Server(users=["alice"])` started, then its Session fetched over
  HTTP (what a pytest fixture waits for); also with `seed="demo"` (48 messages).
- subprocess start: `jmapd serve --ephemeral --seed demo` until it has printed its JSON line and
  answered the Session (what a harness in another language waits for).
- reset: an account seeded with 1,000 generated messages (`--seed 1000`), 100 of them destroyed and
  one folder created through JMAP, then put back with `reset()`.
Medians over --runs; the last line printed is the JSON of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from jmapd.testing import Server

JMAPD = str(Path(sys.executable).with_name("jmapd"))
USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def in_process(seed: str | None) -> float:
    started = time.perf_counter()
    with Server(users=["alice"], seed=seed) as server:
        httpx.get(server.session_url, auth=server.credentials("alice"), follow_redirects=True).raise_for_status()
        return time.perf_counter() - started


def subprocess_start() -> float:
    started = time.perf_counter()
    proc = subprocess.Popen([JMAPD, "serve", "--ephemeral", "--seed", "demo"], stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        user = info["users"][0]
        httpx.get(info["sessionUrl"], auth=(user["username"], user["password"]),
                  follow_redirects=True).raise_for_status()
        return time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def resets(runs: int) -> list[float]:
    times = []
    with Server(users=["alice"], seed="1000") as server:
        account = server.account_id("alice")
        with httpx.Client(auth=server.credentials("alice")) as client:
            def call(*calls):
                body = {"using": USING, "methodCalls": [[n, {"accountId": account, **a}, str(i)]
                                                        for i, (n, a) in enumerate(calls)]}
                return client.post(server.api_url, json=body).raise_for_status().json()["methodResponses"]

            for run in range(runs):
                ids = call(("Email/query", {"limit": 100}))[0][1]["ids"]
                call(("Email/set", {"destroy": ids}), ("Mailbox/set", {"create": {"n": {"name": f"New {run}"}}}))
                times.append(server.reset("alice"))
                assert call(("Email/query", {"calculateTotal": True}))[0][1]["total"] == 1000
    return times


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    in_process(None)  # imports and first-time work out of the way, as in a test session
    figures = {
        "in_process_start_ms": median_ms([in_process(None) for _ in range(args.runs)]),
        "in_process_start_demo_ms": median_ms([in_process("demo") for _ in range(args.runs)]),
        "subprocess_start_demo_ms": median_ms([subprocess_start() for _ in range(args.runs)]),
        "reset_1000_ms": median_ms(resets(args.runs)),
        "runs": args.runs,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    return figures


if __name__ == "__main__":
    print(json.dumps(main()))
