"""SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS
(RFC 9051 §6.3; LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819, SPECIAL-USE RFC 6154, CHILDREN
RFC 3348, STATUS=SIZE RFC 8438, CONDSTORE/QRESYNC RFC 7162 §3.1.2/§3.2.5).

Creating, renaming and deleting mailboxes run JMAP's own Mailbox/set (the same checks of names,
depth and roles, the same handling of a deleted mailbox's messages), so IMAP has no rules of its own.
"""

from __future__ import annotations

from typing import Any

from ..mail import uids as uid_index
from ..mail.counts import read_counts
from ..mail.keywords import SEEN
from ..mail.writer import EMAIL
from ..protocol.capabilities import CORE, MAIL
from ..protocol.wire import Request
from . import names, wire
from .errors import Bad, No
from .flags import DELETED, FLAGS, PERMANENT_FLAGS
from .parser import Parser
from .selected import Selected
from .session import Session

STATUS_ITEMS = ("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT", "HIGHESTMODSEQ",
                "APPENDLIMIT")


# -- writes through Mailbox/set ----------------------------------------------------------------------
def mailbox_set(session: Session, **args: Any) -> dict[str, Any]:
    """Run Mailbox/set for this session's user; a refusal becomes NO with the method's reason."""
    from ..methods.services import Principal

    call = {"accountId": session.account_id, **args}
    request = Request(using=[CORE, MAIL], methodCalls=[("Mailbox/set", call, "0")])
    response = session.service.engine.run(request, Principal(session.server, session.user))
    name, result, _ = response["methodResponses"][0]
    if name == "error":
        raise No(result.get("description") or result["type"])
    for key in ("notCreated", "notUpdated", "notDestroyed"):
        for error in (result.get(key) or {}).values():
            code = {"mailboxHasChild": "HASCHILDREN", "forbidden": "CANNOT", "invalidProperties": "CANNOT"}
            raise No(error.get("description") or error["type"], code.get(error["type"]))
    return result


def _mailbox_name(session: Session, p: Parser) -> str:
    name = names.decode_name(p.astring(), session.utf8)
    if not name:
        raise Bad("empty mailbox name")
    return names.canonical(name)


# -- SELECT / EXAMINE ---------------------------------------------------------------------------------
def select(session: Session, tag: str, p: Parser, read_only: bool = False) -> str:
    p.sp()
    name = _mailbox_name(session, p)
    qresync_args = None
    condstore = False
    if p.maybe_sp():
        p.expect(b"(")
        while True:
            word = p.atom().upper()
            if word == "CONDSTORE":
                condstore = True
            elif word == "QRESYNC":
                if "QRESYNC" not in session.enabled:
                    raise Bad("QRESYNC must be enabled first (RFC 7162 §3.2.5)")
                qresync_args = _qresync_args(p)
            else:
                raise Bad(f"unknown SELECT parameter {word}")
            if not p.maybe_sp():
                break
        p.close_paren()
    p.end()
    if session.selected is not None and (session.qresync or session.rev2):
        session.write(b"* OK [CLOSED] previous mailbox closed\r\n")
    session.selected = None
    if condstore:
        session.enabled.add("CONDSTORE")
    with session.server.store.read() as txn:
        folder = names.find(txn, session.account_id, name)
        selected = Selected(session.account_id, folder.id, folder.name, read_only)
        selected.load(txn)
        lines = [
            b"* %d EXISTS\r\n" % selected.exists,
            b"* 0 RECENT\r\n" if not session.rev2 else b"",
            b"* FLAGS %s\r\n" % FLAGS.encode(),
            b"* OK [PERMANENTFLAGS %s] flags and keywords are kept\r\n" % (b"()" if read_only else PERMANENT_FLAGS.encode()),
            b"* OK [UIDVALIDITY %d] UIDs valid\r\n" % selected.uid_validity,
            b"* OK [UIDNEXT %d] predicted next UID\r\n" % selected.next_uid,
        ]
        if session.condstore:
            lines.append(b"* OK [HIGHESTMODSEQ %d] modseq of the last change\r\n" % max(selected.modseq, 1))
        if not session.rev2:
            unseen = _first_unseen(txn, selected)
            if unseen:
                lines.append(b"* OK [UNSEEN %d] first unseen message\r\n" % unseen)
        if session.rev2:
            lines.append(b'* LIST () "/" %s\r\n' % wire.string(names.encode_name(folder.name, session.utf8), True))
        if qresync_args is not None:
            lines.extend(_qresync_report(txn, session, selected, *qresync_args))
    for line in lines:
        if line:
            session.write(line)
    session.selected = selected
    mode = "READ-ONLY" if read_only else "READ-WRITE"
    return f"[{mode}] {'EXAMINE' if read_only else 'SELECT'} completed"


