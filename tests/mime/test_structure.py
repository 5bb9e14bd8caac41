"""MIME structure edge cases: RFC 2045/2046 defaults and best-effort parsing (RFC 8621 §4.1.4)."""

from __future__ import annotations

import pytest

from jmapd.mime import part_blob_id, parse_message, split_part_blob_id
from jmapd.mime.params import parse_content_type, parse_disposition
from jmapd.mime.parse import MAX_PARTS


def types(msg):
    out = []

    def walk(p):
        out.append((p["partId"], p["type"]))
        for c in p.get("subParts") or []:
            walk(c)

    walk(msg.body_structure())
    return out


def test_missing_content_type_defaults():
    """RFC 8621 §4.1.4 type/charset: no Content-Type means text/plain with implicit us-ascii."""
    msg = parse_message(b"Subject: x\n\nhello\n", "B")
    assert msg.body_structure(["partId", "type", "charset", "size"]) == {
        "partId": "1",
        "type": "text/plain",
        "charset": "us-ascii",
        "size": 6,
    }


def test_charset_null_for_non_text_and_kept_as_written():
    """RFC 8621 §4.1.4 charset: null when Content-Type is present but not text/*; otherwise the
    parameter value as written."""
    msg = parse_message(
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: image/png\n\nx\n"
        b"--b\nContent-Type: text/plain; charset=ISO-8859-1\n\ny\n--b--\n",
        "B",
    )
    parts = msg.body_structure(["charset"])["subParts"]
    assert [p["charset"] for p in parts] == [None, "ISO-8859-1"]


def test_digest_default_is_message_rfc822():
    """RFC 8621 §4.1.4 type (RFC 2046 §5.1.5): parts of multipart/digest default to message/rfc822."""
    msg = parse_message(
        b"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d--\n", "B"
    )
    assert types(msg) == [(None, "multipart/digest"), ("1", "message/rfc822")]
    assert msg.part_content("1")[0] == b"Subject: one\n\nbody"


def test_invalid_content_type_is_text_plain():
    """RFC 2045 §5.2: a syntactically invalid Content-Type is treated as text/plain."""
    msg = parse_message(b"Content-Type: <html>\n\nhi\n", "B")
    assert msg.body_structure(["type", "charset"]) == {"type": "text/plain", "charset": "us-ascii"}


def test_type_and_disposition_lowercased_without_params():
    """RFC 8621 §4.1.4 type/disposition: CFWS removed and parameters stripped."""
    msg = parse_message(
        b'Content-Type: Text/HTML (comment); charset="utf-8"\nContent-Disposition: INLINE; filename=a.html\n\nx', "B"
    )
    assert msg.body_structure(["type", "disposition", "name"]) == {
        "type": "text/html",
        "disposition": "inline",
        "name": "a.html",
    }


def test_cid_language_location():
    """RFC 8621 §4.1.4 cid (brackets and CFWS removed), language (RFC 3282 list) and location."""
    msg = parse_message(
        b"Content-Type: image/png\nContent-ID: <img1@example.com> (logo)\n"
        b"Content-Language: en, de (German)\nContent-Location: http://example.com/\n a.png\n\nx",
        "B",
    )
    assert msg.body_structure(["cid", "language", "location"]) == {
        "cid": "img1@example.com",
        "language": ["en", "de"],
        "location": "http://example.com/a.png",
    }


def test_absent_optional_fields_are_null():
    """RFC 8621 §4.1.4: name, disposition, cid, language, location are null when absent."""
    msg = parse_message(b"Content-Type: text/plain\n\nx", "B")
    bs = msg.body_structure()
    assert [bs[k] for k in ("name", "disposition", "cid", "language", "location")] == [None] * 5


def test_name_prefers_filename_then_type_name():
    """RFC 8621 §4.1.4 name: the Content-Disposition filename, else the Content-Type name."""
    a = parse_message(b'Content-Type: application/pdf; name="t.pdf"\nContent-Disposition: attachment; filename="d.pdf"\n\nx', "B")
    b = parse_message(b'Content-Type: application/pdf; name="t.pdf"\nContent-Disposition: attachment\n\nx', "B")
    assert a.body_structure(["name"])["name"] == "d.pdf"
    assert b.body_structure(["name"])["name"] == "t.pdf"


def test_mbox_from_line_and_lf_endings():
    """RFC 8621 §4.1.2.3 best effort: a leading mbox "From " line is not a header field."""
    msg = parse_message(b"From someone@example.com Fri Mar 30 07:10:04 2001\nSubject: s\n\nbody\n", "B")
    assert msg.headers == [{"name": "Subject", "value": " s"}]
    assert msg.properties(["subject"]) == {"subject": "s"}


def test_delimiter_line_break_belongs_to_boundary():
    """RFC 2046 §5.1.1: the CRLF before a boundary delimiter is part of the delimiter."""
    msg = parse_message(b"Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\n\r\nA\r\n\r\n--b--\r\nepilogue", "B")
    assert msg.part_content("1")[0] == b"A\r\n"


