"""RFC 8621 §4.1.4 bodyValues and part contents: decoding, isEncodingProblem, truncation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from jmapd.mime import parse_message
from jmapd.mime.bodies import truncate_utf8


def single(ctype: str, body: bytes, cte: str | None = None):
    head = f"Subject: t\r\nContent-Type: {ctype}\r\n"
    if cte:
        head += f"Content-Transfer-Encoding: {cte}\r\n"
    return parse_message(head.encode() + b"\r\n" + body, "B")


def value(msg, max_bytes=None):
    return msg.body_values(["1"], max_bytes)["1"]


def test_crlf_becomes_lf():
    """RFC 8621 §4.1.4 EmailBodyValue.value: any CRLF is replaced with a single LF."""
    assert value(single("text/plain", b"a\r\nb\r\n")) == {
        "value": "a\nb\n",
        "isEncodingProblem": False,
        "isTruncated": False,
    }


@pytest.mark.parametrize(
    "charset, data, text",
    [
        ("koi8-r", "Привет".encode("koi8-r"), "Привет"),
        ("windows-1251", "Привет".encode("cp1251"), "Привет"),
        ("iso-8859-2", "żółw".encode("iso-8859-2"), "żółw"),
        ("gb2312", "你好".encode("gb2312"), "你好"),
        ("ISO-8859-1", "café".encode("latin-1"), "café"),
        ('"utf-8"', "café".encode(), "café"),
    ],
)
def test_charset_decoding(charset, data, text):
    """RFC 8621 §4.1.4: the value is decoded with the Content-Type charset when known."""
    got = value(single(f"text/plain; charset={charset}", data))
    assert got["value"] == text and got["isEncodingProblem"] is False


def test_unknown_charset_is_problem():
    """RFC 8621 §4.1.4 isEncodingProblem: true if the charset was unknown; the value is still
    a best-effort decoding."""
    got = value(single("text/plain; charset=fakescii", b"hello"))
    assert got == {"value": "hello", "isEncodingProblem": True, "isTruncated": False}


def test_malformed_utf8_is_problem_with_replacement():
    """RFC 8621 §4.1.4: malformed sections set isEncodingProblem; U+FFFD is inserted and decoding
    continues."""
    got = value(single("text/plain; charset=utf-8", "é ok ".encode() + b"\xff end"))
    assert got["value"] == "é ok \ufffd end" and got["isEncodingProblem"] is True


def test_latin1_mislabelled_utf8_uses_heuristic():
    """RFC 8621 §4.1.4: the server MAY use heuristics when it believes the charset is wrong;
    it still reports the encoding problem."""
    got = value(single("text/plain; charset=utf-8", b"caf\xe9"))
    assert got["value"] == "café" and got["isEncodingProblem"] is True


def test_undeclared_utf8_is_read_as_utf8():
    """RFC 8621 §4.1.4: with no charset given the server MAY use heuristics; valid UTF-8 is
    decoded as such without a problem."""
    got = value(single("text/plain", "naïve".encode()))
    assert got == {"value": "naïve", "isEncodingProblem": False, "isTruncated": False}


def test_unknown_transfer_encoding_is_problem_and_identity():
    """RFC 8621 §4.1.4: an unknown Content-Transfer-Encoding is treated as none (blobId) and
    sets isEncodingProblem."""
    msg = single("text/plain", b"=41bc", "x-martian")
    assert value(msg) == {"value": "=41bc", "isEncodingProblem": True, "isTruncated": False}
    assert msg.part_content("1")[0] == b"=41bc"


def test_bad_base64_is_problem():
    """RFC 8621 §4.1.4: malformed base64 is decoded as far as possible and flagged."""
    got = value(single("text/plain", b"aGVsbG8*gd29y\r\nbGQ", "base64"))
    assert got["value"] == "hello world" and got["isEncodingProblem"] is True


def test_good_base64_and_qp():
    """RFC 2045 §6.7, §6.8: quoted-printable (with soft line breaks) and base64 decode cleanly."""
    assert value(single("text/plain; charset=utf-8", b"caf=C3=A9 =\r\nlong", "quoted-printable")) == {
        "value": "café long",
        "isEncodingProblem": False,
        "isTruncated": False,
    }
    assert value(single("text/plain", b"aGVs\r\nbG8=\r\n", "Base64"))["value"] == "hello"


def test_bad_quoted_printable_is_problem_but_kept():
    """RFC 2045 §6.7 note: an "=" not followed by two hex digits is kept literally; RFC 8621
    §4.1.4 reports the malformed section."""
    got = value(single("text/plain", b"100=% sure =ZZ", "quoted-printable"))
    assert got["value"] == "100=% sure =ZZ" and got["isEncodingProblem"] is True


def test_size_is_decoded_size():
    """RFC 8621 §4.1.4 size: octets after transfer decoding, i.e. the blob's length."""
    msg = single("application/octet-stream", b"AAECAwQ=\r\n", "base64")
    part = msg.body_structure()
    assert part["size"] == 5
    assert msg.part_content("1") == (b"\x00\x01\x02\x03\x04", "application/octet-stream", None)


def test_non_text_parts_have_no_body_value():
    """RFC 8621 §4.1.4 bodyValues: only text/* parts have values."""
    msg = single("image/png", b"xx")
    assert msg.body_values(["1", "99"]) == {}


# -- truncation -----------------------------------------------------------------------------


def test_truncation_never_splits_a_character():
    """RFC 8621 §4.2 maxBodyValueBytes: the value must not exceed the limit in UTF-8 octets,
    must be valid UTF-8 and must not cut mid-codepoint."""
    msg = single("text/plain; charset=utf-8", "aé€😀b".encode())  # 1+2+3+4+1 octets
    expect = {1: "a", 2: "a", 3: "aé", 4: "aé", 5: "aé", 6: "aé€", 9: "aé€", 10: "aé€😀", 11: "aé€😀b"}
    for limit, text in expect.items():
        got = value(msg, limit)
        assert got["value"] == text, limit
        assert got["isTruncated"] is (limit < 11)
        assert len(got["value"].encode()) <= limit


def test_truncation_zero_means_no_limit():
    """RFC 8621 §4.2: maxBodyValueBytes 0 (the default) means no truncation."""
    msg = single("text/plain", b"abc")
    assert value(msg, 0)["isTruncated"] is False


def test_truncation_html_not_inside_tag():
    """RFC 8621 §4.2: for text/html the server SHOULD NOT truncate inside a tag."""
    msg = single("text/html", b'<p>Hello <a href="https://example.com">x</a></p>')
    got = value(msg, 20)
    assert got == {"value": "<p>Hello ", "isEncodingProblem": False, "isTruncated": True}


def test_truncation_counts_after_crlf_normalisation():
    """RFC 8621 §4.2: the limit applies to the value returned (LF line ends)."""
    msg = single("text/plain", b"ab\r\ncd")
    assert value(msg, 5) == {"value": "ab\ncd", "isEncodingProblem": False, "isTruncated": False}


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=1, max_value=64))
def test_truncate_utf8_property(text, limit):
    """RFC 8621 §4.2: for any text and limit the result is a prefix, valid UTF-8, within the
    limit, and maximal (the next character would not fit)."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # no lone surrogates
    out, truncated = truncate_utf8(text, limit)
    data = out.encode("utf-8")
    assert text.startswith(out)
    assert len(data) <= limit
    assert truncated is (out != text)
    if truncated:
        assert len(data) + len(text[len(out)].encode("utf-8")) > limit
