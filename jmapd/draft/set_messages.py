"""setMessages (draft §5.3) over Email/set: save drafts, change flags and mailboxes, destroy.

Everything is one Email/set call, so one transaction and one new state. What the draft refuses and
RFC 8621 would accept (a new message outside the drafts and outbox mailboxes, a non-draft moved to
the outbox, a change to a property messages never change) is refused here first, with the draft's
SetErrors; the rest is RFC 8621's own checking, its SetErrors named as the draft names them.
"""

from __future__ import annotations

from typing import Any

from ..mail.mailboxes import OUTBOX, mailbox_by_role
from ..methods.args import parse
from ..methods.context import Context
from ..protocol.capabilities import MAIL
from ..protocol.engine import Named
from ..protocol.errors import SetError, invalid_properties
from .common import DraftArgs, account_of, keyword_patch, rfc
from .compose import draft_error, in_reply_to_not_found, rfc_email
from .message_model import PROPERTIES
from .messages import fetch
from .outbox import cancel, submit
from .updates import split_update

# What an existing message may change (draft §5.3.2).
MUTABLE = ("mailboxIds", "isFlagged", "isUnread", "isAnswered")


class SetMessagesArgs(DraftArgs):
    ifInState: str | None = None
    create: dict[str, Any] | None = None
    update: dict[str, Any] | None = None
    destroy: list[str] | None = None


def special_mailboxes(ctx: Context, account_id: str) -> tuple[str | None, str | None]:
    """(the drafts mailbox, the outbox)."""
    with ctx.store.read() as txn:
        return mailbox_by_role(txn, account_id, "drafts"), mailbox_by_role(txn, account_id, OUTBOX)


