"""Helpers for the Email/query, Email/queryChanges, search and SearchSnippet tests (RFC 8621 §4.4,
§4.5, §5; RFC 8620 §5.5, §5.6), all over real HTTP against the session's live server.

Test modules import the plain helpers with ``from .conftest import ...``; accounts come from the
module-scoped `make_account` fixture, so a module's data is imported once and shared by its tests.
"""

from __future__ import annotations

import itertools
import os
import re
import unicodedata
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from functools import cmp_to_key
from pathlib import Path
from typing import Any, Iterable

import httpx
import pytest

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"

CORPUS = Path(os.environ.get("JMAPD_CORPUS", "/work/shared/corpus"))
for _candidate in (Path(__file__).resolve().parents[3] / "shared" / "corpus", CORPUS):
    if (_candidate / "manifest.tsv").is_file():
        CORPUS = _candidate
        break

_serial = itertools.count(1)


# -- messages ------------------------------------------------------------------------------------

def utc(epoch: int) -> str:
    """A UTCDate (RFC 8620 §1.4) for a Unix time."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(subject: str = "Hello", *, sender: tuple[str, str] | None = ("Alice Example", "alice@example.org"),
          to: Iterable[tuple[str, str]] = (("Bob Example", "bob@example.net"),),
          cc: Iterable[tuple[str, str]] = (), bcc: Iterable[tuple[str, str]] = (),
          date: int | str | None = 1_577_934_245, msgid: str | None = None, in_reply_to: str | None = None,
          references: Iterable[str] = (), body: str | None = "Hello there.\n", html: str | None = None,
          attachments: Iterable[tuple[str, bytes, str]] = (), headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """An RFC 5322 message with CRLF line endings, built by the standard library.

    Addresses are (display name, address) pairs; msgid, in_reply_to and references come without angle
    brackets; attachments are (file name, content, media type); `date` is a Unix time, a Date header
    field value, or None for no Date header field.
    """
    msg = EmailMessage(policy=SMTP)
    if sender is not None:
        msg["From"] = _addresses([sender])
    to = list(to)
    if to:
        msg["To"] = _addresses(to)
    if cc:
        msg["Cc"] = _addresses(cc)
    if bcc:
        msg["Bcc"] = _addresses(bcc)
    if subject is not None:
        msg["Subject"] = subject
    if isinstance(date, str):
        msg["Date"] = date
    elif date is not None:
        msg["Date"] = format_datetime(datetime.fromtimestamp(date, timezone.utc))
    msg["Message-ID"] = f"<{msgid or f'q{next(_serial)}.{os.getpid()}@query.test'}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    references = list(references)
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    for name, value in headers:
        msg[name] = value
    if html is not None and body is not None:
        msg.set_content(body)
        msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body or "")
    for filename, content, media_type in attachments:
        maintype, subtype = media_type.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def _addresses(pairs: Iterable[tuple[str, str]]) -> str:
    from email.headerregistry import Address

    return ", ".join(str(Address(display_name=name, addr_spec=addr)) for name, addr in pairs)


# -- the §5.6 splice algorithm -------------------------------------------------------------------

def splice(old: list[str], removed: list[str], added: list[dict[str, Any]], total: int | None = None) -> list[str]:
    """Apply a /queryChanges response to a fully cached result list, exactly as RFC 8620 §5.6 says:
    splice out every removed id, splice in each added item at its index (lowest index first), then
    truncate or extend to the new total."""
    gone = set(removed)
    ids: list[str | None] = [i for i in old if i not in gone]
    indexes = [a["index"] for a in added]
    assert indexes == sorted(indexes), "added MUST be sorted by index (RFC 8620 §5.6)"
    for item in added:
        ids.insert(item["index"], item["id"])
    if total is not None:
        ids = ids[:total] + [None] * (total - len(ids))
    return ids  # type: ignore[return-value]


# -- an account over HTTP -------------------------------------------------------------------------

class MethodFailed(AssertionError):
    pass


class Account:
    """One account driven the way a client drives it: JSON over HTTP, nothing in-process."""

    def __init__(self, base_url: str, username: str, password: str):
        self.http = httpx.Client(base_url=base_url, auth=(username, password), timeout=60)
        self.username = username
        self.session = self.http.get("/jmap/session").raise_for_status().json()
        self.account_id = self.session["primaryAccounts"][MAIL]
        self.api_url = self.session["apiUrl"]
        self._mailboxes: dict[str, str] | None = None

    def close(self) -> None:
        self.http.close()

    # -- calls -------------------------------------------------------------------------------------
    def request(self, calls: list[list[Any]], using: list[str] | None = None) -> list[list[Any]]:
        response = self.http.post(self.api_url, json={"using": using or [CORE, MAIL], "methodCalls": calls})
        assert response.status_code == 200, response.text
        return response.json()["methodResponses"]

    def call(self, method: str, args: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        args = {"accountId": self.account_id, **(args or {})}
        name, result, _ = self.request([[method, args, "c0"]])[0]
        return name, result

    def ok(self, method: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        name, result = self.call(method, args)
        if name != method:
            raise MethodFailed(f"{method} answered {name}: {result}")
        return result

    def error(self, method: str, args: dict[str, Any] | None = None) -> str:
        """The type of the method-level error the call must produce."""
        name, result = self.call(method, args)
        assert name == "error", f"{method} should have failed but answered {result}"
        return result["type"]

    # -- Email/query -------------------------------------------------------------------------------
    def query(self, filter: Any = None, sort: list[dict[str, Any]] | None = None, **args: Any) -> dict[str, Any]:
        body: dict[str, Any] = dict(args)
        if filter is not None:
            body["filter"] = filter
        if sort is not None:
            body["sort"] = sort
        return self.ok("Email/query", body)

    def ids(self, filter: Any = None, sort: list[dict[str, Any]] | None = None, **args: Any) -> list[str]:
        return self.query(filter, sort, **args)["ids"]

    def query_error(self, filter: Any = None, sort: list[dict[str, Any]] | None = None, **args: Any) -> str:
        body: dict[str, Any] = dict(args)
        if filter is not None:
            body["filter"] = filter
        if sort is not None:
            body["sort"] = sort
        return self.error("Email/query", body)

    # -- mailboxes ---------------------------------------------------------------------------------
    @property
    def mailboxes(self) -> dict[str, str]:
        """Mailbox id by role, or by name for mailboxes without a role."""
        if self._mailboxes is None:
            listed = self.ok("Mailbox/get", {"ids": None})["list"]
            self._mailboxes = {m["role"] or m["name"]: m["id"] for m in listed}
        return self._mailboxes

    def mailbox(self, name: str) -> str:
        """The id of the mailbox with this role or name, created (top level) if missing."""
        if name not in self.mailboxes:
            created = self.ok("Mailbox/set", {"create": {"m": {"name": name}}})
            assert created["notCreated"] is None, created["notCreated"]
            self._mailboxes[name] = created["created"]["m"]["id"]
        return self.mailboxes[name]

    def mailbox_counts(self, mailbox_id: str) -> dict[str, Any]:
        (found,) = self.ok("Mailbox/get", {"ids": [mailbox_id]})["list"]
        return found

    # -- Email/import ------------------------------------------------------------------------------
    def upload(self, data: bytes) -> str:
        r = self.http.post(f"/jmap/upload/{self.account_id}/", content=data,
                           headers={"content-type": "message/rfc822"})
        assert r.status_code in (200, 201), r.text
        return r.json()["blobId"]

    def import_item(self, raw: bytes, mailboxes: Iterable[str] = ("inbox",), keywords: Iterable[str] = (),
                    received_at: int | None = None) -> dict[str, Any]:
        """An EmailImport object (RFC 8621 §4.8); mailboxes are names or roles."""
        item: dict[str, Any] = {"blobId": self.upload(raw),
                                "mailboxIds": {self.mailbox(m): True for m in mailboxes},
                                "keywords": {k: True for k in keywords}}
        if received_at is not None:
            item["receivedAt"] = utc(received_at)
        return item

    def import_many(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Import EmailImport objects (see `import_item`) in one call; all must succeed."""
        created: list[dict[str, Any]] = []
        for start in range(0, len(items), 200):
            chunk = items[start:start + 200]
            result = self.ok("Email/import", {"emails": {f"k{i}": item for i, item in enumerate(chunk)}})
            assert result["notCreated"] is None, result["notCreated"]
            created += [result["created"][f"k{i}"] for i in range(len(chunk))]
        return created

    def import_one(self, raw: bytes, **kw: Any) -> dict[str, Any]:
        return self.import_many([self.import_item(raw, **kw)])[0]

    def get(self, ids: list[str] | None, properties: list[str] | None = None) -> list[dict[str, Any]]:
        result = self.ok("Email/get", {"ids": ids, "properties": properties})
        assert result["notFound"] == [], result["notFound"]
        return result["list"]

    def set(self, **args: Any) -> dict[str, Any]:
        result = self.ok("Email/set", args)
        for key in ("notCreated", "notUpdated", "notDestroyed"):
            assert not result.get(key), result
        return result


