"""The `jmapd` command: serve, and manage users.

    jmapd serve --host 127.0.0.1 --port 8080 --data DIR [--config FILE] [--tls-cert F --tls-key F]
    jmapd user add NAME --password PW [--email ADDR] --data DIR
    jmapd user passwd NAME [--password PW] --data DIR
    jmapd user list --data DIR
    jmapd user token NAME [--label TEXT] --data DIR
    jmapd user share OWNER --with NAME [--read-only] --data DIR
    jmapd user unshare OWNER --with NAME --data DIR
    jmapd index rebuild --data DIR
    jmapd seed --out DIR --count N [--seed S] [--format eml|mbox]
    jmapd bench --session-url URL --user U --password P [--duration S] [--concurrency N] SCENARIO...
"""

from __future__ import annotations

import argparse
import getpass
import sys

from store import SchemaError, Store
from store.users import (UnknownUser, UserExists, create_token, hash_password, list_users, set_password,
                         share_account, unshare_account)

from .accounts import create_user
from .config import ConfigError, load


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="data folder (default ./data, or `data` in jmapd.toml, or $JMAPD_DATA)")
    p.add_argument("--config", help="TOML configuration file (default ./jmapd.toml if present)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jmapd", description="An embedded JMAP mail server.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the JMAP server")
    _common(serve)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--tls-cert", help="PEM certificate: serve HTTPS directly")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--public-url", help="URL clients reach the server at, e.g. https://mail.example.com")

    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="action", required=True)
    add = user_sub.add_parser("add", help="create a user with a mail account")
    add.add_argument("name")
    add.add_argument("--password", help="the password (prompted for if omitted)")
    add.add_argument("--email", help="the user's mail address")
    _common(add)
    passwd = user_sub.add_parser("passwd", help="set a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password", help="the new password (prompted for if omitted)")
    _common(passwd)
    lst = user_sub.add_parser("list", help="list users")
    _common(lst)
    token = user_sub.add_parser("token", help="create an API token for Bearer authentication")
    token.add_argument("name")
    token.add_argument("--label", default="", help="a note to recognise the token by")
    _common(token)

    share = user_sub.add_parser("share", help="let another user reach OWNER's account")
    share.add_argument("owner")
    share.add_argument("--with", dest="with_user", required=True, help="the user who gets access")
    share.add_argument("--read-only", action="store_true", help="reading only")
    _common(share)
    unshare = user_sub.add_parser("unshare", help="take back access to OWNER's account")
    unshare.add_argument("owner")
    unshare.add_argument("--with", dest="with_user", required=True)
    _common(unshare)

    index = sub.add_parser("index", help="manage the full-text index")
    index_sub = index.add_subparsers(dest="action", required=True)
    rebuild = index_sub.add_parser("rebuild", help="rebuild the index from the stored messages (server stopped)")
    _common(rebuild)

    seed = sub.add_parser("seed", help="write a deterministic benchmark mail dataset", add_help=False)
    seed.add_argument("args", nargs=argparse.REMAINDER)
    bench = sub.add_parser("bench", help="load-test any JMAP server with standard scenarios", add_help=False)
    bench.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _password(given: str | None) -> str:
    if given:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("jmapd: the passwords differ")
    return first


def _user_command(args: argparse.Namespace, store: Store) -> int:
    if args.action == "add":
        try:
            user = create_user(store, args.name, _password(args.password), args.email)
        except UserExists:
            print(f"jmapd: user {args.name} exists already", file=sys.stderr)
            return 1
        print(f"created user {user.name} (account {user.account_id})")
    elif args.action == "passwd":
        password_hash = hash_password(_password(args.password))
        try:
            store.write(lambda txn: set_password(txn, args.name, password_hash))
        except UnknownUser:
            print(f"jmapd: no user {args.name}", file=sys.stderr)
            return 1
        print(f"password of {args.name} changed")
    elif args.action == "list":
        with store.read() as txn:
            for user in list_users(txn):
                print(f"{user.name}\t{user.account_id}\t{user.email or ''}")
    elif args.action in ("share", "unshare"):
        try:
            if args.action == "share":
                store.write(lambda txn: share_account(txn, args.owner, args.with_user, read_only=args.read_only))
            else:
                store.write(lambda txn: unshare_account(txn, args.owner, args.with_user))
        except (UnknownUser, ValueError) as exc:
            print(f"jmapd: {exc if isinstance(exc, ValueError) else f'no user {exc}'}", file=sys.stderr)
            return 1
        print(f"{args.action}d {args.owner}'s account with {args.with_user}")
    elif args.action == "token":
        try:
            token = store.write(lambda txn: create_token(txn, args.name, args.label))
        except UnknownUser:
            print(f"jmapd: no user {args.name}", file=sys.stderr)
            return 1
        print(token)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Subcommands with their own argument parsers.
    if argv[:1] == ["seed"]:
        from .seed import main as seed_main

        return seed_main(argv[1:])
    if argv[:1] == ["bench"]:
        from .loadgen import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    overrides = {"data": args.data}
    if args.command == "serve":
        overrides.update(host=args.host, port=args.port, tls_cert=args.tls_cert, tls_key=args.tls_key,
                         workers=args.workers, public_url=args.public_url)
    try:
        config = load(args.config, overrides)
        if args.command == "serve":
            if bool(config.tls_cert) != bool(config.tls_key):
                raise ConfigError("--tls-cert and --tls-key go together")
            from .server import serve

            return serve(config)
        store = Store.open(config.data)
    except (ConfigError, SchemaError) as exc:
        print(f"jmapd: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "index":
            return _rebuild_index(store, config.data)
        return _user_command(args, store)
    finally:
        store.close()


def _rebuild_index(store: Store, data_dir: str) -> int:
    from index import IndexBusyError

    from .workers.indexer import rebuild_index

    try:
        count = rebuild_index(store, data_dir)
    except IndexBusyError:
        print("jmapd: the index is in use; stop the server first", file=sys.stderr)
        return 1
    print(f"indexed {count} emails")
    return 0


if __name__ == "__main__":
    sys.exit(main())
