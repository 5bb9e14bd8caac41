"""Email/query (RFC 8621 §4.4): filters, sorts, thread collapsing and the result window.

The common request, one mailbox newest first (with or without collapseThreads), reads the mailbox's
receivedAt index in order and stops as soon as the page is full; its total comes from the mailbox's
counts. Cost grows with the page, not with the mailbox. Any other sort or filter materialises the
candidates of the narrowest index (one mailbox when the filter requires one) and sorts them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec

from store import ReadTxn

from ...mail.counts import read_counts
from ...mail.received_index import ALL_MAILBOXES, index_entries
from ...mail.records import EmailRecord
from ...mail.writer import account_totals
from ...protocol.budget import check_budget
from ...protocol.capabilities import MAIL
from ...protocol.errors import MethodError
from ..args import QueryArgs, QueryChangesArgs, parse
from ..context import Context
from ..filtering import build_filter, check_collation, check_filter, distinct_comparators, sort_rows
from ..standard.query import MAX_QUERY_LIMIT, window
from .conditions import TEXT_CONDITIONS, ThreadKeywords, compile_condition
from .sorting import sort_key

# RFC 8620 §1.2: an Id is 1-255 characters of the URL and filename safe base64 alphabet.
_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")


class EmailQueryArgs(QueryArgs):
    collapseThreads: bool = False


class EmailQueryChangesArgs(QueryChangesArgs):
    collapseThreads: bool = False


class _NoSearch:
    def matching_ids(self, txn, account_id, field, text):
        raise MethodError("unsupportedFilter", "full-text search is not available on this server")


def required_mailbox(node: Any) -> str | None:
    """A mailbox every match must be in: the filter's own inMailbox, or one under a top-level AND."""
    if not isinstance(node, dict):
        return None
    if "operator" not in node:
        value = node.get("inMailbox")
        return value if isinstance(value, str) else None
    if node.get("operator") == "AND" and isinstance(node.get("conditions"), list):
        for child in node["conditions"]:
            found = required_mailbox(child)
            if found is not None:
                return found
    return None


class _CachedSearch:
    """Each (field, text) is searched once per query, whoever asks: the filter or the planner."""

    def __init__(self, search):
        self.search = search
        self.results: dict[tuple[str, str], set[str]] = {}

    def matching_ids(self, txn, account_id, field, text):
        key = (field, text)
        if key not in self.results:
            self.results[key] = self.search.matching_ids(txn, account_id, field, text)
        return self.results[key]


def required_text(node: Any) -> list[tuple[str, str]]:
    """Text conditions every match must satisfy: the filter's own, or those under a top-level AND."""
    if not isinstance(node, dict):
        return []
    if "operator" not in node:
        return [(k, v) for k, v in node.items() if k in TEXT_CONDITIONS and isinstance(v, str)]
    if node.get("operator") == "AND" and isinstance(node.get("conditions"), list):
        return [found for child in node["conditions"] for found in required_text(child)]
    return []


def _only_text(node: Any) -> bool:
    """Whether a filter is text conditions only (one condition, or an AND of such)."""
    if not isinstance(node, dict):
        return False
    if "operator" not in node:
        return bool(node) and all(k in TEXT_CONDITIONS and isinstance(v, str) for k, v in node.items())
    return node.get("operator") == "AND" and bool(node.get("conditions")) and all(
        _only_text(c) for c in node["conditions"])


class _LazyRecord:
    """The Email record, decoded only if a condition looks at it (text conditions need only the id)."""

    __slots__ = ("_load", "_record")

    def __init__(self, load):
        self._load = load
        self._record = None

    def __getattr__(self, name):
        if self._record is None:
            self._record = self._load()
        return getattr(self._record, name)


# Start from the text matches instead of the index when they are this small a share of it.
SEED_RATIO = 20


