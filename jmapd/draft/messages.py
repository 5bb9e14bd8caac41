"""getMessages and getMessageUpdates (draft §5.1, §5.2) over Email/get, Email/parse and Email/changes.

A list view's properties (flags, addresses, subject, date, preview) come from the records Email/get
keeps rendered; body strings and attachments from the body values Email/get reads; `headers` and
attached messages from the stored message, parsed as Email/get parses it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..mail.messages import read_blob_any, stored_message
from ..mail.threads import message_with_id
from ..methods.args import parse
from ..methods.context import Context
from ..methods.email.datatype import EmailType
from ..methods.email.properties import FAST
from ..methods.email.render import EmailGetArgs, renderer
from ..methods.standard.get import get
from ..mime import parse_message
from ..protocol.engine import Named
from ..protocol.errors import invalid_arguments
from .common import FLAGS, DraftArgs, account_of, changes_since, rfc
from .message_model import (
    ADDRESS_LISTS,
    ATTACHED_PROPERTIES,
    PROPERTIES,
    SAME,
    decoded_headers,
    draft_message,
    html_body,
)

# Attached messages inside attached messages are shown this deep, no deeper.
MAX_ATTACHED_DEPTH = 3


class GetMessagesArgs(DraftArgs):
    ids: list[str] | None = None
    properties: list[str] | None = None


class GetMessageUpdatesArgs(DraftArgs):
    sinceState: str | None = None
    maxChanges: int | None = None
    fetchRecords: bool | None = None
    fetchRecordProperties: list[str] | None = None


class Plan:
    """What a list of draft properties needs from RFC 8621 (worked out once per list: plan_for)."""

    def __init__(self, properties: list[str] | None, *, date_property: str = "receivedAt"):
        asked = list(PROPERTIES if properties is None else properties)
        self.header_names: set[str] | None = set()
        wanted: list[str] = []
        for prop in asked:
            if prop.startswith("headers."):
                if self.header_names is not None:
                    self.header_names.add(prop[8:].lower())
                wanted.append("headers")
            elif prop == "headers":
                self.header_names = None  # all of them
                wanted.append(prop)
            elif prop in PROPERTIES or prop == "body":
                wanted.append(prop)
            else:
                raise invalid_arguments(f"unknown Message property {prop!r} (draft §5)")
        self.body = "body" in wanted
        self.draft = tuple(dict.fromkeys(p for p in ["id", *wanted] if p != "body"))
        if "headers" not in self.draft:
            self.header_names = set()
        rfc: list[str] = ["id"]
        for prop in self.draft:
            if prop in SAME or prop in ADDRESS_LISTS or prop in ("mailboxIds", "sender", "subject"):
                rfc.append(prop)
            elif prop in FLAGS:
                rfc.append("keywords")
            elif prop == "date":
                rfc.append(date_property)
            elif prop == "inReplyToMessageId":
                rfc.append("inReplyTo")
            elif prop == "headers":
                rfc.append("blobId")
            elif prop == "attachedMessages":
                rfc += ["attachments"]
        self.text = "textBody" in self.draft or self.body
        self.html = "htmlBody" in self.draft or "attachments" in self.draft or self.body
        if self.text:
            rfc += ["textBody", "bodyValues"]
        if self.html:
            rfc += ["htmlBody", "bodyValues"]
        if "attachments" in self.draft:
            rfc += ["attachments", "textBody", "htmlBody"]
        self.rfc = list(dict.fromkeys(rfc))
        self.date_property = date_property
        # Everything asked for is kept on the Email record: a list view's properties.
        self.listed = FAST.issuperset(self.rfc) and not {"headers", "inReplyToMessageId"} & set(self.draft)

    def rfc_args(self) -> dict[str, Any]:
        return {"properties": self.rfc, "fetchTextBodyValues": self.text, "fetchHTMLBodyValues": self.html}

    def properties_for(self, email: dict[str, Any]) -> tuple[str, ...]:
        """`body` is htmlBody for a message with an HTML part, textBody otherwise (draft §5.1)."""
        if not self.body:
            return self.draft
        return (*self.draft, "htmlBody" if html_body(email) is not None else "textBody")


class ListedMessages(EmailType):
    """Email/get's own machinery, the standard /get and the renderings it keeps between requests,
    showing draft Messages of list-view properties: a draft mailbox view costs what an RFC 8621 one
    does. The renderings are kept apart from Email/get's (their property lists start "draft")."""

    def fetch(self, ctx, txn, account_id, args, state, record_ids):
        plan = plan_for(args.properties)
        rfc_args = EmailGetArgs(accountId=account_id, properties=plan.rfc)

        def draft_renderer():
            render = renderer(txn, account_id, rfc_args)
            return lambda email_id, record: draft_message(render(email_id, record), plan.draft)

        return ctx.server.rendered.answers(
            txn, account_id, self.name, ("draft", *plan.draft), state, record_ids,
            load=lambda record_id: self.load(txn, account_id, record_id), renderer=draft_renderer)