def test_similar_boundary_does_not_split_nested():
    """RFC 2046 §5.1.1: a delimiter line is the boundary plus optional "--" and white space only,
    so a nested boundary that extends the outer one does not end a part."""
    msg = parse_message(
        b"Content-Type: multipart/mixed; boundary=X\n\n--X\n\none\n--X\nContent-Type: multipart/alternative; boundary=X_alt\n\n"
        b"--X_alt\n\ntwo\n--X_alt\nContent-Type: text/html\n\nthree\n--X_alt--\n--X--\n",
        "B",
    )
    assert types(msg) == [
        (None, "multipart/mixed"),
        ("1", "text/plain"),
        (None, "multipart/alternative"),
        ("2", "text/plain"),
        ("3", "text/html"),
    ]


def test_missing_close_delimiter():
    """RFC 8621 §4.1.2.3 best effort: without a close delimiter the last part runs to the end;
    a trailing empty part after a final plain delimiter is not a part."""
    msg = parse_message(b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nA\n--b\n\nB\n--b\n\n", "B")
    assert [p["partId"] for p in msg.body_structure()["subParts"]] == ["1", "2"]
    assert msg.part_content("2")[0] == b"B"


def test_multipart_without_boundary_is_one_text_part():
    """Best effort (RFC 8621 §4.1.2.3): a multipart with no usable boundary keeps its content
    visible as a single text/plain part instead of an empty multipart."""
    msg = parse_message(b"Content-Type: multipart/mixed\n\njust text\n", "B")
    assert types(msg) == [("1", "text/plain")]
    assert msg.text_body(["partId"]) == [{"partId": "1"}]


def test_missing_header_separator():
    """Best effort: a line that is not a header field starts the body when no blank line came."""
    msg = parse_message(b"Subject: s\nThis is body text\nmore\n", "B")
    assert msg.headers == [{"name": "Subject", "value": " s"}]
    assert msg.body_values(["1"])["1"]["value"] == "This is body text\nmore\n"


def test_unindented_continuation_between_fields():
    """Best effort: a non-field line followed by more fields is a continuation that lost its
    indentation (so Content-Type parameters on it still count)."""
    msg = parse_message(b'Content-Type: application/zip;\nname="a.zip"\nContent-Transfer-Encoding: base64\n\nAAAA\n', "B")
    assert msg.body_structure(["type", "name", "size"]) == {"type": "application/zip", "name": "a.zip", "size": 3}


def test_part_headers_and_header_properties():
    """RFC 8621 §4.1.4: parts support "headers" and header:{name}:as{form} body properties."""
    msg = parse_message(b"Content-Type: text/plain\nX-Note: =?utf-8?q?hi?=\n\nx", "B")
    assert msg.body_structure(["headers", "header:x-note:asText", "header:X-Note:all"]) == {
        "headers": [{"name": "Content-Type", "value": " text/plain"}, {"name": "X-Note", "value": " =?utf-8?q?hi?="}],
        "header:x-note:asText": "hi",
        "header:X-Note:all": [" =?utf-8?q?hi?="],
    }


def test_blob_id_helpers():
    """RFC 8621 §4.1.4 blobId: a leaf's blob id is derived from the message blob id and partId."""
    assert part_blob_id("Gabc_1", "12") == "Gabc_1_12"
    assert split_part_blob_id("Gabc_1_12") == ("Gabc_1", "12")
    assert split_part_blob_id("Gabc") is None
    msg = parse_message(b"x", "M")
    assert msg.part_content("1") is not None and msg.part_content("2") is None


@pytest.mark.parametrize(
    "raw",
    [b"", b"\n", b"\r\n\r\n", b"From \n", b":::", b"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n",
     b"Content-Type: multipart/mixed; boundary=a\n\n--a--\n", b"\x00\xff\xfe" * 50, b"Subject: =?utf-8?b?====?=\n\n"],
)
def test_degenerate_inputs_never_raise(raw):
    """RFC 8621 §4.1.2.3: parsing is best effort; any octets give an Email."""
    msg = parse_message(raw, "B")
    msg.properties(["subject", "from", "sentAt", "preview", "hasAttachment", "bodyStructure", "textBody", "htmlBody", "attachments", "headers"])
    msg.body_values(msg.body_value_part_ids(fetch_all=True), 10)


def _entities(root) -> int:
    count, stack = 0, [root]
    while stack:
        part = stack.pop()
        count += 1
        stack.extend(part.children or ())
    return count


def test_the_number_of_parts_is_bounded():
    """Best effort on hostile input (RFC 2046 §5.1.1 sets no bound on body parts): a message is
    split into at most MAX_PARTS entities, the last keeping what its multipart holds beyond them,
    unsplit; however the parts nest, and with the parts before the bound as they are."""
    part = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    raw = (b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           + part * (MAX_PARTS + 500) + b"--b--\r\n")
    root = parse_message(raw, "B").root
    assert _entities(root) == MAX_PARTS and len(root.children) == MAX_PARTS - 1
    assert root.children[-2].body == b"x"
    assert root.children[-1].body.count(b"--b\r\n") == 501 and root.children[-1].children is None

    def nest(level: int) -> bytes:  # each level: a multipart of 400 parts, the first nesting again
        if level == 40:
            return b"Content-Type: text/plain\r\n\r\nleaf"
        b = f"b{level}".encode()
        return (b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n" + nest(level + 1)
                + (b"\r\n--" + b + b"\r\nContent-Type: text/plain\r\n\r\nx") * 400 + b"\r\n--" + b + b"--\r\n")

    assert _entities(parse_message(b"From: a@example.org\r\n" + nest(0), "N").root) == MAX_PARTS
    assert _entities(parse_message(b"From: a@example.org\r\n" + nest(30), "S").root) == 1 + 10 * 401


def test_deep_nesting_is_bounded():
    """Best effort on hostile input: absurd nesting depth neither raises nor recurses unboundedly."""
    depth = 500
    raw = b"".join(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n".encode() for i in range(depth)) + b"\nleaf\n"
    msg = parse_message(raw, "B")
    assert msg.text_body(["partId"]) == [{"partId": "1"}] or msg.text_body(["partId"]) == []
    msg.body_structure()


# -- RFC 2231 / RFC 2047 parameters ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("attachment; filename*=iso-8859-1'en'%A3%20rates.txt", "£ rates.txt"),
        ("attachment; filename*0*=utf-8''%E2%82%AC%20; filename*1=\"rates\"; filename*2=.pdf", "€ rates.pdf"),
        ("attachment; filename*1=\"b.txt\"; filename*0=\"a\"", "ab.txt"),
        ("attachment; filename*0*=koi8-r''%F0%D2%C9; filename*1*=%CD%C5%D2.doc", "Пример.doc"),
        ("attachment; filename=\"=?koi8-r?B?8NLJzcXS?=.doc\"", "Пример.doc"),
        ("attachment; filename=\"plain.txt\"; filename*=utf-8''%C3%A9.txt", "é.txt"),
    ],
)
def test_rfc2231_filenames(value, expected):
    """RFC 8621 §4.1.4 name: the filename parameter decoded per RFC 2231 (charset, language,
    continuations in any order); RFC 2047 encoded words in names are decoded for compatibility."""
    disp, params = parse_disposition(value)
    assert disp == "attachment" and params["filename"] == expected


