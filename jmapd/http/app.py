"""The Starlette application: routes, error handlers, CORS, and the services behind them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from ..config import Config
from ..draft import DRAFT_PATH, Dialect
from ..methods import build_registry
from ..methods.context import Context, accessible_accounts
from ..methods.services import BackgroundService, Server
from ..protocol.engine import Engine
from ..protocol.errors import RequestError
from ..protocol.wire import encode_json
from ..methods.push_subscription.url_policy import UrlPolicy
from ..push import Broadcaster
from ..push.webhooks import WebhookSender
from ..workers.memory import MemoryTrimmer
from ..workers.parsing import ParsePool
from ..workers.search import IndexedSearch
from .api import ApiEndpoint
from .auth import Authenticator
from .blobs import download, upload
from .draft import DraftEndpoint
from .eventsource import EVENTSOURCE_PATHS, eventsource
from .limits import ConcurrencyLimit
from .problems import http_exception_problem, http_problem, problem
from .session import server_capabilities, session_object
from .state import AppState, app_state, require_user
from .urls import UrlBuilder
from .websocket import WEBSOCKET_PATHS, websocket_endpoint


async def session(request: Request) -> Response:
    state = app_state(request)
    user = await require_user(request)
    accounts = accessible_accounts(state.server, user)
    body = session_object(state.server, user, accounts, state.urls.base(request))
    # Clients refetch when sessionState changes; HTTP caches must not answer for us (RFC 8620 §2).
    headers = {"Cache-Control": "no-cache, no-store, must-revalidate"}
    return Response(encode_json(body), media_type="application/json", headers=headers)


async def well_known(request: Request) -> Response:
    """Service autodiscovery (RFC 8620 §2.2); the one route that needs no credentials."""
    return RedirectResponse(app_state(request).urls.base(request) + "/jmap/session", status_code=307)


async def request_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestError)
    return problem(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return http_exception_problem(exc)


API_PATHS = frozenset({"/jmap/api", "/jmap/api/"})
DRAFT_PATHS = frozenset({DRAFT_PATH, DRAFT_PATH.rstrip("/")})
PUSH_PATHS = EVENTSOURCE_PATHS | WEBSOCKET_PATHS


async def push_channel(scope: Scope, receive: Receive, send: Send) -> None:
    """An EventSource or WebSocket connection, straight to its endpoint."""
    if scope["type"] == "websocket" and scope["path"] in WEBSOCKET_PATHS:
        await websocket_endpoint(WebSocket(scope, receive, send))
        return
    if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in EVENTSOURCE_PATHS:
        response: Response = http_problem(405, "Method Not Allowed", "Use GET (or a WebSocket) here.")
    else:
        try:
            response = await eventsource(Request(scope, receive))
        except HTTPException as exc:
            response = http_exception_problem(exc)
    await response(scope, receive, send)


class JmapdApp(Starlette):
    """The application: API calls, nearly all of the traffic, go straight to their endpoint instead
    of through the routing and middleware the other routes need. Only a browser's calls (those with
    an Origin header) pass through CORS, the one middleware that concerns them."""

    api: ASGIApp
    api_from_browsers: ASGIApp
    # The draft dialect's endpoint takes the same shortcut (its mailbox views are benchmarked against
    # the API's).
    draft: ASGIApp
    draft_from_browsers: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and (
                scope["path"] in API_PATHS or scope["path"] in DRAFT_PATHS):
            direct, from_browsers = ((self.api, self.api_from_browsers) if scope["path"] in API_PATHS
                                     else (self.draft, self.draft_from_browsers))
            for name, _ in scope["headers"]:
                if name == b"origin":
                    await from_browsers(scope, receive, send)
                    return
            await direct(scope, receive, send)
        elif scope.get("path") in PUSH_PATHS and not any(name == b"origin" for name, _ in scope["headers"]):
            # Push connections too: every event is a write on each of them, and the routing's and
            # error handlers' wrappers around each write would cost more than the write itself.
            scope["app"] = self
            await push_channel(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def cors_middleware(origins: list[str]) -> list[Middleware]:
    if not origins:
        return []
    return [Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Accept", "Last-Event-ID"],
        expose_headers=["Content-Disposition", "ETag"],
        max_age=86400,
    )]


def wrapped(app: ASGIApp, middleware: list[Middleware]) -> ASGIApp:
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app


def create_app(config: Config, server: Server, services: Sequence[BackgroundService] = ()) -> JmapdApp:
    engine = Engine(build_registry(), server_capabilities(server), max_calls=server.core_limits.max_calls_in_request,
                    call_class=Context)
    state = AppState(
        config=config,
        server=server,
        engine=engine,
        auth=Authenticator(server.store, server.logins, config.trusted_proxies),
        urls=UrlBuilder(config),
        api_slots=ConcurrencyLimit("maxConcurrentRequests", server.core_limits.max_concurrent_requests),
        upload_slots=ConcurrencyLimit("maxConcurrentUpload", server.core_limits.max_concurrent_upload),
        push=Broadcaster(server.store),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette):
        state.push.start(asyncio.get_running_loop())
        webhooks = WebhookSender(server.store, state.push, UrlPolicy(server.push), config.data)
        await webhooks.start()
        server.extras["webhooks"] = webhooks
        search = IndexedSearch(server.store, config.data)
        search.start()
        server.extras["search"] = search
        server.extras["parser"] = parser = ParsePool()
        trimmer = MemoryTrimmer()
        trimmer.start()
        started: list[BackgroundService] = []
        try:
            for service in services:
                await service.start(server)
                started.append(service)
            yield
        finally:
            for service in reversed(started):
                await service.stop()
            server.extras.pop("webhooks", None)
            await webhooks.stop()
            await state.push.stop()
            server.extras.pop("search", None)
            server.extras.pop("parser", None)
            await run_in_threadpool(parser.close)
            await run_in_threadpool(search.stop)
            await run_in_threadpool(trimmer.stop)

    api = ApiEndpoint(state)
    draft = DraftEndpoint(state, Dialect(server.core_limits.max_calls_in_request))
    routes = [
        Route("/.well-known/jmap", well_known, methods=["GET"]),
        Route("/jmap/session", session, methods=["GET"]),
        # Reached only where the application's own dispatch does not (e.g. under a root_path).
        Route("/jmap/api/", api, methods=["POST"]),
        Route("/jmap/api", api, methods=["POST"]),
        Route("/jmap/upload/{account_id}/", upload, methods=["POST"]),
        Route("/jmap/upload/{account_id}", upload, methods=["POST"]),
        Route("/jmap/download/{account_id}/{blob_id}/{name}", download, methods=["GET"]),
        # Reached by browsers (with an Origin header), through CORS; others go straight (push_channel).
        Route("/jmap/eventsource/", eventsource, methods=["GET"]),
        Route("/jmap/eventsource", eventsource, methods=["GET"]),
        WebSocketRoute("/jmap/ws/", websocket_endpoint),
        WebSocketRoute("/jmap/ws", websocket_endpoint),
        *(Route(path, draft, methods=["POST"]) for path in sorted(DRAFT_PATHS)),
    ]
    middleware = cors_middleware(config.allowed_origins())
    app = JmapdApp(
        routes=routes,
        middleware=middleware,
        exception_handlers={RequestError: request_error, HTTPException: http_error},
        lifespan=lifespan,
    )
    app.api = api
    app.api_from_browsers = wrapped(api, middleware)
    app.draft = draft
    app.draft_from_browsers = wrapped(draft, middleware)
    app.state.jmapd = state
    return app
