"""Addresses, aliases, domains, plus-addressing and catch-alls: who mail for an address is for, and
who may send as it. RFC 5321 §2.4: the domain part is case-insensitive, the local part is the
receiving host's to interpret (here: as stored). RFC 5890: an IDN in Unicode or ASCII is one domain."""

from __future__ import annotations

import pytest

from jmapd.mail.accounts import create_user
from jmapd.mail.addresses import (
    add_address,
    add_domain,
    addresses_of,
    may_send_as,
    normalize_address,
    remove_address,
    resolve,
)
from jmapd.mail.errors import AddressTaken, InvalidAddress
from store import Store
from store.users import get_user

HOST = "mail.example.test"


@pytest.fixture
def store(tmp_path):
    store = Store.open(str(tmp_path / "data"))
    create_user(store, "alice", "pw", "Alice@Example.COM")
    create_user(store, "bob", "pw")
    yield store
    store.close()


def who(store, address: str):
    with store.read() as txn:
        found = resolve(txn, address, HOST)
    return None if found is None else (found.user.name, found.tag)


def test_primary_address_domain_case_insensitive_local_part_as_stored(store):
    assert who(store, "Alice@example.com") == ("alice", None)
    assert who(store, "Alice@EXAMPLE.com.") == ("alice", None)
    assert who(store, "alice@example.com") is None  # the local part is compared as stored


def test_user_name_at_the_host_name_and_plus_tags(store):
    assert who(store, f"bob@{HOST}") == ("bob", None)
    assert who(store, f"bob+lists@{HOST.upper()}") == ("bob", "lists")
    assert who(store, "Alice+news@example.com") == ("alice", "news")
    assert who(store, "bob@elsewhere.test") is None


def test_aliases_and_their_removal(store):
    store.write(lambda txn: add_address(txn, "bob", "postmaster@example.com"))
    assert who(store, "postmaster@example.com") == ("bob", None)
    with store.read() as txn:
        bob = get_user(txn, "bob")
        assert addresses_of(txn, bob, HOST) == [f"bob@{HOST}", "postmaster@example.com"]
    with pytest.raises(AddressTaken):
        store.write(lambda txn: add_address(txn, "alice", "postmaster@example.com"))
    store.write(lambda txn: remove_address(txn, "bob", "postmaster@example.com"))
    assert who(store, "postmaster@example.com") is None


def test_idn_in_either_form_and_catch_all(store):
    store.write(lambda txn: add_domain(txn, "bücher.example", catch_all="bob"))
    assert who(store, "anyone@xn--bcher-kva.example") == ("bob", None)
    assert who(store, "anyone@BÜCHER.example") == ("bob", None)
    store.write(lambda txn: add_address(txn, "alice", "info@bücher.example"))
    assert who(store, "info@xn--bcher-kva.example") == ("alice", None)


def test_may_send_as_own_addresses_aliases_and_owned_domains(store):

    store.write(lambda txn: add_address(txn, "bob", "sales@shop.test"))
    store.write(lambda txn: add_domain(txn, "owned.test", owners=["alice"]))
    with store.read() as txn:
        alice, bob = get_user(txn, "alice"), get_user(txn, "bob")
        assert may_send_as(txn, alice, "Alice@example.com", HOST)
        assert may_send_as(txn, alice, "*@owned.test", HOST)
        assert may_send_as(txn, alice, "anything@OWNED.test", HOST)
        assert not may_send_as(txn, bob, "anything@owned.test", HOST)
        assert may_send_as(txn, bob, "sales@shop.test", HOST)
        assert may_send_as(txn, bob, f"bob@{HOST}", HOST)
        assert not may_send_as(txn, bob, "Alice@example.com", HOST)
        assert not may_send_as(txn, bob, "*@shop.test", HOST)
        assert not may_send_as(txn, bob, "not an address", HOST)


@pytest.mark.parametrize("bad", ["", "no-at-sign", "@example.com", "a b@example.com", "a@exa mple.com",
                                 "a@", "a@.example", "<a>@example.com", "a\r\nRCPT@example.com"])
def test_invalid_addresses_are_refused(bad):
    with pytest.raises(InvalidAddress):
        normalize_address(bad)
