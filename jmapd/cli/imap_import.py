"""`jmapd import imap`: its options and how it reads the remote password."""

from __future__ import annotations


def register_imap(sub, run, output_options) -> None:
    pass


def import_imap(args, destination, progress) -> None:
    raise NotImplementedError
