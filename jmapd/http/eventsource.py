"""Push over EventSource (RFC 8620 §7.3)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from ..methods.context import accessible_accounts
from ..protocol.wire import encode_json
from ..push import Subscriber
from .state import app_state, require_user

# RFC 8620 §7.3: servers may bound ping, with a minimum no higher than 30 s and a maximum no lower than 300 s.
MIN_PING, MAX_PING = 1, 300


def _event(name: str, data: Any) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + encode_json(data) + b"\n\n"


async def eventsource(request: Request) -> StreamingResponse:
    state = app_state(request)
    user = await require_user(request)
    types_param = request.query_params.get("types", "*")
    types = None if types_param in ("*", "") else frozenset(t for t in types_param.split(",") if t)
    close_after_state = request.query_params.get("closeafter", "no") == "state"
    try:
        ping = int(request.query_params.get("ping", "0"))
    except ValueError:
        ping = 0
    ping = 0 if ping <= 0 else min(max(ping, MIN_PING), MAX_PING)
    sub = Subscriber(frozenset(accessible_accounts(state.server, user)), types)

    async def stream():
        state.push.subscribe(sub)
        try:
            while True:
                try:
                    change = await asyncio.wait_for(sub.queue.get(), timeout=ping or None)
                except asyncio.TimeoutError:
                    yield _event("ping", {"interval": ping})
                    continue
                yield _event("state", change)
                if close_after_state:
                    return
        finally:
            state.push.unsubscribe(sub)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
