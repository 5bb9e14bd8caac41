"""`jmapd sync add|list|remove|run`: remote IMAP accounts kept mirrored into local ones.

`jmapd serve` runs the sources that are due in the background; `sync run` runs them now.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..config import Config
from .common import CommandError, command, open_store
from .imap_import import imap_options, remote_password, source_from
from .imports import account_of, store_fault


def register(sub) -> None:
    sync = sub.add_parser("sync", help="keep remote IMAP accounts mirrored into local accounts")
    sync_sub = sync.add_subparsers(dest="action", required=True)
    add = command(sync_sub, "add", run, help="add a remote account to keep in sync (checks the login first)")
    imap_options(add)
    add.add_argument("--interval", type=int, default=300, help="seconds between passes (default 300)")
    listing = command(sync_sub, "list", run, help="the sync sources, with how their last pass went")
    listing.add_argument("--user", help="only those syncing into this jmapd user")
    remove = command(sync_sub, "remove", run, help="stop syncing a source (the mail stays)")
    remove.add_argument("id")
    now = command(sync_sub, "run", run, help="sync now: every source, or the one named")
    now.add_argument("id", nargs="?")


def run(args: argparse.Namespace, config: Config) -> int:
    from ..importers import sync

    key_file = sync.key_path(config.data, config.sync_key_file)
    with open_store(config) as store:
        try:
            return _run(args, config, store, key_file)
        except sync.SyncFault as exc:
            print(f"jmapd: {exc}", file=sys.stderr)
            return 1


def _run(args, config, store, key_file) -> int:
    from ..importers import sync
    from ..importers.files import ImportFault
    from ..importers.imap import connect

    if args.action == "add":
        if args.interval < 1:
            raise CommandError("--interval must be at least 1 second")
        account_id = account_of(store, args.into)
        source = source_from(args)
        password = remote_password(args)
        try:
            connect(source, password).conn.logout()
        except ImportFault as exc:
            print(f"jmapd: {exc}", file=sys.stderr)
            return 1
        fernet = sync.load_key(key_file, create=True)
        entry = sync.SyncSource(source=source, local_user=args.into, interval=args.interval,
                                password=fernet.encrypt(password.encode()).decode())
        record_id = sync.add_source(store, account_id, entry)
        print(f"{record_id}\tsyncing {source.key} into {args.into} every {args.interval} s")
    elif args.action == "list":
        for _, record_id, entry in sync.all_sources(store):
            if args.user and entry.local_user != args.user:
                continue
            last = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry.last_run)) if entry.last_run else "never"
            state = f"failed: {entry.last_error}" if entry.last_error else "ok"
            print(f"{record_id}\t{entry.source.key}\t-> {entry.local_user}\tevery {entry.interval} s\t"
                  f"last {last}\t{state}\t{entry.imported} imported")
    elif args.action == "remove":
        if not sync.remove_source(store, args.id):
            raise CommandError(f"no sync source {args.id}")
        print(f"removed {args.id}; the mail it brought stays")
    else:
        fernet = sync.load_key(key_file, create=False)
        known = {record_id for _, record_id, _ in sync.all_sources(store)}
        if args.id and args.id not in known:
            raise CommandError(f"no sync source {args.id}")
        from ..importers.progress import Progress

        with sync.pass_lock(config.data, wait=True):
            try:
                results = sync.run_pass(store, fernet, only=args.id, progress_for=lambda e: Progress(quiet=True))
            except OSError as exc:
                print(f"jmapd: {store_fault(exc, config.data)}", file=sys.stderr)
                return 1
        failed = [(i, e) for i, e in results if e]
        for record_id, error in results:
            print(f"{record_id}\t{'failed: ' + error if error else 'ok'}")
        return 1 if failed else 0
    return 0
