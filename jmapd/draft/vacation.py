"""getVacationResponse and setVacationResponse (draft §8) over VacationResponse/get and /set: the
same object, with the same property names, under the draft's method and response names."""

from __future__ import annotations

from typing import Any

from ..methods.args import parse
from ..methods.context import Context
from ..protocol.engine import Named
from ..protocol.errors import invalid_arguments
from .common import DraftArgs, account_of, rfc

SINGLETON = "singleton"


class SetVacationResponseArgs(DraftArgs):
    update: dict[str, Any] | None = None


def get_vacation_response(ctx: Context, raw: dict[str, Any]) -> Named:
    account_id = account_of(ctx, parse(raw, DraftArgs))
    got = rfc(ctx, "VacationResponse/get", {"accountId": account_id, "ids": None})
    return Named("vacationResponse", {"accountId": account_id, "list": got["list"]})


def set_vacation_response(ctx: Context, raw: dict[str, Any]) -> Named:
    args = parse(raw, SetVacationResponseArgs)
    account_id = account_of(ctx, args)
    if set(args.update or {}) - {SINGLETON}:
        raise invalid_arguments('the only VacationResponse has the id "singleton" (draft §8.2)')
    result = rfc(ctx, "VacationResponse/set", {"accountId": account_id, "update": args.update})
    return Named("vacationResponseSet", {"accountId": account_id, "updated": list(result["updated"] or {}),
                                         "notUpdated": result["notUpdated"] or {}})
