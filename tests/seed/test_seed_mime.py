"""Every message must be well-formed and the MIME mix must really be mixed.

These are not conformance tests of a server; they guard the dataset, so that a
benchmark failure means the server tripped, not that the generator produced
junk.  Python's ``email`` package with ``policy.default`` is the reference
reader because it records defects instead of failing (see conftest.census).
"""

from __future__ import annotations

import email.utils
import re

from jmapd.seed.headers import parse_rfc3339


def test_every_message_parses_without_defects(census):
    """Guards RFC 5322 / RFC 2045 syntax: no part and no header may carry a parse defect."""
    assert census.defects == []


def test_required_fields_and_dates(dataset, census):
    """Guards RFC 5322 section 3.6 (one Message-ID, Date, From) and Date/receivedAt consistency.

    Received mail is dated up to ten minutes before it arrives; owner-written mail
    at the moment it was filed.  A Date after receivedAt would make sorting by
    either field disagree more than real mail does.
    """
    for m, h in zip(dataset.messages, census.headers):
        assert h["message-id"] == [f"<{m.message_id}>"]
        assert len(h["from"]) == 1 and "@" in h["from"][0]
        assert len(h["date"]) == 1
        date = email.utils.parsedate_to_datetime(h["date"][0])
        delta = parse_rfc3339(m.received_at) - int(date.timestamp())
        assert 0 <= delta <= 610, (m.message_id, delta)


def test_wire_format(dataset):
    """Guards RFC 5322 section 2.1: CRLF only, ASCII header section, lines within 998 octets."""
    for m in dataset.messages:
        raw = m.raw
        assert raw.count(b"\n") == raw.count(b"\r\n"), m.message_id
        assert b"\r\r" not in raw
        assert raw.split(b"\r\n\r\n", 1)[0].isascii()
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_mime_structure_mix(census):
    """Guards the variety a parser benchmark needs (RFC 2045/2046 structures and encodings)."""
    top, parts, cte = census.top_types, census.part_types, census.encodings
    n = sum(top.values())
    assert top["text/plain"] > n * 0.15
    assert top["multipart/alternative"] > n * 0.25
    assert top["multipart/mixed"] > n * 0.05
    assert parts["multipart/related"] >= 3
    assert parts["message/rfc822"] >= 1
    assert parts["application/pdf"] >= 3 and parts["image/png"] >= 3
    assert parts["text/x-diff"] >= 1
    for enc in ("quoted-printable", "base64", "8bit", "7bit"):
        assert cte[enc] >= 5, enc


def test_non_ascii_headers(dataset, census):
    """Guards RFC 2047 coverage: UTF-8 and ISO-8859-1 encoded words, B and Q, many scripts."""
    heads = [m.raw.split(b"\r\n\r\n", 1)[0] for m in dataset.messages]
    assert sum(b"=?UTF-8?B?" in h for h in heads) >= 10
    assert sum(b"=?UTF-8?Q?" in h for h in heads) >= 5
    assert sum(b"=?ISO-8859-1?Q?" in h for h in heads) >= 5
    subjects = " ".join(s for h in census.headers for s in h.get("subject", []))
    names = " ".join(s for h in census.headers for s in h["from"])
    assert re.search("[\u0400-\u04ff]", subjects), "Cyrillic subject"
    assert re.search("[\u4e00-\u9fff]", subjects), "Chinese subject"
    assert re.search("[\u3040-\u30ff]", subjects), "Japanese subject"
    assert re.search("[àáâäçèéêëíîïñóôöúûüßåøæ]", subjects + names), "accented Latin"
    assert re.search("[\u0400-\u04ff\u4e00-\u9fff]", names), "non-Latin display name"


def test_non_ascii_bodies_and_filenames(census):
    """Guards decoded non-ASCII text bodies and RFC 2231 attachment names (RFC 2231 sections 3-4)."""
    assert census.non_ascii_plain >= 20
    assert census.latin1_plain >= 1
    non_ascii = [n for n in census.filenames if not n.isascii()]
    assert len(non_ascii) >= 2, non_ascii
    assert all("\ufffd" not in n for n in non_ascii)


def test_binary_attachments_carry_their_magic(census):
    """Guards content sniffing: decoded bytes start like the declared type (base64, RFC 2045 6.8)."""
    assert census.magic_failed == []
    assert census.magic_checked >= 10
