"""Shared accounts and moving mail between them (RFC 8620 §1.6.2, §2, §5.4; RFC 8621 §4.7)."""

from __future__ import annotations

from store.users import share_account, unshare_account

MESSAGE = (b"From: Ann <ann@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: Quarterly figures\r\n"
           b"Message-ID: <figures-1@example.test>\r\nDate: Tue, 03 Mar 2020 10:00:00 +0000\r\n\r\nSee attached.\r\n")


def share(live, owner, other, read_only=False):
    live.server.store.write(lambda txn: share_account(txn, owner.username, other.username, read_only=read_only))
    other.session = other.http.get("/jmap/session").json()


def import_message(client, account_id=None, mailbox=None):
    account_id = account_id or client.account_id
    blob = client.http.post(f"/jmap/upload/{account_id}/", content=MESSAGE).json()["blobId"]
    if mailbox is None:
        mailboxes = client.ok("Mailbox/get", {"accountId": account_id})["list"]
        mailbox = next(m["id"] for m in mailboxes if m["role"] == "inbox")
    result = client.ok("Email/import", {"accountId": account_id, "emails": {
        "m": {"blobId": blob, "mailboxIds": {mailbox: True}, "keywords": {"$flagged": True}}}})
    return result["created"]["m"]


def test_shared_account_in_session(make_client, live):
    """RFC 8620 §2: a shared account appears in `accounts` with isPersonal false; the Session state
    changes when the set of accounts does; primaryAccounts keep pointing at the user's own account."""
    owner, other = make_client(), make_client()
    before = other.session["state"]
    share(live, owner, other, read_only=True)
    account = other.session["accounts"][owner.account_id]
    assert account["isPersonal"] is False
    assert account["isReadOnly"] is True
    assert other.session["accounts"][other.account_id]["isPersonal"] is True
    assert other.session["primaryAccounts"]["urn:ietf:params:jmap:mail"] == other.account_id
    assert other.session["state"] != before


def test_read_only_share(make_client, live):
    """RFC 8620 §3.6.2: writing to a read-only account is accountReadOnly; reading works."""
    owner, other = make_client(), make_client()
    share(live, owner, other, read_only=True)
    assert other.ok("Mailbox/get", {"accountId": owner.account_id})["list"]
    name, result = other.call("Mailbox/set", {"accountId": owner.account_id, "create": {"x": {"name": "X"}}})
    assert (name, result["type"]) == ("error", "accountReadOnly")


def test_unshare_revokes(make_client, live):
    """Security: once unshared, the account's ids and blobs are unreachable again."""
    owner, other = make_client(), make_client()
    share(live, owner, other)
    created = import_message(owner)
    url = f"/jmap/download/{owner.account_id}/{created['blobId']}/m.eml"
    assert other.http.get(url).status_code == 200
    live.server.store.write(lambda txn: unshare_account(txn, owner.username, other.username))
    assert other.http.get(url).status_code == 404
    name, result = other.call("Email/get", {"accountId": owner.account_id, "ids": [created["id"]]})
    assert (name, result["type"]) == ("error", "accountNotFound")


def test_email_copy_between_accounts(make_client, live):
    """RFC 8621 §4.7: Email/copy creates the Email in the target account with the given mailboxIds;
    `created` has id, blobId, threadId and size; keywords and receivedAt default to the original's."""
    owner, other = make_client(), make_client()
    share(live, owner, other)
    original = import_message(other)
    target_inbox = next(m["id"] for m in other.ok("Mailbox/get", {"accountId": owner.account_id})["list"]
                        if m["role"] == "inbox")
    result = other.ok("Email/copy", {"fromAccountId": other.account_id, "accountId": owner.account_id,
                                     "create": {"c": {"id": original["id"], "mailboxIds": {target_inbox: True}}}})
    copy = result["created"]["c"]
    assert set(copy) == {"id", "blobId", "threadId", "size"}
    assert copy["blobId"] == original["blobId"] and copy["size"] == original["size"]
    got = owner.ok("Email/get", {"ids": [copy["id"]], "properties": ["subject", "keywords", "receivedAt",
                                                                     "mailboxIds"]})["list"][0]
    source = other.ok("Email/get", {"ids": [original["id"]], "properties": ["receivedAt"]})["list"][0]
    assert got["subject"] == "Quarterly figures"
    assert got["keywords"] == {"$flagged": True}
    assert got["receivedAt"] == source["receivedAt"]
    assert got["mailboxIds"] == {target_inbox: True}
    # the blob is now readable in the target account
    assert owner.http.get(f"/jmap/download/{owner.account_id}/{copy['blobId']}/m.eml").content == MESSAGE


def test_email_copy_on_success_destroy_original(make_client, live):
    """RFC 8620 §5.4: onSuccessDestroyOriginal makes an implicit Email/set destroying the originals,
    whose response follows the Email/copy response with the same method call id."""
    owner, other = make_client(), make_client()
    share(live, owner, other)
    original = import_message(other)
    target_inbox = next(m["id"] for m in other.ok("Mailbox/get", {"accountId": owner.account_id})["list"]
                        if m["role"] == "inbox")
    body = other.request([["Email/copy", {
        "fromAccountId": other.account_id, "accountId": owner.account_id, "onSuccessDestroyOriginal": True,
        "create": {"c": {"id": original["id"], "mailboxIds": {target_inbox: True}}}}, "move"]])
    (copy_name, copy_args, copy_id), (set_name, set_args, set_id) = body["methodResponses"]
    assert (copy_name, set_name, copy_id, set_id) == ("Email/copy", "Email/set", "move", "move")
    assert set_args["destroyed"] == [original["id"]]
    assert other.ok("Email/get", {"ids": [original["id"]]})["notFound"] == [original["id"]]


def test_email_copy_errors(make_client, live):
    """RFC 8620 §5.4 and RFC 8621 §4.7: unknown originals are notFound; properties other than
    mailboxIds, keywords and receivedAt are invalidProperties; the same account is invalid; an
    unreachable from-account is fromAccountNotFound."""
    owner, other, stranger = make_client(), make_client(), make_client()
    share(live, owner, other)
    original = import_message(other)
    inbox = next(m["id"] for m in other.ok("Mailbox/get", {"accountId": owner.account_id})["list"]
                 if m["role"] == "inbox")
    result = other.ok("Email/copy", {"fromAccountId": other.account_id, "accountId": owner.account_id, "create": {
        "missing": {"id": "Enope", "mailboxIds": {inbox: True}},
        "subject": {"id": original["id"], "mailboxIds": {inbox: True}, "subject": "changed"},
        "nobox": {"id": original["id"]}}})
    assert result["notCreated"]["missing"]["type"] == "notFound"
    assert result["notCreated"]["subject"] == {**result["notCreated"]["subject"], "type": "invalidProperties",
                                               "properties": ["subject"]}
    assert result["notCreated"]["nobox"]["type"] == "invalidProperties"
    name, err = other.call("Email/copy", {"fromAccountId": other.account_id, "accountId": other.account_id,
                                          "create": {}})
    assert (name, err["type"]) == ("error", "invalidArguments")
    name, err = other.call("Email/copy", {"fromAccountId": stranger.account_id, "accountId": owner.account_id,
                                          "create": {}})
    assert (name, err["type"]) == ("error", "fromAccountNotFound")
