"""An account (or one mailbox) written out as Maildir++ or as mbox files, to leave with everything.

Each message's octets are written as stored. Maildir keeps keywords as flag letters (custom ones in
`dovecot-keywords`) and receivedAt as the file's modification time; mbox keeps both in the From
line (see mbox.py). An Email in several mailboxes is written into each; importing the export merges
the copies back into one Email in those mailboxes. Reading goes a chunk of messages per read
transaction, so memory and the reader's hold on the store stay bounded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from store import Store
from store.blobs import read_blob
from store.records import Mailbox

from ..mail import Mail
from ..mail.records import EmailRecord
from . import flags, maildir, mbox

CHUNK = 256


@dataclass
class ExportedMailbox:
    mailbox_id: str
    path: list[str]
    messages: int = 0
    bytes: int = 0


class NoSuchMailboxName(Exception):
    pass


def mailbox_paths(store: Store, account_id: str) -> dict[str, list[str]]:
    """Each mailbox's names from the top; the Inbox's subtree is spelled INBOX, as IMAP does."""
    with store.read() as txn:
        boxes = dict(txn.scan(account_id, "Mailbox", Mailbox))

    def path(mailbox_id: str) -> list[str]:
        names, seen = [], set()
        while mailbox_id in boxes and mailbox_id not in seen:
            seen.add(mailbox_id)
            box = boxes[mailbox_id]
            names.append("INBOX" if box.role == "inbox" and box.parent_id is None else box.name)
            mailbox_id = box.parent_id
        return names[::-1]

    return {mailbox_id: path(mailbox_id) for mailbox_id in boxes}


def choose(paths: dict[str, list[str]], name: str | None) -> dict[str, list[str]]:
    if name is None:
        return paths
    wanted = name.strip("/").split("/")
    for mailbox_id, path in paths.items():
        if [p.lower() for p in path] == [w.lower() for w in wanted] or (
                len(wanted) == 1 and path[-1].lower() == wanted[0].lower()) or (
                wanted == ["Inbox"] and path == ["INBOX"]):
            return {mailbox_id: path}
    raise NoSuchMailboxName(f"no mailbox named {name!r}")


def messages(store: Store, account_id: str, mailbox_id: str) -> Iterator[tuple[str, EmailRecord, bytes]]:
    """(email id, record, octets) of a mailbox, oldest first, a chunk per read transaction."""
    with store.read() as txn:
        ids = list(Mail.mailbox_messages(txn, account_id, mailbox_id))
    for start in range(0, len(ids), CHUNK):
        with store.read() as txn:
            for email_id in ids[start:start + CHUNK]:
                record = txn.get(account_id, "Email", email_id, EmailRecord)
                if record is None:
                    continue  # destroyed while the export ran
                raw = read_blob(txn, account_id, record.blob_id)
                if raw is not None:
                    yield email_id, record, raw


def _private_dirs(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)


def export_maildir(store: Store, account_id: str, out: str, mailbox: str | None = None,
                   report: Callable[[ExportedMailbox], None] = lambda e: None) -> list[ExportedMailbox]:
    done = []
    _private_dirs(out)
    for mailbox_id, path in choose(mailbox_paths(store, account_id), mailbox).items():
        # The Inbox is the root; its children keep INBOX in their names, so they come back under it.
        directory = maildir.folder_directory(out, [] if path == ["INBOX"] else path)
        maildir.make_folder(directory)
        custom = _existing_custom(directory)
        exported = ExportedMailbox(mailbox_id, path)
        for email_id, record, raw in messages(store, account_id, mailbox_id):
            letters = flags.to_maildir(record.keywords, custom)
            maildir.write_message(directory, f"{record.received_at}.{email_id}.jmapd", raw, record.received_at, letters)
            exported.messages += 1
            exported.bytes += len(raw)
        if custom:
            keywords_file = os.path.join(directory, "dovecot-keywords")
            fd = os.open(keywords_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(flags.write_dovecot_keywords(custom))
        report(exported)
        done.append(exported)
    return done


def _existing_custom(directory: str) -> dict[str, str]:
    """Keyword letters already used in a folder exported to before, kept as they were."""
    letters = maildir.custom_keywords(maildir.MaildirFolder([], directory))
    return {keyword: letter for letter, keyword in letters.items()}


def mbox_file(out: str, path: list[str]) -> str:
    """Thunderbird's layout: folder B inside A is the file `A.sbd/B`."""
    names = ["Inbox" if (i == 0 and p == "INBOX") else p for i, p in enumerate(path)]
    names = [n.replace("%", "%25").replace("/", "%2F") for n in names]
    parents = [n + ".sbd" for n in names[:-1]]
    return os.path.join(out, *parents, names[-1])


def export_mbox(store: Store, account_id: str, out: str, mailbox: str | None = None,
                report: Callable[[ExportedMailbox], None] = lambda e: None) -> list[ExportedMailbox]:
    done = []
    _private_dirs(out)
    for mailbox_id, path in choose(mailbox_paths(store, account_id), mailbox).items():
        target = mbox_file(out, path)
        _private_dirs(os.path.dirname(target))
        exported = ExportedMailbox(mailbox_id, path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb", buffering=1 << 20) as f:
            for _, record, raw in messages(store, account_id, mailbox_id):
                mbox.write_message(f, raw, record.received_at, record.keywords)
                exported.messages += 1
                exported.bytes += len(raw)
        report(exported)
        done.append(exported)
    return done
