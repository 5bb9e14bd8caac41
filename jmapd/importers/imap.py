"""Importing an IMAP account with imaplib: folders, flags, INTERNALDATE; resumable and incremental.

Per folder the store keeps UIDVALIDITY, the highest UID imported and, where the server has
CONDSTORE (RFC 7162), the HIGHESTMODSEQ read: a rerun fetches only UIDs above the highest, and only
the flags changed since that modseq. Those numbers are written in the transaction that stores the
batch they cover, so a run killed at any point resumes with no gap and no duplicate. When a folder's
UIDVALIDITY changed (the server rebuilt it), its messages are matched again by Message-ID and size,
and only those not found are fetched.

Fetching runs in a thread of its own, a batch ahead of the store: while one batch is parsed and
committed the next is on the wire. A batch is one UID FETCH for many UIDs, sized by RFC822.SIZE so
memory stays bounded by the batch. A dropped connection is reconnected and the folder resumed
from its last commit, a few times, before the run gives up with a one-line error.
"""

from __future__ import annotations

import fnmatch
import imaplib
import logging
import queue
import ssl
import threading
import time
from dataclasses import dataclass, field

import msgspec

from .. import mutf7
from . import flags, ledger
from .destination import BATCH_BYTES, Batches, Destination, Incoming
from .files import ImportFault
from .folders import ALL_MAIL, VIRTUAL, Folders, role_for
from .imap_wire import Fetched, ListedFolder, message_id, parse_fetch, parse_list, quote, uid_set
from .ledger import FolderState
from .progress import Progress

log = logging.getLogger("jmapd.import.imap")

FETCH_MESSAGES = 250
RETRIES = 3
TIMEOUT_S = 60.0
_BODY_ITEMS = "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"
NO_DATA = "the server returned no data for it (expunged meanwhile, or unreadable there)"


class ImapSource(msgspec.Struct, kw_only=True):
    """Where to read from; everything but the password, which is never kept in this form."""

    host: str
    port: int = 993
    security: str = "tls"  # "tls", "starttls" or "plain"
    user: str
    insecure: bool = False
    folders: list[str] = []
    exclude: list[str] = []

    @property
    def key(self) -> str:
        """Names this source in the import ledger."""
        return f"imap:{self.user}@{self.host.lower()}:{self.port}"


class ImapFault(ImportFault):
    pass


class Stopped(ImapFault):
    """The server is shutting down: the pass ends at a batch boundary, to continue next time."""


class Dropped(Exception):
    """The connection went away mid-folder: reconnect and resume."""


@dataclass
class RemoteFolder:
    raw_name: bytes
    path: list[str]
    attributes: list[str]

    @property
    def label(self) -> str:
        return "/".join(self.path)

    @property
    def is_all_mail(self) -> bool:
        return ALL_MAIL in (a.lower() for a in self.attributes)


@dataclass
class Session:
    conn: imaplib.IMAP4
    capabilities: set[str] = field(default_factory=set)


