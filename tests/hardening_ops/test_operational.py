"""Issue 20, findings 8 and 9: exposure and operational edges. Plain HTTP beyond loopback is refused
unless asked for; the store's files are private; a migration never trips over a backup of the same
second; a killed `jmapd index rebuild` leaves a complete index (the old one), never a partial one."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time

import httpx
import lmdb
import pytest

from jmapd.mail import Mail
from jmapd.mail.accounts import create_user
from jmapd.mail.mailboxes import mailbox_by_role
from jmapd.protocol.capabilities import CORE, MAIL
from jmapd.testing import LiveServer, ServeProcess
from store import Store
from store.schema import Migration, registry


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_plain_http_beyond_loopback_is_refused(cli, tmp_path):
    """`--host 0.0.0.0` without TLS served Basic auth in clear with no warning."""
    done = cli.run("serve", "--host", "0.0.0.0", "--port", "0", "--data", str(tmp_path))
    cli.mistake(done, "0.0.0.0", "--insecure-http", "--tls-cert")
    assert not (tmp_path / "store").exists() and "serving" not in done.stdout


@pytest.mark.parametrize("how", [["--insecure-http"], ["JMAPD_TRUSTED_PROXIES=127.0.0.1"]])
def test_plain_http_beyond_loopback_when_asked_for(tmp_path, how):
    """--insecure-http, or a trusted TLS proxy in front, lets it serve beyond loopback."""
    env = dict(os.environ)
    flags = [h for h in how if h.startswith("--")]
    env.update(h.split("=", 1) for h in how if "=" in h)
    served = ServeProcess(["--host", "0.0.0.0", "--data", str(tmp_path), *flags], env=env)
    try:
        assert httpx.get(served.url + "/.well-known/jmap").status_code in (301, 302, 307, 308)
    finally:
        status = served.stop()
    assert status == 0 and "Traceback" not in served.output, served.output


def test_store_files_are_private(tmp_path):
    """store/data.mdb was created 0644 and its folders 0755; now 0600 and 0700, and a store made by
    an older version is tightened when opened."""
    data = tmp_path / "data"
    Store.open(str(data)).close()
    assert mode(data) == mode(data / "store") == 0o700
    assert mode(data / "store" / "data.mdb") == mode(data / "store" / "lock.mdb") == 0o600
    os.chmod(data / "store", 0o755)
    os.chmod(data / "store" / "data.mdb", 0o644)
    Store.open(str(data)).close()
    assert mode(data / "store") == 0o700 and mode(data / "store" / "data.mdb") == 0o600


def test_files_made_by_the_command_are_private(cli, tmp_path):
    """What the jmapd command creates beside the store (the index, backups, the password file) is
    its user's alone, whatever the umask it was started with."""
    data = tmp_path / "data"
    assert cli.run("user", "add", "u", "--password", "pw", "--data", str(data)).returncode == 0
    done = cli.run("index", "rebuild", "--data", str(data), preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr
    for folder, _, files in os.walk(data / "index"):
        assert mode(folder) == 0o700, folder
        for name in files:
            assert mode(os.path.join(folder, name)) & 0o077 == 0, name


def test_migration_beside_a_backup_of_the_same_second(tmp_path):
    """A v1 store's migration failed with an uncaught FileExistsError when a backup of the same
    second existed (a migration run again at once, after a failed one)."""
    Store.open(str(tmp_path), current_version=1).close()
    backups = tmp_path / "backups"
    now = time.time()
    taken = set()
    for ahead in range(4):  # every second the migration may start in
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now + ahead))
        (backups / f"store-v1-{stamp}").mkdir(parents=True)
        taken.add(f"store-v1-{stamp}")
    steps = registry(Migration(1, "noop", lambda txn, dbs: None))
    store = Store.open(str(tmp_path), current_version=2, migrations=steps)
    assert store.migrations_run == ["v1 -> v2: noop"]
    store.close()
    made = set(os.listdir(backups)) - taken
    assert len(made) == 1
    name = made.pop()
    assert name.endswith("-2")
    assert mode(backups / name) == 0o700 and mode(backups / name / "data.mdb") == 0o600


def search(server: LiveServer, account_id: str, word: str) -> list[str]:
    body = {"using": [CORE, MAIL], "methodCalls": [["Email/query", {
        "accountId": account_id, "filter": {"text": word}, "limit": 1000}, "q"]]}
    r = httpx.post(server.url + "/jmap/api/", json=body, auth=("r", "pw"), timeout=60)
    return r.json()["methodResponses"][0][1]["ids"]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A data folder with 400 messages, all containing "walrus", and a complete index of them."""
    data = str(tmp_path_factory.mktemp("indexed"))
    store = Store.open(data)
    user = create_user(store, "r", "pw")
    mail = Mail(store)
    with store.read() as txn:
        inbox = mailbox_by_role(txn, user.account_id, "inbox")
    for n in range(400):
        raw = (f"From: a{n}@example.test\r\nTo: r@example.test\r\nSubject: note {n}\r\n"
               f"Message-ID: <{n}@example.test>\r\n\r\nthe walrus said {n} things {'word ' * 200}\r\n").encode()
        mail.deliver(user.account_id, raw, [inbox])
    store.close()
    with LiveServer(data=data) as server:
        assert server.server.extras["search"].ready.wait(30)
        deadline = time.monotonic() + 60
        while len(search(server, user.account_id, "walrus")) < 400 and time.monotonic() < deadline:
            time.sleep(0.2)
    return data, user.account_id


def test_killed_rebuild_leaves_the_complete_index(cli, indexed):
    """A killed `jmapd index rebuild` left an empty or partial index that claimed to be complete.
    The new index is built beside the old one: killed mid-way, the old one still answers for all."""
    data, account_id = indexed
    proc = subprocess.Popen([cli.path, "index", "rebuild", "--data", data], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    building = os.path.join(data, "index.new")
    deadline = time.monotonic() + 30
    while not os.path.exists(os.path.join(building, "format")) and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL and os.path.isdir(building), "the rebuild ended before the kill"
    with LiveServer(data=data) as server:
        assert len(search(server, account_id, "walrus")) == 400
    done = cli.run("index", "rebuild", "--data", data)
    assert done.returncode == 0 and "indexed 400 emails" in done.stdout
    assert not os.path.exists(building) and not os.path.exists(os.path.join(data, "index.old"))


def test_rebuild_killed_between_its_renames_is_finished_on_open(cli, indexed):
    """Killed after moving the old index aside and before moving the new one in, a rebuild leaves no
    `index`: the server's next start finishes the swap instead of starting from nothing."""
    data, account_id = indexed
    os.rename(os.path.join(data, "index"), os.path.join(data, "index.new"))  # the complete new build
    os.makedirs(os.path.join(data, "index.old"))  # the old one, moved aside
    with LiveServer(data=data) as server:
        assert len(search(server, account_id, "walrus")) == 400
    assert not os.path.exists(os.path.join(data, "index.old"))
    assert not os.path.exists(os.path.join(data, "index.new"))


def test_rebuild_while_serving_is_refused(cli, indexed):
    data, _ = indexed
    with LiveServer(data=data) as server:
        assert server.server.extras["search"].ready.wait(30)
        cli.mistake(cli.run("index", "rebuild", "--data", data), "stop the server")


def test_lmdb_is_what_we_think(tmp_path):
    """The store's private modes come from lmdb.open(mode=...): py-lmdb applies it to both files."""
    env = lmdb.open(str(tmp_path), mode=0o600)
    env.close()
    assert mode(tmp_path / "data.mdb") == 0o600
