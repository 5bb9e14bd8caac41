"""Watching a remote INBOX with IDLE (RFC 2177), so a sync source's new mail is fetched when it
arrives rather than at the next interval.

imaplib (before Python 3.14) has no IDLE: the command is sent and its untagged responses read here,
with select() deciding when to read so the connection never sees a read timeout (after one, a
socket's file refuses every further read).
"""

from __future__ import annotations

import imaplib
import logging
import re
import select
import threading
import time
from collections.abc import Callable

from .files import ImportFault
from .imap import TIMEOUT_S, ImapSource, connect

log = logging.getLogger("jmapd.sync")

#: RFC 2177 §3: re-issue IDLE at least every 29 minutes, or the server may log the client out.
IDLE_RENEW_S = 25 * 60
_NEWS = re.compile(rb"^\* \d+ (EXISTS|RECENT)\b", re.IGNORECASE)


def idle_once(conn: imaplib.IMAP4, seconds: float, stop: threading.Event) -> bool:
    """One IDLE on the selected folder until news, `seconds`, or `stop`; True if mail arrived."""
    tag = conn._new_tag()
    conn.send(tag + b" IDLE\r\n")
    while True:
        line = conn.readline()
        if not line:
            raise imaplib.IMAP4.abort("the connection closed")
        if line.startswith(b"+"):
            break
        if line.startswith(tag):
            raise imaplib.IMAP4.error(f"IDLE refused: {line.decode(errors='replace').strip()}")
    news = False
    deadline = time.monotonic() + seconds
    while not news and not stop.is_set() and time.monotonic() < deadline:
        readable, _, _ = select.select([conn.sock], [], [], 1.0)
        if not readable:
            continue
        line = conn.readline()
        if not line:
            raise imaplib.IMAP4.abort("the connection closed")
        news = bool(_NEWS.match(line))
    conn.send(b"DONE\r\n")
    while True:
        line = conn.readline()
        if not line:
            raise imaplib.IMAP4.abort("the connection closed")
        news = news or bool(_NEWS.match(line))
        if line.startswith(tag):
            return news


class InboxWatcher(threading.Thread):
    """Holds one connection to a source's INBOX in IDLE and calls `on_news` when mail arrives.
    A remote without IDLE ends the watcher at once (the interval alone then applies); a dropped
    connection is made again after a pause."""

    def __init__(self, source: ImapSource, password: str, on_news: Callable[[], None], *,
                 retry_s: float = 30.0):
        super().__init__(daemon=True, name=f"jmapd-idle-{source.key}")
        self.source = source
        self.password = password
        self.on_news = on_news
        self.retry_s = retry_s
        self.stop = threading.Event()
        self.idling = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                session = connect(self.source, self.password)
            except ImportFault as exc:
                log.info("sync: no IDLE on %s for now (%s)", self.source.key, exc)
                self.stop.wait(self.retry_s)
                continue
            conn = session.conn
            try:
                if "IDLE" not in session.capabilities:
                    log.info("sync: %s has no IDLE; polling only", self.source.key)
                    return
                typ, _ = conn.select("INBOX", readonly=True)
                if typ != "OK":
                    return
                while not self.stop.is_set():
                    self.idling.set()
                    if idle_once(conn, IDLE_RENEW_S, self.stop):
                        self.on_news()
            except (imaplib.IMAP4.error, OSError) as exc:
                log.info("sync: IDLE on %s ended (%s); again in %.0f s", self.source.key, exc, self.retry_s)
                self.idling.clear()
                self.stop.wait(self.retry_s)
            finally:
                try:
                    conn.sock.settimeout(TIMEOUT_S)
                    conn.logout()
                except (imaplib.IMAP4.error, OSError):
                    pass