def examine(session: Session, tag: str, p: Parser) -> str:
    return select(session, tag, p, read_only=True)


def _first_unseen(txn, selected: Selected) -> int | None:
    """The first message without \\Seen, for IMAP4rev1 clients: the mailbox's UIDs walked beside
    the \\Seen entries of the flag index, up to the first gap (keys only, no records)."""
    seen = (uid for uid, _ in uid_index.flagged(txn, selected.account_id, selected.mailbox_id, SEEN))
    for seq, uid in enumerate(selected.uids, 1):
        if next(seen, None) != uid:
            return seq
    return None


def _qresync_args(p: Parser):
    """(uidvalidity modseq [known-uids [seq-match-data]]) of SELECT ... (QRESYNC ...)."""
    p.sp()
    p.expect(b"(")
    validity = p.number(nonzero=True)
    p.sp()
    modseq = p.number64()
    known = None
    if p.maybe_sp():
        if p.peek() != 0x28:
            known = p.sequence_set()
            p.maybe_sp()
        if p.open_paren():  # seq-match-data: accepted, not needed (we report from the UID index)
            p.sequence_set()
            p.sp()
            p.sequence_set()
            p.close_paren()
    p.close_paren()
    return validity, modseq, known


def _qresync_report(txn, session: Session, selected: Selected, validity: int, modseq: int, known) -> list[bytes]:
    """VANISHED (EARLIER) and FETCH for what changed since the client's modseq (RFC 7162 §3.2.5)."""
    if validity != selected.uid_validity:
        return []
    out = []
    largest = selected.next_uid - 1
    present = set(selected.uids)
    if known is not None:
        candidates = [u for a, b in known.resolve(largest) for u in range(a, min(b, largest) + 1)]
    else:
        candidates = range(1, largest + 1)
    gone = [u for u in sorted(set(candidates)) if u not in present]
    if gone:
        out.append(b"* VANISHED (EARLIER) %s\r\n" % wire.compact_set(gone).encode())
    for entry in uid_index.entries(txn, selected.account_id, selected.mailbox_id):
        if entry.modseq > modseq:
            line = selected.flags_line(txn, selected.seq_of(entry.uid), entry.uid, entry.email_id, True)
            if line:
                out.append(line)
    return out


# -- CREATE / DELETE / RENAME / SUBSCRIBE ------------------------------------------------------------
def create(session: Session, tag: str, p: Parser) -> str:
    p.sp()
    name = _mailbox_name(session, p).rstrip(names.SEPARATOR)
    if p.maybe_sp():  # CREATE-SPECIAL-USE parameters are not supported: say so rather than ignore
        raise No("CREATE parameters are not supported", "CANNOT")
    p.end()
    if name.upper() == "INBOX":
        raise No("INBOX exists", "ALREADYEXISTS")
    with session.server.store.read() as txn:
        existing = {f.name: f.id for f in names.folders(txn, session.account_id)}
    if name in existing:
        raise No(f"{name} exists", "ALREADYEXISTS")
    parts = name.split(names.SEPARATOR)
    if any(not part for part in parts):
        raise Bad("a mailbox name has an empty level")
    parent_id = None
    for depth in range(1, len(parts) + 1):
        path = names.SEPARATOR.join(parts[:depth])
        path = names.canonical(path)
        if path in existing:
            parent_id = existing[path]
            continue
        result = mailbox_set(session, create={"n": {"name": parts[depth - 1], "parentId": parent_id}})
        parent_id = result["created"]["n"]["id"]
        existing[path] = parent_id
    return "CREATE completed"


