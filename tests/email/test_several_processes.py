"""Several server processes on one data folder (`jmapd serve --workers N`) behave as one server.

One process owns the search index and indexes for all; the others read what it commits. Push
connections of each process report changes made through any of them. The clients here are one
account seen through two processes: `a` owns the index, `b` follows it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")


def subject_query(mail, word: str) -> list[str]:
    return mail.ok("Email/query", {"filter": {"subject": word}})["ids"]


def test_text_search_sees_emails_imported_through_either_process(two_mails):
    """RFC 8621 §4.4.1 subject condition, answered by both processes: an Email imported through one
    is found by a text query through the other as soon as the query is made (the follower waits
    for the owner to index it), and through the one it was imported by."""
    a, b = two_mails
    (through_a,) = a.import_raw([(CORPUS / "hyperkitty/another-wrong-encoding.eml").read_bytes()])
    (through_b,) = b.import_raw([(CORPUS / "hyperkitty/non-ascii-headers.eml").read_bytes()])
    for mail in (b, a):
        assert subject_query(mail, "questionnaire") == [through_a["id"]]
        assert subject_query(mail, "macros") == [through_b["id"]]
    b.email_set(destroy=[through_a["id"]])
    assert subject_query(b, "questionnaire") == []
    assert subject_query(a, "questionnaire") == []


def read_state_event(response) -> dict:
    for line in response.iter_lines():
        if line.startswith("data: "):
            return json.loads(line[6:])
    raise AssertionError("the stream ended without an event")


def test_push_reports_changes_made_through_the_other_process(two_mails):
    """RFC 8620 §7.3 and §7.1: an EventSource connection to one process gets a StateChange for a
    change made through the other, with the new state of the changed type."""
    a, b = two_mails
    for listener, writer in ((b, a), (a, b)):
        url = (listener.client.session["eventSourceUrl"].replace("{types}", "Mailbox")
               .replace("{closeafter}", "state").replace("{ping}", "0"))
        with listener.client.http.stream("GET", url, timeout=15) as response:
            assert response.status_code == 200
            threading.Timer(0.3, lambda: writer.ok(
                "Mailbox/set", {"create": {"n": {"name": f"from {id(writer)}"}}})).start()
            change = read_state_event(response)
        assert change["@type"] == "StateChange"
        assert change["changed"] == {a.account_id: {"Mailbox": listener.state("Mailbox")}}
