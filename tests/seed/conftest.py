"""Shared datasets for the seed tests.

Generating is cheap but reading with the stdlib ``email`` package costs
milliseconds per message, so one capped dataset is generated, parsed and walked
once per test process; the tests assert on what that single walk recorded.
"""

from __future__ import annotations

import base64
import email
import email.policy
from collections import Counter
from dataclasses import dataclass, field

import pytest

from jmapd.seed import DatasetGenerator, SeedMessage, SeedOptions

SEED = 20240501
COUNT = 700
CAP = 4096

_MAGIC = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG",
    "image/jpeg": b"\xff\xd8\xff",
    "application/zip": b"PK\x03\x04",
}


@dataclass
class Dataset:
    gen: DatasetGenerator
    messages: list[SeedMessage]


@dataclass
class Census:
    """What one pass over every part and every header of every message found."""

    defects: list[tuple] = field(default_factory=list)
    headers: list[dict[str, list[str]]] = field(default_factory=list)  # per message, top level
    text: list[str] = field(default_factory=list)  # per message: decoded text/* parts, joined
    top_types: Counter = field(default_factory=Counter)
    part_types: Counter = field(default_factory=Counter)
    encodings: Counter = field(default_factory=Counter)
    filenames: list[str] = field(default_factory=list)
    non_ascii_plain: int = 0
    latin1_plain: int = 0
    binary_sizes: list[int] = field(default_factory=list)  # decoded base64 non-text parts
    magic_checked: int = 0
    magic_failed: list[tuple] = field(default_factory=list)


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    gen = DatasetGenerator(SEED, COUNT, SeedOptions(max_attachment_bytes=CAP))
    return Dataset(gen, list(gen.messages()))


@pytest.fixture(scope="session")
def census(dataset: Dataset) -> Census:
    c = Census()
    for i, m in enumerate(dataset.messages):
        msg = email.message_from_bytes(m.raw, policy=email.policy.default)
        c.top_types[msg.get_content_type()] += 1
        top: dict[str, list[str]] = {}
        texts = []
        for depth, part in enumerate(msg.walk()):
            if part.defects:
                c.defects.append((i, "part", [type(d).__name__ for d in part.defects]))
            # Header objects parse once on access; reuse them instead of the
            # Message helpers, which parse Content-Type again on every call.
            ctype, cte, disposition, filename = "text/plain", "7bit", None, None
            for name, value in part.items():
                for d in getattr(value, "defects", ()):
                    c.defects.append((i, name, type(d).__name__, str(d)))
                if depth == 0:
                    top.setdefault(name.lower(), []).append(str(value))
                key = name.lower()
                if key == "content-type":
                    ctype = value.content_type
                elif key == "content-transfer-encoding":
                    cte = value.cte
                elif key == "content-disposition":
                    disposition = value.content_disposition
                    filename = value.params.get("filename")
            c.part_types[ctype] += 1
            c.encodings[cte] += 1
            if ctype.startswith("text/") and disposition != "attachment":
                body = part.get_content()
                texts.append(body)
                if ctype == "text/plain" and not body.isascii():
                    c.non_ascii_plain += 1
                    c.latin1_plain += part.get_content_charset() == "iso-8859-1"
            if filename:
                c.filenames.append(filename)
            if cte == "base64" and not ctype.startswith("text/"):
                data = base64.b64decode(part.get_payload())
                c.binary_sizes.append(len(data))
                want = _MAGIC.get(ctype)
                if want:
                    c.magic_checked += 1
                    if not data.startswith(want[: len(data)]):
                        c.magic_failed.append((i, ctype, data[:8]))
        c.headers.append(top)
        c.text.append("\n".join(texts))
    return c
