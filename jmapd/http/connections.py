"""uvicorn's HTTP protocol with jmapd's connection gate and the timeouts uvicorn lacks.

uvicorn times out only a keep-alive connection that sends nothing after a response. A connection
that never completes its headers, trickles them a byte at a time, or trickles its body, is held
forever, and with it a file descriptor (issue 20, finding 2). Here each connection is first admitted
by the process's gate (jmapd.limits: per address and in total, below the descriptor limit), and
then each phase has its bound:

- headers: complete within `header_timeout` of the request's first byte (or of connecting), and in
  no more than MAX_HEADER_BYTES; past either, 408 or 431 and the connection closed;
- body: at least `body_min_rate` bytes a second over each window of `body_timeout` seconds (time
  the server itself stops reading, or waits to send 100 Continue, is not the client's);
- response: a client that leaves it unread for `send_timeout` seconds is dropped.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import get_remote_addr

from ..limits import ConnectionGate, Refusal, Ticket, connection_gate

# Request line and headers together; far above any real client's, far below what fills memory.
MAX_HEADER_BYTES = 64 * 1024


def plain_response(status: bytes, message: str, *extra: bytes) -> bytes:
    body = message.encode()
    head = [b"HTTP/1.1 " + status, b"content-type: text/plain; charset=utf-8",
            b"content-length: %d" % len(body), b"connection: close", *extra]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """Set `gate` on a subclass to use a gate of its own (tests); otherwise the process's gate."""

    gate: ConnectionGate | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._gate = self.gate or connection_gate()
        self._ticket: Ticket | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        self._in_headers = False
        self._header_bytes = 0
        self._body_bytes = self._body_seen = 0
        super().connection_made(transport)
        peer = get_remote_addr(transport)
        try:
            self._ticket = self._gate.admit(peer[0] if peer else None)
        except Refusal as refusal:
            status = b"429 Too Many Requests" if refusal.per_address else b"503 Service Unavailable"
            transport.write(plain_response(status, str(refusal), b"retry-after: %d" % (1 if refusal.per_address else 5)))
            transport.close()
            return
        self._in_headers = True
        self._arm(self._gate.settings.header_timeout, self._headers_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None
        if self._ticket is not None:
            self._gate.release(self._ticket)
            self._ticket = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._ticket is None:
            return  # refused: being closed
        super().data_received(data)
        if self._in_headers:
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
                self._refuse(b"431 Request Header Fields Too Large",
                             f"The request line and headers exceed {MAX_HEADER_BYTES} bytes.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = 0
        if self._timer is None:
            self._arm(self._gate.settings.header_timeout, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._disarm()
        super().on_headers_complete()
        if self._expects_body():
            self._body_bytes = self._body_seen = 0
            self._arm(self._gate.settings.body_timeout, self._check_body_progress)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(self._gate.settings.send_timeout, self._response_unread)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def _expects_body(self) -> bool:
        for name, value in self.headers:
            if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"0", b"")):
                return True
        return False

    def _arm(self, delay: float, callback) -> None:
        self._disarm()
        self._timer = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _headers_too_slow(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self._refuse(b"408 Request Timeout",
                         f"The request's headers did not arrive within {self._gate.settings.header_timeout:g} s.")

    def _check_body_progress(self) -> None:
        self._timer = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None or not cycle.more_body:
            return
        settings = self._gate.settings
        waiting_on_us = self.flow.read_paused or cycle.waiting_for_100_continue
        if waiting_on_us or self._body_bytes - self._body_seen >= settings.body_min_rate * settings.body_timeout:
            self._body_seen = self._body_bytes
            self._arm(settings.body_timeout, self._check_body_progress)
            return
        self._refuse(b"408 Request Timeout", f"The request's body arrived slower than {settings.body_min_rate} bytes/s.")

    def _refuse(self, status: bytes, message: str) -> None:
        """Answer with `status` unless a response is already under way, and close."""
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(plain_response(status, message))
        if cycle is not None:
            cycle.keep_alive = False
        self.transport.close()

    def _response_unread(self) -> None:
        self._send_timer = None
        self.transport.abort()


def protocol_with_gate(gate: ConnectionGate) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for a server with a gate of its own (a LiveServer in tests)."""
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"gate": gate})
