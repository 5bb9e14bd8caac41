"""FETCH and UID FETCH (RFC 9051 §6.4.5, §7.5.2; BINARY RFC 3516; CONDSTORE/QRESYNC RFC 7162
§3.1.4/§3.2.6; SAVEDATE RFC 8514; OBJECTID RFC 8474).

Items that the Email record holds (FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, UID, MODSEQ) never
read the message's octets; body items read the stored blob and split it with jmapd.mime. A
non-PEEK body fetch sets \\Seen through the writer, as one transaction for the whole command.

A FETCH of only the items the mail layer keeps outside the record (UID, FLAGS, ENVELOPE,
RFC822.SIZE, INTERNALDATE, MODSEQ, SAVEDATE, EMAILID: what a mail app's initial sync asks for)
decodes no record at all: the UIDs come from walking the mailbox's UID index, the flags from its
flag index (one range scan per keyword the mailbox has), and the ENVELOPE, size and date from the
values stored when the Email was written (jmapd/mail/envelopes.py). The message's own header
items (RFC822.HEADER, BODY.PEEK[HEADER], BODY.PEEK[HEADER.FIELDS (...)] and .NOT: a list view's
FETCH) are answered there too, from the header section stored beside the Email, without its
record, its blob or the blob's access record; an Email whose header section was too long to keep
reads it from the blob. It answers byte for byte as the record path does, in chunks of CHUNK
lines, each read in one transaction and written at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.blobs import read_blob

from ..mail import envelopes
from ..mail import uids as uid_index
from ..mail.records import EmailRecord
from ..mail.writer import EMAIL, update_email
from ..methods.cost import ON_LOOP_MAX_IDS
from ..mime.headers import fields_finder
from ..mime.parse import parse_tree
from . import wire
from .errors import Bad
from .flags import imap_flags
from .message_data import (Section, StoredMessage, binary_bytes, body_structure, envelope,
                           internal_date, section_bytes)
from .parser import Parser, SequenceSet
from .session import Session

MACROS = {"ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"], "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
          "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"]}
SIMPLE = {"ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.SIZE", "RFC822.TEXT", "BODY",
          "BODYSTRUCTURE", "UID", "MODSEQ", "SAVEDATE", "EMAILID", "THREADID"}
_NAME_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789."
# Items answered without the Email record, and how each is written (a % template).
STORED = {"UID": b"UID %d", "FLAGS": b"FLAGS %s", "ENVELOPE": b"ENVELOPE %s", "RFC822.SIZE": b"RFC822.SIZE %d",
          "INTERNALDATE": b"INTERNALDATE %s", "MODSEQ": b"MODSEQ (%d)", "SAVEDATE": b"SAVEDATE %s",
          "EMAILID": b"EMAILID (%s)"}
CHUNK = 500


@dataclass
class Item:
    name: str  # ENVELOPE, BODY, BODY.PEEK, BINARY, BINARY.PEEK, BINARY.SIZE, ...
    section: Section | None = None
    partial: tuple[int, int] | None = None

    @property
    def needs_body(self) -> bool:
        return self.section is not None or self.name in ("RFC822", "RFC822.HEADER", "RFC822.TEXT", "BODY",
                                                         "BODYSTRUCTURE")

    @property
    def sets_seen(self) -> bool:
        return (self.section is not None and self.name in ("BODY", "BINARY")) or self.name in ("RFC822",
                                                                                              "RFC822.TEXT")


def parse_items(p: Parser) -> list[Item]:
    if p.open_paren():
        items = [_item(p)]
        while p.maybe_sp():
            items.append(_item(p))
        p.close_paren()
        return items
    start = p.pos
    word = p._run(_NAME_CHARS).decode().upper()
    if word in MACROS:
        return [Item(name) for name in MACROS[word]]
    p.pos = start
    return [_item(p)]


def _item(p: Parser) -> Item:
    name = p._run(_NAME_CHARS).decode().upper()
    if not name:
        raise Bad("expected a FETCH item")
    if p.peek() == 0x5B:  # [
        if name not in ("BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"):
            raise Bad(f"{name} takes no section")
        section = _section(p, binary=name.startswith("BINARY"))
        partial = None
        if p.peek() == 0x3C:  # <
            if name == "BINARY.SIZE":
                raise Bad("BINARY.SIZE takes no partial range")
            p.pos += 1
            start = p.number()
            p.expect(b".")
            length = p.number(nonzero=True)
            p.expect(b">")
            partial = (start, length)
        return Item(name, section, partial)
    if name not in SIMPLE:
        raise Bad(f"unknown FETCH item {name}")
    return Item(name)


def _section(p: Parser, binary: bool) -> Section:
    p.expect(b"[")
    path: list[int] = []
    text = ""
    fields: list[str] = []
    while p.peek() is not None and 0x30 <= p.peek() <= 0x39:
        path.append(p.number(nonzero=True))
        if not p.accept(b"."):
            break
    if p.peek() != 0x5D:
        if binary:
            raise Bad("BINARY sections are part numbers only")
        word = p._run(_NAME_CHARS).decode().upper()
        if word not in ("HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"):
            raise Bad(f"unknown section {word}")
        text = word
        if word.startswith("HEADER.FIELDS"):
            p.sp()
            p.expect(b"(")
            while True:
                fields.append(p.astr())
                if not p.maybe_sp():
                    break
            p.close_paren()
    p.expect(b"]")
    return Section(path, text, fields)


def parse_modifiers(p: Parser, session: Session) -> tuple[int | None, bool]:
    """(CHANGEDSINCE modseq [VANISHED]) of RFC 7162."""
    changed_since, vanished = None, False
    if p.maybe_sp():
        p.expect(b"(")
        while True:
            word = p.atom().upper()
            if word == "CHANGEDSINCE":
                p.sp()
                changed_since = p.number64()
            elif word == "VANISHED":
                vanished = True
            else:
                raise Bad(f"unknown FETCH modifier {word}")
            if not p.maybe_sp():
                break
        p.close_paren()
        session.enabled.add("CONDSTORE")
    return changed_since, vanished


def _head(p: Parser) -> tuple[SequenceSet, list[Item]]:
    """The sequence set and the items, parsed once per command: the event-loop predicate below
    parses them first and leaves them on the parser for the handler."""
    start = p.pos
    parsed = p.prepared
    if parsed is not None and parsed[0] == start:
        p.pos = parsed[1]
        return parsed[2], list(parsed[3])
    p.sp()
    sequence = p.sequence_set()
    p.sp()
    items = parse_items(p)
    p.prepared = (start, p.pos, sequence, tuple(items))
    return sequence, items


def fetch(session: Session, tag: str, p: Parser, by_uid: bool = False) -> str:
    selected = session.selected
    sequence, items = _head(p)
    changed_since, vanished = parse_modifiers(p, session)
    p.end()
    if vanished and not (by_uid and session.qresync and changed_since is not None):
        raise Bad("VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled (RFC 7162 §3.2.6)")
    if by_uid and not any(i.name == "UID" for i in items):
        items.insert(0, Item("UID"))
    if changed_since is not None and not any(i.name == "MODSEQ" for i in items):
        items.append(Item("MODSEQ"))
    messages = selected.messages(sequence, by_uid, session.saved_search)
    if vanished:
        present = set(selected.uids)
        largest = selected.next_uid - 1
        gone = [u for a, b in sequence.resolve(largest) for u in range(a, min(b, largest) + 1) if u not in present]
        if gone:
            session.write(b"* VANISHED (EARLIER) %s\r\n" % wire.compact_set(gone).encode())
    if all((i.section is None and i.name in STORED) or _from_head(i, selected.read_only) for i in items):
        _fetch_stored(session, messages, items, changed_since)
        return "FETCH completed"
    mark_seen = not selected.read_only and any(i.sets_seen for i in items)
    if mark_seen:
        _mark_seen(session, messages)
    store = session.server.store
    account_id = session.account_id
    # Body items read each message through a view into the store's map, so that a header section
    # costs the pages it is on, not the whole message's (valid while the transaction is open).
    needs_body = any(i.needs_body for i in items)
    for start in range(0, len(messages), 500):
        with store.read(buffers=needs_body) as txn:
            for seq, uid in messages[start:start + 500]:
                entry = uid_index.entry(txn, account_id, selected.mailbox_id, uid)
                record = None if entry is None else txn.get(account_id, EMAIL, entry.email_id, EmailRecord)
                if record is None:
                    continue  # expunged by another client; its EXPUNGE comes at the next command
                if changed_since is not None and entry.modseq <= changed_since:
                    continue
                raw = None
                if needs_body:
                    raw = StoredMessage(read_blob(txn, account_id, record.blob_id) or b"")
                session.write(b"* %d FETCH (%s)\r\n" % (seq, b" ".join(
                    _render(item, session, uid, entry, record, raw) for item in items)))
    return "FETCH completed"


def _fetch_stored(session: Session, messages: list[tuple[int, int]], items: list[Item],
                  changed_since: int | None) -> None:
    account_id, mailbox_id, utf8 = session.account_id, session.selected.mailbox_id, session.utf8
    names = [item.name if item.section is None and item.name in STORED else "" for item in items]
    template = b"* %d FETCH (" + b" ".join(STORED.get(name, b"%s") for name in names) + b")\r\n"
    with_envelope = "ENVELOPE" in names
    with_facts = "RFC822.SIZE" in names or "INTERNALDATE" in names or (with_envelope and utf8)
    with_heads = "" in names
    # A list view's fields are read from the small value that holds only those (a header section
    # without it, or whose section is not kept, is read as below).
    head_db = envelopes.LIST if with_heads and all(_listed(item) for item, name in zip(items, names) if not name) \
        else envelopes.HEADERS
    flag_lists: dict[tuple[str, ...], bytes] = {(): b"()"}
    store = session.server.store
    for start in range(0, len(messages), CHUNK):
        batch = messages[start:start + CHUNK]
        with store.read() as txn:
            found = uid_index.walk(txn, account_id, mailbox_id, [uid for _, uid in batch])
            keywords = uid_index.keywords_in(txn, account_id, mailbox_id, batch[0][1], batch[-1][1]) \
                if "FLAGS" in names else {}
            email_ids = [f[1] for f in found]
            plain = envelopes.read_many(txn, account_id, email_ids) if with_envelope else None
            facts = envelopes.read_many(txn, account_id, email_ids, envelopes.FACTS) if with_facts else None
            heads = envelopes.read_many(txn, account_id, email_ids, head_db) if with_heads else None
            if head_db == envelopes.LIST and None in heads:
                absent = [n for n, value in enumerate(heads) if value is None]
                for n, value in zip(absent, envelopes.read_many(txn, account_id, [email_ids[n] for n in absent],
                                                                envelopes.HEADERS)):
                    heads[n] = value
            missing: set[int] = set()
            for values in (plain, facts, heads):
                if values is not None and None in values:
                    missing.update(n for n, value in enumerate(values) if value is None)
            blobs: dict[int, str] = {}
            for n in missing:  # entries missing (or a header section too long to keep): from the record
                record = txn.get(account_id, EMAIL, email_ids[n].decode(), EmailRecord)
                if record is not None:
                    rendered = envelopes.render(record.summary, record.size, record.received_at)
                    for values, value in ((plain, rendered[0]), (facts, rendered[1])):
                        if values is not None and values[n] is None:
                            values[n] = value
                    if heads is not None and heads[n] is None:
                        blobs[n] = record.blob_id
        if blobs:  # their header sections from the blobs' first pages, not the whole messages
            with store.read(buffers=True) as txn:
                for n, blob_id in blobs.items():
                    view = read_blob(txn, account_id, blob_id)
                    if view is not None:
                        message = StoredMessage(view)
                        heads[n] = StoredMessage.from_header(message.header(), message.plain)
        if len(found) == len(batch):
            seqs = [seq for seq, _ in batch]
        else:  # some expunged by another client (their EXPUNGE comes at the next command)
            seq_of = {uid: seq for seq, uid in batch}
            seqs = [seq_of[f[0]] for f in found]
        if changed_since is not None or missing:
            keep = [n for n, f in enumerate(found)
                    if (changed_since is None or uid_index.modseq_of(f[2]) > changed_since)
                    and all(values is None or values[n] is not None  # still None: its record is gone too
                            for values in (plain, facts, heads))]
            seqs, found = [seqs[n] for n in keep], [found[n] for n in keep]
            plain, facts, heads = ([values[n] for n in keep] if values is not None else None
                                   for values in (plain, facts, heads))
        if not found:
            continue
        for flags in set(keywords.values()) - flag_lists.keys():
            flag_lists[flags] = wire.flags(imap_flags(flags))
        columns = [seqs] + [_head_column(item, heads) if not name else
                            _column(name, found, plain, facts, keywords, flag_lists, utf8)
                            for name, item in zip(names, items)]
        session.write(b"".join([template % row for row in zip(*columns)]))


def _listed(item: Item) -> bool:
    """Whether the item is HEADER.FIELDS of the message's own header naming only fields that
    `email_list_fields` keeps."""
    section = item.section
    return (section is not None and section.text == "HEADER.FIELDS" and not section.path and item.partial is None
            and envelopes.listed(section.fields))


def _head_column(item: Item, heads: list) -> list[bytes]:
    """A header item's values for a chunk of messages, from their header sections as stored
    beside them (or, for one without, as read from its blob)."""
    section = item.section
    if section is not None and section.text.startswith("HEADER.FIELDS") and item.partial is None:
        # The common list view: the stored value itself is searched, nothing copied first.
        find, prefix = fields_finder(section.fields, section.text == "HEADER.FIELDS"), b"BODY[%s] " % section.label()
        out = []
        for head in heads:
            if type(head) is bytes and envelopes.is_plain(head):
                found = find(head)
                out.append(b"%s{%d}\r\n%s" % (prefix, len(found), found))
            else:
                out.append(_section_item(item, _message(head)))
        return out
    return [_section_item(item, _message(head)) for head in heads]


def _message(head: bytes | StoredMessage) -> StoredMessage:
    if type(head) is bytes:
        return StoredMessage.from_header(head[1:], envelopes.is_plain(head))
    return head


def _column(name: str, found: list[tuple[int, bytes, bytes]], plain: list[bytes] | None, facts: list[bytes] | None,
            keywords: dict, flag_lists: dict[tuple[str, ...], bytes], utf8: bool) -> list:
    """One item's values for a chunk of messages, from what the UID index has of them (`walk`),
    their stored ENVELOPEs and facts, and their keywords by UID."""
    if name == "UID":
        return [f[0] for f in found]
    if name == "FLAGS":
        return [flag_lists[keywords.get(f[0], ())] for f in found]
    if name == "ENVELOPE":
        return envelopes.utf8_forms(plain, facts) if utf8 else plain
    if name == "RFC822.SIZE":
        return [envelopes.size_of(value) for value in facts]
    if name == "INTERNALDATE":
        return [internal_date(envelopes.received_at_of(value)) for value in facts]
    if name == "MODSEQ":
        return [max(uid_index.modseq_of(f[2]), 1) for f in found]
    if name == "SAVEDATE":
        return [internal_date(uid_index.saved_at_of(f[2])) for f in found]
    return [f[1] for f in found]  # EMAILID


def uid_fetch(session: Session, tag: str, p: Parser) -> str:
    return fetch(session, tag, p, by_uid=True)


# The octets of whole messages (or their parts) a FETCH may read on the event loop, all messages
# together; reading a header section costs its own octets only, wherever the message's size.
ON_LOOP_MAX_OCTETS = 256 * 1024


def fetch_may_block(session: Session, p: Parser, by_uid: bool = False) -> bool:
    """FETCH on the event loop (jmapd.imap.commands): at most ON_LOOP_MAX_IDS messages, whole
    bodies of at most ON_LOOP_MAX_OCTETS together, no \\Seen to set (a durable commit) and no
    CHANGEDSINCE (a change log read)."""
    selected = session.selected
    sequence, items = _head(p)
    if not p.at_end() or selected.most(sequence, by_uid, session.saved_search) > ON_LOOP_MAX_IDS:
        return True
    if not selected.read_only and any(i.sets_seen for i in items):
        return True
    if not any(i.needs_body and not _header_only(i) for i in items):
        return False
    account_id = session.account_id
    with session.server.store.read() as txn:
        uids = [uid for _, uid in selected.messages(sequence, by_uid, session.saved_search)]
        email_ids = [found[1] for found in uid_index.walk(txn, account_id, selected.mailbox_id, uids)]
        facts = envelopes.read_many(txn, account_id, email_ids, envelopes.FACTS)
        # An Email without its stored facts (being written or destroyed right now) counts as large.
        return sum(ON_LOOP_MAX_OCTETS + 1 if value is None else envelopes.size_of(value)
                   for value in facts) > ON_LOOP_MAX_OCTETS


def uid_fetch_may_block(session: Session, p: Parser) -> bool:
    return fetch_may_block(session, p, by_uid=True)


def _from_head(item: Item, read_only: bool) -> bool:
    """Whether the stored path answers the item from the header section kept beside the Email:
    one of the message's own header items that sets no \\Seen here."""
    return _header_only(item) and (read_only or not item.sets_seen)


