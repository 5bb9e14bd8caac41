"""Email/get's view of an Email (RFC 8621 §4.2): the properties asked for, parsing only if needed.

What one call renders from parsed messages is bounded (`RenderLimits`): a message may hold 100,000
body parts or header fields in 4 MB, and rendering each, in several properties, for many emails,
made responses of tens of megabytes and seconds of CPU. Past a bound the call answers
requestTooLarge (RFC 8620 §5.1), before rendering what would exceed it: fewer ids or fewer
properties get the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from store import ReadTxn

from ...mail.messages import stored_message
from ...mail.records import EmailRecord
from ...mime import Message
from ...protocol.budget import check_budget
from ...protocol.errors import MethodError
from ..args import GetArgs, UnsignedInt
from .properties import FAST, FAST_GETTERS, check_body_properties, check_properties


class EmailGetArgs(GetArgs):
    bodyProperties: list[str] | None = None
    fetchTextBodyValues: bool = False
    fetchHTMLBodyValues: bool = False
    fetchAllBodyValues: bool = False
    maxBodyValueBytes: UnsignedInt = 0


# Per call: EmailBodyParts (in bodyStructure, textBody, htmlBody, attachments, bodyValues), header
# fields (of the message and of its parts), and octets of body values.
MAX_RENDERED_PARTS = 20_000
MAX_RENDERED_HEADERS = 20_000
MAX_BODY_VALUE_OCTETS = 32 * 1024 * 1024

_PART_LISTS = ("textBody", "htmlBody", "attachments")


def _all_parts(message: Message) -> list:
    parts, stack = [], [message.root]
    while stack:
        part = stack.pop()
        parts.append(part)
        if part.children is not None:
            stack.extend(part.children)
    return parts


class RenderLimits:
    """What one call has rendered so far from parsed messages, against the bounds."""

    def __init__(self, method: str):
        self.method = method
        self.parts = 0
        self.headers = 0
        self.octets = 0

    def _too_large(self, what: str) -> MethodError:
        return MethodError("requestTooLarge", f"this {self.method} would render more than {what}; ask for fewer "
                                              "ids or fewer body properties in one call")

    def render(self, message: Message, properties: list[str], body_properties: list[str],
               body_value_ids: list[str] | None, max_bytes: int | None) -> dict[str, Any]:
        """The parsed properties of one message (bodyValues for `body_value_ids` unless None)."""
        check_budget()
        parts = None
        if "bodyStructure" in properties or "headers" in body_properties:
            parts = _all_parts(message)
        if "bodyStructure" in properties:
            self.parts += len(parts)
        lists = [name for name in _PART_LISTS if name in properties]
        if lists:
            flat = dict(zip(_PART_LISTS, (message.text_body_parts(), message.html_body_parts(),
                                          message.attachment_parts())))
            self.parts += sum(len(flat[name]) for name in lists)
        self.parts += len(body_value_ids or ())
        header_views = ("headers" in properties) + sum(p.startswith("header:") for p in properties)
        self.headers += header_views * len(message.root.headers)
        if parts is not None and "headers" in body_properties:
            self.headers += (len(lists) + ("bodyStructure" in properties)) * sum(len(p.headers) for p in parts)
        if self.parts > MAX_RENDERED_PARTS:
            raise self._too_large(f"{MAX_RENDERED_PARTS} body parts")
        if self.headers > MAX_RENDERED_HEADERS:
            raise self._too_large(f"{MAX_RENDERED_HEADERS} header fields")
        out = message.properties([p for p in properties if p != "bodyValues"], body_properties)
        if body_value_ids is not None:
            values = message.body_values(body_value_ids, max_bytes)
            self.octets += sum(len(v["value"]) for v in values.values())
            if self.octets > MAX_BODY_VALUE_OCTETS:
                raise self._too_large(f"{MAX_BODY_VALUE_OCTETS // (1024 * 1024)} MB of body values (see "
                                      "maxBodyValueBytes)")
            out["bodyValues"] = values
        return out


def body_value_ids(message: Message, args: EmailGetArgs) -> list[str]:
    return message.body_value_part_ids(args.fetchTextBodyValues, args.fetchHTMLBodyValues, args.fetchAllBodyValues)


def renderer(txn: ReadTxn, account_id: str, args: EmailGetArgs) -> Callable[[str, EmailRecord], dict[str, Any]]:
    properties = check_properties(args.properties)
    body_properties = check_body_properties(args.bodyProperties)
    fast = [(p, FAST_GETTERS[p]) for p in properties if p in FAST]
    parsed = [p for p in properties if p not in FAST]
    max_bytes = args.maxBodyValueBytes or None
    limits = RenderLimits("Email/get")

    def render(email_id: str, record: EmailRecord) -> dict[str, Any]:
        out = {p: get(email_id, record) for p, get in fast}
        if not parsed:
            return out
        message = stored_message(txn, account_id, record.blob_id)
        values = body_value_ids(message, args) if "bodyValues" in parsed else None
        out.update(limits.render(message, parsed, body_properties, values, max_bytes))
        return out

    return render
