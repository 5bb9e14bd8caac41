"""LOGIN, AUTHENTICATE PLAIN and STARTTLS (RFC 9051 §6.2; SASL PLAIN RFC 4616; SASL-IR RFC 4959).

Credentials are checked by `server.logins.verify`, as for every protocol (an API token works as
the password). Plain-text logins are accepted on a loopback listener or once TLS is on; elsewhere
the server advertises LOGINDISABLED and answers [PRIVACYREQUIRED].

Failed logins slow down per client address (`FailedLogins`): each failure doubles the wait before
the next answer, up to a bound, and a burst of failures locks the address out for a while.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time

from ..auth import LoginThrottled
from .errors import Bad, No
from .parser import Parser
from .session import Session

MAX_DELAY = 8.0
LOCKOUT_AFTER = 10
LOCKOUT_SECONDS = 300.0
FORGET_AFTER = 900.0


class FailedLogins:
    """Per-address back-off of failed logins, held in this process."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._failures: dict[str, tuple[int, float]] = {}

    def _current(self, address: str) -> int:
        count, last = self._failures.get(address, (0, 0.0))
        if count and self.clock() - last > FORGET_AFTER:
            self._failures.pop(address, None)
            return 0
        return count

    def locked_out(self, address: str) -> bool:
        count = self._current(address)
        return count >= LOCKOUT_AFTER and self.clock() - self._failures[address][1] < LOCKOUT_SECONDS

    def delay(self, address: str) -> float:
        count = self._current(address)
        return 0.0 if count == 0 else min(MAX_DELAY, 0.25 * 2 ** (count - 1))

    def failed(self, address: str) -> None:
        if len(self._failures) > 100_000:
            self._failures.clear()
        self._failures[address] = (self._current(address) + 1, self.clock())

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


def plaintext_allowed(session: Session) -> bool:
    return session.secure or session.loopback


async def check_login(session: Session, name: str, password: str) -> str:
    failures = session.service.failed_logins
    if failures.locked_out(session.peer):
        raise No("too many failed logins from this address; try again later", "UNAVAILABLE")
    try:  # the back-off every protocol shares, per user and per address
        user = await session.server.logins.verify(name, password, session.peer)
    except LoginThrottled as exc:
        raise No(f"too many failed logins; try again in {exc.retry_after} s", "UNAVAILABLE") from None
    if user is None:
        await asyncio.sleep(failures.delay(session.peer))
        failures.failed(session.peer)
        raise No("wrong user name or password", "AUTHENTICATIONFAILED")
    failures.succeeded(session.peer)
    if not session.service.admit(user.name):
        raise No("too many connections for this user", "LIMIT")
    session.user = user
    session.account_id = user.account_id
    return f"[CAPABILITY {session.service.capabilities(session)}] logged in"


async def login(session: Session, tag: str, p: Parser) -> str:
    p.sp()
    name = p.astring()
    p.sp()
    password = p.astring()
    p.end()
    if not plaintext_allowed(session):
        raise No("LOGIN needs TLS on this listener: use STARTTLS first", "PRIVACYREQUIRED")
    return await check_login(session, name.decode("utf-8", "replace"), password.decode("utf-8", "replace"))


async def authenticate(session: Session, tag: str, p: Parser) -> str:
    p.sp()
    mechanism = p.atom().upper()
    initial = None
    if p.maybe_sp():
        initial = p.atom()
    p.end()
    if mechanism != "PLAIN":
        if mechanism in ("CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"):
            raise No(f"{mechanism} needs the clear password on the server; passwords are stored hashed. "
                     "Use PLAIN over TLS", "CANNOT")
        raise No(f"unsupported mechanism {mechanism}; use PLAIN", "CANNOT")
    if not plaintext_allowed(session):
        raise No("AUTHENTICATE PLAIN needs TLS on this listener: use STARTTLS first", "PRIVACYREQUIRED")
    if initial is None:
        session.write(b"+ \r\n")
        await session.out.flush()
        line = await session.read_line()
        initial = line.decode("ascii", "replace").strip()
        if initial == "*":
            raise Bad("authentication cancelled")
    try:
        decoded = b"" if initial == "=" else base64.b64decode(initial, validate=True)
        _authzid, name, password = decoded.split(b"\x00")
    except (binascii.Error, ValueError):
        raise Bad("malformed PLAIN response") from None
    if _authzid and _authzid != name:
        raise No("acting as another user is not supported", "AUTHORIZATIONFAILED")
    return await check_login(session, name.decode("utf-8", "replace"), password.decode("utf-8", "replace"))


async def starttls(session: Session, tag: str, p: Parser) -> str | None:
    p.end()
    context = session.service.tls_context
    if context is None or session.secure:
        raise Bad("STARTTLS is not available here")
    session.write(f"{tag} OK begin TLS negotiation now\r\n".encode())
    await session.out.flush()
    await session.out.writer.start_tls(context)
    session.secure = True
    return None  # answered already
