"""Reading request bodies without ever holding more than the configured limit in memory."""

from __future__ import annotations

from starlette.requests import Request

from ..protocol.errors import RequestError


async def read_limited(request: Request, limit: int, limit_name: str, status: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError("limit", f"The body is larger than {limit} octets.", limit=limit_name, status=status)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError("limit", f"The body is larger than {limit} octets.", limit=limit_name, status=status)
        chunks.append(chunk)
    return b"".join(chunks)
