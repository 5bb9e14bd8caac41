"""`jmapd sync`: a remote IMAP account kept mirrored, one way, by `jmapd serve` in the background."""

from __future__ import annotations

import os
import time

from jmapd.testing import LiveServer

from .test_imap import append, message


def test_sync_add_run_list_remove_and_the_password_at_rest(jmapd, dovecot, view):
    """The remote password is checked, then stored only encrypted, under a key file (0600) outside
    the store; `sync run` imports, `sync list` reports, `sync remove` stops; a wrong password is
    refused at `add` with one line."""
    remote = dovecot.add_user()
    conn = dovecot.imap(*remote)
    append(conn, "INBOX", message("synced one"))
    conn.logout()
    local = jmapd.add_user()
    base = ("sync", "add", "--host", "127.0.0.1", "--port", str(dovecot.port), "--plain", "--user", remote[0],
            "--into", local, "--interval", "60")
    wrong = jmapd(*base, env={"JMAPD_IMPORT_PASSWORD": "not-it"})
    assert wrong.returncode == 1 and "refused the login" in wrong.stderr.splitlines()[-1]
    added = jmapd(*base, env={"JMAPD_IMPORT_PASSWORD": remote[1]}, check=True)
    source_id = added.stdout.split("\t")[0]
    key_file = jmapd.data / "sync.key"
    assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"
    store_bytes = b"".join(p.read_bytes() for p in (jmapd.data / "store").iterdir())
    assert remote[1].encode() not in store_bytes and remote[0].encode() in store_bytes

    ran = jmapd("sync", "run", check=True)
    assert ran.stdout.strip() == f"{source_id}\tok" and remote[1] not in ran.stdout + ran.stderr
    assert [e[1] for e in view(jmapd.data, local).emails] == [("Inbox",)]
    listed = jmapd("sync", "list", check=True).stdout
    assert source_id in listed and "ok" in listed and "1 imported" in listed and remote[1] not in listed
    assert jmapd("sync", "remove", source_id, check=True).returncode == 0
    assert jmapd("sync", "list", check=True).stdout == ""
    gone = jmapd("sync", "remove", source_id)
    assert gone.returncode == 2 and f"no sync source {source_id}" in gone.stderr


def test_the_server_syncs_in_the_background(tmp_path, jmapd, imap_source, client_type):
    """RFC 8620 §5.2 /changes and RFC 2177 IDLE: mail arriving at the remote appears in the local
    account while `jmapd serve` runs: the first pass at once, then new mail as the remote's IDLE
    announces it, long before the source's hour-long interval."""
    data = tmp_path / "served"
    jmapd.data = data
    with LiveServer(data=str(data), sync_check_every=0.2) as server:
        server.add_user("mirror", "mirror-pw")
        client = client_type(server.url, "mirror", "mirror-pw")
        remote = imap_source.add_user()
        conn = imap_source.imap(*remote)
        append(conn, "INBOX", message("before add"))
        jmapd("sync", "add", "--host", "127.0.0.1", "--port", str(imap_source.port), "--plain", "--user", remote[0],
              "--into", "mirror", "--interval", "3600", env={"JMAPD_IMPORT_PASSWORD": remote[1]}, check=True)

        def subjects() -> set[str]:
            ids = client.ok("Email/query", {})["ids"]
            return {e["subject"] for e in client.ok("Email/get", {"ids": ids, "properties": ["subject"]})["list"]}

        def wait_for(subject: str) -> None:
            deadline = time.monotonic() + 20
            while subject not in subjects():
                assert time.monotonic() < deadline, f"{subject!r} never arrived"
                time.sleep(0.2)

        wait_for("before add")
        service = server.server.extras["sync"]
        deadline = time.monotonic() + 20
        while not any(w.idling.is_set() for w in service._watchers.values()):
            assert time.monotonic() < deadline, "no IDLE watcher"
            time.sleep(0.1)
        state = client.ok("Email/get", {"ids": []})["state"]
        append(conn, "INBOX", message("after add"))
        conn.logout()
        wait_for("after add")
        assert len(client.ok("Email/changes", {"sinceState": state})["created"]) == 1
        client.close()


def test_other_folders_arrive_within_the_interval(tmp_path, jmapd, imap_source, client_type):
    """RFC 2177 IDLE watches one folder (the INBOX); every other folder, old or created since, is
    read by the pass the interval brings: mail arriving there appears within the source's interval
    (RFC 8620 §5.2 /changes), whether or not the INBOX has news."""
    data = tmp_path / "served"
    jmapd.data = data
    interval = 3
    with LiveServer(data=str(data), sync_check_every=0.2) as server:
        server.add_user("folders", "folders-pw")
        client = client_type(server.url, "folders", "folders-pw")
        remote = imap_source.add_user()
        conn = imap_source.imap(*remote)
        conn.create("Work")
        append(conn, "Work", message("work before"))
        jmapd("sync", "add", "--host", "127.0.0.1", "--port", str(imap_source.port), "--plain", "--user", remote[0],
              "--into", "folders", "--interval", str(interval), env={"JMAPD_IMPORT_PASSWORD": remote[1]}, check=True)

        def where() -> dict[str, set[str]]:
            names = {m["id"]: m["name"] for m in client.ok("Mailbox/get", {"ids": None})["list"]}
            ids = client.ok("Email/query", {})["ids"]
            found = client.ok("Email/get", {"ids": ids, "properties": ["subject", "mailboxIds"]})["list"]
            return {e["subject"]: {names[m] for m in e["mailboxIds"]} for e in found}

        def wait_for(subject: str, timeout: float) -> dict[str, set[str]]:
            deadline = time.monotonic() + timeout
            while subject not in (now := where()):
                assert time.monotonic() < deadline, f"{subject!r} did not arrive within {timeout} s"
                time.sleep(0.1)
            return now

        wait_for("work before", 20)
        service = server.server.extras["sync"]
        deadline = time.monotonic() + 20
        while not any(w.idling.is_set() for w in service._watchers.values()):
            assert time.monotonic() < deadline, "no IDLE watcher"
            time.sleep(0.1)
        passes = service.passes
        append(conn, "Work", message("work after"))
        conn.create("Later")
        append(conn, "Later", message("in a new folder"))
        conn.logout()
        started = time.monotonic()
        assert wait_for("work after", interval + 5)["work after"] == {"Work"}
        assert wait_for("in a new folder", interval + 5)["in a new folder"] == {"Later"}
        assert time.monotonic() - started <= interval + 5 and service.passes > passes
        client.close()
