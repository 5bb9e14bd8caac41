"""Fixtures for the import and export tests: the jmapd command, a look at an account as the store
holds it, and Dovecot (Debian's dovecot-imapd) started on loopback as an IMAP source."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from store import Store
from store.blobs import read_blob
from store.records import Mailbox
from store.users import get_user

from jmapd.mail.records import EmailRecord

JMAPD = str(Path(sys.executable).with_name("jmapd"))
DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
_names = itertools.count(1)
PASSWORD = "remote-pw"


class Jmapd:
    """Runs `jmapd ...` as operators do, against one data folder."""

    def __init__(self, data: Path):
        self.data = data

    def __call__(self, *args: str, env: dict | None = None, check: bool = False,
                 timeout: float = 120) -> subprocess.CompletedProcess:
        full_env = {**os.environ, **(env or {})}
        result = subprocess.run([JMAPD, *args, "--data", str(self.data)], capture_output=True, text=True,
                                timeout=timeout, env=full_env, stdin=subprocess.DEVNULL)
        assert "Traceback" not in result.stderr, result.stderr
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def popen(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen([JMAPD, *args, "--data", str(self.data)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                                stdin=subprocess.DEVNULL)

    def add_user(self, name: str | None = None) -> str:
        name = name or f"u{next(_names)}"
        self("user", "add", name, "--password", "pw-" + name, check=True)
        return name


class AccountView:
    """An account as the store holds it, in terms that survive an export and an import: each
    message's octets with its mailboxes (by path), keywords and receivedAt."""

    def __init__(self, data: Path, user: str):
        store = Store.open(str(data))
        try:
            with store.read() as txn:
                account = get_user(txn, user).account_id
                boxes = dict(txn.scan(account, "Mailbox", Mailbox))
                self.paths = {i: self._path(boxes, i) for i in boxes}
                self.roles = {self.paths[i]: b.role for i, b in boxes.items()}
                self.emails = []
                for _, record in txn.scan(account, "Email", EmailRecord):
                    raw = read_blob(txn, account, record.blob_id)
                    self.emails.append((raw, tuple(sorted(self.paths[m] for m in record.mailbox_ids)),
                                        tuple(record.keywords), record.received_at))
        finally:
            store.close()
        self.emails.sort()

    @staticmethod
    def _path(boxes: dict[str, Mailbox], mailbox_id: str) -> str:
        names = []
        while mailbox_id is not None:
            names.append(boxes[mailbox_id].name)
            mailbox_id = boxes[mailbox_id].parent_id
        return "/".join(reversed(names))

    def in_mailbox(self, path: str) -> list[tuple]:
        return [e for e in self.emails if path in e[1]]

    def by_subject(self, subject: bytes) -> tuple:
        [found] = [e for e in self.emails if b"Subject: " + subject + b"\r\n" in e[0]
                   or b"Subject: " + subject + b"\n" in e[0]]
        return found


@pytest.fixture
def jmapd(tmp_path) -> Jmapd:
    return Jmapd(tmp_path / "data")


