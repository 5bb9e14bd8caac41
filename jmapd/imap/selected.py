"""The selected mailbox: its UIDs in order (message sequence numbers are positions in that list),
and what the session last told the client, so it can report what changed since (RFC 9051 §7.4,
§7.5.1, RFC 7162 §3.1).

The UID list is read from the mail layer's UID index (jmapd/mail/uids.py), a range scan of this
mailbox. Catching up reads the change log from the last modseq this session reported: new UIDs
after the largest known are read alone, a full re-read of the list happens only when the mailbox
lost messages, and flag changes come from the log entries, never from scanning the mailbox.
"""

from __future__ import annotations

from bisect import bisect_left

from store import ReadTxn
from store.records import Mailbox

from ..mail import uids as uid_index
from ..mail.counts import read_counts
from ..mail.operations import Mail
from ..mail.records import EmailRecord
from ..mail.writer import EMAIL
from . import wire
from .errors import No
from .flags import imap_flags
from .parser import SequenceSet

# The most log entries one catch-up reads; beyond it every message's flags are reported afresh.
MAX_CHANGES = 10_000


class Selected:
    def __init__(self, account_id: str, mailbox_id: str, name: str, read_only: bool):
        self.account_id = account_id
        self.mailbox_id = mailbox_id
        self.name = name
        self.read_only = read_only
        self.uid_validity = uid_index.uid_validity(account_id, mailbox_id)
        self.uids: list[int] = []
        self.modseq = 0
        self.next_uid = 1
        # Email ids this session changed, with the modseq of its change: not reported back to it.
        self.own: dict[str, int] = {}
        # Messages gone from the mailbox but not yet reported (no EXPUNGE during FETCH/STORE/SEARCH).
        self.unreported_expunges = False

    def load(self, txn: ReadTxn) -> None:
        self.uids = uid_index.uid_list(txn, self.account_id, self.mailbox_id)
        self.modseq = txn.state(self.account_id, EMAIL)
        self.next_uid = uid_index.uid_next(txn, self.account_id, self.mailbox_id)

    @property
    def exists(self) -> int:
        return len(self.uids)

    def seq_of(self, uid: int) -> int | None:
        i = bisect_left(self.uids, uid)
        return i + 1 if i < len(self.uids) and self.uids[i] == uid else None

    def most(self, sequence: SequenceSet, by_uid: bool, saved: list[int] | None = None) -> int:
        """How many messages a set names at most (ranges that overlap count twice), without
        listing them: what deciding whether a command is cheap may look at."""
        if sequence.saved:
            return len(saved or ())
        if sequence.numbers is not None:
            return len(sequence.numbers)
        uids = self.uids
        if by_uid:
            largest = uids[-1] if uids else 0
            return sum(bisect_left(uids, high + 1) - bisect_left(uids, low)
                       for low, high in sequence.resolve(largest))
        return sum(min(high, len(uids)) - low + 1 for low, high in sequence.resolve(len(uids)) if low <= len(uids))

    def messages(self, sequence: SequenceSet, by_uid: bool, saved: list[int] | None = None) -> list[tuple[int, int]]:
        """(sequence number, UID) of the messages a set names, in order. A sequence number beyond
        the mailbox is refused with NO; UIDs that do not exist are skipped (RFC 9051 §6.4.9)."""
        uids = self.uids
        if sequence.saved:
            known = set(saved or ())
            return [(i + 1, u) for i, u in enumerate(uids) if u in known]
        if by_uid and sequence.numbers is not None:  # single UIDs: each looked up, none listed twice
            out, count = [], len(uids)
            for uid in sorted(set(sequence.numbers)):
                i = bisect_left(uids, uid)
                if i < count and uids[i] == uid:
                    out.append((i + 1, uid))
            return out
        spans: list[tuple[int, int]] = []  # positions in `uids`, from and to (not included)
        if by_uid:
            largest = uids[-1] if uids else 0
            for low, high in sequence.resolve(largest):
                spans.append((bisect_left(uids, low), bisect_left(uids, high + 1)))
        else:
            n = len(uids)
            for low, high in sequence.resolve(n):
                if high > n or low < 1:
                    raise No(f"message sequence number out of range (the mailbox has {n})")
                spans.append((low - 1, high))
        out: list[tuple[int, int]] = []
        done = 0  # positions before this one are taken already (spans may overlap)
        for start, stop in sorted(spans):
            start = max(start, done)
            if start < stop:
                out.extend(zip(range(start + 1, stop + 1), uids[start:stop]))
                done = stop
        return out

    # -- catching up with changes made anywhere ----------------------------------------------------
    def changed(self, txn: ReadTxn, *, expunge: bool) -> bool:
        """Whether anything changed since the last report (the account's Email state moved), or
        expunges held back during FETCH, STORE or SEARCH may now be reported."""
        return txn.state(self.account_id, EMAIL) != self.modseq or (expunge and self.unreported_expunges)

    def catch_up(self, txn: ReadTxn, *, expunge: bool, qresync: bool, condstore: bool) -> list[bytes]:
        """Untagged responses for what changed since the last report: EXPUNGE (or VANISHED),
        EXISTS, and FETCH FLAGS. With `expunge` False (during FETCH, STORE and SEARCH, RFC 9051
        §7.5.1) removed messages keep their numbers until a later command."""
        if not self.changed(txn, expunge=expunge):
            return []
        state = txn.state(self.account_id, EMAIL)
        if not txn.exists(self.account_id, "Mailbox", self.mailbox_id):
            return [b"* BYE the selected mailbox was deleted\r\n"]
        out: list[bytes] = []
        added = uid_index.uid_list(txn, self.account_id, self.mailbox_id, self.next_uid)
        total = read_counts(txn, self.account_id, self.mailbox_id)["totalEmails"]
        if total != len(self.uids) + len(added):
            current = set(uid_index.uid_list(txn, self.account_id, self.mailbox_id, 1))
            gone = [u for u in self.uids if u not in current]
            self.unreported_expunges = bool(gone) and not expunge
            if gone and expunge:
                if qresync:
                    out.append(b"* VANISHED %s\r\n" % wire.compact_set(gone).encode())
                    self.uids = [u for u in self.uids if u in current]
                else:
                    gone_set = set(gone)
                    for i in range(len(self.uids) - 1, -1, -1):
                        if self.uids[i] in gone_set:
                            out.append(b"* %d EXPUNGE\r\n" % (i + 1))
                    self.uids = [u for u in self.uids if u not in gone_set]
        known_before = len(self.uids)
        if added:
            self.uids.extend(added)
            self.next_uid = added[-1] + 1
        if added or out:
            out.append(b"* %d EXISTS\r\n" % len(self.uids))
        out.extend(self._flag_changes(txn, known_before, condstore))
        self.modseq = state
        self.own.clear()
        return out

    def _flag_changes(self, txn: ReadTxn, known: int, condstore: bool) -> list[bytes]:
        out = []
        changes = Mail.changes_since(txn, self.account_id, self.modseq, types=(EMAIL,), limit=MAX_CHANGES)
        seen: set[str] = set()
        for change in changes:
            if change.kind != 1 or change.id in seen or self.own.get(change.id) == change.modseq:
                continue
            seen.add(change.id)
            uid = uid_index.uid_of(txn, self.account_id, self.mailbox_id, change.id)
            seq = None if uid is None else self.seq_of(uid)
            if seq is None or seq > known:
                continue
            line = self.flags_line(txn, seq, uid, change.id, condstore)
            if line:
                out.append(line)
        return out

    def flags_line(self, txn: ReadTxn, seq: int, uid: int, email_id: str, condstore: bool) -> bytes | None:
        record = txn.get(self.account_id, EMAIL, email_id, EmailRecord)
        if record is None:
            return None
        extra = b""
        if condstore:
            found = uid_index.entry(txn, self.account_id, self.mailbox_id, uid)
            extra = b" MODSEQ (%d)" % (found.modseq if found else self.modseq)
        return b"* %d FETCH (UID %d FLAGS %s%s)\r\n" % (seq, uid, wire.flags(imap_flags(record.keywords)), extra)


def mailbox_record(txn: ReadTxn, account_id: str, mailbox_id: str) -> Mailbox | None:
    return txn.get(account_id, "Mailbox", mailbox_id, Mailbox)
