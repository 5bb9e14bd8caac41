"""Rendering results: a readable table or one JSON object."""

from __future__ import annotations

import msgspec

from .results import BenchResult


def to_json(result: BenchResult) -> str:
    return msgspec.json.encode(result).decode()


def to_table(result: BenchResult) -> str:
    limit = f", max {result.max_requests} ops" if result.max_requests is not None else ""
    lines = [
        f"jmapd bench: {result.session_url} account {result.account_id}, "
        f"concurrency {result.concurrency}, {result.duration_s:g} s{limit}",
        "",
    ]
    header = ["scenario", "ops", "errors", "throughput", "median ms", "p90 ms", "p99 ms", "max ms", "VmRSS MB", "RssAnon MB"]
    rows = [header]
    for r in result.scenarios:
        mem = r.server
        rows.append([
            r.scenario,
            str(r.operations),
            str(r.errors),
            f"{r.throughput:.1f} {r.unit}",
            f"{r.latency.median_ms:.2f}",
            f"{r.latency.p90_ms:.2f}",
            f"{r.latency.p99_ms:.2f}",
            f"{r.latency.max_ms:.2f}",
            "-" if mem is None or mem.vm_rss_mb is None else f"{mem.vm_rss_mb:.1f}",
            "-" if mem is None or mem.rss_anon_mb is None else f"{mem.rss_anon_mb:.1f}",
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        cells = [cell.ljust(widths[0]) if j == 0 else cell.rjust(widths[j]) for j, cell in enumerate(row)]
        lines.append("  ".join(cells))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    errored = [r for r in result.scenarios if r.error_types]
    if errored:
        lines.append("")
        for r in errored:
            lines.append(f"{r.scenario} errors: {', '.join(r.error_types)}")
    return "\n".join(lines)
