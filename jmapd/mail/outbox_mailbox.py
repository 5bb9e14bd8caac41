"""The Outbox mailbox (role "outbox"): where the draft JMAP-for-Mail dialect puts a message to send
it (draft-jenkins-jmapmail-00 §5.3.3). A message sent from it leaves it: the message is destroyed
and a copy with a new id is filed in Sent, read and no longer a draft, in the same transaction that
records the sending (submissions.record_outcomes), so it happens exactly once. The message it
replies to (found in its thread by Message-ID) is then marked $answered (the draft's §5.3.3).
"""

from __future__ import annotations

from store import WriteTxn

from . import envelopes
from .keywords import DRAFT, SEEN
from .mailboxes import OUTBOX, mailbox_by_role
from .records import EmailRecord
from .threads import message_with_id
from .writer import EMAIL, delete_email, insert_email, update_email

ANSWERED = "$answered"


def file_sent(txn: WriteTxn, account_id: str, email_id: str, now: int) -> str | None:
    """If the Email is in the account's Outbox, replace it by its copy in Sent; returns the copy's id
    (None when the Email is gone or was not in the Outbox: nothing to do)."""
    record = txn.get(account_id, EMAIL, email_id, EmailRecord)
    outbox = mailbox_by_role(txn, account_id, OUTBOX)
    if record is None or outbox is None or outbox not in record.mailbox_ids:
        return None
    target = mailbox_by_role(txn, account_id, "sent") or mailbox_by_role(txn, account_id, "inbox")
    copy_id = None
    if target is not None:
        keywords = sorted({*record.keywords, SEEN} - {DRAFT})
        copy_id, _ = insert_email(txn, account_id, blob_id=record.blob_id, size=record.size, summary=record.summary,
                                  mailbox_ids=[target], keywords=keywords, received_at=now,
                                  head=envelopes.head(txn, account_id, email_id))
    delete_email(txn, account_id, email_id, record)
    _mark_answered(txn, account_id, record)
    return copy_id


def _mark_answered(txn: WriteTxn, account_id: str, sent: EmailRecord) -> None:
    for replied_to in sent.summary.in_reply_to or []:
        parent_id = message_with_id(txn, account_id, replied_to)
        parent = parent_id and txn.get(account_id, EMAIL, parent_id, EmailRecord)
        if parent and ANSWERED not in parent.keywords:
            update_email(txn, account_id, parent_id, parent, keywords=[*parent.keywords, ANSWERED])