@pytest.fixture(scope="module")
def make_account(live):
    """A factory of fresh accounts, closed at the end of the module."""
    accounts: list[Account] = []

    def make() -> Account:
        name = f"q{os.getpid()}x{next(_serial)}"
        live.add_user(name, "query-pw", f"{name}@example.test")
        account = Account(live.url, name, "query-pw")
        accounts.append(account)
        return account

    yield make
    for account in accounts:
        account.close()


# -- what the RFCs say a result must be ------------------------------------------------------------

def words(text: str) -> list[str]:
    """Words of ASCII test text, case-folded (the test plants only ASCII words it searches for)."""
    return re.findall(r"[0-9a-z]+", text.casefold())


def query_sequences(text: str) -> list[list[str]]:
    """RFC 8621 §4.4.1 text matching: quoted (' or ") text is one phrase, and outside quotes white
    space divides tokens that must all be present (a token such as "example.fr" is its words in a row)."""
    sequences = [words(a or b or c) for a, b, c in re.findall(r'"([^"]*)"|\'([^\']*)\'|(\S+)', text)]
    return [s for s in sequences if s]


def contains(tokens: list[str], seq: list[str]) -> bool:
    n = len(seq)
    return any(tokens[i:i + n] == seq for i in range(len(tokens) - n + 1))


