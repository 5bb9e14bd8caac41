"""Generic /changes (RFC 8620 §5.2), read from the per-type change log."""

from __future__ import annotations

from typing import Any

from store.records import CREATED, DESTROYED

from ...protocol.budget import check_budget
from ...protocol.errors import MethodError
from ..args import parse, unsigned
from ..context import Context
from ..datatype import DataType

# What a client gets when it names no maxChanges: enough for most syncs, bounded for the server.
DEFAULT_MAX_CHANGES = 5000


def parse_state(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 20 else None


def changes(dt: DataType, ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, dt.changes_args)
    account_id = ctx.account(args.accountId, dt.capability)
    unsigned(args.maxChanges, "maxChanges", positive=True)
    max_changes = min(args.maxChanges or DEFAULT_MAX_CHANGES, DEFAULT_MAX_CHANGES)
    since = parse_state(args.sinceState)
    with ctx.store.read() as txn:
        current = txn.state(account_id, dt.name)
        if since is None or since > current or since < txn.log_floor(account_id, dt.name):
            raise MethodError("cannotCalculateChanges", f"cannot calculate changes from state {args.sinceState!r}")
        seen: dict[str, list[Any]] = {}  # id -> [created in window, destroyed, changed props or None]
        new_state = since
        more = False
        for modseq, entry in txn.changes_since(account_id, dt.name, since):
            check_budget()
            if entry.id not in seen and len(seen) >= max_changes:
                more = True
                break
            info = seen.setdefault(entry.id, [False, False, set()])
            if entry.kind == CREATED:
                info[0] = True
            elif entry.kind == DESTROYED:
                info[1] = True
            elif info[2] is not None:
                info[2] = None if entry.props is None else info[2] | set(entry.props)
            new_state = modseq
        if not more:
            new_state = current
    created, updated, destroyed = [], [], []
    updated_props: set[str] | None = set()
    for record_id, (was_created, was_destroyed, props) in seen.items():
        if was_created and was_destroyed:
            continue  # never seen by the client: omitted entirely (§5.2)
        if was_created:
            created.append(record_id)
        elif was_destroyed:
            destroyed.append(record_id)
        else:
            updated.append(record_id)
            updated_props = None if props is None or updated_props is None else updated_props | props
    response = {
        "accountId": account_id,
        "oldState": args.sinceState,
        "newState": str(new_state),
        "hasMoreChanges": more,
        "created": created,
        "updated": updated,
        "destroyed": destroyed,
    }
    if dt.reports_updated_properties:
        # Only when every update was known to touch just these properties (RFC 8621 §2.2).
        response["updatedProperties"] = sorted(updated_props) if updated_props and updated else None
    return response
