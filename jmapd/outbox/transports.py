"""Sending one message on one route, behind one small protocol.

    async def send(route, mail_from, recipients, message, begin) -> {recipient: Outcome}

`begin(accepted)` is called once the receiving side is ready for the content (after the DATA
command's 354, for SMTP): it records the attempt in the store and returns the recipients that may
still be sent to. Only then does the content go, so a recipient is never sent to twice; an
in-process sink for tests plugs in by implementing the same `send`.

`SmtpTransport` speaks SMTP with aiosmtplib: implicit TLS, STARTTLS (required, or opportunistic for
direct delivery), AUTH when the route has credentials, the server's SIZE limit, and the usual
classification of replies: 2xx accepted, 5xx permanent, 4xx, timeouts and dropped connections
temporary (the content was not acknowledged, so it is sent again later).
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Protocol

import aiosmtplib

from ..mail.submissions import Outcome, QueueEntry
from .routes import Route

Begin = Callable[[list[str]], Awaitable[list[str]]]
#: The queue entry (queue id, entry) being sent, for a transport that reports what it sent and for
#: whom (the test server's capture); set by the worker around each send.
SENDING: ContextVar[tuple[str, QueueEntry] | None] = ContextVar("jmapd_outbox_sending", default=None)
_DOT = re.compile(rb"(?m)^\.")


class Transport(Protocol):
    async def send(self, route: Route, mail_from: str, recipients: list[str], message: bytes,
                   begin: Begin) -> dict[str, Outcome]: ...


def reply_text(code: int, message: str) -> str:
    """One line, as RFC 8621 §7 smtpReply wants multi-line replies joined."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    return f"{code} " + " ".join(lines) if lines else str(code)


def outcome(code: int, message: str) -> Outcome:
    text = reply_text(code, message)
    return Outcome(accepted=200 <= code < 300, reply=text, permanent=code >= 500)


def temporary(why: str) -> Outcome:
    return Outcome(accepted=False, reply=f"451 4.4.1 {why}", permanent=False)


class SmtpTransport:
    def __init__(self, local_hostname: str, timeout: float = 60.0):
        self.local_hostname = local_hostname
        self.timeout = timeout
        # The SIZE each route's server last announced (RFC 1870), by route key; 0 for no limit.
        self.size_limits: dict[str, int] = {}
        self._contexts: dict[bool, ssl.SSLContext] = {}

    def tls_context(self, verify: bool) -> ssl.SSLContext:
        """Made once: loading the system's CA certificates takes tens of milliseconds of CPU,
        which must not be paid per connection (nor on the event loop: see `prepare`)."""
        if verify not in self._contexts:
            context = ssl.create_default_context()
            if not verify:  # opportunistic: a certificate no one checks beats plain text (RFC 7435)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._contexts[verify] = context
        return self._contexts[verify]

    def prepare(self) -> None:
        """Build the TLS contexts; run in a thread before sending starts."""
        self.tls_context(True)
        self.tls_context(False)

    async def probe(self, route: Route) -> int | None:
        """Connect, read the server's SIZE limit, and leave; None if it cannot be reached."""
        for host, port in route.hosts:
            try:
                client = await self._connect(route, host, port)
            except (aiosmtplib.SMTPException, OSError, ssl.SSLError):
                continue
            try:
                self._note_size(route, client)
                await _quit(client)
            finally:
                client.close()
            return self.size_limits[route.key]
        return None

    def _note_size(self, route: Route, client: aiosmtplib.SMTP) -> None:
        limit = client.esmtp_extensions.get("size", "")
        self.size_limits[route.key] = int(limit) if limit.isdigit() else 0

    async def send(self, route: Route, mail_from: str, recipients: list[str], message: bytes,
                   begin: Begin) -> dict[str, Outcome]:
        last: Outcome = temporary("no host to connect to")
        for host, port in route.hosts:
            try:
                client = await self._connect(route, host, port)
            except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
                last = temporary(f"cannot connect to {host}:{port}: {exc}")
                continue
            try:
                self._note_size(route, client)
                return await self._transaction(client, mail_from, recipients, message, begin)
            except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
                code = getattr(exc, "code", None)
                if isinstance(code, int) and 400 <= code < 600:
                    result = outcome(code, getattr(exc, "message", str(exc)))
                else:
                    result = temporary(f"{host}:{port}: {type(exc).__name__}: {exc}")
                return {r: result for r in recipients}
            finally:
                client.close()
        return {r: last for r in recipients}

    async def _connect(self, route: Route, host: str, port: int) -> aiosmtplib.SMTP:
        implicit = route.tls == "implicit"
        context = self.tls_context(verify=route.tls != "opportunistic")
        client = aiosmtplib.SMTP(hostname=host, port=port, timeout=self.timeout, use_tls=implicit,
                                 start_tls=False, local_hostname=self.local_hostname, tls_context=context)
        await client.connect()
        try:
            await client.ehlo()
            if route.tls in ("starttls", "opportunistic") and not implicit:
                if client.supports_extension("starttls"):
                    await client.starttls(tls_context=context)
                    await client.ehlo()
                elif route.tls == "starttls":
                    raise aiosmtplib.SMTPException(f"{host} does not offer STARTTLS, which the relay settings require")
            if route.username:
                await client.login(route.username, route.password or "")
        except BaseException:
            client.close()
            raise
        return client

    async def _transaction(self, client: aiosmtplib.SMTP, mail_from: str, recipients: list[str], message: bytes,
                           begin: Begin) -> dict[str, Outcome]:
        limit = client.esmtp_extensions.get("size", "")
        if limit.isdigit() and int(limit) and len(message) > int(limit):
            too_big = Outcome(accepted=False, permanent=True,
                              reply=f"552 5.3.4 the message ({len(message)} octets) is larger than the "
                                    f"server's limit of {limit}")
            return {r: too_big for r in recipients}
        options = [f"SIZE={len(message)}"] if "size" in client.esmtp_extensions else []
        if "8bitmime" in client.esmtp_extensions and not message.isascii():
            options.append("BODY=8BITMIME")
        await client.mail(mail_from, options=options)
        results: dict[str, Outcome] = {}
        accepted = []
        for rcpt in recipients:
            try:
                await client.rcpt(rcpt)
                accepted.append(rcpt)
            except aiosmtplib.SMTPRecipientRefused as exc:
                results[rcpt] = outcome(exc.code, exc.message)
        if not accepted:
            await _quit(client)
            return results
        start = await client.execute_command(b"DATA")
        if start.code != 354:
            results.update({r: outcome(start.code, start.message) for r in accepted})
            return results
        allowed = await begin(accepted)
        if set(allowed) != set(accepted):
            # Some were canceled or taken by another worker meanwhile: send nothing now (closing
            # before the final dot makes the server drop the transaction); the rest go next time.
            client.close()
            return {**results, **{r: temporary("delivery interrupted; trying again") for r in allowed}}
        final = await _send_content(client, message, self.timeout)
        results.update({r: outcome(final.code, final.message) for r in accepted})
        await _quit(client)
        return results


async def _send_content(client: aiosmtplib.SMTP, message: bytes, timeout: float):
    """The content and its final dot after a 354, as aiosmtplib's own DATA does it, split so that
    the attempt is recorded between the two halves."""
    body = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    protocol = client.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("connection lost")
    protocol._response_pending = True  # aiosmtplib 5: a reply is due, data arriving is not stray
    protocol.write(_DOT.sub(b"..", body) + b".\r\n")
    return await protocol.read_response(timeout=timeout)


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        pass
