"""importMessages and copyMessages (draft §5.4, §5.5) over Email/import and Email/copy.

The draft's MessageImport and MessageCopy carry mailboxIds as a list and the four flags as
booleans; RFC 8621 takes a set of mailbox ids and keywords. A copy within one account, which the
draft allows and Email/copy does not, is an Email/import of the message's own blob, keeping its
arrival time.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ..methods.args import parse
from ..methods.context import Context
from ..protocol.capabilities import MAIL
from ..protocol.engine import Named
from ..protocol.errors import MethodError, SetError, invalid_arguments
from .common import FLAGS, DraftArgs, account_of, keywords_for, rfc
from .outbox import submit
from .set_messages import special_mailboxes


class ImportMessagesArgs(DraftArgs):
    messages: dict[str, Any] | None = None


class CopyMessagesArgs(msgspec.Struct, forbid_unknown_fields=True):
    fromAccountId: str | None = None
    toAccountId: str | None = None
    messages: dict[str, Any] | None = None


def _placement(item: Any, drafts: str | None, outbox: str | None, *,
               drafts_in_place: bool) -> tuple[dict[str, bool], dict[str, bool]]:
    """(mailboxIds, keywords) of a MessageImport or MessageCopy, or the SetError refusing it."""
    if not isinstance(item, dict):
        raise SetError("invalidProperties", "each message is an object", properties=[])
    mailbox_ids = item.get("mailboxIds")
    if not isinstance(mailbox_ids, list) or not mailbox_ids or not all(isinstance(m, str) for m in mailbox_ids):
        raise SetError("invalidMailboxes", "mailboxIds must be a non-empty list of mailbox ids")
    bad = [flag for flag in FLAGS if flag in item and not isinstance(item[flag], bool)]
    if bad:
        raise SetError("invalidProperties", "the flags are booleans", properties=bad)
    if drafts_in_place and item.get("isDraft") and not {drafts, outbox} & set(mailbox_ids) - {None}:
        raise SetError("invalidMailboxes", "a draft goes in the drafts or outbox mailbox (draft §5.4)")
    return dict.fromkeys(mailbox_ids, True), keywords_for(item)


def _draft_set_error(error: dict[str, Any]) -> dict[str, Any]:
    """RFC 8621 names a mailbox that does not exist invalidProperties on mailboxIds; the draft's
    name for it is invalidMailboxes (draft §5.4, §5.5), and for a missing blob notFound."""
    properties = error.get("properties") or []
    if error.get("type") == "invalidProperties" and "mailboxIds" in properties:
        return {"type": "invalidMailboxes", "description": error.get("description")}
    if error.get("type") == "invalidProperties" and "blobId" in properties:
        return {"type": "notFound", "description": error.get("description")}
    return error


def _created(result: dict[str, Any]) -> dict[str, Any]:
    return {cid: {k: made[k] for k in ("id", "blobId", "threadId", "size")}
            for cid, made in (result.get("created") or {}).items()}


def import_messages(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, ImportMessagesArgs)
    account_id = ctx.account(account_of(ctx, args), MAIL, write=True)
    if args.messages is None:
        raise invalid_arguments("messages is required (draft §5.4)")
    drafts, outbox = special_mailboxes(ctx, account_id)
    emails: dict[str, Any] = {}
    refused: dict[str, Any] = {}
    for creation_id, item in args.messages.items():
        try:
            mailbox_ids, keywords = _placement(item, drafts, outbox, drafts_in_place=True)
            blob_id = item.get("blobId")
            if not isinstance(blob_id, str):
                raise SetError("invalidProperties", "blobId must be a string", properties=["blobId"])
        except SetError as exc:
            refused[creation_id] = exc.to_json()
            continue
        emails[creation_id] = {"blobId": blob_id, "mailboxIds": mailbox_ids, "keywords": keywords}
    result = rfc(ctx, "Email/import", {"accountId": account_id, "emails": emails}) if emails else {}
    not_created = {**refused, **{k: _draft_set_error(e) for k, e in (result.get("notCreated") or {}).items()}}
    created = _created(result)
    # "Adding to the outbox will send the message" (draft §5.4); one that cannot be sent is not kept.
    sending = {cid: made["id"] for cid, made in created.items() if outbox in emails[cid]["mailboxIds"]}
    unsent = submit(ctx, account_id, sending) if outbox is not None else {}
    if unsent:
        rfc(ctx, "Email/set", {"accountId": account_id, "destroy": [sending[cid] for cid in unsent]})
        for cid, error in unsent.items():
            del created[cid]
            not_created[cid] = error
    return Named("messagesImported", {"accountId": account_id, "created": created, "notCreated": not_created})


def copy_messages(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, CopyMessagesArgs)
    from_account = args.fromAccountId or ctx.user.account_id
    to_account = args.toAccountId or ctx.user.account_id
    if args.messages is None:
        raise invalid_arguments("messages is required (draft §5.5)")
    _check_accounts(ctx, from_account, to_account)
    drafts, outbox = special_mailboxes(ctx, to_account)
    refused: dict[str, Any] = {}
    wanted: dict[str, tuple[str, dict[str, bool], dict[str, bool]]] = {}
    for creation_id, item in args.messages.items():
        try:
            mailbox_ids, keywords = _placement(item, drafts, outbox, drafts_in_place=False)
            if not isinstance(item.get("messageId"), str):
                raise SetError("invalidProperties", "messageId must be a string", properties=["messageId"])
        except SetError as exc:
            refused[creation_id] = exc.to_json()
            continue
        wanted[creation_id] = (item["messageId"], mailbox_ids, keywords)
    if not wanted:
        result: dict[str, Any] = {}
    elif from_account != to_account:
        result = rfc(ctx, "Email/copy", {
            "fromAccountId": from_account, "accountId": to_account,
            "create": {cid: {"id": m, "mailboxIds": b, "keywords": k} for cid, (m, b, k) in wanted.items()}},
            errors={"accountNotFound": "toAccountNotFound"})
    else:
        result = _copy_within(ctx, to_account, wanted, refused)
    not_created = {**refused, **{k: _draft_set_error(e) for k, e in (result.get("notCreated") or {}).items()}}
    return Named("messagesCopied", {"fromAccountId": from_account, "toAccountId": to_account,
                                    "created": _created(result) or None, "notCreated": not_created or None})


def _check_accounts(ctx: Context, from_account: str, to_account: str) -> None:
    """The draft's own error names for the two accounts (draft §5.5)."""
    accounts = ctx.accessible_accounts()
    if from_account not in accounts:
        raise MethodError("fromAccountNotFound", f"no account {from_account!r} for this user")
    if to_account not in accounts:
        raise MethodError("toAccountNotFound", f"no account {to_account!r} for this user")
    if accounts[to_account].is_read_only:
        raise MethodError("accountReadOnly", f"account {to_account} is read-only")


def _copy_within(ctx: Context, account_id: str, wanted: dict[str, tuple[str, dict[str, bool], dict[str, bool]]],
                 refused: dict[str, Any]) -> dict[str, Any]:
    sources = rfc(ctx, "Email/get", {"accountId": account_id, "ids": list(dict.fromkeys(m for m, _, _ in wanted.values())),
                                     "properties": ["blobId", "receivedAt"]})
    found = {email["id"]: email for email in sources["list"]}
    emails = {}
    for creation_id, (message_id, mailbox_ids, keywords) in wanted.items():
        source = found.get(message_id)
        if source is None:
            refused[creation_id] = {"type": "notFound", "description": f"no message {message_id}"}
            continue
        emails[creation_id] = {"blobId": source["blobId"], "mailboxIds": mailbox_ids, "keywords": keywords,
                               "receivedAt": source["receivedAt"]}
    return rfc(ctx, "Email/import", {"accountId": account_id, "emails": emails}) if emails else {}
