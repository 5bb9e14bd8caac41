"""Loading a `jmapd seed` dataset into an IMAP server with MULTIAPPEND (RFC 3502) and LITERAL+ (RFC 7888).

IMAP is how mail is migrated into most servers, and for Cyrus it is about ten times faster than JMAP
upload + Email/import, so a comparison loads each server the way it loads fastest. Every message keeps
its folder, its keywords as IMAP flags and its receivedAt as the internal date, so both servers hold the
same mailbox.

Messages go in per-folder batches (at most `batch` messages or `batch_bytes` bytes per APPEND), in
manifest order within a folder; several connections take batches from one queue so none sits idle.
"""

from __future__ import annotations

import queue
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# RFC 8621 section 4.1.1: these keywords are IMAP system flags; any other keyword is an IMAP keyword.
SYSTEM_FLAGS = {"$seen": "\\Seen", "$flagged": "\\Flagged", "$answered": "\\Answered", "$draft": "\\Draft",
                "$deleted": "\\Deleted"}
# RFC 6154 special-use attributes for the Mailbox roles of RFC 8621 section 2.
SPECIAL_USE = {"archive": "\\Archive", "drafts": "\\Drafts", "junk": "\\Junk", "sent": "\\Sent",
               "trash": "\\Trash", "all": "\\All", "flagged": "\\Flagged"}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass
class Message:
    path: Path
    folder: str
    keywords: list[str]
    received_at: str  # RFC 3339 UTC, "2022-01-03T08:15:58Z"
    size: int


class ImapError(Exception):
    pass


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_flags(keywords: list[str]) -> str:
    return " ".join(SYSTEM_FLAGS.get(k.lower(), k) for k in keywords)


def internal_date(received_at: str) -> str:
    """RFC 3339 UTC to the IMAP date-time of RFC 3501 ("03-Jan-2022 08:15:58 +0000"), locale-independent."""
    year, month, day = received_at[:10].split("-")
    return f"{day}-{MONTHS[int(month) - 1]}-{year} {received_at[11:19]} +0000"


class Connection:
    """Just enough of an IMAP client for LOGIN, LIST, CREATE and a pipelined MULTIAPPEND.

    imaplib cannot send several literals in one command, which MULTIAPPEND needs.
    """

    def __init__(self, host: str, port: int, timeout: float = 600):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        self.tags = 0
        greeting = self.file.readline()
        if not greeting.startswith(b"* OK"):
            raise ImapError(f"unexpected greeting {greeting!r}")

    def command(self, head: str, payload: bytes = b"") -> list[bytes]:
        """Send one command (`payload` carries any LITERAL+ literals) and return its untagged lines."""
        self.tags += 1
        tag = f"L{self.tags}".encode()
        self.sock.sendall(tag + b" " + head.encode() + payload + b"\r\n")
        untagged = []
        while True:
            line = self.file.readline()
            if not line:
                raise ImapError(f"connection closed during {head[:60]!r}")
            literal = re.search(rb"\{(\d+)\}\r\n$", line)
            if literal:
                line += self.file.read(int(literal.group(1))) + self.file.readline()
            if line.startswith(tag + b" "):
                if not line[len(tag) + 1:].startswith(b"OK"):
                    raise ImapError(f"{head[:60]!r} failed: {line.decode(errors='replace').strip()}")
                return untagged
            untagged.append(line)

    def login(self, user: str, password: str) -> None:
        self.command(f"LOGIN {quote(user)} {quote(password)}")

    def append(self, mailbox: str, messages: list[Message]) -> None:
        payload = []
        for m in messages:
            raw = m.path.read_bytes()
            payload.append(f" ({imap_flags(m.keywords)}) \"{internal_date(m.received_at)}\" {{{len(raw)}+}}\r\n"
                           .encode() + raw)
        self.command(f"APPEND {quote(mailbox)}", b"".join(payload))

    def close(self) -> None:
        try:
            self.command("LOGOUT")
        except (ImapError, OSError):
            pass
        self.sock.close()


def ensure_folders(conn: Connection, folders: dict[str, str | None]) -> dict[str, str]:
    """IMAP mailbox names by dataset folder ("Lists/dev" -> "Lists/dev" or "Lists.dev"), creating the
    missing ones, parents first, with their special-use attribute where the server supports it."""
    separator = "/"
    for line in conn.command('LIST "" ""'):
        found = re.match(rb'\* LIST \([^)]*\) "(.)"', line)
        if found:
            separator = found.group(1).decode()
    existing = set()
    for line in conn.command('LIST "" "*"'):
        found = re.match(rb'\* LIST \([^)]*\) (?:"."|NIL) (?:"((?:[^"\\]|\\.)*)"|(\S+))\r\n$', line)
        if found:
            existing.add((found.group(1) or found.group(2)).decode().replace('\\"', '"').replace("\\\\", "\\"))
    create_special_use = any(b"CREATE-SPECIAL-USE" in line.upper() for line in conn.command("CAPABILITY"))
    names: dict[str, str] = {}
    for folder in sorted(folders, key=lambda f: f.count("/")):
        role = folders[folder]
        name = "INBOX" if role == "inbox" else folder.replace("/", separator)
        names[folder] = name
        parts = name.split(separator)
        for depth in range(1, len(parts) + 1):
            path = separator.join(parts[:depth])
            if path.upper() == "INBOX" or path in existing:
                continue
            use = SPECIAL_USE.get(role or "") if depth == len(parts) else None
            conn.command(f"CREATE {quote(path)}" + (f" (USE ({use}))" if use and create_special_use else ""))
            conn.command(f"SUBSCRIBE {quote(path)}")
            existing.add(path)
    return names


def batches(messages: list[Message], batch: int, batch_bytes: int) -> list[tuple[str, list[Message]]]:
    """Per-folder runs of at most `batch` messages and (unless one message is larger) `batch_bytes` bytes."""
    by_folder: dict[str, list[Message]] = {}
    for m in messages:
        by_folder.setdefault(m.folder, []).append(m)
    out: list[tuple[str, list[Message]]] = []
    for folder, items in by_folder.items():
        current: list[Message] = []
        size = 0
        for m in items:
            if current and (len(current) >= batch or size + m.size > batch_bytes):
                out.append((folder, current))
                current, size = [], 0
            current.append(m)
            size += m.size
        if current:
            out.append((folder, current))
    return out


def load(host: str, port: int, user: str, password: str, messages: list[Message], folders: dict[str, str | None],
         *, connections: int = 4, batch: int = 100, batch_bytes: int = 8 << 20) -> float:
    """Append every message; returns the seconds spent (folder creation included, login excluded)."""
    first = Connection(host, port)
    first.login(user, password)
    pending: queue.Queue = queue.Queue()
    sessions = [first]
    for _ in range(connections - 1):
        conn = Connection(host, port)
        conn.login(user, password)
        sessions.append(conn)
    failures: list[BaseException] = []

    def work(conn: Connection) -> None:
        while not failures:
            try:
                mailbox, items = pending.get_nowait()
            except queue.Empty:
                return
            try:
                conn.append(mailbox, items)
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                failures.append(exc)

    start = time.perf_counter()
    names = ensure_folders(first, folders)
    for folder, items in batches(messages, batch, batch_bytes):
        pending.put((names[folder], items))
    threads = [threading.Thread(target=work, args=(conn,), daemon=True) for conn in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for conn in sessions:
        conn.close()
    if failures:
        raise failures[0]
    return elapsed
