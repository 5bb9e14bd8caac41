"""The admin API of a test server: `/_admin/...`, its own bearer token, loopback peers only.

Reset an account, deliver a message as if it came in by SMTP, export an account, read the request
log, set the fixed clock, switch faults. Every route is described in `/_admin/openapi.json`.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..config import is_loopback_host
from ..mail.errors import MailError
from ..protocol.wire import encode_json
from .faults import Fault
from .seeds import SeedError

if TYPE_CHECKING:
    from .server import Server


def reply(body: Any, status: int = 200) -> Response:
    return Response(encode_json(body), status_code=status, media_type="application/json")


def refuse(status: int, detail: str) -> Response:
    return Response(encode_json({"type": "about:blank", "status": status, "detail": detail}), status_code=status,
                    media_type="application/problem+json")


def is_loopback(request: Request) -> bool:
    return request.client is not None and is_loopback_host(request.client.host)


class Admin:
    def __init__(self, server: "Server"):
        self.server = server

    def app(self) -> Starlette:
        guard = self.guarded
        return Starlette(routes=[
            Route("/_admin", guard(self.info), methods=["GET"]),
            Route("/_admin/openapi.json", self.openapi, methods=["GET"]),
            Route("/_admin/users/{user}/reset", guard(self.reset), methods=["POST"]),
            Route("/_admin/users/{user}/deliver", guard(self.deliver), methods=["POST"]),
            Route("/_admin/users/{user}/export", guard(self.export), methods=["GET"]),
            Route("/_admin/requests", guard(self.requests), methods=["GET", "DELETE"]),
            Route("/_admin/clock", guard(self.clock), methods=["GET", "POST"]),
            Route("/_admin/faults", guard(self.faults), methods=["GET", "POST", "DELETE"]),
            Route("/_admin/captured", guard(self.captured), methods=["GET", "DELETE"]),
            Route("/_admin/captured/{captured}/deliver", guard(self.deliver_captured), methods=["POST"]),
        ])

    def guarded(self, endpoint):
        async def checked(request: Request) -> Response:
            if not is_loopback(request):
                return refuse(403, "the admin API answers loopback peers only")
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), self.server.admin_token):
                return refuse(401, "the admin API needs `Authorization: Bearer <adminToken>`")
            try:
                return await endpoint(request)
            except (KeyError, LookupError) as exc:
                return refuse(404, str(exc).strip("'\""))
            except (msgspec.ValidationError, msgspec.DecodeError, ValueError, SeedError, MailError) as exc:
                return refuse(400, str(exc))

        return checked

    async def openapi(self, request: Request) -> Response:
        return reply(OPENAPI)

    async def info(self, request: Request) -> Response:
        return reply(self.server.info())

    async def reset(self, request: Request) -> Response:
        body = await request.body()
        spec = msgspec.json.decode(body, type=ResetRequest) if body.strip() else ResetRequest()
        seconds = await self.server.reset_async(request.path_params["user"], spec.seed)
        return reply({"user": request.path_params["user"], "seconds": round(seconds, 4)})

    async def deliver(self, request: Request) -> Response:
        stored = await self.server.deliver_async(request.path_params["user"], await request.body())
        return reply({"emailId": stored.email_id, "threadId": stored.thread_id, "blobId": stored.blob_id,
                      "size": stored.size})

    async def export(self, request: Request) -> Response:
        return reply(await self.server.export_async(request.path_params["user"]))

    async def requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.server.log.clear()
            return reply({"cleared": True})
        return reply(self.server.log.entries(request.query_params.get("user")))

    async def clock(self, request: Request) -> Response:
        if request.method == "POST":
            self.server.set_clock(msgspec.json.decode(await request.body(), type=ClockRequest))
        return reply(self.server.clock_info())

    async def faults(self, request: Request) -> Response:
        if request.method == "POST":
            self.server.faults.set(msgspec.json.decode(await request.body(), type=Fault))
        elif request.method == "DELETE":
            self.server.faults.clear(request.query_params.get("user"))
        return reply(self.server.faults.active())

    async def captured(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.server.capture.clear()
        return reply(self.server.captured())

    async def deliver_captured(self, request: Request) -> Response:
        reached = await asyncio.to_thread(self.server.deliver_captured, request.path_params["captured"])
        return reply({"deliveredTo": reached})


class ResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    # null: back to what the account held when the server started; "empty"; or a seed spec.
    seed: str | None = None


class ClockRequest(msgspec.Struct, forbid_unknown_fields=True):
    now: str | None = None  # a UTCDate
    advance: float | None = None  # seconds


def _op(summary: str, body: str | None = None) -> dict:
    op: dict = {"summary": summary, "security": [{"adminToken": []}],
                "responses": {"200": {"description": "done"}, "400": {"description": "bad input"},
                              "401": {"description": "no or wrong admin token"},
                              "403": {"description": "not a loopback peer"}, "404": {"description": "no such user"}}}
    if body:
        op["requestBody"] = {"content": {body: {"schema": {"type": "object"} if body.endswith("json")
                                                else {"type": "string"}}}}
    return op


USER = [{"name": "user", "in": "path", "required": True, "schema": {"type": "string"}}]
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "jmapd test-server admin API", "version": "1"},
    "components": {"securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        "/_admin": {"get": _op("what the server serves: the same JSON `jmapd serve --ephemeral` prints")},
        "/_admin/users/{user}/reset": {"parameters": USER, "post": _op(
            "reset the user's account: {} or {\"seed\": null} back to how it started, {\"seed\": \"empty\"}, "
            "or {\"seed\": \"demo\"|N|FILE}", "application/json")},
        "/_admin/users/{user}/deliver": {"parameters": USER, "post": _op(
            "deliver a raw message into the user's Inbox as mail from outside", "message/rfc822")},
        "/_admin/users/{user}/export": {"parameters": USER, "get": _op(
            "the account as a JSON seed: mailboxes, emails with raw bytes, keywords, receivedAt")},
        "/_admin/requests": {"get": _op("the JMAP requests and responses handled (?user=NAME)"),
                             "delete": _op("forget them")},
        "/_admin/clock": {"get": _op("the clock"), "post": _op(
            "set the fixed clock: {\"now\": UTCDate} or {\"advance\": seconds}", "application/json")},
        "/_admin/faults": {"get": _op("the faults switched on"),
                           "post": _op("switch a fault on: {kind, user?, count?, probability?, ...}",
                                       "application/json"),
                           "delete": _op("switch faults off (?user=NAME, or all)")},
        "/_admin/captured": {"get": _op("mail the server sent, captured instead of leaving the machine"),
                             "delete": _op("forget the captured mail")},
        "/_admin/captured/{captured}/deliver": {
            "parameters": [{"name": "captured", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": _op("deliver a captured message to its recipients who are users of this server")},
    },
}
