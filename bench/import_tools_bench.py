"""Import throughput of `jmapd import mbox|maildir|imap`, with the importer's peak memory.

    .venv/bin/python bench/import_tools_bench.py [--count 100000] [--seed 1] [--max-attachment-bytes 200000]
                                                 [--skip-imap] [--only mbox|maildir|imap] [--dataset DIR]

Dataset: `jmapd seed`'s deterministic mailbox (threads, median ~10 KB, attachments capped as
given, several folders, keywords), written once as a Maildir++ tree (flags in file names, mtimes
as receivedAt) and once as mbox files (jmapd's export layout). Each import runs the real `jmapd`
command into a fresh data folder and is timed from start to exit. The IMAP source is Dovecot
(Debian's dovecot-imapd, installed with apt-get when missing) on loopback, serving the same
Maildir tree, its index built before the clock starts. Peak memory is the largest anonymous
resident memory (RssAnon) of the importer and its parse workers together, sampled every 0.2 s.
CPU is the user and system time of the importer and its parse workers (not Dovecot's), which
depends far less than the elapsed time on what else the machine runs. With `--dataset DIR` the
dataset is kept in DIR and reused by the next run with the same count, seed and cap (writing
100,000 messages takes longer than importing them).
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "importers"))

from jmapd.importers import flags, maildir, mbox  # noqa: E402
from jmapd.importers.export import mbox_file  # noqa: E402
from jmapd.importers.imap_wire import parse_list, quote  # noqa: E402
from jmapd.seed import SeedOptions, iter_messages  # noqa: E402

JMAPD = str(Path(sys.executable).with_name("jmapd"))


def epoch(utc: str) -> int:
    return calendar.timegm(time.strptime(utc, "%Y-%m-%dT%H:%M:%SZ"))


def write_dataset(root: Path, count: int, seed: int, max_attachment: int | None) -> tuple[int, int]:
    """The seed mailbox as a Maildir++ tree and as mbox files; returns (messages, bytes)."""
    md_root, mb_root = root / "maildir", root / "mbox"
    total = n = 0
    mbox_files: dict[str, object] = {}
    for n, message in enumerate(iter_messages(seed, count, SeedOptions(max_attachment_bytes=max_attachment)), 1):
        # The seed names its inbox "Inbox": it is the Maildir's top (a `.Inbox` folder beside it
        # would be hidden by Dovecot's INBOX, which matches its name without regard to case).
        path = [] if message.folder.upper() == "INBOX" else message.folder.split("/")
        when = epoch(message.received_at)
        directory = maildir.folder_directory(str(md_root), path)
        if not os.path.isdir(os.path.join(directory, "cur")):
            maildir.make_folder(directory)
        maildir.write_message(directory, f"{when}.s{n}.bench", message.raw, when, flags.to_maildir(message.keywords, {}))
        name = mbox_file(str(mb_root), path or ["INBOX"])
        if name not in mbox_files:
            os.makedirs(os.path.dirname(name), exist_ok=True)
            mbox_files[name] = open(name, "wb", buffering=1 << 20)
        mbox.write_message(mbox_files[name], message.raw, when, message.keywords)
        total += len(message.raw)
    for f in mbox_files.values():
        f.close()
    return n, total


def rss_kb(pid: int) -> int:
    """Anonymous resident memory (RssAnon: the heap, not the LMDB file's pages, which the kernel
    shares and reclaims) of a process and all its descendants, in kB."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            total += next(int(line.split()[1]) for line in f if line.startswith("RssAnon:"))
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += sum(rss_kb(int(child)) for child in f.read().split())
    except (OSError, StopIteration):
        pass
    return total


