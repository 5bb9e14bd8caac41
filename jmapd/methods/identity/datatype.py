"""The Identity data type (RFC 8621 §6): wire form and what a create, update or destroy checks."""

from __future__ import annotations

from typing import Any

from ...mail.addresses import normalize_address
from ...mail.errors import InvalidAddress
from ...mail.identities import IDENTITY, ForbiddenFrom, IdentityRecord, check_may_send_as
from ...protocol.capabilities import SUBMISSION
from ...protocol.errors import SetError, invalid_properties
from ..datatype import DataType

# Wire name -> record field, for the properties a client sets freely.
SETTABLE = {"name": "name", "replyTo": "reply_to", "bcc": "bcc", "textSignature": "text_signature",
            "htmlSignature": "html_signature"}
MAX_TEXT = 64 * 1024


class IdentityType(DataType):
    name = IDENTITY
    capability = SUBMISSION
    record = IdentityRecord
    id_prefix = "I"
    properties = ("id", "name", "email", "replyTo", "bcc", "textSignature", "htmlSignature", "mayDelete")
    server_set = frozenset({"id", "mayDelete"})
    immutable = frozenset({"id", "email", "mayDelete"})

    def to_json(self, ctx, txn, account_id, record_id, record: IdentityRecord, properties) -> dict[str, Any]:
        full = {"id": record_id, "name": record.name, "email": record.email, "replyTo": record.reply_to,
                "bcc": record.bcc, "textSignature": record.text_signature,
                "htmlSignature": record.html_signature, "mayDelete": record.may_delete}
        return {p: full[p] for p in properties}

    def create(self, ctx, txn, account_id, obj, args):
        unknown = [p for p in obj if p not in self.properties]
        email = obj.get("email")
        bad = list(unknown)
        if not isinstance(email, str):
            bad.append("email")
        record = IdentityRecord(email="")
        bad += self._apply(record, obj)
        if bad:
            raise invalid_properties(bad, "unknown or invalid properties")
        try:
            local, _, domain = email.strip().rpartition("@")
            record.email = f"*@{normalize_address('x@' + domain).rpartition('@')[2]}" if local == "*" \
                else normalize_address(email)
            check_may_send_as(txn, account_id, record.email, ctx.server.hostname)
        except InvalidAddress:
            raise invalid_properties(["email"], f"{email!r} is not a valid address") from None
        except ForbiddenFrom as exc:
            raise SetError("forbiddenFrom", str(exc)) from None
        record_id = txn.new_id(account_id, self.name, self.id_prefix)
        txn.create(account_id, self.name, record_id, record)
        extra = {p: v for p, v in self.to_json(ctx, txn, account_id, record_id, record,
                                               frozenset(self.properties)).items() if p not in obj and p != "id"}
        if record.email != email:
            extra["email"] = record.email
        return record_id, extra

    def update(self, ctx, txn, account_id, record_id, record: IdentityRecord, changes, args):
        bad = self._apply(record, changes)
        if bad:
            raise invalid_properties(bad, "invalid values")
        txn.update(account_id, self.name, record_id, record)
        return None

    def destroy(self, ctx, txn, account_id, record_id, record: IdentityRecord, args) -> None:
        if not record.may_delete:
            raise SetError("forbidden", "this identity cannot be deleted (it is the account's own address)")
        txn.destroy(account_id, self.name, record_id)

    @staticmethod
    def _apply(record: IdentityRecord, values: dict[str, Any]) -> list[str]:
        """Copy valid settable values; return the properties that were invalid."""
        bad = []
        for prop, field in SETTABLE.items():
            if prop not in values:
                continue
            value = values[prop]
            if prop in ("replyTo", "bcc"):
                if value is None:
                    setattr(record, field, None)
                elif _addresses(value) is None:
                    bad.append(prop)
                else:
                    setattr(record, field, _addresses(value))
            elif value is None and prop == "name":
                record.name = ""
            elif not isinstance(value, str) or len(value) > MAX_TEXT or (prop == "name" and ("\r" in value or "\n" in value)):
                bad.append(prop)
            else:
                setattr(record, field, value)
        return bad


def _addresses(value: Any) -> list[dict[str, str | None]] | None:
    """EmailAddress[] (RFC 8621 §4.1.2.3) with valid addresses, or None if it is not one."""
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"name", "email"}:
            return None
        name, email = item.get("name"), item.get("email")
        if (name is not None and not isinstance(name, str)) or not isinstance(email, str):
            return None
        if any(c in (name or "") + email for c in "\r\n"):
            return None
        try:
            normalize_address(email)
        except InvalidAddress:
            return None
        out.append({"name": name, "email": email})
    return out
