"""Starting and stopping the HTTP server around an open store.

Everything that can refuse to start is checked before anything is printed or created: the address
(plain HTTP beyond loopback), the TLS files, the port (bound here, then handed to uvicorn), and only
then is the store opened, the first user created and "serving" printed. A port in use thus never
follows a "serving" line, nor costs a first user's password (issue 20, findings 8 and 10).
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import ssl
import sys

import msgspec
import uvicorn

from store import Store

from .config import Config
from .hints import jmapd_command
from .http.app import create_app
from .limits import EXTRAS_KEY, configure_process, raise_descriptor_limit
from .mail.accounts import create_user, generate_password
from .methods.services import BackgroundService, Server
from .workers.memory import limit_arenas, quiet_collector

FIRST_USER = "admin"
# Where the first user's generated password is written (readable by the owner only), in the data folder.
FIRST_PASSWORD_FILE = "first-user-password"
CONFIG_ENV = "JMAPD_SERVE_CONFIG"
HTTP_PROTOCOL = "jmapd.http.connections:GuardedHttpToolsProtocol"


class ServeError(Exception):
    """The server cannot start as configured: one line naming the problem and the fix."""


def open_server(config: Config) -> Server:
    store = Store.open(config.data)
    server = Server(store=store, core_limits=config.limits, mail_limits=config.mail, hostname=config.hostname,
                    push=config.push)
    server.logins.configure(config.logins)
    sending = config.sending()
    if sending is not None:  # what EmailSubmission/set checks, and the sign that this server sends
        from .mail.submissions import SubmissionPolicy

        server.extras["submission"] = SubmissionPolicy(
            max_delayed_send=sending.max_delayed_send, max_recipients=sending.max_recipients,
            max_size=sending.max_size, lifetime=sending.lifetime)
    return server


def ensure_first_user(server: Server, config: Config) -> str | None:
    """On a fresh data folder, create a user whose generated password goes to a file only its owner
    can read (standard output ends up in logs); returns the file's path. Only the hash is stored."""
    from store.users import has_users

    with server.store.read() as txn:
        if has_users(txn):
            return None
    password = generate_password()
    path = os.path.abspath(os.path.join(config.data, FIRST_PASSWORD_FILE))
    try:
        os.unlink(path)  # a leftover of an earlier data folder: never append to or trust it
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    user = create_user(server.store, FIRST_USER, password, f"{FIRST_USER}@{config.hostname}")
    print(
        f"jmapd: created the first user, {user.name}; its password is in {path} (readable only by you).\n"
        f"  Sign in as {user.name} with it, then delete the file; to choose another password:\n"
        f"  {jmapd_command()} user passwd {user.name} --data {config.data}",
        flush=True,
    )
    return path


def background_services(config: Config) -> list[BackgroundService]:
    """What runs beside the HTTP server: the listeners of the other protocols and the workers that
    the configuration turns on. Each feature adds its own here."""
    from .workers.pruning import Pruner

    services: list[BackgroundService] = [Pruner()]
    sending = config.sending()
    if sending is not None:
        from .dns import resolver_for
        from .outbox import Outbox

        services.append(Outbox(sending, config.data, resolver=resolver_for(config.receiving.nameservers)))
    from .smtp import listeners

    services.extend(listeners(config))
    if config.imap or config.imaps:
        from .imap.service import ImapService

        if config.imap:
            services.append(ImapService(config, config.imap))
        if config.imaps:
            services.append(ImapService(config, config.imaps, implicit_tls=True))
    if config.sync_check_every > 0:
        from .importers.service import SyncService

        services.append(SyncService(config.data, config.sync_key_file, tick=config.sync_check_every))
    return services


def app_factory():
    """Entry point for worker processes when serving with several workers."""
    limit_arenas()
    config = msgspec.json.decode(os.environ[CONFIG_ENV], type=Config)
    gate = configure_process(config.connections, raise_descriptor_limit())
    server = open_server(config)
    server.extras[EXTRAS_KEY] = gate
    app = create_app(config, server, background_services(config))
    quiet_collector()
    return app