def delete(session: Session, tag: str, p: Parser) -> str:
    p.sp()
    name = _mailbox_name(session, p)
    p.end()
    if name == "INBOX":
        raise No("INBOX cannot be deleted", "CANNOT")
    with session.server.store.read() as txn:
        folder = names.find(txn, session.account_id, name)
    mailbox_set(session, destroy=[folder.id], onDestroyRemoveEmails=True)
    if session.selected is not None and session.selected.mailbox_id == folder.id:
        session.selected = None
    return "DELETE completed"


def rename(session: Session, tag: str, p: Parser) -> str:
    p.sp()
    old = _mailbox_name(session, p)
    p.sp()
    new = _mailbox_name(session, p).rstrip(names.SEPARATOR)
    p.end()
    if old == "INBOX":
        raise No("renaming INBOX is not supported; create a mailbox and MOVE the messages", "CANNOT")
    with session.server.store.read() as txn:
        everything = {f.name: f for f in names.folders(txn, session.account_id)}
    if old not in everything:
        raise No(f"no mailbox named {old}", "NONEXISTENT")
    if new in everything:
        raise No(f"{new} exists", "ALREADYEXISTS")
    parent_path, _, leaf = new.rpartition(names.SEPARATOR)
    parent_id = None
    if parent_path:
        if parent_path not in everything:
            create(session, tag, Parser(b" " + wire.string(names.encode_name(parent_path, session.utf8), session.utf8)))
            with session.server.store.read() as txn:
                everything = {f.name: f for f in names.folders(txn, session.account_id)}
        parent_id = everything[names.canonical(parent_path)].id
    mailbox_set(session, update={everything[old].id: {"name": leaf, "parentId": parent_id}})
    return "RENAME completed"


def subscribe(session: Session, tag: str, p: Parser, value: bool = True) -> str:
    p.sp()
    name = _mailbox_name(session, p)
    p.end()
    with session.server.store.read() as txn:
        folder = names.find(txn, session.account_id, name)
    mailbox_set(session, update={folder.id: {"isSubscribed": value}})
    return "SUBSCRIBE completed" if value else "UNSUBSCRIBE completed"


def unsubscribe(session: Session, tag: str, p: Parser) -> str:
    return subscribe(session, tag, p, False)


