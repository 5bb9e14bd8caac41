"""Two versions of jmapd on the same loaded account, turn about: what a change to the code costs.

    git worktree add --detach /tmp/jmapd-before REV
    .venv/bin/python bench/ab_bench.py --before /tmp/jmapd-before --data bench/out/data/account-100000 \
        [--after .] [--rounds 5] [--duration 8] [--import-batch 1000] [--scenarios mailbox-view flag import]

Each round starts one version's `jmapd serve` on the folder, measures, stops it, then does the same
for the other version (which goes first alternates by round), so a drift in the machine's speed
falls on both alike. Before each scenario the server is left to go idle (the search index catches
up with imported mail inside the server, and that work must not be billed to what follows). Per version and scenario it reports the median over rounds of:
- the server's CPU time per operation (user + system of the server process, read from /proc
  around the scenario): what the code costs, and the figure least moved by other work on the
  machine;
- throughput as `jmapd bench` measures it (closed loop, --concurrency clients; the client's own CPU
  is part of it).
Scenarios: `jmapd bench`'s mailbox-view, flag and import (one message per request), and a batch
import: Email/import of --import-batch messages in requests of 100, from the `jmapd seed` dataset
(seed 1000 + round, attachments capped at 200 KB), each version importing messages of its own.
The last line printed is the JSON of the figures.
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

from mailbox_setup import JmapSession, ensure_folders, import_all, upload_all
from servers import JMAPD

from jmapd.seed import SeedOptions, iter_messages
from jmapd.testing import free_port, wait_until_answering

HERE = Path(__file__).resolve().parent
SCENARIOS = ["mailbox-view", "flag", "import"]
TICKS = os.sysconf("SC_CLK_TCK")
SERVE = "import sys; from jmapd.cli import main; sys.exit(main())"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def code_of(tree: Path) -> str:
    """Where `import jmapd` resolves from in that tree: the check that each side runs its own code."""
    out = subprocess.run([sys.executable, "-c", "import jmapd; print(jmapd.__file__)"], cwd=tree,
                         env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=True)
    return out.stdout.strip()


class Version:
    def __init__(self, name: str, tree: Path, data: str):
        self.name, self.tree, self.data = name, tree.resolve(), data
        found = code_of(self.tree)
        if not found.startswith(str(self.tree)):
            raise SystemExit(f"{name}: jmapd resolves to {found}, not to {self.tree}")
        self.proc: subprocess.Popen | None = None
        self.base = ""

    def __enter__(self) -> "Version":
        port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", "--port", str(port), "--data", self.data],
            cwd=self.tree, env={**os.environ, "PYTHONPATH": str(self.tree)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        wait_until_answering(self.base + "/.well-known/jmap", timeout=60)
        self.settle()
        return self

    def settle(self, idle_share: float = 0.05, quiet_s: float = 2.0, timeout: float = 600.0) -> float:
        """Wait until the server has been idle for `quiet_s`: the search index catching up with
        what was just imported runs in the server, and must not be billed to the next scenario,
        or to the other version."""
        assert self.proc is not None
        started = time.monotonic()
        quiet = 0.0
        while quiet < quiet_s and time.monotonic() - started < timeout:
            before = cpu_seconds(self.proc.pid)
            time.sleep(0.5)
            quiet = quiet + 0.5 if cpu_seconds(self.proc.pid) - before <= idle_share * 0.5 else 0.0
        return time.monotonic() - started

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=30)


def bench_scenario(version: Version, scenario: str, duration: float, concurrency: int) -> dict:
    assert version.proc is not None
    before = cpu_seconds(version.proc.pid)
    out = subprocess.run([JMAPD, "bench", "--session-url", version.base + "/.well-known/jmap", "--user", "bench",
                          "--password", "bench", "--duration", str(duration), "--concurrency", str(concurrency),
                          "--json", scenario], capture_output=True, text=True, check=True)
    cpu = cpu_seconds(version.proc.pid) - before
    result = json.loads(out.stdout)["scenarios"][0]
    if result["errors"]:
        raise SystemExit(f"{version.name} {scenario}: {result['error_types']}")
    return {"throughput": result["throughput"], "cpu_us_per_op": 1e6 * cpu / max(1, result["operations"])}


def batch_import(version: Version, round_no: int, count: int) -> dict:
    assert version.proc is not None
    seed = 1000 + 2 * round_no + (version.name == "after")
    messages = list(iter_messages(seed, count, SeedOptions(max_attachment_bytes=200_000)))
    jmap = JmapSession(version.base + "/.well-known/jmap", "bench", "bench")
    folders = ensure_folders(jmap, {m.folder for m in messages})
    blob_ids, _ = upload_all(jmap, [m.raw for m in messages], concurrency=8)
    items = [{"blobId": b, "mailboxIds": {folders[m.folder]: True},
              "keywords": dict.fromkeys(m.keywords, True), "receivedAt": m.received_at}
             for b, m in zip(blob_ids, messages)]
    before = cpu_seconds(version.proc.pid)
    _, seconds, errors = import_all(jmap, items)
    cpu = cpu_seconds(version.proc.pid) - before
    if errors:
        raise SystemExit(f"{version.name} batch import: {errors[:3]}")
    return {"throughput": len(items) / seconds, "cpu_us_per_op": 1e6 * cpu / len(items)}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the earlier code")
    parser.add_argument("--after", type=Path, default=HERE.parent, help="a checkout of the later code")
    parser.add_argument("--data", required=True, help="a loaded data folder with user bench/bench")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--import-batch", type=int, default=1000, help="0 leaves the batch import out")
    parser.add_argument("--scenarios", nargs="+", default=SCENARIOS, choices=SCENARIOS)
    args = parser.parse_args()
    versions = [Version("before", args.before, args.data), Version("after", args.after, args.data)]
    samples: dict[str, dict[str, list[dict]]] = {v.name: {} for v in versions}
    for round_no in range(args.rounds):
        for version in versions if round_no % 2 == 0 else versions[::-1]:
            with version:
                for scenario in args.scenarios:
                    got = bench_scenario(version, scenario, args.duration, args.concurrency)
                    samples[version.name].setdefault(scenario, []).append(got)
                    version.settle()
                if args.import_batch:
                    got = batch_import(version, round_no, args.import_batch)
                    samples[version.name].setdefault("batch-import", []).append(got)
                    version.settle()
            print(f"round {round_no + 1} {version.name}: " + ", ".join(
                f"{s} {v[-1]['throughput']:,.0f}/s {v[-1]['cpu_us_per_op']:,.0f} µs"
                for s, v in samples[version.name].items()), flush=True)
    figures: dict = {"rounds": args.rounds, "load": " ".join(f"{x:.2f}" for x in os.getloadavg()), "scenarios": {}}
    print(f"{'scenario':<14}{'before /s':>11}{'after /s':>11}{'before µs':>11}{'after µs':>11}{'after/before CPU':>18}")
    for scenario in samples["after"]:
        row = {}
        for name in ("before", "after"):
            runs = samples[name][scenario]
            row[name] = {"throughput": round(statistics.median(r["throughput"] for r in runs), 1),
                         "cpu_us_per_op": round(statistics.median(r["cpu_us_per_op"] for r in runs), 1)}
        row["cpu_ratio"] = round(row["after"]["cpu_us_per_op"] / row["before"]["cpu_us_per_op"], 3)
        figures["scenarios"][scenario] = row
        print(f"{scenario:<14}{row['before']['throughput']:>11,.0f}{row['after']['throughput']:>11,.0f}"
              f"{row['before']['cpu_us_per_op']:>11,.0f}{row['after']['cpu_us_per_op']:>11,.0f}"
              f"{row['cpu_ratio']:>18.3f}")
    return figures


if __name__ == "__main__":
    started = time.time()
    result = main()
    result["seconds"] = round(time.time() - started)
    print(json.dumps(result))
