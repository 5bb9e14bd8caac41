"""`jmapd stats`: what an account holds, per mailbox, and who sent the most of it.

A command run by an operator, not a request: it reads every Email record of the account once
(records only, never a message body), a read transaction per chunk.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from store import Store
from store.records import Mailbox

from ..mail.counts import read_counts
from ..mail.records import EmailRecord
from ..mail.writer import account_totals
from .export import mailbox_paths


@dataclass
class MailboxStats:
    path: str
    role: str | None
    total_emails: int
    unread_emails: int
    total_threads: int
    bytes: int = 0


@dataclass
class AccountStats:
    emails: int
    threads: int
    bytes: int
    mailboxes: list[MailboxStats] = field(default_factory=list)
    senders: list[tuple[str, int, int]] = field(default_factory=list)  # (address, messages, bytes)


def account_stats(store: Store, account_id: str, top_senders: int = 10) -> AccountStats:
    paths = mailbox_paths(store, account_id)
    sizes: Counter[str] = Counter()
    by_sender: Counter[str] = Counter()
    sender_bytes: Counter[str] = Counter()
    total_bytes = 0
    with store.read() as txn:
        emails, threads = account_totals(txn, account_id)
        boxes = dict(txn.scan(account_id, "Mailbox", Mailbox))
        counts = {m: read_counts(txn, account_id, m) for m in boxes}
        for _, record in txn.scan(account_id, "Email", EmailRecord):
            total_bytes += record.size
            for mailbox_id in record.mailbox_ids:
                sizes[mailbox_id] += record.size
            sender = (record.summary.from_ or [{}])[0].get("email") or "(no sender)"
            sender = sender.lower()
            by_sender[sender] += 1
            sender_bytes[sender] += record.size
    stats = AccountStats(emails, threads, total_bytes)
    for mailbox_id, box in boxes.items():
        c = counts[mailbox_id]
        stats.mailboxes.append(MailboxStats("/".join(paths[mailbox_id]), box.role, c["totalEmails"],
                                            c["unreadEmails"], c["totalThreads"], sizes[mailbox_id]))
    stats.mailboxes.sort(key=lambda m: m.path.lower())
    stats.senders = [(s, n, sender_bytes[s]) for s, n in by_sender.most_common(top_senders)]
    return stats


def render(stats: AccountStats) -> str:
    lines = [f"emails: {stats.emails}", f"threads: {stats.threads}", f"size: {_mb(stats.bytes)}", "",
             "mailbox\trole\temails\tunread\tthreads\tsize"]
    lines += [f"{m.path}\t{m.role or '-'}\t{m.total_emails}\t{m.unread_emails}\t{m.total_threads}\t{_mb(m.bytes)}"
              for m in stats.mailboxes]
    lines += ["", "largest senders\temails\tsize"]
    lines += [f"{s}\t{n}\t{_mb(b)}" for s, n, b in stats.senders]
    return "\n".join(lines)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