# -- LIST / LSUB ------------------------------------------------------------------------------------
def list_(session: Session, tag: str, p: Parser, lsub: bool = False) -> str:
    p.sp()
    selection: set[str] = set()
    if not lsub and p.open_paren():
        while p.peek() != 0x29:
            selection.add(p.atom().upper())
            p.maybe_sp()
        p.close_paren()
        p.sp()
    p.astring()  # the reference name: names here are absolute
    p.sp()
    patterns = []
    if not lsub and p.open_paren():
        while p.peek() != 0x29:
            patterns.append(p.list_mailbox())
            p.maybe_sp()
        p.close_paren()
    else:
        patterns.append(p.list_mailbox())
    returns: set[str] = set()
    status_items: list[str] = []
    if not lsub and p.maybe_sp():
        p.expect(b"RETURN")
        p.sp()
        p.expect(b"(")
        while p.peek() != 0x29:
            option = p.atom().upper()
            returns.add(option)
            if option == "STATUS":
                p.sp()
                status_items = _status_items(p)
            p.maybe_sp()
        p.close_paren()
    p.end()
    unknown = selection - {"SUBSCRIBED", "SPECIAL-USE", "RECURSIVEMATCH", "REMOTE"}
    if unknown:
        raise Bad(f"unknown LIST selection option {sorted(unknown)[0]}")
    if "RECURSIVEMATCH" in selection and not selection - {"RECURSIVEMATCH", "REMOTE"}:
        raise Bad("RECURSIVEMATCH needs another selection option (RFC 5258 §3)")
    patterns = [names.decode_name(x.encode(), session.utf8) for x in patterns]
    if patterns == [""]:
        session.write(b'* %s (\\Noselect) "/" ""\r\n' % (b"LSUB" if lsub else b"LIST"))
        return "LIST completed"
    with session.server.store.read() as txn:
        for folder in names.folders(txn, session.account_id):
            if not any(names.matches(names.canonical(pat), folder.name) for pat in patterns):
                continue
            box = folder.mailbox
            if (lsub or "SUBSCRIBED" in selection) and not box.is_subscribed:
                continue
            special = names.SPECIAL_USE.get(box.role or "")
            if "SPECIAL-USE" in selection and not special:
                continue
            attrs = ["\\HasChildren" if folder.has_children else "\\HasNoChildren"]
            if special:  # RFC 6154 §3: servers may always include them
                attrs.append(special)
            if box.is_subscribed and ("SUBSCRIBED" in selection | returns):
                attrs.append("\\Subscribed")
            encoded = wire.string(names.encode_name(folder.name, session.utf8), session.utf8)
            session.write(b'* %s (%s) "/" %s\r\n' % (b"LSUB" if lsub else b"LIST", " ".join(attrs).encode(), encoded))
            if status_items:
                session.write(status_line(session, txn, folder.id, encoded, status_items))
    return "LSUB completed" if lsub else "LIST completed"


def lsub(session: Session, tag: str, p: Parser) -> str:
    return list_(session, tag, p, lsub=True)


# -- STATUS -------------------------------------------------------------------------------------------
def _status_items(p: Parser) -> list[str]:
    p.expect(b"(")
    items = []
    while True:
        item = p.atom().upper()
        if item not in STATUS_ITEMS:
            raise Bad(f"unknown STATUS item {item}")
        items.append(item)
        if not p.maybe_sp():
            break
    p.close_paren()
    return items


def status(session: Session, tag: str, p: Parser) -> str:
    p.sp()
    name = _mailbox_name(session, p)
    p.sp()
    items = _status_items(p)
    p.end()
    with session.server.store.read() as txn:
        folder = names.find(txn, session.account_id, name)
        encoded = wire.string(names.encode_name(folder.name, session.utf8), session.utf8)
        session.write(status_line(session, txn, folder.id, encoded, items))
    return "STATUS completed"


def status_line(session: Session, txn, mailbox_id: str, encoded_name: bytes, items: list[str]) -> bytes:
    """Every item is a counter the mail layer keeps (counts.py, uids.py): STATUS costs the same for
    a mailbox of ten messages or of a million."""
    account_id = session.account_id
    counts = read_counts(txn, account_id, mailbox_id)
    values = []
    for item in items:
        if item == "MESSAGES":
            value = counts["totalEmails"]
        elif item == "UNSEEN":  # without \Seen (JMAP's unreadEmails also leaves drafts out)
            value = counts["totalEmails"] - uid_index.flag_count(txn, account_id, mailbox_id, SEEN)
        elif item == "DELETED":
            value = uid_index.flag_count(txn, account_id, mailbox_id, DELETED)
        elif item == "SIZE":
            value = uid_index.mailbox_size(txn, account_id, mailbox_id)
        elif item == "UIDNEXT":
            value = uid_index.uid_next(txn, account_id, mailbox_id)
        elif item == "UIDVALIDITY":
            value = uid_index.uid_validity(account_id, mailbox_id)
        elif item == "RECENT":
            value = 0
        elif item == "HIGHESTMODSEQ":
            value = max(txn.state(account_id, EMAIL), 1)
        else:  # APPENDLIMIT
            value = session.service.append_limit
        values.append(f"{item} {value}")
    return b"* STATUS %s (%s)\r\n" % (encoded_name, " ".join(values).encode())
