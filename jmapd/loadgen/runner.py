"""Closed-loop concurrency, timing and statistics."""

from __future__ import annotations

import asyncio
import math
import random
import time
from pathlib import Path

from .client import CallError
from .results import Latency, ScenarioResult, ServerMemory
from .scenarios import SCENARIOS, UNITS, Context, Worker

MAX_ERROR_TYPES = 5


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_of(samples: list[float]) -> Latency:
    s = sorted(samples)
    return Latency(
        median_ms=round(percentile(s, 50), 3),
        p90_ms=round(percentile(s, 90), 3),
        p99_ms=round(percentile(s, 99), 3),
        max_ms=round(s[-1], 3) if s else 0.0,
    )


def server_memory(pid: int) -> ServerMemory | None:
    """VmRSS and RssAnon of a process from /proc/PID/status, in MB; None if unavailable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    values: dict[str, float] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon"):
            parts = rest.split()
            if parts and parts[0].isdigit():
                values[key] = round(int(parts[0]) / 1024, 1)  # kB -> MB
    return ServerMemory(pid=pid, vm_rss_mb=values.get("VmRSS"), rss_anon_mb=values.get("RssAnon"))


async def run_scenario(
    ctx: Context,
    name: str,
    *,
    duration: float,
    concurrency: int,
    max_requests: int | None,
    server_pid: int | None = None,
    seed: int | None = None,
) -> ScenarioResult:
    """Run `concurrency` closed-loop workers until `duration` elapses or `max_requests` operations started."""
    operation = SCENARIOS[name]
    latencies: list[float] = []
    errors = 0
    error_types: list[str] = []
    started = 0
    base = random.Random(seed)

    start = time.perf_counter()
    deadline = start + duration

    async def work(index: int) -> None:
        nonlocal errors, started
        worker = Worker(index=index, rng=random.Random(base.random()))
        while time.perf_counter() < deadline and (max_requests is None or started < max_requests):
            started += 1
            t0 = time.perf_counter()
            try:
                await operation(ctx, worker)
            except CallError as exc:
                errors += 1
                if exc.kind not in error_types and len(error_types) < MAX_ERROR_TYPES:
                    error_types.append(exc.kind)
            else:
                latencies.append((time.perf_counter() - t0) * 1000)
            worker.iteration += 1

    await asyncio.gather(*(work(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - start
    operations = len(latencies) + errors
    return ScenarioResult(
        scenario=name,
        operations=operations,
        errors=errors,
        error_types=error_types,
        elapsed_s=round(elapsed, 3),
        throughput=round(operations / elapsed, 2) if elapsed > 0 else 0.0,
        unit=UNITS.get(name, "ops/s"),
        latency=latency_of(latencies),
        server=server_memory(server_pid) if server_pid is not None else None,
    )
