"""The draft's Message object (draft §5) from the RFC 8621 Email: nothing of it is stored apart.

isUnread/isFlagged/isAnswered/isDraft are keywords; from/to/... are Emailer objects ({name, email},
name "" when there is none, email always with an "@"); textBody and htmlBody are strings made from
the body parts' values; attachments are flat Attachment objects.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..mime import Message, html_to_text
from .common import FLAGS, flag_value

PROPERTIES = ("id", "blobId", "threadId", "mailboxIds", "inReplyToMessageId", "isUnread", "isFlagged",
              "isAnswered", "isDraft", "hasAttachment", "headers", "sender", "from", "to", "cc", "bcc", "replyTo",
              "subject", "date", "size", "preview", "textBody", "htmlBody", "attachments", "attachedMessages")
# What an attached message shows (draft §5 attachedMessages).
ATTACHED_PROPERTIES = ("headers", "from", "to", "cc", "bcc", "replyTo", "subject", "date", "textBody", "htmlBody",
                       "attachments", "attachedMessages")
ADDRESS_LISTS = ("from", "to", "cc", "bcc", "replyTo")
SAME = ("id", "blobId", "threadId", "hasAttachment", "size", "preview")
BODIES = ("textBody", "htmlBody")


def emailer(address: dict[str, Any]) -> dict[str, str]:
    email = address.get("email") or ""
    return {"name": address.get("name") or "", "email": email if "@" in email else email + "@"}


def emailers(addresses: list[dict[str, Any]] | None) -> list[dict[str, str]] | None:
    return None if addresses is None else [emailer(a) for a in addresses]


def utc(date: str | None) -> str | None:
    """An RFC 3339 date with any offset as the draft's UTC Date."""
    if date is None:
        return None
    if date.endswith("Z"):
        return date
    moment = datetime.fromisoformat(date).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def text_body(email: dict[str, Any]) -> str:
    """The plain text of the message: its text parts, or text made from its HTML (draft §5 textBody)."""
    values = email.get("bodyValues") or {}
    texts = []
    for part in email.get("textBody") or []:
        value = values.get(part.get("partId"))
        if value is None:
            continue
        if part.get("type") == "text/html":
            texts.append(html_to_text(value["value"]))
        elif (part.get("type") or "").startswith("text/"):
            texts.append(value["value"])
    return "\n".join(texts)


def html_body(email: dict[str, Any]) -> str | None:
    values = email.get("bodyValues") or {}
    html = [values[p["partId"]]["value"] for p in email.get("htmlBody") or []
            if p.get("type") == "text/html" and p.get("partId") in values]
    return "".join(html) if html else None


def attachment(part: dict[str, Any], html: str | None) -> dict[str, Any]:
    cid = part.get("cid")
    return {
        "blobId": part.get("blobId"),
        "type": part.get("type"),
        "name": part.get("name"),
        "size": part.get("size"),
        "cid": cid,
        "isInline": bool(cid) and html is not None and f"cid:{cid}" in html,
        # Image dimensions would need the images decoded; the draft allows null.
        "width": None,
        "height": None,
    }


def attachment_parts(email: dict[str, Any]) -> list[dict[str, Any]]:
    """Every attachment, the draft's way: RFC 8621's attachments plus the inline media (images shown
    in the body) it lists among the body parts instead (RFC 8621 §4.1.4)."""
    parts = list(email.get("attachments") or [])
    seen = {p.get("partId") for p in parts}
    for part in [*(email.get("textBody") or []), *(email.get("htmlBody") or [])]:
        if not (part.get("type") or "").startswith("text/") and part.get("partId") not in seen:
            seen.add(part.get("partId"))
            parts.append(part)
    return sorted(parts, key=lambda p: [int(n) if n.isdigit() else 0 for n in (p.get("partId") or "").split(".")])


def decoded_headers(message: Message, wanted: set[str] | None) -> dict[str, str]:
    """Lower-cased name -> decoded value, repeated fields joined by "\\n" (draft §5 headers)."""
    names = dict.fromkeys(name.lower() for name, _ in message.root.headers)
    return {name: "\n".join(message.header(name, "Text", all=True)) for name in names
            if wanted is None or name in wanted}


def draft_message(email: dict[str, Any], properties: tuple[str, ...], *, date_property: str = "receivedAt",
                  headers: dict[str, str] | None = None, in_reply_to: str | None = None,
                  attached: dict[str, Any] | None = None) -> dict[str, Any]:
    """One RFC 8621 Email (or parsed message) as a draft Message with these properties."""
    out: dict[str, Any] = {}
    html = html_body(email) if "htmlBody" in email else None
    for prop in properties:
        if prop in SAME:
            out[prop] = email.get(prop)
        elif prop in FLAGS:
            out[prop] = flag_value(email.get("keywords"), prop)
        elif prop == "mailboxIds":
            out[prop] = list(email.get("mailboxIds") or {})
        elif prop in ADDRESS_LISTS:
            out[prop] = emailers(email.get(prop))
        elif prop == "sender":
            sender = email.get("sender")
            out[prop] = emailer(sender[0]) if sender else None
        elif prop == "subject":
            out[prop] = email.get("subject") or ""
        elif prop == "date":
            out[prop] = utc(email.get(date_property))
        elif prop == "textBody":
            out[prop] = text_body(email)
        elif prop == "htmlBody":
            out[prop] = html
        elif prop == "attachments":
            out[prop] = [attachment(p, html) for p in attachment_parts(email)]
        elif prop == "headers":
            out[prop] = headers or {}
        elif prop == "inReplyToMessageId":
            out[prop] = in_reply_to
        elif prop == "attachedMessages":
            out[prop] = attached or None
    return out
