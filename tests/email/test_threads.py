"""Threads (RFC 8621 §3): which Emails share a Thread, Thread/get order, Thread/changes.

RFC 8621 §3 suggests, and this server implements, that two messages share a Thread when a message
id links them (Message-ID, In-Reply-To, References) and their subjects match once prefixes such as
"Re:", "Fwd:" and "[list]" are stripped.
"""

from __future__ import annotations

import random



def at(minute: int) -> str:
    return f"2022-05-01T{10 + minute // 60:02d}:{minute % 60:02d}:00Z"


def test_replies_join_the_thread(mail, kit):
    """RFC 8621 §3: a reply (In-Reply-To/References) and a reply to the reply join the original's
    Thread; Thread/get lists all three, oldest receivedAt first."""
    raws = [kit.message("Lunch", msgid="lunch@a"),
            kit.message("Re: Lunch", msgid="lunch-1@b", in_reply_to="lunch@a", references=["lunch@a"]),
            kit.message("RE: Lunch", msgid="lunch-2@a", in_reply_to="lunch-1@b", references=["lunch@a", "lunch-1@b"])]
    a, b, c = mail.import_raw(raws, received_at=[at(0), at(1), at(2)])
    assert a["threadId"] == b["threadId"] == c["threadId"]
    thread = mail.threads([a["threadId"]])["list"]
    assert thread == [{"id": a["threadId"], "emailIds": [a["id"], b["id"], c["id"]]}]
    got = {e["id"]: e["threadId"] for e in mail.get([a["id"], b["id"], c["id"]], ["threadId"])}
    assert set(got.values()) == {a["threadId"]}


def test_each_header_links(mail, kit):
    """RFC 8621 §3 condition 1: an identical message id in any of Message-Id, In-Reply-To and
    References links two messages."""
    for link in ("in-reply-to", "references", "both"):
        root_id = f"root-{link}@x"
        kwargs = {"in-reply-to": {"in_reply_to": root_id}, "references": {"references": [root_id]},
                  "both": {"in_reply_to": root_id, "references": [root_id]}}[link]
        root, reply = mail.import_raw([kit.message("Topic", msgid=root_id),
                                       kit.message("Re: Topic", msgid=f"reply-{link}@x", **kwargs)])
        assert root["threadId"] == reply["threadId"], link


def test_reply_before_parent(mail, kit):
    """RFC 8621 §3: messages delivered out of order still share a Thread: replies that arrive before
    their parent (and before each other's parent) end up in one Thread with the parent."""
    grandchild = mail.import_one(kit.message("Re: Re: Plan", msgid="p3@x", in_reply_to="p2@x",
                                             references=["p1@x", "p2@x"]), received_at=at(3))
    child = mail.import_one(kit.message("Re: Plan", msgid="p2@x", in_reply_to="p1@x", references=["p1@x"]),
                            received_at=at(2))
    sibling = mail.import_one(kit.message("Re: Plan", msgid="p2b@x", in_reply_to="p1@x", references=["p1@x"]),
                              received_at=at(4))
    parent = mail.import_one(kit.message("Plan", msgid="p1@x"), received_at=at(1))
    assert {grandchild["threadId"], child["threadId"], sibling["threadId"], parent["threadId"]} == \
        {parent["threadId"]}
    (thread,) = mail.threads([parent["threadId"]])["list"]
    assert thread["emailIds"] == [parent["id"], child["id"], grandchild["id"], sibling["id"]]


def test_same_subject_without_references_is_two_threads(mail, kit):
    """RFC 8621 §3 condition 1: without a shared message id, equal subjects do not make a Thread."""
    a, b = mail.import_raw([kit.message("Hello"), kit.message("Hello")])
    assert a["threadId"] != b["threadId"]
    result = mail.threads([a["threadId"], b["threadId"]])
    assert result["list"] == [{"id": a["threadId"], "emailIds": [a["id"]]},
                              {"id": b["threadId"], "emailIds": [b["id"]]}]


