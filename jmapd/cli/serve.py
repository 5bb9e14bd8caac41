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
                                                workers=a.workers, public_url=a.public_url))


def run(args: argparse.Namespace, config: Config) -> int:
    if args.ephemeral or args.test_mode:
        return run_test_server(args, config)
    for flag in ("users", "seed", "open_auth", "deterministic"):
        if getattr(args, flag):
            raise ConfigError(f"--{flag.replace('_', '-')} goes with --ephemeral or --test-mode")
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together")
    from ..server import serve

    return serve(config)


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
