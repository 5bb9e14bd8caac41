"""Generic /get (RFC 8620 §5.1)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from ...protocol.errors import MethodError
from ..args import parse
from ..context import Context
from ..datatype import DataType


def get(dt: DataType, ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, dt.get_args)
    account_id = ctx.account(args.accountId, dt.capability)
    limit = ctx.server.core_limits.max_objects_in_get
    if args.ids is not None and len(args.ids) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} ids in one /get")
    found: list[dict[str, Any]] = []
    not_found: list[str] = []
    with ctx.store.read() as txn:
        state = str(txn.state(account_id, dt.name))
        render = dt.renderer(ctx, txn, account_id, args)
        if args.ids is None:
            records = list(islice(txn.scan(account_id, dt.name, dt.record), limit + 1))
            if len(records) > limit:
                raise MethodError("requestTooLarge", f"more than {limit} {dt.name} records; give ids")
            return {"accountId": account_id, "state": state, "list": [render(i, r) for i, r in records],
                    "notFound": []}
        for requested in dict.fromkeys(args.ids):  # an id asked for twice is answered once (§5.1)
            record_id = ctx.resolve_id(requested)
            record = None if record_id is None else dt.load(txn, account_id, record_id)
            if record is None:
                not_found.append(requested)
            else:
                found.append(render(record_id, record))
    return {"accountId": account_id, "state": state, "list": found, "notFound": not_found}
