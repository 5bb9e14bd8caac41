"""`jmapd serve`: run the server."""

from __future__ import annotations

import argparse

from ..config import Config, ConfigError
from .common import command


def register(sub) -> None:
    serve = command(sub, "serve", run, help="run the JMAP server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--tls-cert", help="PEM certificate: serve HTTPS directly")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--public-url", help="URL clients reach the server at, e.g. https://mail.example.com")
    serve.add_argument("--imap", metavar="HOST:PORT", help="also serve IMAP here (STARTTLS with --tls-cert)")
    serve.add_argument("--imaps", metavar="HOST:PORT", help="also serve IMAP over implicit TLS here (needs --tls-cert)")
    serve.set_defaults(overrides=lambda a: dict(host=a.host, port=a.port, tls_cert=a.tls_cert, tls_key=a.tls_key,
                                                workers=a.workers, public_url=a.public_url, imap=a.imap,
                                                imaps=a.imaps))


def check_imap_listeners(config: Config) -> None:
    """IMAP beyond loopback needs TLS to offer (STARTTLS or implicit): passwords never cross a
    network in clear text by default."""
    from ..imap.service import is_loopback, parse_listen

    for flag, value in (("--imap", config.imap), ("--imaps", config.imaps)):
        if not value:
            continue
        try:
            host, _ = parse_listen(value)
        except ValueError as exc:
            raise ConfigError(f"{flag}: {exc}") from None
        if not config.tls_cert and (flag == "--imaps" or not is_loopback(host)):
            raise ConfigError(f"{flag} {value} needs --tls-cert and --tls-key"
                              + ("" if flag == "--imaps" else " (IMAP beyond loopback is offered only with TLS)"))


def run(args: argparse.Namespace, config: Config) -> int:
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together")
    check_imap_listeners(config)
    from ..server import serve

    return serve(config)
