"""Email/get's view of an Email (RFC 8621 §4.2): the properties asked for, parsing only if needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from store import ReadTxn

from ...mail.messages import stored_message
from ...mail.records import EmailRecord
from ..args import GetArgs, UnsignedInt
from .properties import FAST, FAST_GETTERS, check_body_properties, check_properties


class EmailGetArgs(GetArgs):
    bodyProperties: list[str] | None = None
    fetchTextBodyValues: bool = False
    fetchHTMLBodyValues: bool = False
    fetchAllBodyValues: bool = False
    maxBodyValueBytes: UnsignedInt = 0


def renderer(txn: ReadTxn, account_id: str, args: EmailGetArgs) -> Callable[[str, EmailRecord], dict[str, Any]]:
    properties = check_properties(args.properties)
    body_properties = check_body_properties(args.bodyProperties)
    fast = [(p, FAST_GETTERS[p]) for p in properties if p in FAST]
    parsed = [p for p in properties if p not in FAST]
    max_bytes = args.maxBodyValueBytes or None

    def render(email_id: str, record: EmailRecord) -> dict[str, Any]:
        out = {p: get(email_id, record) for p, get in fast}
        if not parsed:
            return out
        message = stored_message(txn, account_id, record.blob_id)
        out.update(message.properties([p for p in parsed if p != "bodyValues"], body_properties))
        if "bodyValues" in parsed:
            part_ids = message.body_value_part_ids(args.fetchTextBodyValues, args.fetchHTMLBodyValues,
                                                   args.fetchAllBodyValues)
            out["bodyValues"] = message.body_values(part_ids, max_bytes)
        return out

    return render
