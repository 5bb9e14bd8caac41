"""jmapd's IMAP beside Dovecot and Cyrus: the same folder loaded into each, then the same IMAP workload.

    .venv/bin/python bench/imap_bench.py [--count 100000] [--seed 1] [--max-attachment-bytes 200000]
        [--servers jmapd,dovecot,cyrus] [--data bench/out/imap] [--reload]
        [--page-cache as-is|warm|cold] [--more-rounds N] [--markdown-out FILE] [--json-out FILE]

Run it under `flock /tmp/jmapd-bench.lock` on a shared machine. Needs root (Dovecot and Cyrus drop
privileges to `nobody`). CYRUS_PEER names the Cyrus peer scripts' folder (for its TCP_NODELAY shim).

Dataset: `jmapd seed --format eml` (threads, attachments capped, non-ASCII headers, keywords) in
DATA/dataset, written once as one Maildir (DATA/maildir: every message in INBOX, its keywords as
Maildir flags, its receivedAt as the file's time). Each server is loaded from it the fastest
honest way it has, once; the loaded data stays in DATA/<server> for later runs (`--reload` loads
again):

- jmapd: `jmapd import maildir` into a fresh data folder, then `jmapd serve --imap`, measured once
  its search index has settled;
- Dovecot 2.3 (Debian's `dovecot-imapd`, private configuration, its own port on loopback, the
  fts-xapian plugin from `dovecot-fts-xapian`): serves a hard-linked copy of the Maildir directly;
  its index and full-text index are built by a first SELECT, FETCH and SEARCH;
- Cyrus IMAP 3.6 (Debian's packages unpacked into DATA/cyrus-root with `apt-get download` and
  `dpkg-deb -x`, since `cyrus-imapd` and `dovecot-imapd` cannot be installed together): loaded
  over IMAP MULTIAPPEND (4 connections, bench/imap_load.py, as bench/compare.sh loads it), then its
  Xapian index built by one `squatter` run. Its TCP_NODELAY shim is preloaded, as compare.sh does.

The servers run one after the other. Before measuring, each does one untimed initial sync (so every
server reads its index from a warm page cache and fills its own caches). `--page-cache` sets where
each server's files (its data folder, a Dovecot Maildir's messages included) are before it starts:
`warm` reads them all into the page cache, `cold` drops them from it (posix_fadvise DONTNEED, which
leaves other files alone), `as-is` (the default) leaves them as the machine's other work left them.
With `cold`, what the workload reads besides the initial sync's index comes from the disk. Workload,
on fresh logged-in connections:

- initial sync: SELECT INBOX, UID FETCH 1:* (FLAGS ENVELOPE) (3 rounds);
- fetch 50 headers: UID FETCH of 50 UIDs (BODY.PEEK[HEADER.FIELDS (...)] RFC822.SIZE FLAGS) (30 rounds, N times
  that with `--more-rounds N`);
- open a message: UID FETCH uid (BODY.PEEK[]) of a random message (50 rounds, or N times that);
- STORE flags: UID STORE uid +FLAGS (\\Flagged), answered (50 rounds);
- SEARCH TEXT for the dataset's rarest marker word (10 rounds);
- IDLE wake-up: one connection IDLEs, another stores a flag; the time from sending the STORE to
  the IDLEing connection reading the FETCH, the store's commit included (20 rounds).

Each row reports the median and p90 in milliseconds and the server's CPU seconds per round (user +
system time of the server's processes, from /proc, children reaped included): the CPU figure
depends far less on other work on the machine than the elapsed time does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import stat
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import imap_load
from load_dataset import read_dataset
from servers import JMAPD, wait_index_settled

from jmapd.importers import flags as maildir_flags
from jmapd.testing import free_port

USER, PASSWORD = "bench", "bench"
HEADER_FIELDS = "BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID REFERENCES IN-REPLY-TO)]"
HERE = Path(__file__).resolve().parent
CYRUS_PEER = Path(os.environ.get("CYRUS_PEER", HERE.parent.parent / "shared" / "peers" / "cyrus"))
CYRUS_PACKAGES = ["cyrus-common", "cyrus-imapd", "sasl2-bin", "libclamav12", "libical3", "libpcre3", "libzephyr4"]
CLOCK = os.sysconf("SC_CLK_TCK")


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


# -- server CPU ------------------------------------------------------------------------------------
def tree_cpu(root: int) -> float:
    """CPU seconds of a process and its descendants, with the children it has already reaped."""
    parents: dict[int, int] = {}
    times: dict[int, tuple[int, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]))
    total = times.get(root, (0, 0))[1]
    for pid, (own, _) in times.items():
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += own
    return total / CLOCK


class Cpu:
    def __init__(self, pid: int):
        self.pid = pid

    def __enter__(self):
        self.start = tree_cpu(self.pid)
        return self

    def __exit__(self, *exc):
        time.sleep(0.3)  # let a server reap the processes of closed connections
        self.seconds = tree_cpu(self.pid) - self.start


# -- the workload ----------------------------------------------------------------------------------
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


def initial_sync(port: int) -> tuple[float, int]:
    client = connect(port)
    start = time.perf_counter()
    client.command("SELECT INBOX")
    lines = client.command("UID FETCH 1:* (FLAGS ENVELOPE)")
    elapsed = (time.perf_counter() - start) * 1000
    client.close()
    return elapsed, sum(1 for line in lines if b" FETCH " in line[:40])


def workload(port: int, pid: int, rare_word: str | None, rng: random.Random, more: int = 1) -> dict:
    results: dict[str, dict] = {}

    def row(name: str, samples: list[float], cpu: Cpu, **extra) -> None:
        results[name] = {**summary(samples), "cpu_s_per_round": cpu.seconds / len(samples), **extra}
        print(f"  {name}: {json.dumps(results[name])}", flush=True)

    with Cpu(pid) as cpu:
        rounds = [initial_sync(port) for _ in range(3)]
    row("initial sync: UID FETCH 1:* (FLAGS ENVELOPE)", [r[0] for r in rounds], cpu, messages=rounds[-1][1])
    client = connect(port)
    client.command("SELECT INBOX")
    uids = [int(x) for line in client.command("UID SEARCH ALL") for x in line.split()[2:]]
    with Cpu(pid) as cpu:
        samples = []
        for _ in range(30 * more):
            start = rng.randrange(0, max(1, len(uids) - 50))
            chosen = ",".join(map(str, uids[start:start + 50]))
            samples.append(client.timed(f"UID FETCH {chosen} (UID FLAGS RFC822.SIZE {HEADER_FIELDS})")[0])
    row("fetch 50 headers", samples, cpu)
    with Cpu(pid) as cpu:
        samples = [client.timed(f"UID FETCH {rng.choice(uids)} (BODY.PEEK[])")[0] for _ in range(50 * more)]
    row("open a message: BODY.PEEK[]", samples, cpu)
    samples = []
    with Cpu(pid) as cpu:
        for _ in range(50):
            uid = rng.choice(uids)
            samples.append(client.timed(f"UID STORE {uid} +FLAGS (\\Flagged)")[0])
            client.command(f"UID STORE {uid} -FLAGS (\\Flagged)")
    row("STORE flags (+FLAGS, then -FLAGS untimed)", samples, cpu)
    samples, found = [], 0
    if rare_word is not None:
        with Cpu(pid) as cpu:
            for _ in range(10):
                elapsed, lines = client.timed(f"UID SEARCH TEXT {rare_word}")
                samples.append(elapsed)
                found = sum(len(line.split()) - 2 for line in lines if line.startswith(b"* SEARCH"))
        row("SEARCH TEXT (rare word)", samples, cpu, found=found)
    client.close()
    with Cpu(pid) as cpu:
        samples = [idle_wakeup(port, rng.choice(uids)) for _ in range(20)]
    row("IDLE wake-up", samples, cpu)
    return results


# -- the page cache ---------------------------------------------------------------------------------
def page_cache(folder: Path, state: str) -> None:
    """Every file under `folder` read into the page cache (warm) or dropped from it (cold)."""
    if state == "as-is":
        return
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue  # sockets and FIFOs of a running server's folder, links
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                continue  # gone meanwhile
            try:
                if state == "cold":
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                else:
                    while os.read(fd, 1 << 20):
                        pass
            finally:
                os.close(fd)


# -- the dataset as one Maildir --------------------------------------------------------------------
def write_maildir(data: Path, messages: list[imap_load.Message]) -> Path:
    """Every message hard-linked into one Maildir's cur/ (no copy of 3 GB), flags in its name,
    receivedAt as its time."""
    root = data / "maildir"
    if (root / "complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for n, m in enumerate(messages):
        when = _epoch(m.received_at)
        target = root / "cur" / f"{when}.s{n}.bench:2,{maildir_flags.to_maildir(m.keywords, {})}"
        os.link(m.path, target)
        os.utime(target, (when, when))
    (root / "complete").touch()
    return root


def _epoch(utc: str) -> int:
    import calendar

    return calendar.timegm(time.strptime(utc, "%Y-%m-%dT%H:%M:%SZ"))


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def timed_run(args: list[str], **kwargs) -> tuple[float, float]:
    """(elapsed seconds, CPU seconds of the command and its children)."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(args, check=True, **kwargs)
    after = os.times()
    return time.perf_counter() - start, (after.children_user - before.children_user
                                         + after.children_system - before.children_system)


