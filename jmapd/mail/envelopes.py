"""What never changes about an Email, rendered once when it is written: its ENVELOPE (the
structure of its header fields that `jmapd.mime.envelope` writes, RFC 9051 §7.5.2), its size, its
receivedAt and its header section. Not the SMTP envelope of a submission.

Messages are immutable, so these are written by the writer in the transaction that creates the
Email (every path ends in `writer.insert_email`) and deleted in the one that destroys it; a
mailbox's initial sync then reads one small value per message instead of decoding its record and
building the structure again, and a list view's FETCH of header fields reads the header section
without the record, the blob or its access record.

Four named databases, keyed account \\0 email id:

- `envelopes`: the 7-bit ENVELOPE (non-ASCII names and subjects as encoded-words), exactly as a
  FETCH writes it, so that the common FETCH (FLAGS ENVELOPE) sends the stored octets as they are;
- `email_facts`: received_at (8 bytes) + size (8) + the UTF-8 form of the ENVELOPE where it differs
  from the 7-bit one (only when a name, subject or address has non-ASCII text), else nothing;
- `email_headers`: the message's own header section, its empty line included, as
  `jmapd.mime.parse.own_header` finds it, after one octet: a line feed when every line of it is a
  field or a folded line (so that one search over the value as stored finds the fields a FETCH
  asks for, each with the line break before it), else NUL; only for a section of at most
  MAX_HEADER octets (readers of a longer one read the blob). An Email copied from another keeps
  the same octets, so a copy takes the source's entry (`head`) rather than reading the blob;
- `email_list_fields`: of a header section kept with a line feed first, only the lines of the
  LIST_FIELDS (the fields mail apps ask for to show a list of messages), in the same form and
  order: the fields of any subset of LIST_FIELDS are found in it exactly as in the whole section,
  from a value a fifth of its size that sits beside its neighbours' in the database's pages
  (a whole section is often too large for that), which is what a list view's FETCH reads.

Both forms are `jmapd.mime.envelope`'s.

An older data folder gets the entries by the layout 6 step, `fill`, in transactions of BATCH
Emails, so its memory stays bounded whatever the folder's size; it reads each blob through a view
into the store's map, so a header section costs the pages it is on.
"""

from __future__ import annotations

import lmdb

from store import ReadTxn, WriteTxn, schema
from store.blobs import blob_bytes
from store.codec import decode, from_u64, u64

from ..mime.envelope import envelope
from ..mime.headers import fields_finder
from ..mime.parse import own_header
from ..mime.summary import EmailSummary
from .records import EmailRecord

ENVELOPES, FACTS, HEADERS, LIST = "envelopes", "email_facts", "email_headers", "email_list_fields"
BATCH = 2000
# The longest header section kept (real mail's are a few KiB; a longer one is read from the blob).
MAX_HEADER = 16 * 1024
# The header fields mail apps fetch for a list of messages (Thunderbird, Apple Mail, K-9 and
# Outlook ask for subsets of these), lowercase.
LIST_FIELDS = frozenset((
    "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "date", "message-id", "in-reply-to",
    "references", "content-type", "priority", "x-priority", "importance", "newsgroups", "list-id",
    "list-post", "list-unsubscribe", "return-path", "delivered-to", "disposition-notification-to",
    "x-k9mail-identity", "chat-version", "autocrypt",
))
_list_lines = fields_finder(sorted(LIST_FIELDS), True)


def _key(account_id: str, email_id: str) -> bytes:
    return b"%s\x00%s" % (account_id.encode(), email_id.encode())


_ENCODED_WORD = b"=?utf-8?b?"  # how jmapd.mime.envelope writes non-ASCII text for a 7-bit client


def render(summary: EmailSummary, size: int, received_at: int) -> tuple[bytes, bytes]:
    """The two stored values: the 7-bit ENVELOPE, and the facts. The UTF-8 form differs from the
    7-bit one only where the 7-bit one encoded non-ASCII text (an encoded-word, or a literal of
    8-bit octets), so for most mail it is not rendered at all."""
    plain = envelope(summary, False)
    if plain.isascii() and _ENCODED_WORD not in plain:
        return plain, u64(received_at) + u64(size)
    wide = envelope(summary, True)
    return plain, u64(received_at) + u64(size) + (b"" if wide == plain else wide)


def utf8_forms(plain: list[bytes], facts: list[bytes]) -> list[bytes]:
    """The ENVELOPEs for a client that takes UTF-8, from both stored values of each Email."""
    return [f[16:] or p for p, f in zip(plain, facts)]


