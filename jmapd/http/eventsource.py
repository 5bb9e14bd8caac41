"""Push over EventSource (RFC 8620 §7.3).

Each `state` event carries an id, the position after it (jmapd/push/positions.py); a client that
reconnects with it as Last-Event-ID is sent one event covering what it missed, at once. A client that
reads slower than changes come is dropped when its buffer is full, rather than holding memory.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from store.users import normalize

from ..methods.context import accessible_accounts
from ..protocol.wire import encode_json
from ..push import Broadcaster, Event, Subscriber, parse_position
from .state import app_state, require_user

# RFC 8620 §7.3: servers may bound ping, with a minimum no higher than 30 s and a maximum no lower
# than 300 s. A client asking for pings more often than every MIN_PING seconds gets them that often.
MIN_PING, MAX_PING = 1, 300
MAX_TYPES = 64
EVENTSOURCE_PATHS = frozenset({"/jmap/eventsource/", "/jmap/eventsource"})


def _event(name: str, data: Any, event_id: str | None = None) -> bytes:
    head = b"id: " + event_id.encode() + b"\n" if event_id is not None else b""
    return head + b"event: " + name.encode() + b"\ndata: " + encode_json(data) + b"\n\n"


def _state_event(event: Event) -> bytes:
    return _event("state", event.state_change(), event.position)


def _bad(detail: str) -> HTTPException:
    return HTTPException(400, detail)


def parse_parameters(request: Request) -> tuple[frozenset[str] | None, bool, int]:
    """types, closeafter and ping, each as RFC 8620 §7.3 allows it, or 400."""
    params = request.query_params
    types_param = params.get("types", "*")
    if types_param in ("*", ""):
        types = None
    else:
        names = [t for t in types_param.split(",") if t]
        if len(names) > MAX_TYPES or not all(n.isascii() and n.replace("/", "").isalnum() for n in names):
            raise _bad("types must be * or a comma-separated list of type names")
        types = frozenset(names)
    close_after = params.get("closeafter", "no")
    if close_after not in ("state", "no"):
        raise _bad("closeafter must be state or no")
    ping_param = params.get("ping", "0")
    if not ping_param.isdigit() or len(ping_param) > 9:
        raise _bad("ping must be a non-negative integer number of seconds")
    ping = int(ping_param)
    return types, close_after == "state", 0 if ping == 0 else min(max(ping, MIN_PING), MAX_PING)


class EventStream(Response):
    """The event stream itself, written straight to the connection: the writer is stopped (and the
    connection closed) when the client goes away or its buffer overflows, even mid-write."""

    media_type = "text/event-stream"

    def __init__(self, push: Broadcaster, sub: Subscriber, *, ping: int, close_after_state: bool,
                 last_event_id: str | None):
        super().__init__(headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.push = push
        self.sub = sub
        self.ping = ping
        self.close_after_state = close_after_state
        self.last_event_id = last_event_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        writer = asyncio.current_task()
        stopping = False

        def stop() -> None:
            nonlocal stopping
            if not stopping:
                stopping = True
                writer.cancel()

        async def watch_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            stop()

        self.sub.on_overflow = stop
        watcher = asyncio.create_task(watch_disconnect())
        self.push.subscribe(self.sub)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            since = parse_position(self.last_event_id)
            missed = None if since is None else self.push.catch_up(self.sub, since)
            if missed is not None:
                await self._send_event(send, missed)
                if self.close_after_state:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
            else:
                # Where this client stands, so that a reconnect straight away loses nothing either.
                await send({"type": "http.response.body", "more_body": True,
                            "body": b"id: " + self.push.position(self.sub).encode() + b"\n\n"})
            while True:
                try:
                    event = await asyncio.wait_for(self.sub.queue.get(), timeout=self.ping or None)
                except asyncio.TimeoutError:
                    await send({"type": "http.response.body", "more_body": True,
                                "body": _event("ping", {"interval": self.ping})})
                    continue
                await self._send_event(send, event)
                if self.close_after_state:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
        except asyncio.CancelledError:
            # Gone, too slow, or the server shutting down: end the response here, cleanly if the
            # client still reads (a slow one is cut off when the final write does not go through).
            writer.uncancel()
            try:
                await asyncio.wait_for(send({"type": "http.response.body", "body": b"", "more_body": False}), 1.0)
            except (asyncio.TimeoutError, OSError, RuntimeError):
                pass
        finally:
            watcher.cancel()
            self.push.unsubscribe(self.sub)

    @staticmethod
    async def _send_event(send: Send, event: Event) -> None:
        await send({"type": "http.response.body", "more_body": True,
                    "body": event.encode("eventsource", _state_event)})


async def eventsource(request: Request) -> Response:
    state = app_state(request)
    user = await require_user(request)
    types, close_after_state, ping = parse_parameters(request)
    accounts = frozenset(accessible_accounts(state.server, user))
    sub = Subscriber(accounts, types, user=normalize(user.name))
    return EventStream(state.push, sub, ping=ping, close_after_state=close_after_state,
                       last_event_id=request.headers.get("last-event-id"))
