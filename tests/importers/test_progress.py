"""What an import shows: a bar per folder on a terminal, plain lines elsewhere, and the summary."""

from __future__ import annotations

import io

from jmapd.importers.destination import Outcome
from jmapd.importers.progress import Progress


def run(progress: Progress) -> str:
    progress.folder("INBOX", total=3)
    progress.advance(Outcome(imported=2, bytes=2_500_000))
    progress.advance(Outcome(duplicates=1))
    progress.folder("Work/2024")
    progress.advance(Outcome(merged=1, bytes=10))
    progress.fail("the server could not return UID 7")
    progress.fail("the server could not return UID 7")
    return progress.summary()


def test_bars_on_a_terminal_and_the_summary():
    """On a terminal: a tqdm bar per folder with messages, MB and rate; the summary counts per
    folder what was imported, merged, skipped as a duplicate and failed, with the reasons."""
    out = io.StringIO()
    summary = run(Progress(out, bars=True))
    shown = out.getvalue()
    assert "INBOX" in shown and "3/3" in shown and "msg/s" in shown and "2.5 MB" in shown
    assert "INBOX\t2\t0\t1\t0" in summary and "Work/2024\t0\t1\t0\t2" in summary
    assert "  failed: the server could not return UID 7 (2 messages)" in summary
    assert summary.splitlines()[-1].startswith("total: 2 imported, 1 added to another mailbox, 1 duplicates skipped, "
                                               "2 failed, 2.5 MB in ")


def test_plain_lines_when_not_on_a_terminal():
    """Not on a terminal (logs, CI): one plain line per folder at its end, no bar control codes."""
    out = io.StringIO()
    run(Progress(out, bars=False))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("jmapd: importing INBOX: 2/3 messages, 2.5 MB, ")
    assert lines[1].startswith("jmapd: done INBOX: 3/3 messages")
    assert lines[-1].startswith("jmapd: done Work/2024: 3 messages")
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()