def connect(source: ImapSource, password: str) -> Session:
    """Connect and log in; every way this can fail becomes one ImapFault line."""
    where = f"{source.host}:{source.port}"
    context = ssl.create_default_context()
    if source.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        if source.security == "tls":
            conn = imaplib.IMAP4_SSL(source.host, source.port, ssl_context=context, timeout=TIMEOUT_S)
        else:
            conn = imaplib.IMAP4(source.host, source.port, timeout=TIMEOUT_S)
            if source.security == "starttls":
                conn.starttls(context)
    except ssl.SSLCertVerificationError as exc:
        raise ImapFault(f"the certificate of {where} does not verify ({exc.verify_message}); "
                        "give --insecure to accept it anyway") from None
    except (ssl.SSLError, imaplib.IMAP4.error) as exc:
        raise ImapFault(f"TLS with {where} failed: {exc}") from None
    except OSError as exc:
        raise ImapFault(f"cannot connect to {where}: {exc.strerror or exc}") from None
    try:
        conn.login(source.user, password)
    except imaplib.IMAP4.error as exc:
        _close(conn)
        reason = str(exc).strip("b'\"")
        raise ImapFault(f"{where} refused the login of {source.user}: {reason}") from None
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise ImapFault(f"{where} closed the connection during login: {exc}") from None
    caps = {c.upper() for c in conn.capabilities}
    try:  # servers announce more once logged in (CONDSTORE among them)
        typ, data = conn.capability()
        if typ == "OK" and data and data[0]:
            caps |= {c.upper() for c in data[0].decode("ascii", "replace").split()}
    except imaplib.IMAP4.error:
        pass
    if "CONDSTORE" in caps:
        try:
            conn.enable("CONDSTORE")
        except imaplib.IMAP4.error:
            caps.discard("CONDSTORE")
    return Session(conn, caps)


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def list_folders(session: Session, source: ImapSource) -> list[RemoteFolder]:
    typ, data = session.conn.list()
    if typ != "OK":
        raise ImapFault(f"the server refused to list folders: {data}")
    folders = []
    for listed in parse_list(data):
        attrs = [a.lower() for a in listed.attributes]
        if "\\noselect" in attrs or "\\nonexistent" in attrs or any(a in VIRTUAL for a in attrs):
            continue
        path = _path(listed)
        label = "/".join(path)
        if source.folders and not any(fnmatch.fnmatch(label, p) for p in source.folders):
            continue
        if any(fnmatch.fnmatch(label, p) for p in source.exclude):
            continue
        folders.append(RemoteFolder(listed.raw_name, path, listed.attributes))
    # All Mail last: what no other folder held by then is what Gmail calls archived.
    folders.sort(key=lambda f: (f.is_all_mail, f.path[0].upper() != "INBOX", f.label.lower()))
    return folders


def _path(listed: ListedFolder) -> list[str]:
    try:
        name = mutf7.decode(listed.raw_name)
    except mutf7.BadFolderName:
        name = listed.raw_name.decode("utf-8", "replace")  # servers with UTF8=ACCEPT send UTF-8
    parts = name.split(listed.delimiter) if listed.delimiter else [name]
    return [p for p in parts if p] or [name]


