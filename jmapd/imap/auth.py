"""LOGIN, AUTHENTICATE PLAIN and STARTTLS (RFC 9051 §6.2; SASL PLAIN RFC 4616; SASL-IR RFC 4959).

Credentials are checked by `server.logins.verify`, as for every protocol (an API token works as
the password). Plain-text logins are accepted on a loopback listener or once TLS is on; elsewhere
the server advertises LOGINDISABLED and answers [PRIVACYREQUIRED].

Failed logins back off per user and per client address in `server.logins` (jmapd.auth.backoff),
shared with every protocol: while blocked, a login is refused with NO [UNAVAILABLE] and the
seconds to wait, without checking anything.
"""

from __future__ import annotations

import base64
import binascii

from ..auth import LoginThrottled
from .errors import Bad, No
from .parser import Parser
from .session import Session


def plaintext_allowed(session: Session) -> bool:
    return session.secure or session.loopback


async def check_login(session: Session, name: str, password: str) -> str:
    try:
        user = await session.server.logins.verify(name, password, peer=session.peer)
    except LoginThrottled as exc:
        raise No(f"too many failed logins; try again in {exc.retry_after} s", "UNAVAILABLE") from None
    if user is None:
        raise No("wrong user name or password", "AUTHENTICATIONFAILED")
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
