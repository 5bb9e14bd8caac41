"""Result records (msgspec Structs), serialised as-is by `--json`."""

from __future__ import annotations

import msgspec


class Latency(msgspec.Struct):
    median_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


class ServerMemory(msgspec.Struct):
    pid: int
    vm_rss_mb: float | None
    rss_anon_mb: float | None


class ScenarioResult(msgspec.Struct):
    scenario: str
    operations: int
    errors: int
    error_types: list[str]
    elapsed_s: float
    throughput: float
    unit: str
    latency: Latency
    server: ServerMemory | None = None


class BenchResult(msgspec.Struct):
    session_url: str
    account_id: str
    concurrency: int
    duration_s: float
    max_requests: int | None
    scenarios: list[ScenarioResult]