TEXT_FIELDS = ("from", "to", "cc", "bcc", "subject", "body", "attachments")


def rfc5256_base_subject(subject: str | None) -> str:
    """RFC 5256 §2.1 base subject, step by step (steps 1-7; RFC 2047 decoding is already done)."""
    text = re.sub(r"[ \t\r\n]+", " ", subject or "")  # (1)
    blob = r"\[[^\[\]]*\][ \t]*"
    refwd = r"(?:re|fwd?)[ \t]*(?:" + blob + r")?:"
    leader = re.compile(r"(?:" + blob + r")*" + refwd + r"|[ \t]", re.I)
    while True:
        while True:  # (2) subj-trailer = "(fwd)" / WSP
            cut = re.sub(r"(?:\(fwd\)|[ \t])$", "", text, flags=re.I)
            if cut == text:
                break
            text = cut
        while True:  # (5) repeat (3) and (4)
            before = text
            m = leader.match(text)  # (3)
            if m and m.end():
                text = text[m.end():]
            m = re.match(blob, text)  # (4) only if a non-empty subj-base remains
            if m and text[m.end():].strip(" \t"):
                text = text[m.end():]
            if text == before:
                break
        if text[:5].lower() == "[fwd:" and text.endswith("]"):  # (6)
            text = text[5:-1]
            continue
        return text  # (7)


def collation_key(collation: str | None, value: str):
    """A key ordering strings as the named RFC 4790 collation does.

    i;ascii-casemap (RFC 4790 §9.2): octets, a-z mapped to A-Z. i;unicode-casemap (RFC 5051): each
    character titlecased, then NFKD, compared as octets. i;ascii-numeric (RFC 4790 §9.3): the leading
    digits as a number, strings without one after every number. Code point order is UTF-8 octet order.
    """
    if collation == "i;ascii-casemap":
        return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in value)
    if collation == "i;unicode-casemap":
        titled = "".join(t if len(t := c.title()) == 1 else c for c in value)
        return unicodedata.normalize("NFKD", titled)
    if collation == "i;ascii-numeric":
        digits = re.match(r"[0-9]*", value).group()
        return (0, int(digits)) if digits else (1, 0)
    raise ValueError(collation)


