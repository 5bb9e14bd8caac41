"""Filling an account before a test: the demo mailbox, N generated messages, or a seed file.

Seed files are JSON (mailboxes, and emails as raw messages or structured fields), an mbox, or a
folder of .eml files. A seed is checked and parsed whole before anything is stored, and stored in
one transaction, so a bad seed leaves the account as it was and names the file and the position
of the problem.
"""

from __future__ import annotations

import base64
import functools
import mailbox
import os
from email.utils import getaddresses
from pathlib import Path

import msgspec

from store import Store, WriteTxn
from store.blobs import blob_id_for

from ..mail import clock
from ..mail.mailboxes import ensure_mailbox_path
from ..mail.parsing import ParsedMessage, parse_for_import
from ..mail.placement import check_keywords
from ..mail.writer import store_message
from ..methods.dates import parse_utc_date
from ..mime.compose import ComposeError, compose_email
from ..seed import SeedOptions, iter_messages

DEMO_SEED, DEMO_COUNT = 20240611, 48


class SeedError(Exception):
    """A seed that cannot be loaded; the message names the file and where in it."""


class SeedAttachment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    type: str = "application/octet-stream"
    text: str | None = None
    base64: str | None = None


class SeedEmail(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    """One message: `raw` (or `raw_base64`) as stored, or fields composed into a message."""

    mailboxes: list[str] = msgspec.field(default_factory=lambda: ["Inbox"])
    keywords: list[str] = []
    received_at: str | None = None
    raw: str | None = None
    raw_base64: str | None = None
    from_: str | None = msgspec.field(default=None, name="from")
    to: list[str] = []
    cc: list[str] = []
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    attachments: list[SeedAttachment] = []


class SeedFile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mailboxes: list[str] = []
    emails: list[SeedEmail] = []


class Item(msgspec.Struct):
    raw: bytes
    mailboxes: list[str]
    keywords: list[str]
    received_at: int | None


# -- reading seeds ---------------------------------------------------------------------------------
def read_seed(spec: str, *, seed_random: int = 1, hostname: str = "example.test") -> tuple[list[str], list[Item]]:
    """(folders to create, messages) for a seed spec; raises SeedError."""
    if spec == "demo":
        return [], _generated(DEMO_SEED, DEMO_COUNT, max_attachment=64_000)
    if spec.isdigit():
        return [], _generated(seed_random, int(spec), max_attachment=200_000)
    path = Path(spec)
    if path.is_dir():
        return [], _eml_folder(path)
    if not path.is_file():
        raise SeedError(f"{spec}: no such seed (demo, a number, a .json file, an mbox or a folder of .eml)")
    if path.suffix == ".json":
        return _json(path, hostname)
    return [], _mbox(path)


@functools.lru_cache(maxsize=4)
def _generated(seed: int, count: int, max_attachment: int) -> list[Item]:
    return [Item(m.raw, [m.folder], list(m.keywords), parse_utc_date(m.received_at))
            for m in iter_messages(seed, count, SeedOptions(max_attachment_bytes=max_attachment))]


def _eml_folder(path: Path) -> list[Item]:
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in (".eml", ".msg", ""))
    if not files:
        raise SeedError(f"{path}: no .eml files in the folder")
    return [Item(p.read_bytes(), ["Inbox"], [], None) for p in files]


def _mbox(path: Path) -> list[Item]:
    box = mailbox.mbox(str(path), create=False)
    try:
        items = [Item(box.get_bytes(key), ["Inbox"], [], None) for key in box.iterkeys()]
    except (OSError, mailbox.Error) as exc:
        raise SeedError(f"{path}: not a readable mbox: {exc}") from None
    finally:
        box.close()
    if not items:
        raise SeedError(f"{path}: no messages (neither JSON nor an mbox)")
    return items


