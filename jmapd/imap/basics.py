"""CAPABILITY, NOOP, CHECK, LOGOUT, ENABLE, NAMESPACE and ID (RFC 9051 §6.1, §6.3.1, §6.4.1;
ENABLE RFC 5161; NAMESPACE RFC 2342; ID RFC 2971)."""

from __future__ import annotations

from . import wire
from .errors import Bad
from .parser import Parser
from .session import Session

ENABLEABLE = {"IMAP4REV2", "CONDSTORE", "QRESYNC"}
MAX_ID_FIELDS = 30


def capability(session: Session, tag: str, p: Parser) -> str:
    p.end()
    session.write(f"* CAPABILITY {session.service.capabilities(session)}\r\n".encode())
    return "CAPABILITY completed"


def noop(session: Session, tag: str, p: Parser) -> str:
    p.end()
    return "NOOP completed"


def check(session: Session, tag: str, p: Parser) -> str:
    p.end()
    return "CHECK completed (every change is durable when acknowledged)"


def logout(session: Session, tag: str, p: Parser) -> str:
    p.end()
    session.write(b"* BYE logging out\r\n")
    session.logged_out = True
    return "LOGOUT completed"


def enable(session: Session, tag: str, p: Parser) -> str:
    wanted = []
    while p.maybe_sp():
        wanted.append(p.atom().upper())
    p.end()
    if not wanted:
        raise Bad("ENABLE needs a capability")
    newly = [w for w in wanted if w in ENABLEABLE and w not in session.enabled]
    session.enabled.update(newly)
    if "QRESYNC" in newly:
        session.enabled.add("CONDSTORE")
    session.write(b"* ENABLED" + b"".join(b" " + w.encode() for w in newly) + b"\r\n")
    return "ENABLE completed"


def namespace(session: Session, tag: str, p: Parser) -> str:
    p.end()
    session.write(b'* NAMESPACE (("" "/")) NIL NIL\r\n')
    return "NAMESPACE completed"


def id_(session: Session, tag: str, p: Parser) -> str:
    p.sp()
    fields = {}
    if not p.accept(b"NIL"):
        p.expect(b"(")
        while p.peek() != 0x29:
            key = p.string()
            p.sp()
            value = p.nstring()
            if len(fields) < MAX_ID_FIELDS:
                fields[key.decode("utf-8", "replace")[:30]] = None if value is None else value.decode("utf-8", "replace")[:1024]
            p.maybe_sp()
        p.close_paren()
    p.end()
    session.client_id = fields
    session.write(b'* ID ("name" "jmapd" "vendor" "jmapd" "support-url" %s)\r\n' % wire.string(
        "https://www.rfc-editor.org/rfc/rfc9051"))
    return "ID completed"
