"""`jmapd user ...`: users, their passwords, tokens and shared accounts."""

from __future__ import annotations

import argparse
import sys

from store import Store
from store.users import (
    UnknownUser,
    UserExists,
    create_token,
    hash_password,
    list_users,
    set_password,
    share_account,
    unshare_account,
)

from ..config import Config
from ..mail.accounts import create_user
from ..mail.errors import MailError
from .common import command, open_store, read_password


def register(sub) -> None:
    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="action", required=True)
    add = command(user_sub, "add", run, help="create a user with a mail account")
    add.add_argument("name")
    add.add_argument("--password", help="the password (prompted for if omitted)")
    add.add_argument("--email", help="the user's mail address")
    passwd = command(user_sub, "passwd", run, help="set a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password", help="the new password (prompted for if omitted)")
    command(user_sub, "list", run, help="list users")
    token = command(user_sub, "token", run, help="create an API token for Bearer authentication")
    token.add_argument("name")
    token.add_argument("--label", default="", help="a note to recognise the token by")
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
    with open_store(config) as store:
        return _run(args, store)


def _run(args: argparse.Namespace, store: Store) -> int:
    if args.action == "add":
        try:
            user = create_user(store, args.name, read_password(args.password), args.email)
        except UserExists:
            print(f"jmapd: user {args.name} exists already", file=sys.stderr)
            return 1
        except MailError as exc:
            print(f"jmapd: {exc}", file=sys.stderr)
            return 2
        print(f"created user {user.name} (account {user.account_id})")
    elif args.action == "passwd":
        password_hash = hash_password(read_password(args.password))
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