def uvicorn_options(config: Config) -> dict:
    """How jmapd runs uvicorn, wherever it does.

    Forwarded headers are left to jmapd's own trusted-proxy check: uvicorn would otherwise believe
    them from any loopback peer. The HTTP protocol is uvicorn's httptools one with the connection
    gate and phase timeouts of jmapd.http.connections.
    """
    return dict(
        host=config.host,
        port=config.port,
        loop="uvloop",
        http=HTTP_PROTOCOL,
        access_log=config.access_log,
        log_level=config.log_level,
        ssl_certfile=config.tls_cert,
        ssl_keyfile=config.tls_key,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
        # JMAP over WebSocket (jmapd/http/websocket.py): a message up to maxSizeRequest is a request,
        # one up to twice that gets a `limit` error, a larger one closes the connection (1009).
        # No per-message compression: its zlib state would cost each idle push connection ~300 KB.
        ws_max_size=2 * config.limits.max_size_request,
        ws_per_message_deflate=False,
    )


def check_exposure(config: Config) -> None:
    """Basic credentials in clear text may cross only the loopback interface, unless asked for."""
    if config.is_loopback() or config.tls_cert or config.trusted_proxies or config.insecure_http:
        return
    raise ServeError(
        f"refusing to serve plain HTTP on {config.host}: passwords would cross the network in clear. "
        "Give --tls-cert and --tls-key, list your TLS proxy in trusted_proxies, or pass --insecure-http")


def check_tls(config: Config) -> None:
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ServeError("--tls-cert and --tls-key go together: give both, or neither")
    if not config.tls_cert:
        return
    for what, path in (("certificate", config.tls_cert), ("private key", config.tls_key)):
        if not os.path.isfile(path):
            raise ServeError(f"the TLS {what} {path} does not exist: check the path given to "
                             f"--tls-{'cert' if what == 'certificate' else 'key'}")
        if not os.access(path, os.R_OK):
            raise ServeError(f"the TLS {what} {path} cannot be read by this user: check its permissions")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(config.tls_cert, config.tls_key)
    except (ssl.SSLError, OSError) as exc:
        raise ServeError(f"cannot use the TLS certificate {config.tls_cert} with the key {config.tls_key} "
                         f"({getattr(exc, 'reason', None) or exc}): give a PEM certificate and its own key") from None


def bind(config: Config) -> socket.socket:
    """The listening socket, bound here so that a port in use is known before anything else happens."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.host, config.port))
        sock.set_inheritable(True)
    except OSError as exc:
        sock.close()
        where = f"port {config.port} on {config.host}"
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"{where} is in use by another program: stop it, or choose another --port") from None
        if exc.errno == errno.EACCES:
            raise ServeError(f"{where} needs privileges this user lacks: choose a port above 1023") from None
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(exc, socket.gaierror):
            raise ServeError(f"{config.host} is not an address of this machine: check --host") from None
        raise ServeError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    return sock


def serve(config: Config) -> int:
    check_exposure(config)
    check_tls(config)
    limit_arenas()
    gate = configure_process(config.connections, raise_descriptor_limit())
    sock = bind(config)
    try:
        server = open_server(config)
    except BaseException:
        sock.close()
        raise
    server.extras[EXTRAS_KEY] = gate  # every listener's (HTTP's is the process's too)
    config.port = sock.getsockname()[1]
    ensure_first_user(server, config)
    scheme = "https" if config.tls_cert else "http"
    host = f"[{config.host}]" if ":" in config.host else config.host
    print(f"jmapd: serving {config.data} on {scheme}://{host}:{config.port} "
          f"(Session: {scheme}://{host}:{config.port}/.well-known/jmap)", flush=True)
    options = uvicorn_options(config)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to whatever handler
    # was there before; a no-op handler lets us close the store and exit with status 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    if config.workers > 1:
        from uvicorn.supervisors import Multiprocess

        server.store.close()
        os.environ[CONFIG_ENV] = msgspec.json.encode(config).decode()
        settings = uvicorn.Config("jmapd.server:app_factory", factory=True, workers=config.workers, **options)
        try:
            Multiprocess(settings, sockets=[sock]).run()
        finally:
            sock.close()
        print("jmapd: stopped", flush=True)
        return 0
    runner = uvicorn.Server(uvicorn.Config(create_app(config, server, background_services(config)), **options))
    quiet_collector()
    try:
        runner.run(sockets=[sock])
    finally:
        sock.close()
        server.store.close()
    if not runner.started:
        print("jmapd: the server failed to start; its log above says why", file=sys.stderr, flush=True)
        return 1
    print("jmapd: stopped", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the jmapd command")
