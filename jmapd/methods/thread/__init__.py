"""Thread/get and Thread/changes (RFC 8621 §3)."""

from __future__ import annotations

from typing import Any

from ...mail.records import ThreadRecord
from ...protocol.capabilities import MAIL
from ...protocol.engine import Registry
from ..datatype import DataType
from ..standard import register as register_standard


class ThreadType(DataType):
    name = "Thread"
    capability = MAIL
    record = ThreadRecord
    id_prefix = "T"
    properties = ("id", "emailIds")
    server_set = frozenset(properties)

    def to_json(self, ctx, txn, account_id, record_id, record: ThreadRecord, properties) -> dict[str, Any]:
        # emailIds are kept sorted by receivedAt, oldest first (RFC 8621 §3).
        out: dict[str, Any] = {"id": record_id}
        if "emailIds" in properties:
            out["emailIds"] = [email_id for _, email_id in record.emails]
        return out


THREAD = ThreadType()


def register(registry: Registry) -> None:
    register_standard(registry, THREAD, "get", "changes")
