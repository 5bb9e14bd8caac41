"""The draft dialect's methods, its engine, and what the Session says about it.

The RFC 8620 engine runs the calls: it answers each under the name the draft gives its response
(`Named`), runs the implicit calls a method asks for (fetchMessages, fetchRecords, ...) right after
it under the same client id, and turns errors into ["error", {"type": ...}, clientId]. The draft has
no `using`: every request is treated as using the core and this dialect's capability.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ..mail.accounts import ensure_mailbox
from ..mail.mailboxes import OUTBOX
from ..methods.context import Context
from ..methods.cost import email_query_may_block, few_named_ids, get_may_block
from ..methods.services import Principal, Server
from ..protocol.capabilities import CORE
from ..protocol.engine import Engine, Registry, RequestRun
from ..protocol.wire import Request
from . import (
    identities,
    import_copy,
    mailboxes,
    message_list,
    messages,
    report,
    set_messages,
    snippets,
    threads,
    vacation,
)
from .filters import SORT_OPTIONS
from .wire import Calls

#: The Session capability naming this dialect; jmapd's own (RFC 8620 §2 allows vendor capabilities).
DRAFT = "urn:jmapd:draft-jenkins-jmapmail-00"
DRAFT_PATH = "/jmap/draft/"


def _message_list_may_block(raw: dict[str, Any]) -> bool:
    """On the event loop only what Email/query and Email/get would answer there (methods/cost.py),
    implicit fetches included: they run within the call."""
    args = msgspec.convert(raw, message_list.GetMessageListArgs)
    if args.fetchThreads or args.fetchSearchSnippets:
        return True
    query = message_list.rfc_query(args)
    if email_query_may_block(query):
        return True
    return bool(args.fetchMessages) and _messages_may_block({"ids": [""] * query["limit"],
                                                             "properties": args.fetchMessageProperties})


def _messages_may_block(raw: dict[str, Any]) -> bool:
    """A few named messages with list-view properties (no parsing) stay on the event loop."""
    properties = raw.get("properties")
    return not (few_named_ids(raw) and isinstance(properties, list) and messages.plan_for(properties).listed)


def build_draft_registry() -> Registry:
    registry = Registry()
    add = registry.add
    # Where each call runs follows jmapd.methods.cost: reads of bounded cost on the event loop;
    # writes, change logs, searches, parsing and anything an account's size decides in a thread.
    add("getMailboxes", DRAFT, mailboxes.get_mailboxes, blocking=get_may_block)
    add("getMailboxUpdates", DRAFT, mailboxes.get_mailbox_updates, blocking=True)
    add("setMailboxes", DRAFT, mailboxes.set_mailboxes, blocking=True)
    add("getMessageList", DRAFT, message_list.get_message_list, blocking=_message_list_may_block)
    add("getMessageListUpdates", DRAFT, message_list.get_message_list_updates, blocking=True)
    add("getThreads", DRAFT, threads.get_threads, blocking=True)
    add("getThreadUpdates", DRAFT, threads.get_thread_updates, blocking=True)
    add("getMessages", DRAFT, messages.get_messages, blocking=_messages_may_block)
    add("getMessageUpdates", DRAFT, messages.get_message_updates, blocking=True)
    add("setMessages", DRAFT, set_messages.set_messages, blocking=True)
    add("importMessages", DRAFT, import_copy.import_messages, blocking=True)
    add("copyMessages", DRAFT, import_copy.copy_messages, blocking=True)
    add("reportMessages", DRAFT, report.report_messages, blocking=True)
    add("getSearchSnippets", DRAFT, snippets.get_search_snippets, blocking=True)
    add("getIdentities", DRAFT, identities.get_identities, blocking=True)
    add("getIdentityUpdates", DRAFT, identities.get_identity_updates, blocking=True)
    add("setIdentities", DRAFT, identities.set_identities, blocking=True)
    add("getVacationResponse", DRAFT, vacation.get_vacation_response, blocking=True)
    add("setVacationResponse", DRAFT, vacation.set_vacation_response, blocking=True)
    return registry


def capability(server: Server, api_url: str) -> dict[str, Any]:
    """The value of the dialect's capability: where to send requests, and the draft's §1.3 facts."""
    return {
        "apiUrl": api_url,
        "maxSizeMessageAttachments": server.mail_limits.max_size_attachments_per_email,
        # Sending through the Outbox, with its delays, works when the server sends mail at all.
        "canDelaySend": "submission" in server.extras,
        "messageListSortOptions": list(SORT_OPTIONS),
    }


class Dialect:
    def __init__(self, max_calls: int):
        self.engine = Engine(build_draft_registry(), [CORE, DRAFT], max_calls=max_calls, call_class=Context)
        # Accounts known to have an Outbox, so that a request does not look for it every time.
        self._with_outbox: set[str] = set()

    def start(self, calls: Calls, principal: Principal) -> RequestRun:
        """The calls checked (RequestError if they cannot run at all), not yet run."""
        return self.engine.start(Request(using=[CORE, DRAFT], methodCalls=calls), principal)

    def run(self, calls: Calls, principal: Principal) -> list[list[Any]]:
        """Every call, here and now: the responses."""
        return self.start(calls, principal).finish()["methodResponses"]

    def needs_outbox(self, account_id: str) -> bool:
        return account_id not in self._with_outbox

    def ensure_outbox(self, server: Server, account_id: str) -> None:
        """Accounts made before the Outbox was a default mailbox get one on first use (blocking)."""
        ensure_mailbox(server.store, account_id, "Outbox", OUTBOX)
        self._with_outbox.add(account_id)
