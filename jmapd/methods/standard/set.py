"""Generic /set (RFC 8620 §5.3): create, then update, then destroy, in one write transaction.

Each record is applied inside a savepoint, so a record rejected with a SetError leaves no trace while
the others commit; any other exception aborts the whole call, so a method-level error never leaves
the state changed (§3.6.2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from store import WriteTxn

from ...protocol.errors import MethodError, SetError, invalid_properties
from ...protocol.pointer import PointerError, apply_patch
from ..args import SetArgs, parse
from ..context import Context
from ..datatype import DataType

T = TypeVar("T")


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

    create = args.create or {}
    for creation_id in creation_order(create):
        obj = create[creation_id]
        try:
            if not isinstance(obj, dict):
                raise invalid_properties([], "a created object must be a JSON object")
            forbidden = [p for p in obj if p in dt.server_set]
            allowed = {p: v for p, v in obj.items() if p not in dt.server_set}
            with txn.savepoint():
                record_id, extra = reporting_all(
                    forbidden, "server-set properties cannot be given on create",
                    lambda: dt.create(ctx, txn, account_id, allowed, args))
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
            record = None if record_id is None else dt.load(txn, account_id, record_id)
            if record is None:
                raise SetError("notFound", f"no {dt.name} {key}")
            if record_id in to_destroy:
                raise SetError("willDestroy", "the record is destroyed in the same call")
            if not isinstance(patch, dict):
                raise SetError("invalidPatch", "a PatchObject must be a JSON object")
            patch = dt.normalize_patch(patch)
            current = dt.patch_base(ctx, txn, account_id, record_id, record, patch)
            try:
                patched = apply_patch(current, patch)
            except PointerError as exc:
                raise SetError("invalidPatch", str(exc)) from None
            changes = {k: v for k, v in patched.items() if k not in current or not same_json(current[k], v)}
            changes.update({k: None for k in current if k not in patched})
            unknown = [k for k in changes if k not in dt.properties]
            fixed = dt.server_set if dt.immutable is None else dt.immutable
            server_set = [k for k in changes if k in fixed]
            settable = {k: v for k, v in changes.items() if k not in unknown and k not in server_set}
            problem = "; ".join(text for props, text in ((unknown, "unknown properties"),
                                                         (server_set, "immutable properties cannot be changed"))
                                if props)
            with txn.savepoint():
                extra = reporting_all(
                    unknown + server_set, problem,
                    lambda: dt.update(ctx, txn, account_id, record_id, record, settable, args) if settable else None)
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


def reporting_all(bad: list[str], description: str, apply: Callable[[], T]) -> T:
    """Run `apply`, failing with invalidProperties if `bad` is not empty.

    The data type's own invalid properties are merged in, so the SetError lists every invalid
    property at once (§5.3). Callers run this inside a savepoint: a failure after `apply` wrote
    leaves no trace. A more specific SetError from the data type wins over invalidProperties (§5.3).
    """
    try:
        result = apply()
    except SetError as exc:
        if bad and exc.kind == "invalidProperties":
            merged = "; ".join(d for d in (description, exc.description) if d)
            raise invalid_properties([*bad, *exc.extra.get("properties", [])], merged or None) from None
        raise
    if bad:
        raise invalid_properties(bad, description)
    return result


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's, true is not 1 and 0 is not false, so such a patch is a change."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


def creation_order(create: dict[str, Any]) -> list[str]:
    """Creation ids ordered so that each comes after the ones it references as `#id` (§5.3).

    The client's order is kept wherever references allow; ids in a reference cycle keep their place
    (their references then fail to resolve, as they must).
    """
    deps = {cid: {ref for ref in _references(obj) if ref in create and ref != cid} for cid, obj in create.items()}
    if not any(deps.values()):
        return list(create)
    remaining = list(create)
    done: set[str] = set()
    ordered: list[str] = []
    while remaining:
        index = next((i for i, cid in enumerate(remaining) if deps[cid] <= done), 0)
        cid = remaining.pop(index)
        done.add(cid)
        ordered.append(cid)
    return ordered


def _references(value: Any) -> Iterator[str]:
    """Every `#creationId` in a created object: string values, and keys of maps such as mailboxIds."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item.startswith("#"):
                yield item[1:]
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and key.startswith("#"):
                    yield key[1:]
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