def _header_only(item: Item) -> bool:
    """Whether the item reads only the message's own header section."""
    if item.name == "RFC822.HEADER":
        return True
    section = item.section
    return section is not None and not section.path and section.text in ("HEADER", "HEADER.FIELDS",
                                                                          "HEADER.FIELDS.NOT")


def _mark_seen(session: Session, messages: list[tuple[int, int]]) -> None:
    selected = session.selected
    account_id = session.account_id

    def work(txn):
        for _, uid in messages:
            entry = uid_index.entry(txn, account_id, selected.mailbox_id, uid)
            record = None if entry is None else txn.get(account_id, EMAIL, entry.email_id, EmailRecord)
            if record is None or "$seen" in record.keywords:
                continue
            update_email(txn, account_id, entry.email_id, record, keywords=[*record.keywords, "$seen"])
            selected.own[entry.email_id] = txn.counter(account_id, "modseq")

    session.server.store.write(work)


def _partial(data: bytes, item: Item) -> tuple[bytes, bytes]:
    if item.partial is None:
        return data, b""
    start, length = item.partial
    return data[start:start + length], b"<%d>" % start


def _section_item(item: Item, raw: StoredMessage) -> bytes:
    """RFC822.HEADER, or BODY[section] (BODY.PEEK answers as BODY)."""
    if item.name == "RFC822.HEADER":
        return b"RFC822.HEADER " + wire.literal(raw.header())
    data, origin = _partial(section_bytes(raw, item.section), item)
    return b"BODY[%s]%s %s" % (item.section.label(), origin, wire.literal(data))


