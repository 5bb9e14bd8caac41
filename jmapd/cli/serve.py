"""`jmapd serve`: run the server."""

from __future__ import annotations

import argparse

from ..config import Config
from .common import CommandError, command, data_folder


def register(sub) -> None:
    serve = command(sub, "serve", run, help="run the JMAP server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--tls-cert", help="PEM certificate: serve HTTPS directly")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--public-url", help="URL clients reach the server at, e.g. https://mail.example.com")
    serve.add_argument("--relay", metavar="HOST:PORT",
                       help="send all outgoing mail to this SMTP relay (plain SMTP, no TLS, no AUTH)")
    serve.add_argument("--insecure-http", action="store_true", default=None,
                       help="allow plain HTTP on a non-loopback --host (passwords cross the network in clear)")
    serve.set_defaults(overrides=lambda a: dict(host=a.host, port=a.port, tls_cert=a.tls_cert, tls_key=a.tls_key,
                                                workers=a.workers, public_url=a.public_url, relay=a.relay,
                                                insecure_http=a.insecure_http))


def run(args: argparse.Namespace, config: Config) -> int:
    config.sending()  # a bad relay or [outbox] setting is one line here, not a failed start
    from ..server import ServeError, serve

    data_folder(config, create=True)
    try:
        return serve(config)
    except ServeError as exc:
        raise CommandError(str(exc)) from None
