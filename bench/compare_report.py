"""The side-by-side report of bench/compare.sh: jmapd beside Cyrus, with ratios, as text, JSON and markdown.

    .venv/bin/python bench/compare_report.py RESULTS_DIR [--json-out FILE] [--markdown-out FILE]

RESULTS_DIR holds one folder per server (jmapd/, cyrus/), each with load.json (from load_dataset.py)
and, per scenario, SCENARIO.json (`jmapd bench --json` output) and SCENARIO.err (its stderr). A
scenario whose JSON is missing or unreadable failed as a whole; the first line of its stderr says why,
and the report shows it rather than stopping, so one server's failure never hides the other's figures.

Ratios are jmapd / Cyrus for everything: above 1 means jmapd does more for throughput and load rates,
and takes longer for latencies.
"""

from __future__ import annotations

import argparse
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

SERVERS = {"jmapd": "jmapd", "cyrus": "Cyrus"}
SCENARIOS = ["mailbox-view", "open-thread", "search", "flag", "sync", "import"]
LATENCIES = [("median_ms", "median ms"), ("p90_ms", "p90 ms"), ("p99_ms", "p99 ms")]


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def scenario_result(folder: Path, scenario: str) -> dict:
    """One server's figures for one scenario, or {"failed": reason} if `jmapd bench` gave none."""
    result = read_json(folder / f"{scenario}.json")
    if result and result.get("scenarios"):
        stats = result["scenarios"][0]
        return {"throughput": stats["throughput"], "unit": stats["unit"], "operations": stats["operations"],
                "errors": stats["errors"], "error_types": stats["error_types"],
                "concurrency": result["concurrency"], "server": stats.get("server"),
                **{key: stats["latency"][key] for key, _ in LATENCIES}}
    try:
        lines = [line for line in (folder / f"{scenario}.err").read_text().splitlines() if line.strip()]
    except OSError:
        lines = []
    return {"failed": lines[-1] if lines else "no result"}


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def collect(results: Path, scenarios: list[str]) -> dict:
    out: dict = {"load": {}, "scenarios": []}
    for key in SERVERS:
        out["load"][key] = read_json(results / key / "load.json") or {"failed": "no load result"}
    jmapd_load, cyrus_load = out["load"]["jmapd"], out["load"]["cyrus"]
    out["load"]["ratio"] = {k: ratio(jmapd_load.get(k), cyrus_load.get(k))
                            for k in ("load_msgs_per_s", "indexed_msgs_per_s")}
    for name in scenarios:
        entry = {"scenario": name, **{key: scenario_result(results / key, name) for key in SERVERS}}
        j, c = entry["jmapd"], entry["cyrus"]
        entry["ratio"] = {k: ratio(j.get(k), c.get(k)) for k in ["throughput"] + [key for key, _ in LATENCIES]}
        out["scenarios"].append(entry)
    return out


def cell(stats: dict, key: str, digits: int = 2) -> str:
    if "failed" in stats:
        return "failed"
    value = stats.get(key)
    return "-" if value is None else f"{value:,.{digits}f}"


def rows(report: dict) -> list[list[str]]:
    """[scenario, figure, jmapd, Cyrus, jmapd/Cyrus] for the load rates and every scenario figure."""
    load, out = report["load"], []
    for key, label in [("load_msgs_per_s", "messages/s"), ("indexed_msgs_per_s", "messages/s with index")]:
        out.append(["load" if not out else "", label, cell(load["jmapd"], key, 0), cell(load["cyrus"], key, 0),
                    cell(load["ratio"], key)])
    for entry in report["scenarios"]:
        j, c, r = entry["jmapd"], entry["cyrus"], entry["ratio"]
        unit = j.get("unit") or c.get("unit") or "ops/s"
        figures = [("throughput", f"throughput {unit}", 1)] + [(key, label, 2) for key, label in LATENCIES]
        for i, (key, label, digits) in enumerate(figures):
            out.append([entry["scenario"] if i == 0 else "", label, cell(j, key, digits), cell(c, key, digits),
                        cell(r, key)])
        out.append(["", "errors", cell(j, "errors", 0), cell(c, "errors", 0), ""])
    return out


