"""`make bench`: every jmapd figure, on generated accounts of 10,000 and 100,000 messages, written
to bench/RESULTS.md with the targets each one is held to.

    .venv/bin/python bench/report.py [--counts 10000 100000] [--duration 10] [--concurrency 4]
                                     [--out bench/RESULTS.md] [--work DIR]

For each count N (in a data folder kept under --work, so a second run skips the loading):
1. bench/query_bench.py --count N: load the seed dataset (upload + Email/import) while the index
   catches up; mailbox view and text search as one client sees them, with the server's own time.
2. `jmapd bench`, all six scenarios, --concurrency clients each, against `jmapd serve` on that
   folder, with the server's memory at the end.
Then bench/growth_bench.py: the smallest and the largest account side by side, for how the
mailbox view's cost grows. On the largest account, bench/http_floor.py: jmapd beside a bare
Starlette endpoint answering the same bytes. And bench/import_bench.py --count 20000: import of
the full dataset (attachments up to 10 MB) and Email/get of 50 list-view emails. The side-by-side
run against Cyrus is `make compare`; the tables it has left in bench/out/compare-COUNT.md are
included as they were measured.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

from servers import JMAPD, jmapd_server

HERE = Path(__file__).resolve().parent
SCENARIOS = ["mailbox-view", "open-thread", "search", "flag", "sync", "import"]


def run_json(args: list[str]) -> dict:
    """Run a benchmark script, echoing its output; its last line is its JSON result."""
    print("$", " ".join(args), flush=True)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        print("  " + line.rstrip()[:300], flush=True)
        if line.strip():
            last = line
    if proc.wait() != 0:
        raise SystemExit(f"{args[1]} failed with exit code {proc.returncode}")
    return json.loads(last)


def current_commit() -> str:
    """The commit measured, with a mark when the working tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE.parent).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def load_average() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def measure(counts: list[int], duration: float, concurrency: int, work: Path, reuse: bool,
            import_count: int) -> dict:
    py = sys.executable
    out: dict = {"started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                 "commit": current_commit(), "load": {}, "counts": {}, "scenarios": {}}
    for count in counts:
        data = work / f"account-{count}"
        if data.exists() and not reuse:
            shutil.rmtree(data)
        out["load"][f"{count} before"] = load_average()
        out["counts"][count] = run_json([py, "bench/query_bench.py", "--count", str(count), "--data", str(data)])
        with jmapd_server(data=str(data)) as (base, _, pid):
            out["scenarios"][count] = run_json([
                JMAPD, "bench", "--session-url", base + "/.well-known/jmap", "--user", "bench", "--password",
                "bench", "--duration", str(duration), "--concurrency", str(concurrency), "--json",
                "--server-pid", str(pid), *SCENARIOS])
        out["load"][f"{count} after"] = load_average()
    largest = work / f"account-{max(counts)}"
    out["growth"] = run_json([py, "bench/growth_bench.py", "--data", str(work / f"account-{counts[0]}"),
                              "--data", str(largest)])
    out["floor"] = run_json([py, "bench/http_floor.py", "--data", str(largest)])
    out["import"] = run_json([py, "bench/import_bench.py", "--count", str(import_count)])
    out["load"]["end"] = load_average()
    return out


# ---------------------------------------------------------------------------------------------- writing


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def figure_rows(results: dict, counts: list[int]) -> list[list[str]]:
    small, large = counts[0], counts[-1]
    c = results["counts"]

    def both(getter, fmt="{:,.1f}"):
        return [fmt.format(getter(c[n])) if getter(c[n]) is not None else "—" for n in (small, large)]

    def at_least(key: str, target: float) -> str:
        values = [c[n][key] for n in counts if key in c[n]]
        return verdict(min(values) >= target) if values else "not measured (--reuse)"

    mv = lambda r: r["mailbox_view_ms"]  # noqa: E731
    mc = lambda r: r["mailbox_view_after_change_ms"]  # noqa: E731
    side = results["growth"]

    def growth_row(what: str, key: str) -> list[str]:
        small_ms, large_ms = (f["server"]["median"] for f in side[key + "_ms"])
        ratio = side[key + "_growth"]
        return [f"{what}, growth {large:,} ÷ {small:,} (side by side: server medians {small_ms:.2f} and "
                f"{large_ms:.2f} ms)", "", f"{ratio:.2f}×", "< 1.3×", verdict(ratio < 1.3)]

    rows = [
        ["Email/import, messages/s", *both(lambda r: r.get("import_msgs_per_s")), "≥ 1,000",
         at_least("import_msgs_per_s", 1000)],
        ["index caught up (from the first import), messages/s", *both(lambda r: r.get("index_catch_up_msgs_per_s")),
         "≥ 400", at_least("index_catch_up_msgs_per_s", 400)],
        ["index merges settled, seconds after catching up", *both(lambda r: r.get("index_settle_s"), "{:,.0f}"),
         "", ""],
        ["mailbox view, server median ms", *both(lambda r: mv(r)["server"]["median"], "{:.2f}"), "< 5",
         verdict(mv(c[large])["server"]["median"] < 5)],
        ["mailbox view, server p99 ms", *both(lambda r: mv(r)["server"]["p99"], "{:.2f}"), "< 20",
         verdict(mv(c[large])["server"]["p99"] < 20)],
        ["mailbox view, over HTTP median / p99 ms",
         *[f"{mv(c[n])['wall']['median']:.2f} / {mv(c[n])['wall']['p99']:.2f}" for n in (small, large)], "", ""],
        growth_row("mailbox view", "mailbox_view"),
        ["mailbox view after a change, server median / p99 ms",
         *[f"{mc(c[n])['server']['median']:.2f} / {mc(c[n])['server']['p99']:.2f}" for n in (small, large)],
         "< 5 / < 20", verdict(mc(c[large])["server"]["median"] < 5 and mc(c[large])["server"]["p99"] < 20)],
        growth_row("mailbox view after a change", "mailbox_view_after_change"),
        ["text search, server median ms", *both(lambda r: r["search_ms"]["server"]["median"]), "< 50",
         verdict(c[large]["search_ms"]["server"]["median"] < 50)],
        ["text search, server p99 ms", *both(lambda r: r["search_ms"]["server"]["p99"]), "", ""],
        ["server RssAnon after the run, MB", *both(lambda r: r["server_rss_anon_mb"], "{:,.0f}"), "< 300",
         verdict(c[large]["server_rss_anon_mb"] < 300)],
        ["server VmRSS (with LMDB file pages), MB", *both(lambda r: r["server_rss_mb"], "{:,.0f}"), "", ""],
    ]
    return rows


def scenario_rows(results: dict, counts: list[int]) -> list[list[str]]:
    rows = []
    by_count = {n: {s["scenario"]: s for s in results["scenarios"][n]["scenarios"]} for n in counts}
    for name in SCENARIOS:
        row = [name]
        for n in counts:
            s = by_count[n].get(name)
            row += ["—"] * 3 if s is None else [f"{s['throughput']:,.0f} {s['unit']}",
                                                f"{s['latency']['median_ms']:.2f} / {s['latency']['p99_ms']:.2f}",
                                                str(s["errors"])]
        rows.append(row)
    return rows


def table(header: list[str], rows: list[list[str]], right_from: int = 1) -> str:
    align = ["---"] * right_from + ["---:"] * (len(header) - right_from)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(results: dict, counts: list[int], duration: float, concurrency: int) -> str:
    small, large = counts[0], counts[-1]
    floor = results["floor"]
    imp = results["import"]
    memory = {n: next((s["server"] for s in reversed(results["scenarios"][n]["scenarios"]) if s.get("server")), None)
              for n in counts}
    commit = results.get("commit") or "unknown"
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/report.py); edit the script, not this file. Every figure comes from "
        "one run on this machine, client and server on the same two cores, over loopback. Each server is "
        "`jmapd serve` (one worker process, uvloop + httptools, durable LMDB commits) with its full-text "
        "indexer running, as in production.",
        "",
        f"Run started {results['started']} at commit `{commit}`, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores. Load average (1, 5, 15 min): "
        + "; ".join(f"{k}: {v}" for k, v in results["load"].items()) + ".",
        "",
        f"## Loading, mailbox view and search: {small:,} and {large:,} messages",
        "",
        f"Command: `.venv/bin/python bench/query_bench.py --count N --data DIR` for N = {small:,} and "
        f"{large:,}. Dataset: `jmapd seed --count N` (seed 1; thread mix, median ~10 KB, attachments "
        "capped at 200 KB, non-ASCII headers, several folders). Loading: uploads 8 at a time, then "
        "Email/import in batches of 100 with two requests in flight. Index caught up: from the first "
        "import until a text search finds every message with a marker word; the index then merges its "
        "segments in the background, and the queries are measured once that has settled. Mailbox view: Email/query "
        "`{inMailbox: Inbox}`, receivedAt descending, collapseThreads, limit 50, calculateTotal, on one of "
        "the first five pages, plus Email/get of 11 list-view properties by back-reference, in one "
        "request, one request at a time; repeated pages are answered from what jmapd keeps between "
        "requests (Email/query answers by state, each Email's list-view JSON until it changes), as a "
        "client refreshing its view is. After a change: the same, each time after an Email/set (not "
        "timed) toggles $flagged on a random email, so the query runs again; the first rendering of "
        "emails is the Email/get figure of the import table below (random windows of 50). Text search: Email/query `{text: word}` limit 50 with "
        "calculateTotal, 100 requests, each for a different word (so none is answered from the "
        "server's recent results): the marker words found in 10%, 1%, 0.1% and 0.01% of the messages, "
        "then words spread over the dataset's vocabulary from common English to rare invented ones. "
        "Server time is the `Server-Timing` header jmapd adds to API responses. Growth: "
        "`.venv/bin/python bench/growth_bench.py --data DIR --data DIR` runs both accounts' servers at once "
        "and sends the same views to each in turn (500 views, then 200 after a change), so the two "
        "medians it compares share this machine's speed of the moment; the per-account rows above are "
        "measured minutes apart.",
        "",
        table(["figure", f"{small:,}", f"{large:,}", "target", ""], figure_rows(results, counts)),
        "",
        "RssAnon is the server's own memory; VmRSS also counts the pages of the LMDB file it has read "
        "(page cache shared with the kernel, not heap).",
        "",
        "## Scenarios as a client sees them (`jmapd bench`)",
        "",
        f"Command: `jmapd bench --duration {duration:g} --concurrency {concurrency} --server-pid PID "
        + " ".join(SCENARIOS) + "` against each account. Closed loop: each client sends its next "
        "request when the previous answer arrives. Latency is as the client measures it, so it "
        "includes queueing behind the other clients.",
        "",
        table(["scenario"] + [h for n in counts for h in (f"{n:,}: throughput", f"{n:,}: median / p99 ms",
                                                          f"{n:,}: errors")],
              scenario_rows(results, counts)),
        "",
        "Server memory after the last scenario: " + "; ".join(
            f"{n:,} messages: VmRSS {m['vm_rss_mb']:,.0f} MB, RssAnon {m['rss_anon_mb']:,.0f} MB"
            for n, m in memory.items() if m) + ".",
        "",
        f"## Against the floor (bare Starlette, same bytes), {large:,} messages",
        "",
        "Command: `.venv/bin/python bench/http_floor.py --data DIR` (8 keep-alive connections, closed "
        "loop; 15 rounds of 1.5 s each after 0.25 s of warm-up). The floor is a Starlette endpoint served "
        "by the same uvicorn configuration and the same number of worker processes, answering the very "
        "bytes jmapd answered. jmapd and the floor take turns, round by round, as this machine's speed "
        "drifts within seconds; figures are the medians of the rounds, the ratio the median of the "
        "rounds' ratios. One process is `jmapd serve`'s default; one per core is `--workers 2`. "
        "Target: the mailbox view at 40% of the floor's requests/s or more.",
        "",
        table(["processes", "request", "response bytes", "jmapd req/s", "floor req/s", "ratio (rounds)",
               "jmapd median / p99 ms", "target"],
              [[workers, name, f"{e['response_bytes']:,}", f"{e['jmapd']['rps']:,.0f}", f"{e['floor']['rps']:,.0f}",
                f"**{e['ratio_rps']:.3f}** ({', '.join(f'{r:.2f}' for r in e['ratios'])})",
                f"{e['jmapd']['median_ms']:.2f} / {e['jmapd']['p99_ms']:.2f}",
                f"≥ 0.40: {verdict(e['ratio_rps'] >= 0.40)}" if name == "mailbox-view" else ""]
               for workers, by_name in floor.items() for name, e in by_name.items()]),
        "",
        "## Email/import with the full attachment tail, and list-view Email/get",
        "",
        f"Command: `.venv/bin/python bench/import_bench.py --count {imp['count']}`. Dataset: `jmapd seed` with "
        f"{imp['count']:,} messages, {imp['dataset_mb']:,.0f} MB, attachments up to 10 MB.",
        "",
        table(["figure", "result", "target", ""], [
            ["upload, messages/s (4 at a time)", f"{imp['upload_msgs_per_s']:,.0f}", "", ""],
            ["Email/import, messages/s", f"{imp['import_msgs_per_s']:,.0f}", "≥ 1,000",
             verdict(imp["import_msgs_per_s"] >= 1000)],
            ["Email/get of 50 list-view emails, server median / p99 ms",
             f"{imp['email_get_50_server_ms']['median']:.2f} / {imp['email_get_50_server_ms']['p99']:.2f}", "< 5",
             verdict(imp["email_get_50_server_ms"]["median"] < 5)],
        ]),
        "",
        "## Side by side with Cyrus IMAP",
        "",
    ]
    compares = compare_tables(HERE / "out")
    for compare in compares:
        finished = datetime.datetime.fromtimestamp(compare.stat().st_mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        parts += [f"From its own run of `bench/compare.sh`, not the run above; finished {finished}.", "",
                  compare.read_text().strip(), ""]
    if not compares:
        parts += ["Not measured in this run: `make compare` writes bench/out/compare-COUNT.md, which the "
                  "next `make bench` includes here.", ""]
    parts += [READING, ""]
    return "\n".join(parts)


def compare_tables(out: Path) -> list[Path]:
    """The side-by-side tables `make compare` left (compare-COUNT.md), smallest dataset first; a
    plain compare.md (from bench/compare.sh --markdown-out without a count) only if there is none."""
    numbered = [p for p in out.glob("compare-*.md") if p.stem.partition("-")[2].isdigit()]
    if numbered:
        return sorted(numbered, key=lambda p: int(p.stem.partition("-")[2]))
    plain = out / "compare.md"
    return [plain] if plain.is_file() else []


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, whole section) for each `## ` section of a Markdown text, in order."""
    parts = re.split(r"(?m)^(?=## )", text)[1:]
    return [(part.split("\n", 1)[0], part) for part in parts]


def other_sections(existing: str, rendered: str) -> str:
    """The sections of the existing RESULTS.md that this report does not write (other benchmarks
    record their figures there too): kept, in their order, after the report's own."""
    own = {heading for heading, _ in _sections(rendered)}
    kept = [section.rstrip("\n") + "\n" for heading, section in _sections(existing) if heading not in own]
    return "".join("\n" + section for section in kept)


