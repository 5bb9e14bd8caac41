"""Generic /set (RFC 8620 §5.3): create, then update, then destroy, in one write transaction.

Each record is applied inside a savepoint, so a record rejected with a SetError leaves no trace while
the others commit; any other exception aborts the whole call, so a method-level error never leaves
the state changed (§3.6.2).
"""

from __future__ import annotations

from typing import Any

from store import WriteTxn

from ...protocol.errors import MethodError, SetError, invalid_properties
from ...protocol.pointer import PointerError, apply_patch
from ..args import SetArgs, parse
from ..context import Context
from ..datatype import DataType


def set_(dt: DataType, ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, dt.set_args)
    account_id = ctx.account(args.accountId, dt.capability, write=True)
    total = len(args.create or {}) + len(args.update or {}) + len(args.destroy or [])
    limit = ctx.server.core_limits.max_objects_in_set
    if total > limit:
        raise MethodError("requestTooLarge", f"{total} operations; at most {limit} in one /set")

    def work(txn: WriteTxn) -> dict[str, Any]:
        old_state = str(txn.state(account_id, dt.name))
        if args.ifInState is not None and args.ifInState != old_state:
            raise MethodError("stateMismatch", f"state is {old_state}, not {args.ifInState}")
        result = apply_set(dt, ctx, txn, account_id, args)
        return {"accountId": account_id, "oldState": old_state,
                "newState": str(txn.state(account_id, dt.name)), **result}

    return ctx.store.write(work)


def apply_set(dt: DataType, ctx: Context, txn: WriteTxn, account_id: str, args: SetArgs) -> dict[str, Any]:
    """The body of a /set inside an open write transaction; also used by implicit calls."""
    created: dict[str, Any] = {}
    not_created: dict[str, Any] = {}
    updated: dict[str, Any] = {}
    not_updated: dict[str, Any] = {}
    destroyed: list[str] = []
    not_destroyed: dict[str, Any] = {}

    for creation_id, obj in (args.create or {}).items():
        try:
            if not isinstance(obj, dict):
                raise invalid_properties([], "a created object must be a JSON object")
            forbidden = [p for p in obj if p in dt.server_set]
            if forbidden:
                raise invalid_properties(forbidden, "server-set properties cannot be given on create")
            with txn.savepoint():
                record_id, extra = dt.create(ctx, txn, account_id, obj, args)
        except SetError as exc:
            not_created[creation_id] = exc.to_json()
            continue
        # Later creates and updates in this request may refer to it as #creationId (§5.3).
        ctx.created(creation_id, record_id)
        created[creation_id] = {"id": record_id, **extra}

    to_destroy = {ctx.resolve_id(i) for i in (args.destroy or [])}
    for key, patch in (args.update or {}).items():
        record_id = ctx.resolve_id(key)
        try:
            if record_id in to_destroy:
                raise SetError("willDestroy", "the record is destroyed in the same call")
            record = None if record_id is None else dt.load(txn, account_id, record_id)
            if record is None:
                raise SetError("notFound", f"no {dt.name} {key}")
            if not isinstance(patch, dict):
                raise SetError("invalidPatch", "a PatchObject must be a JSON object")
            current = dt.to_json(ctx, txn, account_id, record_id, record, frozenset(dt.properties))
            try:
                patched = apply_patch(current, patch)
            except PointerError as exc:
                raise SetError("invalidPatch", str(exc)) from None
            changes = {k: v for k, v in patched.items() if k not in current or current[k] != v}
            changes.update({k: None for k in current if k not in patched})
            unknown = [k for k in changes if k not in dt.properties]
            if unknown:
                raise invalid_properties(unknown, "unknown properties")
            server_set = [k for k in changes if k in dt.server_set]
            if server_set:
                raise invalid_properties(server_set, "server-set properties cannot be changed")
            with txn.savepoint():
                extra = dt.update(ctx, txn, account_id, record_id, record, changes, args) if changes else None
        except SetError as exc:
            not_updated[key] = exc.to_json()
            continue
        updated[key] = extra or None

    for key in args.destroy or []:
        record_id = ctx.resolve_id(key)
        try:
            record = None if record_id is None else dt.load(txn, account_id, record_id)
            if record is None:
                raise SetError("notFound", f"no {dt.name} {key}")
            with txn.savepoint():
                dt.destroy(ctx, txn, account_id, record_id, record, args)
        except SetError as exc:
            not_destroyed[key] = exc.to_json()
            continue
        destroyed.append(record_id)

    return {
        "created": created or None,
        "updated": updated or None,
        "destroyed": destroyed or None,
        "notCreated": not_created or None,
        "notUpdated": not_updated or None,
        "notDestroyed": not_destroyed or None,
    }
