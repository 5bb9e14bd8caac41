"""SEARCH and UID SEARCH with every key of RFC 9051 §6.4.4, ESEARCH results (RFC 4731, and
IMAP4rev2's default), SEARCHRES's `$` (RFC 5182), MODSEQ (RFC 7162 §3.1.5), SAVEDATE keys
(RFC 8514) and EMAILID/THREADID (RFC 8474).

A search narrows a list of UIDs, starting from the selected mailbox's, key by key; the keys of an
AND go cheapest first, so the costly ones see only what the cheap ones left:

- sequence numbers, UID sets and `$` cut the UID list by position, at the size of what they name;
- flags and keywords read the mail layer's flag index (the UIDs having that keyword in this
  mailbox), or ask it about each remaining UID when fewer remain than have the flag;
- text keys (BODY, TEXT, SUBJECT, FROM, TO, CC, BCC) ask the full-text index, the one JMAP's
  Email/query uses (it matches words, not arbitrary substrings), then map its hits to UIDs;
- EMAILID and THREADID look the message or the thread up;
- MODSEQ and SAVEDATE read the UID entries, dates and sizes the Email records, of the remaining
  messages only;
- HEADER on Message-ID, In-Reply-To, References and Subject reads the records (which keep them);
  on any other field, the header sections of the remaining messages, at most HEADER_SCAN_LIMIT of
  them (beyond, NO [LIMIT] asks for a narrower search, RFC 5530).

Commands run in a worker thread, never on the event loop.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from datetime import date, datetime, timezone

from store.blobs import read_blob

from ..mail import uids as uid_index
from ..mail.records import EmailRecord, ThreadRecord
from ..mail.uids import UidEntry
from ..mail.writer import EMAIL, THREAD
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
             "UNSEEN": ("$seen", False)}
CHARSETS = ("US-ASCII", "UTF-8")
# The most messages one SEARCH HEADER reads the headers of.
HEADER_SCAN_LIMIT = 20_000

# What a key costs per remaining message: position, index, UID entry, Email record, message octets.
POSITION, INDEX, ENTRY, RECORD, OCTETS = range(5)


class Context:
    """What keys share in one search: the store transaction, the selected mailbox's UIDs, and the
    entries and records read so far."""

    def __init__(self, session: Session, txn):
        self.session = session
        self.txn = txn
        self.account_id = session.account_id
        self.mailbox_id = session.selected.mailbox_id
        self.uids = session.selected.uids
        self.largest_uid = self.uids[-1] if self.uids else 0
        self.saved = frozenset(session.saved_search)
        self.text_matches: list[frozenset[str] | set[str]] = []
        self._entries: dict[int, UidEntry | None] = {}
        self._records: dict[int, EmailRecord | None] = {}

    def entry(self, uid: int) -> UidEntry | None:
        if uid not in self._entries:
            self._entries[uid] = uid_index.entry(self.txn, self.account_id, self.mailbox_id, uid)
        return self._entries[uid]

    def record(self, uid: int) -> EmailRecord | None:
        if uid not in self._records:
            e = self.entry(uid)
            self._records[uid] = None if e is None else self.txn.get(self.account_id, EMAIL, e.email_id, EmailRecord)
        return self._records[uid]

    def header_values(self, uid: int, name: str) -> list[str]:
        record = self.record(uid)
        raw = b"" if record is None else read_blob(self.txn, self.account_id, record.blob_id) or b""
        ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
        head = raw[:min(ends) + 2] if ends else raw
        return [v.decode("utf-8", "replace") for v in parse_tree(bytes(head)).get_all(name)]

    def keep(self, candidates: list[int], wanted) -> list[int]:
        """The candidates (in order) that are in `wanted`."""
        wanted = wanted if isinstance(wanted, (set, frozenset)) else set(wanted)
        return [u for u in candidates if u in wanted]


class Key:
    """One search key: `run(ctx, candidates)` answers the candidate UIDs (ascending) it matches."""

    def __init__(self, cost: int, run: Callable[[Context, list[int]], list[int]]):
        self.cost = cost
        self.run = run


def _all_of(keys: list[Key]) -> Key:
    if len(keys) == 1:
        return keys[0]
    ordered = sorted(keys, key=lambda k: k.cost)

    def run(ctx, candidates):
        for key in ordered:
            if not candidates:
                break
            candidates = key.run(ctx, candidates)
        return candidates

    return Key(ordered[-1].cost, run)


def _per_message(cost: int, test: Callable[[Context, int], bool]) -> Key:
    return Key(cost, lambda ctx, candidates: [u for u in candidates if test(ctx, u)])


def _positions(ctx: Context, candidates: list[int], picked: list[tuple[int, int]]) -> list[int]:
    """The candidates among the selected UIDs at 0-based index ranges [start, stop)."""
    if candidates is ctx.uids and len(picked) == 1:
        start, stop = picked[0]
        return ctx.uids[start:stop]
    chosen: set[int] = set()
    for start, stop in picked:
        chosen.update(ctx.uids[start:stop])
    return ctx.keep(candidates, chosen)


def _sequence_key(sequence: SequenceSet, by_uid: bool) -> Key:
    def run(ctx, candidates):
        if sequence.saved:
            return ctx.keep(candidates, ctx.saved)
        if by_uid:
            picked = [(bisect_left(ctx.uids, low), bisect_left(ctx.uids, high + 1))
                      for low, high in sequence.resolve(ctx.largest_uid)]
        else:
            picked = [(low - 1, high) for low, high in sequence.resolve(len(ctx.uids)) if high >= 1]
        return _positions(ctx, candidates, [(max(a, 0), b) for a, b in picked])

    return Key(POSITION, run)


def _flag_key(keyword: str, present: bool) -> Key:
    def run(ctx, candidates):
        having = uid_index.flag_count(ctx.txn, ctx.account_id, ctx.mailbox_id, keyword)
        if len(candidates) < having:
            return [u for u in candidates
                    if uid_index.has_flag(ctx.txn, ctx.account_id, ctx.mailbox_id, keyword, u) == present]
        flagged = set(uid_index.flagged_uids(ctx.txn, ctx.account_id, ctx.mailbox_id, keyword)) if having else set()
        return [u for u in candidates if (u in flagged) == present]

    return Key(INDEX, run)


def _text_key(index: int) -> Key:
    def run(ctx, candidates):
        ids = ctx.text_matches[index]
        if len(ids) > len(candidates):
            return [u for u in candidates if (e := ctx.entry(u)) is not None and e.email_id in ids]
        found = {uid_index.uid_of(ctx.txn, ctx.account_id, ctx.mailbox_id, i) for i in ids}
        return ctx.keep(candidates, found)

    return Key(INDEX, run)


def _ids_key(ids_of: Callable[[Context], list[str]]) -> Key:
    def run(ctx, candidates):
        found = {uid_index.uid_of(ctx.txn, ctx.account_id, ctx.mailbox_id, i) for i in ids_of(ctx)}
        return ctx.keep(candidates, found)

    return Key(INDEX, run)


def _thread_emails(thread_id: str) -> Callable[[Context], list[str]]:
    def ids(ctx):
        thread = ctx.txn.get(ctx.account_id, THREAD, thread_id, ThreadRecord)
        return [] if thread is None else [email_id for _, email_id in thread.emails]

    return ids


# Header fields whose value the Email record keeps (as JMAP serves it): HEADER on them reads records,
# not message octets, so it needs no bound (mail apps look messages up by Message-ID this way).
_RECORD_HEADERS = {
    "message-id": lambda s: _ids_text(s.message_id),
    "in-reply-to": lambda s: _ids_text(s.in_reply_to),
    "references": lambda s: _ids_text(s.references),
    "subject": lambda s: [s.subject] if s.subject is not None else [],
}


def _ids_text(ids: list[str] | None) -> list[str]:
    return [" ".join(f"<{i}>" for i in ids)] if ids else []


def _header_key(field: str, needle: str) -> Key:
    from_record = _RECORD_HEADERS.get(field.lower())
    if from_record is not None:
        def test(ctx, u):
            r = ctx.record(u)
            return r is not None and any(needle in v.lower() for v in from_record(r.summary))

        return _per_message(RECORD, test)

    def run(ctx, candidates):
        if len(candidates) > HEADER_SCAN_LIMIT:
            raise No(f"SEARCH HEADER would read {len(candidates)} messages (at most {HEADER_SCAN_LIMIT}); "
                     "narrow it with other keys, such as a UID range", "LIMIT")
        return [u for u in candidates if any(needle in v.lower() for v in ctx.header_values(u, field))]

    return Key(OCTETS, run)


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


def parse_keys(p: Parser, session: Session, holder: dict) -> Key:
    keys = [parse_key(p, session, holder)]
    while p.maybe_sp():
        if p.peek() == 0x29:
            p.pos -= 1
            break
        keys.append(parse_key(p, session, holder))
    return _all_of(keys)


def _everything() -> Key:
    return Key(POSITION, lambda ctx, candidates: candidates)


def _nothing() -> Key:
    return Key(POSITION, lambda ctx, candidates: [])


def parse_key(p: Parser, session: Session, holder: dict) -> Key:
    if p.open_paren():
        inner = parse_keys(p, session, holder)
        p.close_paren()
        return inner
    c = p.peek()
    if c is not None and (0x30 <= c <= 0x39 or c in (0x2A, 0x24)):
        return _sequence_key(p.sequence_set(), by_uid=False)
    key = p.atom().upper()
    if key in ("ALL", "OLD", "SAVEDATESUPPORTED"):  # OLD is NOT RECENT, and nothing is \Recent
        return _everything()
    if key in ("RECENT", "NEW"):  # NEW is RECENT UNSEEN
        return _nothing()
    if key in FLAG_KEYS:
        return _flag_key(*FLAG_KEYS[key])
    if key in ("KEYWORD", "UNKEYWORD"):
        p.sp()
        keyword = keyword_of(p.flag())
        if keyword is None:  # \Recent
            return _nothing() if key == "KEYWORD" else _everything()
        return _flag_key(keyword, key == "KEYWORD")
    if key in ("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE", "SAVEDBEFORE", "SAVEDON",
               "SAVEDSINCE"):
        p.sp()
        day = _date(p)
        when = key.removeprefix("SENT").removeprefix("SAVED")
        compare = {"BEFORE": lambda d: d < day, "ON": lambda d: d == day, "SINCE": lambda d: d >= day}[when]
        if key.startswith("SAVED"):
            return _per_message(ENTRY, lambda ctx, u: (e := ctx.entry(u)) is not None and compare(_day(e.saved_at)))
        if key.startswith("SENT"):
            def sent(ctx, u):
                r = ctx.record(u)
                return r is not None and compare(_day(r.summary.sent_at_epoch if r.summary.sent_at_epoch is not None
                                                      else r.received_at))
            return _per_message(RECORD, sent)
        return _per_message(RECORD, lambda ctx, u: (r := ctx.record(u)) is not None and compare(_day(r.received_at)))
    if key in ("LARGER", "SMALLER"):
        p.sp()
        n = p.number()
        if key == "LARGER":
            return _per_message(RECORD, lambda ctx, u: (r := ctx.record(u)) is not None and r.size > n)
        return _per_message(RECORD, lambda ctx, u: (r := ctx.record(u)) is not None and r.size < n)
    if key == "UID":
        p.sp()
        return _sequence_key(p.sequence_set(), by_uid=True)
    if key == "NOT":
        p.sp()
        inner = parse_key(p, session, holder)

        def negate(ctx, candidates):
            return ctx.keep(candidates, set(candidates) - set(inner.run(ctx, candidates)))

        return Key(inner.cost, negate)
    if key == "OR":
        p.sp()
        left = parse_key(p, session, holder)
        p.sp()
        right = parse_key(p, session, holder)

        def either(ctx, candidates):
            first = set(left.run(ctx, candidates))
            rest = [u for u in candidates if u not in first]
            return ctx.keep(candidates, first | set(right.run(ctx, rest)))

        return Key(max(left.cost, right.cost), either)
    if key == "HEADER":
        p.sp()
        field = p.astr()
        p.sp()
        return _header_key(field, p.astr().lower())
    if key in TEXT_FIELDS:
        p.sp()
        text = p.astr()
        holder.setdefault("text", []).append((TEXT_FIELDS[key], text))
        return _text_key(len(holder["text"]) - 1)
    if key == "MODSEQ":
        p.sp()
        if p.peek() == 0x22:  # entry-name and entry-type-req: per-flag modseqs are not kept apart
            p.quoted()
            p.sp()
            p.atom()
            p.sp()
        modseq = p.number64()
        holder["modseq"] = True
        session.enabled.add("CONDSTORE")
        return _per_message(ENTRY, lambda ctx, u: (e := ctx.entry(u)) is not None and e.modseq >= modseq)
    if key in ("EMAILID", "THREADID"):
        p.sp()
        wanted = p.astr()
        if key == "EMAILID":
            return _ids_key(lambda ctx: [wanted])
        return _ids_key(_thread_emails(wanted))
    raise Bad(f"unknown SEARCH key {key}")


def parse_search(p: Parser, session: Session) -> tuple[set[str] | None, Key, dict]:
    """(RETURN options or None, the keys, text keys to look up)."""
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
    keys = parse_keys(p, session, holder)
    p.end()
    return returns, keys, holder


class Found(list):
    """(sequence number, UID) of the matches, with the highest MODSEQ among them when a MODSEQ key
    was used (RFC 7162 §3.1.5), else None."""

    highest_modseq: int | None = None


def run_search(session: Session, keys: Key, holder: dict) -> Found:
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
        uids = keys.run(ctx, ctx.uids)
        found = Found((bisect_left(selected.uids, u) + 1, u) for u in uids)
        if holder.get("modseq") and uids:
            found.highest_modseq = max((e.modseq for u in uids if (e := ctx.entry(u)) is not None), default=0)
    return found


def search(session: Session, tag: str, p: Parser, by_uid: bool = False) -> str:
    returns, keys, holder = parse_search(p, session)
    found = run_search(session, keys, holder)
    numbers = [uid if by_uid else seq for seq, uid in found]
    if returns is None and session.rev2:
        returns = {"ALL"}
    if returns is not None and "SAVE" in returns:
        session.saved_search = [uid for _, uid in found]
        returns = returns - {"SAVE"}
        if not returns:
            return "SEARCH completed, result saved"
    if returns is None:
        modseq = b" (MODSEQ %d)" % found.highest_modseq if found.highest_modseq is not None else b""
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
    if found.highest_modseq is not None:
        parts.append(b"MODSEQ %d" % found.highest_modseq)
    session.write(b" ".join(parts) + b"\r\n")
    return "SEARCH completed"


def uid_search(session: Session, tag: str, p: Parser) -> str:
    return search(session, tag, p, by_uid=True)