# -- the servers -----------------------------------------------------------------------------------
@contextmanager
def jmapd(data: Path, maildir: Path, reload: bool):
    folder = data / "jmapd"
    loaded = folder / "loaded.json"
    if reload or not loaded.exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([JMAPD, "user", "add", USER, "--password", PASSWORD, "--data", str(folder)], check=True,
                       capture_output=True)
        elapsed, cpu = timed_run([JMAPD, "import", "maildir", str(maildir), "--user", USER, "--data", str(folder),
                                  "--quiet"], stdout=subprocess.DEVNULL)
        loaded.write_text(json.dumps({"how": "jmapd import maildir", "seconds": elapsed, "cpu_s": cpu}))
    imap, http = free_port(), free_port()
    proc = subprocess.Popen([JMAPD, "serve", "--port", str(http), "--imap", f"127.0.0.1:{imap}", "--data",
                             str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(imap)
        yield {"imap": imap, "pid": proc.pid, "load": json.loads(loaded.read_text()),
               "settle": lambda word: wait_index_settled(str(folder))}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


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
mail_location = maildir:~/Maildir
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
service indexer-worker {{
  vsz_limit = 0
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


def _owner(path: Path, uid: int, gid: int) -> None:
    subprocess.run(["chown", "-R", f"{uid}:{gid}", str(path)], check=True)


def _nobody() -> tuple[int, int]:
    uid = int(subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True).stdout)
    gid = int(subprocess.run(["id", "-g", "nobody"], capture_output=True, text=True).stdout)
    return uid, gid


@contextmanager
def dovecot(data: Path, maildir: Path, reload: bool, text_search: bool = True):
    if shutil.which("dovecot") is None:
        sys.exit("Dovecot is not installed: apt-get install dovecot-imapd")
    ensure_xapian_plugin()
    root = data / "dovecot"
    uid, gid = _nobody()
    loaded = root / "loaded.json"
    home = root / "home" / USER
    if reload:
        shutil.rmtree(root, ignore_errors=True)
    if not home.exists():  # (a load stopped half-way resumes: doveadm index continues where it was)
        home.mkdir(parents=True)
        subprocess.run(["cp", "-al", str(maildir), str(home / "Maildir")], check=True)
        (home / "Maildir" / "complete").unlink()
        _owner(root / "home", uid, gid)
    for sub in ("run", "state"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(DOVECOT_CONF.format(root=root, uid=uid, gid=gid, port=port))
    pidfile = root / "run" / "master.pid"
    pidfile.unlink(missing_ok=True)
    subprocess.run(["dovecot", "-c", str(config)], check=True)
    try:
        wait_port(port)
        for _ in range(50):  # the port may answer before the pid file is written
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.1)
        pid = int(pidfile.read_text())

        def settle(word: str) -> float:
            start = time.perf_counter()
            client = connect(port)
            client.command("SELECT INBOX")
            client.command(f"UID SEARCH TEXT {word}")
            client.close()
            return time.perf_counter() - start

        if not loaded.exists() or (text_search and "fts-xapian" not in loaded.read_text()):
            # loading a Maildir is building Dovecot's index and full-text index of it
            start = time.perf_counter()
            before = os.times()
            initial_sync(port)
            if text_search:
                subprocess.run(["doveadm", "-c", str(config), "index", "-u", USER, "INBOX"], check=True)
            after = os.times()
            elapsed = time.perf_counter() - start
            loaded.write_text(json.dumps({"how": "Dovecot serving the Maildir: its index built by the first "
                                                 "SELECT and FETCH" + (", fts-xapian by `doveadm index`"
                                                                       if text_search else ""),
                                          "seconds": elapsed, "doveadm_cpu_s": after.children_user
                                          - before.children_user + after.children_system - before.children_system}))
        yield {"imap": port, "pid": pid, "load": json.loads(loaded.read_text()), "settle": settle}
    finally:
        subprocess.run(["doveadm", "-c", str(config), "stop"], capture_output=True)
        time.sleep(1)


# Cyrus IMAP 3.6 from Debian's packages, unpacked (it conflicts with dovecot-imapd as a package).
CYRUS_IMAPD_CONF = """\
configdirectory: {d}/lib
defaultpartition: default
partition-default: {d}/spool
proc_path: {d}/run/proc
mboxname_lockpath: {d}/run/lock
lmtpsocket: {d}/run/socket/lmtp
idlesocket: {d}/run/socket/idle
notifysocket: {d}/run/socket/notify
servername: localhost
altnamespace: yes
unixhierarchysep: yes
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {d}/etc/sasldb2
sasl_mech_list: PLAIN LOGIN
conversations: yes
conversations_db: twoskip
search_engine: xapian
defaultsearchtier: t1
t1searchpartition-default: {d}/search
search_batchsize: 1000000
hashimapspool: true
duplicatesuppression: no
autocreate_quota: 0
autocreate_inbox_folders: Trash
umask: 077
"""
CYRUS_CONF = """\
START {{
  recover  cmd="{bin}/ctl_cyrusdb -C {d}/etc/imapd.conf -r"
}}
SERVICES {{
  imap     cmd="{bin}/imapd -C {d}/etc/imapd.conf" listen="127.0.0.1:{port}" proto=tcp4 prefork=1 maxchild=100
}}
EVENTS {{
  checkpoint cmd="{bin}/ctl_cyrusdb -C {d}/etc/imapd.conf -c" period=30
}}
DAEMON {{
  idled    cmd="{bin}/idled -C {d}/etc/imapd.conf"
}}
"""


def cyrus_root(data: Path) -> Path:
    root = data / "cyrus-root"
    if (root / "usr/lib/cyrus/bin/imapd").exists():
        return root
    debs = data / "cyrus-debs"
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", *CYRUS_PACKAGES], cwd=debs, check=True, capture_output=True)
    for deb in debs.glob("*.deb"):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


@contextmanager
def cyrus(data: Path, messages: list[imap_load.Message], reload: bool, text_search: bool = True):
    root = cyrus_root(data)
    d = data / "cyrus"
    bin_dir = root / "usr/lib/cyrus/bin"
    uid, gid = _nobody()
    env = {**os.environ, "CYRUS_USER": "nobody",
           "LD_LIBRARY_PATH": f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu"}
    config = d / "etc" / "imapd.conf"
    loaded = d / "loaded.json"
    if reload or not loaded.exists():
        shutil.rmtree(d, ignore_errors=True)
        for sub in ("etc", "spool", "search", "run/proc", "run/lock", "run/socket", "lib/db", "lib/socket",
                    "lib/log", "lib/msg", "lib/proc", "lib/lock", "lib/user", "lib/quota",
                    *(f"{top}/{c}" for top in ("lib/user", "lib/quota", "lib/lock", "spool") for c in
                      "abcdefghijklmnopqrstuvwxyz")):
            (d / sub).mkdir(parents=True, exist_ok=True)
        subprocess.run(["saslpasswd2", "-f", str(d / "etc/sasldb2"), "-u", "localhost", "-p", "-c", USER],
                       input=PASSWORD.encode(), check=True, env={**env, "PATH": f"{root}/usr/sbin:{os.environ['PATH']}"})
        os.chmod(d, 0o755)
    port = free_port()
    config.write_text(CYRUS_IMAPD_CONF.format(d=d))
    (d / "etc/cyrus.conf").write_text(CYRUS_CONF.format(d=d, bin=bin_dir, port=port))
    shim = d / "nodelay.so"
    if not shim.exists():
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(shim), str(CYRUS_PEER / "nodelay.c"), "-ldl"],
                       check=True)
    _owner(d, uid, gid)
    os.chmod(d / "etc/sasldb2", 0o644)
    pidfile = d / "run/master.pid"
    pidfile.unlink(missing_ok=True)
    subprocess.run([str(bin_dir / "master"), "-C", str(config), "-M", str(d / "etc/cyrus.conf"), "-p", str(pidfile),
                    "-d"], check=True, env={**env, "LD_PRELOAD": str(shim)})
    try:
        wait_port(port)
        for _ in range(50):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.1)
        pid = int(pidfile.read_text())

        def squatter() -> None:
            subprocess.run([str(bin_dir / "squatter"), "-C", str(config), "-u", USER], check=True, env=env,
                           capture_output=True, user=uid, group=gid)

        def settle(word: str) -> float:
            return 0.0  # the load ends with a squatter run over every message; nothing came since

        if not loaded.exists():
            seconds = imap_load.load("127.0.0.1", port, USER, PASSWORD, messages, {"INBOX": "inbox"})
            index_start = time.perf_counter()
            before = os.times()
            if text_search:
                squatter()
            after = os.times()
            loaded.write_text(json.dumps({"how": "IMAP MULTIAPPEND (4 connections), then one squatter run",
                                          "seconds": seconds + time.perf_counter() - index_start,
                                          "append_seconds": seconds,
                                          "squatter_cpu_s": after.children_user - before.children_user
                                          + after.children_system - before.children_system}))
        yield {"imap": port, "pid": pid, "load": json.loads(loaded.read_text()), "settle": settle}
    finally:
        try:
            os.kill(int(pidfile.read_text()), 15)
        except (OSError, ValueError):
            pass
        time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-attachment-bytes", type=int, default=200_000)
    parser.add_argument("--servers", default="jmapd,dovecot,cyrus")
    parser.add_argument("--data", default=str(HERE / "out" / "imap"),
                        help="where the dataset and each server's loaded folder are kept between runs")
    parser.add_argument("--reload", action="store_true", help="load every server again")
    parser.add_argument("--no-text-search", action="store_true",
                        help="leave out SEARCH TEXT (and Dovecot's full-text index, the longest part of its load)")
    parser.add_argument("--page-cache", choices=["as-is", "warm", "cold"], default="as-is",
                        help="each server's files read into the page cache, or dropped from it, before it starts")
    parser.add_argument("--more-rounds", type=int, default=1, metavar="N",
                        help="N times the rounds of the fetch and open rows (the kernel counts CPU time in "
                             "10 ms ticks: more rounds, finer CPU figures)")
    parser.add_argument("--markdown-out")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    os.chmod(data, 0o755)
    dataset = data / "dataset"
    if not (dataset / "manifest.json").exists():
        subprocess.run([JMAPD, "seed", "--out", str(dataset), "--count", str(args.count), "--seed", str(args.seed),
                        "--format", "eml", "--max-attachment-bytes", str(args.max_attachment_bytes)], check=True,
                       stdout=subprocess.DEVNULL)
    messages, manifest = read_dataset(dataset)
    if len(messages) != args.count:
        sys.exit(f"{dataset} holds {len(messages)} messages, not {args.count}: move it away to make another")
    for m in messages:
        m.folder = "INBOX"
    maildir = write_maildir(data, messages)
    rare = min((m for m in manifest["markers"] if m["messages"] > 0), key=lambda m: m["messages"])
    total_mb = sum(m.size for m in messages) / 1e6
    print(f"dataset: {len(messages)} messages, {total_mb:.0f} MB, one folder; rare word {rare['word']!r} "
          f"in {rare['messages']} messages", flush=True)
    report: dict[str, dict] = {}
    for name in args.servers.split(","):
        if name == "jmapd":
            server = jmapd(data, maildir, args.reload)
        elif name == "dovecot":
            server = dovecot(data, maildir, args.reload, not args.no_text_search)
        elif name == "cyrus":
            server = cyrus(data, messages, args.reload, not args.no_text_search)
        else:
            sys.exit(f"unknown server {name}")
        page_cache(data / name, args.page_cache)
        with server as s:
            print(f"{name}: loaded by {s['load']['how']} in {s['load']['seconds']:.0f} s; page cache "
                  f"{args.page_cache}", flush=True)
            settled = 0.0 if args.no_text_search and name != "jmapd" else s["settle"](rare["word"])
            with Cpu(s["pid"]) as cpu:
                warm_ms, _ = initial_sync(s["imap"])
            print(f"{name}: settled in {settled:.0f} s; warm-up sync {warm_ms:.0f} ms ({cpu.seconds:.1f} CPU s)",
                  flush=True)
            rows = workload(s["imap"], s["pid"], None if args.no_text_search else rare["word"],
                            random.Random(args.seed), args.more_rounds)
            report[name] = {"rows": rows, "load": s["load"], "load_avg": os.getloadavg(),
                            "page_cache": args.page_cache}
            print(f"{name}: load average after the workload {os.getloadavg()}", flush=True)
    result = {"count": args.count, "rare": rare, "servers": report}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1))
    if args.markdown_out:
        Path(args.markdown_out).write_text(markdown(report))
    print(markdown(report))


def markdown(report: dict) -> str:
    names = list(report)
    rows = list(report[names[0]]["rows"])
    head = "| figure | " + " | ".join(f"{n} median (p90) ms | {n} CPU s/round" for n in names)
    lines = [head + " |", "|" + " --- |" * (1 + 2 * len(names))]
    for row in rows:
        cells = []
        for n in names:
            r = report[n]["rows"].get(row)
            cells += ["–", "–"] if r is None else [f"{r['median_ms']:,.1f} ({r['p90_ms']:,.1f})",
                                                   f"{r['cpu_s_per_round']:.4f}"]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    loads = " ".join(f"{n}: {report[n]['load']['how']}, {report[n]['load']['seconds']:.0f} s." for n in names)
    return "\n".join(lines) + f"\n\nLoading: {loads}\n"


if __name__ == "__main__":
    main()
