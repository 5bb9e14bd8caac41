"""`jmapd import mbox|maildir|eml|imap`, `jmapd export` and `jmapd stats`: moving mail in and out.

Each runs against the data folder directly, beside a running server or not: it writes through the
store's normal write path, so a running server's clients see the new mail through push and /changes.
A fault gets one line and status 1 (2 for a mistake in the command); what was stored before it
stays, and a rerun continues.
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import sys

import lmdb

from store import Store
from store.users import get_user

from ..config import Config
from .common import CommandError, command, open_store


def register(sub) -> None:
    imp = sub.add_parser("import", help="import mail from mbox, Maildir, .eml files or an IMAP server")
    imp_sub = imp.add_subparsers(dest="source", required=True)
    mbox = command(imp_sub, "mbox", run_import, help="import mbox files (mboxrd), or a Thunderbird folder tree")
    mbox.add_argument("files", nargs="+", metavar="FILE")
    mbox.add_argument("--mailbox", help="the mailbox to import into (default: named after each file)")
    maildir = command(imp_sub, "maildir", run_import, help="import a Maildir (with Maildir++ subfolders)")
    maildir.add_argument("directory", metavar="DIR")
    eml = command(imp_sub, "eml", run_import, help="import a folder of .eml files (subfolders become mailboxes)")
    eml.add_argument("directory", metavar="DIR")
    eml.add_argument("--mailbox", help="the mailbox to import into (default: the Inbox, subfolders under it)")
    for p in (mbox, maildir, eml):
        p.add_argument("--user", required=True, help="the jmapd user whose account gets the mail")
        _output_options(p)
    from .imap_import import register_imap

    register_imap(imp_sub, run_import, _output_options)

    exp = command(sub, "export", run_export, help="write an account's mail out as Maildir or mbox")
    exp.add_argument("--user", required=True)
    exp.add_argument("--format", choices=("maildir", "mbox"), required=True)
    exp.add_argument("--out", required=True, metavar="DIR", help="the folder to write into")
    exp.add_argument("--mailbox", help="only this mailbox (a name, or a path like Work/2024)")

    stats = command(sub, "stats", run_stats, help="an account's totals, mailboxes and largest senders")
    stats.add_argument("--user", required=True)
    stats.add_argument("--top", type=int, default=10, help="how many senders to list")


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="print only the summary")


def account_of(store: Store, name: str) -> str:
    with store.read() as txn:
        user = get_user(txn, name)
    if user is None:
        raise CommandError(f"no user {name}")
    return user.account_id


def run_import(args: argparse.Namespace, config: Config) -> int:
    from ..importers.destination import Destination
    from ..importers.files import ImportFault
    from ..importers.progress import Progress
    from ..workers.parsing import ParsePool

    local_user = args.into if args.source == "imap" else args.user
    if args.source == "imap":
        from .imap_import import remote_password

        args.password = remote_password(args)  # asked before anything starts
    with open_store(config) as store:
        account_id = account_of(store, local_user)
        pool = ParsePool()
        progress = Progress(quiet=args.quiet)
        status, fault = 0, None
        try:
            destination = Destination(store, account_id, pool=pool)
            _import(args, destination, progress)
        except KeyboardInterrupt:
            status, fault = 130, "interrupted; what was imported is kept, and a rerun continues"
        except ImportFault as exc:
            status, fault = 1, str(exc)
        except (lmdb.Error, OSError) as exc:
            status, fault = 1, f"{store_fault(exc, config.data)}; what was imported is kept, and a rerun continues"
        finally:
            pool.close()
        print(progress.summary(), flush=True)
        if fault is not None:  # the last line on standard error, after the progress lines
            print(f"jmapd: {fault}", file=sys.stderr, flush=True)
        if status == 0 and progress.totals().failed:
            status = 1
        return status


#: A write that fails with this little room left on the disk is blamed on the disk being full:
#: LMDB reports a page write cut short by a full disk as an I/O error, not as ENOSPC.
NEARLY_FULL = 64 << 20
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def store_fault(exc: BaseException, folder: str) -> str:
    """One line for a failed write to the data folder (or to an export's folder)."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    free = _free_bytes(folder)
    if code in _FULL_ERRNOS or "No space left" in text or "MDB_MAP_FULL" in text or (
            free is not None and free < NEARLY_FULL and isinstance(exc, (lmdb.Error, OSError))):
        room = "" if free is None else f", {free / 1e6:.1f} MB free"
        return f"the disk holding {folder} is full ({text.splitlines()[0] if text else type(exc).__name__}{room})"
    return text.splitlines()[0] if text else type(exc).__name__


def _free_bytes(folder: str) -> int | None:
    path = os.path.abspath(folder)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _import(args, destination, progress) -> None:
    from ..importers import files

    if args.source == "mbox":
        files.import_mbox(destination, files.mbox_files(args.files, args.mailbox), progress)
    elif args.source == "maildir":
        files.import_maildir(destination, args.directory, progress)
    elif args.source == "eml":
        files.import_eml(destination, args.directory, progress, args.mailbox)
    else:
        from .imap_import import import_imap

        import_imap(args, destination, progress)


def run_export(args: argparse.Namespace, config: Config) -> int:
    from ..importers import export

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CommandError(f"{args.out} exists and is not a folder")
    with open_store(config) as store:
        account_id = account_of(store, args.user)
        write = export.export_maildir if args.format == "maildir" else export.export_mbox

        def report(done: export.ExportedMailbox) -> None:
            print(f"{'/'.join(done.path)}\t{done.messages} messages\t{done.bytes / 1e6:.1f} MB", flush=True)

        try:
            done = write(store, account_id, args.out, args.mailbox, report)
        except export.NoSuchMailboxName as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            print(f"jmapd: {store_fault(exc, args.out)}", file=sys.stderr)
            return 1
    print(f"exported {sum(d.messages for d in done)} messages from {len(done)} mailboxes to {args.out}")
    return 0


def run_stats(args: argparse.Namespace, config: Config) -> int:
    from ..importers.stats import account_stats, render

    with open_store(config) as store:
        print(render(account_stats(store, account_of(store, args.user), args.top)))
    return 0
