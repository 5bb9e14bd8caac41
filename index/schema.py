"""The Whoosh schema, and the boundary types of the index package.

One index holds every account: each document carries its account as a term
(so a search is always intersected with it) and a unique key built from the
account and the email id (so an upsert replaces exactly one document, and
re-applying a batch after a crash never duplicates one).
"""

from __future__ import annotations

import operator
import pickle

import msgspec
from whoosh import fields, formats
from whoosh.analysis import Analyzer, Token
from whoosh.system import pack_uint

from .analysis import index_terms, positioned_tokens

__all__ = [
    "FIELD_OF",
    "INDEX_FORMAT",
    "SCHEMA",
    "SEARCHABLE",
    "TEXT_FIELDS",
    "IndexBatch",
    "IndexDocument",
    "doc_key",
    "split_key",
    "whoosh_fields",
]

#: Bumped whenever analysis or schema change the terms written to disk; an
#: index written with another value is rebuilt from scratch (its recorded
#: modseq reads as 0, so the caller re-submits everything).
INDEX_FORMAT = 1


class IndexDocument(msgspec.Struct, frozen=True, kw_only=True):
    """The searchable text of one email, as the store hands it over.

    Address fields hold display names and addresses in any layout
    (``"Alice <alice@example.com>, bob@example.org"``): every word of both is
    findable. ``body`` is the text of the text parts, HTML already reduced to
    the text a reader sees. ``attachments`` is the attachment file names.
    """

    account_id: str
    email_id: str
    from_: str = msgspec.field(default="", name="from")
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    attachments: str = ""


class IndexBatch(msgspec.Struct, frozen=True):
    """The index changes of one store change (one modseq).

    Batches are applied in modseq order; a batch older than one already
    applied is stale and dropped, one equal to it is applied again (so a large
    change may be split into several batches carrying the same modseq).
    Within a batch, deletes take effect after upserts (a document in both
    ends up deleted). An empty batch only moves
    :meth:`SearchIndex.applied_modseq` forward.
    """

    modseq: int
    upserts: list[IndexDocument] = []
    deletes: list[tuple[str, str]] = []


# Field name in the index for each IndexDocument attribute.
_DOC_FIELDS = (
    ("from_", "from"),
    ("to", "to"),
    ("cc", "cc"),
    ("bcc", "bcc"),
    ("subject", "subject"),
    ("body", "body"),
    ("attachments", "attachments"),
)
TEXT_FIELDS = tuple(name for _, name in _DOC_FIELDS)

#: What each searchable name looks in. "text" is RFC 8621 §4.4.1 ``text``:
#: From, To, Cc, Bcc, Subject (MUST), the body (SHOULD) and, as the RFC allows
#: ("MAY extend the search to any additional textual property"), attachment
#: names. "body" is only the body text: attachment names are metadata of a
#: part, not "text in one of the body parts"; they have their own name,
#: "attachmentName", as the widespread extension of that name does.
FIELD_OF: dict[str, tuple[str, ...]] = {
    "text": TEXT_FIELDS,
    "from": ("from",),
    "to": ("to",),
    "cc": ("cc",),
    "bcc": ("bcc",),
    "subject": ("subject",),
    "body": ("body",),
    "attachmentName": ("attachments",),
}
SEARCHABLE = frozenset(FIELD_OF)

_SEP = "\x1f"


def doc_key(account_id: str, email_id: str) -> str:
    """The unique key of a document (account and email id)."""
    return f"{account_id}{_SEP}{email_id}"


def split_key(key: str) -> tuple[str, str]:
    account, _, email = key.partition(_SEP)
    return account, email


class FoldingAnalyzer(Analyzer):
    """Whoosh-facing view of :mod:`index.analysis`.

    The index itself never calls it (see :class:`FoldedText`); it exists so
    that Whoosh utilities that tokenize through the schema see the same terms.
    """

    def __call__(self, value, positions=False, chars=False, **kwargs):
        t = Token(positions, chars, **kwargs)
        for tok in positioned_tokens(value):
            t.text = tok.term
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = tok.pos
            if chars:
                t.startchar, t.endchar = tok.start, tok.end
            yield t

    def __eq__(self, other):
        return type(other) is type(self)


_ONE = pack_uint(1)
_SINGLE: dict[int, bytes] = {}


class _Positions(formats.Positions):
    """The bytes of ``formats.Positions.encode``, made faster.

    Most terms occur once in a field; their encoding depends only on that
    one position and is cached (``single``, filled by :meth:`encode`).
    Longer lists skip the per-position loop.
    """

    single = _SINGLE

    def encode(self, poslist: list[int]) -> bytes:
        if len(poslist) == 1:
            pos = poslist[0]
            value = _SINGLE.get(pos)
            if value is None:
                value = _ONE + pickle.dumps(poslist, 2)
                if pos < 100_000:
                    _SINGLE[pos] = value
            return value
        deltas = [poslist[0], *map(operator.sub, poslist[1:], poslist)]
        return pack_uint(len(deltas)) + pickle.dumps(deltas, 2)


class FoldedText(fields.TEXT):
    """A positional text field fed straight from :func:`index_terms`.

    Whoosh's analyzer chain builds and yields a token object per word, which
    is most of its indexing cost; this field encodes positions directly.
    Not scorable: searches here are boolean, so no field lengths are stored.
    """

    def __init__(self) -> None:
        super().__init__(analyzer=FoldingAnalyzer(), phrase=True, stored=False)
        self.format = _Positions()
        self.scorable = False

    def index(self, value, **kwargs):
        encode = self.format.encode
        return [
            (word.encode("utf-8"), len(poses), float(len(poses)), encode(poses))
            for word, poses in index_terms(value).items()
        ]


def _schema() -> fields.Schema:
    s = fields.Schema(
        account=fields.ID(),
        key=fields.ID(unique=True, sortable=True),
    )
    for name in TEXT_FIELDS:
        s.add(name, FoldedText())
    return s


SCHEMA = _schema()


def whoosh_fields(doc: IndexDocument) -> dict[str, str]:
    """The keyword arguments for ``writer.add_document``."""
    out = {
        "account": doc.account_id,
        "key": doc_key(doc.account_id, doc.email_id),
    }
    for attr, name in _DOC_FIELDS:
        value = getattr(doc, attr)
        if value:
            out[name] = value
    return out
