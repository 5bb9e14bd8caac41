"""getMessageList and getMessageListUpdates (draft §3) over Email/query and Email/queryChanges.

A message list carries, beside the message ids, the thread id of each; and it may ask for implicit
calls whose responses follow it under the same client id: getThreads (fetchThreads), getMessages
(fetchMessages without fetchThreads) and getSearchSnippets (fetchSearchSnippets), in that order.
"""

from __future__ import annotations

from typing import Any

from ..methods.context import Context
from ..protocol.engine import Named
from ..protocol.errors import invalid_arguments
from .common import DraftArgs, account_of, arguments, rfc
from .filters import rfc_filter, rfc_sort


class GetMessageListArgs(DraftArgs):
    filter: dict[str, Any] | None = None
    sort: list[str] | None = None
    collapseThreads: bool | None = None
    position: int | None = None
    anchor: str | None = None
    anchorOffset: int | None = None
    limit: int | None = None
    fetchThreads: bool | None = None
    fetchMessages: bool | None = None
    fetchMessageProperties: list[str] | None = None
    fetchSearchSnippets: bool | None = None


class GetMessageListUpdatesArgs(DraftArgs):
    filter: dict[str, Any] | None = None
    sort: list[str] | None = None
    collapseThreads: bool | None = None
    sinceState: str | None = None
    uptoMessageId: str | None = None
    maxChanges: int | None = None


def thread_ids(ctx: Context, account_id: str, message_ids: list[str]) -> dict[str, str]:
    """The thread of each message (a list view's kept renderings answer this without parsing)."""
    threads: dict[str, str] = {}
    limit = ctx.server.core_limits.max_objects_in_get
    for start in range(0, len(message_ids), limit):
        got = rfc(ctx, "Email/get", {"accountId": account_id, "ids": message_ids[start:start + limit],
                                     "properties": ["threadId"]})
        threads.update((email["id"], email["threadId"]) for email in got["list"])
    return threads


def get_message_list(ctx: Context, raw: dict[str, Any]) -> Named:
    args = arguments(raw, GetMessageListArgs)
    account_id = account_of(ctx, args)
    if args.position is not None and args.position < 0:
        raise invalid_arguments("position must not be negative (draft §3.1)")
    if args.limit is not None and args.limit < 0:
        raise invalid_arguments("limit must not be negative (draft §3.1)")
    query: dict[str, Any] = {
        "accountId": account_id, "filter": rfc_filter(args.filter), "sort": rfc_sort(args.sort),
        "collapseThreads": bool(args.collapseThreads), "position": args.position or 0, "limit": args.limit,
        "calculateTotal": True,
    }
    if args.anchor is not None:
        # The draft's offset counts the other way: the anchor's index relative to the first result.
        query.update(anchor=args.anchor, anchorOffset=-(args.anchorOffset or 0))
    found = rfc(ctx, "Email/query", query)
    message_ids = found["ids"]
    threads = thread_ids(ctx, account_id, message_ids)
    listed_threads = [threads.get(m) for m in message_ids]
    if args.fetchThreads:
        ctx.then("getThreads", {"accountId": account_id, "ids": list(dict.fromkeys(t for t in listed_threads if t)),
                                "fetchMessages": args.fetchMessages,
                                "fetchMessageProperties": args.fetchMessageProperties})
    elif args.fetchMessages:
        ctx.then("getMessages", {"accountId": account_id, "ids": message_ids,
                                 "properties": args.fetchMessageProperties})
    if args.fetchSearchSnippets:
        ctx.then("getSearchSnippets", {"accountId": account_id, "messageIds": message_ids, "filter": args.filter})
    return Named("messageList", {
        "accountId": account_id,
        "filter": args.filter,
        "sort": args.sort,
        "collapseThreads": args.collapseThreads,
        "state": found["queryState"],
        "canCalculateUpdates": found["canCalculateChanges"],
        "position": found["position"],
        "total": found["total"],
        "threadIds": listed_threads,
        "messageIds": message_ids,
    })


def get_message_list_updates(ctx: Context, raw: dict[str, Any]) -> Named:
    args = arguments(raw, GetMessageListUpdatesArgs)
    account_id = account_of(ctx, args)
    if not args.sinceState:
        raise invalid_arguments("sinceState is required (draft §3.2)")
    if args.maxChanges is not None and args.maxChanges < 1:
        raise invalid_arguments("maxChanges must be a positive integer")
    changes = rfc(ctx, "Email/queryChanges", {
        "accountId": account_id, "filter": rfc_filter(args.filter), "sort": rfc_sort(args.sort),
        "collapseThreads": bool(args.collapseThreads), "sinceQueryState": args.sinceState,
        "upToId": args.uptoMessageId, "maxChanges": args.maxChanges, "calculateTotal": True})
    added_ids = [a["id"] for a in changes["added"]]
    # A message destroyed since has no thread any more: its RemovedItem's threadId is null.
    threads = thread_ids(ctx, account_id, list(dict.fromkeys(changes["removed"] + added_ids)))
    return Named("messageListUpdates", {
        "accountId": account_id,
        "filter": args.filter,
        "sort": args.sort,
        "collapseThreads": args.collapseThreads,
        "oldState": changes["oldQueryState"],
        "newState": changes["newQueryState"],
        "uptoMessageId": args.uptoMessageId,
        "total": changes["total"],
        "removed": [{"messageId": m, "threadId": threads.get(m)} for m in changes["removed"]],
        "added": [{"messageId": a["id"], "threadId": threads.get(a["id"]), "index": a["index"]}
                  for a in changes["added"]],
    })
