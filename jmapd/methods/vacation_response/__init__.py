"""VacationResponse/get and /set (RFC 8621 §8): one object per account, id "singleton".

It exists from the start (off, with no dates or texts) without being stored; the first /set
stores it. Creating or destroying it is refused with `singleton` (RFC 8620 §5.3 lets a type
refuse what it does not allow; no other object of the type can exist).
"""

from __future__ import annotations

from typing import Any

from ...mail.vacation import SINGLETON, VACATION, VacationRecord
from ...protocol.capabilities import VACATION as VACATION_CAPABILITY
from ...protocol.engine import Registry
from ...protocol.errors import SetError, invalid_properties
from ..args import GetArgs, parse
from ..context import Context
from ..datatype import DataType
from ..dates import parse_utc_date, utc_date
from ..standard import METHODS

TEXTS = {"subject": "subject", "textBody": "text_body", "htmlBody": "html_body"}
MAX_TEXT = 256 * 1024


class VacationResponseType(DataType):
    name = VACATION
    capability = VACATION_CAPABILITY
    record = VacationRecord
    id_prefix = ""
    properties = ("id", "isEnabled", "fromDate", "toDate", "subject", "textBody", "htmlBody")

    def load(self, txn, account_id, record_id):
        if record_id != SINGLETON:
            return None
        return txn.get(account_id, VACATION, SINGLETON, VacationRecord) or VacationRecord()

    def to_json(self, ctx, txn, account_id, record_id, record: VacationRecord, properties) -> dict[str, Any]:
        date = lambda v: None if v is None else utc_date(v)  # noqa: E731
        full = {"id": SINGLETON, "isEnabled": record.is_enabled, "fromDate": date(record.from_date),
                "toDate": date(record.to_date), "subject": record.subject, "textBody": record.text_body,
                "htmlBody": record.html_body}
        return {p: full[p] for p in properties}

    def create(self, ctx, txn, account_id, obj, args):
        raise SetError("singleton", "there is exactly one VacationResponse, with the id singleton")

    def destroy(self, ctx, txn, account_id, record_id, record, args) -> None:
        raise SetError("singleton", "the VacationResponse cannot be destroyed")

    def update(self, ctx, txn, account_id, record_id, record: VacationRecord, changes, args):
        bad = []
        for prop, value in changes.items():
            if prop == "isEnabled":
                if isinstance(value, bool):
                    record.is_enabled = value
                else:
                    bad.append(prop)
            elif prop in ("fromDate", "toDate"):
                when = None if value is None else parse_utc_date(value)
                if value is not None and when is None:
                    bad.append(prop)
                else:
                    setattr(record, "from_date" if prop == "fromDate" else "to_date", when)
            elif prop in TEXTS:
                if value is None or (isinstance(value, str) and len(value) <= MAX_TEXT
                                     and not (prop == "subject" and ("\r" in value or "\n" in value))):
                    setattr(record, TEXTS[prop], value)
                else:
                    bad.append(prop)
            else:
                bad.append(prop)
        if bad:
            raise invalid_properties(bad, "invalid values")
        txn.update(account_id, VACATION, SINGLETON, record)
        return None


VACATION_RESPONSE = VacationResponseType()


def get(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, GetArgs)
    account_id = ctx.account(args.accountId, VACATION_CAPABILITY)
    properties = VACATION_RESPONSE.check_properties(args.properties)
    ids = [SINGLETON] if args.ids is None else list(dict.fromkeys(args.ids))
    with ctx.store.read() as txn:
        state = txn.state(account_id, VACATION)
        record = VACATION_RESPONSE.load(txn, account_id, SINGLETON)
        found = [VACATION_RESPONSE.to_json(ctx, txn, account_id, SINGLETON, record, properties)
                 for i in ids if i == SINGLETON]
    return {"accountId": account_id, "state": str(state), "list": found,
            "notFound": [i for i in ids if i != SINGLETON]}


def set_(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    return METHODS["set"](VACATION_RESPONSE, ctx, raw)


def register(registry: Registry) -> None:
    registry.add("VacationResponse/get", VACATION_CAPABILITY, get)
    registry.add("VacationResponse/set", VACATION_CAPABILITY, set_, blocking=True)
