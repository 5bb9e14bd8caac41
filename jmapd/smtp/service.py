"""A mail listener as a background service of the server: bound when the server starts, closed
(with its open connections) when it stops.

With `--workers N`, each process starts the listeners and the first to bind an address owns it;
the others find it taken and serve HTTP only (a warning says so). A listener whose address is
taken with one process is an error that stops the server from starting.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import warnings

from ..config import Config, is_loopback_host, listen_address
from ..limits import gate_of
from ..methods.services import Server
from .handlers import BaseHandler
from .inbound import InboundHandler
from .listen import Kind
from .protocol import Connections, LmtpProtocol, SmtpProtocol
from .submission import SubmissionHandler
from .tls import server_tls

log = logging.getLogger("jmapd.smtp")

class MailListener:
    """One of the four listeners. After start, `port` is the port it is bound to (useful with 0)."""

    def __init__(self, kind: Kind, config: Config):
        self.kind = kind
        self.config = config
        self.host, self.port = listen_address(getattr(config, kind), kind)
        self.handler: BaseHandler | None = None
        self._server: asyncio.base_events.Server | None = None
        self._connections = Connections(None if kind == "lmtp" else config.receiving.max_connections_per_ip)

    async def start(self, server: Server) -> None:
        settings = self.config.receiving
        self._connections.gate = gate_of(server.extras)
        tls = server_tls(self.config.tls_cert, self.config.tls_key)
        loop = asyncio.get_running_loop()
        if tls is not None:
            tls.reload_on_sighup(loop)
        if self.kind in ("lmtp", "smtp"):
            handler: BaseHandler = InboundHandler(server, settings, as_mx=self.kind == "smtp")
        else:
            handler = SubmissionHandler(server, settings, plaintext_auth=is_loopback_host(self.host),
                                        implicit_tls=self.kind == "submissions")
        self.handler = handler
        protocol = LmtpProtocol if self.kind == "lmtp" else SmtpProtocol
        starttls = tls.context if tls is not None and self.kind != "submissions" else None
        implicit = tls.context if tls is not None and self.kind == "submissions" else None

        def make_protocol():
            # aiosmtpd warns that AUTH without required TLS is unsafe: the handler requires TLS
            # itself, except on loopback, and for implicit TLS, which aiosmtpd cannot tell.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                return new_protocol()

        def new_protocol():
            return protocol(handler, connections=self._connections, data_timeout=settings.data_timeout,
                            hostname=self.config.hostname, ident="jmapd", tls_context=starttls,
                            data_size_limit=settings.max_message_size, enable_SMTPUTF8=True,
                            timeout=settings.command_timeout, auth_required=self.kind.startswith("submission"),
                            auth_require_tls=False, loop=loop)

        try:
            self._server = await loop.create_server(make_protocol, self.host, self.port, ssl=implicit,
                                                    reuse_address=True, backlog=512)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and self.config.workers > 1:
                log.warning("%s: %s:%s is served by another process of this server", self.kind, self.host, self.port)
                return
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        server.extras[f"{self.kind}_listener"] = self
        log.info("%s: listening on %s:%s", self.kind, self.host, self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self._connections.close_all()
        await self._server.wait_closed()
        self._server = None