READING = """## Reading these figures

- **One machine, two cores, shared.** The load generator is Python too (asyncio and httpx): it
  spends 2 to 3 ms of CPU per operation, more than jmapd spends answering most of them, and it runs
  on one of the same two cores. The `jmapd bench` throughputs are therefore bounded by the client
  as much as by the server; server-side times (`Server-Timing`) show the server's part.
- **Writes are durable.** Every Email/set, import and flag change is committed (LMDB with fsync)
  before it is answered, and concurrent writes share one commit. On this machine's disk an fsync
  takes well under a millisecond, so that wait is a small part of a `flag` or `sync` operation.
- **The index lags by design.** Imports return as soon as the store has the messages; the
  full-text index catches up in background processes at a lower priority, and then merges its
  segments for a while. Scenarios run once that has settled.
- **Loading Cyrus** goes over IMAP MULTIAPPEND (its fast path); jmapd is loaded over JMAP upload +
  Email/import, the only standard way in. Its `import` scenario is the same JMAP path for both."""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--work", default=str(HERE / "out" / "data"), help="where the loaded accounts are kept")
    parser.add_argument("--import-count", type=int, default=20000)
    parser.add_argument("--reuse", action="store_true",
                        help="measure accounts already loaded under --work instead of loading them again")
    parser.add_argument("--from-json", help="write RESULTS.md from a saved run instead of measuring")
    args = parser.parse_args()
    counts = sorted(args.counts)
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        results["counts"] = {int(k): v for k, v in results["counts"].items()}
        results["scenarios"] = {int(k): v for k, v in results["scenarios"].items()}
    else:
        results = measure(counts, args.duration, args.concurrency, Path(args.work), args.reuse,
                          args.import_count)
        saved = HERE / "out" / "report.json"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(results, indent=1))
    out = Path(args.out)
    rendered = render(results, counts, args.duration, args.concurrency)
    out.write_text(rendered + other_sections(out.read_text() if out.is_file() else "", rendered))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
