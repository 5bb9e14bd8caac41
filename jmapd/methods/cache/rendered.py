"""/get answers kept encoded between requests, exact by the change log of their type.

A mailbox view asks for the same few properties of the same fifty emails on every refresh, and
turning records into JSON (decode, dates, dicts, encode) was most of what it cost. An entry is one
record's JSON for one property list, rendered once and answered as is (msgspec.Raw) until the record
changes.

The change log keeps entries exact. The entries of an account are held at one state, the newest a
reader has brought them to: before use, every record changed since then is dropped, whoever changed
it, in whichever process. Only a reader at exactly the held state uses or adds entries, and it checks
after reading that the state did not move meanwhile (a reader at a newer state may have added newer
renderings); a reader behind renders for itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import msgspec

from store import ReadTxn

# Entries kept across all accounts, and their JSON's bytes; past either, everything is dropped and
# rebuilt as asked for. Bytes bound it too: one Email's subject or address list may be megabytes.
MAX_ENTRIES = 20_000
MAX_BYTES = 16 * 1024 * 1024
# An entry larger than this is answered but not kept.
MAX_ENTRY_BYTES = 64 * 1024
# More changes than this since the held state: dropping everything is cheaper than reading them.
MAX_CHANGES = 2_000

_encode = msgspec.json.Encoder().encode

Entries = dict[str, msgspec.Raw]


class _Held:
    """The entries of one record type in one account, valid at `state`: property list -> id -> JSON."""

    __slots__ = ("state", "views")

    def __init__(self, state: int):
        self.state = state
        self.views: dict[tuple[str, ...], Entries] = {}


class RenderedRecords:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_changes: int = MAX_CHANGES, max_bytes: int = MAX_BYTES):
        self.max_entries = max_entries
        self.max_changes = max_changes
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], _Held] = {}
        self._size = 0
        self._bytes = 0

    def answers(self, txn: ReadTxn, account_id: str, kind: str, properties: tuple[str, ...], state: int,
                record_ids: list[str | None], load: Callable[[str], Any | None],
                renderer: Callable[[], Callable[[str, Any], dict[str, Any]]]) -> list[msgspec.Raw | None]:
        """A /get's answers at `state` (its transaction's), in order: kept entries where they are
        exact at that state, else the record loaded and rendered (None where there is none)."""
        with self._lock:
            held = self._bring_to(txn, account_id, kind, state)
            entries = held.views.get(properties) if held.state == state else None
            if entries is None and held.state == state:
                entries = held.views[properties] = {}
        answers: list[msgspec.Raw | None] = [None] * len(record_ids)
        if entries is not None:
            answers = list(map(entries.get, record_ids))  # type: ignore[arg-type]
            if held.state != state:  # moved on while reading: an entry may be newer than `state`
                answers, entries = [None] * len(record_ids), None
            elif None not in answers:
                return answers
        render = None
        for i, record_id in enumerate(record_ids):
            if answers[i] is not None or record_id is None:
                continue
            record = load(record_id)
            if record is None:
                continue
            render = render or renderer()
            answers[i] = encoded = msgspec.Raw(_encode(render(record_id, record)))
            if entries is not None:
                self._keep((account_id, kind), held, properties, entries, record_id, state, encoded)
        return answers

    def _bring_to(self, txn: ReadTxn, account_id: str, kind: str, state: int) -> _Held:
        """The held entries of (account, kind), advanced to `state` if that is newer."""
        held = self._held.get((account_id, kind))
        if held is None:
            held = self._held[(account_id, kind)] = _Held(state)
        elif state > held.state:
            self._drop_changed(txn, account_id, kind, held, state)
        return held

    def _drop_changed(self, txn: ReadTxn, account_id: str, kind: str, held: _Held, state: int) -> None:
        """Drop the entries of every record changed after the held state, up to the reader's."""
        changed: set[str] = set()
        if txn.log_floor(account_id, kind) <= held.state:
            for _, change in txn.changes_since(account_id, kind, held.state):
                changed.add(change.id)
                if len(changed) > self.max_changes:
                    break
            else:
                for entries in held.views.values():
                    for record_id in changed:
                        dropped = entries.pop(record_id, None)
                        if dropped is not None:
                            self._size -= 1
                            self._bytes -= len(dropped)
                held.state = state
                return
        self._size -= sum(len(entries) for entries in held.views.values())
        self._bytes -= sum(len(raw) for entries in held.views.values() for raw in entries.values())
        held.views = {}
        held.state = state

    def _keep(self, key: tuple[str, str], held: _Held, properties: tuple[str, ...], entries: Entries,
              record_id: str, state: int, encoded: msgspec.Raw) -> None:
        with self._lock:
            # Kept only while the entries are still the live ones at the state it was rendered at.
            if self._held.get(key) is not held or held.state != state or held.views.get(properties) is not entries:
                return
            if len(encoded) > MAX_ENTRY_BYTES:
                return
            if self._size >= self.max_entries or self._bytes + len(encoded) > self.max_bytes:
                self._held.clear()
                self._size = 0
                self._bytes = 0
                return
            replaced = entries.get(record_id)
            if replaced is None:
                self._size += 1
            else:
                self._bytes -= len(replaced)
            entries[record_id] = encoded
            self._bytes += len(encoded)

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._size = 0
            self._bytes = 0