def test_changed_subject_starts_a_new_thread(mail, kit):
    """RFC 8621 §3 condition 2: a reply whose subject differs (a new conversation started by
    replying to an old message) is not in the old Thread."""
    old, new = mail.import_raw([
        kit.message("Holiday photos", msgid="photos@x"),
        kit.message("Re: Tax return due", msgid="tax@x", in_reply_to="photos@x", references=["photos@x"])])
    assert old["threadId"] != new["threadId"]


def test_subject_prefixes_are_ignored(mail, kit):
    """RFC 8621 §3 condition 2: automatically added prefixes ("Re:", "Fwd:", "[List-Tag]") and white
    space are ignored when comparing subjects."""
    subjects = ["Re: Budget", "RE:Budget", "Fwd: Budget", "FW: Budget", "Re: Re: Budget", "[finance] Re: Budget",
                "Re: [finance] Budget", "  Budget  ", "Re:  Budget", "Re:\tBudget", "Budget (fwd)"]
    for i, subject in enumerate(subjects):
        root, reply = mail.import_raw([kit.message("Budget", msgid=f"budget{i}@x"),
                                       kit.message(subject, msgid=f"budget{i}-re@x", in_reply_to=f"budget{i}@x")])
        assert root["threadId"] == reply["threadId"], subject


def test_long_reference_chain_in_random_order(mail, kit):
    """RFC 8621 §3: 20 messages, each referencing all before it, imported in a random order, form one
    Thread whose emailIds are sorted by receivedAt, oldest first."""
    ids = [f"chain{i}@x" for i in range(20)]
    raws = [kit.message("Re: " * min(i, 1) + "Long chain", msgid=ids[i], in_reply_to=ids[i - 1] if i else None,
                        references=ids[:i]) for i in range(20)]
    order = list(range(20))
    random.Random(8621).shuffle(order)
    created = mail.import_raw([raws[i] for i in order], received_at=[at(i) for i in order])
    by_index = {i: c for i, c in zip(order, created)}
    assert len({c["threadId"] for c in created}) == 1
    (thread,) = mail.threads([created[0]["threadId"]])["list"]
    assert thread["emailIds"] == [by_index[i]["id"] for i in range(20)]


def test_email_ids_sorted_by_received_at(mail, kit):
    """RFC 8621 §3: emailIds are sorted by receivedAt, oldest first, whatever the import order;
    equal receivedAt dates sort stably."""
    raws = [kit.message("Sorted", msgid="s0@x")] + [
        kit.message("Re: Sorted", msgid=f"s{i}@x", references=["s0@x"]) for i in range(1, 6)]
    times = [at(30), at(10), at(50), at(20), at(20), at(40)]
    created = mail.import_raw(raws, received_at=times)
    (thread,) = mail.threads([created[0]["threadId"]])["list"]
    received = {e["id"]: e["receivedAt"] for e in mail.get(thread["emailIds"], ["receivedAt"])}
    assert [received[i] for i in thread["emailIds"]] == sorted(times)
    assert sorted(thread["emailIds"]) == sorted(c["id"] for c in created)
    again = mail.threads([created[0]["threadId"]])["list"][0]
    assert again["emailIds"] == thread["emailIds"]


def test_thread_survives_moves_and_keyword_changes(mail, kit):
    """RFC 8621 §4.1.1: threadId is immutable; moving an Email or changing its keywords leaves it in
    its Thread."""
    a, b = mail.import_raw([kit.message("Stay", msgid="stay@x"),
                            kit.message("Re: Stay", msgid="stay2@x", references=["stay@x"])])
    mail.email_set(update={b["id"]: {"mailboxIds": mail.mailbox_ids("archive"), "keywords": {"$seen": True}}})
    assert mail.get_one(b["id"], ["threadId"])["threadId"] == a["threadId"]
    assert mail.threads([a["threadId"]])["list"][0]["emailIds"] == [a["id"], b["id"]]


