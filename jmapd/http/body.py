"""Reading request bodies without ever holding more than the configured limit in memory."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

from ..protocol.errors import RequestError


async def read_limited(request: Request, limit: int, limit_name: str, status: int) -> bytes:
    return await read_body(request.receive, request.headers.get("content-length"), limit, limit_name, status)


async def read_body(receive: Receive, declared: str | None, limit: int, limit_name: str, status: int) -> bytes:
    """The body of an ASGI request whose Content-Length header is `declared` (None if absent)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError("limit", f"The body is larger than {limit} octets.", limit=limit_name, status=status)
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestError("limit", f"The body is larger than {limit} octets.", limit=limit_name, status=status)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
