"""Starting and stopping the HTTP server around an open store."""

from __future__ import annotations

import os
import signal
import sys

import msgspec
import uvicorn

from store import Store

from .config import Config
from .http.app import create_app
from .mail.accounts import create_user, generate_password
from .methods.services import BackgroundService, Server
from .workers.memory import limit_arenas

FIRST_USER = "admin"
CONFIG_ENV = "JMAPD_SERVE_CONFIG"


def open_server(config: Config) -> Server:
    store = Store.open(config.data)
    server = Server(store=store, core_limits=config.limits, mail_limits=config.mail, hostname=config.hostname)
    sending = config.sending()
    if sending is not None:  # what EmailSubmission/set checks, and the sign that this server sends
        from .mail.submissions import SubmissionPolicy

        server.extras["submission"] = SubmissionPolicy(
            max_delayed_send=sending.max_delayed_send, max_recipients=sending.max_recipients,
            max_size=sending.max_size, lifetime=sending.lifetime)
    return server


def ensure_first_user(server: Server, config: Config) -> None:
    """On a fresh data folder, create a user and print its credentials once (only the hash is kept)."""
    from store.users import has_users

    with server.store.read() as txn:
        if has_users(txn):
            return
    password = generate_password()
    user = create_user(server.store, FIRST_USER, password, f"{FIRST_USER}@{config.hostname}")
    print(
        "jmapd: created the first user\n"
        f"  username: {user.name}\n"
        f"  password: {password}\n"
        f"  (shown once; change it with: jmapd user passwd {user.name} --data {config.data})",
        flush=True,
    )


def background_services(config: Config) -> list[BackgroundService]:
    """What runs beside the HTTP server: the listeners of the other protocols and the workers that
    the configuration turns on. Each feature adds its own here."""
    services: list[BackgroundService] = []
    sending = config.sending()
    if sending is not None:
        from .outbox import Outbox

        services.append(Outbox(sending, config.data))
    if config.sync_check_every > 0:
        from .importers.service import SyncService

        services.append(SyncService(config.data, config.sync_key_file, tick=config.sync_check_every))
    return services


def app_factory():
    """Entry point for worker processes when serving with several workers."""
    limit_arenas()
    config = msgspec.json.decode(os.environ[CONFIG_ENV], type=Config)
    return create_app(config, open_server(config), background_services(config))


def uvicorn_options(config: Config) -> dict:
    """How jmapd runs uvicorn, wherever it does.

    Forwarded headers are left to jmapd's own trusted-proxy check: uvicorn would otherwise believe
    them from any loopback peer.
    """
    return dict(
        host=config.host,
        port=config.port,
        loop="uvloop",
        http="httptools",
        access_log=config.access_log,
        log_level=config.log_level,
        ssl_certfile=config.tls_cert,
        ssl_keyfile=config.tls_key,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )


def serve(config: Config) -> int:
    limit_arenas()
    server = open_server(config)
    ensure_first_user(server, config)
    scheme = "https" if config.tls_cert else "http"
    print(f"jmapd: serving {config.data} on {scheme}://{config.host}:{config.port} "
          f"(Session: {scheme}://{config.host}:{config.port}/.well-known/jmap)", flush=True)
    options = uvicorn_options(config)
    if config.workers > 1:
        server.store.close()
        os.environ[CONFIG_ENV] = msgspec.json.encode(config).decode()
        uvicorn.run("jmapd.server:app_factory", factory=True, workers=config.workers, **options)
        return 0
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to whatever handler
    # was there before; a no-op handler lets us close the store and exit with status 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    try:
        uvicorn.run(create_app(config, server, background_services(config)), **options)
    finally:
        server.store.close()
    print("jmapd: stopped", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the jmapd command")
