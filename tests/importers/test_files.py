"""`jmapd import mbox|maildir|eml` and `jmapd export`: real files, a real store, the jmapd command."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from jmapd.importers import maildir as maildir_format


def corpus_files(corpus: Path) -> dict[str, bytes]:
    return {str(p.relative_to(corpus)): p.read_bytes() for p in sorted(corpus.rglob("*.eml"))}


def test_eml_corpus_round_trips_through_maildir_byte_for_byte(jmapd, corpus, tmp_path, view):
    """RFC 8621 §4.8 (import keeps the octets; blobId names them): every corpus message comes back
    out of a Maildir export byte for byte, and a fresh account importing that export is identical in
    messages, mailboxes, keywords and receivedAt."""
    user = jmapd.add_user()
    result = jmapd("import", "eml", str(corpus), "--user", user)
    assert result.returncode == 0, result.stderr
    files = corpus_files(corpus)
    assert f"total: {len(files)} imported" in result.stdout
    before = view(jmapd.data, user)
    out = tmp_path / "md"
    assert jmapd("export", "--user", user, "--format", "maildir", "--out", str(out)).returncode == 0
    exported = sorted(p.read_bytes() for p in out.rglob("cur/*"))
    assert exported == sorted(files.values())
    assert oct(os.stat(out).st_mode & 0o777) == "0o700"
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in out.rglob("cur/*"))

    other = jmapd.add_user()
    again = jmapd("import", "maildir", str(out), "--user", other)
    assert again.returncode == 0, again.stderr
    after = view(jmapd.data, other)
    assert after.emails == before.emails


def test_eml_corpus_round_trips_through_mbox(jmapd, corpus, tmp_path, view):
    """mboxrd (RFC 4155 and its From-quoting): the export and re-import keep every message's octets,
    including bare-LF, CRLF, unterminated ones and lines beginning with From, with mailboxes,
    keywords and receivedAt."""
    user = jmapd.add_user()
    assert jmapd("import", "eml", str(corpus), "--user", user).returncode == 0
    before = view(jmapd.data, user)
    out = tmp_path / "mb"
    assert jmapd("export", "--user", user, "--format", "mbox", "--out", str(out)).returncode == 0
    other = jmapd.add_user()
    again = jmapd("import", "mbox", str(out), "--user", other)
    assert again.returncode == 0, again.stderr
    assert view(jmapd.data, other).emails == before.emails


def test_keywords_and_several_mailboxes_survive_both_exports(jmapd, tmp_path, view):
    """RFC 8621 §4.1.1: keywords (system and custom) and an Email in two mailboxes come back the same
    from a Maildir export (flag letters, dovecot-keywords) and from an mbox export (From line)."""
    source = tmp_path / "in"
    for sub in ("cur", "new", "tmp"):
        (source / sub).mkdir(parents=True)
        (source / ".Work.Deep" / sub).mkdir(parents=True)
        (source / ".Lists" / sub).mkdir(parents=True)
    (source / "dovecot-keywords").write_text("0 $Label1\n1 todo\n")
    same = b"Subject: twice\r\nMessage-ID: <t@x>\r\n\r\nboth\r\n"
    (source / "cur" / "1.a.host:2,FSab").write_bytes(b"Subject: flagged\n\nbody\n")
    (source / "new" / "2.b.host").write_bytes(b"Subject: new\n\nunread\n")
    (source / ".Work.Deep" / "cur" / "3.c.host:2,RS").write_bytes(same)
    (source / ".Lists" / "cur" / "4.d.host:2,S").write_bytes(same)
    os.utime(source / "cur" / "1.a.host:2,FSab", (1_500_000_000, 1_500_000_000))
    user = jmapd.add_user()
    result = jmapd("import", "maildir", str(source), "--user", user)
    assert result.returncode == 0, result.stderr
    v = view(jmapd.data, user)
    assert len(v.emails) == 3
    assert v.by_subject(b"flagged")[1:] == (("Inbox",), ("$flagged", "$label1", "$seen", "todo"), 1_500_000_000)
    assert v.by_subject(b"new")[2] == ()
    assert v.by_subject(b"twice")[1] == ("Lists", "Work/Deep")
    assert v.by_subject(b"twice")[2] == ("$answered", "$seen")  # keywords of both copies
    for fmt, kind in (("maildir", "maildir"), ("mbox", "mbox")):
        out = tmp_path / fmt
        assert jmapd("export", "--user", user, "--format", fmt, "--out", str(out)).returncode == 0
        other = jmapd.add_user()
        assert jmapd("import", kind, str(out), "--user", other).returncode == 0
        assert view(jmapd.data, other).emails == v.emails, fmt


def test_mboxrd_quoting_and_mail_program_flags(jmapd, tmp_path, view):
    """mboxrd: one '>' is removed from '>From ' lines, the newline before the next From line is the
    separator; Thunderbird's X-Mozilla-Status (read, replied, marked, expunged) and mutt's
    Status/X-Status give the keywords (RFC 8621 §4.1.1), and the octets stay as they were."""
    mbox = tmp_path / "Archive.mbox"
    mbox.write_bytes(
        b"From a@b Sat Jan  3 01:05:34 2004\n"
        b"Subject: one\nX-Mozilla-Status: 0005\n\n>From the start\n>>From quoted\nFrom-ish line\n\n"
        b"From a@b Sat Jan  3 01:05:35 2004\n"
        b"Subject: gone\nX-Mozilla-Status: 0009\n\nexpunged by Thunderbird\n\n"
        b"From a@b Sat Jan  3 01:05:36 2004\n"
        b"Subject: mutt\r\nStatus: RO\r\nX-Status: A\r\n\r\ncrlf body\r\n\n")
    user = jmapd.add_user()
    result = jmapd("import", "mbox", str(mbox), "--user", user)
    assert result.returncode == 0, result.stderr
    v = view(jmapd.data, user)
    assert len(v.emails) == 2
    one = v.by_subject(b"one")
    assert one[0] == b"Subject: one\nX-Mozilla-Status: 0005\n\nFrom the start\n>From quoted\nFrom-ish line\n"
    assert one[1:] == (("Archive",), ("$flagged", "$seen"), 1073091934)
    mutt = v.by_subject(b"mutt")
    assert mutt[0].endswith(b"crlf body\r\n") and mutt[2] == ("$answered", "$seen")


def test_truncated_mbox_reports_the_cut_message_and_a_rerun_continues(jmapd, tmp_path, view):
    """A file cut short inside a message: the complete ones are imported, the cut one is reported
    with the reason (exit status 1); once the file is whole, a rerun adds only what was missing."""
    whole = b"".join(b"From x Sat Jan  3 01:05:34 2004\nSubject: m%d\n\nbody %d\n\n" % (n, n) for n in range(5))
    mbox = tmp_path / "cut"
    mbox.write_bytes(whole[:-4])
    user = jmapd.add_user()
    result = jmapd("import", "mbox", str(mbox), "--user", user, "--mailbox", "Old/Mail")
    assert result.returncode == 1
    assert "truncated" in result.stdout and "total: 4 imported" in result.stdout
    mbox.write_bytes(whole)
    again = jmapd("import", "mbox", str(mbox), "--user", user, "--mailbox", "Old/Mail")
    assert again.returncode == 0, again.stdout
    assert "total: 1 imported, 0 added to another mailbox, 0 duplicates" in again.stdout
    v = view(jmapd.data, user)
    assert len(v.emails) == 5 and {e[1] for e in v.emails} == {("Old/Mail",)}


def test_thunderbird_folder_tree(jmapd, tmp_path, view):
    """Thunderbird's local folders: each mbox file a mailbox, `X.sbd/` holding X's subfolders, the
    .msf index files ignored; "Sent" and "Trash" land in the mailboxes with those roles."""
    root = tmp_path / "Local Folders"
    (root / "Projects.sbd").mkdir(parents=True)
    (root / "Sent").write_bytes(b"From - Sat Jan  3 01:05:34 2004\nSubject: s\n\nsent\n\n")
    (root / "Sent.msf").write_bytes(b"// <!-- <mdb:mork:z v=\"1.4\"/> -->")
    (root / "Trash").write_bytes(b"")
    (root / "Projects").write_bytes(b"")
    (root / "Projects.sbd" / "Garden").write_bytes(b"From - Sat Jan  3 01:05:34 2004\nSubject: g\n\nroses\n\n")
    user = jmapd.add_user()
    result = jmapd("import", "mbox", str(root), "--user", user)
    assert result.returncode == 0, result.stderr
    v = view(jmapd.data, user)
    assert v.by_subject(b"s")[1] == ("Sent",) and v.roles["Sent"] == "sent"
    assert v.by_subject(b"g")[1] == ("Projects/Garden",)


def test_a_maildir_file_renamed_or_removed_while_reading(tmp_path):
    """Maildir (a flag change renames a file, an expunge removes it): a renamed file is found under
    its unique name; a removed one is reported as vanished, not a crash."""
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "new" / "1.u.host").write_bytes(b"Subject: a\n\nx\n")
    (tmp_path / "new" / "2.v.host").write_bytes(b"Subject: b\n\ny\n")
    [folder] = maildir_format.folders(str(tmp_path))
    names = maildir_format.message_names(folder)
    os.rename(tmp_path / "new" / "1.u.host", tmp_path / "cur" / "1.u.host:2,S")
    os.remove(tmp_path / "new" / "2.v.host")
    moved = maildir_format.read_message(folder, *names[0], {})
    assert moved.raw == b"Subject: a\n\nx\n" and moved.keywords == ["$seen"]
    with pytest.raises(maildir_format.VanishedFile):
        maildir_format.read_message(folder, *names[1], {})


def test_bad_input_gets_one_line(jmapd, tmp_path):
    """Every fault is one line and an exit status, never a traceback: an unknown user (2), a missing
    file, a file that is not an mbox, a folder that is not a Maildir (1)."""
    user = jmapd.add_user()
    cases = [
        (["import", "mbox", str(tmp_path / "nope"), "--user", user], 1, "no such file"),
        (["import", "mbox", str(tmp_path / "x"), "--user", "nobody"], 2, "no user nobody"),
        (["import", "maildir", str(tmp_path), "--user", user], 1, "not a Maildir"),
        (["export", "--user", user, "--format", "mbox", "--out", str(tmp_path / "o"), "--mailbox", "Nope"], 2,
         "no mailbox named"),
    ]
    (tmp_path / "notmbox").write_bytes(b"Subject: hi\n\nbody\n")
    cases.append((["import", "mbox", str(tmp_path / "notmbox"), "--user", user], 1, "not an mbox"))
    for args, status, text in cases:
        result = jmapd(*args)
        assert result.returncode == status, (args, result.stderr)
        last = result.stderr.splitlines()[-1]
        assert text in last and last.startswith("jmapd: ") and result.stderr.count(text) == 1, result.stderr


def test_stats(jmapd, corpus, tmp_path):
    """`jmapd stats`: totals, per-mailbox counts and sizes, largest senders."""
    user = jmapd.add_user()
    shutil.copytree(corpus / "talon", tmp_path / "talon")
    assert jmapd("import", "eml", str(tmp_path / "talon"), "--user", user, "--mailbox", "Talon").returncode == 0
    out = jmapd("stats", "--user", user, check=True).stdout
    files = list((tmp_path / "talon").rglob("*.eml"))
    assert f"emails: {len(files)}" in out
    assert f"size: {sum(f.stat().st_size for f in files) / 1e6:.1f} MB" in out
    assert f"Talon\t-\t{len(files)}\t{len(files)}\t" in out
    assert "largest senders" in out