def test_thread_changes(mail, kit):
    """RFC 8621 §3.2 / RFC 8620 §5.2: Thread/changes shows a new Thread as created, a Thread that
    gained or lost an Email as updated, and a Thread whose last Email was destroyed as destroyed."""
    s0 = mail.state("Thread")
    root = mail.import_one(kit.message("Changes", msgid="ch@x"))
    step = mail.ok("Thread/changes", {"sinceState": s0})
    assert (step["created"], step["updated"], step["destroyed"]) == ([root["threadId"]], [], [])
    s1 = step["newState"]
    assert s1 == mail.state("Thread")

    reply = mail.import_one(kit.message("Re: Changes", msgid="ch2@x", references=["ch@x"]))
    other = mail.import_one(kit.message("Unrelated", msgid="un@x"))
    step = mail.ok("Thread/changes", {"sinceState": s1})
    assert step["created"] == [other["threadId"]]
    assert step["updated"] == [root["threadId"]]
    assert step["destroyed"] == []
    s2 = step["newState"]

    mail.email_set(destroy=[reply["id"], other["id"]])
    step = mail.ok("Thread/changes", {"sinceState": s2})
    assert step["created"] == []
    assert step["updated"] == [root["threadId"]]
    assert step["destroyed"] == [other["threadId"]]
    s3 = step["newState"]

    mail.email_set(update={root["id"]: {"keywords/$seen": True}})
    step = mail.ok("Thread/changes", {"sinceState": s3})
    assert (step["created"], step["updated"], step["destroyed"]) == ([], [], [])
    # Over the whole span, the Thread created and destroyed is omitted (or only destroyed).
    whole = mail.ok("Thread/changes", {"sinceState": s0})
    assert whole["created"] == [root["threadId"]]
    assert other["threadId"] not in whole["created"] + whole["updated"]


def test_destroying_every_email_destroys_the_thread(mail, kit):
    """RFC 8621 §3: every Email belongs to a Thread and a Thread is a list of Emails, so when all its
    Emails are destroyed, Thread/get reports the Thread in notFound. A later message referencing
    the old ids starts or joins a live Thread, never the destroyed one."""
    a, b = mail.import_raw([kit.message("Gone", msgid="gone@x"),
                            kit.message("Re: Gone", msgid="gone2@x", references=["gone@x"])])
    thread_id = a["threadId"]
    mail.email_set(destroy=[a["id"]])
    assert mail.threads([thread_id])["list"] == [{"id": thread_id, "emailIds": [b["id"]]}]
    mail.email_set(destroy=[b["id"]])
    result = mail.threads([thread_id])
    assert result["list"] == [] and result["notFound"] == [thread_id]
    late = mail.import_one(kit.message("Re: Gone", msgid="gone3@x", references=["gone@x", "gone2@x"]))
    assert late["threadId"] != thread_id
    assert mail.threads([late["threadId"]])["list"] == [{"id": late["threadId"], "emailIds": [late["id"]]}]


def test_thread_get_unknown_and_all(mail, kit):
    """RFC 8620 §5.1: Thread/get lists unknown ids in notFound; ids null returns every Thread."""
    a, b = mail.import_raw([kit.message("One"), kit.message("Two")])
    result = mail.threads(["Tnope", a["threadId"]])
    assert result["notFound"] == ["Tnope"] and [t["id"] for t in result["list"]] == [a["threadId"]]
    everything = mail.threads(None)
    assert sorted(t["id"] for t in everything["list"]) == sorted([a["threadId"], b["threadId"]])
    only_ids = mail.ok("Thread/get", {"ids": [a["threadId"]], "properties": ["id"]})
    assert only_ids["list"] == [{"id": a["threadId"]}]


def test_threads_are_per_account(mail, make_mail, kit):
    """RFC 8620 §1.6.2 / RFC 8621 §3: a Thread is data of one account; the same conversation imported
    into two accounts makes a Thread in each, holding only that account's Emails."""
    other = make_mail()
    raws = [kit.message("Shared", msgid="sh@x"), kit.message("Re: Shared", msgid="sh2@x", references=["sh@x"])]
    mine = mail.import_raw(raws)
    theirs = other.import_raw(raws[1:])
    (my_thread,) = mail.threads([mine[0]["threadId"]])["list"]
    assert my_thread["emailIds"] == [m["id"] for m in mine]
    (their_thread,) = other.threads([theirs[0]["threadId"]])["list"]
    assert their_thread["emailIds"] == [theirs[0]["id"]]
