"""Generic /queryChanges (RFC 8620 §5.6) from the change log and the current results.

Every record changed since the client's state is reported as removed (the RFC allows extra removed
ids), and those of them in the current results are added back at their new index. This is exact for
any filter and sort over the record's own properties, which is why a type whose results depend on
other records (e.g. a tree sort) declares that it cannot calculate changes.
"""

from __future__ import annotations

from typing import Any

from ...protocol.errors import MethodError
from ..args import parse, unsigned
from ..context import Context
from ..filtering import check_filter
from ..datatype import DataType
from .changes import parse_state


def query_changes(dt: DataType, ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, dt.query_changes_args)
    account_id = ctx.account(args.accountId, dt.capability)
    check_filter(args.filter)  # before anything walks it
    unsigned(args.maxChanges, "maxChanges", positive=True)
    if not dt.can_calculate_changes(args):
        raise MethodError("cannotCalculateChanges", "changes cannot be calculated for this filter or sort")
    since = parse_state(args.sinceQueryState)
    with ctx.store.read() as txn:
        current = txn.state(account_id, dt.name)
        if since is None or since > current or since < txn.log_floor(account_id, dt.name):
            raise MethodError("cannotCalculateChanges", f"cannot calculate changes from {args.sinceQueryState!r}")
        changed = dt.changed_since(ctx, txn, account_id, since, args)
        if changed or args.calculateTotal:
            ids = dt.run_query(ctx, txn, account_id, args)
        else:
            ids = []
            dt.check_query(ctx, txn, account_id, args)  # a bad filter or sort is an error either way
        new_state = dt.query_state(txn, account_id)
    index = {record_id: i for i, record_id in enumerate(ids)} if changed else {}
    added = sorted(({"id": i, "index": index[i]} for i in changed if i in index), key=lambda a: a["index"])
    removed = changed
    if args.maxChanges is not None and len(removed) + len(added) > args.maxChanges:
        raise MethodError("tooManyChanges", f"{len(removed) + len(added)} changes; maxChanges is {args.maxChanges}")
    response: dict[str, Any] = {
        "accountId": account_id,
        "oldQueryState": args.sinceQueryState,
        "newQueryState": new_state,
        "removed": removed,
        "added": added,
    }
    if args.calculateTotal:
        response["total"] = len(ids)
    return response
