"""getIdentities, getIdentityUpdates and setIdentities (draft §6) over Identity/get, /changes, /set.

The draft's Identity has replyTo and bcc as strings ("Name <addr>, addr"), where RFC 8621 has
EmailAddress lists, and calls mayDelete mayDeleteIdentity; the rest is the same.
"""

from __future__ import annotations

from typing import Any

from ..methods.args import parse
from ..methods.context import Context
from ..mime.headers import addresses_form
from ..protocol.engine import Named
from .common import DraftArgs, account_of, changes_since, rfc
from .updates import split_update

PROPERTIES = ("id", "name", "email", "replyTo", "bcc", "textSignature", "htmlSignature", "mayDeleteIdentity")
MUTABLE = ("name", "replyTo", "bcc", "textSignature", "htmlSignature")
ADDRESS_STRINGS = ("replyTo", "bcc")


class GetIdentitiesArgs(DraftArgs):
    ids: list[str] | None = None


class GetIdentityUpdatesArgs(DraftArgs):
    sinceState: str | None = None
    maxChanges: int | None = None
    fetchRecords: bool | None = None
    fetchRecordProperties: list[str] | None = None


class SetIdentitiesArgs(DraftArgs):
    ifInState: str | None = None
    create: dict[str, Any] | None = None
    update: dict[str, Any] | None = None
    destroy: list[str] | None = None


def address_string(addresses: list[dict[str, Any]] | None) -> str:
    def one(address: dict[str, Any]) -> str:
        name = (address.get("name") or "").replace("\\", "\\\\").replace('"', '\\"')
        return f'"{name}" <{address["email"]}>' if name else address["email"]

    return ", ".join(one(a) for a in addresses or [])


def address_list(value: Any) -> Any:
    """A draft address string as RFC 8621 EmailAddresses (anything else is passed on to be refused)."""
    if not isinstance(value, str):
        return value
    return [{"name": a.get("name"), "email": a.get("email") or ""} for a in addresses_form(value.encode())] or None


def draft_identity(identity: dict[str, Any]) -> dict[str, Any]:
    out = {p: identity.get(p) for p in ("id", "name", "email", "textSignature", "htmlSignature")}
    out.update({p: address_string(identity.get(p)) for p in ADDRESS_STRINGS})
    out["mayDeleteIdentity"] = identity.get("mayDelete")
    return out


def _rfc_values(values: dict[str, Any]) -> dict[str, Any]:
    return {p: address_list(v) if p in ADDRESS_STRINGS else v for p, v in values.items()}


def get_identities(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetIdentitiesArgs)
    account_id = account_of(ctx, args)
    got = rfc(ctx, "Identity/get", {"accountId": account_id, "ids": args.ids})
    return Named("identities", {"accountId": account_id, "state": got["state"],
                                "list": [draft_identity(i) for i in got["list"]],
                                "notFound": (got["notFound"] or None) if args.ids is not None else None})


def get_identity_updates(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetIdentityUpdatesArgs)
    account_id = account_of(ctx, args)
    changes = changes_since(ctx, "Identity/changes", account_id, args, "6.2")
    changed = changes["created"] + changes["updated"]
    if args.fetchRecords:
        ctx.then("getIdentities", {"accountId": account_id, "ids": changed})
    return Named("identityUpdates", {"accountId": account_id, "oldState": changes["oldState"],
                                     "newState": changes["newState"], "hasMoreUpdates": changes["hasMoreChanges"],
                                     "changed": changed, "removed": changes["destroyed"]})


def _draft_error(error: dict[str, Any]) -> dict[str, Any]:
    """RFC 8621 forbiddenFrom is the draft's emailNotPermitted (draft §6.3)."""
    return {**error, "type": "emailNotPermitted"} if error.get("type") == "forbiddenFrom" else error


def set_identities(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, SetIdentitiesArgs)
    account_id = account_of(ctx, args)
    create, not_created = {}, {}
    for creation_id, obj in (args.create or {}).items():
        bad = sorted(p for p in obj if p not in MUTABLE and p != "email") if isinstance(obj, dict) else []
        if not isinstance(obj, dict) or bad:
            not_created[creation_id] = {"type": "invalidProperties", "properties": bad,
                                        "description": "unknown or server-set properties"}
        else:
            create[creation_id] = _rfc_values(obj)
    update, not_updated = {}, {}
    if args.update:
        current = rfc(ctx, "Identity/get", {"accountId": account_id, "ids": list(args.update)})
        views = {i["id"]: draft_identity(i) for i in current["list"]}
        for identity_id, obj in args.update.items():
            changes, error = split_update(obj, views.get(identity_id), mutable=MUTABLE, known=PROPERTIES)
            if error is None:
                update[identity_id] = _rfc_values(changes)
            else:
                not_updated[identity_id] = error
    result = rfc(ctx, "Identity/set", {"accountId": account_id, "ifInState": args.ifInState,
                                       "create": create or None, "update": update or None, "destroy": args.destroy})
    return Named("identitiesSet", {
        "accountId": account_id, "oldState": result["oldState"], "newState": result["newState"],
        "created": {cid: {"id": made["id"]} for cid, made in (result["created"] or {}).items()},
        "updated": list(result["updated"] or {}),
        "destroyed": result["destroyed"] or [],
        "notCreated": {**not_created, **{k: _draft_error(e) for k, e in (result["notCreated"] or {}).items()}},
        "notUpdated": {**not_updated, **{k: _draft_error(e) for k, e in (result["notUpdated"] or {}).items()}},
        "notDestroyed": {k: _draft_error(e) for k, e in (result["notDestroyed"] or {}).items()},
    })
