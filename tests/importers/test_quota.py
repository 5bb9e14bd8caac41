"""Imports beside a running server, and the storage they use as JMAP Quota (RFC 9425)."""

from __future__ import annotations

import json
import shutil
import time

import lmdb
import pytest

from jmapd.testing import LiveServer
from store import Store
from store.codec import u64
from store.schema import VERSION_KEY

CORE, MAIL, QUOTA = "urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:quota"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("live-import")
    with LiveServer(data=str(data)) as live:
        yield live


def test_import_beside_a_running_server_shows_through_changes_and_quota(server, client_type, jmapd, corpus, tmp_path):
    """RFC 8620 §5.2 /changes and RFC 9425 §4.2/§4.3: mail imported by `jmapd import` into the data
    folder a server is serving appears to its clients as created Emails, and the Quota's "used"
    grows by exactly the imported octets, reported with updatedProperties ["used"]."""
    jmapd.data = server.config.data
    server.add_user("mover", "mover-pw", "mover@example.test")
    client = client_type(server.url, "mover", "mover-pw")
    assert QUOTA in client.session["capabilities"] and client.session["primaryAccounts"][QUOTA] == client.account_id
    using = [CORE, MAIL, QUOTA]

    def call(method, args):
        name, result, _ = client.request([[method, {"accountId": client.account_id, **args}, "q"]],
                                         using=using)["methodResponses"][0]
        assert name == method, result
        return result

    before = call("Quota/get", {"ids": None})
    [quota] = before["list"]
    assert quota["used"] == 0 and quota["resourceType"] == "octets" and quota["scope"] == "account"
    assert quota["types"] == ["Email"] and quota["hardLimit"] > 0
    email_state = client.ok("Email/get", {"ids": []})["state"]

    source = tmp_path / "talon"
    shutil.copytree(corpus / "talon", source)
    result = jmapd("import", "eml", str(source), "--user", "mover", "--mailbox", "Imported")
    assert result.returncode == 0, result.stderr
    files = list(source.rglob("*.eml"))

    changes = client.ok("Email/changes", {"sinceState": email_state})
    assert len(changes["created"]) == len(files)
    mailbox = client.mailboxes()["Imported"]
    assert mailbox["totalEmails"] == len(files)
    after = call("Quota/get", {"ids": ["storage", "nope"], "properties": ["used"]})
    assert after["list"] == [{"id": "storage", "used": sum(f.stat().st_size for f in files)}]
    assert after["notFound"] == ["nope"]
    quota_changes = call("Quota/changes", {"sinceState": before["state"]})
    assert quota_changes["updated"] == ["storage"] and quota_changes["updatedProperties"] == ["used"]
    assert call("Quota/changes", {"sinceState": after["state"]})["updated"] == []
    assert call("Quota/query", {"filter": {"type": "Email", "scope": "account"}, "sort": [{"property": "used"}]}
                )["ids"] == ["storage"]
    assert call("Quota/query", {"filter": {"resourceType": "count"}})["ids"] == []
    name, error, _ = client.request([["Quota/query", {"accountId": client.account_id, "filter": {"color": "x"}}, "q"]],
                                    using=using)["methodResponses"][0]
    assert name == "error" and error["type"] == "unsupportedFilter"
    # Without the mail capability in `using`, no Quota concerns a type the client knows (RFC 9425 §4.1).
    name, result, _ = client.request([["Quota/get", {"accountId": client.account_id}, "q"]],
                                     using=[CORE, QUOTA])["methodResponses"][0]
    assert result["list"] == []
    client.close()


def test_older_data_folder_gets_its_byte_totals(tmp_path, jmapd, corpus):
    """A data folder of layout 3 (before the per-account byte total) is migrated: the total of the
    Emails already stored is added up once, so Quota "used" is right from the first request."""
    jmapd.data = tmp_path / "data"
    user = jmapd.add_user()
    source = tmp_path / "dk"
    shutil.copytree(corpus / "dkimpy", source)
    assert jmapd("import", "eml", str(source), "--user", user).returncode == 0
    env = lmdb.open(str(jmapd.data / "store"), max_dbs=64)
    with env.begin(write=True) as txn:
        txn.put(VERSION_KEY, u64(3), db=env.open_db(b"meta", txn=txn))
        counters = env.open_db(b"counters", txn=txn)
        stale = [k for k, _ in txn.cursor(db=counters) if k.endswith(b"\x00bytes:Email")]
        for key in stale:
            txn.delete(key, db=counters)
    env.close()
    assert stale
    store = Store.open(str(jmapd.data))
    try:
        assert store.migrations_run[0] == "v3 -> v4: each account's total Email size kept as a counter"
        from jmapd.mail.writer import account_bytes
        from store.users import get_user

        with store.read() as txn:
            used = account_bytes(txn, get_user(txn, user).account_id)
    finally:
        store.close()
    assert used == sum(f.stat().st_size for f in source.rglob("*.eml"))


def test_import_beside_a_running_server_is_pushed_and_searchable(server, client_type, jmapd, tmp_path):
    """RFC 8620 §7.3 EventSource, §5.2 /changes and RFC 8621 §4.4.1 `text`: while `jmapd serve`
    runs on the data folder, `jmapd import mbox --data` (another process) writes into the live store;
    the server's EventSource clients get a StateChange for Email, /changes lists every imported
    Email, and the server's search index catches up with them all."""
    jmapd.data = server.config.data
    server.add_user("live-mover", "live-pw")
    client = client_type(server.url, "live-mover", "live-pw")
    count = 400
    mbox = tmp_path / "live.mbox"
    with open(mbox, "wb") as f:
        for n in range(count):
            f.write(b"From x Sat Jan  3 01:05:34 2004\nFrom: a@example.org\nSubject: live %d\n\n"
                    b"the word quillwort is in every one of them\n\n" % n)
    state = client.ok("Email/get", {"ids": []})["state"]
    url = (client.session["eventSourceUrl"].replace("{types}", "Email").replace("{closeafter}", "state")
           .replace("{ping}", "0"))
    with client.http.stream("GET", url, timeout=30) as response:
        assert response.status_code == 200
        importing = jmapd.popen("import", "mbox", str(mbox), "--user", "live-mover", "--quiet")
        event = next(json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: "))
    assert importing.wait(timeout=60) == 0, importing.stderr.read().decode()
    assert event["@type"] == "StateChange" and set(event["changed"][client.account_id]) >= {"Email"}

    created, since = [], state
    while True:
        changes = client.ok("Email/changes", {"sinceState": since})
        created += changes["created"]
        since = changes["newState"]
        if not changes["hasMoreChanges"]:
            break
    assert len(created) == count
    deadline = time.monotonic() + 30
    while True:
        found = client.ok("Email/query", {"filter": {"text": "quillwort"}, "calculateTotal": True})
        if found["total"] == count or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert found["total"] == count and set(found["ids"]) <= set(created)
    client.close()
