"""The IMAP listener: a BackgroundService that serves IMAP beside the HTTP server.

`jmapd serve --imap HOST:PORT` serves clear text with STARTTLS (when a certificate is configured);
`--imaps HOST:PORT` serves implicit TLS (RFC 8314). Plain-text logins are taken on loopback
listeners, elsewhere only after TLS. The bound port is `service.port` (the service is kept in
`server.extras["imap"]` / `["imaps"]`), so tests can listen on port 0.

With `--workers N`, each process listens on the same port (SO_REUSEPORT), and the kernel spreads
connections over them: every process serves IMAP from the one store, and IDLE learns of other
processes' commits by the push Broadcaster's polling. The connections-per-user limit is counted in
each process.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from ..config import Config, is_loopback_host, listen_address
from ..limits import Refusal, connection_gate, gate_of
from ..methods import build_registry
from ..methods.context import Context
from ..methods.services import Server
from ..protocol.capabilities import CORE, MAIL
from ..protocol.engine import Engine
from ..push.broadcaster import Broadcaster
from .auth import plaintext_allowed
from .connection import MAX_LINE, serve
from .session import Output, Session

log = logging.getLogger("jmapd.imap")

MAX_CONNECTIONS_PER_USER = 50
BASE_CAPABILITIES = (
    "IMAP4rev1 IMAP4rev2 LITERAL+ ENABLE IDLE NAMESPACE ID UNSELECT CHILDREN SPECIAL-USE LIST-EXTENDED "
    "LIST-STATUS UIDPLUS MOVE CONDSTORE QRESYNC ESEARCH SEARCHRES SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT "
    "THREAD=REFERENCES STATUS=SIZE SAVEDATE BINARY MULTIAPPEND ACL RIGHTS=tekx QUOTA OBJECTID"
)





class ImapService:
    def __init__(self, config: Config, listen: str, implicit_tls: bool = False):
        self.config = config
        self.host, self.port = listen_address(listen, "imap")
        self.implicit_tls = implicit_tls
        self.loopback = is_loopback_host(self.host)
        self.tls_context: ssl.SSLContext | None = None
        if config.tls_cert and config.tls_key:
            self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls_context.load_cert_chain(config.tls_cert, config.tls_key)
        self._per_user: dict[str, int] = {}
        self._sessions: set[Session] = set()
        self._tasks: set[asyncio.Task] = set()
        self._listener: asyncio.base_events.Server | None = None

    # -- BackgroundService ----------------------------------------------------------------------------
    async def start(self, server: Server) -> None:
        self.server = server
        self.append_limit = server.core_limits.max_size_upload
        self.engine = Engine(build_registry(), [CORE, MAIL], max_calls=server.core_limits.max_calls_in_request,
                             call_class=Context)
        self.broadcaster = Broadcaster(server.store)
        self.broadcaster.start(asyncio.get_running_loop())
        self._listener = await asyncio.start_server(
            self._connected, self.host, self.port, limit=MAX_LINE,
            ssl=self.tls_context if self.implicit_tls else None,
            reuse_port=self.config.workers > 1 or None)
        self.port = self._listener.sockets[0].getsockname()[1]
        server.extras["imaps" if self.implicit_tls else "imap"] = self
        log.info("IMAP%s on %s:%d", "S" if self.implicit_tls else "", self.host, self.port)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        for session in list(self._sessions):
            session.out.writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        if self._listener is not None:
            await self._listener.wait_closed()
        await self.broadcaster.stop()
        self.server.extras.pop("imaps" if self.implicit_tls else "imap", None)

    # -- connections ------------------------------------------------------------------------------------
    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        peer = writer.get_extra_info("peername") or ("?", 0)
        try:  # the process's connection gate, which every listener shares (jmapd.limits)
            ticket = gate_of(self.server.extras).admit(str(peer[0]))
        except Refusal as refusal:
            writer.write(b"* BYE [UNAVAILABLE] %s\r\n" % str(refusal).encode())
            writer.close()
            self._tasks.discard(task)
            return
        session = Session(server=self.server, service=self, out=Output(writer, asyncio.get_running_loop()),
                          peer=str(peer[0]), secure=self.implicit_tls, loopback=self.loopback)
        self._sessions.add(session)
        try:
            await serve(session, reader)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError, ssl.SSLError):
            pass
        except Exception:
            log.exception("IMAP connection failed")
        finally:
            self._sessions.discard(session)
            self._tasks.discard(task)
            if session.user is not None:
                self.release(session.user.name)
            connection_gate().release(ticket)
            writer.close()

    def admit(self, user_name: str) -> bool:
        count = self._per_user.get(user_name, 0)
        if count >= MAX_CONNECTIONS_PER_USER:
            return False
        self._per_user[user_name] = count + 1
        return True

    def release(self, user_name: str) -> None:
        count = self._per_user.get(user_name, 0) - 1
        if count > 0:
            self._per_user[user_name] = count
        else:
            self._per_user.pop(user_name, None)

    def capabilities(self, session: Session) -> str:
        parts = [BASE_CAPABILITIES, f"APPENDLIMIT={self.append_limit}", "SASL-IR"]
        if self.tls_context is not None and not session.secure:
            parts.append("STARTTLS")
        if plaintext_allowed(session):
            parts.append("AUTH=PLAIN")
        else:
            parts.append("LOGINDISABLED")
        return " ".join(parts)
