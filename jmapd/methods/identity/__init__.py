"""Identity/get, /changes and /set (RFC 8621 §6).

Every address of the account gets its default identity the first time any of these runs after the
address appears, so each method first makes sure those exist (a write only when one is missing).
"""

from __future__ import annotations

from typing import Any

from ...mail.identities import ensure_default_identities, missing_defaults
from ...protocol.capabilities import SUBMISSION
from ...protocol.engine import Registry
from ...protocol.errors import MethodError
from ..context import Context
from ..standard import METHODS
from .datatype import IdentityType

IDENTITY = IdentityType()


def ensure_defaults(ctx: Context, raw: dict[str, Any]) -> None:
    """Default identities for the account named in a call's arguments, if it is one of the user's."""
    try:
        account_id = ctx.account(raw.get("accountId"), SUBMISSION)
    except MethodError:
        return  # the method itself answers with the right error
    hostname = ctx.server.hostname
    with ctx.store.read() as txn:
        if not missing_defaults(txn, account_id, hostname):
            return
    ctx.store.write(lambda txn: ensure_default_identities(txn, account_id, hostname))


def with_defaults(verb: str):
    handler = METHODS[verb]

    def run(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
        ensure_defaults(ctx, raw)
        return handler(IDENTITY, ctx, raw)

    return run


def register(registry: Registry) -> None:
    for verb in ("get", "changes", "set"):
        # May write the default identities: off the event loop.
        registry.add(f"Identity/{verb}", SUBMISSION, with_defaults(verb), blocking=True)
