"""Charset and Content-Transfer-Encoding of body parts."""

from __future__ import annotations

import pytest


def _text_email(value: str, type_: str = "text/plain") -> dict:
    return {"bodyStructure": {"partId": "t", "type": type_},
            "bodyValues": {"t": {"value": value}}}


def _body(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[1]


def test_short_ascii_text_is_7bit(compose, kit):
    """RFC 2045 §2.7: ASCII text with short CRLF lines needs no encoding."""
    raw, msg = compose(_text_email("line one\nline two\n"))
    assert msg["Content-Transfer-Encoding"] in (None, "7bit")
    assert _body(raw) == b"line one\r\nline two\r\n"
    assert msg.get_content_charset() == "utf-8"


@pytest.mark.parametrize("value", ["a\r\nb\rc\nd", "a\nb\nc\nd"])
def test_line_breaks_become_crlf(compose, kit, value):
    """RFC 5322 §2.1 / RFC 8621 §4.1.4: lines end in CRLF on the wire whatever
    the bodyValues value used; LF, CR and CRLF are all line breaks."""
    raw, msg = compose(_text_email(value))
    assert _body(raw) == b"a\r\nb\r\nc\r\nd"
    assert kit.text_of(msg) == "a\nb\nc\nd"


def test_long_line_is_quoted_printable(compose, kit):
    """RFC 5322 §2.1.1: lines SHOULD be at most 78 characters; a longer line of
    text is carried as quoted-printable (RFC 2045 §6.7, at most 76 per line)."""
    value = "This paragraph was typed without line breaks. " * 60 + "\nshort\n"
    raw, msg = compose(_text_email(value))
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert all(len(line) <= 76 for line in _body(raw).split(b"\r\n"))
    assert kit.text_of(msg) == value


def test_very_long_word_is_quoted_printable(compose, kit):
    """RFC 5322 §2.1.1 MUST: a 5000-octet line cannot be sent as is."""
    value = "x" * 5000
    raw, msg = compose(_text_email(value))
    assert max(len(line) for line in _body(raw).split(b"\r\n")) <= 76
    assert kit.text_of(msg) == value


def test_mostly_latin_text_is_quoted_printable(compose, kit):
    """RFC 2045 §6.8: base64 suits data, quoted-printable mostly-ASCII text."""
    value = "Grüße aus Köln, schöne Tage wünsche ich euch allen!\n"
    raw, msg = compose(_text_email(value))
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert b"Gr=C3=BC=C3=9Fe" in raw
    assert kit.text_of(msg) == value


def test_mostly_non_latin_text_is_base64(compose, kit):
    """RFC 2045 §6.8: text that is mostly 8-bit is smaller in base64."""
    value = "東京では毎日新しい発見があります。" * 10
    raw, msg = compose(_text_email(value))
    assert msg["Content-Transfer-Encoding"] == "base64"
    assert kit.text_of(msg) == value


def test_trailing_white_space_survives(compose, kit):
    """RFC 2045 §6.7 rule 3: quoted-printable protects trailing white space."""
    value = "ünd trailing space   \nand tab\t\n"
    _, msg = compose(_text_email(value))
    assert kit.text_of(msg) == value


def test_html_gets_utf8_charset(compose, kit):
    """RFC 8621 §4.6: the server chooses the charset of bodyValues text."""
    _, msg = compose(_text_email("<p>naïve café</p>", "text/html"))
    assert msg.get_content_type() == "text/html"
    assert msg.get_content_charset() == "utf-8"
    assert kit.text_of(msg) == "<p>naïve café</p>"


def test_other_text_types_from_body_values(compose, kit):
    """RFC 8621 §4.1.4: bodyValues hold text/* parts of any subtype."""
    ics = "BEGIN:VCALENDAR\nSUMMARY:Réunion\nEND:VCALENDAR\n"
    _, msg = compose(_text_email(ics, "text/calendar"))
    assert msg.get_content_type() == "text/calendar"
    assert kit.text_of(msg) == ics


def test_blob_attachments_are_base64_and_byte_identical(compose, kit, blobs):
    """RFC 8621 §4.1.4: a part's blob is its octets after transfer decoding, so
    the attachment must decode to exactly the uploaded blob."""
    raw, msg = compose({"attachments": [
        {"blobId": "Gpdf", "type": "application/pdf"},
        {"blobId": "Gpng", "type": "image/png"},
    ]})
    pdf, png = msg.iter_parts()
    for part, blob in ((pdf, blobs["Gpdf"]), (png, blobs["Gpng"])):
        assert part["Content-Transfer-Encoding"] == "base64"
        assert part.get_payload(decode=True) == blob
        assert max(len(line) for line in part.get_payload().splitlines()) <= 76


def test_text_blob_keeps_its_octets_and_given_charset(compose, kit):
    """RFC 8621 §4.6: with a blobId the client may give the charset; the
    blob's octets (here Latin-1 with bare LF) must come back unchanged."""
    latin1 = "Café crème\nà bientôt\n".encode("latin-1")
    from jmapd.mime.compose import compose_email

    raw = compose_email(
        {"attachments": [{"blobId": "L", "type": "text/plain", "charset": "iso-8859-1",
                          "name": "note.txt"}]},
        {"L": latin1}.get, hostname=kit.HOST, now=kit.NOW,
    )
    kit.assert_wire_format(raw)
    part = kit.parse(raw)
    assert part.get_content_charset() == "iso-8859-1"
    assert part.get_payload(decode=True) == latin1
    assert part.get_content() == "Café crème\nà bientôt\n"


def test_utf8_text_blob_without_charset_is_labelled_utf8(compose, kit, blobs):
    """RFC 2045 §5.2: a text part without charset means US-ASCII, which would
    misrepresent a UTF-8 blob; label it."""
    _, msg = compose({"attachments": [{"blobId": "Gtxt", "type": "text/plain"}]})
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content() == blobs["Gtxt"].decode()


def test_attached_message_is_not_base64(compose, kit):
    """RFC 2046 §5.2.1: message/rfc822 may only be 7bit, 8bit or binary; it
    is written with CRLF line breaks (RFC 5322 §2.1)."""
    inner = "Subject: über\nFrom: a@example.com\n\nInhalt\n".encode()
    from jmapd.mime.compose import compose_email

    raw = compose_email(
        {"bodyStructure": {"blobId": "M", "type": "message/rfc822"}},
        {"M": inner}.get, hostname=kit.HOST, now=kit.NOW,
    )
    kit.assert_wire_format(raw)
    msg = kit.parse(raw)
    assert msg["Content-Transfer-Encoding"] == "8bit"
    assert _body(raw) == inner.replace(b"\n", b"\r\n")
    assert msg.get_content()["Subject"] == "über"


def test_every_line_of_a_rich_message_fits(compose, kit):
    """RFC 5322 §2.1.1: no line of the whole message exceeds 998 octets, and
    header lines stay within 78 characters when they can be folded."""
    email = {
        "from": [{"name": "Ä" * 200, "email": "a@example.com"}],
        "to": [{"name": f"Name {i}", "email": f"n{i}@example.com"} for i in range(50)],
        "subject": "Ö" * 500,
        "header:X-Long:asText": "y" * 3000,
        "textBody": [{"partId": "t"}],
        "attachments": [{"blobId": "Gpdf", "name": "é" * 300}],
        "bodyValues": {"t": {"value": "z" * 3000}},
    }
    raw, msg = compose(email)
    assert all(len(line) <= 78 for line in kit.all_header_lines(raw))
    assert msg["Subject"] == "Ö" * 500
    assert msg["X-Long"] == "y" * 3000
    assert list(msg.iter_parts())[1].get_filename() == "é" * 300
