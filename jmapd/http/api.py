"""POST apiUrl: one JMAP Request in, one Response out (RFC 8620 §3.1)."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..methods.context import request_accounts
from ..protocol.errors import RequestError
from ..protocol.wire import decode_request, encode_json
from ..services import Principal
from .body import read_limited
from .session import session_state
from .state import app_state, require_user


async def api(request: Request) -> Response:
    state = app_state(request)
    user = await require_user(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RequestError("notJSON", "The request's Content-Type must be application/json (RFC 8620 §3.1).")
    limits = state.server.core_limits
    with state.api_slots.slot(user.name):
        body = await read_limited(request, limits.max_size_request, "maxSizeRequest", 400)
        jmap_request = decode_request(body)
        state.engine.check(jmap_request)
        principal = Principal(state.server, user)
        started = time.perf_counter()
        if state.engine.registry.may_block(jmap_request):
            # Writers wait for LMDB's write lock and the disk, searches for the index: off the loop.
            result = await run_in_threadpool(state.engine.run, jmap_request, principal)
        else:
            # Plain reads never block in LMDB, and a thread hop would cost as much as the calls.
            result = state.engine.run(jmap_request, principal)
        elapsed_ms = (time.perf_counter() - started) * 1000
    result["sessionState"] = session_state(user, request_accounts(principal))
    # How long the method calls took, for browser devtools and benchmarks (W3C Server Timing).
    headers = {"Server-Timing": f"jmap;dur={elapsed_ms:.3f}"}
    return Response(encode_json(result), media_type="application/json", headers=headers)
