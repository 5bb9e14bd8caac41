"""SORT and THREAD (RFC 5256), over the messages a SEARCH would find.

THREAD=ORDEREDSUBJECT follows the RFC: messages grouped by base subject, each group under its
oldest message. THREAD=REFERENCES answers with jmapd's own threads (the JMAP threadId, built from
Message-ID/In-Reply-To/References and the base subject, RFC 8621 §3): a thread's messages form one
chain by date, which is the shape mail apps draw; the RFC's reparenting of subthreads is not done.
"""

from __future__ import annotations

from ..mail.records import EmailRecord
from ..mail.writer import EMAIL
from ..mime.subjects import base_subject
from .errors import Bad
from .parser import Parser
from .search import check_charset, parse_keys, run_search
from .session import Session

SORT_KEYS = {"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"}


def _first(addresses, display: bool) -> str:
    if not addresses:
        return ""
    first = addresses[0]
    if display and first.get("name"):
        return first["name"].lower()
    return (first.get("email") or "").partition("@")[0].lower()


def _key(name: str, record: EmailRecord):
    s = record.summary
    if name == "ARRIVAL":
        return record.received_at
    if name == "DATE":
        return s.sent_at_epoch if s.sent_at_epoch is not None else record.received_at
    if name == "SIZE":
        return record.size
    if name == "SUBJECT":
        return base_subject(s.subject or "").lower()
    if name in ("FROM", "DISPLAYFROM"):
        return _first(s.from_, name == "DISPLAYFROM")
    if name in ("TO", "DISPLAYTO"):
        return _first(s.to, name == "DISPLAYTO")
    return _first(s.cc, False)


def _criteria(p: Parser) -> list[tuple[str, bool]]:
    p.expect(b"(")
    out, reverse = [], False
    while True:
        word = p.atom().upper()
        if word == "REVERSE":
            reverse = True
        elif word in SORT_KEYS:
            out.append((word, reverse))
            reverse = False
        else:
            raise Bad(f"unknown SORT key {word}")
        if not p.maybe_sp():
            break
    p.close_paren()
    if not out:
        raise Bad("SORT needs a key")
    return out


def _charset_and_keys(p: Parser, session: Session):
    p.sp()
    check_charset(p.astr())
    p.sp()
    holder: dict = {}
    keys = parse_keys(p, session, holder)
    p.end()
    return run_search(session, keys, holder)


def _records(session: Session, found):
    with session.server.store.read() as txn:
        from ..mail import uids as uid_index

        out = []
        for seq, uid in found:
            entry = uid_index.entry(txn, session.account_id, session.selected.mailbox_id, uid)
            record = None if entry is None else txn.get(session.account_id, EMAIL, entry.email_id, EmailRecord)
            if record is not None:
                out.append((seq, uid, record))
        return out


def sort(session: Session, tag: str, p: Parser, by_uid: bool = False) -> str:
    p.sp()
    criteria = _criteria(p)
    found = _records(session, _charset_and_keys(p, session))
    ordered = sorted(found, key=lambda item: item[0])
    for name, reverse in reversed(criteria):
        ordered.sort(key=lambda item: _key(name, item[2]), reverse=reverse)
    numbers = [uid if by_uid else seq for seq, uid, _ in ordered]
    session.write(b"* SORT" + b"".join(b" %d" % n for n in numbers) + b"\r\n")
    return "SORT completed"


def uid_sort(session: Session, tag: str, p: Parser) -> str:
    return sort(session, tag, p, by_uid=True)


def _render(numbers: list[int], chain: bool) -> str:
    if len(numbers) == 1:
        return f"({numbers[0]})"
    if chain:
        return "(" + " ".join(map(str, numbers)) + ")"
    root, rest = numbers[0], numbers[1:]
    if len(rest) == 1:
        return f"({root} {rest[0]})"
    return f"({root} " + "".join(f"({n})" for n in rest) + ")"


def thread(session: Session, tag: str, p: Parser, by_uid: bool = False) -> str:
    p.sp()
    algorithm = p.atom().upper()
    if algorithm not in ("ORDEREDSUBJECT", "REFERENCES"):
        raise Bad(f"unknown THREAD algorithm {algorithm}")
    found = _records(session, _charset_and_keys(p, session))
    groups: dict[str, list] = {}
    for seq, uid, record in found:
        key = record.thread_id if algorithm == "REFERENCES" else base_subject(record.summary.subject or "").lower()
        groups.setdefault(key, []).append((_key("DATE", record), seq, uid))
    threads = sorted((sorted(items) for items in groups.values()), key=lambda items: items[0][:2])
    text = "".join(_render([uid if by_uid else seq for _, seq, uid in items], algorithm == "REFERENCES")
                   for items in threads)
    session.write(b"* THREAD " + text.encode() + b"\r\n" if text else b"* THREAD\r\n")
    return "THREAD completed"


def uid_thread(session: Session, tag: str, p: Parser) -> str:
    return thread(session, tag, p, by_uid=True)
