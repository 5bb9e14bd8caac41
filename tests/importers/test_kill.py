"""kill -9 in the middle of an import: the rerun leaves every message exactly once (the resume state
is committed with the batch it covers)."""

from __future__ import annotations

COUNT = 3000


def small_message(n: int) -> bytes:
    return (f"From: s{n % 37}@example.org\nTo: r@example.net\nSubject: message {n}\n"
            f"Message-ID: <k{n}@example.org>\n\n" + "words " * 40 + f"\n{n}\n").encode()


def test_kill_9_during_mbox_import_then_rerun(jmapd, tmp_path, view, kill_midway, count_emails):
    """A real `jmapd import mbox` killed with SIGKILL after its first commit; the rerun completes the
    import with no duplicate and no gap."""
    mbox = tmp_path / "big.mbox"
    with open(mbox, "wb") as f:
        for n in range(COUNT):
            f.write(b"From x Sat Jan  3 01:05:34 2004\n" + small_message(n) + b"\n")
    user = jmapd.add_user()
    left = kill_midway(jmapd.popen("import", "mbox", str(mbox), "--user", user, "--quiet"), jmapd.data, user)
    assert 0 < left < COUNT, f"the import was not interrupted midway ({left})"
    again = jmapd("import", "mbox", str(mbox), "--user", user)
    assert again.returncode == 0, again.stderr
    assert f"total: {COUNT - left} imported, 0 added to another mailbox, 0 duplicates" in again.stdout
    subjects = sorted(raw.split(b"Subject: ")[1].split(b"\n")[0] for raw, *_ in view(jmapd.data, user).emails)
    assert subjects == sorted(b"message %d" % n for n in range(COUNT))


def test_kill_9_during_imap_import_then_rerun(jmapd, dovecot, view, kill_midway):
    """A real `jmapd import imap` from Dovecot killed with SIGKILL after its first commit: the rerun
    resumes from the committed highest UID (RFC 3501 §2.3.1.1) with no duplicate and no gap."""
    remote = dovecot.add_user()
    dovecot.fill_inbox(remote[0], [small_message(n).replace(b"\n", b"\r\n") for n in range(COUNT)])
    user = jmapd.add_user()
    args = ("import", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--plain",
            "--user", remote[0], "--into", user)
    env = {"JMAPD_IMPORT_PASSWORD": remote[1]}
    left = kill_midway(jmapd.popen(*args, "--quiet", env=env), jmapd.data, user)
    assert 0 < left < COUNT, f"the import was not interrupted midway ({left})"
    again = jmapd(*args, env=env)
    assert again.returncode == 0, again.stderr
    assert f"total: {COUNT - left} imported, 0 added to another mailbox, 0 duplicates" in again.stdout
    emails = view(jmapd.data, user).emails
    assert len(emails) == COUNT and len({raw for raw, *_ in emails}) == COUNT
    assert all(keywords == ("$seen",) for _, _, keywords, _ in emails)
