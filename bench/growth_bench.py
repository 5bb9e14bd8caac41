"""How the mailbox view's cost grows with the account: two loaded accounts measured side by side.

    .venv/bin/python bench/growth_bench.py --data SMALL_DIR --data LARGE_DIR [--views 500]
                                           [--views-after-change 200] [--seed 1]

Each folder is one loaded by `bench/query_bench.py --data DIR` (for instance 10,000 and 100,000
messages). Both servers run at once, and each request goes to one then the other, in an order
that alternates, so the two figures share this machine's speed of the moment: measured minutes
apart, as two runs of query_bench are, a drift of the machine shows as growth of the server.
- mailbox view: query_bench's request (Email/query of the Inbox, newest first, collapseThreads,
  limit 50 at one of the first five pages, calculateTotal, and Email/get of the list-view
  properties by back-reference); both accounts get the same page each time.
- mailbox view after a change: the same, each time after an Email/set (not timed) toggles
  $flagged on a random email of each account, so the query runs again.
Server time is the Server-Timing header; growth is the ratio of the server medians.
"""

from __future__ import annotations

import argparse
import json
import random
from contextlib import ExitStack

from mailbox_setup import JmapSession
from query_bench import email_total, stats, timed, view_calls
from servers import jmapd_server, wait_index_settled


class Account:
    """One server and what the views need of its account."""

    def __init__(self, base: str):
        self.jmap = JmapSession(base + "/.well-known/jmap", "bench", "bench")
        account = self.jmap.account_id
        responses = self.jmap.call([
            ["Mailbox/get", {"accountId": account, "ids": None, "properties": ["role"]}, "m"],
            ["Email/query", {"accountId": account, "limit": 5000}, "e"]])
        self.inbox = next(m["id"] for m in responses[0][1]["list"] if m["role"] == "inbox")
        self.email_ids = responses[1][1]["ids"]
        self.total = email_total(self.jmap)
        self.server: list[float] = []
        self.wall: list[float] = []

    def view(self, position: int) -> None:
        wall, server, out = timed(self.jmap, view_calls(self.jmap.account_id, self.inbox, position))
        assert out[0][0] == "Email/query" and out[1][0] == "Email/get", out
        self.wall.append(wall)
        self.server.append(server)

    def toggle_flag(self, email_id: str, on: bool) -> None:
        self.jmap.call([["Email/set", {"accountId": self.jmap.account_id, "update": {
            email_id: {"keywords/$flagged": True if on else None}}}, "f"]])

    def take(self) -> dict:
        figures = {"server": stats(self.server), "wall": stats(self.wall)}
        self.server, self.wall = [], []
        return figures


def interleaved(accounts: list[Account], rounds: int, rng: random.Random, change: bool) -> list[dict]:
    for i in range(rounds):
        position = 50 * rng.randrange(5)
        if change:
            for account in accounts:
                account.toggle_flag(rng.choice(account.email_ids), i % 2 == 0)
        order = accounts if i % 2 == 0 else accounts[::-1]
        for account in order:
            account.view(position)
    return [account.take() for account in accounts]


def growth(figures: list[dict]) -> float:
    return round(figures[-1]["server"]["median"] / figures[0]["server"]["median"], 3)


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", action="append", required=True,
                        help="a loaded data folder; give two, the smaller account first")
    parser.add_argument("--views", type=int, default=500)
    parser.add_argument("--views-after-change", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with ExitStack() as stack:
        accounts = []
        for data in args.data:
            base, _, _pid = stack.enter_context(jmapd_server(data=data))
            wait_index_settled(data)
            accounts.append(Account(base))
        accounts.sort(key=lambda a: a.total)
        interleaved(accounts, 20, rng, change=False)  # both servers warm, as query_bench left them
        views = interleaved(accounts, args.views, rng, change=False)
        after_change = interleaved(accounts, args.views_after_change, rng, change=True)
    result = {
        "counts": [a.total for a in accounts],
        "mailbox_view_ms": views, "mailbox_view_growth": growth(views),
        "mailbox_view_after_change_ms": after_change, "mailbox_view_after_change_growth": growth(after_change),
    }
    for name, figures in (("mailbox view", views), ("mailbox view after a change", after_change)):
        print(f"{name}: " + "; ".join(f"{a.total:,} messages: server median {f['server']['median']} ms, "
                                     f"p99 {f['server']['p99']} ms" for a, f in zip(accounts, figures))
              + f"; growth {growth(figures)}×", flush=True)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