def notes(report: dict) -> list[str]:
    """Error kinds, failures and capped concurrency: what a reader must know to trust the figures."""
    out = []
    for key, label in SERVERS.items():
        if "failed" in report["load"][key]:
            out.append(f"{label} load: {report['load'][key]['failed']}")
        elif report["load"][key].get("search_found", 0) < report["load"][key].get("search_expected", 0):
            load = report["load"][key]
            out.append(f"{label}: search found {load['search_found']} of {load['search_expected']} messages "
                       f"with {load['search_word']!r} when the index wait timed out")
        for entry in report["scenarios"]:
            stats = entry[key]
            if "failed" in stats:
                out.append(f"{label} {entry['scenario']} failed: {stats['failed']}")
            elif stats["error_types"]:
                out.append(f"{label} {entry['scenario']}: {stats['errors']} errors ({', '.join(stats['error_types'])})")
            if stats.get("concurrency") not in (None, report["concurrency"]):
                out.append(f"{label} {entry['scenario']}: ran {stats['concurrency']} clients "
                           f"(the server's maxConcurrentRequests)")
    last = next((e["jmapd"]["server"] for e in reversed(report["scenarios"]) if e["jmapd"].get("server")), None)
    if last:
        out.append(f"jmapd memory after the last scenario: VmRSS {last['vm_rss_mb']} MB, "
                   f"RssAnon {last['rss_anon_mb']} MB")
    return out


def headline(report: dict) -> str:
    load = report["load"]["jmapd"] if "messages" in report["load"]["jmapd"] else report["load"]["cyrus"]
    dataset = f"{load['messages']:,} messages ({load['mb']:,.0f} MB)" if "messages" in load else "the dataset"
    return (f"jmapd {report['versions']['jmapd']} vs Cyrus IMAP {report['versions']['cyrus']}: {dataset}, "
            f"{report['concurrency']} clients, {report['duration_s']:g} s per scenario")


def to_text(report: dict) -> str:
    header = ["scenario", "figure", "jmapd", "Cyrus", "jmapd/Cyrus"]
    table = [header] + rows(report)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [headline(report), ""]
    for n, row in enumerate(table):
        lines.append("  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += ["", "Ratios are jmapd/Cyrus: above 1 is faster for rates and throughput, slower for latencies."]
    lines += notes(report)
    return "\n".join(lines)


def to_markdown(report: dict) -> str:
    lines = [
        f"Command: `{report['command']}`. {headline(report)}. Both servers hold the same `jmapd seed` "
        "dataset (folders, keywords, receivedAt), each loaded the way it takes mail fastest: jmapd over "
        "JMAP (upload + Email/import), Cyrus over IMAP MULTIAPPEND (4 connections); \"with index\" counts "
        "until a text search finds every message containing the dataset's marker word. Then the same "
        "`jmapd bench` scenarios run against each server in turn, never both at once.",
        "",
        "| scenario | figure | jmapd | Cyrus | jmapd/Cyrus |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(report)]
    lines += ["", "Ratios are jmapd/Cyrus: above 1 is faster for rates and throughput, slower for latencies."]
    extra = notes(report)
    if extra:
        lines += [""] + [f"- {note}" for note in extra]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--cyrus-label", default="3.6", help="Cyrus' version and settings worth naming")
    parser.add_argument("--command", default="bench/compare.sh", help="the command line, for the markdown")
    parser.add_argument("--jmapd-commit", help="the commit of jmapd measured, for the markdown")
    parser.add_argument("--scenarios", nargs="+", default=SCENARIOS)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--markdown-out", type=Path)
    args = parser.parse_args()
    try:
        jmapd_version = version("jmapd")
    except PackageNotFoundError:
        jmapd_version = "(unknown version)"
    if args.jmapd_commit:
        jmapd_version += f" (commit {args.jmapd_commit})"
    report = {"count": args.count, "duration_s": args.duration, "concurrency": args.concurrency,
              "command": args.command, "versions": {"jmapd": jmapd_version, "cyrus": args.cyrus_label},
              **collect(args.results, args.scenarios)}
    print(to_text(report))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n")
    if args.markdown_out:
        args.markdown_out.write_text(to_markdown(report))


if __name__ == "__main__":
    main()
