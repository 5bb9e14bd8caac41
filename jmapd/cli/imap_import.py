"""`jmapd import imap`: its options, and the remote password, which never comes from a flag."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from .common import CommandError

PASSWORD_ENV = "JMAPD_IMPORT_PASSWORD"


def imap_options(p: argparse.ArgumentParser) -> None:
    """The options naming a remote IMAP account (shared by `import imap` and `sync add`)."""
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, help="default 993 with --tls, 143 otherwise")
    security = p.add_mutually_exclusive_group()
    security.add_argument("--tls", dest="security", action="store_const", const="tls",
                          help="TLS from the start (the default)")
    security.add_argument("--starttls", dest="security", action="store_const", const="starttls")
    security.add_argument("--plain", dest="security", action="store_const", const="plain",
                          help="no TLS at all (the password crosses the network readable)")
    p.add_argument("--insecure", action="store_true", help="accept a certificate that does not verify")
    p.add_argument("--user", required=True, help="the user name on the remote server")
    p.add_argument("--password-file", metavar="FILE", help=f"read the password from FILE (or set ${PASSWORD_ENV})")
    p.add_argument("--into", required=True, metavar="NAME", help="the jmapd user whose account gets the mail")
    p.add_argument("--folders", nargs="+", default=[], metavar="PATTERN", help="only folders matching these")
    p.add_argument("--exclude", nargs="+", default=[], metavar="PATTERN", help="skip folders matching these")


def register_imap(sub, run, output_options) -> None:
    from .common import command

    imap = command(sub, "imap", run, help="import an account from an IMAP server (resumable, incremental)")
    imap_options(imap)
    output_options(imap)


def source_from(args: argparse.Namespace):
    from ..importers.imap import ImapSource

    security = args.security or "tls"
    port = args.port or (993 if security == "tls" else 143)
    return ImapSource(host=args.host, port=port, security=security, user=args.user, insecure=args.insecure,
                      folders=list(args.folders), exclude=list(args.exclude))


def remote_password(args: argparse.Namespace) -> str:
    if args.password_file:
        try:
            with open(args.password_file, encoding="utf-8") as f:
                password = f.readline().rstrip("\r\n")
        except OSError as exc:
            raise CommandError(f"cannot read {args.password_file}: {exc.strerror}") from None
        if not password:
            raise CommandError(f"{args.password_file} holds no password")
        return password
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise CommandError(f"no password: set {PASSWORD_ENV}, give --password-file, or run on a terminal")
    return getpass.getpass(f"password of {args.user} at {args.host}: ")


def import_imap(args, destination, progress) -> None:
    from ..importers.imap import import_account

    import_account(source_from(args), args.password, destination, progress)
