"""`jmapd serve`: run the server."""

from __future__ import annotations

import argparse

from ..config import Config, ConfigError, is_loopback_host, listen_address
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
    test = serve.add_argument_group("test mode (a test double for JMAP clients)")
    test.add_argument("--ephemeral", action="store_true",
                      help="a temporary data folder, removed at exit; implies --test-mode")
    test.add_argument("--test-mode", action="store_true",
                      help="serve the admin API and fault switches (loopback only); prints one JSON line")
    test.add_argument("--users", help="comma-separated users to create (password: the user name)")
    test.add_argument("--open-auth", action="store_true", help="accept any password (loopback only)")
    test.add_argument("--seed", help="demo, a number of generated messages, a .json seed, an mbox or a folder of .eml")
    test.add_argument("--seed-random", type=int, default=1, help="the generator's seed for --seed N")
    test.add_argument("--deterministic", action="store_true",
                      help="ids, states, receivedAt and Message-IDs from counters and a fixed clock")
    serve.set_defaults(overrides=lambda a: dict(host=a.host, port=a.port, tls_cert=a.tls_cert, tls_key=a.tls_key,
                                                workers=a.workers, public_url=a.public_url, relay=a.relay,
                                                insecure_http=a.insecure_http, lmtp=a.lmtp, smtp=a.smtp,
                                                submission=a.submission, submissions=a.submissions,
                                                imap=a.imap, imaps=a.imaps))


def check_imap_listeners(config: Config) -> None:
    """IMAP beyond loopback needs TLS to offer (STARTTLS or implicit): passwords never cross a
    network in clear text by default."""
    for flag, value in (("--imap", config.imap), ("--imaps", config.imaps)):
        if not value:
            continue
        host, _ = listen_address(value, flag[2:])
        if not config.tls_cert and (flag == "--imaps" or not is_loopback_host(host)):
            raise ConfigError(f"{flag} {value} needs --tls-cert and --tls-key"
                              + ("" if flag == "--imaps" else " (IMAP beyond loopback is offered only with TLS)"))


def run(args: argparse.Namespace, config: Config) -> int:
    if args.ephemeral or args.test_mode:
        return run_test_server(args, config)
    for flag in ("users", "seed", "open_auth", "deterministic"):
        if getattr(args, flag):
            raise ConfigError(f"--{flag.replace('_', '-')} goes with --ephemeral or --test-mode")
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


def run_test_server(args: argparse.Namespace, config: Config) -> int:
    from ..testdouble import Options
    from ..testdouble.run import TestServerError, serve

    users = [u.strip() for u in (args.users or "alice").split(",") if u.strip()]
    if not users:
        raise ConfigError("--users names no user")
    options = Options(users=users, open_auth=args.open_auth, seed=args.seed, seed_random=args.seed_random,
                      deterministic=args.deterministic, host=config.host,
                      port=args.port if args.port is not None else 0, hostname=config.hostname,
                      data=None if args.ephemeral else config.data)
    try:
        return serve(options)
    except TestServerError as exc:
        raise ConfigError(str(exc)) from None
