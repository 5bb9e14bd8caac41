"""Every corpus message parses, and every API returns JSON-serialisable data for it.

RFC 8621 §4.1.2.3: "Parsing SHOULD be best effort in the face of invalid structure".
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from jmapd.mime import CONVENIENCE_HEADERS, form_allowed, parse_message, summarize

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
FILES = sorted(CORPUS.rglob("*.eml")) if CORPUS.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason="mail corpus not available")

EMAIL_PROPS = list(CONVENIENCE_HEADERS) + [
    "headers", "bodyStructure", "textBody", "htmlBody", "attachments", "hasAttachment", "preview",
]
ALL_BODY_PROPS = [
    "partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language",
    "location", "headers", "subParts", "header:Content-Type:asText",
]


def test_corpus_size():
    """The corpus README promises 363 messages."""
    assert len(FILES) == 363


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
def test_message_parses_and_serialises(path):
    """RFC 8621 §4.1: every property and API result is JSON data, for every message."""
    raw = path.read_bytes()
    msg = parse_message(raw, "Bx")
    out = msg.properties(EMAIL_PROPS)
    out["bodyStructureAll"] = msg.body_structure(ALL_BODY_PROPS)
    out["bodyValues"] = msg.body_values(msg.body_value_part_ids(fetch_all=True), 64)
    out["fullValues"] = msg.body_values(msg.body_value_part_ids(fetch_text=True, fetch_html=True))
    for h in {h["name"] for h in out["headers"]}:
        for form in ("Raw", "Text", "Addresses", "GroupedAddresses", "MessageIds", "Date", "URLs"):
            if form_allowed(h, form):
                out[f"header:{h}:as{form}:all"] = msg.header(h, form, all=True)
    json.dumps(out, ensure_ascii=False).encode("utf-8")  # no lone surrogates either
    assert len(out["preview"]) <= 256
    for v in out["bodyValues"].values():
        assert len(v["value"].encode("utf-8")) <= 64
    leaves = {p["partId"] for p in out["textBody"] + out["htmlBody"] + out["attachments"]}
    for pid in leaves:
        data, ctype, name = msg.part_content(pid)
        assert isinstance(data, bytes) and isinstance(ctype, str)
    msgspec.msgpack.decode(msgspec.msgpack.encode(summarize(msg)))
    json.dumps(msgspec.to_builtins(summarize(msg)))


def test_header_section_alone_gives_the_parsed_forms():
    """RFC 8621 §4.1.2 header forms, read from the header section alone (what a `header` filter
    reads of every message, §4.4.1), equal the parsed message's for every field of every corpus
    message; only fields with 8-bit octets, whose forms depend on the body's charsets, defer."""
    from jmapd.mime.message import top_header

    deferred = 0
    for path in FILES:
        raw = path.read_bytes()
        msg = parse_message(raw, "Bx")
        for name in {n for n, _ in msg.root.headers} | {"X-Absent"}:
            for form in ("Raw", "Text", "MessageIds", "Addresses"):
                alone = top_header(raw, name, form)
                if alone is None:
                    assert form != "Raw" and not all(v.isascii() for v in msg._values(name))
                    deferred += 1
                else:
                    assert alone == msg.header(name, form, all=True), (path, name, form)
    assert deferred  # the corpus has 8-bit header fields


def test_plain_address_lists_read_alike_across_the_corpus():
    """RFC 8621 §4.1.2.4: every header value of the corpus that the plain-list reader takes gives
    the groups the tokenizer gives (and the corpus has many such values)."""
    from jmapd.mime.addresses import _plain_groups, _read_groups
    from jmapd.mime.headers import unfold

    taken = 0
    for path in FILES:
        for _, value in parse_message(path.read_bytes(), "Bx").root.headers:
            text = unfold(value)
            fast = _plain_groups(text)
            if fast is not None:
                taken += 1
                assert fast == _read_groups(text), (path, text)
    assert taken > 1000
