"""BODY[HEADER], BODY[HEADER.FIELDS (...)], BODY[HEADER.FIELDS.NOT (...)] and BODY[TEXT] of a whole
message (RFC 9051 §6.4.5) are read from where its header section ends, without its MIME tree, and
from the header's own octets only; for every corpus message they are the octets the MIME tree gives
(the header with its blank line, the body after it), and the field lines are those a line-by-line
reading of the header finds."""

from __future__ import annotations

import pytest

from jmapd.imap.message_data import Section, StoredMessage, _filtered, section_bytes
from jmapd.mime.parse import HEAD_READ
from jmapd.mime.headers import header_end, split_header_block
from jmapd.mime.parse import message_start, parse_tree

LIST_VIEW = ["FROM", "TO", "CC", "SUBJECT", "DATE", "MESSAGE-ID", "REFERENCES", "IN-REPLY-TO"]
FIELD_LISTS = [LIST_VIEW, ["From", "To", "Subject", "Date", "Message-ID", "References"],
               ["content-type", "X-Mailer", "received"], ["To-Other", "t", "TO"], ["NOT A NAME", "a:b", "Ünï"]]


def line_by_line(header: bytes, fields: list[str], keep: bool) -> bytes:
    """The field lines as a reading of the header one line at a time finds them: the reference
    the search over the header must agree with (for headers without a bare CR, which this
    splitting takes for a line break)."""
    wanted = {f.lower() for f in fields}
    out = []
    current_keep = False
    for line in header.splitlines(keepends=True):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t"):
            if current_keep:
                out.append(line)
            continue
        name = line.split(b":", 1)[0].strip().decode("latin-1").lower()
        current_keep = (name in wanted) == keep
        if current_keep:
            out.append(line)
    return b"".join(out) + b"\r\n"


def headers_of(raw: bytes):
    """The message's own header section and those of the messages it carries (message/rfc822
    parts), as the MIME tree delimits them."""
    root = parse_tree(raw)
    stack = [root]
    while stack:
        part = stack.pop()
        yield part.raw[part.start:part.body_start]
        stack.extend(part.children or ())
        if part.type == "message/rfc822" and part.children is None:
            stack.append(parse_tree(part.body))


def test_top_level_sections_match_the_mime_tree(corpus):
    """RFC 9051 §6.4.5: HEADER is the header with its blank line, TEXT the body after it, and
    HEADER.FIELDS (.NOT) the field lines named (or not), read from the stored octets without a
    MIME tree; the tree and a line-by-line reading agree for every corpus message."""
    checked = 0
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        root = parse_tree(raw)
        header = root.raw[root.start:root.body_start]
        assert section_bytes(StoredMessage(raw), Section([], "HEADER")) == header, path.name
        assert section_bytes(StoredMessage(raw), Section([], "TEXT")) == root.raw[root.body_start:root.end], path.name
        for text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
            for fields in FIELD_LISTS:
                expected = line_by_line(header, fields, keep=text == "HEADER.FIELDS")
                got = section_bytes(StoredMessage(memoryview(raw)), Section([], text, fields))
                assert got == expected, (path.name, text, fields)
        checked += 1
    assert checked > 300


def test_header_fields_of_every_corpus_header_match_a_line_by_line_reading(corpus):
    """RFC 9051 §6.4.5 HEADER.FIELDS and HEADER.FIELDS.NOT of every header section in the corpus,
    nested messages' included: the same octets as the line-by-line reading, whichever way the
    header is read (found plainly well-formed, or not)."""
    plain = other = 0
    for path in sorted(corpus.rglob("*.eml")):
        for header in headers_of(path.read_bytes()):
            if b"\r" in header.replace(b"\r\n", b""):
                continue  # a bare CR: see test_a_bare_cr_stays_inside_its_line
            if header_end(header) == len(header):
                plain += 1
            else:
                other += 1
            for fields in FIELD_LISTS:
                for keep in (True, False):
                    assert _filtered(header, fields, keep) == line_by_line(header, fields, keep), (path.name, fields)
    assert plain > 400 and other > 3


FOLDED = (b"Received: from a\r\n\tby b\r\n  for c\r\nTo: one@example.com,\r\n two@example.com\r\n"
          b"To-Other: x@example.com\r\nsubject : Hi\r\nX-Thing: 1\r\nTO: three@example.com\r\n\r\n")