def _render(item: Item, session: Session, uid: int, entry, record: EmailRecord, raw: StoredMessage | None) -> bytes:
    name = item.name
    if name == "UID":
        return b"UID %d" % uid
    if name == "FLAGS":
        return b"FLAGS " + wire.flags(imap_flags(record.keywords))
    if name == "INTERNALDATE":
        return b"INTERNALDATE " + internal_date(record.received_at)
    if name == "RFC822.SIZE":
        return b"RFC822.SIZE %d" % record.size
    if name == "ENVELOPE":
        return b"ENVELOPE " + envelope(record.summary, session.utf8)
    if name == "MODSEQ":
        return b"MODSEQ (%d)" % max(entry.modseq, 1)
    if name == "SAVEDATE":
        return b"SAVEDATE " + internal_date(entry.saved_at)
    if name == "EMAILID":
        return b"EMAILID (%s)" % entry.email_id.encode()
    if name == "THREADID":
        return b"THREADID (%s)" % record.thread_id.encode()
    if name == "RFC822":
        return b"RFC822 " + wire.literal(raw.whole())
    if name == "RFC822.TEXT":
        return b"RFC822.TEXT " + wire.literal(raw.text())
    if name in ("BODY", "BODYSTRUCTURE") and item.section is None:
        return name.encode() + b" " + body_structure(parse_tree(raw.whole()), extensible=name == "BODYSTRUCTURE")
    if name in ("RFC822.HEADER", "BODY", "BODY.PEEK"):
        return _section_item(item, raw)
    path = ".".join(str(n) for n in item.section.path).encode()
    data = binary_bytes(raw.whole(), item.section.path)
    if name == "BINARY.SIZE":
        return b"BINARY.SIZE[%s] %d" % (path, len(data))
    data, origin = _partial(data, item)
    literal = (b"~{%d}\r\n" % len(data) + data) if b"\x00" in data else wire.literal(data)
    return b"BINARY[%s]%s %s" % (path, origin, literal)
