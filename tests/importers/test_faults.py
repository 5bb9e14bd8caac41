"""Faults in the middle of an import: the disk filling up, and a message the IMAP server cannot
return. Each ends in one line and an exit status; what was imported stays, and a rerun continues."""

from __future__ import annotations

import os
import subprocess

import pytest

from .test_kill import small_message


def _mbox(path, first: int, count: int, body: int = 100) -> None:
    with open(path, "wb") as f:
        for n in range(first, first + count):
            f.write(b"From x Sat Jan  3 01:05:34 2004\n" + small_message(n) + b"x" * body + b"\n\n")


def _subjects(view, data, user) -> list[bytes]:
    return sorted(raw.split(b"Subject: ")[1].split(b"\n")[0].rstrip(b"\r") for raw, *_ in view(data, user).emails)


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs, enough for the store and a few thousand small messages, and no more; grown
    with `grow(size)`. Mounting needs root (or CAP_SYS_ADMIN)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"a small tmpfs cannot be mounted here ({done.stderr.strip()}): run as root to check a full disk")

    class Disk:
        path = mount

        @staticmethod
        def grow(size: str) -> None:
            subprocess.run(["mount", "-o", f"remount,size={size}", str(mount)], check=True)

    yield Disk
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_filling_up_mid_import(jmapd, tmp_path, view, small_disk):
    """RFC 8621 §4.8 (Email/import) stores a message or fails it, whole: when the disk fills up in
    the middle of `jmapd import mbox`, the command ends with one line naming the full disk and
    status 1; the mail imported before (by this run and an earlier one) is all there, and once
    there is room the same command continues, each message once."""
    jmapd.data = small_disk.path / "data"
    user = jmapd.add_user()
    earlier, big = tmp_path / "earlier.mbox", tmp_path / "big.mbox"
    _mbox(earlier, 0, 50)
    _mbox(big, 1000, 6000, body=400)
    assert jmapd("import", "mbox", str(earlier), "--user", user, "--quiet").returncode == 0

    full = jmapd("import", "mbox", str(big), "--user", user, "--quiet")
    assert full.returncode == 1, full.stdout + full.stderr
    [line] = full.stderr.splitlines()
    assert line.startswith(f"jmapd: the disk holding {jmapd.data} is full")
    assert line.endswith("what was imported is kept, and a rerun continues")
    kept = _subjects(view, jmapd.data, user)
    assert 50 < len(kept) < 6050, "the disk did not fill up midway"
    assert kept == sorted([b"message %d" % n for n in range(50)] + [b"message %d" % n for n in range(1000, 950 + len(kept))])

    small_disk.grow("64m")
    again = jmapd("import", "mbox", str(big), "--user", user)
    assert again.returncode == 0, again.stderr
    assert f"total: {6050 - len(kept)} imported, 0 added to another mailbox, 0 duplicates" in again.stdout
    assert _subjects(view, jmapd.data, user) == sorted(
        [b"message %d" % n for n in range(50)] + [b"message %d" % n for n in range(1000, 7000)])


def test_a_message_the_imap_server_cannot_return(jmapd, dovecot, view):
    """RFC 3501 §7.4.2 FETCH and §7.1.5 BYE: Dovecot, unable to read one message's file, answers its
    FETCH by closing the connection. The import reconnects, fetches that batch a message at a time,
    skips the one message with the reason in the summary, imports the rest, and exits with status 1;
    a rerun asks for that UID again, and imports it once the server can return it."""
    remote = dovecot.add_user()
    count = 40
    dovecot.fill_inbox(remote[0], [small_message(n).replace(b"\n", b"\r\n") for n in range(count)])
    # Files sort as Dovecot numbered them: UID n + 1 for message n.
    bad = sorted((dovecot.maildir(remote[0]) / "cur").iterdir(), key=lambda p: int(p.name.split(".")[0]))[6]
    os.chmod(bad, 0)
    user = jmapd.add_user()
    args = ("import", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--plain",
            "--user", remote[0], "--into", user)
    env = {"JMAPD_IMPORT_PASSWORD": remote[1]}

    first = jmapd(*args, env=env)
    assert first.returncode == 1, first.stdout + first.stderr
    assert f"total: {count - 1} imported, 0 added to another mailbox, 0 duplicates skipped, 1 failed" in first.stdout, first.stderr
    [reason] = [line for line in first.stdout.splitlines() if line.startswith("  failed:")]
    assert reason.startswith("  failed: UID 7: the server closed the connection when asked for it (")
    assert "Internal error" in reason
    assert b"message 6" not in b" ".join(_subjects(view, jmapd.data, user))

    again = jmapd(*args, env=env)
    assert again.returncode == 1 and "total: 0 imported" in again.stdout and "1 failed" in again.stdout

    os.chmod(bad, 0o600)
    last = jmapd(*args, env=env)
    assert last.returncode == 0, last.stdout + last.stderr
    assert "total: 1 imported, 0 added to another mailbox, 0 duplicates skipped, 0 failed" in last.stdout
    assert _subjects(view, jmapd.data, user) == sorted(b"message %d" % n for n in range(count))