@pytest.mark.parametrize("header, fields, keep, expected", [
    # folded lines stay with their field; a field repeated comes each time; a name is matched
    # whole and without regard to case (TO is not TO-OTHER), WSP before the colon allowed
    (FOLDED, ["to"], True, b"To: one@example.com,\r\n two@example.com\r\nTO: three@example.com\r\n\r\n"),
    (FOLDED, ["SUBJECT", "received"], True, b"Received: from a\r\n\tby b\r\n  for c\r\nsubject : Hi\r\n\r\n"),
    (FOLDED, ["To", "Received", "Subject"], False, b"To-Other: x@example.com\r\nX-Thing: 1\r\n\r\n"),
    (FOLDED, ["t", "to-"], True, b"\r\n"),
    # LF-only lines are kept as they are; the blank line ending the result is CRLF
    (FOLDED.replace(b"\r\n", b"\n"), ["to-other", "X-THING"], True, b"To-Other: x@example.com\nX-Thing: 1\n\r\n"),
    # names with the characters of regular expressions are names like any other
    (b"X.Y: 1\r\nXzY: 2\r\nA+: 3\r\nAA: 4\r\n\r\n", ["x.y", "a+"], True, b"X.Y: 1\r\nA+: 3\r\n\r\n"),
    # a name no field can have matches nothing; lowered, the Kelvin sign is a K
    (b"A: 1\r\nK: 2\r\n\r\n", ["a b", "a:1", "\u212a"], True, b"K: 2\r\n\r\n"),
    # a header with no blank line (a message of header only), and one that is only the blank line
    (b"From: a@example.com\r\nSubject: no body", ["subject"], True, b"Subject: no body\r\n"),
    (b"\r\n", ["subject"], False, b"\r\n"),
    # a line that is no field (no colon) is read as one named by the whole line
    (b"From: a@example.com\r\nnot a field\r\nTo: b@example.com\r\n\r\n", ["to"], False,
     b"From: a@example.com\r\nnot a field\r\n\r\n"),
])
def test_header_fields_edge_cases(header, fields, keep, expected):
    """RFC 9051 §6.4.5: "the subset of [RFC-5322] header fields" named (HEADER.FIELDS) or not
    named (HEADER.FIELDS.NOT), field names matched case-insensitively, each field with its folded
    lines (RFC 5322 §2.2.3), and the blank line that ends a header section after them."""
    assert _filtered(header, fields, keep) == expected
    assert line_by_line(header, fields, keep) == expected


def test_a_bare_cr_stays_inside_its_line():
    """RFC 5322 §2.2 allows CR only before LF; a bare CR in a field is kept inside that field's
    line, as the header section's end and JMAP's header fields read it (RFC 8621 §4.1.3), and
    does not start a field of its own."""
    header = b"Subject: a\rTo: forged@example.com\r\nTo: real@example.com\r\n\r\n"
    assert _filtered(header, ["to"], True) == b"To: real@example.com\r\n\r\n"
    assert _filtered(header, ["subject"], True) == b"Subject: a\rTo: forged@example.com\r\n\r\n"
    malformed = b"Subject: a\rTo: forged\r\nnot a field\r\nTo: real\r\n\r\n"
    assert _filtered(malformed, ["to"], True) == b"To: real\r\n\r\n"


class Recording:
    """Stored octets that remember how far into them a reader looked."""

    def __init__(self, data: bytes):
        self.data = data
        self.furthest = 0

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: slice) -> bytes:
        got = self.data[index]
        self.furthest = max(self.furthest, index.indices(len(self.data))[1])
        return got

    def __bytes__(self) -> bytes:
        self.furthest = len(self.data)
        return self.data


@pytest.mark.parametrize("extra_fields", [0, 200])
def test_a_header_section_is_read_without_the_rest_of_the_message(extra_fields):
    """RFC 9051 §6.4.5 BODY[HEADER.FIELDS (...)] of a 300 KB message: only the first octets are
    read, as far as its header section needs (a longer header, further); TEXT then reads it all."""
    header = b"From: a@example.com\r\n" + b"".join(b"X-Field-%d: value\r\n" % n for n in range(extra_fields))
    raw = b"From archive-line\r\n" + header + b"Subject: big\r\n\r\n" + b"x" * 300_000
    stored = Recording(raw)
    message = StoredMessage(stored)
    assert section_bytes(message, Section([], "HEADER.FIELDS", ["subject"])) == b"Subject: big\r\n\r\n"
    assert section_bytes(message, Section([], "HEADER")) == raw[message_start(raw):raw.index(b"\r\n\r\n") + 4]
    if len(header) < HEAD_READ:
        assert stored.furthest == HEAD_READ
    else:
        assert HEAD_READ < stored.furthest < len(raw) // 4
    assert section_bytes(message, Section([], "TEXT")) == b"x" * 300_000
    assert stored.furthest == len(raw)


def test_a_malformed_header_section_is_split_as_the_mime_parser_splits_it(corpus):
    """RFC 9051 §6.4.5 HEADER of a message whose header section is not plainly well-formed (a line
    that is no field): read whole, the end is the MIME parser's (RFC 5322 §2.1)."""
    raw = b"From: a@example.com\r\nthis line is no field\r\nSubject: x\r\n\r\nbody\r\n"
    stored = Recording(raw)
    message = StoredMessage(stored)
    _, end = split_header_block(raw, 0, len(raw))
    assert message.header() == raw[:end] and not message.plain
    assert stored.furthest == len(raw)
