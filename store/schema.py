"""The on-disk layout version and the migrations that carry old data folders forward.

A data folder records the layout version that wrote it. Opening an older folder first copies it to
`backups/` and then runs the registered steps one version at a time; opening a newer folder is refused,
because reading a layout we do not understand is how mail gets silently lost.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

import lmdb

from . import keys
from .codec import from_u64, u64

CURRENT_VERSION = 7
VERSION_KEY = b"schema_version"


class SchemaError(Exception):
    """The data folder cannot be used by this version of jmapd."""


@dataclass(frozen=True)
class Migration:
    """One step from `from_version` to `from_version + 1`, run inside a single write transaction;
    or, `batched`, in as many as it takes: `apply(txn, dbs, after)` does one bounded batch from
    where the last one ended (`after`, None at first) and returns where this one ended, None when
    the step is done (the layout version moves in that last transaction). With `buffers`, the
    transaction's reads are views into the map (valid until its next write), so that a step can
    look at the first octets of large values without reading the rest."""

    from_version: int
    description: str
    apply: Callable[..., object]
    batched: bool = False
    buffers: bool = False


def registry(*steps: Migration) -> dict[int, Migration]:
    table = {step.from_version: step for step in steps}
    if len(table) != len(steps):
        raise ValueError("two migrations start from the same version")
    return table


def _mailbox_counts_as_records(txn: lmdb.Transaction, dbs: dict[str, object]) -> None:
    """Layout 1 kept each mailbox count as its own counter (`<account>\\0mbox:<id>:<property>`);
    layout 2 keeps the four together in one MailboxCounts record."""
    from .codec import encode
    from .records import MailboxCounts

    order = ("totalEmails", "unreadEmails", "totalThreads", "unreadThreads")
    found: dict[tuple[bytes, str], list[int]] = {}
    stale = []
    with txn.cursor(db=dbs["counters"]) as cur:
        for key, value in cur:
            account, sep, name = key.partition(b"\x00")
            if not sep or not name.startswith(b"mbox:"):
                continue
            mailbox_id, _, prop = name[5:].decode().rpartition(":")
            if prop in order:
                found.setdefault((account, mailbox_id), [0, 0, 0, 0])[order.index(prop)] = from_u64(value)
                stale.append(key)
    for key in stale:
        txn.delete(key, db=dbs["counters"])
    for (account, mailbox_id), values in found.items():
        key = account + b"\x00MailboxCounts\x00" + mailbox_id.encode()
        txn.put(key, encode(MailboxCounts(*values)), db=dbs["records"])


def _imap_uids(txn: lmdb.Transaction, dbs: dict[str, object]) -> None:
    """Layout 3 numbers each mailbox's messages for IMAP (jmapd/mail/uids.py): existing messages get
    UIDs 1, 2, ... in receivedAt order, MODSEQ the account's modseq now, SAVEDATE their receivedAt."""
    modseqs: dict[bytes, int] = {}
    last: dict[tuple[bytes, bytes], int] = {}
    with txn.cursor(db=dbs["by_mailbox"]) as cur:
        for key, _ in cur:
            account, _, rest = key.partition(b"\x00")
            mailbox, _, rest = rest.partition(b"\x00")
            if not mailbox:  # the all-mailboxes pseudo entry
                continue
            received_at, email_id = rest[:8], rest[8:]
            if account not in modseqs:
                raw = txn.get(account + b"\x00modseq", db=dbs["counters"])
                modseqs[account] = 0 if raw is None else from_u64(raw)
            uid = last.get((account, mailbox), 0) + 1
            last[(account, mailbox)] = uid
            prefix = account + b"\x00" + mailbox + b"\x00"
            txn.put(prefix + uid.to_bytes(4, "big"), u64(modseqs[account]) + received_at + email_id, db=dbs["uids"])
            txn.put(prefix + email_id, uid.to_bytes(4, "big"), db=dbs["uid_of"])
    for (account, mailbox), uid in last.items():
        txn.put(account + b"\x00uidnext:" + mailbox, u64(uid), db=dbs["counters"])
def _account_byte_totals(txn: lmdb.Transaction, dbs: dict[str, object]) -> None:
    """Layout 4 keeps each account's total Email size as a counter (`<account>\0bytes:Email`), which
    the writer maintains from then on; the Emails already stored are added up once here."""
    import msgspec

    class Sized(msgspec.Struct):  # the one field of an Email record this needs
        size: int = 0

    decoder = msgspec.msgpack.Decoder(Sized)
    totals: dict[bytes, int] = {}
    with txn.cursor(db=dbs["records"]) as cur:
        for key, value in cur:
            account, _, rest = key.partition(b"\x00")
            if rest.startswith(b"Email\x00"):
                totals[account] = totals.get(account, 0) + decoder.decode(value).size
    for account, total in totals.items():
        txn.put(keys.counter(account.decode(), "bytes:Email"), u64(total), db=dbs["counters"])