LISTED = ListedMessages()


@lru_cache(maxsize=256)
def _plan(properties: tuple[str, ...] | None) -> Plan:
    return Plan(None if properties is None else list(properties))


def plan_for(properties: list[str] | None) -> Plan:
    """Clients send the same few property lists again and again: each is worked out once."""
    return _plan(None if properties is None else tuple(properties))


def fetch(ctx: Context, account_id: str, ids: list[str], properties: list[str] | None) -> dict[str, Any]:
    plan = plan_for(properties)
    got = rfc(ctx, "Email/get", {"accountId": account_id, "ids": ids, **plan.rfc_args()})
    emails = got["list"]
    headers = _headers(ctx, account_id, emails, plan)
    replies = _in_reply_to(ctx, account_id, emails) if "inReplyToMessageId" in plan.draft else {}
    attached = _attached(ctx, account_id, emails, 1) if "attachedMessages" in plan.draft else {}
    listed = [draft_message(e, plan.properties_for(e), headers=headers.get(e["id"]), in_reply_to=replies.get(e["id"]),
                            attached=attached.get(e["id"]))
              for e in emails]
    return {"state": got["state"], "list": listed, "notFound": got["notFound"] or None}


def _headers(ctx: Context, account_id: str, emails: list[dict[str, Any]], plan: Plan) -> dict[str, dict[str, str]]:
    if plan.header_names == set():
        return {}
    with ctx.store.read() as txn:
        return {e["id"]: decoded_headers(stored_message(txn, account_id, e["blobId"]), plan.header_names)
                for e in emails}


def _in_reply_to(ctx: Context, account_id: str, emails: list[dict[str, Any]]) -> dict[str, str]:
    """The Message a message replies to: the one with the Message-ID its In-Reply-To names, found
    through the mail layer's Message-ID index, for received messages and drafts alike (draft §5)."""
    found: dict[str, str] = {}
    with ctx.store.read() as txn:
        for email in emails:
            parent = email.get("inReplyTo") and message_with_id(txn, account_id, email["inReplyTo"][0])
            if parent:
                found[email["id"]] = parent
    return found


def _attached(ctx: Context, account_id: str, emails: list[dict[str, Any]], depth: int) -> dict[str, dict[str, Any]]:
    """Attachment blob id -> the attached message, for each message/rfc822 attachment."""
    wanted = {e["id"]: [a["blobId"] for a in e.get("attachments") or [] if a.get("type") == "message/rfc822"]
              for e in emails}
    blob_ids = list(dict.fromkeys(b for blobs in wanted.values() for b in blobs))
    if not blob_ids or depth > MAX_ATTACHED_DEPTH:
        return {}
    plan = Plan([*ATTACHED_PROPERTIES[:-1], "attachments", "blobId"], date_property="sentAt")
    parsed = rfc(ctx, "Email/parse", {"accountId": account_id, "blobIds": blob_ids, **plan.rfc_args()})["parsed"] or {}
    for blob_id, email in parsed.items():
        email["id"] = blob_id
    nested = _attached(ctx, account_id, list(parsed.values()), depth + 1)
    headers: dict[str, dict[str, str]] = {}
    with ctx.store.read() as txn:
        for blob_id in parsed:
            raw = read_blob_any(txn, account_id, blob_id)
            headers[blob_id] = decoded_headers(parse_message(raw or b"", blob_id), None)
    shown = {blob_id: draft_message(email, ATTACHED_PROPERTIES, date_property="sentAt", headers=headers[blob_id],
                                    attached=nested.get(blob_id))
             for blob_id, email in parsed.items()}
    return {email_id: {b: shown[b] for b in blobs if b in shown} for email_id, blobs in wanted.items() if blobs}


def get_messages(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetMessagesArgs)
    account_id = account_of(ctx, args)
    if args.ids is None:
        raise invalid_arguments("ids is required: messages are fetched by id (draft §5.1)")
    if plan_for(args.properties).listed:
        got = get(LISTED, ctx, {"accountId": account_id, "ids": args.ids, "properties": args.properties})
        return Named("messages", {"accountId": account_id, "state": got["state"], "list": got["list"],
                                  "notFound": got["notFound"] or None})
    return Named("messages", {"accountId": account_id, **fetch(ctx, account_id, args.ids, args.properties)})


def get_message_updates(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetMessageUpdatesArgs)
    account_id = account_of(ctx, args)
    changes = changes_since(ctx, "Email/changes", account_id, args, "5.2")
    changed = changes["created"] + changes["updated"]
    if args.fetchRecords:
        ctx.then("getMessages", {"accountId": account_id, "ids": changed, "properties": args.fetchRecordProperties})
    return Named("messageUpdates", {
        "accountId": account_id,
        "oldState": changes["oldState"],
        "newState": changes["newState"],
        "hasMoreUpdates": changes["hasMoreChanges"],
        "changed": changed,
        "removed": changes["destroyed"],
    })
