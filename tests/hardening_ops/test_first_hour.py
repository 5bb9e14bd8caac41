"""Issue 20, finding 10: a newcomer's first hour. Each mistake a new user made is one line naming
the problem and the fix, with exit status 2, never a traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from jmapd.testing import LiveServer, free_port


@pytest.fixture
def data(tmp_path, cli):
    folder = tmp_path / "data"
    assert cli.run("user", "add", "first", "--password", "pw", "--data", str(folder)).returncode == 0
    return folder


def test_empty_user_name(cli, data):
    """`jmapd user add ""` gave a ValueError traceback."""
    cli.mistake(cli.run("user", "add", "", "--password", "pw", "--data", str(data)), "empty")


def test_user_name_with_colon_is_refused(cli, data):
    """`x:y` was accepted but could never log in: HTTP Basic splits at the first colon (RFC 7617 §2)."""
    cli.mistake(cli.run("user", "add", "x:y", "--password", "pw", "--data", str(data)), "':'")
    cli.mistake(cli.run("user", "add", "two words", "--password", "pw", "--data", str(data)), "spaces")
    assert "x:y" not in cli.run("user", "list", "--data", str(data)).stdout


def test_invalid_email_is_refused(cli, data):
    """An invalid --email was said to be accepted; the address model refuses it, as one line."""
    cli.mistake(cli.run("user", "add", "mail", "--password", "pw", "--email", "not an address",
                        "--data", str(data)))
    assert "mail\t" not in cli.run("user", "list", "--data", str(data)).stdout


def test_empty_password_and_stdin_at_dev_null(cli, data):
    """An empty password was accepted, and with standard input at /dev/null one was set silently."""
    cli.mistake(cli.run("user", "add", "nopw", "--password", "", "--data", str(data)), "empty", "--password")
    cli.mistake(cli.run("user", "add", "nopw", "--data", str(data)), "empty")  # stdin is /dev/null
    assert "nopw" not in cli.run("user", "list", "--data", str(data)).stdout
    cli.mistake(cli.run("user", "passwd", "first", "--data", str(data)), "empty")
    piped = cli.run("user", "add", "piped", "--data", str(data), stdin=None, input="from-stdin\n")
    assert piped.returncode == 0, piped.stderr


def test_missing_data_folder_is_not_created(cli, tmp_path):
    """`--data` on a path that does not exist silently created it and its parents, even for `user list`."""
    missing = tmp_path / "no" / "such" / "folder"
    line = cli.mistake(cli.run("user", "list", "--data", str(missing)), str(missing), "serve --data")
    assert not (tmp_path / "no").exists()
    cli.mistake(cli.run("user", "add", "a", "--password", "pw", "--data", str(missing)), "does not exist")
    cli.mistake(cli.run("serve", "--port", "0", "--data", str(missing)), "does not exist")
    assert not (tmp_path / "no").exists()
    assert "jmapd" in line


def test_data_path_that_is_a_file(cli, tmp_path):
    """A non-directory data path gave NotADirectoryError."""
    file = tmp_path / "file"
    file.write_text("x")
    for args in (("user", "list"), ("serve", "--port", "0"), ("index", "rebuild")):
        cli.mistake(cli.run(*args, "--data", str(file)), "not a folder")


def as_nobody(cli, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", cli.path, *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs to run a command as another user")
def test_read_only_data_folder(cli, tmp_path):
    """A read-only data path gave PermissionError / lmdb.ReadonlyError tracebacks. Here the folder
    belongs to root and the command runs as nobody."""
    top = tempfile.mkdtemp(prefix="jmapd-ro-")
    try:
        check_read_only(cli, Path(top))
    finally:
        shutil.rmtree(top)
    cli.mistake(as_nobody(cli, "user", "list", "--data", str(tmp_path)), "cannot be reached")


def check_read_only(cli, top: Path) -> None:
    os.chmod(top, 0o755)
    data = top / "data"
    assert cli.run("user", "add", "first", "--password", "pw", "--data", str(data)).returncode == 0
    os.chmod(data, 0o755)
    cli.mistake(as_nobody(cli, "user", "list", "--data", str(data)), "not writable")
    cli.mistake(as_nobody(cli, "serve", "--port", "0", "--data", str(data)), "not writable")
    os.chmod(data, 0o777)  # the folder is writable, its store is not
    os.chmod(data / "store", 0o755)
    cli.mistake(as_nobody(cli, "user", "list", "--data", str(data)), "cannot open the store", str(data / "store"))


def test_missing_tls_file(cli, tmp_path, data):
    """A missing TLS file gave a uvicorn traceback without the file's name."""
    cert = tmp_path / "cert.pem"
    cli.mistake(cli.run("serve", "--port", "0", "--tls-cert", str(cert), "--tls-key", str(cert), "--data", str(data)),
                str(cert), "does not exist")
    cert.write_text("not a certificate")
    cli.mistake(cli.run("serve", "--port", "0", "--tls-cert", str(cert), "--tls-key", str(cert), "--data", str(data)),
                str(cert))
    cli.mistake(cli.run("serve", "--port", "0", "--tls-cert", str(cert), "--data", str(data)), "--tls-key")


