"""POST apiUrl: one JMAP Request in, one Response out (RFC 8620 §3.1).

Nearly every request a client makes is one of these, so the endpoint is a bare ASGI app: the
application hands API calls to it ahead of Starlette's routing (jmapd.http.app), and it reads the
few headers it needs from the scope and answers its own errors, without Request and Response objects.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from store.records import User

from ..methods.context import request_accounts
from ..methods.services import Principal
from ..protocol.engine import RequestRun
from ..protocol.errors import RequestError
from ..protocol.wire import decode_request, encode_json
from .auth import CHALLENGE
from .body import read_body
from .problems import http_exception_problem, http_problem, problem
from .session import session_state
from .state import AppState

log = logging.getLogger("jmapd.http")

_JSON = b"application/json"
# Bodies up to this size are decoded on the event loop (well under a millisecond); larger ones in a thread.
DECODE_ON_LOOP_MAX = 64 * 1024
# How often a thread running Python hands the GIL over (Python's default: every 5 ms). The event
# loop needs the GIL several times per request; behind a thread computing a large request it waited
# up to 5 ms each time, which made another user's Core/echo wait tens of milliseconds.
GIL_SWITCH_INTERVAL = 0.001


class ApiEndpoint:
    def __init__(self, state: AppState):
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body, elapsed_ms = await self._answer(scope, receive)
        except RequestError as exc:
            await problem(exc)(scope, receive, send)
        except HTTPException as exc:
            await http_exception_problem(exc)(scope, receive, send)
        except ClientDisconnect:
            pass
        except Exception:
            log.exception("the API request failed")
            await http_problem(500, "Internal Server Error", "The server failed; see its log.")(scope, receive, send)
        else:
            # How long the method calls took, for browser devtools and benchmarks (W3C Server Timing).
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", _JSON), (b"content-length", b"%d" % len(body)),
                (b"server-timing", b"jmap;dur=%.3f" % elapsed_ms)]})
            await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[bytes, float]:
        authorization = content_type = length = None
        for name, value in scope["headers"]:
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"content-length" and length is None:
                length = value.decode("latin-1")
        state = self.state
        user = await state.auth.check(authorization or "", state.auth.client_address(scope))
        if user is None:
            raise HTTPException(401, "Authentication required: HTTP Basic or a Bearer token.",
                                headers={"WWW-Authenticate": CHALLENGE})
        if content_type is None or content_type.split(b";")[0].strip().lower() != _JSON:
            raise RequestError("notJSON", "The request's Content-Type must be application/json (RFC 8620 §3.1).")
        with state.api_slots.slot(user.name):
            body = await read_body(receive, length, state.server.core_limits.max_size_request, "maxSizeRequest", 400)
            credential = state.auth.credential_of(authorization or "")
            return await self.respond(body, Principal(state.server, user, credential=credential))

    async def respond(self, body: bytes, principal: Principal) -> tuple[bytes, float]:
        """The response body and the milliseconds its method calls took (the draft dialect's
        endpoint answers its own request format here)."""
        return await run_request(self.state, principal.user, body, credential=principal.credential)


async def run_request(state: AppState, user: User, body: bytes, envelope: dict[str, Any] | None = None, *,
                      credential: str = "") -> tuple[bytes, float]:
    """One JMAP Request, however it came (HTTP POST or a WebSocket message): its Response object
    encoded, `envelope`'s members first, and how long the method calls took in milliseconds.

    Calls run on the event loop while each is of bounded cost; from the first that may block (a
    writer, a search, a large parse), the rest of the request and the encoding run in a thread.
    """
    principal = Principal(state.server, user, credential=credential)
    started = time.perf_counter()
    if len(body) > DECODE_ON_LOOP_MAX:
        answer = await run_in_threadpool(_decode_and_run, state, body, principal, envelope)
    else:
        run = state.engine.start(decode_request(body), principal)
        while not run.done and not run.next_may_block():
            run.step()
        answer = (_respond(run, principal, envelope) if run.done
                  else await run_in_threadpool(_respond, run, principal, envelope))
    return answer, (time.perf_counter() - started) * 1000


def _decode_and_run(state: AppState, body: bytes, principal: Principal, envelope: dict[str, Any] | None) -> bytes:
    return _respond(state.engine.start(decode_request(body), principal), principal, envelope)


def _respond(run: RequestRun, principal: Principal, envelope: dict[str, Any] | None = None) -> bytes:
    """The rest of the request's calls, then its Response, encoded."""
    result = {**(envelope or {}), **run.finish()}
    result["sessionState"] = session_state(principal.user, request_accounts(principal))
    return encode_json(result)
