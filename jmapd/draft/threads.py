"""getThreads and getThreadUpdates (draft §4) over Thread/get and Thread/changes.

A Thread's messageIds are its emailIds, oldest first: the draft's "date order", since its `date`
is RFC 8621's receivedAt here (see filters.py); except that a draft replying to another message of
the thread comes right after that message (draft §4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..methods.args import parse
from ..methods.context import Context
from ..protocol.engine import Named
from ..protocol.errors import invalid_arguments
from .common import DraftArgs, account_of, changes_since, rfc


class GetThreadsArgs(DraftArgs):
    ids: list[str] | None = None
    fetchMessages: bool | None = None
    fetchMessageProperties: list[str] | None = None


class GetThreadUpdatesArgs(DraftArgs):
    sinceState: str | None = None
    maxChanges: int | None = None
    fetchRecords: bool | None = None


def draft_order(ctx: Context, account_id: str, message_ids: list[str]) -> Callable[[list[str]], list[str]]:
    """How to order a thread's messages: drafts that reply to a message of the thread right after it."""
    facts: dict[str, dict[str, Any]] = {}
    limit = ctx.server.core_limits.max_objects_in_get
    for start in range(0, len(message_ids), limit):
        got = rfc(ctx, "Email/get", {"accountId": account_id, "ids": message_ids[start:start + limit],
                                     "properties": ["keywords", "messageId", "inReplyTo"]})
        facts.update((e["id"], e) for e in got["list"])

    def order(emails: list[str]) -> list[str]:
        by_message_id = {mid: e for e in emails for mid in (facts.get(e, {}).get("messageId") or [])}
        parent_of = {}
        for e in emails:
            fact = facts.get(e, {})
            parent = by_message_id.get((fact.get("inReplyTo") or [None])[0])
            if "$draft" in (fact.get("keywords") or {}) and parent not in (None, e):
                parent_of[e] = parent
        if not parent_of:
            return emails
        replies: dict[str, list[str]] = {}
        for e in emails:
            if e in parent_of:
                replies.setdefault(parent_of[e], []).append(e)
        out: list[str] = []

        def place(e: str) -> None:
            out.append(e)
            for reply in replies.get(e, []):
                place(reply)

        for e in emails:
            if e not in parent_of:
                place(e)
        return out

    return order


def get_threads(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetThreadsArgs)
    account_id = account_of(ctx, args)
    if args.ids is None:
        raise invalid_arguments("ids is required: threads are fetched by id (draft §4.1)")
    got = rfc(ctx, "Thread/get", {"accountId": account_id, "ids": args.ids})
    order = draft_order(ctx, account_id, [m for t in got["list"] for m in t["emailIds"]])
    threads = [{"id": t["id"], "messageIds": order(t["emailIds"])} for t in got["list"]]
    if args.fetchMessages:
        ctx.then("getMessages", {"accountId": account_id,
                                 "ids": [m for t in threads for m in t["messageIds"]],
                                 "properties": args.fetchMessageProperties})
    return Named("threads", {"accountId": account_id, "state": got["state"], "list": threads,
                             "notFound": got["notFound"] or None})


def get_thread_updates(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetThreadUpdatesArgs)
    account_id = account_of(ctx, args)
    changes = changes_since(ctx, "Thread/changes", account_id, args, "4.2")
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