def _imap_flag_index(txn: lmdb.Transaction, dbs: dict[str, object]) -> None:
    """Layout 5 lists, per mailbox and keyword, the UIDs of the messages that have it
    (`uid_flags`, jmapd/mail/uids.py), with the counters `kw:<mailbox>:<keyword>` and
    `size:<mailbox>`; they are built here once from the UID index and the Email records."""
    import msgspec

    class Flagged(msgspec.Struct):  # the two fields of an Email record this needs
        keywords: list[str] = []
        size: int = 0

    decoder = msgspec.msgpack.Decoder(Flagged)
    totals: dict[bytes, int] = {}
    with txn.cursor(db=dbs["uids"]) as cur:
        for key, value in cur:
            account, _, rest = key.partition(b"\x00")
            mailbox, _, uid = rest.partition(b"\x00")
            email_id = bytes(value[16:])
            raw = txn.get(account + b"\x00Email\x00" + email_id, db=dbs["records"])
            if raw is None:
                continue
            record = decoder.decode(raw)
            prefix = account + b"\x00" + mailbox + b"\x00"
            for keyword in record.keywords:
                txn.put(prefix + keyword.encode() + b"\x00" + uid, email_id, db=dbs["uid_flags"])
                name = account + b"\x00kw:" + mailbox + b":" + keyword.encode()
                totals[name] = totals.get(name, 0) + 1
            name = account + b"\x00size:" + mailbox
            totals[name] = totals.get(name, 0) + record.size
    for name, total in totals.items():
        txn.put(name, u64(total), db=dbs["counters"])


def _blobs_in_order(txn: lmdb.Transaction, dbs: dict[str, object]) -> None:
    """Layout 7 stores new blobs in order (`blob_data`, `blob_index`: store/blobs.py) and reads
    older ones where they are (`blobs`): nothing is moved. The step is there so that an older jmapd,
    which would not find the new blobs, refuses the folder."""


# Each step carries a data folder from one layout to the next; the step from layout 5 is provided
# by the mail layer (`provide`).
MIGRATIONS: dict[int, Migration] = registry(
    Migration(1, "mailbox counts kept as one record per mailbox", _mailbox_counts_as_records),
    Migration(2, "IMAP UIDs for every mailbox's messages", _imap_uids),
    Migration(3, "each account's total Email size kept as a counter", _account_byte_totals),
    Migration(4, "the UIDs of each keyword per mailbox, with flag and size counters", _imap_flag_index),
    Migration(6, "new blobs stored in the order they come", _blobs_in_order),
)


def provide(step: Migration) -> None:
    """Add a step whose work needs a layer above the store (rendering what a message's header
    fields say, layout 6: jmapd/mail/envelopes.py). That layer provides it when it is imported,
    which every program that opens a data folder with mail in it does."""
    MIGRATIONS[step.from_version] = step


def read_version(txn: lmdb.Transaction, meta) -> int | None:
    raw = txn.get(VERSION_KEY, db=meta)
    return None if raw is None else from_u64(raw)


def write_version(txn: lmdb.Transaction, meta, version: int) -> None:
    txn.put(VERSION_KEY, u64(version), db=meta)


def is_empty(env: lmdb.Environment) -> bool:
    """True for a folder that has never held data (the main database lists no named databases)."""
    with env.begin() as txn:
        return txn.stat()["entries"] == 0


def backup(env: lmdb.Environment, data_dir: str, version: int) -> str:
    """A compacted, consistent copy of the whole environment, taken before any migration touches it.

    Named by the second it was taken; a backup of the same second (a migration that failed and was
    run again at once) is never overwritten: the new one gets a suffix."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    folder = os.path.join(data_dir, "backups")
    os.makedirs(folder, 0o700, exist_ok=True)
    base = os.path.join(folder, f"store-v{version}-{stamp}")
    target, n = base, 1
    while True:
        try:
            os.mkdir(target, 0o700)
            break
        except FileExistsError:
            n += 1
            target = f"{base}-{n}"
    env.copy(target, compact=True)
    for name in os.listdir(target):
        os.chmod(os.path.join(target, name), 0o600)
    return target


def check_and_migrate(
    env: lmdb.Environment,
    dbs: dict[str, object],
    data_dir: str,
    *,
    current: int = CURRENT_VERSION,
    migrations: dict[int, Migration] = MIGRATIONS,
    fresh: bool,
) -> list[str]:
    """Bring the environment to `current`; return the descriptions of the steps that ran."""
    meta = dbs["meta"]
    with env.begin() as txn:
        found = read_version(txn, meta)
    if found is None:
        if not fresh:
            raise SchemaError(
                f"{data_dir} holds data without a layout version; it was not written by jmapd. "
                "Refusing to open it."
            )
        with env.begin(write=True) as txn:
            write_version(txn, meta, current)
        return []
    if found > current:
        raise SchemaError(
            f"{data_dir} was written by a newer jmapd (data layout v{found}); this jmapd reads "
            f"layouts up to v{current}. Upgrade jmapd, or restore a backup from {data_dir}/backups."
        )
    if found == current:
        return []
    missing = [v for v in range(found, current) if v not in migrations]
    if missing:
        raise SchemaError(
            f"no migration from data layout v{missing[0]} to v{missing[0] + 1}; refusing to open {data_dir}."
        )
    backup(env, data_dir, found)
    done = []
    for version in range(found, current):
        step = migrations[version]
        if step.batched:
            after = None
            while True:
                with env.begin(write=True, buffers=step.buffers) as txn:
                    after = step.apply(txn, dbs, after)
                    if after is None:
                        write_version(txn, meta, version + 1)
                if after is None:
                    break
        else:
            with env.begin(write=True, buffers=step.buffers) as txn:
                step.apply(txn, dbs)
                write_version(txn, meta, version + 1)
        done.append(f"v{version} -> v{version + 1}: {step.description}")
    return done
