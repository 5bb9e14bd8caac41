"""Mailbox counts (RFC 8621 §2) as Emails come, change, move and go, checked against a recount.

The recount (conftest `expected_counts`) reads every Email and Thread over HTTP and applies the §2
definitions, with the "quality implementation" unreadThreads and both of its trash rules.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, \
    run_state_machine_as_test


def counts(mail, role: str) -> dict[str, int]:
    box = mail.client.mailboxes()[role]
    return {k: box[k] for k in ("totalEmails", "unreadEmails", "totalThreads", "unreadThreads")}


def test_rfc_trash_example(mail, kit):
    """RFC 8621 §2 unreadThreads example: one Thread of two Emails, an unread one in the trash and a
    read one in the inbox: unreadThreads is 1 for the trash and 0 for the inbox."""
    read, unread = mail.import_raw([kit.message("Example", msgid="ex@x"),
                                    kit.message("Re: Example", msgid="ex2@x", references=["ex@x"])])
    assert read["threadId"] == unread["threadId"]
    mail.email_set(update={read["id"]: {"keywords/$seen": True},
                           unread["id"]: {"mailboxIds": mail.mailbox_ids("trash")}})
    assert counts(mail, "trash") == {"totalEmails": 1, "unreadEmails": 1, "totalThreads": 1, "unreadThreads": 1}
    assert counts(mail, "inbox") == {"totalEmails": 1, "unreadEmails": 0, "totalThreads": 1, "unreadThreads": 0}
    mail.check_counts()


def test_trash_ignores_unread_emails_outside_it(mail, kit):
    """RFC 8621 §2 unreadThreads, trash rule 2: Emails not in the trash are ignored for the trash's
    count, so a read Email in the trash whose Thread has an unread Email in the inbox leaves the
    trash's unreadThreads at 0 while the inbox's is 1."""
    unread, read = mail.import_raw([kit.message("Rule two", msgid="r2@x"),
                                    kit.message("Re: Rule two", msgid="r2b@x", references=["r2@x"])])
    mail.email_set(update={read["id"]: {"keywords/$seen": True, "mailboxIds": mail.mailbox_ids("trash")}})
    assert counts(mail, "trash") == {"totalEmails": 1, "unreadEmails": 0, "totalThreads": 1, "unreadThreads": 0}
    assert counts(mail, "inbox") == {"totalEmails": 1, "unreadEmails": 1, "totalThreads": 1, "unreadThreads": 1}
    mail.check_counts()


def test_unread_email_elsewhere_in_thread_counts(mail, kit):
    """RFC 8621 §2 unreadThreads: the unread Email need not be the one in this mailbox; an unread
    Email in both trash and another mailbox counts for both; $draft counts as read."""
    a, b = mail.import_raw([kit.message("Split", msgid="sp@x"),
                            kit.message("Re: Split", msgid="sp2@x", references=["sp@x"])])
    mail.email_set(update={a["id"]: {"keywords/$seen": True},
                           b["id"]: {"mailboxIds": mail.mailbox_ids("archive", "trash")}})
    assert counts(mail, "inbox") == {"totalEmails": 1, "unreadEmails": 0, "totalThreads": 1, "unreadThreads": 1}
    assert counts(mail, "archive") == {"totalEmails": 1, "unreadEmails": 1, "totalThreads": 1, "unreadThreads": 1}
    assert counts(mail, "trash") == {"totalEmails": 1, "unreadEmails": 1, "totalThreads": 1, "unreadThreads": 1}
    mail.email_set(update={b["id"]: {"keywords/$draft": True}})
    for role in ("inbox", "archive", "trash"):
        assert counts(mail, role)["unreadThreads"] == 0, role
        assert counts(mail, role)["unreadEmails"] == 0, role
    mail.check_counts()


def test_counts_through_a_scripted_sequence(mail, kit):
    """RFC 8621 §2: totalEmails, unreadEmails, totalThreads and unreadThreads of every mailbox equal
    the recount after imports, $seen and $draft patches, moves, an Email in two mailboxes, a move to
    the trash and destroys."""
    emails = mail.import_raw([
        kit.message("Alpha", msgid="al@x"),
        kit.message("Re: Alpha", msgid="al2@x", references=["al@x"]),
        kit.message("Re: Alpha", msgid="al3@x", references=["al@x", "al2@x"]),
        kit.message("Beta", msgid="be@x"),
        kit.message("Gamma", msgid="ga@x"),
    ])
    mail.check_counts()
    a1, a2, a3, beta, gamma = (e["id"] for e in emails)
    steps = [
        {a1: {"keywords/$seen": True}},
        {a2: {"keywords/$draft": True}, beta: {"keywords/$seen": True}},
        {a3: {"mailboxIds": mail.mailbox_ids("archive")}},
        {gamma: {f"mailboxIds/{mail.roles['archive']}": True}},
        {a2: {"mailboxIds": mail.mailbox_ids("trash"), "keywords/$draft": None}},
        {a1: {f"mailboxIds/{mail.roles['trash']}": True}},
        {a1: {f"mailboxIds/{mail.roles['inbox']}": None}},
        {a3: {"keywords": {"$seen": True}}},
        {gamma: {"keywords/$seen": True}},
        {gamma: {"keywords/$seen": None}},
    ]
    for patch in steps:
        result = mail.email_set(update=patch)
        assert result["notUpdated"] is None, result
        mail.check_counts()
    mail.email_set(destroy=[a2, beta])
    mail.check_counts()
    mail.email_set(destroy=[a1, a3, gamma])
    mail.check_counts()
    for box in mail.client.mailboxes().values():
        assert (box["totalEmails"], box["unreadEmails"], box["totalThreads"], box["unreadThreads"]) == (0, 0, 0, 0)


def test_mailbox_changes_lists_only_counts(mail, kit):
    """RFC 8621 §2.2: when only counts changed (a keyword patch, an import), Mailbox/changes gives
    updatedProperties listing count properties only, usable as a back-reference for Mailbox/get."""
    e = mail.import_one(kit.message("Counted"))
    since = mail.state("Mailbox")
    mail.email_set(update={e["id"]: {"keywords/$seen": True}})
    responses = mail.request([
        ["Mailbox/changes", {"accountId": mail.account_id, "sinceState": since}, "c"],
        ["Mailbox/get", {"accountId": mail.account_id,
                         "#ids": {"resultOf": "c", "name": "Mailbox/changes", "path": "/updated"},
                         "#properties": {"resultOf": "c", "name": "Mailbox/changes",
                                         "path": "/updatedProperties"}}, "g"],
    ])
    assert [r[0] for r in responses] == ["Mailbox/changes", "Mailbox/get"], responses
    changes, got = responses[0][1], responses[1][1]
    assert changes["updated"] == [mail.roles["inbox"]]
    assert changes["created"] == [] and changes["destroyed"] == []
    assert changes["updatedProperties"] and set(changes["updatedProperties"]) <= set(kit.COUNTS)
    assert {"unreadEmails", "unreadThreads"} <= set(changes["updatedProperties"])
    (inbox,) = got["list"]
    assert set(inbox) == {"id", *changes["updatedProperties"]}
    assert inbox["unreadEmails"] == 0 and inbox["unreadThreads"] == 0

    since = changes["newState"]
    mail.import_one(kit.message("Another"), mailboxes=("archive",))
    changes = mail.ok("Mailbox/changes", {"sinceState": since})
    assert changes["updated"] == [mail.roles["archive"]]
    assert changes["updatedProperties"] and set(changes["updatedProperties"]) <= set(kit.COUNTS)


def test_flag_change_does_not_touch_counts(mail, kit):
    """RFC 8621 §2: $flagged is not part of any count, so flagging an Email changes no mailbox."""
    e = mail.import_one(kit.message("Flag"))
    since = mail.state("Mailbox")
    mail.email_set(update={e["id"]: {"keywords/$flagged": True}})
    changes = mail.ok("Mailbox/changes", {"sinceState": since})
    assert changes["updated"] == [] and changes["created"] == [] and changes["destroyed"] == []
    mail.check_counts()


# -- a random sequence of operations ----------------------------------------------------------------
KEYWORDS = ("$seen", "$draft", "$flagged")
ROLES = ("inbox", "archive", "trash", "junk")


def test_counts_under_random_operations(make_mail, kit):
    """RFC 8621 §2: after every step of random sequences (~30 operations each) of imports (new
    conversations and replies), keyword patches, moves, additions to a second mailbox, moves to the
    trash and destroys, every mailbox's four counts equal the recount and each Email shows the
    mailboxes and keywords the client set."""

    class Counts(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.mail = make_mail()
            self.model: dict[str, dict] = {}  # email id -> {"mailboxIds": set of roles, "keywords": set}
            self.serial = 0

        def _pick(self, data_index: int) -> str:
            ids = sorted(self.model)
            return ids[data_index % len(ids)]

        @rule(subject=st.sampled_from(["Apples", "Pears", "Plums"]), reply=st.booleans(),
              roles=st.sets(st.sampled_from(ROLES), min_size=1, max_size=2),
              keywords=st.sets(st.sampled_from(KEYWORDS), max_size=2))
        def import_email(self, subject, reply, roles, keywords):
            self.serial += 1
            root = f"{subject.lower()}@conversation"
            if reply:
                raw = kit.message(f"Re: {subject}", msgid=f"r{self.serial}@x", in_reply_to=root, references=[root])
            else:
                raw = kit.message(subject, msgid=root if self.serial % 2 else f"n{self.serial}@x")
            created = self.mail.import_one(raw, mailboxes=tuple(sorted(roles)),
                                           keywords={k: True for k in keywords})
            self.model[created["id"]] = {"mailboxIds": set(roles), "keywords": set(keywords)}

        @precondition(lambda self: self.model)
        @rule(index=st.integers(0, 1000), keyword=st.sampled_from(KEYWORDS), on=st.booleans())
        def patch_keyword(self, index, keyword, on):
            email_id = self._pick(index)
            result = self.mail.email_set(update={email_id: {f"keywords/{keyword}": True if on else None}})
            assert result["updated"] == {email_id: None}, result
            (self.model[email_id]["keywords"].add if on else self.model[email_id]["keywords"].discard)(keyword)

        @precondition(lambda self: self.model)
        @rule(index=st.integers(0, 1000), roles=st.sets(st.sampled_from(ROLES), min_size=1, max_size=2))
        def move(self, index, roles):
            email_id = self._pick(index)
            result = self.mail.email_set(update={email_id: {"mailboxIds": self.mail.mailbox_ids(*roles)}})
            assert result["updated"] == {email_id: None}, result
            self.model[email_id]["mailboxIds"] = set(roles)

        @precondition(lambda self: self.model)
        @rule(index=st.integers(0, 1000), role=st.sampled_from(ROLES))
        def add_mailbox(self, index, role):
            email_id = self._pick(index)
            self.mail.email_set(update={email_id: {f"mailboxIds/{self.mail.roles[role]}": True}})
            self.model[email_id]["mailboxIds"].add(role)

        @precondition(lambda self: self.model)
        @rule(index=st.integers(0, 1000), role=st.sampled_from(ROLES))
        def remove_mailbox(self, index, role):
            email_id = self._pick(index)
            result = self.mail.email_set(update={email_id: {f"mailboxIds/{self.mail.roles[role]}": None}})
            if self.model[email_id]["mailboxIds"] - {role}:
                assert result["updated"] == {email_id: None}, result
                self.model[email_id]["mailboxIds"].discard(role)
            elif role in self.model[email_id]["mailboxIds"]:
                # an Email must stay in at least one mailbox (RFC 8621 §4.1.1)
                assert result["notUpdated"][email_id]["type"] == "invalidProperties"

        @precondition(lambda self: self.model)
        @rule(index=st.integers(0, 1000))
        def to_trash(self, index):
            email_id = self._pick(index)
            self.mail.email_set(update={email_id: {"mailboxIds": self.mail.mailbox_ids("trash")}})
            self.model[email_id]["mailboxIds"] = {"trash"}

        @precondition(lambda self: self.model)
        @rule(index=st.integers(0, 1000))
        def destroy(self, index):
            email_id = self._pick(index)
            assert self.mail.email_set(destroy=[email_id])["destroyed"] == [email_id]
            del self.model[email_id]

        @invariant()
        def counts_match(self):
            if not hasattr(self, "mail"):
                return
            self.mail.check_counts()
            if self.model:
                got = {e["id"]: e for e in self.mail.get(sorted(self.model), ["mailboxIds", "keywords"])}
                roles = self.mail.roles
                for email_id, want in self.model.items():
                    assert got[email_id]["mailboxIds"] == {roles[r]: True for r in want["mailboxIds"]}
                    assert got[email_id]["keywords"] == {k: True for k in want["keywords"]}

    run_state_machine_as_test(Counts, settings=settings(
        max_examples=6, stateful_step_count=30, deadline=None, derandomize=True, database=None,
        # shrinking replays sequences over HTTP for minutes; the failing sequence is printed as found
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=list(HealthCheck)))
