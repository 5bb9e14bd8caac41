"""COPY, MOVE and their UID forms (RFC 9051 §6.4.7, §6.4.8; UIDPLUS COPYUID RFC 4315).

A message is one Email in any number of mailboxes (RFC 8621), so COPY puts the same Email in the
target mailbox as well, and both folders show it with the same flags. Only when it is there
already does COPY make a second Email of the same stored octets. MOVE changes its mailboxes in one
step. Every message of a command goes in one transaction of the writer.
"""

from __future__ import annotations

from ..mail import envelopes
from ..mail import uids as uid_index
from ..mail.errors import MailError
from ..mail.placement import check_mailboxes
from ..mail.records import EmailRecord
from ..mail.writer import EMAIL, delete_email, insert_email, update_email
from . import names
from .errors import No
from .flags import DELETED
from .parser import Parser
from .session import Session


def copy(session: Session, tag: str, p: Parser, by_uid: bool = False, move: bool = False) -> str:
    selected = session.selected
    p.sp()
    sequence = p.sequence_set()
    p.sp()
    target_name = names.canonical(names.decode_name(p.astring(), session.utf8))
    p.end()
    if move and selected.read_only:
        raise No("the mailbox is read-only (EXAMINE)", "READ-ONLY")
    with session.server.store.read() as txn:
        try:
            target = names.find(txn, session.account_id, target_name)
        except No:
            raise No(f"no mailbox named {target_name}", "TRYCREATE") from None
    messages = selected.messages(sequence, by_uid, session.saved_search)
    account_id, source = session.account_id, selected.mailbox_id
    max_mailboxes = session.server.mail_limits.max_mailboxes_per_email
    pairs: list[tuple[int, int]] = []

    def work(txn):
        pairs.clear()
        for _, uid in messages:
            entry = uid_index.entry(txn, account_id, source, uid)
            record = None if entry is None else txn.get(account_id, EMAIL, entry.email_id, EmailRecord)
            if record is None:
                continue
            email_id = entry.email_id
            if target.id == source and move:
                continue
            if target.id in record.mailbox_ids:
                if move:
                    update_email(txn, account_id, email_id, record, mailbox_ids=[m for m in record.mailbox_ids
                                                                                 if m != source])
                    pairs.append((uid, uid_index.uid_of(txn, account_id, target.id, email_id)))
                    continue
                email_id, _ = insert_email(txn, account_id, blob_id=record.blob_id, size=record.size,
                                           summary=record.summary, mailbox_ids=[target.id],
                                           keywords=record.keywords, received_at=record.received_at,
                                           head=envelopes.head(txn, account_id, email_id))
            else:
                wanted = [m for m in record.mailbox_ids if not (move and m == source)] + [target.id]
                update_email(txn, account_id, email_id, record,
                             mailbox_ids=check_mailboxes(txn, account_id, wanted, max_mailboxes))
            selected.own[entry.email_id] = txn.counter(account_id, "modseq")
            pairs.append((uid, uid_index.uid_of(txn, account_id, target.id, email_id)))

    try:
        session.server.store.write(work)
    except MailError as exc:
        raise No(str(exc)) from None
    verb = "MOVE" if move else "COPY"
    if not pairs:
        return f"{verb} completed (nothing to do)"
    code = "COPYUID %d %s %s" % (uid_index.uid_validity(account_id, target.id),
                                 ",".join(str(a) for a, _ in pairs), ",".join(str(b) for _, b in pairs))
    if move:
        session.write(f"* OK [{code}] moved\r\n".encode())
        session.catch_up()
        return f"{verb} completed"
    return f"[{code}] {verb} completed"


def move(session: Session, tag: str, p: Parser) -> str:
    return copy(session, tag, p, move=True)


def uid_copy(session: Session, tag: str, p: Parser) -> str:
    return copy(session, tag, p, by_uid=True)


def uid_move(session: Session, tag: str, p: Parser) -> str:
    return copy(session, tag, p, by_uid=True, move=True)


# -- EXPUNGE, CLOSE, UNSELECT --------------------------------------------------------------------------
def remove_deleted(session: Session, only_uids: set[int] | None = None) -> None:
    """Take messages flagged \\Deleted out of the selected mailbox; destroy those it was the last
    mailbox of. Reads the flag index's \\Deleted entries of this mailbox and those messages' records
    only, whatever the mailbox's size."""
    selected = session.selected
    account_id, mailbox_id = session.account_id, selected.mailbox_id

    def work(txn):
        for uid, email_id in list(uid_index.flagged(txn, account_id, mailbox_id, DELETED)):
            if only_uids is not None and uid not in only_uids:
                continue
            record = txn.get(account_id, EMAIL, email_id, EmailRecord)
            if record is None:
                continue
            remaining = [m for m in record.mailbox_ids if m != mailbox_id]
            if remaining:
                update_email(txn, account_id, email_id, record, mailbox_ids=remaining,
                             keywords=[k for k in record.keywords if k != DELETED])
            else:
                delete_email(txn, account_id, email_id, record)

    session.server.store.write(work)


def expunge(session: Session, tag: str, p: Parser) -> str:
    p.end()
    if session.selected.read_only:
        raise No("the mailbox is read-only (EXAMINE)", "READ-ONLY")
    remove_deleted(session)
    session.catch_up()
    return "EXPUNGE completed"


def uid_expunge(session: Session, tag: str, p: Parser) -> str:
    p.sp()
    sequence = p.sequence_set()
    p.end()
    if session.selected.read_only:
        raise No("the mailbox is read-only (EXAMINE)", "READ-ONLY")
    chosen = {uid for _, uid in session.selected.messages(sequence, True, session.saved_search)}
    remove_deleted(session, chosen)
    session.catch_up()
    return "UID EXPUNGE completed"


def close(session: Session, tag: str, p: Parser) -> str:
    p.end()
    if not session.selected.read_only:
        remove_deleted(session)
    session.selected = None
    return "CLOSE completed"


def unselect(session: Session, tag: str, p: Parser) -> str:
    p.end()
    session.selected = None
    return "UNSELECT completed"