class EmailQuery:
    def __init__(self, ctx: Context, txn: ReadTxn, account_id: str, args: EmailQueryArgs | EmailQueryChangesArgs):
        self.txn = txn
        self.account_id = account_id
        self.collapse = args.collapseThreads
        self.threads = ThreadKeywords(txn, account_id)
        search = _CachedSearch(ctx.server.extras.get("search") or _NoSearch())
        self.predicate = None
        # A filter that is only {"inMailbox": X} is exactly what the mailbox's index holds.
        if args.filter is not None and not (set(args.filter) == {"inMailbox"} and isinstance(
                args.filter["inMailbox"], str)):
            self.predicate = build_filter(args.filter, lambda c: compile_condition(
                c, ctx=ctx, txn=txn, account_id=account_id, search=search, threads=self.threads))
        mailbox = required_mailbox(args.filter)
        # Candidates every match is among, when text conditions narrow the query down.
        self.seeds: set[str] | None = None
        for field, text in required_text(args.filter):
            found = search.matching_ids(txn, account_id, field, text)
            self.seeds = found if self.seeds is None else self.seeds & found
        # A filter of text conditions alone is exactly "among the seeds": no record needs reading.
        if self.seeds is not None and _only_text(args.filter):
            self.predicate = None
        if mailbox is not None:
            mailbox = ctx.resolve_id(mailbox) or mailbox
        # None: an id no Mailbox can have (RFC 8620 §1.2), so nothing matches. It must never reach the
        # index as "", the key of its every-mailbox list.
        self.mailbox: str | None = ALL_MAILBOXES if mailbox is None else mailbox if _ID.fullmatch(mailbox) else None
        sort = distinct_comparators(args.sort)
        for comparator in sort:
            check_collation(comparator, ctx.server.core_limits.collation_algorithms)
        self.keys = [(sort_key(c, self.threads), c.isAscending) for c in sort]
        # One receivedAt comparator (or none: newest first) is the index's own order.
        self.index_order = len(sort) == 0 or (len(sort) == 1 and sort[0].property == "receivedAt")
        self.descending = not (len(sort) == 1 and sort[0].isAscending)

    def _load(self, email_id: str) -> EmailRecord | None:
        return self.txn.get(self.account_id, "Email", email_id, EmailRecord)

    def _entries(self, descending: bool) -> Iterator[tuple[bytes, bytes]]:
        if self.mailbox is None:
            return iter(())
        return index_entries(self.txn, self.account_id, self.mailbox, descending)

    def _in_index_order(self) -> Iterator[str]:
        seen_threads: set[bytes] = set()
        seeds = self.seeds
        for raw_id, thread_id in self._entries(self.descending):
            check_budget()
            if self.collapse and thread_id in seen_threads:
                continue
            email_id = raw_id.decode()
            if seeds is not None and email_id not in seeds:
                continue
            if self.predicate is not None:
                record = _LazyRecord(lambda e=email_id: self._load(e))
                if not self.predicate(email_id, record):
                    continue
            if self.collapse:
                seen_threads.add(thread_id)
            yield email_id

    def _seeded(self) -> bool:
        """Whether to start from the text matches: a rare word must not cost a walk of the mailbox."""
        if self.seeds is None or self.mailbox is None:
            return False
        if self.mailbox == ALL_MAILBOXES:
            size = account_totals(self.txn, self.account_id)[0]
        else:
            size = read_counts(self.txn, self.account_id, self.mailbox)["totalEmails"]
        return len(self.seeds) * SEED_RATIO < size

    def _candidates(self) -> Iterator[tuple[str, EmailRecord]]:
        if self._seeded():
            for email_id in self.seeds:
                check_budget()
                record = self._load(email_id)
                if record is not None and (self.mailbox == ALL_MAILBOXES or self.mailbox in record.mailbox_ids):
                    yield email_id, record
            return
        for raw_id, _ in self._entries(True):
            check_budget()
            email_id = raw_id.decode()
            if self.seeds is not None and email_id not in self.seeds:
                continue
            record = self._load(email_id)
            if record is not None:
                yield email_id, record

    def all_ids(self) -> list[str]:
        if self.index_order and not self._seeded():
            return list(self._in_index_order())
        rows = [(i, r) for i, r in self._candidates() if self.predicate is None or self.predicate(i, r)]
        # The index's own order (receivedAt, then id; newest first unless sorted otherwise) breaks ties.
        rows.sort(key=lambda row: (row[1].received_at, row[0]), reverse=self.descending or not self.index_order)
        sort_rows(rows, self.keys if not self.index_order else [])
        if self.collapse:
            seen: set[str] = set()
            rows = [row for row in rows if not (row[1].thread_id in seen or seen.add(row[1].thread_id))]
        return [email_id for email_id, _ in rows]

    def _fast_total(self) -> int | None:
        """The count the mailbox (or account) already keeps, when the filter adds nothing to the index;
        or the number of text matches, when they are the whole filter over the whole account."""
        if self.predicate is not None:
            return None
        if self.mailbox is None:
            return 0
        if self.seeds is not None:
            return len(self.seeds) if self.mailbox == ALL_MAILBOXES and not self.collapse else None
        if self.mailbox == ALL_MAILBOXES:
            emails, threads = account_totals(self.txn, self.account_id)
        else:
            counts = read_counts(self.txn, self.account_id, self.mailbox)
            emails, threads = counts["totalEmails"], counts["totalThreads"]
        return threads if self.collapse else emails

    def _walk_index(self, start: int, end: int, must_count: bool) -> tuple[list[str], int, bool]:
        """(page, emails counted, whether more follow) when the index alone answers: the mailbox view
        every client opens with, so it decodes nothing but the ids of the page."""
        page: list[str] = []
        count = 0
        seen_threads: set[bytes] = set()
        collapse = self.collapse
        for raw_id, thread_id in self._entries(self.descending):
            if collapse:
                if thread_id in seen_threads:
                    continue
                seen_threads.add(thread_id)
            if count >= end:
                if not must_count:
                    return page, count, True
            elif count >= start:
                page.append(raw_id.decode())
            count += 1
        return page, count, count > end

    def page(self, args: EmailQueryArgs) -> tuple[int, list[str], int | None, int | None]:
        """(position, ids, total or None, limit to report or None) reading no further than needed."""
        if not self.index_order or args.anchor is not None or args.position < 0 or self._seeded():
            ids = self.all_ids()
            position, page, reported = window(ids, args)
            return position, page, len(ids), reported
        limit = MAX_QUERY_LIMIT if args.limit is None else min(args.limit, MAX_QUERY_LIMIT)
        fast_total = self._fast_total() if args.calculateTotal else None
        must_count = args.calculateTotal and fast_total is None
        start, end = args.position, args.position + limit
        if self.predicate is None and self.seeds is None:
            page, count, more = self._walk_index(start, end, must_count)
        else:
            page, count, more = [], 0, False
            for email_id in self._in_index_order():
                if count >= end:
                    more = True
                    if not must_count:
                        break
                elif count >= start:
                    page.append(email_id)
                count += 1
        total = fast_total if fast_total is not None else (count if must_count else None)
        reported = MAX_QUERY_LIMIT if more and (args.limit is None or args.limit > MAX_QUERY_LIMIT) else None
        return start, page, total, reported


