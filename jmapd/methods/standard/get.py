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
    with ctx.store.read() as txn:
        state = txn.state(account_id, dt.name)
        if args.ids is None:
            render = dt.renderer(ctx, txn, account_id, args)
            records = list(islice(txn.scan(account_id, dt.name, dt.record), limit + 1))
            if len(records) > limit:
                raise MethodError("requestTooLarge", f"more than {limit} {dt.name} records; give ids")
            return {"accountId": account_id, "state": str(state), "list": [render(i, r) for i, r in records],
                    "notFound": []}
        requested = list(dict.fromkeys(args.ids))  # an id asked for twice is answered once (§5.1)
        # No Id has a "#" (RFC 8620 §1.2): only creation references need resolving.
        record_ids = [ctx.resolve_id(i) for i in requested] if "#" in "".join(requested) else requested
        answers = dt.fetch(ctx, txn, account_id, args, state, record_ids)
    if None not in answers:
        return {"accountId": account_id, "state": str(state), "list": answers, "notFound": []}
    found = [answer for answer in answers if answer is not None]
    not_found = [requested_id for requested_id, answer in zip(requested, answers) if answer is None]
    return {"accountId": account_id, "state": str(state), "list": found, "notFound": not_found}
