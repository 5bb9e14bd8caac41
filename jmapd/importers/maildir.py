"""Maildir folders, read and written: Maildir++ subfolders, flags in file names, Dovecot keywords.

The root folder is the Inbox; `.A.B` beside its cur/new/tmp is folder B inside A (names in IMAP's
modified UTF-7, as Dovecot writes them). A message's flags are the letters after ":2," in its file
name; lowercase letters are keywords listed in the folder's `dovecot-keywords`. Its receivedAt is
the file's modification time, which is what Dovecot and other IMAP servers report as INTERNALDATE.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import mutf7
from . import flags

SUBDIRS = ("cur", "new", "tmp")


@dataclass
class MaildirFolder:
    path: list[str]
    directory: str


@dataclass
class MaildirMessage:
    name: str
    raw: bytes
    received_at: int
    keywords: list[str]


class VanishedFile(Exception):
    pass


def is_maildir(directory: str) -> bool:
    return all(os.path.isdir(os.path.join(directory, sub)) for sub in ("cur", "new"))


def folders(root: str) -> list[MaildirFolder]:
    """The root and its Maildir++ subfolders, parents before children."""
    found = [MaildirFolder([], root)] if is_maildir(root) else []
    for entry in sorted(os.listdir(root)):
        full = os.path.join(root, entry)
        if entry.startswith(".") and entry not in (".", "..") and is_maildir(full):
            found.append(MaildirFolder([mutf7.decode(part) for part in entry[1:].split(".")], full))
    found.sort(key=lambda f: len(f.path))
    return found


def _split(name: str) -> tuple[str, str]:
    unique, sep, info = name.partition(":2,")
    return unique, info if sep else ""


def message_names(folder: MaildirFolder) -> list[tuple[str, str]]:
    """(subdir, file name) of every message, in delivery order (names begin with the time)."""
    names = []
    for sub in ("new", "cur"):
        try:
            entries = os.listdir(os.path.join(folder.directory, sub))
        except FileNotFoundError:
            continue
        names += [(sub, n) for n in entries if not n.startswith(".")]
    names.sort(key=lambda sn: sn[1])
    return names


def custom_keywords(folder: MaildirFolder) -> dict[str, str]:
    try:
        with open(os.path.join(folder.directory, "dovecot-keywords"), encoding="utf-8", errors="replace") as f:
            return flags.read_dovecot_keywords(f.read())
    except FileNotFoundError:
        return {}


def read_message(folder: MaildirFolder, sub: str, name: str, custom: dict[str, str]) -> MaildirMessage:
    """One message; a file renamed since the listing (a flag change moves it from new/ to cur/ or
    changes its info) is looked for under its unique name before it counts as vanished."""
    path = os.path.join(folder.directory, sub, name)
    try:
        return _read(path, name, custom)
    except FileNotFoundError:
        unique, _ = _split(name)
        for other_sub in ("cur", "new"):
            try:
                entries = os.listdir(os.path.join(folder.directory, other_sub))
            except FileNotFoundError:
                continue
            for entry in entries:
                if _split(entry)[0] == unique:
                    try:
                        return _read(os.path.join(folder.directory, other_sub, entry), entry, custom)
                    except FileNotFoundError:
                        pass
        raise VanishedFile(f"{name} vanished while it was being read") from None


def _read(path: str, name: str, custom: dict[str, str]) -> MaildirMessage:
    with open(path, "rb") as f:
        raw = f.read()
        mtime = int(os.fstat(f.fileno()).st_mtime)
    _, info = _split(name)
    return MaildirMessage(name, raw, mtime, flags.from_maildir(info, custom))


# -- writing ---------------------------------------------------------------------------------------
def folder_directory(root: str, path: list[str]) -> str:
    """Where the folder at `path` lives under a Maildir++ root ('.' and '/' in names encoded)."""
    if not path:
        return root
    return os.path.join(root, "." + ".".join(mutf7.encode(name, also="./") for name in path))


def make_folder(directory: str) -> None:
    for sub in SUBDIRS:
        os.makedirs(os.path.join(directory, sub), mode=0o700, exist_ok=True)


def write_message(directory: str, unique: str, raw: bytes, received_at: int, letters: str) -> str:
    """Write through tmp/ and rename into cur/, as Maildir asks, so no reader sees half a file."""
    name = f"{unique}:2,{letters}"
    tmp = os.path.join(directory, "tmp", unique)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(raw)
    os.utime(tmp, (received_at, received_at))
    os.replace(tmp, os.path.join(directory, "cur", name))
    return name
