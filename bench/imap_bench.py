"""jmapd's IMAP beside Dovecot: the same folder loaded into each, then the same IMAP workload.

    .venv/bin/python bench/imap_bench.py [--count 100000] [--seed 1] [--max-attachment-bytes 200000]
                                         [--servers jmapd,dovecot] [--markdown-out FILE] [--json-out FILE]

Dataset: `jmapd seed --format eml` (threads, attachments capped as `make bench` caps them,
non-ASCII headers, keywords), every message put in one folder, INBOX, with its keywords as flags
and its receivedAt as the internal date, loaded over IMAP MULTIAPPEND (bench/imap_load.py) into:

- jmapd: `jmapd serve --imap` on a fresh data folder; measured once its search index has settled;
- Dovecot: Debian's `dovecot-imapd` with a private configuration (its own folders and port on
  loopback, sdbox mail storage, the fts-xapian full-text plugin from Debian's
  `dovecot-fts-xapian`, installed by this script when missing), its index brought up to date by
  one search before measuring. Nothing of the system's Dovecot is used but its binaries.

The servers run one after the other. Workload, each on a fresh logged-in connection:

- initial sync: SELECT INBOX, UID FETCH 1:* (FLAGS ENVELOPE) (3 rounds);
- 50 headers: UID FETCH of 50 UIDs (BODY.PEEK[HEADER.FIELDS (...)] RFC822.SIZE FLAGS) (30 rounds);
- open a message: UID FETCH uid (BODY.PEEK[]) of a random message (50 rounds);
- STORE flags: UID STORE uid +FLAGS (\\Flagged), answered (50 rounds);
- SEARCH TEXT for the dataset's rarest marker word found in it (10 rounds);
- IDLE wake-up: one connection IDLEs, another stores a flag; the time from sending the STORE to
  the IDLEing connection reading the FETCH, the store's commit included (20 rounds).

For jmapd it also measures Mailbox/get over HTTP with and without 1,000 connections in IDLE.
Prints one line per figure (median and p90 in milliseconds) and writes a markdown table if asked.
Needs root for Dovecot (it installs the xapian plugin and drops privileges to `nobody`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

import imap_load
from load_dataset import read_dataset
from servers import JMAPD, basic, wait_index_settled

from jmapd.testing import free_port, wait_until_answering

USER, PASSWORD = "bench", "bench"
HEADER_FIELDS = "BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID REFERENCES IN-REPLY-TO)]"


# -- a plain IMAP client that times commands --------------------------------------------------------
class Client(imap_load.Connection):
    def timed(self, head: str) -> tuple[float, list[bytes]]:
        start = time.perf_counter()
        lines = self.command(head)
        return (time.perf_counter() - start) * 1000, lines


def connect(port: int) -> Client:
    client = Client("127.0.0.1", port)
    client.login(USER, PASSWORD)
    return client


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median_ms": statistics.median(ordered), "p90_ms": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
            "rounds": len(ordered)}


def idle_wakeup(port: int, uid: int) -> float:
    watcher, actor = connect(port), connect(port)
    watcher.command("SELECT INBOX")
    actor.command("SELECT INBOX")
    watcher.sock.sendall(b"W1 IDLE\r\n")
    if not watcher.file.readline().startswith(b"+"):
        raise imap_load.ImapError("IDLE refused")
    time.sleep(0.2)
    sent = time.perf_counter()
    actor.command(f"UID STORE {uid} +FLAGS ($BenchIdle)")  # a keyword no message has: always a change
    while True:
        line = watcher.file.readline()
        if not line:
            raise imap_load.ImapError("connection closed in IDLE")
        if b"FETCH" in line:
            woke = time.perf_counter()
            break
    watcher.sock.sendall(b"DONE\r\n")
    while not watcher.file.readline().startswith(b"W1 "):
        pass
    actor.command(f"UID STORE {uid} -FLAGS ($BenchIdle)")
    watcher.close()
    actor.close()
    return (woke - sent) * 1000


def workload(port: int, rare_word: str, rng: random.Random) -> dict:
    results: dict[str, dict] = {}
    sync = []
    for _ in range(3):
        client = connect(port)
        start = time.perf_counter()
        client.command("SELECT INBOX")
        lines = client.command("UID FETCH 1:* (FLAGS ENVELOPE)")
        sync.append((time.perf_counter() - start) * 1000)
        fetched = sum(1 for line in lines if b" FETCH " in line[:40])
        client.close()
    results["initial sync: UID FETCH 1:* (FLAGS ENVELOPE)"] = {**summary(sync), "messages": fetched}
    client = connect(port)
    client.command("SELECT INBOX")
    uids = [int(x) for line in client.command("UID SEARCH ALL") for x in line.split()[2:]]
    samples = []
    for _ in range(30):
        start = rng.randrange(0, max(1, len(uids) - 50))
        chosen = ",".join(map(str, uids[start:start + 50]))
        samples.append(client.timed(f"UID FETCH {chosen} (UID FLAGS RFC822.SIZE {HEADER_FIELDS})")[0])
    results["fetch 50 headers"] = summary(samples)
    samples = [client.timed(f"UID FETCH {rng.choice(uids)} (BODY.PEEK[])")[0] for _ in range(50)]
    results["open a message: BODY.PEEK[]"] = summary(samples)
    samples = []
    for _ in range(50):
        uid = rng.choice(uids)
        samples.append(client.timed(f"UID STORE {uid} +FLAGS (\\Flagged)")[0])
        client.command(f"UID STORE {uid} -FLAGS (\\Flagged)")
    results["STORE flags"] = summary(samples)
    samples, found = [], 0
    for _ in range(10):
        elapsed, lines = client.timed(f"UID SEARCH TEXT {rare_word}")
        samples.append(elapsed)
        found = sum(len(line.split()) - 2 for line in lines if line.startswith(b"* SEARCH"))
    results[f"SEARCH TEXT (rare word)"] = {**summary(samples), "found": found}
    client.close()
    results["IDLE wake-up"] = summary([idle_wakeup(port, rng.choice(uids)) for _ in range(20)])
    return results


def http_under_idle(http_url: str, imap_port: int, data: str, connections: int = 1000) -> dict:
    """Mailbox/get latency over HTTP alone, then with `connections` IMAP sessions in IDLE, spread
    over users of their own (jmapd admits 50 connections per user)."""
    users = [f"idle{n}" for n in range((connections + 49) // 50)]
    for name in users:
        subprocess.run([JMAPD, "user", "add", name, "--password", PASSWORD, "--data", data], check=True,
                       capture_output=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, connections * 2 + 256)), hard))
    with httpx.Client(headers={"Authorization": basic(USER, PASSWORD)}, timeout=30) as http:
        session = http.get(http_url + "/jmap/session").json()
        account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        body = {"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
                "methodCalls": [["Mailbox/get", {"accountId": account, "ids": None}, "0"]]}

        def measure() -> dict:
            samples = []
            for _ in range(200):
                start = time.perf_counter()
                http.post(session["apiUrl"], json=body).raise_for_status()
                samples.append((time.perf_counter() - start) * 1000)
            return summary(samples)

        alone = measure()
        idlers = []
        for n in range(connections):
            sock = socket.create_connection(("127.0.0.1", imap_port), timeout=30)
            reader = sock.makefile("rb")
            reader.readline()
            sock.sendall(b"a LOGIN %s bench\r\nb SELECT INBOX\r\nc IDLE\r\n" % users[n // 50].encode())
            while not reader.readline().startswith(b"+"):
                pass
            idlers.append((sock, reader))
        with_idle = measure()
        for sock, _ in idlers:
            sock.close()
    return {"Mailbox/get over HTTP, no IMAP connections": alone,
            f"Mailbox/get over HTTP, {connections} IMAP connections in IDLE": with_idle}


# -- the servers -----------------------------------------------------------------------------------
@contextmanager
def jmapd(work: Path):
    data = work / "jmapd"
    subprocess.run([JMAPD, "user", "add", USER, "--password", PASSWORD, "--data", str(data)], check=True,
                   capture_output=True)
    http, imap = free_port(), free_port()
    proc = subprocess.Popen([JMAPD, "serve", "--port", str(http), "--imap", f"127.0.0.1:{imap}", "--data", str(data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{http}/.well-known/jmap")
        yield {"imap": imap, "http": f"http://127.0.0.1:{http}", "data": str(data), "pid": proc.pid}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = sdbox:~/sdbox
mail_plugins = $mail_plugins fts fts_xapian
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
plugin {{
  fts = xapian
  fts_xapian = partial=3 full=20
  fts_autoindex = yes
  fts_enforced = yes
}}
"""


