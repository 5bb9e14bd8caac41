"""aiosmtpd's SMTP and LMTP state machines, with the guards a listener on a network needs.

aiosmtpd parses commands, DATA (dot-unstuffing, the SIZE limit, the 1000-octet line limit) and
STARTTLS; handlers (inbound.py, submission.py) decide every reply that is about mail. Added here:

- a cap on connections per client address, answered `421 4.7.0` (RFC 5321 §4.5.3.2 lets a server
  close a connection it cannot serve);
- a timeout for every phase: `command_timeout` between commands (aiosmtpd's own timer), and
  `data_timeout` for the whole of DATA, after which the connection closes and nothing is stored;
- DATA read in large pieces (data.py) rather than aiosmtpd's line at a time, with the same replies;
- LMTP's one-reply-per-recipient rule (RFC 2033 §4.2) also for the refusals made at the end of
  DATA (too long a line, too much data), so that a client never waits for replies that do not come;
- replies to commands a client may pipeline (RFC 2920 §3.1: MAIL, RCPT, RSET, NOOP, and DATA's) are
  written together, once the commands already received are answered, rather than one write each;
- the command loop and the timeouts cost less per command: the loop does not format aiosmtpd's two
  log records per command line unless its logger shows them, and one timer per connection serves
  every deadline rather than a new timer per command.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import re
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import ALLOWED_BEFORE_STARTTLS, BOGUS_LIMIT, MISSING, SMTP, Envelope, TLSSetupException, syntax

from ..limits import ConnectionGate, Refusal, Ticket, connection_gate
from .data import DataState, DotData

log = logging.getLogger("jmapd.smtp")
#: aiosmtpd's logger, which logs every command line at INFO and DEBUG.
_AIOSMTPD_LOG = logging.getLogger("mail.log")
#: What one read during DATA may take: all that is buffered (so what follows the message can be
#: handed back in order).
_READ_ALL = 1 << 30
#: Replies held back at most before they are written (and the client made to read them).
_MAX_PENDING = 32
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

    # -- the command loop --------------------------------------------------------------------------
    async def _handle_client(self) -> None:
        """aiosmtpd's command loop, with the same replies and limits, but without the two log
        records it formats for every command line. Where they would be shown (aiosmtpd's logger at
        INFO), and for the options these listeners never set (PROXY, per-command call limits),
        aiosmtpd's own loop runs."""
        if self._proxy_timeout is not None or self._enforce_call_limit or _AIOSMTPD_LOG.isEnabledFor(logging.INFO):
            await super()._handle_client()
            return
        await self.push(f"220 {self.hostname} {self.__ident__}")
        bogus_budget = BOGUS_LIMIT
        reader = self._reader
        while self.transport is not None:
            try:
                try:
                    line = await reader.readuntil()
                except asyncio.LimitOverrunError as error:  # read the rest of the line, then refuse it
                    await reader.read(error.consumed)
                    while True:
                        try:
                            await reader.readuntil()
                            break
                        except asyncio.LimitOverrunError as more:
                            await reader.read(more.consumed)
                    await self.push("500 Command line too long")
                    continue
                line = line.rstrip(b"\r\n")
                if not line:
                    await self.push("500 Error: bad syntax")
                    continue
                command_bytes, _, arg_bytes = line.partition(b" ")
                try:
                    command = command_bytes.upper().decode("ascii")
                except UnicodeDecodeError:
                    await self.push("500 Error: bad syntax")
                    continue
                arg: str | None = None
                if arg_bytes:
                    if self.enable_SMTPUTF8:  # bytes that are not UTF-8 kept as they came
                        arg = str(arg_bytes.strip(), "utf-8", "surrogateescape")
                    else:
                        try:
                            arg = str(arg_bytes.strip(), "ascii")
                        except UnicodeDecodeError:
                            await self.push("500 Error: strict ASCII mode")
                            continue
                limit = self.command_size_limits[command] if self.session.extended_smtp else self.command_size_limit
                if len(line) > limit:
                    await self.push("500 Command line too long")
                    continue
                if not self._tls_handshake_okay and command != "QUIT":
                    await self.push("554 Command refused due to lack of security")
                    continue
                if self.require_starttls and not self._tls_protocol and command not in ALLOWED_BEFORE_STARTTLS:
                    await self.push("530 Must issue a STARTTLS command first")  # RFC 3207 §4
                    continue
                method = self._smtp_methods.get(command)
                if method is None:
                    _AIOSMTPD_LOG.warning("%r unrecognised: %s", self.session.peer, command)
                    bogus_budget -= 1
                    if bogus_budget < 1:
                        _AIOSMTPD_LOG.warning("%r too many bogus commands", self.session.peer)
                        await self.push("502 5.5.1 Too many unrecognized commands, goodbye.")
                        self.transport.close()
                        continue
                    await self.push(f'500 Error: command "{command}" not recognized')
                    continue
                self._reset_timeout()
                await method(arg)
            except (asyncio.CancelledError, ConnectionResetError):  # the connection went away
                self._writer.close()
                raise
            except Exception as error:
                try:
                    status = await self.handle_exception(error)
                except Exception:
                    _AIOSMTPD_LOG.exception("%r Exception in handle_exception()", self.session.peer)
                    status = "500 Error: Cannot describe error"
                if isinstance(error, TLSSetupException):
                    self.transport.close()
                    self.connection_lost(error)
                else:
                    await self.push(status)

    # -- timeouts ----------------------------------------------------------------------------------
    #: When the connection times out, on the event loop's clock, and when the armed timer fires
    #: (infinity once it has fired).
    _deadline = 0.0
    _timer_at = math.inf

    def _reset_timeout(self, duration: float | None = None) -> None:
        """aiosmtpd's: the connection closes `duration` seconds from now (the command timeout when
        not given). A deadline later than the armed timer is looked at when it fires; only an
        earlier one arms the timer again."""
        loop = self.loop
        self._deadline = deadline = loop.time() + (duration or self._timeout_duration)
        handle = self._timeout_handle
        if handle is None or deadline < self._timer_at:
            if handle is not None:
                handle.cancel()
            self._timer_at = deadline
            self._timeout_handle = loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        left = self._deadline - self.loop.time()
        if left > 0.001:  # moved on since the timer was armed
            self._timer_at = self._deadline
            self._timeout_handle = self.loop.call_at(self._deadline, self._on_timer)
            return
        self._timer_at = math.inf
        self._timeout_cb()

    # -- DATA ------------------------------------------------------------------------------------
    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, the same replies, with the message read by `_read_data`."""
        self._reset_timeout(self.data_timeout)
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        self._deferring = True
        try:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            data = await self._read_data()
            if data.state is not DataState.NOMINAL:
                refusal = self._for_each_recipient(
                    "500 Line too long (see RFC5321 4.5.3.1.6)" if data.state is DataState.TOO_LONG
                    else "552 Error: Too much mail data")
                self._set_post_data_state()
                await self.push(refusal)
                return
            self.envelope.content = self.envelope.original_content = data.content
            status = await self._call_handler_hook("DATA")
            self._set_post_data_state()
            await self.push("250 OK" if status is MISSING else status)
        finally:
            self._deferring = False

    async def _read_data(self) -> DotData:
        """The message, read in whatever pieces arrive until the line of a single "."; what
        arrived after it (pipelined commands) is left for the command loop."""
        data = DotData(self.data_size_limit, self.line_length_limit)
        reader = self._reader
        try:
            while True:
                chunk = await reader.read(_READ_ALL)  # all that is buffered, or what comes next
                if not chunk:  # end of file: the client went away before the end of data
                    raise asyncio.CancelledError()
                used = data.feed(chunk)
                if used is not None:
                    if used < len(chunk) and not reader.at_eof():
                        reader.feed_data(chunk[used:])  # the buffer was emptied: order is kept
                    return data
        except asyncio.CancelledError:
            log.info("connection lost during DATA")
            self._writer.close()
            raise

    def _for_each_recipient(self, reply: str) -> str:
        """A refusal at the end of DATA: one reply in SMTP (LMTP sends one per recipient)."""
        return reply

    # -- replies -----------------------------------------------------------------------------------
    #: True while a command a client may pipeline is answered: its reply waits, to go out with the
    #: next ones in one write, until the session next waits (for input or for the store).
    _deferring = False
    _pending: list[bytes] | None = None

    async def smtp_MAIL(self, arg: str | None) -> None:
        await self._deferred(super().smtp_MAIL(arg))

    async def smtp_RCPT(self, arg: str | None) -> None:
        await self._deferred(super().smtp_RCPT(arg))

    async def smtp_RSET(self, arg: str) -> None:
        await self._deferred(super().smtp_RSET(arg))

    async def smtp_NOOP(self, arg: str) -> None:
        await self._deferred(super().smtp_NOOP(arg))

    async def _deferred(self, command: Any) -> None:
        self._deferring = True
        try:
            await command
        finally:
            self._deferring = False

    def _flush_replies(self) -> None:
        pending, self._pending = self._pending, None
        if pending and self.transport is not None and not self.transport.is_closing():
            self._writer.write(b"".join(pending))

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
        """aiosmtpd's push, except that a pipelinable command's reply may wait for the next."""
        line = (status.encode("utf-8" if self.enable_SMTPUTF8 else "ascii") if isinstance(status, str)
                else status) + b"\r\n"
        if self._deferring and not self.close_after_reply and len(self._pending or ()) < _MAX_PENDING:
            if self._pending is None:
                self._pending = [line]
                self.loop.call_soon(self._flush_replies)  # once this command group is answered
            else:
                self._pending.append(line)
            return
        if self._pending:
            line = b"".join(self._pending) + line
            self._pending = None
        self._writer.write(line)
        await self._writer.drain()
        if self.close_after_reply:
            if self.transport is not None:
                self.transport.close()
            raise asyncio.CancelledError()


class SmtpProtocol(_Guarded, SMTP):
    """SMTP for the MX and submission."""


class LmtpProtocol(_Guarded, LMTP):
    """LMTP: after DATA, one reply for each recipient that RCPT accepted (RFC 2033 §4.2)."""

    def _for_each_recipient(self, reply: str) -> str:
        return "\r\n".join([reply] * max(1, len(self.envelope.rcpt_tos)))
