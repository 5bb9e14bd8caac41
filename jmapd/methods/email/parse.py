"""Email/parse (RFC 8621 §4.9): the Email view of blobs that are not (yet) Emails."""

from __future__ import annotations

from typing import Any

from ...mail.messages import read_blob_any
from ...mime import has_header_section, parse_message
from ...protocol.errors import MethodError
from ..args import Args, UnsignedInt, parse
from ..context import Context
from .properties import check_body_properties, check_properties
from .render import RenderLimits, body_value_ids

# §4.9: metadata properties have no value for a parsed blob; these are returned when none are named.
DEFAULT = ("messageId", "inReplyTo", "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject",
           "sentAt", "hasAttachment", "preview", "bodyValues", "textBody", "htmlBody", "attachments")
NOT_PARSEABLE = {"id", "mailboxIds", "keywords", "receivedAt", "threadId"}


class EmailParseArgs(Args):
    accountId: str
    blobIds: list[str]
    properties: list[str] | None = None
    bodyProperties: list[str] | None = None
    fetchTextBodyValues: bool = False
    fetchHTMLBodyValues: bool = False
    fetchAllBodyValues: bool = False
    maxBodyValueBytes: UnsignedInt = 0


def parse_emails(ctx: Context, raw_args: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw_args, EmailParseArgs)
    account_id = ctx.account(args.accountId, "urn:ietf:params:jmap:mail")
    # check_properties always adds "id"; §4.9 returns it (as null) only when it is asked for.
    asked = list(DEFAULT if args.properties is None else args.properties)
    properties = [p for p in check_properties(asked) if p != "id" or "id" in asked]
    body_properties = check_body_properties(args.bodyProperties)
    limit = ctx.server.core_limits.max_objects_in_get
    if len(args.blobIds) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} blobs in one Email/parse")
    limits = RenderLimits("Email/parse")
    parsed: dict[str, Any] = {}
    not_parsable: list[str] = []
    not_found: list[str] = []
    for blob_id in dict.fromkeys(args.blobIds):
        with ctx.store.read() as txn:
            raw = read_blob_any(txn, account_id, blob_id)
        if raw is None:
            not_found.append(blob_id)
            continue
        if not has_header_section(raw):  # not an email at all; a malformed one is parsed as it can be
            not_parsable.append(blob_id)
            continue
        message = parse_message(raw, blob_id)
        email: dict[str, Any] = {}
        for prop in properties:
            if prop in NOT_PARSEABLE:
                email[prop] = None
            elif prop == "blobId":
                email[prop] = blob_id
            elif prop == "size":
                email[prop] = len(raw)
        # The parser answers every content property and skips the metadata handled above.
        values = body_value_ids(message, args) if "bodyValues" in properties else None
        email.update(limits.render(message, properties, body_properties, values, args.maxBodyValueBytes or None))
        parsed[blob_id] = email
    return {"accountId": account_id, "parsed": parsed or None, "notParsable": not_parsable or None,
            "notFound": not_found or None}
