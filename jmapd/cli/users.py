"""`jmapd user ...`: users, their passwords, tokens and shared accounts."""

from __future__ import annotations

import argparse
import time

from store import Store
from store.users import (
    InvalidUserName,
    UnknownToken,
    UnknownUser,
    UserExists,
    create_token,
    get_user,
    hash_password,
    list_tokens,
    list_users,
    revoke_tokens,
    set_password,
    share_account,
    unshare_account,
)

from ..config import Config
from ..mail.accounts import create_user
from ..mail.errors import MailError
from .common import CommandError, command, open_store, read_password

TOKEN_ACTIONS = ("create", "list", "revoke")


def register(sub) -> None:
    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="action", required=True)
    add = command(user_sub, "add", run, help="create a user with a mail account")
    add.add_argument("name")
    add.add_argument("--password", help="the password (read from standard input, or prompted for, if omitted)")
    add.add_argument("--email", help="the user's mail address")
    passwd = command(user_sub, "passwd", run, help="set a user's password (and revoke the user's API tokens)")
    passwd.add_argument("name")
    passwd.add_argument("--password", help="the new password (read from standard input, or prompted for, if omitted)")
    passwd.add_argument("--keep-tokens", action="store_true", help="leave the user's API tokens valid")
    command(user_sub, "list", run, help="list users")
    token = command(user_sub, "token", run_token, help="API tokens for Bearer authentication: "
                    "`token NAME` or `token create NAME` makes one, `token list NAME` lists them, "
                    "`token revoke NAME ID...|--all` revokes them")
    token.add_argument("words", nargs="+", metavar="ARG",
                       help="NAME, create NAME, list NAME, or revoke NAME ID... (ids as `token list` shows them)")
    token.add_argument("--label", default="", help="a note to recognise a new token by")
    token.add_argument("--all", action="store_true", help="with revoke: every token of the user")
    share = command(user_sub, "share", run, help="let another user reach OWNER's account")
    share.add_argument("owner")
    share.add_argument("--with", dest="with_user", required=True, help="the user who gets access")
    share.add_argument("--read-only", action="store_true", help="reading only")
    unshare = command(user_sub, "unshare", run, help="take back access to OWNER's account")
    unshare.add_argument("owner")
    unshare.add_argument("--with", dest="with_user", required=True)
    from .addresses import register_user_address

    register_user_address(user_sub)


def run(args: argparse.Namespace, config: Config) -> int:
    if args.action == "add":
        password = read_password(args.password)  # before the store: a refused password creates nothing
        with open_store(config, create=True) as store:
            return add(store, args.name, password, args.email)
    with open_store(config) as store:
        return _run(args, store)


def add(store: Store, name: str, password: str, email: str | None) -> int:
    try:
        user = create_user(store, name, password, email)
    except UserExists:
        raise CommandError(f"user {name} exists already: choose another name, or set its password with "
                           f"`user passwd {name}`") from None
    except (InvalidUserName, MailError) as exc:
        raise CommandError(f"{exc}: choose another" + (" name" if isinstance(exc, InvalidUserName) else "")) from None
    print(f"created user {user.name} (account {user.account_id})")
    return 0


def _run(args: argparse.Namespace, store: Store) -> int:
    if args.action == "passwd":
        password_hash = hash_password(read_password(args.password))
        try:
            revoked = store.write(lambda txn: set_password(txn, args.name, password_hash,
                                                           keep_tokens=args.keep_tokens))
        except UnknownUser:
            raise CommandError(f"no user {args.name}: see `user list`") from None
        print(f"password of {args.name} changed" + (f"; {revoked} API token(s) revoked" if revoked else ""))
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
        except UnknownUser as exc:
            raise CommandError(f"no user {exc}: see `user list`") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        print(f"{args.action}d {args.owner}'s account with {args.with_user}")
    return 0


def run_token(args: argparse.Namespace, config: Config) -> int:
    words = list(args.words)
    if words[0] in TOKEN_ACTIONS and len(words) == 1:
        raise CommandError(f"`user token {words[0]}` needs the user's name: user token {words[0]} NAME")
    action = words.pop(0) if words[0] in TOKEN_ACTIONS else "create"
    name, ids = words[0], words[1:]
    if action != "revoke" and ids:
        raise CommandError(f"`user token {action}` takes one user name, not {' '.join(args.words)}")
    if action == "revoke" and bool(ids) == args.all:
        raise CommandError("`user token revoke NAME` needs the ids to revoke (see `user token list NAME`) "
                           "or --all, not both")
    with open_store(config) as store:
        with store.read() as txn:
            if get_user(txn, name) is None:
                raise CommandError(f"no user {name}: see `user list`")
        if action == "create":
            print(store.write(lambda txn: create_token(txn, name, args.label)))
        elif action == "list":
            with store.read() as txn:
                for token_id, record in list_tokens(txn, name):
                    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created_at))
                    print(f"{token_id}\t{created}\t{record.label}")
        else:
            try:
                count = store.write(lambda txn: revoke_tokens(txn, name, None if args.all else ids))
            except UnknownToken as exc:
                raise CommandError(f"{name} has no token {exc}: see `user token list {name}`") from None
            print(f"revoked {count} token(s) of {name}")
    return 0
