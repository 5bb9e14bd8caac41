"""reportMessages (draft §5.6): spam or not-spam reports, which must not change the messages.

jmapd runs no spam filter, so there is nothing to train: a report is checked (the account, that it
may be written, that each message exists) and acknowledged, and changes nothing, as the draft asks.
"""

from __future__ import annotations

from typing import Any

from ..methods.args import parse
from ..methods.context import Context
from ..protocol.capabilities import MAIL
from ..protocol.engine import Named
from ..protocol.errors import MethodError, invalid_arguments
from .common import DraftArgs, account_of, rfc


class ReportMessagesArgs(DraftArgs):
    messageIds: list[str] | None = None
    asSpam: bool | None = None


def report_messages(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, ReportMessagesArgs)
    account_id = account_of(ctx, args)
    if args.messageIds is None or args.asSpam is None:
        raise invalid_arguments("messageIds and asSpam are required (draft §5.6)")
    limit = ctx.server.core_limits.max_objects_in_set
    if len(args.messageIds) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} messages in one report")
    ctx.account(account_id, MAIL, write=True)
    got = rfc(ctx, "Email/get", {"accountId": account_id, "ids": args.messageIds, "properties": ["id"]})
    return Named("messagesReported", {"accountId": account_id, "asSpam": args.asSpam,
                                      "reported": [e["id"] for e in got["list"]],
                                      "notFound": got["notFound"] or None})
