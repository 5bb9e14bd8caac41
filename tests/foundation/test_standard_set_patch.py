"""PatchObject rules of the generic /set (RFC 8620 §5.3), on a small data type with array and map properties.

Mailbox has no array property, so the array rules are checked here on "Note", a data type that exists
only in this test, run through the same generic /set and /get the server uses for every type.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from jmapd.methods.context import Context
from jmapd.methods.datatype import DataType
from jmapd.methods.services import Principal
from jmapd.methods.standard.get import get
from jmapd.methods.standard.set import set_
from jmapd.protocol.capabilities import MAIL
from jmapd.protocol.engine import RequestScope
from jmapd.protocol.errors import invalid_properties
from store.users import get_user


class Note(msgspec.Struct, kw_only=True):
    title: str
    tags: list[str] = []
    extra: dict[str, Any] = {}


class NoteType(DataType):
    name = "Note"
    capability = MAIL
    record = Note
    id_prefix = "N"
    properties = ("id", "title", "tags", "extra")

    def to_json(self, ctx, txn, account_id, record_id, record, properties):
        full = {"id": record_id, "title": record.title, "tags": list(record.tags), "extra": dict(record.extra)}
        return {p: full[p] for p in properties}

    def _check(self, values):
        bad = [p for p in values if p not in self.properties]
        if "title" in values and not isinstance(values["title"], str):
            bad.append("title")
        tags = values.get("tags")
        if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            bad.append("tags")
        if values.get("extra") is not None and not isinstance(values["extra"], dict):
            bad.append("extra")
        if bad:
            raise invalid_properties(bad)

    def create(self, ctx, txn, account_id, obj, args):
        self._check({"title": obj.get("title"), **obj})
        record = Note(title=obj["title"], tags=obj.get("tags") or [], extra=obj.get("extra") or {})
        record_id = txn.new_id(account_id, self.name, self.id_prefix)
        txn.create(account_id, self.name, record_id, record)
        full = self.to_json(ctx, txn, account_id, record_id, record, frozenset(self.properties))
        return record_id, {p: v for p, v in full.items() if p not in obj}

    def update(self, ctx, txn, account_id, record_id, record, changes, args):
        self._check(changes)
        for prop, value in changes.items():
            setattr(record, prop, value if value is not None else ([] if prop == "tags" else {}))
        txn.update(account_id, self.name, record_id, record)
        return None


NOTE = NoteType()


@pytest.fixture
def notes(make_client, live):
    """Calls Note/set and Note/get in-process for a fresh account; returns (set, get) functions."""
    client = make_client()
    with live.server.store.read() as txn:
        user = get_user(txn, client.username)

    def context():
        scope = RequestScope(using=frozenset({MAIL}), created_ids={}, responses=[],
                             services=Principal(live.server, user))
        return Context("Note/set", "0", scope)

    def do_set(**args):
        return set_(NOTE, context(), {"accountId": user.account_id, **args})

    def do_get(note_id):
        (record,) = get(NOTE, context(), {"accountId": user.account_id, "ids": [note_id]})["list"]
        return record

    return do_set, do_get


@pytest.fixture
def note(notes):
    do_set, do_get = notes
    created = do_set(create={"n": {"title": "Shopping", "tags": ["a", "b"], "extra": {"colour": "red",
                                                                                    "size": {"w": 1}}}})
    note_id = created["created"]["n"]["id"]

    def patch(p):
        before = do_get(note_id)
        result = do_set(update={note_id: p})
        after = do_get(note_id)
        if result["notUpdated"]:
            assert after == before, "a rejected update changed the record"
            return result["notUpdated"][note_id], after
        return result["updated"][note_id], after

    return patch


@pytest.mark.parametrize("path", ["tags/0", "tags/2", "tags/-", "tags/0/x"])
def test_pointer_into_array_is_invalid_patch(note, path):
    """RFC 8620 §5.3: the pointer MUST NOT reference inside an array: invalidPatch."""
    error, after = note({path: "x"})
    assert error["type"] == "invalidPatch"
    assert after["tags"] == ["a", "b"]


def test_array_replaced_in_its_entirety(note):
    """RFC 8620 §5.3: an array is changed by replacing it in its entirety."""
    _, after = note({"tags": ["c"]})
    assert after["tags"] == ["c"]


def test_set_member_of_map(note):
    """RFC 8620 §5.3: a path into an object adds or replaces that member, keeping the others."""
    _, after = note({"extra/colour": "blue", "extra/shape": "round"})
    assert after["extra"] == {"colour": "blue", "shape": "round", "size": {"w": 1}}
    _, after = note({"extra/size/h": 2})
    assert after["extra"]["size"] == {"w": 1, "h": 2}


def test_null_removes_member(note):
    """RFC 8620 §5.3: null removes the member; a member not present makes it a no-op."""
    _, after = note({"extra/colour": None})
    assert after["extra"] == {"size": {"w": 1}}
    result, after = note({"extra/never-there": None})
    assert result is None and after["extra"] == {"size": {"w": 1}}


def test_null_top_level_resets_to_default(note):
    """RFC 8620 §5.3: null on a property sets it to its default value."""
    _, after = note({"tags": None})
    assert after["tags"] == []


def test_missing_parent_is_invalid_patch(note):
    """RFC 8620 §5.3: all parts prior to the last MUST already exist on the object: else invalidPatch."""
    for path in ("extra/missing/deeper", "nosuch/key", "extra/colour/x"):
        error, _ = note({path: 1, "title": "Changed"})
        assert error["type"] == "invalidPatch", path


def test_overlapping_paths_are_invalid_patch(note):
    """RFC 8620 §5.3: no path may be a prefix of another in the same PatchObject."""
    for patch in ({"extra": {}, "extra/colour": "x"}, {"extra/size": {}, "extra/size/w": 3},
                  {"tags": [], "tags/0": "x"}):
        error, _ = note(patch)
        assert error["type"] == "invalidPatch", patch


def test_sibling_paths_do_not_overlap(note):
    """RFC 8620 §5.3: paths that merely share a prefix string ("extra/size" and "extra/sizes") do not overlap."""
    _, after = note({"extra/size": 5, "extra/sizes": 6})
    assert after["extra"] == {"colour": "red", "size": 5, "sizes": 6}


def test_json_pointer_escapes(note):
    """RFC 8620 §5.3 / RFC 6901: ~1 stands for "/" and ~0 for "~" in a path."""
    _, after = note({"extra/a~1b": 1, "extra/c~0d": 2})
    assert after["extra"]["a/b"] == 1 and after["extra"]["c~d"] == 2
    error, _ = note({"extra/bad~2": 1})
    assert error["type"] == "invalidPatch"


def test_invalid_value_is_invalid_properties(note):
    """RFC 8620 §5.3: a valid patch producing an invalid record is invalidProperties, and nothing changes."""
    error, _ = note({"title": 5, "tags": "not a list"})
    assert error["type"] == "invalidProperties"
    assert set(error["properties"]) == {"title", "tags"}

