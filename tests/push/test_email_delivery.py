"""EmailDelivery (RFC 8621 §1.5): a push-only state that changes when a new Email is added to the
store, and on nothing else."""

from __future__ import annotations

MESSAGE = (b"From: a@example.org\r\nTo: b@example.net\r\nSubject: Delivered\r\n"
           b"Message-ID: <delivery-%d@example.org>\r\n\r\nHello.\r\n")


def _import(client, inbox: str, n: int) -> str:
    blob = client.http.post(f"/jmap/upload/{client.account_id}/", content=MESSAGE % n,
                            headers={"Content-Type": "message/rfc822"}).json()["blobId"]
    created = client.ok("Email/import", {"emails": {"i": {"blobId": blob, "mailboxIds": {inbox: True}}}})
    return created["created"]["i"]["id"]


def test_email_delivery_moves_on_new_emails_only(client, event_stream):
    """RFC 8621 §1.5: EmailDelivery changes on Email/import and Email/set create; a keyword change,
    a move and a destroy change Email but not EmailDelivery; Email/changes knows no such type."""
    boxes = client.mailboxes()
    inbox, archive = boxes["inbox"]["id"], boxes["archive"]["id"]
    stream = event_stream(client, types="Email,EmailDelivery").ready()

    email_id = _import(client, inbox, 1)
    imported = stream.next()[2]["changed"][client.account_id]
    assert set(imported) == {"Email", "EmailDelivery"}

    client.ok("Email/set", {"update": {email_id: {"keywords/$seen": True}}})
    assert set(stream.next()[2]["changed"][client.account_id]) == {"Email"}
    client.ok("Email/set", {"update": {email_id: {"mailboxIds": {archive: True}}}})
    assert set(stream.next()[2]["changed"][client.account_id]) == {"Email"}

    created = client.ok("Email/set", {"create": {"c": {
        "mailboxIds": {inbox: True}, "subject": "Composed", "from": [{"email": "me@example.test"}],
        "bodyValues": {"b": {"value": "hi"}}, "textBody": [{"partId": "b", "type": "text/plain"}]}}})
    assert "c" in created["created"], created
    composed = stream.next()[2]["changed"][client.account_id]
    assert set(composed) == {"Email", "EmailDelivery"}
    assert int(composed["EmailDelivery"]) > int(imported["EmailDelivery"])

    client.ok("Email/set", {"destroy": [email_id]})
    assert set(stream.next()[2]["changed"][client.account_id]) == {"Email"}
    # Not a data type: nothing but the push channels knows it.
    name, error = client.call("EmailDelivery/changes", {"sinceState": "0"})
    assert name == "error" and error["type"] == "unknownMethod"



def test_email_copy_is_a_delivery_into_the_target_account(live, make_client, event_stream):
    """RFC 8621 §1.5 and §4.7: an Email copied into another account is new there, so that
    account's EmailDelivery state moves."""
    from store.users import share_account

    owner, other = make_client(), make_client()
    email_id = _import(owner, owner.mailboxes()["inbox"]["id"], 9)
    live.server.store.write(lambda txn: share_account(txn, owner.username, other.username, read_only=True))
    inbox = other.mailboxes()["inbox"]["id"]
    stream = event_stream(other, types="Email,EmailDelivery").ready()
    copied = other.ok("Email/copy", {"fromAccountId": owner.account_id, "accountId": other.account_id,
                                     "create": {"c": {"id": email_id, "mailboxIds": {inbox: True}}}})
    assert "c" in copied["created"], copied
    assert set(stream.next()[2]["changed"][other.account_id]) == {"Email", "EmailDelivery"}