def ensure_xapian_plugin() -> None:
    if not list(Path("/usr/lib/dovecot/modules").glob("*fts_xapian*")):
        subprocess.run(["apt-get", "install", "-y", "-q", "dovecot-fts-xapian"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, capture_output=True)


@contextmanager
def dovecot(work: Path):
    if shutil.which("dovecot") is None:
        sys.exit("Dovecot is not installed: apt-get install dovecot-imapd")
    ensure_xapian_plugin()
    root = work / "dovecot"
    for sub in ("run", "state", "home"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    nobody = int(subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True).stdout)
    nogroup = int(subprocess.run(["id", "-g", "nobody"], capture_output=True, text=True).stdout)
    os.chown(root / "home", nobody, nogroup)
    os.chmod(root, 0o755)
    os.chmod(work, 0o755)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(DOVECOT_CONF.format(root=root, uid=nobody, gid=nogroup, port=port))
    subprocess.run(["dovecot", "-c", str(config)], check=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield {"imap": port, "config": str(config)}
    finally:
        subprocess.run(["doveadm", "-c", str(config), "stop"], capture_output=True)


def settle(name: str, server: dict, word: str) -> float:
    """Let the server finish indexing what was loaded, so no row measures a half-built index: jmapd's
    background segment merges; Dovecot indexes at APPEND (fts_autoindex) and catches up on the
    first search, which is made here."""
    start = time.perf_counter()
    if name == "jmapd":
        wait_index_settled(server["data"])
    else:
        client = connect(server["imap"])
        client.command("SELECT INBOX")
        client.command(f"UID SEARCH TEXT {word}")
        client.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-attachment-bytes", type=int, default=200_000)
    parser.add_argument("--servers", default="jmapd,dovecot")
    parser.add_argument("--idle-connections", type=int, default=1000)
    parser.add_argument("--markdown-out")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imap-bench-"))
    report: dict[str, dict] = {}
    try:
        dataset = work / "dataset"
        subprocess.run([JMAPD, "seed", "--out", str(dataset), "--count", str(args.count), "--seed", str(args.seed),
                        "--format", "eml", "--max-attachment-bytes", str(args.max_attachment_bytes)], check=True,
                       stdout=subprocess.DEVNULL)
        messages, manifest = read_dataset(dataset)
        for m in messages:
            m.folder = "INBOX"
        rare = min((m for m in manifest["markers"] if m["messages"] > 0), key=lambda m: m["messages"])
        total_mb = sum(m.size for m in messages) / 1e6
        print(f"dataset: {len(messages)} messages, {total_mb:.0f} MB, one folder; rare word {rare['word']!r} "
              f"in {rare['messages']} messages", flush=True)
        for name in args.servers.split(","):
            with (jmapd if name == "jmapd" else dovecot)(work) as server:
                seconds = imap_load.load("127.0.0.1", server["imap"], USER, PASSWORD, messages, {"INBOX": "inbox"})
                settled = settle(name, server, rare["word"])
                print(f"{name}: loaded in {seconds:.0f} s ({len(messages) / seconds:.0f} messages/s), "
                      f"index settled {settled:.0f} s later", flush=True)
                rows = workload(server["imap"], rare["word"], random.Random(args.seed))
                print(f"  {json.dumps(rows)}", flush=True)
                if name == "jmapd" and args.idle_connections:
                    rows.update(http_under_idle(server["http"], server["imap"], server["data"],
                                                args.idle_connections))
                rows["load (MULTIAPPEND)"] = {"seconds": seconds, "messages_per_s": len(messages) / seconds}
                report[name] = rows
                for row, values in rows.items():
                    print(f"  {row}: {json.dumps(values)}", flush=True)
                if name == "dovecot":
                    shutil.rmtree(work / "dovecot" / "home", ignore_errors=True)
            if name == "jmapd":
                shutil.rmtree(work / "jmapd", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"count": args.count, "rare": rare, "servers": report}, indent=1))
    if args.markdown_out:
        Path(args.markdown_out).write_text(markdown(report, args.count))


def markdown(report: dict, count: int) -> str:
    names = list(report)
    rows = [r for r in report[names[0]] if "median_ms" in report[names[0]][r]]
    head = "| figure | " + " | ".join(f"{n} median (p90) ms" for n in names)
    if len(names) == 2:
        head += f" | {names[0]}/{names[1]}"
    lines = [head + " |", "|" + " --- |" * (len(names) + 1 + (len(names) == 2))]
    for row in rows:
        cells = [f"{report[n][row]['median_ms']:.1f} ({report[n][row]['p90_ms']:.1f})" if row in report[n] else "–"
                 for n in names]
        ratio = ""
        if len(names) == 2 and row in report[names[1]] and report[names[1]][row]["median_ms"] > 0:
            ratio = f" | {report[names[0]][row]['median_ms'] / report[names[1]][row]['median_ms']:.2f}"
        lines.append(f"| {row} | " + " | ".join(cells) + ratio + " |")
    loads = " ".join(f"{n}: {report[n]['load (MULTIAPPEND)']['messages_per_s']:.0f} messages/s." for n in names)
    return "\n".join(lines) + f"\n\nLoading {count} messages over MULTIAPPEND: {loads}\n"


if __name__ == "__main__":
    main()
