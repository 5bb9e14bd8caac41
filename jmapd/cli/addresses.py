"""`jmapd domain ...` and `jmapd user address ...`: the domains mail is taken for, and users' aliases."""

from __future__ import annotations

import argparse

from store.users import get_user

from ..config import Config
from ..mail.addresses import add_address, add_domain, addresses_of, list_domains, remove_address, remove_domain
from ..mail.errors import MailError
from .common import CommandError, command, open_store


def register(sub) -> None:
    domain = sub.add_parser("domain", help="manage the domains this server receives mail for")
    domain_sub = domain.add_subparsers(dest="action", required=True)
    add = command(domain_sub, "add", run_domain, help="receive mail for a domain (or change its settings)")
    add.add_argument("domain")
    add.add_argument("--catch-all", metavar="USER", help="the user who gets mail for unknown addresses")
    add.add_argument("--owner", metavar="USER", action="append",
                     help="a user who may send as any address of the domain (repeatable)")
    command(domain_sub, "list", run_domain, help="list the domains")
    remove = command(domain_sub, "remove", run_domain, help="stop receiving mail for a domain")
    remove.add_argument("domain")


def register_user_address(user_sub) -> None:
    address = user_sub.add_parser("address", help="a user's addresses (aliases)")
    address_sub = address.add_subparsers(dest="address_action", required=True)
    for action, text in (("add", "give NAME one more address"), ("remove", "take an address from NAME")):
        p = command(address_sub, action, run_address, help=text)
        p.add_argument("name")
        p.add_argument("address")
    p = command(address_sub, "list", run_address, help="list NAME's addresses, the primary one first")
    p.add_argument("name")


def run_domain(args: argparse.Namespace, config: Config) -> int:
    with open_store(config) as store:
        try:
            if args.action == "add":
                name = store.write(lambda txn: add_domain(txn, args.domain, catch_all=args.catch_all,
                                                          owners=args.owner))
                print(f"receiving mail for {name}")
            elif args.action == "remove":
                store.write(lambda txn: remove_domain(txn, args.domain))
                print(f"no longer receiving mail for {args.domain}")
            else:
                with store.read() as txn:
                    for name, record in list_domains(txn):
                        extra = [f"catch-all {record.catch_all}"] if record.catch_all else []
                        extra += [f"owners {','.join(record.owners)}"] if record.owners else []
                        print("\t".join([name, *extra]))
        except MailError as exc:
            raise CommandError(str(exc)) from None
    return 0


def run_address(args: argparse.Namespace, config: Config) -> int:
    with open_store(config) as store:
        try:
            if args.address_action == "add":
                address = store.write(lambda txn: add_address(txn, args.name, args.address))
                print(f"{address} now reaches {args.name}")
            elif args.address_action == "remove":
                store.write(lambda txn: remove_address(txn, args.name, args.address))
                print(f"{args.address} no longer reaches {args.name}")
            else:
                with store.read() as txn:
                    user = get_user(txn, args.name)
                    if user is None:
                        raise CommandError(f"no user {args.name}")
                    for address in addresses_of(txn, user, config.hostname):
                        print(address)
        except MailError as exc:
            raise CommandError(str(exc)) from None
    return 0
