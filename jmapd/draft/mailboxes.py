"""getMailboxes, getMailboxUpdates and setMailboxes (draft §2) over Mailbox/get, /changes and /set.

The draft's Mailbox is RFC 8621's with other names: its counts are of "messages", its rights are
flat `may*` booleans instead of `myRights`, and its junk mailbox has the role "spam". Its "outbox"
is stored with that role (RFC 8621 clients see a role they do not know). jmapd's mailboxes are
labels (a message may be in several), so `mustBeOnlyMailbox` is false for all of them.
"""

from __future__ import annotations

from typing import Any

from ..mail.mailboxes import mailbox_by_role
from ..mail.writer import remove_mailbox
from ..methods.args import parse
from ..methods.context import Context
from ..methods.mailbox.datatype import MailboxType
from ..methods.standard.set import set_
from ..protocol.engine import Named
from ..protocol.errors import invalid_arguments
from .common import DraftArgs, account_of, check_since, rfc
from .updates import split_update

COUNTS = {"totalMessages": "totalEmails", "unreadMessages": "unreadEmails",
          "totalThreads": "totalThreads", "unreadThreads": "unreadThreads"}
RIGHTS = ("mayReadItems", "mayAddItems", "mayRemoveItems", "mayCreateChild", "mayRename", "mayDelete")
SAME = ("id", "name", "parentId", "role", "sortOrder")
PROPERTIES = (*SAME, "mustBeOnlyMailbox", *RIGHTS, *COUNTS)
SERVER_SET = frozenset(("id", "mustBeOnlyMailbox", *RIGHTS, *COUNTS))
# RFC 8621 calls the draft's "spam" mailbox "junk" (draft §2; RFC 8621 §2 via RFC 6154 \Junk).
TO_RFC_ROLE = {"spam": "junk"}
FROM_RFC_ROLE = {"junk": "spam"}


class GetMailboxesArgs(DraftArgs):
    ids: list[str] | None = None
    properties: list[str] | None = None


class GetMailboxUpdatesArgs(DraftArgs):
    sinceState: str = ""
    fetchRecords: bool | None = None
    fetchRecordProperties: list[str] | None = None


class SetMailboxesArgs(DraftArgs):
    ifInState: str | None = None
    create: dict[str, Any] | None = None
    update: dict[str, Any] | None = None
    destroy: list[str] | None = None


def rfc_properties(properties: list[str] | None) -> list[str] | None:
    if properties is None:
        return None
    unknown = [p for p in properties if p not in PROPERTIES]
    if unknown:
        raise invalid_arguments(f"unknown Mailbox properties: {', '.join(unknown)}")
    wanted: list[str] = ["id"]
    for prop in properties:
        if prop in SAME:
            wanted.append(prop)
        elif prop in COUNTS:
            wanted.append(COUNTS[prop])
        elif prop in RIGHTS:
            wanted.append("myRights")
    return list(dict.fromkeys(wanted))


def draft_mailbox(mailbox: dict[str, Any], properties: list[str] | None) -> dict[str, Any]:
    """One RFC 8621 Mailbox as the draft's Mailbox object."""
    out: dict[str, Any] = {}
    for prop in PROPERTIES if properties is None else ["id", *properties]:
        if prop == "role":
            role = mailbox.get("role")
            out[prop] = FROM_RFC_ROLE.get(role, role)
        elif prop in SAME:
            out[prop] = mailbox.get(prop)
        elif prop in COUNTS:
            out[prop] = mailbox[COUNTS[prop]]
        elif prop in RIGHTS:
            out[prop] = mailbox["myRights"][prop]
        elif prop == "mustBeOnlyMailbox":
            out[prop] = False
    return out


def get_mailboxes(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetMailboxesArgs)
    account_id = account_of(ctx, args)
    properties = args.properties
    got = rfc(ctx, "Mailbox/get", {"accountId": account_id, "ids": args.ids,
                                   "properties": rfc_properties(properties)})
    return Named("mailboxes", {
        "accountId": account_id,
        "state": got["state"],
        "list": [draft_mailbox(m, properties) for m in got["list"]],
        # "MUST be null if the ids argument in the call was null" (draft §2.1).
        "notFound": (got["notFound"] or None) if args.ids is not None else None,
    })