def keepable(args: EmailQueryArgs) -> bool:
    """Whether an answer depends on nothing but the account's emails at one state: not on the text
    index (which catches up on its own time), nor on ids created earlier in the same request."""

    def plain(node: Any) -> bool:
        if not isinstance(node, dict):
            return True
        if "operator" in node:
            return all(plain(child) for child in node.get("conditions") or [])
        for name, value in node.items():
            if name in TEXT_CONDITIONS or (isinstance(value, str) and value.startswith("#")):
                return False
        return True

    return plain(args.filter)


def email_query(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, EmailQueryArgs)
    account_id = ctx.account(args.accountId, MAIL)
    check_filter(args.filter)  # before anything walks it
    kept = ctx.server.query_results
    key = msgspec.json.encode(args) if keepable(args) else None
    with ctx.store.read() as txn:
        state = txn.state(account_id, "Email")
        answer = None if key is None else kept.get(account_id, state, key)
        if answer is None:
            answer = EmailQuery(ctx, txn, account_id, args).page(args)
            if key is not None:
                kept.put(account_id, state, key, answer)
    position, ids, total, reported = answer
    response: dict[str, Any] = {"accountId": account_id, "queryState": str(state), "canCalculateChanges": True,
                                "position": position, "ids": list(ids)}
    if args.calculateTotal:
        response["total"] = total
    if reported is not None:
        response["limit"] = reported
    return response
