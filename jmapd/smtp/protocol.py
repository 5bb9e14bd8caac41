"""aiosmtpd's SMTP and LMTP state machines, with the guards a listener on a network needs.

aiosmtpd parses commands, DATA (dot-unstuffing, the SIZE limit, the 1000-octet line limit) and
STARTTLS; handlers (inbound.py, submission.py) decide every reply that is about mail. Added here:

- a cap on connections per client address, answered `421 4.7.0` (RFC 5321 §4.5.3.2 lets a server
  close a connection it cannot serve);
- a timeout for every phase: `command_timeout` between commands (aiosmtpd's own timer), and
  `data_timeout` for the whole of DATA, after which the connection closes and nothing is stored;
- LMTP's one-reply-per-recipient rule (RFC 2033 §4.2) also for the refusals aiosmtpd makes itself
  at the end of DATA (too long a line, too much data), so that a client never waits for replies
  that do not come.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope

from ..limits import ConnectionGate, Refusal, Ticket, connection_gate

log = logging.getLogger("jmapd.smtp")
# `<local@domain>` (or the null path `<>`) with no characters that need RFC 5322's parser.
_PLAIN_PATH = re.compile(r"\s*<(?P<address>[^\s<>()\[\]\\\",;:@]+@[^\s<>()\[\]\\\",;:@]+)?>(?P<rest>.*)\Z", re.S)


def _is_utf8(text: str) -> bool:
    """False for text that came from invalid UTF-8 (aiosmtpd keeps such bytes as surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class MailEnvelope(Envelope):
    """aiosmtpd's envelope, with where each accepted recipient's copy goes."""

    def __init__(self) -> None:
        super().__init__()
        self.destinations: list = []


class Connections:
    """The open connections of one listener, counted by client address, so a listener can refuse
    one address too many and close them all when it stops."""

    def __init__(self, per_address: int | None):
        self.per_address = per_address
        # The gate every listener of the server shares (jmapd.limits), set when the listener starts.
        self.gate: ConnectionGate | None = None
        self.by_address: collections.Counter[str] = collections.Counter()
        self.open: set[asyncio.BaseTransport] = set()

    def admit(self, address: str, transport: asyncio.BaseTransport) -> bool:
        if self.per_address is not None and self.by_address[address] >= self.per_address:
            return False
        self.by_address[address] += 1
        self.open.add(transport)
        return True

    def release(self, address: str, transport: asyncio.BaseTransport) -> None:
        self.open.discard(transport)
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]

    def close_all(self) -> None:
        for transport in list(self.open):
            transport.close()


class _Guarded:
    """What both state machines share; mixed in before aiosmtpd's class."""

    connections: Connections
    data_timeout: float

    def __init__(self, handler: Any, *, connections: Connections, data_timeout: float, **kwargs: Any):
        super().__init__(handler, **kwargs)
        self.connections = connections
        self.data_timeout = data_timeout
        self._admitted: tuple[str, asyncio.BaseTransport] | None = None
        self._ticket: Ticket | None = None
        self._refused = False

    def _create_envelope(self) -> MailEnvelope:
        return MailEnvelope()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._admitted is None and not self._refused:  # not the second call that STARTTLS makes
            peer = transport.get_extra_info("peername")
            address = peer[0] if peer else "unknown"
            try:  # first the process's gate, which every listener shares (jmapd.limits)
                self._ticket = (self.connections.gate or connection_gate()).admit(address)
            except Refusal as refusal:
                self._refused = True
                transport.write(b"421 4.7.0 %s\r\n" % str(refusal).encode())
                transport.close()
                return
            if not self.connections.admit(address, transport):
                connection_gate().release(self._ticket)
                self._ticket = None
                self._refused = True
                log.warning("refused a connection from %s: too many open from there", address)
                transport.write(b"421 4.7.0 Too many connections from your address, try again later\r\n")
                transport.close()
                return
            self._admitted = (address, transport)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._admitted is not None:
            self.connections.release(*self._admitted)
            self._admitted = None
        if self._ticket is not None:
            connection_gate().release(self._ticket)
            self._ticket = None
        super().connection_lost(error)

    def eof_received(self) -> bool | None:
        if self._refused:
            return False
        return super().eof_received()

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    async def smtp_DATA(self, arg: str) -> None:
        self._reset_timeout(self.data_timeout)
        await super().smtp_DATA(arg)

    def _getaddr(self, arg: str):
        """aiosmtpd parses a path with the email package's RFC 5322 parser, a third of the CPU an
        LMTP delivery costs; the common `<local@domain>` form is taken apart here, anything else
        (quoted local parts, comments, source routes) goes the long way."""
        plain = _PLAIN_PATH.match(arg)
        if plain is None:
            address, rest = super()._getaddr(arg)
        else:
            address, rest = plain.group("address") or "<>", plain.group("rest")
        if address and not _is_utf8(address):
            return None, None  # bytes that are not UTF-8: "553 5.1.3 malformed address"
        return address, rest

    #: Set by a handler whose reply ends the session (421): commands the client has already
    #: pipelined behind it are not answered.
    close_after_reply = False

    async def push(self, status: Any) -> None:
        await super().push(status)
        if self.close_after_reply:
            if self.transport is not None:
                self.transport.close()
            raise asyncio.CancelledError()


class SmtpProtocol(_Guarded, SMTP):
    """SMTP for the MX and submission."""


class LmtpProtocol(_Guarded, LMTP):
    """LMTP: after DATA, one reply for each recipient that RCPT accepted (RFC 2033 §4.2)."""

    _replies_owed = 0
    _in_data = False

    async def smtp_DATA(self, arg: str) -> None:
        self._replies_owed = len(self.envelope.rcpt_tos) if self.envelope is not None else 0
        try:
            await super().smtp_DATA(arg)
        finally:
            self._replies_owed = 0
            self._in_data = False

    async def push(self, status: Any) -> None:
        owed = self._replies_owed
        if owed and isinstance(status, str) and status.startswith("354"):
            self._in_data = True
        elif (self._in_data and owed > 1 and isinstance(status, str) and status[:1] in "45"
              and "\r\n" not in status):
            # aiosmtpd's own refusal at the end of DATA: it is every recipient's reply.
            self._replies_owed = 0
            status = "\r\n".join([status] * owed)
        await super().push(status)