@pytest.fixture
def view():
    return AccountView


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """A real Dovecot on loopback, its users' mail in Maildirs under a temporary folder."""

    def __init__(self, root: Path, tls: tuple[Path, Path] | None = None):
        self.root = root
        self.port = _free_port()
        (root / "run").mkdir()
        (root / "state").mkdir()
        (root / "home").mkdir()
        if os.geteuid() == 0:  # Dovecot refuses to run its logins and mail as root
            mail_user, login_user = pwd.getpwnam("dovecot"), "dovenull"
        else:
            mail_user = pwd.getpwuid(os.getuid())
            login_user = mail_user.pw_name
        self.uid, self.gid = mail_user.pw_uid, mail_user.pw_gid
        ssl = "ssl = no"
        if tls is not None:
            ssl = f"ssl = required\nssl_cert = <{tls[0]}\nssl_key = <{tls[1]}"
        listener = "imaps" if tls else "imap"
        other = "imap" if tls else "imaps"
        (root / "dovecot.conf").write_text(textwrap.dedent(f"""\
            base_dir = {root}/run
            state_dir = {root}/state
            log_path = {root}/dovecot.log
            listen = 127.0.0.1
            protocols = imap
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            first_valid_uid = 1
            default_internal_user = {mail_user.pw_name}
            default_internal_group = {_group_name(self.gid)}
            default_login_user = {login_user}
            passdb {{
              driver = static
              args = password={PASSWORD}
            }}
            userdb {{
              driver = static
              args = uid={self.uid} gid={self.gid} home={root}/home/%u
            }}
            mail_location = maildir:~/Maildir
            namespace inbox {{
              inbox = yes
              separator = /
              mailbox Sent {{
                special_use = \\Sent
              }}
              mailbox "Sent Messages" {{
                special_use = \\Sent
              }}
              mailbox Junk {{
                special_use = \\Junk
              }}
              mailbox "[Gmail]/All Mail" {{
                special_use = \\All
              }}
              mailbox "[Gmail]/Starred" {{
                special_use = \\Flagged
              }}
            }}
            service imap-login {{
              inet_listener {listener} {{
                address = 127.0.0.1
                port = {self.port}
              }}
              inet_listener {other} {{
                port = 0
              }}
              chroot =
            }}
            service anvil {{
              chroot =
            }}
            {ssl}
            """))
        os.chown(root / "home", self.uid, self.gid)
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dovecot did not start: " + self.proc.stderr.read().decode())
                time.sleep(0.05)

    def add_user(self) -> tuple[str, str]:
        """A fresh remote user (every user name logs in with the one password; mail starts empty)."""
        return f"r{next(_names)}", PASSWORD

    def imap(self, user: str, password: str):
        import imaplib

        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(user, password)
        return conn

    def maildir(self, user: str) -> Path:
        return self.root / "home" / user / "Maildir"

    def fill_inbox(self, user: str, messages: list[bytes], flags: str = "S") -> None:
        """Put messages straight into the user's Maildir inbox (much faster than APPEND), owned
        by the user Dovecot runs mail as, named as Dovecot names them (with the sizes, `,S=` and `,W=`)."""
        folder = self.maildir(user)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(folder / sub, exist_ok=True)
        for n, raw in enumerate(messages):
            virtual = len(raw) + raw.count(b"\n") - raw.count(b"\r\n")  # the size with CRLF line ends
            (folder / "cur" / f"{1600000000 + n}.m{n}.host,S={len(raw)},W={virtual}:2,{flags}").write_bytes(raw)
        for path in [folder.parent, folder, *folder.rglob("*")]:
            os.chown(path, self.uid, self.gid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def dovecot_folder() -> Path:
    """A folder Dovecot's unprivileged processes can reach (pytest's own are private to the user)."""
    root = Path(tempfile.mkdtemp(prefix="jmapd-dovecot-"))
    os.chmod(root, 0o755)
    return root


@pytest.fixture(scope="module")
def dovecot():
    if DOVECOT is None:
        pytest.skip("Dovecot is not installed: `apt-get install dovecot-imapd` (Debian) runs these IMAP import tests")
    root = dovecot_folder()
    server = Dovecot(root)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def email_count(data: Path, user: str) -> int:
    """How many Emails the account holds now (read while another process may be writing)."""
    from jmapd.mail.writer import account_totals

    store = Store.open(str(data))
    try:
        with store.read() as txn:
            user_record = get_user(txn, user)
            return 0 if user_record is None else account_totals(txn, user_record.account_id)[0]
    finally:
        store.close()


@pytest.fixture
def count_emails():
    return email_count


def kill_after_first_commit(proc: subprocess.Popen, data: Path, user: str, timeout: float = 60) -> int:
    """kill -9 the process once some of its work is committed; returns the count it left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        count = email_count(data, user)
        if count > 0:
            proc.kill()
            proc.wait()
            return email_count(data, user)
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    raise AssertionError(f"nothing was committed before the process ended: {proc.stderr.read().decode()}")


@pytest.fixture
def kill_midway():
    return kill_after_first_commit


class DroppingProxy:
    """A loopback TCP proxy to `port` that cuts its first connection once `after` bytes went from
    the server to the client: a server dropping the connection mid-fetch. Later connections pass."""

    def __init__(self, port: int, after: int):
        import threading

        self.target = port
        self.after = after
        self.drops = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self._connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._connections += 1
            server = socket.create_connection(("127.0.0.1", self.target))
            limit = self.after if self._connections == 1 else None
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, limit), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    sink.sendall(data[: limit - sent])
                    self.drops += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def dropping_proxy():
    proxies = []

    def make(port: int, after: int) -> DroppingProxy:
        proxies.append(DroppingProxy(port, after))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def dovecot_tls():
    if DOVECOT is None:
        pytest.skip("Dovecot is not installed: `apt-get install dovecot-imapd` (Debian) runs these IMAP import tests")
    root = dovecot_folder()
    server = Dovecot(root, tls=self_signed(root))
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


class JmapdImap:
    """jmapd's own IMAP listener (jmapd serve --imap) over a data folder of its own, as a source
    with the same face as Dovecot: users are added with the one password, mail comes by APPEND."""

    def __init__(self):
        from jmapd.testing import LiveServer

        self.live = LiveServer(imap="127.0.0.1:0").start()
        self.port = self.live.server.extras["imap"].port

    def add_user(self) -> tuple[str, str]:
        name = f"j{next(_names)}"
        self.live.add_user(name, PASSWORD)
        return name, PASSWORD

    def imap(self, user: str, password: str):
        import imaplib

        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(user, password)
        return conn

    def stop(self) -> None:
        self.live.stop()


@pytest.fixture(scope="module")
def jmapd_imap():
    server = JmapdImap()
    yield server
    server.stop()


@pytest.fixture(params=["dovecot", "jmapd"])
def imap_source(request):
    """Each IMAP server the import is checked against: Dovecot, and jmapd's own listener."""
    return request.getfixturevalue("dovecot" if request.param == "dovecot" else "jmapd_imap")