def _parents(ctx: Context, account_id: str, create: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The messages the new messages reply to, by id: their Message-ID and References."""
    wanted = list(dict.fromkeys(obj["inReplyToMessageId"] for obj in create.values()
                                if isinstance(obj, dict) and isinstance(obj.get("inReplyToMessageId"), str)))
    if not wanted:
        return {}
    got = rfc(ctx, "Email/get", {"accountId": account_id, "ids": wanted, "properties": ["messageId", "references"]})
    return {email["id"]: email for email in got["list"]}


def _creates(ctx: Context, account_id: str, create: dict[str, Any], drafts: str | None,
             outbox: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    parents = _parents(ctx, account_id, create)
    allowed = {m for m in (drafts, outbox) if m is not None}
    emails: dict[str, Any] = {}
    refused: dict[str, Any] = {}
    for creation_id, obj in create.items():
        try:
            parent_id = obj.get("inReplyToMessageId") if isinstance(obj, dict) else None
            if parent_id is not None and parent_id not in parents:
                raise in_reply_to_not_found(str(parent_id))
            emails[creation_id] = rfc_email(obj, draft_mailboxes=allowed, parent=parents.get(parent_id))
        except SetError as exc:
            refused[creation_id] = exc.to_json()
    return emails, refused


def _rfc_patch(patch: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for prop, value in patch.items():
        if prop == "mailboxIds":
            if not isinstance(value, list) or not value or not all(isinstance(m, str) for m in value):
                raise invalid_properties(["mailboxIds"], "mailboxIds must be a non-empty list of mailbox ids")
            out["mailboxIds"] = dict.fromkeys(value, True)
        else:
            try:
                out.update(keyword_patch(prop, value))
            except SetError as exc:
                raise invalid_properties([prop], exc.description) from None
    return out


def _updates(ctx: Context, account_id: str, update: dict[str, Any],
             outbox: str | None) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str] | None]]:
    """(RFC 8621 patches by id, SetErrors by id, and the messages moving into the Outbox (-> their
    mailboxes before; None for those moving out of it))."""
    # The current values are needed where an update repeats a fixed property (it must be unchanged),
    # and where it moves a message into or out of the Outbox.
    compared = {p for obj in update.values() if isinstance(obj, dict) for p in obj
                if p not in MUTABLE and p in PROPERTIES}
    checking = [i for i, obj in update.items() if isinstance(obj, dict) and (
        set(obj) - set(MUTABLE) or (outbox is not None and "mailboxIds" in obj))]
    current: dict[str, dict[str, Any]] = {}
    if checking:
        shown = fetch(ctx, account_id, checking, [*compared, "isDraft", "mailboxIds"])
        current = {m["id"]: m for m in shown["list"]}
    patches: dict[str, Any] = {}
    refused: dict[str, Any] = {}
    moves: dict[str, list[str] | None] = {}
    for message_id, obj in update.items():
        now = current.get(message_id) if message_id in checking else {}
        changes, error = split_update(obj, now, mutable=MUTABLE, known=PROPERTIES)
        try:
            if error is not None:
                raise _set_error(error)
            patches[message_id] = _rfc_patch(changes)
            if now and outbox is not None and isinstance(changes.get("mailboxIds"), list):
                was_in, goes_in = outbox in now["mailboxIds"], outbox in changes["mailboxIds"]
                if goes_in and not was_in:
                    if not now.get("isDraft"):
                        raise invalid_properties(["mailboxIds"], "only a draft may be moved to the outbox "
                                                                 "(draft §5.3.2)")
                    moves[message_id] = now["mailboxIds"]
                elif was_in and not goes_in:
                    moves[message_id] = None
        except SetError as exc:
            patches.pop(message_id, None)
            refused[message_id] = exc.to_json()
    return patches, refused, moves


def _set_error(error: dict[str, Any]) -> SetError:
    extra = {k: v for k, v in error.items() if k not in ("type", "description")}
    return SetError(error["type"], error.get("description"), **extra)


def set_messages(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, SetMessagesArgs)
    account_id = ctx.account(account_of(ctx, args), MAIL, write=True)
    drafts, outbox = special_mailboxes(ctx, account_id)
    create, not_created = _creates(ctx, account_id, args.create or {}, drafts, outbox)
    update, not_updated, moves = _updates(ctx, account_id, args.update or {}, outbox)
    destroy = list(args.destroy or [])
    not_destroyed: dict[str, Any] = {}
    if outbox is not None:
        # A send is cancelled before its message leaves the Outbox; one already under way cannot be,
        # and the message is as good as sent (draft §5.3.4).
        leaving = [i for i, before in moves.items() if before is None]
        for email_id in cancel(ctx, account_id, leaving + destroy):
            sending = {"type": "notFound", "description": "the message is being sent (draft §5.3.4)"}
            if email_id in update:
                del update[email_id]
                not_updated[email_id] = sending
            if email_id in destroy:
                destroy.remove(email_id)
                not_destroyed[email_id] = sending
    result = rfc(ctx, "Email/set", {"accountId": account_id, "ifInState": args.ifInState,
                                    "create": create or None, "update": update or None, "destroy": destroy or None})
    created = {cid: {k: made[k] for k in ("id", "blobId", "threadId", "size")}
               for cid, made in (result["created"] or {}).items()}
    updated = list(result["updated"] or {})
    new_state = result["newState"]
    if outbox is not None:
        sending = {**{"create:" + cid: made["id"] for cid, made in created.items()
                      if outbox in create[cid]["mailboxIds"]},
                   **{"update:" + i: i for i in updated if moves.get(i) is not None}}
        refused = submit(ctx, account_id, sending)
        if refused:
            new_state = _take_back(ctx, account_id, refused, sending, moves)
            for key, error in refused.items():
                kind, _, name = key.partition(":")
                if kind == "create":
                    del created[name]
                    not_created[name] = error
                else:
                    updated.remove(name)
                    not_updated[name] = error
    return Named("messagesSet", {
        "accountId": account_id,
        "oldState": result["oldState"],
        "newState": new_state,
        "created": created,
        "updated": updated,
        "destroyed": result["destroyed"] or [],
        "notCreated": {**not_created, **{k: draft_error(e) for k, e in (result["notCreated"] or {}).items()}},
        "notUpdated": {**not_updated, **{k: draft_error(e) for k, e in (result["notUpdated"] or {}).items()}},
        "notDestroyed": {**not_destroyed, **{k: draft_error(e) for k, e in (result["notDestroyed"] or {}).items()}},
    })


def _take_back(ctx: Context, account_id: str, refused: dict[str, Any], sending: dict[str, str],
               moves: dict[str, list[str] | None]) -> str:
    """Undo the creates and moves whose message could not be sent (the draft rejects them outright);
    returns the state after."""
    destroy = [sending[key] for key in refused if key.startswith("create:")]
    back = {sending[key]: {"mailboxIds": dict.fromkeys(moves[sending[key]], True)}
            for key in refused if key.startswith("update:")}
    result = rfc(ctx, "Email/set", {"accountId": account_id, "destroy": destroy or None, "update": back or None})
    return result["newState"]