def timed(args: list[str], env: dict | None = None) -> tuple[float, int, str, float]:
    """(seconds, peak kB, stdout, CPU seconds of the command and its parse workers) of a jmapd command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen([JMAPD, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})}, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, rss_kb(proc.pid))
        time.sleep(0.2)
    out = proc.stdout.read()
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed ({proc.returncode}):\n{out}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, peak, out, cpu


def fresh_account(work: Path, name: str) -> Path:
    data = work / f"data-{name}"
    subprocess.run([JMAPD, "user", "add", "bench", "--password", "bench", "--data", str(data)],
                   check=True, capture_output=True)
    return data


def report(what: str, messages: int, total: int, seconds: float, peak_kb: int, cpu: float) -> None:
    print(f"{what}: {messages / seconds:.0f} messages/s, {total / 1e6 / seconds:.1f} MB/s "
          f"({messages} messages in {seconds:.1f} s), peak memory {peak_kb / 1024:.0f} MB, "
          f"importer CPU {cpu:.1f} s ({messages / cpu:.0f} messages per CPU-second)", flush=True)


def ensure_dovecot() -> None:
    if shutil.which("dovecot") or os.path.exists("/usr/sbin/dovecot"):
        return
    subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "dovecot-imapd"], check=True, capture_output=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def imap_run(work: Path, messages: int, total: int) -> None:
    ensure_dovecot()
    import conftest  # the test suite's Dovecot on loopback

    conftest.DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
    root = conftest.dovecot_folder()
    server = conftest.Dovecot(root)
    try:
        user, password = server.add_user()
        shutil.copytree(work / "maildir", server.maildir(user))
        for path in [server.maildir(user).parent, *server.maildir(user).parent.rglob("*")]:
            os.chown(path, server.uid, server.gid)
        conn = server.imap(user, password)  # Dovecot builds its index now, not on the clock
        for folder in parse_list(conn.list()[1]):
            if "\\Noselect" in folder.attributes:
                continue
            typ, data = conn.select(quote(folder.raw_name), readonly=True)
            assert typ == "OK", (folder, data)
            conn.uid("FETCH", "1:*", "(UID RFC822.SIZE FLAGS INTERNALDATE)")
        conn.logout()
        data = fresh_account(work, "imap")
        seconds, peak, out, cpu = timed(["import", "imap", "--host", "127.0.0.1", "--port", str(server.port), "--plain",
                                  "--user", user, "--into", "bench", "--quiet", "--data", str(data)],
                                 env={"JMAPD_IMPORT_PASSWORD": password})
        assert f"total: {messages} imported" in out, out
        report("IMAP from Dovecot", messages, total, seconds, peak, cpu)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-attachment-bytes", type=int, default=200_000)
    parser.add_argument("--skip-imap", action="store_true")
    parser.add_argument("--only", choices=("mbox", "maildir", "imap"), help="run this import alone")
    parser.add_argument("--dataset", type=Path, help="keep the dataset here and reuse it")
    args = parser.parse_args()
    work = args.dataset or Path(tempfile.mkdtemp(prefix="jmapd-import-bench-"))
    try:
        started = time.perf_counter()
        marker = work / "dataset.json"
        wanted = {"count": args.count, "seed": args.seed, "max_attachment_bytes": args.max_attachment_bytes,
                  "layout": 2}
        known = json.loads(marker.read_text()) if marker.exists() else {}
        if {k: known.get(k) for k in wanted} == wanted:
            messages, total = known["messages"], known["bytes"]
        else:
            for stale in (work / "maildir", work / "mbox", marker):
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
            work.mkdir(parents=True, exist_ok=True)
            messages, total = write_dataset(work, args.count, args.seed, args.max_attachment_bytes)
            marker.write_text(json.dumps({**wanted, "messages": messages, "bytes": total}))
        print(f"dataset: {messages} messages, {total / 1e6:.0f} MB (ready in {time.perf_counter() - started:.0f} s)",
              flush=True)
        for kind, source in (("mbox", work / "mbox"), ("maildir", work / "maildir")):
            if args.only not in (None, kind):
                continue
            data = fresh_account(work, kind)
            seconds, peak, out, cpu = timed(["import", kind, str(source), "--user", "bench", "--quiet",
                                             "--data", str(data)])
            assert f"total: {messages} imported" in out, out
            report(f"{kind} import", messages, total, seconds, peak, cpu)
            shutil.rmtree(data)
        if not args.skip_imap and args.only in (None, "imap"):
            imap_run(work, messages, total)
    finally:
        if args.dataset is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            for data in work.glob("data-*"):
                shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
