"""Generic /query (RFC 8620 §5.5): filter tree, multi-key sort, and the result window."""

from __future__ import annotations

from typing import Any

from ...protocol.errors import MethodError
from ..args import QueryArgs, parse, unsigned
from ..context import Context
from ..filtering import check_filter
from ..datatype import DataType

# The most ids one /query returns; a larger or absent limit is clamped and reported (§5.5 limit).
MAX_QUERY_LIMIT = 10_000


def window(ids: list[str], args: QueryArgs) -> tuple[int, list[str], int | None]:
    """(position, page of ids, limit to report if the server clamped it)."""
    unsigned(args.limit, "limit")
    total = len(ids)
    if args.anchor is not None:
        try:
            position = ids.index(args.anchor) + args.anchorOffset
        except ValueError:
            raise MethodError("anchorNotFound", f"{args.anchor} is not in the results") from None
        position = max(position, 0)
    else:
        position = args.position if args.position >= 0 else max(total + args.position, 0)
    limit = args.limit
    reported = None
    # Report the server's cap only when it cut the answer short of what the client asked for.
    if (limit is None and total - position > MAX_QUERY_LIMIT) or (limit is not None and limit > MAX_QUERY_LIMIT):
        reported = MAX_QUERY_LIMIT
    if limit is None or limit > MAX_QUERY_LIMIT:
        limit = MAX_QUERY_LIMIT
    return position, ids[position : position + limit], reported


def query_response(dt: DataType, account_id: str, args: QueryArgs, state: str, ids: list[str]) -> dict[str, Any]:
    position, page, reported = window(ids, args)
    response: dict[str, Any] = {
        "accountId": account_id,
        "queryState": state,
        "canCalculateChanges": dt.can_calculate_changes(args),
        "position": position,
        "ids": page,
    }
    if args.calculateTotal:
        response["total"] = len(ids)
    if reported is not None:
        response["limit"] = reported
    return response


def query(dt: DataType, ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, dt.query_args)
    account_id = ctx.account(args.accountId, dt.capability)
    check_filter(args.filter)  # before anything walks it
    unsigned(args.limit, "limit")
    with ctx.store.read() as txn:
        state = dt.query_state(txn, account_id)
        ids = dt.run_query(ctx, txn, account_id, args)
    return query_response(dt, account_id, args, state, ids)
