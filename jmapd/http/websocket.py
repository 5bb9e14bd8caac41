"""JMAP over WebSocket (RFC 8887): API requests and push on one connection.

The connection is authenticated once, in the HTTP request that opens it, as every other request
is. Each text message is a JMAP object with an `@type`: a `Request` runs through the same engine,
limits and errors as a POST to the API (jmapd/http/api.py), and is answered with a `Response` or a
`RequestError` carrying its `requestId`; `WebSocketPushEnable` and `WebSocketPushDisable` turn
StateChange pushes on and off, resuming from a `pushState` the client was given before. A message
that is not JSON, or not one of these, gets a RequestError and the connection stays open.

Requests run concurrently, at most maxConcurrentRequests at a time per connection; a message larger
than maxSizeRequest is refused with a `limit` error, and one larger than twice that is refused by the
WebSocket layer itself (close code 1009), before it is ever held in memory whole.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from starlette.exceptions import HTTPException
from starlette.websockets import WebSocket, WebSocketDisconnect

from store.records import User
from store.users import normalize

from ..methods.context import accessible_accounts
from ..protocol.errors import RequestError
from ..protocol.wire import encode_json
from ..push import Event, Subscriber, parse_position
from .api import run_request
from .auth import CHALLENGE
from .problems import http_exception_problem, problem
from .state import AppState, app_state

log = logging.getLogger("jmapd.http")

SUBPROTOCOL = "jmap"
WEBSOCKET_PATHS = frozenset({"/jmap/ws/", "/jmap/ws"})
MAX_DATA_TYPES = 64


class _Envelope(msgspec.Struct):
    """What every client message says about itself; the rest depends on its @type."""

    type: str = msgspec.field(name="@type", default="")
    id: Any = None


class _PushEnable(msgspec.Struct):
    dataTypes: list[str] | None = None
    pushState: str | None = None


_envelope = msgspec.json.Decoder(_Envelope)
_push_enable = msgspec.json.Decoder(_PushEnable)


def _request_error(error: RequestError, request_id: Any = None) -> bytes:
    body = {"@type": "RequestError", **error.problem()}
    if isinstance(request_id, str):
        body["requestId"] = request_id
    return encode_json(body)


def _state_change(event: Event) -> bytes:
    """RFC 8887 §4.3.5.1: the StateChange with the pushState to resume from."""
    return encode_json({**event.state_change(), "pushState": event.position}).decode()


class Connection:
    """One open WebSocket: its reader, the requests in flight, and its push subscription."""

    def __init__(self, state: AppState, user: User, websocket: WebSocket, credential: str = ""):
        self.state = state
        self.user = user
        self.credential = credential
        self.websocket = websocket
        self.limits = state.server.core_limits
        self.in_flight: set[asyncio.Task] = set()
        self.subscriber: Subscriber | None = None
        self.pump: asyncio.Task | None = None
        self.sending = asyncio.Lock()
        self.reader = asyncio.current_task()
        self.dropped = False

    async def run(self) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    # RFC 8887 §4.3: JMAP messages are text frames.
                    await self.send(_request_error(RequestError("notJSON", "JMAP messages are text frames.")))
                    continue
                await self.handle(text.encode())
        except asyncio.CancelledError:
            if not self.dropped:
                raise
            self.reader.uncancel()  # dropped as too slow a reader: the server closes the connection
        except WebSocketDisconnect:
            pass
        finally:
            self.disable_push()
            for task in self.in_flight:
                task.cancel()

    async def handle(self, data: bytes) -> None:
        max_size = self.limits.max_size_request
        if len(data) > max_size:
            await self.send(_request_error(RequestError(
                "limit", f"The message is larger than {max_size} octets.", limit="maxSizeRequest")))
            return
        try:
            envelope = _envelope.decode(data)
        except msgspec.ValidationError as exc:
            await self.send(_request_error(RequestError("notRequest", f"Not a JMAP WebSocket message: {exc}")))
            return
        except msgspec.DecodeError as exc:
            await self.send(_request_error(RequestError("notJSON", f"The message is not valid JSON: {exc}")))
            return
        if envelope.type == "Request":
            if len(self.in_flight) >= self.limits.max_concurrent_requests:
                await self.send(_request_error(RequestError(
                    "limit", f"More than {self.limits.max_concurrent_requests} concurrent requests.",
                    limit="maxConcurrentRequests", status=429), envelope.id))
                return
            task = asyncio.create_task(self.answer(data, envelope.id))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        elif envelope.type == "WebSocketPushEnable":
            await self.enable_push(data)
        elif envelope.type == "WebSocketPushDisable":
            self.disable_push()
        else:
            await self.send(_request_error(RequestError(
                "notRequest", "@type must be Request, WebSocketPushEnable or WebSocketPushDisable (RFC 8887 §4.3)."),
                envelope.id))

    async def answer(self, data: bytes, request_id: Any) -> None:
        try:
            envelope: dict[str, Any] = {"@type": "Response"}
            if isinstance(request_id, str):
                envelope["requestId"] = request_id
            encoded, _ = await run_request(self.state, self.user, data, envelope, credential=self.credential)
        except RequestError as exc:
            await self.send(_request_error(exc, request_id))
            return
        except Exception:
            log.exception("a WebSocket request failed")
            await self.send(_request_error(RequestError("serverFail", "The server failed; see its log.", status=500),
                                           request_id))
            return
        await self.send(encoded)

    async def enable_push(self, data: bytes) -> None:
        try:
            args = _push_enable.decode(data)
        except msgspec.ValidationError as exc:
            await self.send(_request_error(RequestError("notRequest", f"Not a WebSocketPushEnable: {exc}")))
            return
        if args.dataTypes is not None and len(args.dataTypes) > MAX_DATA_TYPES:
            await self.send(_request_error(RequestError("notRequest", "Too many dataTypes.")))
            return
        self.disable_push()
        push = self.state.push
        accounts = await asyncio.to_thread(accessible_accounts, self.state.server, self.user)
        sub = Subscriber(frozenset(accounts), None if args.dataTypes is None else frozenset(args.dataTypes),
                         user=normalize(self.user.name))
        sub.on_overflow = self.drop
        push.subscribe(sub)
        self.subscriber = sub
        since = parse_position(args.pushState)
        missed = None if since is None else push.catch_up(sub, since)
        if missed is not None:
            await self.send_event(missed)
        self.pump = asyncio.create_task(self.forward(sub))

    def disable_push(self) -> None:
        if self.subscriber is not None:
            self.state.push.unsubscribe(self.subscriber)
            self.subscriber = None
        if self.pump is not None:
            self.pump.cancel()
            self.pump = None

    async def forward(self, sub: Subscriber) -> None:
        while True:
            await self.send_event(await sub.queue.get())

    async def send_event(self, event: Event) -> None:
        await self.send(event.encode("websocket", _state_change))

    def drop(self) -> None:
        """The client reads pushes slower than they come: stop, whatever is being written."""
        self.dropped = True
        self.reader.cancel()

    async def send(self, data: bytes | str) -> None:
        async with self.sending:
            await self.websocket.send_text(data if isinstance(data, str) else data.decode())


async def _refuse(websocket: WebSocket, exc: HTTPException | RequestError) -> None:
    """Refuse the opening handshake with the HTTP error any other endpoint would give."""
    response = problem(exc) if isinstance(exc, RequestError) else http_exception_problem(exc)
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:
        await websocket.close(1008)


async def websocket_endpoint(websocket: WebSocket) -> None:
    state = app_state(websocket)
    user = await state.auth.authenticate(websocket)
    if user is None:
        await _refuse(websocket, HTTPException(401, "Authentication required: HTTP Basic or a Bearer token.",
                                               headers={"WWW-Authenticate": CHALLENGE}))
        return
    if SUBPROTOCOL not in websocket.scope.get("subprotocols", []):
        await _refuse(websocket, HTTPException(400, "The WebSocket must use the jmap subprotocol (RFC 8887 §4.2)."))
        return
    await websocket.accept(subprotocol=SUBPROTOCOL)
    await Connection(state, user, websocket, state.auth.credential_of(websocket.headers.get("authorization", ""))).run()
