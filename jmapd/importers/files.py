"""Imports from local files: mbox files (or a Thunderbird profile's folder tree), Maildir++ trees,
and folders of .eml files.

mbox files resume from the byte offset the last committed batch reached, kept with that batch;
Maildir and .eml files are recognised again by their content, so a rerun stores only what is new.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import maildir, mbox
from .destination import Batches, Destination, Incoming
from .folders import Folders, role_for
from .ledger import FolderState
from .progress import Progress

MBOX_SOURCE, MAILDIR_SOURCE, EML_SOURCE = "mbox", "maildir", "eml"
#: Files a Thunderbird profile keeps beside its mbox files.
_NOT_MBOX = (".msf", ".dat", ".json", ".html", ".sqlite", ".log", ".bak")


class ImportFault(Exception):
    """A source that cannot be read at all (one line for the command to print)."""


@dataclass
class MboxFile:
    path: str
    folder: list[str]


def mbox_files(paths: list[str], mailbox: str | None) -> list[MboxFile]:
    """The mbox files named, with the folder each becomes: `--mailbox` for all of them, else the file's
    name. A directory is read as a Thunderbird folder tree (`A` and its subfolders in `A.sbd/`)."""
    found: list[MboxFile] = []
    for path in paths:
        if os.path.isdir(path):
            found += _thunderbird_tree(path, [])
        elif os.path.isfile(path):
            found.append(MboxFile(path, [_folder_name(os.path.basename(path))]))
        else:
            raise ImportFault(f"{path}: no such file")
    if mailbox is not None:
        for f in found:
            f.folder = mailbox.strip("/").split("/")
    return found


def _folder_name(filename: str) -> str:
    name = filename[:-5] if filename.lower().endswith(".mbox") else filename
    return name.replace("%2F", "/").replace("%25", "%")


def _thunderbird_tree(directory: str, parent: list[str]) -> list[MboxFile]:
    found = []
    for entry in sorted(os.listdir(directory)):
        full = os.path.join(directory, entry)
        if os.path.isfile(full) and not entry.startswith(".") and not entry.lower().endswith(_NOT_MBOX):
            found.append(MboxFile(full, parent + [_folder_name(entry)]))
    for entry in sorted(os.listdir(directory)):
        full = os.path.join(directory, entry)
        if entry.endswith(".sbd") and os.path.isdir(full):
            found += _thunderbird_tree(full, parent + [_folder_name(entry[:-4])])
    return found


def _mailbox_for(folders: Folders, path: list[str]) -> str:
    return folders.mailbox(path, role_for(path))


def import_mbox(destination: Destination, files: list[MboxFile], progress: Progress) -> None:
    folders = Folders(destination.store, destination.account_id)
    for item in files:
        key = os.path.realpath(item.path)
        label = "/".join(item.folder) + ("" if len(files) == 1 else f" ({os.path.basename(item.path)})")
        progress.folder(label)
        mailbox_id = _mailbox_for(folders, item.folder)
        batches = Batches(destination, MBOX_SOURCE, key, progress.advance)
        try:
            f = open(item.path, "rb")
        except OSError as exc:
            raise ImportFault(f"{item.path}: {exc.strerror}") from None
        with f:
            state = destination.state(MBOX_SOURCE, key)
            size = os.fstat(f.fileno()).st_size
            same_file = state.offset <= size and state.fingerprint == mbox.fingerprint(f, state.offset)
            start = state.offset if same_file else 0
            full_print = mbox.fingerprint(f, mbox.FINGERPRINT_BYTES)
            try:
                for message in mbox.read_messages(f, start):
                    print_ = full_print if message.end >= mbox.FINGERPRINT_BYTES else mbox.fingerprint(f, message.end)
                    after = FolderState(offset=message.end, fingerprint=print_)
                    if message.truncated:
                        # Not remembered as done: a rerun on the completed file reads it again.
                        progress.fail(f"the file ends inside the message at byte {message.start} (truncated)")
                        continue
                    if message.expunged:
                        batches.advance(after)
                        continue
                    batches.add(Incoming(message.raw, mailbox_id, message.keywords, message.received_at), after)
            except mbox.NotMbox as exc:
                raise ImportFault(f"{item.path}: {exc}") from None
            finally:
                batches.finish()
    progress.end_folder()


def import_maildir(destination: Destination, root: str, progress: Progress) -> None:
    if not os.path.isdir(root):
        raise ImportFault(f"{root}: no such folder")
    found = maildir.folders(root)
    if not found:
        raise ImportFault(f"{root}: not a Maildir (no cur/ and new/ in it or its .folders)")
    folders = Folders(destination.store, destination.account_id)
    for folder in found:
        names = maildir.message_names(folder)
        progress.folder("/".join(folder.path) or "INBOX", total=len(names))
        mailbox_id = _mailbox_for(folders, folder.path)
        custom = maildir.custom_keywords(folder)
        batches = Batches(destination, MAILDIR_SOURCE, folder.directory, progress.advance)
        try:
            for sub, name in names:
                try:
                    message = maildir.read_message(folder, sub, name, custom)
                except maildir.VanishedFile as exc:
                    progress.fail(str(exc))
                    continue
                batches.add(Incoming(message.raw, mailbox_id, message.keywords, message.received_at))
        finally:
            batches.finish()
    progress.end_folder()


def import_eml(destination: Destination, root: str, progress: Progress, mailbox: str | None = None) -> None:
    """Every `*.eml` file under `root`; each subfolder becomes a mailbox (files at the top go to
    `mailbox`, by default the Inbox). receivedAt is the file's time unless a Received header says."""
    if not os.path.isdir(root):
        raise ImportFault(f"{root}: no such folder")
    folders = Folders(destination.store, destination.account_id)
    for directory, subdirs, filenames in os.walk(root):
        subdirs.sort()
        names = sorted(n for n in filenames if n.lower().endswith(".eml"))
        if not names:
            continue
        relative = os.path.relpath(directory, root)
        path = [] if relative == "." else relative.split(os.sep)
        if mailbox is not None:
            path = mailbox.strip("/").split("/") + path
        progress.folder("/".join(path) or "INBOX", total=len(names))
        mailbox_id = _mailbox_for(folders, path)
        batches = Batches(destination, EML_SOURCE, directory, progress.advance)
        try:
            for name in names:
                try:
                    with open(os.path.join(directory, name), "rb") as f:
                        raw = f.read()
                        mtime = int(os.fstat(f.fileno()).st_mtime)
                except FileNotFoundError:
                    progress.fail(f"{name} vanished while it was being read")
                    continue
                batches.add(Incoming(raw, mailbox_id, received_fallback=mtime))
        finally:
            batches.finish()
    progress.end_folder()
