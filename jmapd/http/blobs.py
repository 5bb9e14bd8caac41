"""Upload (RFC 8620 §6.1) and download (§6.2) of binary data.

Blobs are immutable, so downloads carry long-lived private caching headers. An account a user cannot
reach, and a blob its account cannot read, both answer 404: the answer never reveals whether a blob
exists elsewhere.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from store.blobs import put_blob

from ..mail.messages import read_blob_any
from ..methods.context import accessible_accounts
from ..protocol.wire import encode_json
from .body import read_limited
from .state import app_state, require_user

# type "/" subtype, RFC 6838 restricted names, optionally with parameters.
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;.*)?$")


def _account(request: Request, user, *, write: bool) -> str:
    account_id = request.path_params["account_id"]
    account = accessible_accounts(app_state(request).server, user).get(account_id)
    if account is None:
        raise HTTPException(404, f"No account {account_id}.")
    if write and account.is_read_only:
        raise HTTPException(403, f"Account {account_id} is read-only.")
    return account_id


async def upload(request: Request) -> Response:
    state = app_state(request)
    user = await require_user(request)
    account_id = _account(request, user, write=True)
    content_type = request.headers.get("content-type") or "application/octet-stream"
    if not _MEDIA_TYPE.match(content_type) or len(content_type) > 255:
        content_type = "application/octet-stream"
    with state.upload_slots.slot(user.name):
        data = await read_limited(request, state.server.core_limits.max_size_upload, "maxSizeUpload", 413)
        # A durable commit waits for the disk: never on the event loop.
        blob_id, ref = await run_in_threadpool(
            state.server.store.write, lambda txn: put_blob(txn, account_id, data, content_type))
    body = {"accountId": account_id, "blobId": blob_id, "type": ref.type, "size": len(data)}
    return Response(encode_json(body), media_type="application/json")


def content_disposition(name: str) -> str:
    """attachment with an ASCII fallback and the exact UTF-8 name (RFC 6266, RFC 8187)."""
    fallback = re.sub(r'[^\x20-\x7e]|["\\]', "_", name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _read_blob(store, account_id: str, blob_id: str) -> bytes | None:
    with store.read() as txn:
        return read_blob_any(txn, account_id, blob_id)


async def download(request: Request) -> Response:
    state = app_state(request)
    user = await require_user(request)
    account_id = _account(request, user, write=False)
    blob_id = request.path_params["blob_id"]
    etag = f'"{blob_id}"'
    # A part of a message is cut out of the parsed message (seconds for one of 100,000 parts), and
    # a blob may be 50 MB: read off the event loop.
    data = await run_in_threadpool(_read_blob, state.server.store, account_id, blob_id)
    if data is None:
        raise HTTPException(404, f"No blob {blob_id} in account {account_id}.")
    media_type = request.query_params.get("accept") or request.query_params.get("type")
    if not media_type or not _MEDIA_TYPE.match(media_type):
        media_type = "application/octet-stream"
    headers = {
        "Content-Disposition": content_disposition(request.path_params["name"]),
        "Cache-Control": "private, immutable, max-age=31536000",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)
