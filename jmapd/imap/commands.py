"""Which command runs which handler, in which states (RFC 9051 §3, §6), and whether it may block.

A command that may block (a write waits for the disk, a search or a large FETCH computes for as
long as the mailbox is large) runs in a worker thread, and the catch-up with other clients'
changes after it too, in the same hop. One of bounded cost runs on the event loop, as JMAP's
cheap calls do (jmapd.methods.cost): a FETCH of a few messages' records and header fields, a
NOOP, and the commands that talk back and forth with the client (LOGIN's password check,
AUTHENTICATE, STARTTLS, IDLE). A predicate decides from the command's arguments; it may see any
input a client sends, and whatever it raises counts as "may block".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from . import (
    acl_quota,
    append,
    auth,
    basics,
    copy_move,
    fetch,
    idle,
    mailbox_commands,
    search,
    sort_thread,
    store_command,
)
from .errors import No
from .parser import Parser
from .session import Session

ANY = frozenset({"notauth", "auth", "selected"})
NOTAUTH = frozenset({"notauth"})
AUTH = frozenset({"auth", "selected"})
SELECTED = frozenset({"selected"})


@dataclass(frozen=True)
class Command:
    handler: Callable
    states: frozenset[str]
    # Whether it may block or take more than a moment: a bool, or a predicate of the session and
    # the command's arguments (the parser after the command's name, left where it was).
    blocking: Union[bool, Callable[[Session, Parser], bool]] = True
    # Expunges may be reported after it (RFC 9051 §7.5.1: not after FETCH, STORE, SEARCH).
    expunge_after: bool = True

    def may_block(self, session: Session, p: Parser) -> bool:
        if isinstance(self.blocking, bool):
            return self.blocking
        pos = p.pos
        try:
            return bool(self.blocking(session, p))
        except Exception:
            return True
        finally:
            p.pos = pos


def refused(reason: str, code: str = "CANNOT") -> Callable:
    def handler(session, tag, p):
        raise No(reason, code)
    return handler


COMMANDS: dict[str, Command] = {
    "CAPABILITY": Command(basics.capability, ANY, blocking=False),
    "NOOP": Command(basics.noop, ANY, blocking=False),
    "LOGOUT": Command(basics.logout, ANY, blocking=False),
    "ID": Command(basics.id_, ANY, blocking=False),
    "LOGIN": Command(auth.login, NOTAUTH, blocking=False),
    "AUTHENTICATE": Command(auth.authenticate, NOTAUTH, blocking=False),
    "STARTTLS": Command(auth.starttls, NOTAUTH, blocking=False),
    "ENABLE": Command(basics.enable, frozenset({"auth"}), blocking=False),  # RFC 9051 §6.3.1
    "NAMESPACE": Command(basics.namespace, AUTH, blocking=False),
    "SELECT": Command(mailbox_commands.select, AUTH),
    "EXAMINE": Command(mailbox_commands.examine, AUTH),
    "CREATE": Command(mailbox_commands.create, AUTH),
    "DELETE": Command(mailbox_commands.delete, AUTH),
    "RENAME": Command(mailbox_commands.rename, AUTH),
    "SUBSCRIBE": Command(mailbox_commands.subscribe, AUTH),
    "UNSUBSCRIBE": Command(mailbox_commands.unsubscribe, AUTH),
    "LIST": Command(mailbox_commands.list_, AUTH),
    "LSUB": Command(mailbox_commands.lsub, AUTH),
    "STATUS": Command(mailbox_commands.status, AUTH),
    "APPEND": Command(append.append, AUTH),
    "IDLE": Command(idle.idle, AUTH, blocking=False),
    "MYRIGHTS": Command(acl_quota.myrights, AUTH),
    "GETACL": Command(acl_quota.getacl, AUTH),
    "LISTRIGHTS": Command(acl_quota.listrights, AUTH),
    "SETACL": Command(acl_quota.setacl, AUTH),
    "DELETEACL": Command(acl_quota.setacl, AUTH),
    "GETQUOTAROOT": Command(acl_quota.getquotaroot, AUTH),
    "GETQUOTA": Command(acl_quota.getquota, AUTH),
    "SETQUOTA": Command(acl_quota.setquota, AUTH),
    "CHECK": Command(basics.check, SELECTED, blocking=False),
    "CLOSE": Command(copy_move.close, SELECTED),
    "UNSELECT": Command(copy_move.unselect, SELECTED),
    "EXPUNGE": Command(copy_move.expunge, SELECTED),
    "SEARCH": Command(search.search, SELECTED, expunge_after=False),
    "FETCH": Command(fetch.fetch, SELECTED, blocking=fetch.fetch_may_block, expunge_after=False),
    "STORE": Command(store_command.store, SELECTED, expunge_after=False),
    "COPY": Command(copy_move.copy, SELECTED),
    "MOVE": Command(copy_move.move, SELECTED),
    "SORT": Command(sort_thread.sort, SELECTED, expunge_after=False),
    "THREAD": Command(sort_thread.thread, SELECTED, expunge_after=False),
    # Deliberately not supported; each says why rather than "unknown command".
    "PROXYAUTH": Command(refused("PROXYAUTH is not supported: log in as the user (shared accounts are "
                                 "managed with `jmapd user share`)"), AUTH),
    "GETANNOTATION": Command(refused("ANNOTATE is not supported"), AUTH),
    "SETANNOTATION": Command(refused("ANNOTATE is not supported"), AUTH),
    "GETMETADATA": Command(refused("METADATA is not supported"), AUTH),
    "SETMETADATA": Command(refused("METADATA is not supported"), AUTH),
    "PARTIAL": Command(refused("PARTIAL is obsolete (RFC 2060); use FETCH BODY[]<start.length>"), SELECTED),
}

UID_COMMANDS: dict[str, Command] = {
    "FETCH": Command(fetch.uid_fetch, SELECTED, blocking=fetch.uid_fetch_may_block),
    "STORE": Command(store_command.uid_store, SELECTED),
    "COPY": Command(copy_move.uid_copy, SELECTED),
    "MOVE": Command(copy_move.uid_move, SELECTED),
    "SEARCH": Command(search.uid_search, SELECTED),
    "EXPUNGE": Command(copy_move.uid_expunge, SELECTED),
    "SORT": Command(sort_thread.uid_sort, SELECTED),
    "THREAD": Command(sort_thread.uid_thread, SELECTED),
}
