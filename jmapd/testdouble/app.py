"""The ASGI application a test server runs: the admin API beside jmapd's own app, and the request
log and request-level faults around it.

jmapd's app is left as it runs in production; everything test mode adds wraps it from outside, so
a client tested against the double meets the same code it will meet in production.
"""

from __future__ import annotations

import asyncio
import base64
import binascii

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth import Logins
from ..http.app import API_PATHS
from ..protocol.errors import RequestError
from ..protocol.wire import encode_json
from .faults import Faults
from .requestlog import RequestLog

ADMIN_PREFIX = "/_admin"


def header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def user_of(scope: Scope, logins: Logins) -> str | None:
    """Who a request says it is (checked for real by jmapd itself): the Basic user name, or the
    owner of a Bearer token."""
    scheme, _, value = header(scope, b"authorization").partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[0].lower() or None
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
    if scheme.lower() == "bearer" and value:
        user = logins.token_user(value)
        return None if user is None else user.name.lower()
    return None


async def respond(send: Send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = encode_json(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(payload)).encode()), *headers]})
    await send({"type": "http.response.body", "body": payload})


def problem(status: int, detail: str) -> dict:
    return {"type": "about:blank", "status": status, "title": "Injected fault", "detail": detail}


class TestDoubleApp:
    def __init__(self, inner: ASGIApp, admin: ASGIApp, faults: Faults, log: RequestLog, logins: Logins):
        self.inner, self.admin, self.faults, self.log, self.logins = inner, admin, faults, log, logins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            await self.admin(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await self.inner(scope, *self._dropping(receive, send, user_of(scope, self.logins), websocket=True))
            return
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        user = user_of(scope, self.logins)
        if await self._request_fault(scope, send, user, path):
            return
        if path.startswith("/jmap/eventsource"):
            receive, send = self._dropping(receive, send, user, websocket=False)
        if scope["method"] == "POST" and path in API_PATHS:
            await self._logged(scope, receive, send, user, path)
        else:
            await self.inner(scope, receive, send)

    async def _request_fault(self, scope: Scope, send: Send, user: str | None, path: str) -> bool:
        """Answer in place of jmapd when a request-level fault fires; True if one did."""
        fault = self.faults.take("latency", user)
        if fault is not None:
            await asyncio.sleep(fault.ms / 1000)
        fault = self.faults.take("http", user)
        if fault is not None:
            headers = [(b"retry-after", str(fault.retry_after).encode())] if fault.status in (429, 503) else []
            await respond(send, fault.status, problem(fault.status, "injected fault"), headers)
            return True
        if scope["method"] == "POST" and path in API_PATHS:
            fault = self.faults.take("limit", user)
            if fault is not None:
                error = RequestError("limit", f"injected fault: over {fault.limit}", limit=fault.limit,
                                     status=429 if fault.limit.startswith("maxConcurrent") else 400)
                await respond(send, error.status, error.problem())
                return True
        for kind, prefix in (("upload", "/jmap/upload"), ("download", "/jmap/download")):
            if path.startswith(prefix):
                fault = self.faults.take(kind, user)
                if fault is not None:
                    await respond(send, fault.status, problem(fault.status, f"injected {kind} failure"))
                    return True
        return False

    async def _logged(self, scope: Scope, receive: Receive, send: Send, user: str | None, path: str) -> None:
        request, response, status = bytearray(), bytearray(), 0

        async def receive_logged() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.extend(message.get("body", b""))
            return message

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                response.extend(message.get("body", b""))
            await send(message)

        await self.inner(scope, receive_logged, send_logged)
        self.log.add(user, path, status, bytes(request), bytes(response))

    def _dropping(self, receive: Receive, send: Send, user: str | None, *,
                  websocket: bool) -> tuple[Receive, Send]:
        """A push stream that ends after the fault's number of StateChange events, as a dropped
        connection does: the client sees the stream end, the server sees the client gone."""
        fault = self.faults.take("pushDrop", user)
        if fault is None:
            return receive, send
        remaining = fault.after_events
        gone = asyncio.Event()

        async def send_counting(message: Message) -> None:
            nonlocal remaining
            if gone.is_set():
                return
            chunk = message.get("text") or message.get("bytes") or message.get("body") or b""
            if isinstance(chunk, str):
                chunk = chunk.encode()
            if b"StateChange" in chunk:
                if remaining <= 0:
                    gone.set()
                    if websocket:
                        await send({"type": "websocket.close", "code": 1011})
                    else:
                        await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
                remaining -= 1
            await send(message)

        async def receive_until_gone() -> Message:
            waiter = asyncio.ensure_future(gone.wait())
            incoming = asyncio.ensure_future(receive())
            done, _ = await asyncio.wait({waiter, incoming}, return_when=asyncio.FIRST_COMPLETED)
            if incoming in done:
                waiter.cancel()
                return incoming.result()
            incoming.cancel()
            return {"type": "websocket.disconnect", "code": 1011} if websocket else {"type": "http.disconnect"}

        return receive_until_gone, send_counting
