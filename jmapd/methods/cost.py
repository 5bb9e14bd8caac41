"""Which calls are cheap enough to answer on the event loop, judged from their arguments alone.

Everything the event loop runs, every other user waits for. A call stays there only when its cost
is bounded by a small constant whatever the account holds: a /get of a few named records, the
first page of a mailbox in its index's order, Core/echo. Anything else (a filter or a sort that
reads every candidate record, a body property that parses messages, a change log read from any
point, a write) runs in a thread (jmapd.http.api decides, with jmapd.protocol.engine). The
predicates are called with whatever a client sent, so they look before they touch.
"""

from __future__ import annotations

from typing import Any

from .email.properties import FAST

# Named ids a /get may render on the event loop; more go to a thread.
ON_LOOP_MAX_IDS = 100
# How far into a mailbox's index (position + limit) an Email/query may read on the event loop.
ON_LOOP_MAX_WINDOW = 1000


def few_named_ids(args: dict[str, Any]) -> bool:
    ids = args.get("ids")
    return isinstance(ids, list) and len(ids) <= ON_LOOP_MAX_IDS


def get_may_block(args: dict[str, Any]) -> bool:
    """A /get of records rendered from their stored fields."""
    return not few_named_ids(args)


def email_get_may_block(args: dict[str, Any]) -> bool:
    """Email/get on the loop: a few named emails, record properties only (no property list means
    the body properties, which parse every message)."""
    properties = args.get("properties")
    return not (few_named_ids(args) and isinstance(properties, list)
                and all(isinstance(p, str) and p in FAST for p in properties))


def email_query_may_block(args: dict[str, Any]) -> bool:
    """Email/query on the loop: a mailbox (or every email) in the index's own order, from a
    position at or after the start; its cost grows with the page, not with the mailbox."""
    filter_ = args.get("filter")
    if filter_ is not None and not (isinstance(filter_, dict) and set(filter_) == {"inMailbox"}
                                    and isinstance(filter_["inMailbox"], str)):
        return True
    sort = args.get("sort")
    if sort is not None and not (isinstance(sort, list) and (not sort or (
            len(sort) == 1 and isinstance(sort[0], dict) and sort[0].get("property") == "receivedAt"))):
        return True
    # Collapsing threads may skip any number of entries per page (one long thread); an anchor or a
    # negative position needs every id.
    if args.get("collapseThreads") is not False and "collapseThreads" in args or args.get("anchor") is not None:
        return True
    position, limit = args.get("position", 0), args.get("limit")
    return not (isinstance(position, int) and isinstance(limit, int) and 0 <= position and 0 <= limit
                and position + limit <= ON_LOOP_MAX_WINDOW)
