"""Email properties by where their value comes from (RFC 8621 §4.1, §4.2).

Metadata comes from the record, the summary properties from what import stored, and only the body
and raw-header properties need the message parsed: a list view never parses MIME.
"""

from __future__ import annotations

from typing import Any

from ...mime import BODY_PROPERTIES, form_allowed, parse_header_property
from ...protocol.errors import invalid_arguments
from ..dates import utc_date
from .records import EmailRecord

METADATA = ("id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt")
SUMMARY = ("messageId", "inReplyTo", "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject",
           "sentAt", "hasAttachment", "preview")
PARSED = ("headers", "bodyStructure", "bodyValues", "textBody", "htmlBody", "attachments")
ALL = METADATA + SUMMARY + PARSED
# RFC 8621 §4.2: what Email/get returns when no properties are named.
DEFAULT = METADATA + SUMMARY + ("bodyValues", "textBody", "htmlBody", "attachments")
DEFAULT_BODY = ["partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language", "location"]
FAST = frozenset(METADATA + SUMMARY)


def check_header_property(prop: str) -> None:
    spec = parse_header_property(prop)
    if spec is None or not form_allowed(spec[0], spec[1]):
        raise invalid_arguments(f"{prop!r} is not a valid header property for its header field (RFC 8621 §4.1.3)")


def check_properties(properties: list[str] | None) -> list[str]:
    if properties is None:
        return list(DEFAULT)
    for prop in properties:
        if prop.startswith("header:"):
            check_header_property(prop)
        elif prop not in ALL:
            raise invalid_arguments(f"unknown Email property {prop!r}")
    return list(dict.fromkeys(["id", *properties]))


def check_body_properties(properties: list[str] | None) -> list[str]:
    if properties is None:
        return DEFAULT_BODY
    for prop in properties:
        if prop.startswith("header:"):
            check_header_property(prop)
        elif prop not in BODY_PROPERTIES:
            raise invalid_arguments(f"unknown EmailBodyPart property {prop!r}")
    return list(properties)


def fast_value(email_id: str, record: EmailRecord, prop: str) -> Any:
    s = record.summary
    match prop:
        case "id": return email_id
        case "blobId": return record.blob_id
        case "threadId": return record.thread_id
        case "mailboxIds": return dict.fromkeys(record.mailbox_ids, True)
        case "keywords": return dict.fromkeys(record.keywords, True)
        case "size": return record.size
        case "receivedAt": return utc_date(record.received_at)
        case "messageId": return s.message_id
        case "inReplyTo": return s.in_reply_to
        case "references": return s.references
        case "sender": return s.sender
        case "from": return s.from_
        case "to": return s.to
        case "cc": return s.cc
        case "bcc": return s.bcc
        case "replyTo": return s.reply_to
        case "subject": return s.subject
        case "sentAt": return s.sent_at
        case "hasAttachment": return s.has_attachment
        case "preview": return s.preview
    raise KeyError(prop)
