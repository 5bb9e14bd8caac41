"""getSearchSnippets (draft §7) over SearchSnippet/get: the same snippets, keyed by messageId."""

from __future__ import annotations

from typing import Any

from ..methods.args import parse
from ..methods.context import Context
from ..protocol.engine import Named
from ..protocol.errors import invalid_arguments
from .common import DraftArgs, account_of, rfc
from .filters import rfc_filter


class GetSearchSnippetsArgs(DraftArgs):
    messageIds: list[str] | None = None
    filter: dict[str, Any] | None = None


def get_search_snippets(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, GetSearchSnippetsArgs)
    account_id = account_of(ctx, args)
    if args.messageIds is None:
        raise invalid_arguments("messageIds is required (draft §7.1)")
    got = rfc(ctx, "SearchSnippet/get", {"accountId": account_id, "emailIds": args.messageIds,
                                         "filter": rfc_filter(args.filter)})
    return Named("searchSnippets", {
        "accountId": account_id,
        "filter": args.filter,
        "list": [{"messageId": s["emailId"], "subject": s["subject"], "preview": s["preview"]} for s in got["list"]],
        "notFound": got["notFound"] or None,
    })