def head_of(raw: bytes | memoryview) -> bytes | None:
    """The `email_headers` value of a message's octets: None for a header section over MAX_HEADER."""
    header, _, plain, _ = own_header(raw)
    return None if len(header) > MAX_HEADER else (b"\n" if plain else b"\x00") + header


def is_plain(head: bytes) -> bool:
    """Whether every line of a stored header section is a field or a folded line."""
    return head[0] == 10


def list_fields_of(head: bytes) -> bytes | None:
    """The `email_list_fields` value of an `email_headers` value: None when its lines are not all
    fields or folded lines (the search that finds them would not be exact)."""
    return b"\n" + _list_lines(head) if is_plain(head) else None


def listed(fields: list[str]) -> bool:
    """Whether a HEADER.FIELDS list names only LIST_FIELDS (then `email_list_fields` answers it)."""
    return all(name.lower() in LIST_FIELDS for name in fields)


def received_at_of(facts: bytes) -> int:
    return from_u64(facts[:8])


def size_of(facts: bytes) -> int:
    return from_u64(facts[8:16])


# -- the writer's side -----------------------------------------------------------------------------
def keep(txn: WriteTxn, account_id: str, email_id: str, record: EmailRecord, head: bytes | None) -> None:
    """The entries of a new Email; `head` is `head_of` its octets (or a copied Email's `head`)."""
    plain, facts = render(record.summary, record.size, record.received_at)
    key = _key(account_id, email_id)
    txn.txn.put(key, plain, db=txn.dbs[ENVELOPES])
    txn.txn.put(key, facts, db=txn.dbs[FACTS])
    if head is not None:
        _keep_head(txn.txn, txn.dbs, key, head)


def _keep_head(txn: lmdb.Transaction, dbs: dict[str, object], key: bytes, head: bytes) -> None:
    txn.put(key, head, db=dbs[HEADERS])
    listing = list_fields_of(head)
    if listing is not None:
        txn.put(key, listing, db=dbs[LIST])


def drop(txn: WriteTxn, account_id: str, email_id: str) -> None:
    key = _key(account_id, email_id)
    for db in (ENVELOPES, FACTS, HEADERS, LIST):
        txn.txn.delete(key, db=txn.dbs[db])


def head(txn: ReadTxn, account_id: str, email_id: str) -> bytes | None:
    """An Email's stored header section value, for a copy of it to keep; None when it has none."""
    value = txn.txn.get(_key(account_id, email_id), db=txn.dbs[HEADERS])
    return None if value is None else bytes(value)


# -- readers ---------------------------------------------------------------------------------------
def read_many(txn: ReadTxn, account_id: str, email_ids: list[bytes], db: str = ENVELOPES) -> list[bytes | None]:
    """The stored values (ENVELOPES or FACTS) of many Emails (ids as bytes), in their order; None
    for one without."""
    prefix = account_id.encode() + b"\x00"
    with txn.txn.cursor(db=txn.dbs[db]) as cur:
        found = cur.getmulti([prefix + email_id for email_id in email_ids])
    if len(found) == len(email_ids):
        return [value for _, value in found]
    skip = len(prefix)
    by_id = {key[skip:]: value for key, value in found}
    return [by_id.get(email_id) for email_id in email_ids]


# -- layout 6: entries for the Emails an older folder holds ----------------------------------------
def fill(txn: lmdb.Transaction, dbs: dict[str, object], after: bytes | None) -> bytes | None:
    """Write the entries of up to BATCH Emails whose record keys follow `after`; return the last key
    done, or None once every Email has its entry. The transaction gives views into the map
    (`buffers`): a blob's header section is read from its first pages, and each view is done with
    before the next write."""
    done = 0
    envelopes = dbs[ENVELOPES]
    with txn.cursor(db=dbs["records"]) as cur:
        found = cur.set_range(after + b"\x00") if after is not None else cur.first()
        while found:
            key = bytes(cur.key())
            account, _, rest = key.partition(b"\x00")
            if rest.startswith(b"Email\x00"):
                record = decode(cur.value(), EmailRecord)
                plain, facts = render(record.summary, record.size, record.received_at)
                blob = blob_bytes(txn, dbs, record.blob_id)
                head = None if blob is None else head_of(blob)
                email_key = account + b"\x00" + rest[6:]
                txn.put(email_key, plain, db=envelopes)
                txn.put(email_key, facts, db=dbs[FACTS])
                if head is not None:
                    _keep_head(txn, dbs, email_key, head)
                done += 1
                if done == BATCH:
                    return key
            found = cur.next()
    return None


schema.provide(schema.Migration(5, "each Email's ENVELOPE, size, receivedAt, header section and list-view "
                                "header fields kept beside its record", fill, batched=True, buffers=True))
