"""MailboxRights (RFC 8621 §2) for the owner of an account."""

from __future__ import annotations

from typing import Any

_ALL = ("mayReadItems", "mayAddItems", "mayRemoveItems", "maySetSeen", "maySetKeywords",
        "mayCreateChild", "mayRename", "mayDelete", "maySubmit")


def owner_rights(role: str | None, may_submit: bool = True) -> dict[str, Any]:
    """Everything, except that the inbox can be neither renamed nor deleted: mail delivery needs it;
    and maySubmit only while the server sends at all."""
    rights = dict.fromkeys(_ALL, True)
    rights["maySubmit"] = may_submit
    if role == "inbox":
        rights["mayRename"] = rights["mayDelete"] = False
    return rights
