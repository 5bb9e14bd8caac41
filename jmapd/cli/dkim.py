"""`jmapd dkim generate DOMAIN`: a DKIM key for a sending domain, and the DNS record to publish."""

from __future__ import annotations

import argparse

from ..config import Config
from ..mail.addresses import normalize_domain
from ..mail.errors import InvalidAddress
from .common import CommandError, command


def register(sub) -> None:
    dkim = sub.add_parser("dkim", help="DKIM keys that sign outgoing mail")
    dkim_sub = dkim.add_subparsers(dest="action", required=True)
    generate = command(dkim_sub, "generate", run, help="create DOMAIN's key and print its DNS TXT record")
    generate.add_argument("domain")
    generate.add_argument("--selector", help="the DKIM selector (default: outbox.dkim_selector, \"jmapd\")")
    show = command(dkim_sub, "show", run, help="print the DNS TXT record of DOMAIN's existing key")
    show.add_argument("domain")
    show.add_argument("--selector", help="the DKIM selector (default: outbox.dkim_selector, \"jmapd\")")


def run(args: argparse.Namespace, config: Config) -> int:
    from ..outbox.dkim import generate_key, key_path, public_record

    try:
        domain = normalize_domain(args.domain)
    except InvalidAddress as exc:
        raise CommandError(str(exc)) from None
    selector = args.selector or config.outbox.dkim_selector
    if not selector.replace("-", "").isalnum():
        raise CommandError(f"{selector!r} is not a valid DKIM selector")
    if args.action == "generate":
        try:
            path, record = generate_key(config.data, domain, selector)
        except FileExistsError:
            raise CommandError(f"{domain} already has a key ({key_path(config.data, domain, selector)}); "
                               f"`jmapd dkim show {domain}` prints its record") from None
        print(f"created {path}; mail From {domain} is signed with it once the server (re)starts")
    else:
        try:
            record = public_record(config.data, domain, selector)
        except FileNotFoundError:
            raise CommandError(f"{domain} has no key; create one with `jmapd dkim generate {domain}`") from None
    # A TXT string holds at most 255 octets (RFC 1035 §3.3): longer records are split in several.
    chunks = " ".join(f'"{record[i:i + 250]}"' for i in range(0, len(record), 250))
    print("publish this DNS record:")
    print(f"{selector}._domainkey.{domain}. IN TXT ( {chunks} )")
    return 0
