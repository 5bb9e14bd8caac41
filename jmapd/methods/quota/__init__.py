"""Quota/get, /changes and /query (RFC 9425): the storage an account's mail uses.

One quota per account: the octets of its Emails (each counted once, at its size), kept as a counter
by the mail layer's writer, so reading it costs one lookup whatever the account holds. jmapd sets no
administrative limit of its own; the hard limit reported is what the data folder's file system
can take (what is used plus what is free there), which is where a write would really fail.
Its state is the Email state: "used" changes only when Emails do, and /changes says so with
updatedProperties ["used"].
"""

from __future__ import annotations

import shutil
from typing import Any

from store import ReadTxn

from ...mail.writer import account_bytes
from ...protocol.capabilities import MAIL, QUOTA
from ...protocol.engine import Registry
from ...protocol.errors import MethodError
from ..args import ChangesArgs, GetArgs, QueryArgs, parse
from ..context import Context
from ..filtering import check_collation

STORAGE_ID = "storage"
PROPERTIES = ("id", "resourceType", "used", "hardLimit", "scope", "name", "types", "warnLimit", "softLimit",
              "description")


def _state(txn: ReadTxn, account_id: str) -> int:
    return txn.state(account_id, "Email")


def _quotas(ctx: Context, txn: ReadTxn, account_id: str) -> list[dict[str, Any]]:
    """The account's quotas the client can recognise: only types whose capability it is using
    (RFC 9425 §4.1)."""
    if MAIL not in ctx.scope.using:
        return []
    used = account_bytes(txn, account_id)
    free = shutil.disk_usage(ctx.store.path).free
    return [{
        "id": STORAGE_ID, "resourceType": "octets", "used": used, "hardLimit": used + free,
        "scope": "account", "name": "mail storage", "types": ["Email"], "warnLimit": None, "softLimit": None,
        "description": "The size of every message in the account; the limit is the space the server's disk has left.",
    }]


def quota_get(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, GetArgs)
    account_id = ctx.account(args.accountId, QUOTA)
    if args.properties is not None:
        unknown = [p for p in args.properties if p not in PROPERTIES]
        if unknown:
            raise MethodError("invalidArguments", f"unknown Quota properties: {', '.join(unknown)}")
    wanted = set(PROPERTIES if args.properties is None else [*args.properties, "id"])
    with ctx.store.read() as txn:
        state = _state(txn, account_id)
        quotas = {q["id"]: q for q in _quotas(ctx, txn, account_id)}
    ids = list(quotas) if args.ids is None else list(dict.fromkeys(args.ids))
    return {"accountId": account_id, "state": str(state),
            "list": [{k: v for k, v in quotas[i].items() if k in wanted} for i in ids if i in quotas],
            "notFound": [i for i in ids if i not in quotas]}


def quota_changes(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, ChangesArgs)
    account_id = ctx.account(args.accountId, QUOTA)
    since = int(args.sinceState) if args.sinceState.isdigit() and len(args.sinceState) < 20 else None
    with ctx.store.read() as txn:
        current = _state(txn, account_id)
        if since is None or since > current:
            raise MethodError("cannotCalculateChanges", f"cannot calculate changes from state {args.sinceState!r}")
        ids = [q["id"] for q in _quotas(ctx, txn, account_id)] if since < current else []
    return {"accountId": account_id, "oldState": args.sinceState, "newState": str(current),
            "hasMoreChanges": False, "created": [], "updated": ids, "destroyed": [],
            "updatedProperties": ["used"] if ids else None}


_FILTERS = {"name", "scope", "resourceType", "type"}
_SORTS = {"name", "used"}


def quota_query(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, QueryArgs)
    account_id = ctx.account(args.accountId, QUOTA)
    condition = args.filter or {}
    if not isinstance(condition, dict) or "operator" in condition:
        raise MethodError("unsupportedFilter", "Quota/query takes one FilterCondition")
    unknown = set(condition) - _FILTERS
    if unknown:
        raise MethodError("unsupportedFilter", f"unknown Quota filter properties: {', '.join(sorted(unknown))}")
    for comparator in args.sort or []:
        if comparator.property not in _SORTS:
            raise MethodError("unsupportedSort", f"cannot sort Quotas by {comparator.property!r}")
        check_collation(comparator, ctx.server.core_limits.collation_algorithms)
    with ctx.store.read() as txn:
        state = _state(txn, account_id)
        rows = [q for q in _quotas(ctx, txn, account_id) if _matches(q, condition)]
    for comparator in reversed(args.sort or []):
        rows.sort(key=lambda q, p=comparator.property: q[p], reverse=not comparator.isAscending)
    ids = [q["id"] for q in rows]
    position = args.position or 0
    if args.anchor is not None:
        if args.anchor not in ids:
            raise MethodError("anchorNotFound", f"{args.anchor!r} is not in the results")
        position = max(0, ids.index(args.anchor) + args.anchorOffset)
    elif position < 0:
        position = max(0, len(ids) + position)
    page = ids[position:position + args.limit] if args.limit is not None else ids[position:]
    response = {"accountId": account_id, "queryState": str(state), "canCalculateChanges": False,
                "position": position, "ids": page}
    if args.calculateTotal:
        response["total"] = len(ids)
    return response


def _matches(quota: dict[str, Any], condition: dict[str, Any]) -> bool:
    return all((
        "name" not in condition or str(condition["name"]) in quota["name"],
        "scope" not in condition or condition["scope"] == quota["scope"],
        "resourceType" not in condition or condition["resourceType"] == quota["resourceType"],
        "type" not in condition or condition["type"] in quota["types"],
    ))


def register(registry: Registry) -> None:
    registry.add("Quota/get", QUOTA, quota_get)
    registry.add("Quota/changes", QUOTA, quota_changes)
    registry.add("Quota/query", QUOTA, quota_query)
