"""BODY[HEADER], BODY[HEADER.FIELDS (...)], BODY[HEADER.FIELDS.NOT (...)] and BODY[TEXT] of a whole
message (RFC 9051 §6.4.5) are read from where its header section ends, without its MIME tree; for
every corpus message they are the octets the MIME tree gives (the header with its blank line, the
body after it)."""

from __future__ import annotations

from jmapd.imap.message_data import Section, _filtered, section_bytes
from jmapd.mime.parse import parse_tree


def section_bytes_of_tree(root, section: Section) -> bytes:
    """The field lines of the root's header as its MIME tree delimits it."""
    return _filtered(root.raw[root.start:root.body_start], section.fields, keep=section.text == "HEADER.FIELDS")


def test_top_level_sections_match_the_mime_tree(corpus):
    fields = ["From", "To", "Subject", "Date", "Message-ID", "References"]
    checked = 0
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        root = parse_tree(raw)
        header = root.raw[root.start:root.body_start]
        assert section_bytes(raw, Section([], "HEADER")) == header, path.name
        assert section_bytes(raw, Section([], "TEXT")) == root.raw[root.body_start:root.end], path.name
        for text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
            through_tree = section_bytes_of_tree(root, Section([], text, fields))
            assert section_bytes(raw, Section([], text, fields)) == through_tree, (path.name, text)
        checked += 1
    assert checked > 300
