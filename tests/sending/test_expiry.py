"""Records kept only for a while go when their time is over, found through the expiry index, not
by reading accounts: a delivery's duplicate mark, a vacation response's note of whom it answered
(RFC 3834 §4: one reply per period), a finished EmailSubmission (RFC 8621 §7: the server may delete
them after a while, and the client learns it from EmailSubmission/changes)."""

from __future__ import annotations

import time

from jmapd.mail import Mail
from jmapd.mail.accounts import create_user
from jmapd.mail.delivery import DELIVERED, DUPLICATE_WINDOW, DeliveredMark, Destination, Incoming, deliver
from jmapd.mail.expiry import prune
from jmapd.mail.submissions import SUBMISSION_RETENTION
from jmapd.mail.vacation import DEFAULT_PERIOD, REPLIED, SINGLETON, VACATION, Replied, VacationRecord
from store import Store

T0 = 1_700_000_000
RAW = b"From: Bob <bob@remote.test>\r\nTo: ann@example.test\r\nSubject: hi\r\nMessage-ID: <e1@remote.test>\r\n\r\nhi\r\n"


def test_delivery_marks_and_vacation_notes_go_after_their_time(tmp_path):
    """A resend inside the window is a duplicate (RFC 5321 §6.3's resend after a lost reply); its
    mark and the vacation note stay until their time, then go, and the same message is then a new
    delivery answered again."""
    store = Store.open(str(tmp_path))
    user = create_user(store, "ann", "pw", "ann@example.test")
    store.write(lambda txn: txn.update(user.account_id, VACATION, SINGLETON, VacationRecord(is_enabled=True)))
    mail = Mail(store)
    destination = Destination(account_id=user.account_id, delivered_to="ann@example.test")

    def arrive(when: int):
        incoming = Incoming(raw=RAW, mail_from="bob@remote.test", received_by="mx.example.test", protocol="LMTP",
                            received_at=when)
        [outcome] = deliver(mail, incoming, [destination])
        return outcome

    def kept(kind: str) -> int:
        with store.read() as txn:
            return sum(1 for _ in txn.scan(user.account_id, kind, {DELIVERED: DeliveredMark, REPLIED: Replied}[kind]))

    assert not arrive(T0).duplicate
    assert arrive(T0 + 60).duplicate
    assert kept(DELIVERED) == 1 and kept(REPLIED) == 1
    store.write(lambda txn: prune(txn, now=T0 + DEFAULT_PERIOD - 1))
    assert kept(DELIVERED) == 1 and kept(REPLIED) == 1
    store.write(lambda txn: prune(txn, now=T0 + max(DUPLICATE_WINDOW, DEFAULT_PERIOD)))
    assert kept(DELIVERED) == 0 and kept(REPLIED) == 0
    assert not arrive(T0 + DUPLICATE_WINDOW + 120).duplicate
    assert kept(DELIVERED) == 1 and kept(REPLIED) == 1
    store.close()


def test_a_note_written_again_stays_for_its_own_period(tmp_path):
    """RFC 3834 §4: a sender answered again after the period is not answered a third time inside the
    new one, even when the first note's entry comes due meanwhile."""
    store = Store.open(str(tmp_path))
    user = create_user(store, "ann", "pw", "ann@example.test")
    store.write(lambda txn: txn.update(user.account_id, VACATION, SINGLETON, VacationRecord(is_enabled=True)))
    mail = Mail(store)
    destination = Destination(account_id=user.account_id, delivered_to="ann@example.test")
    for n, when in enumerate((T0, T0 + DEFAULT_PERIOD + 10)):
        raw = RAW.replace(b"<e1@", f"<e{n}@".encode())
        deliver(mail, Incoming(raw=raw, mail_from="bob@remote.test", received_by="mx.example.test",
                               protocol="LMTP", received_at=when), [destination])
    store.write(lambda txn: prune(txn, now=T0 + DEFAULT_PERIOD + 20))
    with store.read() as txn:
        assert [key for key, _ in txn.scan(user.account_id, REPLIED, Replied)] == ["bob@remote.test"]
    store.close()


def test_finished_submissions_go_after_the_retention(sender, sending_server, sink, kit):
    """RFC 8621 §7: a sent EmailSubmission is kept for the retention, then destroyed, and
    EmailSubmission/changes reports it destroyed."""
    draft = kit.create_draft(sender, to=["far@remote.test"], subject="kept a while")
    submission_id = kit.submit(sender, draft)["created"]["s"]["id"]
    kit.wait_for(lambda: kit.submission(sender, submission_id)["undoStatus"] == "final", 15, "final")
    _, before, _ = kit.jmap(sender, "EmailSubmission/get", {"ids": []})
    store = sending_server.server.store
    now = int(time.time())
    store.write(lambda txn: prune(txn, now=now))
    assert kit.submission(sender, submission_id)["undoStatus"] == "final"
    store.write(lambda txn: prune(txn, now=now + SUBMISSION_RETENTION + 60))
    _, got, _ = kit.jmap(sender, "EmailSubmission/get", {"ids": [submission_id]})
    assert got["notFound"] == [submission_id]
    _, changes, _ = kit.jmap(sender, "EmailSubmission/changes", {"sinceState": before["state"]})
    assert submission_id in changes["destroyed"]
