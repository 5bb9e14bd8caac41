"""What an import shows while it runs, and the summary it ends with.

On a terminal, a tqdm bar per folder (messages, MB, rate, ETA); otherwise a plain line every few
seconds and at the end of each folder, which logs and CI output keep readable. Either way the
run ends with a summary: per folder, what was imported, merged into another mailbox (the same
message in several folders), skipped as a duplicate, and what failed, with the reason.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

from tqdm import tqdm

from .destination import Outcome

LOG_EVERY_S = 5.0


@dataclass
class FolderTally:
    name: str
    imported: int = 0
    merged: int = 0
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)
    bytes: int = 0

    def add(self, outcome: Outcome) -> None:
        self.imported += outcome.imported
        self.merged += outcome.merged
        self.duplicates += outcome.duplicates
        self.failed += outcome.failed
        self.bytes += outcome.bytes

    @property
    def seen(self) -> int:
        return self.imported + self.merged + self.duplicates + len(self.failed)


class Progress:
    """Tallies per folder, shown as bars on a terminal and as log lines elsewhere."""

    def __init__(self, out: TextIO | None = None, *, bars: bool | None = None, quiet: bool = False):
        self.out = out or sys.stderr
        self.bars = (self.out.isatty() if bars is None else bars) and not quiet
        self.quiet = quiet
        self.folders: dict[str, FolderTally] = {}
        self.started = time.monotonic()
        self._current: tuple[FolderTally, tqdm | None, float, int | None] | None = None
        self._last_log = 0.0

    def folder(self, name: str, total: int | None = None) -> FolderTally:
        """Start showing a folder; `total` is its message count when the source knows it."""
        self.end_folder()
        tally = self.folders.setdefault(name, FolderTally(name))
        bar = None
        if self.bars:
            bar = tqdm(total=total, desc=name[:30], unit="msg", file=self.out, dynamic_ncols=True, leave=True)
        self._current = (tally, bar, time.monotonic(), total)
        return tally

    def advance(self, outcome: Outcome, messages: int | None = None) -> None:
        if self._current is None:
            return
        tally, bar, started, total = self._current
        tally.add(outcome)
        count = messages if messages is not None else (outcome.imported + outcome.merged + outcome.duplicates
                                                        + len(outcome.failed))
        if bar is not None:
            bar.update(count)
            bar.set_postfix_str(f"{tally.bytes / 1e6:.1f} MB", refresh=False)
        elif not self.quiet and time.monotonic() - self._last_log >= LOG_EVERY_S:
            self._log_line(tally, started, total)

    def fail(self, reason: str) -> None:
        if self._current is not None:
            self._current[0].failed.append(reason)

    def end_folder(self) -> None:
        if self._current is None:
            return
        tally, bar, started, total = self._current
        self._current = None
        if bar is not None:
            bar.close()
        elif not self.quiet:
            self._log_line(tally, started, total, done=True)

    def _log_line(self, tally: FolderTally, started: float, total: int | None, done: bool = False) -> None:
        self._last_log = time.monotonic()
        elapsed = max(time.monotonic() - started, 1e-6)
        of = f"/{total}" if total is not None else ""
        state = "done" if done else "importing"
        print(f"jmapd: {state} {tally.name}: {tally.seen}{of} messages, {tally.bytes / 1e6:.1f} MB, "
              f"{tally.seen / elapsed:.0f} messages/s", file=self.out, flush=True)

    def totals(self) -> FolderTally:
        total = FolderTally("total")
        for tally in self.folders.values():
            total.add(Outcome(tally.imported, tally.merged, tally.duplicates, tally.failed, tally.bytes))
        return total

    def summary(self) -> str:
        self.end_folder()
        lines = ["folder\timported\tin another folder too\tduplicates\tfailed"]
        for tally in self.folders.values():
            lines.append(f"{tally.name}\t{tally.imported}\t{tally.merged}\t{tally.duplicates}\t{len(tally.failed)}")
            reasons: dict[str, int] = {}
            for reason in tally.failed:
                reasons[reason] = reasons.get(reason, 0) + 1
            lines += [f"  failed: {reason}" + (f" ({n} messages)" if n > 1 else "") for reason, n in reasons.items()]
        total = self.totals()
        elapsed = time.monotonic() - self.started
        lines.append(f"total: {total.imported} imported, {total.merged} added to another mailbox, "
                     f"{total.duplicates} duplicates skipped, {len(total.failed)} failed, "
                     f"{total.bytes / 1e6:.1f} MB in {elapsed:.1f} s")
        return "\n".join(lines)