def _json(path: Path, hostname: str) -> tuple[list[str], list[Item]]:
    try:
        seed = msgspec.json.decode(path.read_bytes(), type=SeedFile)
    except msgspec.ValidationError as exc:
        raise SeedError(f"{path}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise SeedError(f"{path}: {exc}") from None
    items = []
    for n, email in enumerate(seed.emails):
        where = f"$.emails[{n}]"
        received_at = None
        if email.received_at is not None:
            received_at = parse_utc_date(email.received_at)
            if received_at is None:
                raise SeedError(f"{path}: not a UTCDate (YYYY-MM-DDTHH:MM:SSZ) - at `{where}.receivedAt`")
        try:
            raw = _raw(email, where, hostname)
        except SeedError as exc:
            raise SeedError(f"{path}: {exc}") from None
        items.append(Item(raw, email.mailboxes, email.keywords, received_at))
    return seed.mailboxes, items


def _raw(email: SeedEmail, where: str, hostname: str) -> bytes:
    if email.raw is not None:
        return email.raw.encode()
    if email.raw_base64 is not None:
        try:
            return base64.b64decode(email.raw_base64, validate=True)
        except ValueError:
            raise SeedError(f"not base64 - at `{where}.rawBase64`") from None
    parts: dict[str, bytes] = {}
    obj: dict = {"subject": email.subject or "", "bodyValues": {}}
    for prop, value in (("from", [email.from_] if email.from_ else []), ("to", email.to), ("cc", email.cc)):
        if value:
            obj[prop] = [{"name": name or None, "email": addr} for name, addr in getaddresses(value)]
    if email.message_id:
        obj["messageId"] = [email.message_id.strip("<>")]
    if email.in_reply_to:
        obj["inReplyTo"] = [email.in_reply_to.strip("<>")]
    for kind in ("text", "html"):
        value = getattr(email, kind)
        if value is not None:
            obj["bodyValues"][kind] = {"value": value}
            obj[f"{kind}Body"] = [{"partId": kind, "type": f"text/{'plain' if kind == 'text' else 'html'}"}]
    if "textBody" not in obj and "htmlBody" not in obj:
        obj["bodyValues"]["text"] = {"value": ""}
        obj["textBody"] = [{"partId": "text", "type": "text/plain"}]
    attachments = []
    for i, att in enumerate(email.attachments):
        data = att.text.encode() if att.text is not None else base64.b64decode(att.base64 or "")
        parts[f"seed-{i}"] = data
        attachments.append({"blobId": f"seed-{i}", "type": att.type, "name": att.name, "disposition": "attachment"})
    if attachments:
        obj["attachments"] = attachments
    try:
        return compose_email(obj, parts.get, hostname=hostname, message_id=clock.current().message_id(hostname))
    except ComposeError as exc:
        raise SeedError(f"{exc.description} - at `{where}`") from None


# -- storing seeds ---------------------------------------------------------------------------------
def parse(items: list[Item]) -> list[ParsedMessage]:
    """What storing needs of each message, worked out once however many accounts get the seed."""
    return [parse_for_import(item.raw, blob_id_for(item.raw)) for item in items]


def load(store: Store, account_id: str, folders: list[str], items: list[Item],
         parsed: list[ParsedMessage] | None = None) -> int:
    """Store a seed in one transaction: all of it or, on any error, nothing."""
    parsed = parse(items) if parsed is None else parsed
    now = clock.now()

    def work(txn: WriteTxn) -> int:
        for folder in folders:
            ensure_mailbox_path(txn, account_id, folder)
        for item, facts in zip(items, parsed):
            mailbox_ids = [ensure_mailbox_path(txn, account_id, m) for m in item.mailboxes]
            when = item.received_at or facts.received_at or now
            store_message(txn, account_id, item.raw, facts, mailbox_ids=mailbox_ids,
                          keywords=check_keywords(item.keywords), received_at=when)
        return len(items)

    return store.write(work)


def export(store: Store, account_id: str) -> dict:
    """The account as a JSON seed: its folders, and every message with its raw bytes, folders,
    keywords and receivedAt. Loading it as a seed into an empty account gives the same account."""
    from store.blobs import read_blob
    from store.records import Mailbox

    from ..mail.records import EmailRecord
    from ..methods.dates import utc_date

    with store.read() as txn:
        boxes = dict(txn.scan(account_id, "Mailbox", Mailbox))

        def path(mailbox_id: str) -> str:
            names, current = [], mailbox_id
            while current is not None and current in boxes:
                names.append(boxes[current].name)
                current = boxes[current].parent_id
            return "/".join(reversed(names))

        emails = []
        for _, record in sorted(txn.scan(account_id, "Email", EmailRecord), key=lambda e: (e[1].received_at, e[0])):
            raw = read_blob(txn, account_id, record.blob_id) or b""
            entry: dict = {"mailboxes": sorted(path(m) for m in record.mailbox_ids), "keywords": record.keywords,
                           "receivedAt": utc_date(record.received_at)}
            try:
                entry["raw"] = raw.decode()
            except UnicodeDecodeError:
                entry["rawBase64"] = base64.b64encode(raw).decode()
            emails.append(entry)
        return {"mailboxes": sorted(path(i) for i in boxes), "emails": emails}


def seed_path_problem(spec: str) -> str | None:
    """Why a seed spec cannot work, checked before anything starts; None if it may."""
    if spec == "demo" or spec.isdigit():
        return None
    return None if os.path.exists(spec) else f"{spec}: no such seed (demo, a number, a .json file, an mbox " \
                                             "or a folder of .eml)"
