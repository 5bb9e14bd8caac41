"""Storing imported messages: parsed outside the writer, one transaction per batch.

A batch of messages and the resume state it advances commit together, so what was acknowledged to
the importer (and counted in its summary) is exactly what the store holds, whatever kills the
process afterwards. Messages already in the account (the same octets, from this or any earlier
import) are not stored again: a message found in another folder gains that mailbox (how Gmail's
labels arrive), one found in the same folder is skipped as a duplicate.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from store import Store, WriteTxn
from store.blobs import blob_id_for

from ..mail import clock
from ..mail.errors import MailError
from ..mail.parsing import ParsedMessage, parse_for_import
from ..mail.records import EmailRecord
from ..mail.writer import EMAIL, store_message, update_email
from ..mime import EmailSummary
from ..workers.memory import give_back
from ..workers.parsing import ParsePool
from . import ledger
from .ledger import FolderState

#: A batch ends at this many messages or this many bytes, whichever comes first: memory stays
#: bounded by the batch, and one commit covers enough messages to cost little per message.
BATCH_MESSAGES = 500
BATCH_BYTES = 32 << 20


@dataclass
class Incoming:
    """One message read from a source, with where it goes and what it carries."""

    raw: bytes
    mailbox_id: str
    keywords: list[str] = field(default_factory=list)
    received_at: int | None = None
    #: receivedAt when neither the source nor a Received header gives one (a file's time).
    received_fallback: int | None = None
    #: More ledger keys that should find this message again (its IMAP UID, Message-ID and size).
    keys: list[str] = field(default_factory=list)
    #: Only store it if the account lacks it; never add this mailbox to a message held already
    #: (Gmail's All Mail: what another folder holds is not archived).
    only_if_new: bool = False
    blob_id: str = ""

    def __post_init__(self) -> None:
        if not self.blob_id:
            self.blob_id = blob_id_for(self.raw)


@dataclass
class Outcome:
    imported: int = 0
    merged: int = 0
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)
    bytes: int = 0


class Destination:
    """One account of one store, taking batches of imported messages."""

    def __init__(self, store: Store, account_id: str, *, pool: ParsePool | None = None,
                 hand_over: Callable[[dict[tuple[str, str], EmailSummary]], None] | None = None):
        self.store = store
        self.account_id = account_id
        self.pool = pool
        self.hand_over = hand_over

    def state(self, source: str, folder: str) -> FolderState:
        with self.store.read() as txn:
            return ledger.read_state(txn, self.account_id, source, folder)

    def find(self, key: str) -> str | None:
        with self.store.read() as txn:
            return ledger.lookup(txn, self.account_id, key)

    def save_state(self, source: str, folder: str, state: FolderState) -> None:
        self.store.write(lambda txn: ledger.write_state(txn, self.account_id, source, folder, state))

    def store_batch(self, batch: Sequence[Incoming], source: str, folder: str,
                    state: FolderState | None = None) -> Outcome:
        """Store the batch and, in the same transaction, the folder's new resume state."""
        return self.commit(batch, self.prepare(batch), source, folder, state)

    def prepare(self, batch: Sequence[Incoming]) -> dict[str, ParsedMessage]:
        """The expensive half of storing a batch, which needs no write transaction."""
        return self._parse_new(batch)

    def commit(self, batch: Sequence[Incoming], parsed: dict[str, ParsedMessage], source: str, folder: str,
               state: FolderState | None = None) -> Outcome:
        summaries: dict[tuple[str, str], EmailSummary] = {}
        now = clock.now()

        def work(txn: WriteTxn) -> Outcome:
            summaries.clear()
            outcome = Outcome()
            for item in batch:
                self._place(txn, item, parsed, now, outcome, summaries)
            if state is not None:
                ledger.write_state(txn, self.account_id, source, folder, state)
            return outcome

        try:
            outcome = self.store.write(work)
        except MailError:
            outcome = self._one_by_one(batch, parsed, now, source, folder, state, summaries)
        if self.hand_over is not None and summaries:
            self.hand_over(summaries)
        if len(batch) >= 64:
            give_back()
        return outcome

    def _one_by_one(self, batch, parsed, now, source, folder, state, summaries) -> Outcome:
        """A message the mail layer refused spoiled its batch's transaction: store the batch again,
        each message in a savepoint of its own, so only that one is reported as failed."""

        def work(txn: WriteTxn) -> Outcome:
            summaries.clear()
            outcome = Outcome()
            for item in batch:
                try:
                    with txn.savepoint():
                        self._place(txn, item, parsed, now, outcome, summaries)
                except MailError as exc:
                    outcome.failed.append(str(exc))
            if state is not None:
                ledger.write_state(txn, self.account_id, source, folder, state)
            return outcome

        return self.store.write(work)

    def _parse_new(self, batch: Sequence[Incoming]) -> dict[str, ParsedMessage]:
        """Parse the messages the account does not hold yet (duplicates cost no parsing)."""
        with self.store.read() as txn:
            todo = {item.blob_id: item.raw for item in batch
                    if ledger.lookup(txn, self.account_id, ledger.content_key(item.blob_id)) is None}
        items = [(raw, blob_id) for blob_id, raw in todo.items()]
        results = self.pool.parse_many(items) if self.pool is not None else [parse_for_import(*i) for i in items]
        return dict(zip(todo, results))

    def _place(self, txn: WriteTxn, item: Incoming, parsed: dict[str, ParsedMessage], now: int,
               outcome: Outcome, summaries: dict) -> None:
        account_id = self.account_id
        content = ledger.content_key(item.blob_id)
        existing = ledger.lookup(txn, account_id, content)
        if existing is not None:
            record = txn.get(account_id, EMAIL, existing, EmailRecord)
            if item.mailbox_id in record.mailbox_ids or item.only_if_new:
                outcome.duplicates += 1
            else:
                update_email(txn, account_id, existing, record,
                             mailbox_ids=[*record.mailbox_ids, item.mailbox_id],
                             keywords=sorted(set(record.keywords) | set(item.keywords)))
                outcome.merged += 1
            for key in item.keys:
                ledger.remember(txn, account_id, key, existing)
            return
        facts = parsed.get(item.blob_id)
        if facts is None:  # deleted since the batch was parsed; rare enough to parse here
            facts = parsed[item.blob_id] = parse_for_import(item.raw, item.blob_id)
        received_at = next((t for t in (item.received_at, facts.received_at, item.received_fallback)
                            if t is not None), now)
        email_id, _ = store_message(txn, account_id, item.raw, facts, mailbox_ids=[item.mailbox_id],
                                    keywords=item.keywords, received_at=received_at, blob_id=item.blob_id)
        for key in (content, *item.keys):
            ledger.remember(txn, account_id, key, email_id)
        summaries[(account_id, email_id)] = facts.summary
        outcome.imported += 1
        outcome.bytes += len(item.raw)

    def set_keywords(self, changes: Sequence[tuple[str, list[str]]], source: str, folder: str,
                     state: FolderState) -> int:
        """Give the Emails behind these ledger keys their source's current flags; with the state
        that says how far the source's changes were read. Returns how many Emails changed."""

        def work(txn: WriteTxn) -> int:
            changed = 0
            for key, keywords in changes:
                email_id = ledger.lookup(txn, self.account_id, key)
                if email_id is None:
                    continue
                record = txn.get(self.account_id, EMAIL, email_id, EmailRecord)
                if sorted(set(keywords)) != record.keywords:
                    update_email(txn, self.account_id, email_id, record, keywords=keywords)
                    changed += 1
            ledger.write_state(txn, self.account_id, source, folder, state)
            return changed

        return self.store.write(work)

    def remember_keys(self, pairs: Sequence[tuple[str, str]], source: str, folder: str,
                      state: FolderState) -> None:
        """Point more ledger keys at Emails already held (a folder's new UIDs after UIDVALIDITY changed)."""

        def work(txn: WriteTxn) -> None:
            for key, email_id in pairs:
                ledger.remember(txn, self.account_id, key, email_id)
            ledger.write_state(txn, self.account_id, source, folder, state)

        self.store.write(work)