def get_mailbox_updates(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetMailboxUpdatesArgs)
    account_id = account_of(ctx, args)
    check_since(args, "2.2")
    changes = rfc(ctx, "Mailbox/changes", {"accountId": account_id, "sinceState": args.sinceState})
    changed = changes["created"] + changes["updated"]
    only_counts = (not changes["created"] and not changes["destroyed"] and bool(changes["updated"])
                   and changes.get("updatedProperties") is not None)
    if args.fetchRecords:
        properties = args.fetchRecordProperties
        if properties is None and only_counts:
            properties = list(COUNTS)
        ctx.then("getMailboxes", {"accountId": account_id, "ids": changed, "properties": properties})
    return Named("mailboxUpdates", {
        "accountId": account_id,
        "oldState": changes["oldState"],
        "newState": changes["newState"],
        "changed": changed,
        "removed": changes["destroyed"],
        "onlyCountsChanged": only_counts,
    })


class DraftMailboxType(MailboxType):
    """RFC 8621's Mailbox type, except that destroying a mailbox never destroys messages: those in
    no other mailbox go to the inbox (draft §2.3.4)."""

    def destroy(self, ctx, txn, account_id, record_id, record, args) -> None:
        # Runs inside the record's savepoint: if the checks below refuse, the moves are undone too.
        keep_in = mailbox_by_role(txn, account_id, "inbox")
        if keep_in is None or keep_in == record_id:
            keep_in = next((i for i, _ in txn.scan(account_id, self.name, self.record) if i != record_id), None)
        remove_mailbox(txn, account_id, record_id, orphans_to=keep_in)
        super().destroy(ctx, txn, account_id, record_id, record, args)


DRAFT_MAILBOXES = DraftMailboxType()


def rfc_create(obj: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the RFC 8621 Mailbox to create, or the SetError refusing it)."""
    if not isinstance(obj, dict):
        return None, {"type": "invalidProperties", "properties": [], "description": "a Mailbox must be an object"}
    bad = sorted(p for p in obj if p in SERVER_SET or p not in PROPERTIES)
    if bad:
        return None, {"type": "invalidProperties", "properties": bad,
                      "description": "these properties are set by the server or unknown (draft §2.3.2)"}
    out = dict(obj)
    if isinstance(out.get("role"), str):
        out["role"] = TO_RFC_ROLE.get(out["role"], out["role"])
    return out, None


def set_mailboxes(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, SetMailboxesArgs)
    account_id = account_of(ctx, args)
    not_created: dict[str, Any] = {}
    not_updated: dict[str, Any] = {}
    create: dict[str, Any] = {}
    for creation_id, obj in (args.create or {}).items():
        translated, error = rfc_create(obj)
        if error is None:
            create[creation_id] = translated
        else:
            not_created[creation_id] = error
    update: dict[str, Any] = {}
    if args.update:
        current = rfc(ctx, "Mailbox/get", {"accountId": account_id, "ids": list(args.update)})
        views = {m["id"]: draft_mailbox(m, None) for m in current["list"]}
        for mailbox_id, obj in args.update.items():
            # Unknown ids go through to Mailbox/set, which answers notFound.
            patch, error = split_update(obj, views.get(mailbox_id), mutable=("name", "parentId", "sortOrder"),
                                        known=PROPERTIES)
            if error is None:
                update[mailbox_id] = patch
            else:
                not_updated[mailbox_id] = error
    result = set_(DRAFT_MAILBOXES, ctx, {"accountId": account_id, "ifInState": args.ifInState,
                                         "create": create or None, "update": update or None,
                                         "destroy": args.destroy})
    # The RFC 8621 answer has every property the client did not send, rights and counts among them.
    created = {creation_id: {p: v for p, v in draft_mailbox(made, None).items() if p in SERVER_SET}
               for creation_id, made in (result["created"] or {}).items()}
    return Named("mailboxesSet", {
        "accountId": account_id,
        "oldState": result["oldState"],
        "newState": result["newState"],
        "created": created,
        "updated": list(result["updated"] or {}),
        "destroyed": result["destroyed"] or [],
        "notCreated": {**not_created, **(result["notCreated"] or {})},
        "notUpdated": {**not_updated, **(result["notUpdated"] or {})},
        "notDestroyed": result["notDestroyed"] or {},
    })