def test_params_quoting_and_duplicates():
    """RFC 2045 §5.1: quoted-strings may hold ';' and quoted-pairs; tspecials unquoted are tolerated;
    the first of duplicated parameters wins."""
    assert parse_content_type('application/x; name="a\\"b;c"; x=y') == ("application/x", {"name": 'a"b;c', "x": "y"})
    assert parse_content_type("text/calendar; method=text/calendar") == ("text/calendar", {"method": "text/calendar"})
    assert parse_content_type("text/plain; charset=utf-8; charset=latin1")[1] == {"charset": "utf-8"}
    assert parse_content_type('text/plain; charset="us-ascii" (Plain text)')[1] == {"charset": "us-ascii"}


def test_rfc2231_section_example():
    """RFC 2231 §4.1: encoded and unencoded sections mix; only the first carries charset'lang'."""
    value = (
        "text/plain; charset=us-ascii; title*0*=\"us-ascii'en'This%20is%20even%20more%20\"; "
        "title*1*=\"%2A%2A%2Afun%2A%2A%2A%20\"; title*2=\"isn't it!\""
    )
    assert parse_content_type(value)[1]["title"] == "This is even more ***fun*** isn't it!"


def test_header_end_agrees_with_the_header_splitter(corpus):
    """RFC 5322 §2.1: the header section ends at the first empty line. `header_end`, the quick
    reading for plainly well-formed sections, ends it where `split_header_block` does for every
    corpus message it reads, and on any shorter prefix of the message it gives that offset or
    nothing, never another."""
    from jmapd.mime.headers import header_end, split_header_block
    from jmapd.mime.parse import message_start

    read = 0
    for path in sorted(corpus.rglob("*.eml")):
        raw = path.read_bytes()
        start = message_start(raw)
        end = header_end(raw, start)
        if end is None:
            continue
        read += 1
        assert end == split_header_block(raw, start, len(raw))[1], path.name
        for cut in range(start, end + 2, 7):
            assert header_end(raw[:cut], start) in (None, end), (path.name, cut)
    assert read > 350
    assert header_end(b"From: a\r\nnot a field\r\n\r\n") is None
    assert header_end(b"From: a\r\n folded\r\nTo: b\n\nbody") == len(b"From: a\r\n folded\r\nTo: b\n\n")
