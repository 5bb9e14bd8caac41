"""getMessageList and getMessageListUpdates (draft §3) over Email/query and Email/queryChanges.

A message list carries, beside the message ids, the thread id of each; and it may ask for implicit
calls whose responses follow it under the same client id: getThreads (fetchThreads), getMessages
(fetchMessages without fetchThreads) and getSearchSnippets (fetchSearchSnippets), in that order.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec

from ..methods.args import parse
from ..methods.context import Context
from ..methods.email import EMAIL
from ..methods.standard.get import get
from ..protocol.capabilities import MAIL
from ..protocol.engine import Named
from ..protocol.errors import invalid_arguments
from .common import DraftArgs, account_of, check_since, rfc
from .filters import has_text_condition, rfc_filter, rfc_sort


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


class _Thread(msgspec.Struct):
    id: str
    threadId: str


_decode_threads = msgspec.json.Decoder(list[_Thread]).decode
_encode = msgspec.json.Encoder().encode


def thread_ids(ctx: Context, account_id: str, message_ids: list[str]) -> dict[str, str]:
    """The thread of each message, from Email/get's kept renderings (a list view asks for the same
    ones on every refresh), decoded straight into (id, threadId) pairs."""
    threads: dict[str, str] = {}
    limit = ctx.server.core_limits.max_objects_in_get
    for start in range(0, len(message_ids), limit):
        got = get(EMAIL, ctx, {"accountId": account_id, "ids": message_ids[start:start + limit],
                               "properties": ["threadId"]})
        threads.update((t.id, t.threadId) for t in _decode_threads(_encode(got["list"])))
    return threads


class _Page(msgspec.Struct, frozen=True):
    """What a messageList answer holds besides the echoed arguments."""

    state: str
    can_calculate: bool
    position: int
    total: int
    message_ids: list[str]
    thread_ids: list[str | None]


def rfc_query(args: GetMessageListArgs) -> dict[str, Any]:
    """The Email/query arguments (but the account) for a getMessageList; each view a client shows
    is translated once."""
    return _rfc_query(_encode([args.filter, args.sort, args.collapseThreads, args.position, args.limit,
                               args.anchor, args.anchorOffset]))


@lru_cache(maxsize=512)
def _rfc_query(encoded: bytes) -> dict[str, Any]:
    filter_, sort, collapse, position, limit, anchor, anchor_offset = msgspec.json.decode(encoded)
    query: dict[str, Any] = {"filter": rfc_filter(filter_), "sort": rfc_sort(sort), "collapseThreads": bool(collapse),
                             "position": position or 0, "limit": limit, "calculateTotal": True}
    if anchor is not None:
        # The draft's offset counts the other way: the anchor's index relative to the first result.
        query.update(anchor=anchor, anchorOffset=-(anchor_offset or 0))
    return query


def find_page(ctx: Context, account_id: str, query: dict[str, Any]) -> _Page:
    """Email/query's answer, with the thread of each message.

    A query's answer is fixed at its state, and a message's thread never changes: the page is kept
    with the RFC 8621 query answers (ctx.server.query_results), for the clients that ask for the
    same page on every refresh. Text searches (which depend on the index) and ids created in this
    request ("#...") are not kept, as Email/query does not keep them.
    """
    kept = ctx.server.query_results
    encoded = _encode(query)
    key = None if has_text_condition(query["filter"]) or b'"#' in encoded else b"draft-list:" + encoded
    if key is not None:
        ctx.account(account_id, MAIL)
        with ctx.store.read() as txn:
            state = txn.state(account_id, "Email")
        held = kept.get(account_id, state, key)
        if held is not None:
            return held
    found = rfc(ctx, "Email/query", query)
    threads = thread_ids(ctx, account_id, found["ids"])
    page = _Page(found["queryState"], found["canCalculateChanges"], found["position"], found["total"],
                 found["ids"], [threads.get(m) for m in found["ids"]])
    if key is not None:
        kept.put(account_id, int(found["queryState"]), key, page, ids=len(page.message_ids))
    return page


def get_message_list(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetMessageListArgs)
    account_id = account_of(ctx, args)
    if args.position is not None and args.position < 0:
        raise invalid_arguments("position must not be negative (draft §3.1)")
    if args.limit is not None and args.limit < 0:
        raise invalid_arguments("limit must not be negative (draft §3.1)")
    page = find_page(ctx, account_id, {"accountId": account_id, **rfc_query(args)})
    message_ids = page.message_ids
    if args.fetchThreads:
        ctx.then("getThreads", {"accountId": account_id, "ids": list(dict.fromkeys(t for t in page.thread_ids if t)),
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
        "state": page.state,
        "canCalculateUpdates": page.can_calculate,
        "position": page.position,
        "total": page.total,
        "threadIds": page.thread_ids,
        "messageIds": message_ids,
    })


def get_message_list_updates(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetMessageListUpdatesArgs)
    account_id = account_of(ctx, args)
    check_since(args, "3.2")
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
