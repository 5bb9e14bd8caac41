"""Email FilterConditions (RFC 8621 §4.4.1) compiled to predicates over stored records.

Everything but the text conditions and `header` is decided from the Email record (metadata and the
MIME summary). Text conditions ask the full-text search for the matching ids once per query.
`header` needs the raw header fields, so it reads each message's header section: the only
condition that reads messages.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from store import ReadTxn

from ...mail.keywords import valid_keyword
from ...mail.messages import stored_header
from ...mail.records import EmailRecord, ThreadRecord
from ...protocol.budget import check_budget
from ...protocol.errors import MethodError, invalid_arguments
from ..dates import parse_utc_date
from ..filtering import Predicate

_FRACTION = re.compile(r"\.(\d+)[Zz]$")
TEXT_CONDITIONS = ("text", "from", "to", "cc", "bcc", "subject", "body")
THREAD_CONDITIONS = ("allInThreadHaveKeyword", "someInThreadHaveKeyword", "noneInThreadHaveKeyword")
KNOWN_CONDITIONS = frozenset(("inMailbox", "inMailboxOtherThan", "before", "after", "minSize", "maxSize",
                              "hasKeyword", "notKeyword", "hasAttachment", "header", *TEXT_CONDITIONS,
                              *THREAD_CONDITIONS))


class TextSearch(Protocol):
    """What the full-text index offers to queries."""

    def matching_ids(self, txn: ReadTxn, account_id: str, field: str, text: str) -> set[str]: ...


class ThreadKeywords:
    """Which keywords the emails of a thread carry, looked up once per thread per query."""

    def __init__(self, txn: ReadTxn, account_id: str):
        self.txn = txn
        self.account_id = account_id
        self._cache: dict[str, list[set[str]]] = {}

    def keyword_sets(self, thread_id: str) -> list[set[str]]:
        if thread_id not in self._cache:
            thread = self.txn.get(self.account_id, "Thread", thread_id, ThreadRecord)
            sets = []
            for _, email_id in thread.emails if thread else []:
                record = self.txn.get(self.account_id, "Email", email_id, EmailRecord)
                if record is not None:
                    sets.append(set(record.keywords))
            self._cache[thread_id] = sets
        return self._cache[thread_id]

    def all_have(self, thread_id: str, keyword: str) -> bool:
        sets = self.keyword_sets(thread_id)
        return bool(sets) and all(keyword in s for s in sets)

    def some_have(self, thread_id: str, keyword: str) -> bool:
        return any(keyword in s for s in self.keyword_sets(thread_id))


def _keyword(value: Any, prop: str) -> str:
    if not valid_keyword(value):
        raise invalid_arguments(f"{prop} must be a keyword")
    return value.lower()


def _unsigned(value: Any, prop: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 2**53 - 1:
        raise invalid_arguments(f"{prop} must be an UnsignedInt")
    return value


def _whole_seconds_bound(value: Any) -> int | None:
    """A UTCDate as the bound that compares the same against whole-second receivedAt values:
    with a non-zero fraction f (RFC 8620 §1.4 time-secfrac), receivedAt < d.f holds exactly when
    receivedAt < d + 1, and receivedAt >= d.f exactly when receivedAt >= d + 1."""
    seconds = parse_utc_date(value)
    if seconds is None:
        return None
    fraction = _FRACTION.search(value)
    return seconds + 1 if fraction and fraction.group(1).strip("0") else seconds


def compile_condition(condition: dict[str, Any], *, ctx, txn: ReadTxn, account_id: str,
                      search: TextSearch, threads: ThreadKeywords) -> Predicate:
    tests: list[Predicate] = []
    for prop, value in condition.items():
        if prop == "inMailbox":
            if not isinstance(value, str):
                raise invalid_arguments("inMailbox must be a Mailbox id")
            mailbox = ctx.resolve_id(value)
            tests.append(lambda i, r, m=mailbox: m in r.mailbox_ids)
        elif prop == "inMailboxOtherThan":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise invalid_arguments("inMailboxOtherThan must be a list of Mailbox ids")
            excluded = {ctx.resolve_id(v) for v in value}
            tests.append(lambda i, r, x=excluded: any(m not in x for m in r.mailbox_ids))
        elif prop in ("before", "after"):
            moment = _whole_seconds_bound(value)
            if moment is None:
                raise invalid_arguments(f"{prop} must be a UTCDate")
            if prop == "before":
                tests.append(lambda i, r, t=moment: r.received_at < t)
            else:
                tests.append(lambda i, r, t=moment: r.received_at >= t)
        elif prop == "minSize":
            tests.append(lambda i, r, n=_unsigned(value, prop): r.size >= n)
        elif prop == "maxSize":
            tests.append(lambda i, r, n=_unsigned(value, prop): r.size < n)
        elif prop == "hasKeyword":
            tests.append(lambda i, r, k=_keyword(value, prop): k in r.keywords)
        elif prop == "notKeyword":
            tests.append(lambda i, r, k=_keyword(value, prop): k not in r.keywords)
        elif prop == "allInThreadHaveKeyword":
            tests.append(lambda i, r, k=_keyword(value, prop): threads.all_have(r.thread_id, k))
        elif prop == "someInThreadHaveKeyword":
            tests.append(lambda i, r, k=_keyword(value, prop): threads.some_have(r.thread_id, k))
        elif prop == "noneInThreadHaveKeyword":
            tests.append(lambda i, r, k=_keyword(value, prop): not threads.some_have(r.thread_id, k))
        elif prop == "hasAttachment":
            if not isinstance(value, bool):
                raise invalid_arguments("hasAttachment must be a boolean")
            tests.append(lambda i, r, v=value: r.summary.has_attachment == v)
        elif prop in TEXT_CONDITIONS:
            if not isinstance(value, str):
                raise invalid_arguments(f"{prop} must be a string")
            ids = search.matching_ids(txn, account_id, prop, value)
            tests.append(lambda i, r, s=ids: i in s)
        elif prop == "header":
            tests.append(_header_test(value, txn, account_id))
        else:
            raise MethodError("unsupportedFilter", f"Email/query has no filter condition {prop!r}")
    if len(tests) == 1:
        return tests[0]
    return lambda i, r: all(t(i, r) for t in tests)


def _header_test(value: Any, txn: ReadTxn, account_id: str) -> Predicate:
    if (not isinstance(value, list) or not 1 <= len(value) <= 2 or not all(isinstance(v, str) for v in value)
            or not value[0]):
        raise invalid_arguments("header must be [name] or [name, text]")
    name = value[0]
    needle = value[1].casefold() if len(value) == 2 else None

    def test(email_id: str, record: EmailRecord) -> bool:
        check_budget()  # a read of the message's header section per message
        texts = stored_header(txn, account_id, record.blob_id, name, "Text", email_id)
        if needle is None:
            return bool(texts)
        return any(needle in t.casefold() for t in texts)

    return test