def test_port_in_use_prints_nothing_and_creates_no_user(cli, tmp_path):
    """A port in use printed "serving" first and, on a new data folder, a password that was then lost."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        fresh = tmp_path / "fresh"
        done = cli.run("serve", "--port", str(port), "--data", str(fresh))
    cli.mistake(done, f"port {port}", "in use", "--port")
    assert "serving" not in done.stdout and "password" not in done.stdout
    assert not (fresh / "first-user-password").exists()


@pytest.mark.parametrize("flag,value,words", [
    ("--port", "99999", ("99999", "1 to 65535")),
    ("--port", "-1", ("-1",)),
    ("--workers", "0", ("workers", "at least 1")),
    ("--public-url", "not a url", ("not a url", "https://")),
    ("--public-url", "ftp://mail.example.com", ("ftp://",)),
])
def test_bad_serve_flags(cli, data, flag, value, words):
    """`--port 99999` printed 99999 but listened elsewhere; `--workers 0` was silently 1;
    `--public-url 'not a url'` was accepted and advertised."""
    done = cli.run("serve", flag, value, "--data", str(data))
    cli.mistake(done, *words)
    assert "serving" not in done.stdout


def test_bad_setting_from_the_environment(cli, data):
    """The same checks hold whichever source a setting comes from (JMAPD_* here)."""
    env = {**os.environ, "JMAPD_WORKERS": "0"}
    cli.mistake(cli.run("serve", "--data", str(data), env=env), "workers")


def test_live_server_port_and_add_user():
    """`LiveServer(port=...)` raised TypeError, and `add_user` returned the password hash."""
    port = free_port()
    with LiveServer(port=port) as server:
        assert server.port == port and server.url.endswith(f":{port}")
        user = server.add_user("alice", "secret", "alice@example.test")
        assert not hasattr(user, "password_hash")
        assert "scrypt" not in repr(user)
        session = httpx.get(server.url + "/jmap/session", auth=("alice", "secret")).json()
        assert user.account_id in session["accounts"] and user.name == "alice"


def test_hints_name_the_command_as_it_can_be_run(cli, tmp_path):
    """The server's hints said `jmapd ...`, which after `make serve` is only at .venv/bin/jmapd:
    a hint names the program as it can be typed from where the user is."""
    done = cli.run("user", "list", "--data", str(tmp_path / "missing"))
    hint = done.stderr.split("(the server creates its folder on first start: ")[1].split(" serve")[0]
    if hint != "jmapd":  # not on the PATH: the hint is a path that exists from the current folder
        assert os.path.isfile(hint) and os.path.samefile(hint, cli.path)


def test_make_compare_creates_its_output_folder_first(tmp_path):
    """`make compare` on a fresh clone ran for 6 minutes, then died writing into a missing bench/out/.
    The script now makes the folders of its outputs before anything else (here it stops right after,
    on a missing Cyrus peer)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = tmp_path / "fresh" / "out"
    done = subprocess.run([os.path.join(root, "bench", "compare.sh"), "--json-out", str(out / "c.json"),
                           "--markdown-out", str(out / "c.md")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CYRUS_PEER": str(tmp_path / "no-peer")})
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert out.is_dir()