class Batches:
    """Collects one folder's messages and stores them a batch at a time, each with the resume state
    reached after its last message; `report` is told each batch's outcome.

    A pipeline of three: while the caller reads batch N+2 from its source, batch N+1 is parsed
    and batch N committed, each in a thread of its own (parsing waits on worker processes, commits
    on the disk). Commits keep their order, and one whose predecessor failed does not run, so the
    resume state never passes a batch that was not stored. At most PIPELINE batches are in flight.
    Call finish() at the end of the folder: it waits for them and raises what failed.
    """

    PIPELINE = 2

    def __init__(self, destination: Destination, source: str, folder: str,
                 report: Callable[[Outcome], None] = lambda outcome: None):
        self.destination = destination
        self.source = source
        self.folder = folder
        self.report = report
        self._items: list[Incoming] = []
        self._bytes = 0
        self._state: FolderState | None = None
        self._parser = ThreadPoolExecutor(1, thread_name_prefix="jmapd-import-parse")
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="jmapd-import-commit")
        self._in_flight: deque[Future] = deque()

    def add(self, item: Incoming, state_after: FolderState | None = None) -> None:
        self._items.append(item)
        self._bytes += len(item.raw)
        self._state = state_after
        if len(self._items) >= BATCH_MESSAGES or self._bytes >= BATCH_BYTES:
            self.flush()

    def advance(self, state_after: FolderState) -> None:
        """The source moved on without a message to store (one skipped or failed): remembered with
        the next batch, or on its own at flush()."""
        self._state = state_after

    def flush(self) -> None:
        """Hand what was collected to the pipeline."""
        if not self._items and self._state is None:
            return
        items, state = self._items, self._state
        self._items, self._bytes, self._state = [], 0, None
        destination, previous = self.destination, self._in_flight[-1] if self._in_flight else None
        parsed = self._parser.submit(destination.prepare, items) if items else None

        def commit() -> Outcome | None:
            if previous is not None:
                previous.result()  # raises when an earlier batch failed: this one must not land
            if not items:
                destination.save_state(self.source, self.folder, state)
                return None
            outcome = destination.commit(items, parsed.result(), self.source, self.folder, state)
            self.report(outcome)
            return outcome

        self._in_flight.append(self._committer.submit(commit))
        while len(self._in_flight) > self.PIPELINE:
            self._in_flight.popleft().result()

    def finish(self) -> None:
        """Store what is left and wait for every batch; raises the first failure."""
        try:
            self.flush()
            while self._in_flight:
                self._in_flight.popleft().result()
        finally:
            self._in_flight.clear()
            self._parser.shutdown(wait=True)
            self._committer.shutdown(wait=True)
