"""The structures that cross the package boundary: options, messages, manifests.

They are msgspec Structs so the manifest files are encoded with a fixed field
order (part of the byte-identical output guarantee) and so benchmark code can
hold thousands of messages cheaply.
"""

from __future__ import annotations

import msgspec


class SeedOptions(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Knobs that change the dataset; all of them are recorded in manifest.json.

    ``max_attachment_bytes`` caps the decoded size of every attachment and
    inline image and changes nothing else: thread structure, headers, text and
    folders stay identical, so quick runs measure the same mailbox shape.
    """

    max_attachment_bytes: int | None = None
    owner_name: str = "Alex Morgan"
    owner_address: str = "alex.morgan@example.com"
    start: str = "2022-01-01T00:00:00Z"  # first day of the span, "YYYY-MM-DDTHH:MM:SSZ"
    days: int = 1096  # span the messages are spread over


class SeedMessage(msgspec.Struct, kw_only=True):
    """One generated message and where it belongs in the account.

    ``raw`` is the RFC 5322 message with CRLF line endings; ``message_id`` is the
    Message-ID without angle brackets (the form JMAP's ``messageId`` uses);
    ``thread_key`` names the conversation the generator built, which is the
    ground truth a threading check can compare a server's threadIds against;
    ``markers`` lists the marker words (see ``MARKERS``) the text contains.
    """

    raw: bytes
    folder: str
    keywords: list[str]
    received_at: str
    message_id: str
    thread_key: str
    markers: tuple[str, ...] = ()


class ManifestEntry(msgspec.Struct, rename="camel"):
    """One line of manifest.jsonl.

    ``file`` is relative to the dataset directory; for mbox output it names the
    folder's mbox, in which messages appear in manifest order.  ``size`` is the
    length of the CRLF message (what an IMAP APPEND or JMAP upload sends), not of
    its LF copy inside an mbox.
    """

    file: str
    folder: str
    keywords: list[str]
    received_at: str
    message_id: str
    thread_key: str
    size: int


class FolderSummary(msgspec.Struct, rename="camel"):
    name: str  # hierarchy separator is "/"
    role: str | None  # RFC 8621 Mailbox role to assign on import
    messages: int


class MarkerSummary(msgspec.Struct, rename="camel"):
    """A search term with a known answer: how many messages contain it, and where."""

    word: str
    rate_per_10000: int  # the rate it was drawn with
    messages: int  # messages whose decoded text contains the word
    by_folder: dict[str, int]


class SeedSummary(msgspec.Struct, rename="camel"):
    """The contents of manifest.json."""

    generator: str
    seed: int
    count: int
    format: str
    options: SeedOptions
    folders: list[FolderSummary]
    keywords: dict[str, int]
    threads: int
    orphan_replies: int  # replies whose parent is deliberately not in the dataset
    total_bytes: int
    first_received_at: str
    last_received_at: str
    markers: list[MarkerSummary]
