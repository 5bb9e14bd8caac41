"""`jmapd queue list|retry|delete`: the operator's view of outgoing mail waiting to be sent."""

from __future__ import annotations

import argparse
import time

from ..config import Config
from ..mail.submissions import DONE_STATES, UnknownQueueEntry, delete_entry, list_queue, retry_now
from .common import CommandError, command, open_store


def register(sub) -> None:
    queue = sub.add_parser("queue", help="outgoing mail waiting to be sent")
    queue_sub = queue.add_subparsers(dest="action", required=True)
    command(queue_sub, "list", run, help="list queued messages and their recipients' state")
    retry = command(queue_sub, "retry", run, help="try a queued message's waiting recipients now")
    retry.add_argument("id")
    delete = command(queue_sub, "delete", run, help="give up on a queued message (no bounce is sent)")
    delete.add_argument("id")


def _when(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(epoch))


def run(args: argparse.Namespace, config: Config) -> int:
    with open_store(config) as store:
        if args.action == "list":
            with store.read() as txn:
                entries = list_queue(txn)
            if not entries:
                print("the queue is empty")
            for queue_id, entry in entries:
                waiting = [r for r in entry.recipients if r.state not in DONE_STATES]
                print(f"{queue_id}  from <{entry.mail_from.email}>  {entry.size} octets  queued {_when(entry.created_at)}"
                      f"  next {_when(entry.due)}" + (f"  held until {_when(entry.release_at)}"
                                                      if entry.release_at > time.time() else ""))
                for r in waiting:
                    print(f"    {r.address}  {r.state}, {r.attempts} attempts  {r.reply}")
            return 0
        try:
            if args.action == "retry":
                store.write(lambda txn: retry_now(txn, args.id, now=int(time.time())))
                print(f"{args.id} will be tried again at once")
            else:
                store.write(lambda txn: delete_entry(txn, args.id))
                print(f"{args.id} deleted from the queue")
        except UnknownQueueEntry as exc:
            raise CommandError(str(exc)) from None
    return 0
