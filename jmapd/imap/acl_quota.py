"""ACL (RFC 4314) and QUOTA (RFC 9208), answering from what jmapd knows.

A user has every right on their own account's mailboxes; sharing is managed with `jmapd user share`,
not over IMAP, so SETACL and DELETEACL are refused with the reason. The store keeps no quotas, so
every mailbox reports no quota root, and GETQUOTA/SETQUOTA say there is none.
"""

from __future__ import annotations

from . import names, wire
from .errors import No
from .parser import Parser
from .session import Session

ALL_RIGHTS = "lrswipkxtea"


def _mailbox(session: Session, p: Parser) -> bytes:
    p.sp()
    name = names.canonical(names.decode_name(p.astring(), session.utf8))
    with session.server.store.read() as txn:
        folder = names.find(txn, session.account_id, name)
    return wire.string(names.encode_name(folder.name, session.utf8), session.utf8)


def myrights(session: Session, tag: str, p: Parser) -> str:
    encoded = _mailbox(session, p)
    p.end()
    session.write(b"* MYRIGHTS %s %s\r\n" % (encoded, ALL_RIGHTS.encode()))
    return "MYRIGHTS completed"


def getacl(session: Session, tag: str, p: Parser) -> str:
    encoded = _mailbox(session, p)
    p.end()
    session.write(b"* ACL %s %s %s\r\n" % (encoded, wire.string(session.user.name), ALL_RIGHTS.encode()))
    return "GETACL completed"


def listrights(session: Session, tag: str, p: Parser) -> str:
    encoded = _mailbox(session, p)
    p.sp()
    identifier = p.astring()
    p.end()
    session.write(b"* LISTRIGHTS %s %s %s\r\n" % (encoded, wire.string(identifier), ALL_RIGHTS.encode()))
    return "LISTRIGHTS completed"


def setacl(session: Session, tag: str, p: Parser) -> str:
    raise No("rights are managed with `jmapd user share`, not over IMAP", "NOPERM")


def getquotaroot(session: Session, tag: str, p: Parser) -> str:
    encoded = _mailbox(session, p)
    p.end()
    session.write(b"* QUOTAROOT %s\r\n" % encoded)
    return "GETQUOTAROOT completed (no quota applies)"


def getquota(session: Session, tag: str, p: Parser) -> str:
    raise No("no such quota root: this server keeps no quotas", "NONEXISTENT")


def setquota(session: Session, tag: str, p: Parser) -> str:
    raise No("this server keeps no quotas", "CANNOT")
