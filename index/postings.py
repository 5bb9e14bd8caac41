"""Posting lists written and read a whole term at a time, in Whoosh's W3 format.

Whoosh's writers move postings one by one: ``add_document`` puts each
(field, term, document, weight, value) tuple in a sorting pool, the pool
sorts all of them, and the field writer takes them back one call per posting,
type-checking and buffering each; a merge streams every posting of its inputs
through the same calls. And the W3 codec pickles each block of postings at
protocol 2, which has no opcode for bytes, so every posting's value (its
encoded positions) costs a ``codecs.encode`` call when written and again when
read.

Here a segment's postings are gathered per term (:class:`TermPool`) and
written a block at a time (:func:`write_terms`), with the block's data
pickled at the highest protocol; a merge reads each input's posting lists a
block at a time (:func:`live_term_lists`). Blocks, term table and every other
file keep the W3 layout, and Whoosh's reader, which unpickles any protocol,
reads them unchanged: the tests compare every posting of built and merged
segments with what Whoosh's own writer produces. This leans on private
attributes of the W3 postings writer and matcher, which is why whoosh3 is
pinned to one version.

Field lengths are not written: no field of this index is scorable (searches
are boolean), and :func:`write_terms` refuses a field that is.
"""

from __future__ import annotations

import heapq
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pickle import HIGHEST_PROTOCOL, dumps

from whoosh.codec.whoosh3 import COMPRESSION_MIN_SIZE, WHOOSH3_HEADER_MAGIC, W3LeafMatcher
from whoosh.util.numeric import length_to_byte

__all__ = ["TermList", "TermPool", "live_term_lists", "write_terms"]

#: (fieldname, term bytes, document numbers, weights, values), in document order.
TermList = tuple[str, bytes, Sequence[int], Sequence[float], Sequence[bytes]]


class TermPool:
    """Stands in for Whoosh's posting pool in a ``SegmentWriter``: per field,
    each term's postings (document, weight, value) in the order documents
    were added, which is document order. A builder's unit is a few thousand
    emails, so they stay in memory, and only the distinct terms are sorted
    at the end, not every posting."""

    def __init__(self) -> None:
        self._fields: dict[str, dict[bytes, list[tuple]]] = {}

    def _table(self, fieldname: str) -> dict[bytes, list[tuple]]:
        table = self._fields.get(fieldname)
        if table is None:
            table = self._fields[fieldname] = {}
        return table

    def add(self, item: tuple) -> None:
        """Whoosh's interface: one (field, term, document, weight, value)."""
        fieldname, btext, docnum, weight, value = item
        table = self._table(fieldname)
        postings = table.get(btext)
        if postings is None:
            table[btext] = [(docnum, weight, value)]
        else:
            postings.append((docnum, weight, value))

    def add_positions(self, fieldname: str, docnum: int, terms: dict[str, list[int]], fmt) -> None:
        """A positional field's terms of one document, each with its positions, which
        the field's format ``fmt`` encodes as the posting's value; the weight is the term's
        frequency. Most terms occur once, and their values come from the format's cache
        without a call."""
        table = self._table(fieldname)
        get = table.get
        single = fmt.single
        encode = fmt.encode
        for word, positions in terms.items():
            btext = word.encode("utf-8")
            if len(positions) == 1:
                posting = (docnum, 1.0, single.get(positions[0]) or encode(positions))
            else:
                posting = (docnum, float(len(positions)), encode(positions))
            postings = get(btext)
            if postings is None:
                table[btext] = [posting]
            else:
                postings.append(posting)

    def term_lists(self) -> Iterator[TermList]:
        fields = self._fields
        for fieldname in sorted(fields):
            table = fields[fieldname]
            for btext in sorted(table):
                ids, weights, values = zip(*table[btext])
                yield fieldname, btext, ids, weights, values

    def cleanup(self) -> None:
        self._fields = {}


