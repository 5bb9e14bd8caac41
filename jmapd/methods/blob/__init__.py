"""Blob/copy (RFC 8620 §6.3): grants another account access to blobs this user can read."""

from __future__ import annotations

from typing import Any

from store import WriteTxn
from store.blobs import blob_ref, grant

from ...protocol.capabilities import CORE
from ...protocol.engine import Registry
from ..args import Args, parse
from ..context import Context


class BlobCopyArgs(Args):
    fromAccountId: str
    accountId: str
    blobIds: list[str]


def copy(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, BlobCopyArgs)
    from_account = ctx.account(args.fromAccountId, CORE, prefix="from")
    to_account = ctx.account(args.accountId, CORE, write=True)

    def work(txn: WriteTxn) -> dict[str, Any]:
        copied: dict[str, str] = {}
        not_copied: dict[str, Any] = {}
        for blob_id in args.blobIds:
            ref = blob_ref(txn, from_account, blob_id)
            if ref is None:
                not_copied[blob_id] = {"type": "blobNotFound", "description": "no such blob in the from account"}
                continue
            grant(txn, to_account, blob_id, ref.size, ref.type)
            copied[blob_id] = blob_id  # content-addressed: the same bytes keep the same id
        return {"fromAccountId": from_account, "accountId": to_account,
                "copied": copied or None, "notCopied": not_copied or None}

    return ctx.store.write(work)


def register(registry: Registry) -> None:
    registry.add("Blob/copy", CORE, copy, blocking=True)