class ImapImport:
    """One run over one remote account into one local account."""

    def __init__(self, source: ImapSource, password: str, destination: Destination, progress: Progress,
                 *, retries: int = RETRIES, retry_wait: float = 1.0, stop: threading.Event | None = None):
        self.source = source
        self.password = password
        self.destination = destination
        self.progress = progress
        self.retries = retries
        self.retry_wait = retry_wait
        self.folders = Folders(destination.store, destination.account_id)
        self.session: Session | None = None
        self.stop = stop or threading.Event()

    def run(self) -> None:
        self.session = connect(self.source, self.password)
        try:
            remote = list_folders(self.session, self.source)
            for folder in remote:
                if self.stop.is_set():
                    raise Stopped("stopped")
                self._folder_with_retries(folder)
        finally:
            if self.session is not None:
                _close(self.session.conn)
            self.progress.end_folder()

    def _folder_with_retries(self, folder: RemoteFolder) -> None:
        for attempt in range(self.retries + 1):
            try:
                self._folder(folder)
                return
            except (Dropped, imaplib.IMAP4.abort, OSError) as exc:
                if attempt == self.retries:
                    raise ImapFault(f"the connection to {self.source.host} kept dropping in {folder.label} "
                                    f"({exc}); what was imported is kept, and a rerun continues") from None
                log.warning("connection lost in %s (%s); reconnecting", folder.label, exc)
                time.sleep(self.retry_wait * (2 ** attempt))
                if self.session is not None:
                    _close(self.session.conn)
                self.session = None
                self.session = connect(self.source, self.password)

    # -- one folder --------------------------------------------------------------------------------
    def _folder(self, folder: RemoteFolder) -> None:
        conn = self.session.conn
        typ, data = conn.select(quote(folder.raw_name), readonly=True)
        if typ != "OK":
            self.progress.folder(folder.label)
            self.progress.fail(f"the server would not open the folder: {_text(data)}")
            return
        uidvalidity = _number(conn, "UIDVALIDITY")
        modseq = _number(conn, "HIGHESTMODSEQ") if "CONDSTORE" in self.session.capabilities else 0
        key = self.source.key
        state = self.destination.state(key, folder.raw_name.decode("ascii", "replace"))
        folder_key = folder.raw_name.decode("ascii", "replace")
        mailbox_id = self._mailbox(folder)

        if state.uidvalidity and state.uidvalidity != uidvalidity:
            wanted = self._rematch(folder_key, uidvalidity)
            state = FolderState(uidvalidity=uidvalidity)
        else:
            if state.highest_uid and state.highest_modseq and modseq > state.highest_modseq:
                self._flag_changes(folder_key, state, modseq)
            wanted = self._sizes(f"{state.highest_uid + 1}:*", above=state.highest_uid)
            wanted.update(self._sizes(uid_set(state.failed), above=0) if state.failed else {})
            state = msgspec.structs.replace(state, uidvalidity=uidvalidity, failed=[])
        self.progress.folder(folder.label, total=len(wanted))
        if not wanted:
            state.highest_modseq = max(state.highest_modseq, modseq)
            self.destination.save_state(key, folder_key, state)
            return
        self._fetch_all(folder, folder_key, mailbox_id, wanted, state, modseq)

    def _mailbox(self, folder: RemoteFolder) -> str:
        if folder.is_all_mail:
            return self.folders.mailbox(["Archive"], "archive")
        return self.folders.mailbox(folder.path, role_for(folder.path, folder.attributes))

    def _sizes(self, uids: str, above: int) -> dict[int, int]:
        """UID -> RFC822.SIZE for these UIDs (only those above `above`: "n:*" always names the last)."""
        typ, data = self.session.conn.uid("FETCH", uids, "(UID RFC822.SIZE)")
        if typ != "OK":
            raise Dropped(f"UID FETCH sizes: {_text(data)}")
        return {f.uid: f.size or 0 for f in parse_fetch(data) if f.uid > above}

    def _rematch(self, folder_key: str, uidvalidity: int) -> dict[int, int]:
        """After a UIDVALIDITY change: point the folder's new UIDs at the Emails already imported
        (matched by Message-ID and size), and return the UIDs still to fetch."""
        conn = self.session.conn
        typ, data = conn.uid("FETCH", "1:*", "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        if typ != "OK":
            raise Dropped(f"UID FETCH headers: {_text(data)}")
        found, wanted, highest = [], {}, 0
        for item in parse_fetch(data):
            mid = message_id(item.body or b"")
            email_id = None if mid is None else self.destination.find(
                ledger.message_id_key(self.source.key, mid, item.size or 0))
            if email_id is not None:
                found.append((ledger.uid_key(self.source.key, folder_key, uidvalidity, item.uid), email_id))
                highest = max(highest, item.uid)
            else:
                wanted[item.uid] = item.size or 0
        # Matched UIDs above every unmatched one need no fetch: the resume point may pass them.
        below_wanted = min(wanted) - 1 if wanted else highest
        self.destination.remember_keys(found, self.source.key, folder_key,
                                       FolderState(uidvalidity=uidvalidity, highest_uid=min(highest, below_wanted)))
        return wanted

    def _flag_changes(self, folder_key: str, state: FolderState, modseq: int) -> None:
        typ, data = self.session.conn.uid("FETCH", f"1:{state.highest_uid}", "(UID FLAGS)",
                                          f"(CHANGEDSINCE {state.highest_modseq})")
        if typ != "OK":
            raise Dropped(f"UID FETCH CHANGEDSINCE: {_text(data)}")
        changes = [(ledger.uid_key(self.source.key, folder_key, state.uidvalidity, f.uid), flags.from_imap(f.flags))
                   for f in parse_fetch(data) if f.uid <= state.highest_uid]
        if changes:
            # The modseq is not advanced here: the new messages' batches carry it once they are stored.
            self.destination.set_keywords(changes, self.source.key, folder_key, state)

    def _fetch_all(self, folder: RemoteFolder, folder_key: str, mailbox_id: str, wanted: dict[int, int],
                   state: FolderState, modseq: int) -> None:
        batches = _plan(wanted)
        results: queue.Queue = queue.Queue(maxsize=2)
        stop = threading.Event()
        fetcher = threading.Thread(target=self._fetcher, args=(folder, state.uidvalidity, batches, results, stop),
                                   daemon=True, name="jmapd-imap-fetch")
        fetcher.start()
        key = self.source.key
        store = Batches(self.destination, key, folder_key, self.progress.advance)
        failed = list(state.failed)
        try:
            for uids in batches:
                if self.stop.is_set():
                    raise Stopped("stopped")
                got = results.get()
                if isinstance(got, BaseException):
                    raise got
                fetched, reasons = got
                by_uid = {f.uid: f for f in fetched if f.body is not None}
                for uid in uids:
                    item = by_uid.get(uid)
                    if item is None:
                        failed.append(uid)
                        self.progress.fail(f"UID {uid}: {reasons.get(uid, NO_DATA)}")
                        continue
                    keys = [ledger.uid_key(key, folder_key, state.uidvalidity, uid)]
                    mid = message_id(item.body)
                    if mid is not None:
                        keys.append(ledger.message_id_key(key, mid, item.size or len(item.body)))
                    state = FolderState(uidvalidity=state.uidvalidity, highest_uid=max(state.highest_uid, uid),
                                        highest_modseq=state.highest_modseq, failed=sorted(set(failed)))
                    store.add(Incoming(item.body, mailbox_id, flags.from_imap(item.flags), item.internaldate,
                                       keys=keys, only_if_new=folder.is_all_mail), state)
                if uids is batches[-1]:
                    # The folder is read up to the modseq seen when it was opened.
                    state = msgspec.structs.replace(state, highest_modseq=max(modseq, state.highest_modseq),
                                                    failed=sorted(set(failed)),
                                                    highest_uid=max(state.highest_uid, max(uids)))
                    store.advance(state)
        finally:
            stop.set()
            try:
                store.finish()
            finally:
                fetcher.join(timeout=5)

    def _fetcher(self, folder: RemoteFolder, uidvalidity: int, batches: list[list[int]], results: queue.Queue,
                 stop: threading.Event) -> None:
        """Fetches batch after batch for the storing thread: (messages, why some UIDs are missing),
        or the exception that ended the folder."""
        drops = _Drops(self.retries + 2)
        for uids in batches:
            if stop.is_set():
                return
            try:
                got: object = self._fetch_batch(folder, uidvalidity, uids, drops)
            except BaseException as exc:  # handed to the storing thread, which decides
                got = Dropped(str(exc)) if isinstance(exc, (OSError, imaplib.IMAP4.abort)) else exc
            while not stop.is_set():
                try:
                    results.put(got, timeout=0.5)
                    break
                except queue.Full:
                    continue
            if isinstance(got, BaseException):
                return

    def _fetch_batch(self, folder: RemoteFolder, uidvalidity: int, uids: list[int],
                     drops: "_Drops") -> tuple[list[Fetched], dict[int, str]]:
        conn = self.session.conn
        try:
            typ, data = conn.uid("FETCH", uid_set(uids), _BODY_ITEMS)
        except (OSError, imaplib.IMAP4.abort) as exc:
            # A network fault, or a server hanging up on a message it cannot read (Dovecot says
            # BYE): reconnect, and take this batch a message at a time to tell which.
            self._reopen(folder, uidvalidity, exc, drops)
            return self._one_by_one(folder, uidvalidity, uids, drops)
        drops.fine()
        # After a NO, imaplib keeps what came before it among the untagged responses.
        got = parse_fetch(data if typ == "OK" else conn.untagged_responses.pop("FETCH", []))
        have = {f.uid for f in got if f.body is not None}
        missing = [uid for uid in uids if uid not in have]
        if not missing:
            return got, {}
        more, reasons = self._one_by_one(folder, uidvalidity, missing, drops)
        return got + more, reasons

    def _one_by_one(self, folder: RemoteFolder, uidvalidity: int, uids: list[int],
                    drops: "_Drops") -> tuple[list[Fetched], dict[int, str]]:
        """Each UID fetched alone, so one the server cannot return fails alone, with the reason: a
        NO, no data, or the connection closed twice in a row when asked for it."""
        out: list[Fetched] = []
        reasons: dict[int, str] = {}
        for uid in uids:
            for attempt in range(2):
                try:
                    typ, data = self.session.conn.uid("FETCH", str(uid), _BODY_ITEMS)
                except (OSError, imaplib.IMAP4.abort) as exc:
                    self._reopen(folder, uidvalidity, exc, drops)
                    reasons[uid] = f"the server closed the connection when asked for it ({_one_line(exc)})"
                    continue
                drops.fine()
                found = [f for f in parse_fetch(data) if f.uid == uid and f.body is not None] if typ == "OK" else []
                if found:
                    out += found
                    reasons.pop(uid, None)
                else:
                    reasons[uid] = NO_DATA if typ == "OK" else f"the server answered {typ}: {_text(data)}"
                break
        return out, reasons

    def _reopen(self, folder: RemoteFolder, uidvalidity: int, exc: BaseException, drops: "_Drops") -> None:
        """A new connection on the same folder, after a pause; Dropped (the whole folder starts
        again from its last commit) when drops keep coming or the folder was rebuilt meanwhile."""
        drops.dropped(exc)
        log.warning("connection lost in %s (%s); reconnecting", folder.label, _one_line(exc))
        _close(self.session.conn)
        time.sleep(self.retry_wait)
        try:
            self.session = connect(self.source, self.password)
        except ImapFault as fault:
            raise Dropped(str(fault)) from None
        typ, data = self.session.conn.select(quote(folder.raw_name), readonly=True)
        if typ != "OK" or _number(self.session.conn, "UIDVALIDITY") != uidvalidity:
            raise Dropped(f"{folder.label} changed while reconnecting")


class _Drops:
    """Connection drops in a row with no successful FETCH between them: past `limit`, the network
    (not one unreadable message) is at fault, and the folder's retries take over."""

    def __init__(self, limit: int):
        self.limit = limit
        self.count = 0

    def fine(self) -> None:
        self.count = 0

    def dropped(self, exc: BaseException) -> None:
        self.count += 1
        if self.count > self.limit:
            raise Dropped(_one_line(exc))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if text.startswith("command: ") and " => " in text:  # imaplib's wording of a BYE
        text = text.split(" => ", 1)[1]
    return text.splitlines()[0]


def _plan(wanted: dict[int, int]) -> list[list[int]]:
    """UIDs in order, cut into batches of at most FETCH_MESSAGES messages and about BATCH_BYTES."""
    batches: list[list[int]] = [[]]
    size = 0
    for uid in sorted(wanted):
        if batches[-1] and (len(batches[-1]) >= FETCH_MESSAGES or size + wanted[uid] > BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(uid)
        size += wanted[uid]
    return [b for b in batches if b]


def _number(conn: imaplib.IMAP4, name: str) -> int:
    _, data = conn.response(name)
    try:
        return int(data[-1]) if data and data[-1] is not None else 0
    except (TypeError, ValueError):
        return 0


def _text(data) -> str:
    if isinstance(data, list) and data:
        data = data[0]
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)


def import_account(source: ImapSource, password: str, destination: Destination, progress: Progress,
                   **options) -> None:
    ImapImport(source, password, destination, progress, **options).run()

