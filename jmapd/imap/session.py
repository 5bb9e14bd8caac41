"""One IMAP connection's state (RFC 9051 §3): who is logged in, what is enabled and selected, and
how responses reach the client.

Commands run one at a time per connection: in a worker thread when they may block (the writer's
commits, searches, large reads and MIME parsing), on the event loop when their cost is bounded
(jmapd.imap.commands). Their responses go through `Output`, which batches small writes and, from
the thread, hands full batches to the event loop: while the loop sends one, the thread goes on
with the next, and waits for the socket to have taken the one before. A large FETCH streams with
the socket's back-pressure (at most two batches in memory) and its production overlaps the
client's reading.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from store.records import User

from ..methods.services import Server
from .selected import Selected

if TYPE_CHECKING:
    from .service import ImapService

FLUSH_AT = 256 * 1024


class Output:
    def __init__(self, writer: asyncio.StreamWriter, loop: asyncio.AbstractEventLoop):
        self.writer = writer
        self.loop = loop
        self._chunks: list[bytes] = []
        self._size = 0
        self._loop_thread = threading.get_ident()
        # The batch the event loop is sending for the thread, if any.
        self._sending: concurrent.futures.Future | None = None

    def write(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        if self._size >= FLUSH_AT and threading.get_ident() != self._loop_thread:
            if self._sending is not None:
                self._sending.result()
            batch = self._take()
            self._sending = asyncio.run_coroutine_threadsafe(self._send(batch), self.loop)

    def _take(self) -> list[bytes]:
        chunks = self._chunks
        self._chunks = []
        self._size = 0
        return chunks

    async def _send(self, chunks: list[bytes]) -> None:
        self.writer.writelines(chunks)  # uvloop sends them with one writev, without joining them first
        await self.writer.drain()

    async def flush(self) -> None:
        if self._sending is not None:
            sending, self._sending = self._sending, None
            await asyncio.wrap_future(sending)
        if self._chunks:
            await self._send(self._take())


@dataclass(eq=False)
class Session:
    server: Server
    service: "ImapService"
    out: Output
    peer: str
    secure: bool  # TLS is on (implicit, or after STARTTLS)
    loopback: bool  # the listener is on a loopback address: LOGIN may be used without TLS
    user: User | None = None
    account_id: str | None = None
    selected: Selected | None = None
    enabled: set[str] = field(default_factory=set)
    # UIDs of the last SEARCH ... RETURN (SAVE), for "$" (RFC 5182).
    saved_search: list[int] = field(default_factory=list)
    client_id: dict[str, Any] = field(default_factory=dict)
    logged_out: bool = False
    # Reads one line from the client (AUTHENTICATE's responses, IDLE's DONE); set by the connection.
    read_line: Any = None

    @property
    def state(self) -> str:
        if self.user is None:
            return "notauth"
        return "selected" if self.selected is not None else "auth"

    @property
    def utf8(self) -> bool:
        return bool(self.enabled & {"IMAP4REV2", "UTF8=ACCEPT"})

    @property
    def rev2(self) -> bool:
        return "IMAP4REV2" in self.enabled

    @property
    def condstore(self) -> bool:
        return bool(self.enabled & {"CONDSTORE", "QRESYNC"})

    @property
    def qresync(self) -> bool:
        return "QRESYNC" in self.enabled

    def write(self, data: bytes) -> None:
        self.out.write(data)

    def changed(self, *, expunge: bool = True) -> bool:
        """Whether `catch_up` has anything to send: one counter read."""
        if self.selected is None or self.logged_out:
            return False
        with self.server.store.read() as txn:
            return self.selected.changed(txn, expunge=expunge)

    def catch_up(self, *, expunge: bool = True) -> None:
        """Send what changed in the selected mailbox since the last report (any client, any process)."""
        if self.selected is None or self.logged_out:
            return
        with self.server.store.read() as txn:
            lines = self.selected.catch_up(txn, expunge=expunge, qresync=self.qresync, condstore=self.condstore)
        for line in lines:
            self.write(line)
        if lines and lines[0].startswith(b"* BYE"):
            self.selected = None
