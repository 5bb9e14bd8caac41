"""STORE and UID STORE (RFC 9051 §6.4.6; UNCHANGEDSINCE RFC 7162 §3.1.3): flags become keywords
through the writer, every message of the command in one transaction (one commit for `1:*`)."""

from __future__ import annotations

from ..mail import uids as uid_index
from ..mail.errors import MailError
from ..mail.placement import check_keywords
from ..mail.records import EmailRecord
from ..mail.writer import EMAIL, update_email
from . import wire
from .errors import Bad, No
from .flags import imap_flags, keywords_of
from .parser import Parser
from .session import Session


def store(session: Session, tag: str, p: Parser, by_uid: bool = False) -> str:
    selected = session.selected
    if selected.read_only:
        raise No("the mailbox is read-only (EXAMINE)", "READ-ONLY")
    p.sp()
    sequence = p.sequence_set()
    p.sp()
    unchanged_since = None
    if p.open_paren():
        p.expect(b"UNCHANGEDSINCE")
        p.sp()
        unchanged_since = p.number64()
        p.close_paren()
        p.sp()
        session.enabled.add("CONDSTORE")
    action = p.atom().upper()
    mode, _, silent = action.partition(".")
    if mode not in ("FLAGS", "+FLAGS", "-FLAGS") or silent not in ("", "SILENT"):
        raise Bad(f"unknown STORE action {action}")
    p.sp()
    given = keywords_of(p.flag_list())
    p.end()
    messages = selected.messages(sequence, by_uid, session.saved_search)
    account_id = session.account_id
    changed: list[tuple[int, int, str]] = []
    modified: list[int] = []

    def work(txn):
        for seq, uid in messages:
            entry = uid_index.entry(txn, account_id, selected.mailbox_id, uid)
            record = None if entry is None else txn.get(account_id, EMAIL, entry.email_id, EmailRecord)
            if record is None:
                continue
            if unchanged_since is not None and entry.modseq > unchanged_since:
                modified.append(seq if not by_uid else uid)
                continue
            current = set(record.keywords)
            new = given if mode == "FLAGS" else current | given if mode == "+FLAGS" else current - given
            if new != current:
                update_email(txn, account_id, entry.email_id, record, keywords=check_keywords(new))
                selected.own[entry.email_id] = txn.counter(account_id, "modseq")
            changed.append((seq, uid, entry.email_id))

    try:
        session.server.store.write(work)
    except MailError as exc:
        raise No(str(exc)) from None
    condstore = session.condstore
    if not silent or unchanged_since is not None:
        with session.server.store.read() as txn:
            for seq, uid, email_id in changed:
                if silent:
                    continue
                record = txn.get(account_id, EMAIL, email_id, EmailRecord)
                if record is None:
                    continue
                extra = b""
                if condstore:
                    entry = uid_index.entry(txn, account_id, selected.mailbox_id, uid)
                    extra = b" MODSEQ (%d)" % (entry.modseq if entry else 1)
                uid_part = b"UID %d " % uid if by_uid else b""
                session.write(b"* %d FETCH (%sFLAGS %s%s)\r\n" % (seq, uid_part, wire.flags(imap_flags(record.keywords)), extra))
    if modified:
        return f"[MODIFIED {wire.compact_set(sorted(modified))}] conditional STORE failed for some messages"
    return "STORE completed"


def uid_store(session: Session, tag: str, p: Parser) -> str:
    return store(session, tag, p, by_uid=True)
