"""`jmapd serve`: run the server."""

from __future__ import annotations

import argparse

from ..config import Config, ConfigError
from .common import CommandError, command, data_folder


def register(sub) -> None:
    serve = command(sub, "serve", run, help="run the JMAP server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--tls-cert", help="PEM certificate: serve HTTPS directly")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--public-url", help="URL clients reach the server at, e.g. https://mail.example.com")
    serve.add_argument("--lmtp", metavar="ADDR:PORT", help="take mail from an MTA over LMTP, e.g. 127.0.0.1:2424")
    serve.add_argument("--smtp", metavar="ADDR:PORT", help="take mail as the MX over SMTP, e.g. 0.0.0.0:25")
    serve.add_argument("--submission", metavar="ADDR:PORT", help="mail apps send with AUTH and STARTTLS, e.g. 0.0.0.0:587")
    serve.add_argument("--submissions", metavar="ADDR:PORT", help="the same over implicit TLS, e.g. 0.0.0.0:465")
    serve.add_argument("--imap", metavar="HOST:PORT", help="also serve IMAP here (STARTTLS with --tls-cert)")
    serve.add_argument("--imaps", metavar="HOST:PORT", help="also serve IMAP over implicit TLS here (needs --tls-cert)")
    serve.add_argument("--relay", metavar="HOST:PORT",
                       help="send all outgoing mail to this SMTP relay (plain SMTP, no TLS, no AUTH)")
    serve.add_argument("--insecure-http", action="store_true", default=None,
                       help="allow plain HTTP on a non-loopback --host (passwords cross the network in clear)")
    serve.set_defaults(overrides=lambda a: dict(host=a.host, port=a.port, tls_cert=a.tls_cert, tls_key=a.tls_key,
                                                workers=a.workers, public_url=a.public_url, relay=a.relay,
                                                insecure_http=a.insecure_http, lmtp=a.lmtp, smtp=a.smtp,
                                                submission=a.submission, submissions=a.submissions,
                                                imap=a.imap, imaps=a.imaps))


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
    from ..server import ServeError, serve
    from ..smtp import check_listeners

    check_imap_listeners(config)
    check_listeners(config)
    config.sending()  # a bad relay or [outbox] setting is one line here, not a failed start
    data_folder(config, create=True)
    try:
        return serve(config)
    except ServeError as exc:
        raise CommandError(str(exc)) from None
