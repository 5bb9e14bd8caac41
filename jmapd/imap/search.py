"""SEARCH and UID SEARCH with every key of RFC 9051 §6.4.4, ESEARCH results (RFC 4731, and
IMAP4rev2's default), SEARCHRES's `$` (RFC 5182), MODSEQ (RFC 7162 §3.1.5), SAVEDATE keys
(RFC 8514) and EMAILID/THREADID (RFC 8474).

Text keys (BODY, TEXT, SUBJECT, FROM, TO, CC, BCC) ask the full-text index, the one JMAP's
Email/query uses: it matches words, not arbitrary substrings. Flags, dates, sizes and UIDs come from
the Email records of the selected mailbox; HEADER reads the messages' header sections. Every key
costs at most the selected mailbox's size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone

from store.blobs import read_blob

from ..mail import uids as uid_index
from ..mail.records import EmailRecord
from ..mail.writer import EMAIL
from ..mime.parse import parse_tree
from ..protocol.errors import MethodError
from . import wire
from .errors import Bad, No
from .flags import keyword_of
from .parser import Parser, SequenceSet
from .session import Session

TEXT_FIELDS = {"BODY": "body", "TEXT": "text", "SUBJECT": "subject", "FROM": "from", "TO": "to", "CC": "cc",
               "BCC": "bcc"}
FLAG_KEYS = {"ANSWERED": ("$answered", True), "DELETED": ("$deleted", True), "DRAFT": ("$draft", True),
             "FLAGGED": ("$flagged", True), "SEEN": ("$seen", True), "UNANSWERED": ("$answered", False),
             "UNDELETED": ("$deleted", False), "UNDRAFT": ("$draft", False), "UNFLAGGED": ("$flagged", False),
             "UNSEEN": ("$seen", False), "OLD": (None, True), "NEW": ("$seen", False)}
CHARSETS = ("US-ASCII", "UTF-8")

# A test sees (sequence number, uid, uid entry, record, context) and answers.
Test = Callable[..., bool]


class Context:
    """What tests share in one search: the store transaction, lazily parsed headers, modseq seen."""

    def __init__(self, session: Session, txn):
        self.session = session
        self.txn = txn
        self.largest_seq = session.selected.exists
        self.largest_uid = session.selected.uids[-1] if session.selected.uids else 0
        self.highest_modseq = 0
        self.uses_modseq = False
        self.saved = frozenset(session.saved_search)
        self.text_matches: list[frozenset[str]] = []

    def header_values(self, record: EmailRecord, name: str) -> list[str]:
        raw = read_blob(self.txn, self.session.account_id, record.blob_id) or b""
        root = parse_tree(raw)
        return [v.decode("utf-8", "replace") for v in root.get_all(name)]


def _date(p: Parser) -> date:
    text = p.date()
    try:
        return datetime.strptime(text, "%d-%b-%Y").date()
    except ValueError:
        raise Bad(f"bad date {text!r}") from None


def _day(epoch: int | None) -> date | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc).date()


def check_charset(name: str) -> None:
    """SEARCH, SORT and THREAD name a charset; one outside ours is NO [BADCHARSET] (RFC 9051 §6.4.4)."""
    if name.upper() not in CHARSETS:
        raise No(f"unsupported charset {name.upper()}", "BADCHARSET (" + " ".join(CHARSETS) + ")")


def parse_keys(p: Parser, session: Session, ctx_holder: dict) -> Test:
    tests = [parse_key(p, session, ctx_holder)]
    while p.maybe_sp():
        if p.peek() == 0x29:
            p.pos -= 1
            break
        tests.append(parse_key(p, session, ctx_holder))
    if len(tests) == 1:
        return tests[0]
    return lambda *a: all(t(*a) for t in tests)


def parse_key(p: Parser, session: Session, holder: dict) -> Test:
    if p.open_paren():
        inner = parse_keys(p, session, holder)
        p.close_paren()
        return inner
    c = p.peek()
    if c is not None and (0x30 <= c <= 0x39 or c in (0x2A, 0x24)):
        sequence = p.sequence_set()
        return lambda seq, uid, e, r, ctx: _in_set(sequence, seq, ctx.largest_seq, ctx, by_uid=False, uid=uid)
    key = p.atom().upper()
    if key == "ALL":
        return lambda *a: True
    if key in FLAG_KEYS:
        keyword, present = FLAG_KEYS[key]
        if keyword is None:
            return lambda *a: True
        return lambda seq, uid, e, r, ctx: (keyword in r.keywords) == present
    if key in ("RECENT",):
        return lambda *a: False
    if key in ("KEYWORD", "UNKEYWORD"):
        p.sp()
        keyword = keyword_of(p.flag())
        present = key == "KEYWORD"
        return lambda seq, uid, e, r, ctx: (keyword in r.keywords) == present
    if key in ("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE", "SAVEDBEFORE", "SAVEDON",
               "SAVEDSINCE"):
        p.sp()
        day = _date(p)
        when = key.removeprefix("SENT").removeprefix("SAVED")
        if key.startswith("SENT"):
            value = lambda e, r: _day(r.summary.sent_at_epoch if r.summary.sent_at_epoch is not None else r.received_at)  # noqa: E731
        elif key.startswith("SAVED"):
            value = lambda e, r: _day(e.saved_at)  # noqa: E731
        else:
            value = lambda e, r: _day(r.received_at)  # noqa: E731
        compare = {"BEFORE": lambda d: d < day, "ON": lambda d: d == day, "SINCE": lambda d: d >= day}[when]
        return lambda seq, uid, e, r, ctx: compare(value(e, r))
    if key == "SAVEDATESUPPORTED":
        return lambda *a: True
    if key in ("LARGER", "SMALLER"):
        p.sp()
        n = p.number()
        if key == "LARGER":
            return lambda seq, uid, e, r, ctx: r.size > n
        return lambda seq, uid, e, r, ctx: r.size < n
    if key == "UID":
        p.sp()
        sequence = p.sequence_set()
        return lambda seq, uid, e, r, ctx: _in_set(sequence, uid, ctx.largest_uid, ctx, by_uid=True, uid=uid)
    if key == "NOT":
        p.sp()
        inner = parse_key(p, session, holder)
        return lambda *a: not inner(*a)
    if key == "OR":
        p.sp()
        left = parse_key(p, session, holder)
        p.sp()
        right = parse_key(p, session, holder)
        return lambda *a: left(*a) or right(*a)
    if key == "HEADER":
        p.sp()
        field = p.astr()
        p.sp()
        needle = p.astr().lower()
        return lambda seq, uid, e, r, ctx: any(needle in v.lower() for v in ctx.header_values(r, field))
    if key in TEXT_FIELDS:
        p.sp()
        text = p.astr()
        holder.setdefault("text", []).append((TEXT_FIELDS[key], text))
        index = len(holder["text"]) - 1
        return lambda seq, uid, e, r, ctx: e.email_id in ctx.text_matches[index]
    if key == "MODSEQ":
        p.sp()
        if p.peek() == 0x22:  # entry-name and entry-type-req: per-flag modseqs are not kept apart
            p.quoted()
            p.sp()
            p.atom()
            p.sp()
        modseq = p.number64()

        def test(seq, uid, e, r, ctx):
            ctx.uses_modseq = True
            if e.modseq >= modseq:
                ctx.highest_modseq = max(ctx.highest_modseq, e.modseq)
                return True
            return False

        session.enabled.add("CONDSTORE")
        return test
    if key in ("EMAILID", "THREADID"):
        p.sp()
        wanted = p.astr()
        if key == "EMAILID":
            return lambda seq, uid, e, r, ctx: e.email_id == wanted
        return lambda seq, uid, e, r, ctx: r.thread_id == wanted
    raise Bad(f"unknown SEARCH key {key}")


def _in_set(sequence: SequenceSet, n: int, largest: int, ctx: Context, by_uid: bool, uid: int) -> bool:
    if sequence.saved:
        return uid in ctx.saved
    return sequence.contains(n, largest)


def parse_search(p: Parser, session: Session) -> tuple[set[str] | None, Test, dict]:
    """(RETURN options or None, the test, text keys to look up)."""
    returns = None
    p.sp()
    if p.accept(b"RETURN "):
        returns = set()
        p.expect(b"(")
        while p.peek() != 0x29:
            option = p.atom().upper()
            if option not in ("MIN", "MAX", "ALL", "COUNT", "SAVE"):
                raise Bad(f"unknown SEARCH RETURN option {option}")
            returns.add(option)
            p.maybe_sp()
        p.close_paren()
        p.sp()
        if not returns:
            returns = {"ALL"}
    if p.accept(b"CHARSET "):
        check_charset(p.astr())
        p.sp()
    holder: dict = {}
    test = parse_keys(p, session, holder)
    p.end()
    return returns, test, holder


def run_search(session: Session, test: Test, holder: dict) -> tuple[list[tuple[int, int]], Context]:
    selected = session.selected
    account_id = session.account_id
    with session.server.store.read() as txn:
        ctx = Context(session, txn)
        search = session.server.extras.get("search")
        for field, text in holder.get("text", []):
            if search is None:
                raise No("full-text search is not available right now", "UNAVAILABLE")
            try:
                ctx.text_matches.append(search.matching_ids(txn, account_id, field, text))
            except MethodError as exc:
                raise No(exc.description or "full-text search failed", "UNAVAILABLE") from None
        found = []
        positions = {uid: i + 1 for i, uid in enumerate(selected.uids)}
        for entry in uid_index.entries(txn, account_id, selected.mailbox_id):
            seq = positions.get(entry.uid)
            if seq is None:
                continue
            record = txn.get(account_id, EMAIL, entry.email_id, EmailRecord)
            if record is not None and test(seq, entry.uid, entry, record, ctx):
                found.append((seq, entry.uid))
    return found, ctx


def search(session: Session, tag: str, p: Parser, by_uid: bool = False) -> str:
    returns, test, holder = parse_search(p, session)
    found, ctx = run_search(session, test, holder)
    numbers = [uid if by_uid else seq for seq, uid in found]
    if returns is None and session.rev2:
        returns = {"ALL"}
    if returns is not None and "SAVE" in returns:
        session.saved_search = [uid for _, uid in found]
        returns = returns - {"SAVE"}
        if not returns:
            return "SEARCH completed, result saved"
    if returns is None:
        modseq = b" (MODSEQ %d)" % ctx.highest_modseq if ctx.uses_modseq and numbers else b""
        session.write(b"* SEARCH%s%s\r\n" % (b"".join(b" %d" % n for n in numbers), modseq))
        return "SEARCH completed"
    parts = [b'* ESEARCH (TAG %s)' % wire.string(tag)]
    if by_uid:
        parts.append(b"UID")
    if numbers:
        if "MIN" in returns:
            parts.append(b"MIN %d" % min(numbers))
        if "MAX" in returns:
            parts.append(b"MAX %d" % max(numbers))
        if "ALL" in returns:
            parts.append(b"ALL " + wire.compact_set(sorted(numbers)).encode())
    if "COUNT" in returns:
        parts.append(b"COUNT %d" % len(numbers))
    if ctx.uses_modseq and numbers:
        parts.append(b"MODSEQ %d" % ctx.highest_modseq)
    session.write(b" ".join(parts) + b"\r\n")
    return "SEARCH completed"


def uid_search(session: Session, tag: str, p: Parser) -> str:
    return search(session, tag, p, by_uid=True)
