"""Shared helpers: compose a message, read it back with the stdlib parser."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import SimpleNamespace

import pytest

from jmapd.mime.compose import compose_email

NOW = datetime(2021, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
HOST = "mx.example.org"


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def header_lines(raw: bytes) -> list[bytes]:
    """Physical lines of the top-level header block."""
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def all_header_lines(raw: bytes) -> list[bytes]:
    """Physical header lines of every entity, found by walking the boundaries."""
    lines: list[bytes] = []
    message = parse(raw)
    for part in message.walk():
        for name, value in part.raw_items():
            lines.extend(f"{name}: {value}".encode("utf-8").split(b"\r\n"))
    return lines


def text_of(part: EmailMessage) -> str:
    """Decoded text with line breaks as in bodyValues (LF, RFC 8621 §4.1.4)."""
    return part.get_content().replace("\r\n", "\n")


def assert_wire_format(raw: bytes) -> None:
    """RFC 5322 §2.1/§2.1.1 and RFC 2045: CRLF only, lines of at most 998 octets."""
    assert b"\r" not in raw.replace(b"\r\n", b""), "bare CR"
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\r\n\r\n" in raw, "no blank line after the header"
    assert parse(raw).defects == []


@pytest.fixture
def blobs() -> dict[str, bytes]:
    return {
        "Gpng": bytes(range(256)) * 40 + b"\x89PNG\r\n\x1a\n",
        "Gpdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"\x00\x01 binary \r\n\n\r" * 300,
        "Gtxt": "Grüße aus Köln\nsecond line\n".encode("utf-8"),
        "Gmsg": (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: inner\r\n"
                 b"Message-ID: <inner@example.com>\r\n\r\nInner body.\r\n"),
    }


@pytest.fixture
def compose(blobs):
    """compose(email) -> (raw bytes, parsed message), checking the wire format."""

    def run(email: dict) -> tuple[bytes, EmailMessage]:
        raw = compose_email(email, blobs.get, hostname=HOST, now=NOW)
        assert isinstance(raw, bytes)
        assert_wire_format(raw)
        return raw, parse(raw)

    return run


def structure(part: EmailMessage) -> object:
    """The content-type tree, e.g. ("multipart/mixed", ["text/plain", ...])."""
    if part.get_content_maintype() == "multipart":
        return (part.get_content_type(), [structure(p) for p in part.iter_parts()])
    return part.get_content_type()


def headers_named(raw: bytes, name: str) -> list[bytes]:
    """Unfolded raw values of a top-level header field, in order."""
    block = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b"\t")
    pattern = re.compile(rb"^" + re.escape(name.encode()) + rb":(.*)$", re.I | re.M)
    return [m.group(1).rstrip(b"\r") for m in pattern.finditer(block)]


@pytest.fixture
def kit():
    """The helpers above, for test modules (conftest is not importable)."""
    return SimpleNamespace(
        parse=parse, header_lines=header_lines, all_header_lines=all_header_lines,
        text_of=text_of, structure=structure, headers_named=headers_named,
        assert_wire_format=assert_wire_format, NOW=NOW, HOST=HOST,
    )
