"""Email properties by where their value comes from (RFC 8621 §4.1, §4.2).

Metadata comes from the record, the summary properties from what import stored, and only the body
and raw-header properties need the message parsed: a list view never parses MIME.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ...mail.records import EmailRecord
from ...mime import BODY_PROPERTIES, form_allowed, parse_header_property
from ...protocol.errors import invalid_arguments
from ..dates import utc_date

METADATA = ("id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt")
SUMMARY = ("messageId", "inReplyTo", "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject",
           "sentAt", "hasAttachment", "preview")
PARSED = ("headers", "bodyStructure", "bodyValues", "textBody", "htmlBody", "attachments")
ALL = METADATA + SUMMARY + PARSED
# RFC 8621 §4.2: what Email/get returns when no properties are named.
DEFAULT = METADATA + SUMMARY + ("bodyValues", "textBody", "htmlBody", "attachments")
DEFAULT_BODY = ["partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language", "location"]


def check_header_property(prop: str) -> None:
    spec = parse_header_property(prop)
    if spec is None or not form_allowed(spec[0], spec[1]):
        raise invalid_arguments(f"{prop!r} is not a valid header property for its header field (RFC 8621 §4.1.3)")


def check_properties(properties: list[str] | None) -> tuple[str, ...]:
    """The properties to render, "id" first; raises invalidArguments for one that does not exist."""
    if properties is None:
        return DEFAULT
    return _checked(tuple(properties))


@lru_cache(maxsize=256)
def _checked(properties: tuple[str, ...]) -> tuple[str, ...]:
    """Clients send the same few lists with every request: each is checked once."""
    for prop in properties:
        if prop.startswith("header:"):
            check_header_property(prop)
        elif prop not in ALL:
            raise invalid_arguments(f"unknown Email property {prop!r}")
    return tuple(dict.fromkeys(["id", *properties]))


def check_body_properties(properties: list[str] | None) -> list[str]:
    if properties is None:
        return DEFAULT_BODY
    for prop in properties:
        if prop.startswith("header:"):
            check_header_property(prop)
        elif prop not in BODY_PROPERTIES:
            raise invalid_arguments(f"unknown EmailBodyPart property {prop!r}")
    return list(properties)


# How each property of FAST is read from (email id, record): looked up once per property, not
# matched once per property and email (list views render 50 emails of ~11 properties each).
FAST_GETTERS: dict[str, Callable[[str, EmailRecord], Any]] = {
    "id": lambda i, r: i,
    "blobId": lambda i, r: r.blob_id,
    "threadId": lambda i, r: r.thread_id,
    "mailboxIds": lambda i, r: dict.fromkeys(r.mailbox_ids, True),
    "keywords": lambda i, r: dict.fromkeys(r.keywords, True),
    "size": lambda i, r: r.size,
    "receivedAt": lambda i, r: utc_date(r.received_at),
    "messageId": lambda i, r: r.summary.message_id,
    "inReplyTo": lambda i, r: r.summary.in_reply_to,
    "references": lambda i, r: r.summary.references,
    "sender": lambda i, r: r.summary.sender,
    "from": lambda i, r: r.summary.from_,
    "to": lambda i, r: r.summary.to,
    "cc": lambda i, r: r.summary.cc,
    "bcc": lambda i, r: r.summary.bcc,
    "replyTo": lambda i, r: r.summary.reply_to,
    "subject": lambda i, r: r.summary.subject,
    "sentAt": lambda i, r: r.summary.sent_at,
    "hasAttachment": lambda i, r: r.summary.has_attachment,
    "preview": lambda i, r: r.summary.preview,
}
FAST = frozenset(FAST_GETTERS)


def fast_value(email_id: str, record: EmailRecord, prop: str) -> Any:
    return FAST_GETTERS[prop](email_id, record)