def write_terms(fieldwriter, schema, terms: Iterable[TermList]) -> None:
    """Write posting lists, sorted by (field, term), through a W3 field writer.

    Each list is cut into the codec's blocks exactly as its postings writer
    would cut it posting by posting, and written by :func:`_write_block`.
    """
    lastfield = None
    postwriter = None
    for fieldname, btext, ids, weights, values in terms:
        if fieldname != lastfield:
            if lastfield is not None:
                fieldwriter.finish_field()
            fieldobj = schema[fieldname]
            if fieldobj.scorable:
                raise ValueError(f"field {fieldname!r} is scorable: its lengths would be lost")
            fieldwriter.start_field(fieldname, fieldobj)
            postwriter = fieldwriter._postwriter
            block = postwriter._blocklimit
            lastfield = fieldname
        fieldwriter.start_term(btext)
        count = len(ids)
        for start in range(0, count, block):
            end = start + block
            chunk = weights[start:end]
            postwriter._ids = array("I", ids[start:end])
            postwriter._weights = array("f", chunk)
            postwriter._values = [v for v in values[start:end] if v]
            postwriter._maxweight = max(0, max(chunk))
            postwriter._minlength = None
            postwriter._maxlength = 0
            _write_block(postwriter, last=end >= count)
        fieldwriter.finish_term()  # finds no postings left to write; records where the list lies
    if lastfield is not None:
        fieldwriter.finish_field()


def _write_block(postwriter, last: bool) -> None:
    """The W3 postings writer's ``_write_block``, but with the block's data
    pickled at the highest protocol instead of protocol 2.

    Protocol 2 has no opcode for bytes: every posting's value (its encoded
    positions) went through a ``codecs.encode`` call on the way in and on the
    way out. The newest protocol writes them as plain bytes, which makes a
    block ~9x quicker to pickle and to read, and half as large before
    compression. Whoosh's reader unpickles whatever protocol it finds.
    """
    postfile = postwriter._postfile
    if not postwriter._blockcount:
        postfile.write(WHOOSH3_HEADER_MAGIC)
    postwriter._terminfo.add_block(postwriter)
    data = dumps((postwriter._mini_ids(), postwriter._mini_weights(), postwriter._mini_values()), HIGHEST_PROTOCOL)
    compression = postwriter._compression if len(data) >= COMPRESSION_MIN_SIZE else 0
    if compression:
        data = zlib.compress(data, compression)
    ids = postwriter._ids
    info = dumps((len(ids), ids[-1], postwriter._maxweight, compression,
                  length_to_byte(postwriter._minlength), length_to_byte(postwriter._maxlength)), 2)
    length = len(info) + len(data)
    postfile.write_int(-length if last else length)
    postfile.write(info)
    postfile.write(data)
    postwriter._blockcount += 1
    postwriter._new_block()


def _term_lists(reader, base: int, docmap: dict[int, int] | None) -> Iterator[tuple]:
    """The posting lists of one segment reader's live documents, renumbered
    from ``base`` (or through ``docmap``, old number to new, when the segment
    has deletions); terms left with no live posting are skipped."""
    terms = reader._terms
    postfile = terms._postfile
    schema = reader.schema
    for (fieldname, btext), info in terms.items():
        if info.is_inlined():
            ids, weights, values = (list(x) for x in info.inlined_postings())
        else:
            m = W3LeafMatcher(postfile, *info.extent(), schema[fieldname].format)
            ids, weights, values = [], [], []
            while True:
                m._read_ids()
                m._read_weights()
                m._read_values()
                ids.extend(m._ids)
                weights.extend(m._weights)
                values.extend(m._values)
                if m._lastblock:
                    break
                m._goto(m._nextoffset)
        if docmap is None:
            ids = [base + i for i in ids]
        else:
            keep = [k for k, i in enumerate(ids) if i in docmap]
            if not keep:
                continue
            if len(keep) < len(ids):
                weights = [weights[k] for k in keep]
                values = [values[k] for k in keep]
            ids = [docmap[ids[k]] for k in keep]
        yield (fieldname, btext), ids, weights, values


def live_term_lists(sources: list[tuple[object, int, dict[int, int] | None]]) -> Iterator[TermList]:
    """The merged posting lists of several segment readers, sorted by (field,
    term): ``sources`` are (reader, base, docmap) in the order their documents
    were renumbered, so one term's postings join in document order."""
    streams = [
        ((key, n, ids, weights, values) for key, ids, weights, values in _term_lists(r, base, docmap))
        for n, (r, base, docmap) in enumerate(sources)
    ]
    current = None
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    for key, _n, more_ids, more_weights, more_values in heapq.merge(*streams, key=lambda t: (t[0], t[1])):
        if key != current:
            if current is not None:
                yield current[0], current[1], ids, weights, values
            current, ids, weights, values = key, more_ids, more_weights, more_values
        else:  # lists made by _term_lists for this merge alone: extended in place
            ids.extend(more_ids)
            weights.extend(more_weights)
            values.extend(more_values)
    if current is not None:
        yield current[0], current[1], ids, weights, values
