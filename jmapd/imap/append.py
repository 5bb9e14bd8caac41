"""APPEND, with MULTIAPPEND (RFC 9051 §6.3.12; RFC 3502; APPENDUID RFC 4315; APPENDLIMIT RFC 7889).

Messages are parsed before the writer is taken and stored by the writer's `store_message`, the
path every arriving message takes; all messages of one command commit together or not at all.
The connection has read each literal whole, within APPENDLIMIT, before this runs: a client that
disconnects mid-literal leaves nothing behind.
"""

from __future__ import annotations

import time
from datetime import datetime

from store.blobs import blob_id_for

from ..mail import uids as uid_index
from ..mail.errors import MailError
from ..mail.parsing import parse_for_import
from ..mail.placement import check_keywords
from ..mail.writer import store_message
from . import names
from .errors import Bad, No
from .flags import keywords_of
from .parser import Parser
from .session import Session


def parse_date_time(text: str) -> int:
    try:
        return int(datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp())
    except ValueError:
        raise Bad(f"bad date-time {text!r}") from None


def append(session: Session, tag: str, p: Parser) -> str:
    p.sp()
    name = names.canonical(names.decode_name(p.astring(), session.utf8))
    messages: list[tuple[bytes, list[str], int]] = []
    while p.maybe_sp():
        flags: list[str] = []
        when = int(time.time())
        if p.peek() == 0x28:
            flags = p.flag_list()
            p.sp()
        if p.peek() == 0x22:
            when = parse_date_time(p.quoted().decode("ascii", "replace"))
            p.sp()
        if p.accept(b"UTF8 ("):
            raw = p.literal()
            p.close_paren()
        else:
            raw = p.literal()
        if len(raw) > session.service.append_limit:
            raise No(f"the message is larger than APPENDLIMIT ({session.service.append_limit})", "TOOBIG")
        messages.append((raw, flags, when))
    p.end()
    if not messages:
        raise Bad("APPEND needs a message")
    with session.server.store.read() as txn:
        try:
            folder = names.find(txn, session.account_id, name)
        except No:
            raise No(f"no mailbox named {name}", "TRYCREATE") from None
    parsed = [(raw, parse_for_import(raw, blob_id_for(raw)), keywords_of(flags), when) for raw, flags, when in messages]
    account_id = session.account_id

    def work(txn):
        uids = []
        stored = {}
        for raw, message, keywords, when in parsed:
            email_id, _ = store_message(txn, account_id, raw, message, mailbox_ids=[folder.id],
                                        keywords=check_keywords(keywords), received_at=when)
            uids.append(uid_index.uid_of(txn, account_id, folder.id, email_id))
            stored[(account_id, email_id)] = message.summary
        hand_over = session.server.mail.hand_over
        if hand_over is not None:  # at the commit, before the indexer is woken by it (no second parse)
            txn.after_commit(lambda: hand_over(stored))
        return uids

    try:
        uids = session.server.store.write(work)
    except MailError as exc:
        raise No(str(exc)) from None
    validity = uid_index.uid_validity(account_id, folder.id)
    return f"[APPENDUID {validity} {','.join(map(str, uids))}] APPEND completed"
