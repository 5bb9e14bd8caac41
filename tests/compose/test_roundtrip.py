"""Generated inputs: what is composed reads back the same (RFC 8621 §4.1)."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jmapd.mime.compose import compose_email

# Text as a user types it: any printable character, spaces, line breaks in
# bodies.  Control characters are dropped by readers (RFC 8621 §4.1.2.2).
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
LINE = st.text(PRINTABLE, max_size=120)
BODY = st.text(st.one_of(PRINTABLE, st.sampled_from("\n\r\t ")), max_size=3000)

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _compose(kit, email: dict, blobs: dict[str, bytes] | None = None):
    raw = compose_email(email, (blobs or {}).get, hostname=kit.HOST, now=kit.NOW)
    kit.assert_wire_format(raw)
    return raw, kit.parse(raw)


def _unfolded(text: str) -> str:
    """RFC 8621 §4.1.2.2: the Text form has line breaks unfolded to spaces and
    no leading SP (RFC 5322 §2.2.3 unfolding)."""
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").lstrip(" ")


@SETTINGS
@given(subject=LINE)
def test_subject_round_trips(kit, subject):
    """RFC 8621 §4.1.3 / RFC 2047: subject is header:Subject:asText."""
    raw, msg = _compose(kit, {"subject": subject})
    assert msg["Subject"].rstrip(" ") == _unfolded(subject).rstrip(" ")
    assert all(len(line) <= 78 or b" " not in line.strip()
               for line in kit.header_lines(raw))


def _strict_phrase(kit, raw: bytes, email: str) -> str:
    """Decode a From display name strictly by RFC 2047 §6.2, which ignores
    white space between adjacent encoded-words (the stdlib address parser
    keeps it, so long encoded names cannot be checked with it)."""
    [value] = kit.headers_named(raw, "From")
    phrase = value.decode().removesuffix(f" <{email}>").strip()
    if phrase.startswith('"'):
        return re.sub(r"\\(.)", r"\1", phrase[1:-1])
    return str(make_header(decode_header(phrase)))


@SETTINGS
@given(name=LINE, local=st.from_regex(r"[a-z0-9.+_-]{1,20}", fullmatch=True))
def test_display_name_round_trips(kit, name, local):
    """RFC 8621 §4.1.2.3: the name of an EmailAddress comes back with white
    space unfolded and trimmed; the email is unchanged."""
    email = f"{local}@example.com"
    raw, msg = _compose(kit, {"from": [{"name": name, "email": email}]})
    [address] = msg["From"].addresses
    assert address.addr_spec == email
    expected = _unfolded(name).strip(" \t")
    if len(expected) <= 10:  # one encoded-word at most: the stdlib reads it right
        assert address.display_name == expected
    if expected:
        assert _strict_phrase(kit, raw, email) == expected


@SETTINGS
@given(text=BODY, html=st.booleans())
def test_body_text_round_trips(kit, text, html):
    """RFC 8621 §4.1.4: a bodyValues value reads back the same, line breaks
    normalised to LF."""
    key = "htmlBody" if html else "textBody"
    _, msg = _compose(kit, {key: [{"partId": "p"}], "bodyValues": {"p": {"value": text}}})
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert msg.get_content().replace("\r\n", "\n") == expected


@SETTINGS
@given(name=st.text(PRINTABLE, min_size=1, max_size=200),
       data=st.binary(max_size=5000))
def test_attachment_round_trips(kit, name, data):
    """RFC 8621 §4.1.4 / RFC 2231: the file name and octets of an attachment
    come back unchanged."""
    _, msg = _compose(kit, {"attachments": [{"blobId": "b", "name": name}]}, {"b": data})
    # The header objects, not get_filename(): that legacy API strips <...>.
    assert msg["Content-Disposition"].params["filename"] == name
    assert msg["Content-Type"].params["name"] == name
    assert msg.get_payload(decode=True) == data
