"""A draft Message given to setMessages create (draft §5.3.1) as an RFC 8621 Email/set create.

The draft's strings and Emailers become RFC 8621 body values and EmailAddresses; its flags become
keywords; `date` is both the Date header and the arrival time (the draft's `date`, see filters.py).
Problems RFC 8621 finds come back named by the draft's properties.
"""

from __future__ import annotations

import re
from typing import Any

from ..mime import form_allowed, html_to_text
from ..protocol.errors import SetError, invalid_properties
from .message_model import ADDRESS_LISTS, PROPERTIES

# Set by the server (draft §5.3.1: "MUST NOT be included").
SERVER_SET = ("id", "blobId", "threadId", "hasAttachment", "size", "preview", "attachedMessages")
# What a new message must say of itself, if it says it at all.
FIXED_FLAGS = {"isUnread": False, "isAnswered": False, "isDraft": True}
_HEADER_NAME = re.compile(r"[a-z0-9-]+")
# Header fields a property of the same meaning overrides (draft §5.3.1 "Overrides a ... in headers").
OVERRIDDEN = {"from": "from", "to": "to", "cc": "cc", "bcc": "bcc", "reply-to": "replyTo", "subject": "subject",
              "date": "date", "in-reply-to": "inReplyToMessageId", "references": "inReplyToMessageId"}
TEXT_PART, HTML_PART = "text", "html"


def _emailers(prop: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(a, dict) and isinstance(a.get("email"), str)
                                              and isinstance(a.get("name", ""), (str, type(None))) for a in value):
        raise invalid_properties([prop], f"{prop} must be a list of Emailer objects")
    return [{"name": a.get("name") or None, "email": a["email"]} for a in value]


def _attachments(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(a, dict) and isinstance(a.get("blobId"), str) for a in value):
        raise invalid_properties(["attachments"], "attachments must be Attachment objects with a blobId")
    parts = []
    for given in value:
        part: dict[str, Any] = {"blobId": given["blobId"],
                                "disposition": "inline" if given.get("isInline") else "attachment"}
        for key in ("type", "name", "cid"):
            if given.get(key) is not None:
                part[key] = given[key]
        parts.append(part)
    return parts


def _headers(value: Any, given: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and _HEADER_NAME.fullmatch(k) and isinstance(v, str)
                                              for k, v in value.items()):
        raise invalid_properties(["headers"], "header names are a-z, 0-9 and hyphens; values are strings")
    out = {}
    for name, text in value.items():
        if given.get(OVERRIDDEN.get(name, "")) is not None:
            continue
        if form_allowed(name, "Text"):
            out[f"header:{name}:asText"] = text
        else:
            out[f"header:{name}"] = " " + text
    return out


def rfc_email(obj: Any, *, draft_mailboxes: set[str], parent: dict[str, Any] | None) -> dict[str, Any]:
    """The Email/set create for a draft Message, or the SetError refusing it.

    `draft_mailboxes` holds the ids of the drafts and outbox mailboxes, one of which a new message
    must be in; `parent` is the message inReplyToMessageId names (its messageId and references).
    """
    if not isinstance(obj, dict):
        raise invalid_properties([], "a Message must be an object")
    bad = [p for p in obj if p in SERVER_SET or (p not in PROPERTIES)]
    bad += [flag for flag, fixed in FIXED_FLAGS.items() if flag in obj and obj[flag] is not fixed]
    if "isFlagged" in obj and not isinstance(obj["isFlagged"], bool):
        bad.append("isFlagged")
    mailbox_ids = obj.get("mailboxIds")
    if not isinstance(mailbox_ids, list) or not all(isinstance(m, str) for m in mailbox_ids) \
            or not draft_mailboxes & set(mailbox_ids):
        bad.append("mailboxIds")
    if bad:
        raise invalid_properties(bad, "a new message is a draft, in the drafts or outbox mailbox, and its "
                                      "server-set properties are not given (draft §5.3.1)")
    email: dict[str, Any] = {
        "mailboxIds": dict.fromkeys(mailbox_ids, True),
        "keywords": {"$draft": True, "$seen": True, **({"$flagged": True} if obj.get("isFlagged") else {})},
    }
    if obj.get("headers") is not None:
        email.update(_headers(obj["headers"], obj))
    for prop in ADDRESS_LISTS:
        if obj.get(prop) is not None:
            email[prop] = _emailers(prop, obj[prop])
    subject = obj.get("subject")
    if subject is not None and not isinstance(subject, str):
        raise invalid_properties(["subject"], "subject must be a string")
    email["subject"] = subject or ""
    if obj.get("date") is not None:
        email["sentAt"] = email["receivedAt"] = obj["date"]
    text, html = obj.get("textBody"), obj.get("htmlBody")
    for prop, value in (("textBody", text), ("htmlBody", html)):
        if value is not None and not isinstance(value, str):
            raise invalid_properties([prop], f"{prop} must be a string")
    if text is None and html is not None:
        text = html_to_text(html)  # "the server SHOULD generate a text version" (draft §5.3.1)
    values = {}
    if text is not None:
        values[TEXT_PART] = {"value": text}
        email["textBody"] = [{"partId": TEXT_PART, "type": "text/plain"}]
    if html is not None:
        values[HTML_PART] = {"value": html}
        email["htmlBody"] = [{"partId": HTML_PART, "type": "text/html"}]
    if values:
        email["bodyValues"] = values
    if obj.get("attachments"):
        email["attachments"] = _attachments(obj["attachments"])
    if parent is not None and parent.get("messageId"):
        email["inReplyTo"] = parent["messageId"][:1]
        email["references"] = [*(parent.get("references") or []), *parent["messageId"][:1]]
    return email


def in_reply_to_not_found(message_id: str) -> SetError:
    return SetError("inReplyToNotFound", f"no message {message_id} to reply to (draft §5.3.1)")


def draft_property(prop: str) -> str:
    """The draft property an RFC 8621 property (or path into one) of Email/set create stands for."""
    top = prop.split("/", 1)[0]
    if top.startswith("header:"):
        return "headers"
    if top == "bodyValues":
        return "htmlBody" if prop.startswith(f"bodyValues/{HTML_PART}") else "textBody"
    return {"sentAt": "date", "receivedAt": "date", "inReplyTo": "inReplyToMessageId",
            "references": "inReplyToMessageId", "keywords": "isFlagged"}.get(top, top)


def draft_error(error: dict[str, Any]) -> dict[str, Any]:
    """A SetError of Email/set as the draft names it: properties by their draft names, and an
    attachment blob not found as invalidProperties with attachmentsNotFound (draft §5.3.1)."""
    if error.get("type") == "blobNotFound":
        return {"type": "invalidProperties", "properties": ["attachments"],
                "attachmentsNotFound": error.get("notFound", []), "description": error.get("description")}
    if error.get("type") == "invalidProperties":
        return {**error, "properties": sorted({draft_property(p) for p in error.get("properties", [])})}
    return error
