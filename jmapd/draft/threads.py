"""getThreads and getThreadUpdates (draft §4) over Thread/get and Thread/changes.

A Thread's messageIds are its emailIds, oldest first: the draft's "date order", since its `date`
is RFC 8621's receivedAt here (see filters.py).
"""

from __future__ import annotations

from typing import Any

from ..methods.context import Context
from ..protocol.engine import Named
from ..protocol.errors import invalid_arguments
from .common import DraftArgs, account_of, arguments, rfc


class GetThreadsArgs(DraftArgs):
    ids: list[str] | None = None
    fetchMessages: bool | None = None
    fetchMessageProperties: list[str] | None = None


class GetThreadUpdatesArgs(DraftArgs):
    sinceState: str | None = None
    maxChanges: int | None = None
    fetchRecords: bool | None = None


def get_threads(ctx: Context, raw: dict[str, Any]) -> Named:
    args = arguments(raw, GetThreadsArgs)
    account_id = account_of(ctx, args)
    if args.ids is None:
        raise invalid_arguments("ids is required: threads are fetched by id (draft §4.1)")
    got = rfc(ctx, "Thread/get", {"accountId": account_id, "ids": args.ids})
    threads = [{"id": t["id"], "messageIds": t["emailIds"]} for t in got["list"]]
    if args.fetchMessages:
        ctx.then("getMessages", {"accountId": account_id,
                                 "ids": [m for t in threads for m in t["messageIds"]],
                                 "properties": args.fetchMessageProperties})
    return Named("threads", {"accountId": account_id, "state": got["state"], "list": threads,
                             "notFound": got["notFound"] or None})


def get_thread_updates(ctx: Context, raw: dict[str, Any]) -> Named:
    args = arguments(raw, GetThreadUpdatesArgs)
    account_id = account_of(ctx, args)
    if not args.sinceState:
        raise invalid_arguments("sinceState is required (draft §4.2)")
    if args.maxChanges is not None and args.maxChanges < 1:
        raise invalid_arguments("maxChanges must be a positive integer")
    changes = rfc(ctx, "Thread/changes", {"accountId": account_id, "sinceState": args.sinceState,
                                          "maxChanges": args.maxChanges})
    changed = changes["created"] + changes["updated"]
    if args.fetchRecords:
        ctx.then("getThreads", {"accountId": account_id, "ids": changed, "fetchMessages": False})
    return Named("threadUpdates", {
        "accountId": account_id,
        "oldState": changes["oldState"],
        "newState": changes["newState"],
        "hasMoreUpdates": changes["hasMoreChanges"],
        "changed": changed,
        "removed": changes["destroyed"],
    })