class AnyCaseInsensitive:
    """A string under the server's default collation, which RFC 8620 §5.5 leaves to the server
    (Unicode-aware, case-insensitive): two values are in order only if i;unicode-casemap and plain
    case folding agree on it, and tie otherwise. Not transitive: for adjacent-pair checks only."""

    def __init__(self, text: str):
        self.keys = (collation_key("i;unicode-casemap", text), text.casefold())

    def _sign(self, other: "AnyCaseInsensitive") -> int:
        signs = {(a > b) - (a < b) for a, b in zip(self.keys, other.keys)}
        return signs.pop() if len(signs) == 1 else 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnyCaseInsensitive) and self._sign(other) == 0

    def __lt__(self, other: "AnyCaseInsensitive") -> bool:
        return self._sign(other) < 0


def _epoch(utc_date: str | None) -> float | None:
    if utc_date is None:
        return None
    return datetime.fromisoformat(utc_date.replace("Z", "+00:00")).timestamp()


class Model:
    """The test's own view of an account's Emails, for computing what a query must return.

    Metadata comes from Email/get (what the RFC defines conditions and sorts on); the text of each
    email is what the test put into it (`texts[id][field]`, fields as in TEXT_FIELDS), and `headers`
    the extra header fields it added.
    """

    PROPERTIES = ["threadId", "mailboxIds", "keywords", "size", "receivedAt", "hasAttachment", "from", "to",
                  "subject", "sentAt"]

    def __init__(self, account: "Account"):
        self.account = account
        self.emails: dict[str, dict[str, Any]] = {}
        self.texts: dict[str, dict[str, str]] = {}
        self.headers: dict[str, list[tuple[str, str]]] = {}
        self.names: dict[str, str] = {}  # test's name -> email id
        self._thread_cache: dict[str, list[set[str]]] | None = None

    def add(self, name: str, email_id: str, texts: dict[str, str], headers: Iterable[tuple[str, str]] = ()):
        self.names[name] = email_id
        self.texts[email_id] = {f: texts.get(f, "") for f in TEXT_FIELDS}
        self.headers[email_id] = list(headers)

    def __getitem__(self, name: str) -> str:
        return self.names[name]

    def refresh(self) -> None:
        listed = self.account.get(list(self.texts), self.PROPERTIES)
        self.emails = {e["id"]: e for e in listed}
        self._thread_cache = None

    def threads(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for email_id, e in self.emails.items():
            out.setdefault(e["threadId"], []).append(email_id)
        return out

    # -- filters (RFC 8621 §4.4.1, RFC 8620 §5.5) ---------------------------------------------------
    def matching(self, node: Any) -> set[str]:
        return {i for i in self.emails if self.matches(node, i)}

    def matches(self, node: dict[str, Any], email_id: str) -> bool:
        if "operator" in node:
            results = [self.matches(c, email_id) for c in node["conditions"]]
            if node["operator"] == "AND":
                return all(results)
            if node["operator"] == "OR":
                return any(results)
            return not any(results)
        return all(self._condition(prop, value, email_id) for prop, value in node.items())

    def _thread_keywords(self, email_id: str) -> list[set[str]]:
        if self._thread_cache is None:
            self._thread_cache = {}
            for e in self.emails.values():
                self._thread_cache.setdefault(e["threadId"], []).append(set(e["keywords"]))
        return self._thread_cache[self.emails[email_id]["threadId"]]

    def _condition(self, prop: str, value: Any, email_id: str) -> bool:
        e = self.emails[email_id]
        if prop == "inMailbox":
            return value in e["mailboxIds"]
        if prop == "inMailboxOtherThan":
            return any(m not in value for m in e["mailboxIds"])
        if prop == "before":
            return _epoch(e["receivedAt"]) < _epoch(value)
        if prop == "after":
            return _epoch(e["receivedAt"]) >= _epoch(value)
        if prop == "minSize":
            return e["size"] >= value
        if prop == "maxSize":
            return e["size"] < value
        if prop == "hasKeyword":
            return value.lower() in e["keywords"]
        if prop == "notKeyword":
            return value.lower() not in e["keywords"]
        if prop == "allInThreadHaveKeyword":
            return all(value.lower() in k for k in self._thread_keywords(email_id))
        if prop == "someInThreadHaveKeyword":
            return any(value.lower() in k for k in self._thread_keywords(email_id))
        if prop == "noneInThreadHaveKeyword":
            return not any(value.lower() in k for k in self._thread_keywords(email_id))
        if prop == "hasAttachment":
            return e["hasAttachment"] == value
        if prop == "header":
            found = [v for n, v in self.headers[email_id] if n.lower() == value[0].lower()]
            if len(value) == 1:
                return bool(found)
            return any(value[1].casefold() in v.casefold() for v in found)
        fields = {"text": TEXT_FIELDS}.get(prop, (prop,))
        texts = self.texts[email_id]
        tokens = [words(texts[f]) for f in fields]
        return all(any(contains(t, seq) for t in tokens) for seq in query_sequences(value))

    # -- sorts (RFC 8621 §4.4.2, RFC 8620 §5.5) -----------------------------------------------------
    def sort_value(self, comparator: dict[str, Any], email_id: str):
        e = self.emails[email_id]
        prop = comparator["property"]
        if prop == "receivedAt":
            return _epoch(e["receivedAt"])
        if prop == "sentAt":
            return _epoch(e["sentAt"])
        if prop == "size":
            return e["size"]
        if prop in ("from", "to", "subject"):
            if prop == "subject":
                text = rfc5256_base_subject(e["subject"])
            else:
                first = (e[prop] or [{}])[0]
                text = first.get("name") or first.get("email") or ""
            if comparator.get("collation") is None:
                return AnyCaseInsensitive(text)
            return collation_key(comparator["collation"], text)
        keyword = comparator["keyword"].lower()
        if prop == "hasKeyword":
            return keyword in e["keywords"]
        if prop == "allInThreadHaveKeyword":
            return all(keyword in k for k in self._thread_keywords(email_id))
        if prop == "someInThreadHaveKeyword":
            return any(keyword in k for k in self._thread_keywords(email_id))
        raise ValueError(prop)

    def compare(self, sort: list[dict[str, Any]]):
        """A cmp function for the sort: negative when a comes first, 0 when the sort leaves a tie."""
        def cmp(a: str, b: str) -> int:
            for comparator in sort:
                va, vb = self.sort_value(comparator, a), self.sort_value(comparator, b)
                if va != vb:
                    result = -1 if va < vb else 1
                    return result if comparator.get("isAscending", True) else -result
            return 0
        return cmp

    def check_sorted(self, ids: list[str], sort: list[dict[str, Any]]) -> None:
        """The ids are in the sort's order: every adjacent pair is in order or tied."""
        cmp = self.compare(sort)
        for a, b in zip(ids, ids[1:]):
            assert cmp(a, b) <= 0, (f"{self.describe(a)} before {self.describe(b)} breaks {sort}")

    def expected(self, filter: Any, sort: list[dict[str, Any]], collapse: bool = False) -> list[str]:
        """The exact result, for sorts that leave no ties."""
        ids = sorted(self.matching(filter) if filter is not None else self.emails, key=cmp_to_key(self.compare(sort)))
        cmp = self.compare(sort)
        assert all(cmp(a, b) != 0 for a, b in zip(ids, ids[1:])), "this sort leaves ties"
        return winnow(ids, self.emails) if collapse else ids

    def describe(self, email_id: str) -> str:
        name = next((n for n, i in self.names.items() if i == email_id), email_id)
        e = self.emails.get(email_id, {})
        return f"{name}({e.get('subject')!r}, {e.get('receivedAt')})"


def winnow(ids: list[str], emails: dict[str, dict[str, Any]]) -> list[str]:
    """RFC 8621 §4.4.3: keep the first Email of each Thread, in list order."""
    seen: set[str] = set()
    out = []
    for i in ids:
        thread = emails[i]["threadId"]
        if thread not in seen:
            seen.add(thread)
            out.append(i)
    return out


# -- a small, varied mailbox shared by the filter, sort, collapse and window tests -------------------

T0 = 1_700_000_000  # receivedAt of the standard dataset: T0 + k hours, k distinct per email
_OFFSETS = ("+0500", "-0800", "+0000", "+0130", "-0330")


def _date_header(epoch: int, offset: str) -> str:
    """An RFC 5322 Date for an instant, written in the given zone (so text order is not time order)."""
    sign = 1 if offset[0] == "+" else -1
    delta = sign * (int(offset[1:3]) * 3600 + int(offset[3:]) * 60)
    local = datetime.fromtimestamp(epoch + delta, timezone.utc).replace(tzinfo=None)
    return local.strftime("%a, %d %b %Y %H:%M:%S ") + offset


# name: subject, sender, to, cc, bcc, body, attachments, mailboxes, keywords, k (receivedAt hour),
# thread parent name, extra headers. Names and words are chosen so the collations and RFC 5256 base
# subjects give different orders than naive ones would.
STANDARD = [
    dict(name="a1", subject="Budget review", sender=("Alice Zed", "alice@example.org"), to=[("Bob", "bob@example.net")],
         body="The quarterly numbers attached, lemur.",
         attachments=[("narwhal-figures.pdf", b"%PDF-1.4 x", "application/pdf")],
         mailboxes=["inbox"], keywords=["$seen"], k=3, headers=[("X-Priority", "1")]),
    dict(name="a2", subject="Re: Budget review", sender=("Bob", "bob@example.net"),
         to=[("Alice Zed", "alice@example.org")],
         body="Looks fine to me.", mailboxes=["inbox", "archive"], keywords=["$seen", "$flagged"], k=9, parent="a1"),
    dict(name="a3", subject="RE: Budget review", sender=("carol", "carol@example.com"), to=[("Bob", "bob@example.net")],
         cc=[("Dave Cc", "dave@example.com")], body="Agreed, ship the numbers.", mailboxes=["archive"],
         keywords=["$seen"], k=15, parent="a2"),
    dict(name="b1", subject="Offsite planning", sender=("_underscore team", "team@example.com"),
         to=[("Zoe", "zoe@example.com"), ("Adam", "adam@example.com")], cc=[("Dave Cc", "dave@example.com")],
         body="Where shall we go this year?", mailboxes=["inbox"], keywords=[], k=1),
    dict(name="b2", subject="Fwd: Offsite planning", sender=("Émile Durand", "emile@example.fr"),
         to=[("émile", "e2@example.fr")], body="Forwarding the plan.", mailboxes=["inbox"], keywords=["$flagged"],
         k=20, parent="b1"),
    dict(name="c1", subject="Lunch friday", sender=("beta tester", "beta@example.com"), to=[("Bob", "bob@example.net")],
         bcc=[("Eve Hidden", "eve@example.org")], body="Pizza or sushi?", mailboxes=["trash"], keywords=["$seen"], k=5),
    dict(name="c2", subject="Re: Lunch friday", sender=("Bob", "bob@example.net"),
         to=[("beta tester", "beta@example.com")],
         body="Sushi, obviously.", mailboxes=["Projects", "trash"], keywords=["$seen"], k=12, parent="c1"),
    dict(name="s1", subject="[Fwd: Zulu notes]", sender=("10 Ten", "ten@example.com"), to=[("_x", "x@example.com")],
         body="Notes on the zebra crossing.", mailboxes=["Projects"], keywords=[], k=7),
    dict(name="s2", subject="[PATCH]", sender=("9 nine", "nine@example.com"), to=[("Zoe", "zoe@example.com")],
         body="A patch without a title.", mailboxes=["Projects"], keywords=["$flagged"], k=2),
    dict(name="s3", subject="Re [list]: Aardvark sighting", sender=("100 hundred", "hundred@example.com"),
         to=[("beta tester", "beta@example.com")], body="Spotted one near the river.", mailboxes=["inbox"],
         keywords=[], k=17),
    dict(name="s4", subject="Mango (fwd)", sender=("ALPHA person", "alpha@example.com"),
         to=[("Émile Durand", "emile@example.fr")],
         body="Ripe mangoes for sale.", mailboxes=["archive"], keywords=["$seen"], k=8),
    dict(name="s5", subject="  Kiwi    talk ", sender=("", "zed@example.com"), to=[("", "aaron@example.com")],
         body="Kiwis are birds and fruit.", mailboxes=["inbox"], keywords=[], k=11),
    dict(name="s6", subject="Re[2]: Papaya", sender=None, to=[], body="Nobody sent this one.", mailboxes=["inbox"],
         keywords=["$seen"], k=4),
    dict(name="s7", subject="Éclair recipe", sender=("Zoe Quinn", "zoe@example.com"), to=[("Bob", "bob@example.net")],
         body="Choux pastry, cream, chocolate.", mailboxes=["inbox"], keywords=["$flagged", "$seen"], k=14),
    dict(name="s8", subject="apple pie", sender=("Émile Durand", "emile@example.fr"),
         to=[("carol", "carol@example.com")],
         body="Grandmother's apple pie recipe.", mailboxes=["archive"], keywords=[], k=13),
    dict(name="s9", subject="Banana split", sender=("beta tester", "beta@example.com"), to=[("Zoe", "zoe@example.com")],
         body="Three scoops, lemur style.", mailboxes=["inbox"], keywords=["$seen"], k=16),
    dict(name="s10", subject="_meeting notes", sender=("Alice Zed", "alice@example.org"),
         to=[("Bob", "bob@example.net")],
         body="Minutes of the weekly meeting.", mailboxes=["inbox", "Projects"], keywords=[], k=18),
    dict(name="s11", subject="Large report", sender=("carol", "carol@example.com"), to=[("Bob", "bob@example.net")],
         body="Filler text. " * 400 + "The conclusion is quartz.", mailboxes=["archive"], keywords=["$seen"], k=6,
         attachments=[("quartz.bin", bytes(range(256)) * 8, "application/octet-stream")]),
    dict(name="s12", subject="Build broken", sender=("CI Robot", "ci@example.com"), to=[("Bob", "bob@example.net")],
         body="The nightly build failed.", mailboxes=["inbox"], keywords=[], k=10,
         headers=[("X-Priority", "3"), ("List-Id", "Dev list <dev.example.org>")]),
    # two From and two To addresses: the from/to sorts take the first one
    dict(name="s13", subject="Joint letter", sender=None,
         to=[("Walrus", "walrus@example.com"), ("Aaron", "a2@example.com")],
         from_header="Yannick First <yannick@example.com>, Abel Second <abel@example.com>",
         body="Signed by both of us.", mailboxes=["archive"], keywords=[], k=19),
]


def _texts(spec: dict[str, Any]) -> dict[str, str]:
    def addresses(pairs) -> str:
        return " ".join(f"{n} {a}" for n, a in pairs)

    sender = addresses([spec["sender"]] if spec.get("sender") else []) or spec.get("from_header", "")
    return {"from": sender, "to": addresses(spec.get("to", [])),
            "cc": addresses(spec.get("cc", [])), "bcc": addresses(spec.get("bcc", [])), "subject": spec["subject"],
            "body": spec["body"], "attachments": " ".join(a[0] for a in spec.get("attachments", []))}


def load_dataset(account: "Account", specs: list[dict[str, Any]], base: int = T0) -> Model:
    """Import the specs (receivedAt = base + k hours; replies reference their parent) and read them back."""
    model = Model(account)
    msgids = {s["name"]: f"{s['name']}.{account.username}@query.test" for s in specs}
    items, extra = [], []
    for n, spec in enumerate(specs):
        chain, parent = [], spec.get("parent")
        while parent:
            chain.insert(0, msgids[parent])
            parent = next(s for s in specs if s["name"] == parent).get("parent")
        sent = base - 7200 * ((n * 7) % len(specs)) - 500 * n
        raw = build(spec["subject"], sender=spec.get("sender"), to=spec.get("to", []), cc=spec.get("cc", []),
                    bcc=spec.get("bcc", []), body=spec["body"], attachments=spec.get("attachments", []),
                    date=_date_header(sent, _OFFSETS[n % len(_OFFSETS)]), msgid=msgids[spec["name"]],
                    in_reply_to=chain[-1] if chain else None, references=chain,
                    headers=[*([("From", spec["from_header"])] if "from_header" in spec else []),
                             *spec.get("headers", [])])
        items.append(account.import_item(raw, spec["mailboxes"], spec["keywords"], base + 3600 * spec["k"]))
        extra.append([("Subject", spec["subject"]), *spec.get("headers", [])])
    for spec, created, headers in zip(specs, account.import_many(items), extra):
        model.add(spec["name"], created["id"], _texts(spec), headers)
    model.refresh()
    return model
