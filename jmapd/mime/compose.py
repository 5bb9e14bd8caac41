"""Write RFC 5322 messages from JMAP Email creation objects (RFC 8621 §4.6).

Email/set create accepts the same information in several shapes: convenience
properties, ``header:`` properties in any parsed form, a full ``bodyStructure``
or the flat ``textBody``/``htmlBody``/``attachments`` lists.  §4.6 lists the
constraints that make the object unambiguous; every violation found is
collected so that one ``ComposeError`` names *all* the invalid properties, as
RFC 8620 §5.3 asks of ``invalidProperties``.

Header fields are written by hand rather than through ``EmailMessage``: drafts
may hold values that are not valid RFC 5322 (§4.6 allows this), which the
stdlib header classes reject or rewrite, and Raw values must be kept as given.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import base64mime, policy, quoprimime
from email.utils import format_datetime, make_msgid
from typing import Callable, Iterator
from urllib.parse import quote

from .message import CONVENIENCE_HEADERS

__all__ = ["BlobNotFound", "ComposeError", "compose_email"]


class ComposeError(ValueError):
    """The Email breaks a creation rule; reported as SetError invalidProperties."""

    def __init__(self, properties: list[str], description: str) -> None:
        super().__init__(description)
        self.properties = list(properties)
        self.description = description


class BlobNotFound(LookupError):
    """Body parts reference blobs that do not exist; SetError blobNotFound."""

    def __init__(self, blob_ids: list[str]) -> None:
        super().__init__("blob not found: " + ", ".join(blob_ids))
        self.blob_ids = list(blob_ids)


class _Invalid(ValueError):
    """A value cannot be written; becomes one entry of a ComposeError."""


# --------------------------------------------------------------------------
# Constants from the specifications
# --------------------------------------------------------------------------

_MAX_LINE = 998  # RFC 5322 §2.1.1 MUST
_FOLD_AT = 78  # RFC 5322 §2.1.1 SHOULD
_EW_MAX = 75  # RFC 2047 §2: an encoded-word is at most 75 characters
_LONG_WORD = 900  # unencoded words up to this length still fit in 998

_IGNORED = {"mailboxIds", "keywords", "receivedAt"}
_SERVER_SET = {"id", "blobId", "threadId", "size", "hasAttachment", "preview"}
_BODY_PROPS = {"bodyStructure", "bodyValues", "textBody", "htmlBody", "attachments"}
_FLAT_BODY = ("textBody", "htmlBody", "attachments")
_PART_PROPS = {
    "partId", "blobId", "size", "headers", "name", "type", "charset",
    "disposition", "cid", "language", "location", "subParts",
}

# RFC 8621 §4.1.3: convenience property -> (header field, parsed form)
_CONVENIENCE = CONVENIENCE_HEADERS

# Fields defined by RFC 5322 or RFC 2369; other fields accept every form.
_DEFINED_FIELDS = frozenset({
    "date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id",
    "in-reply-to", "references", "subject", "comments", "keywords",
    "resent-date", "resent-from", "resent-sender", "resent-to", "resent-cc",
    "resent-bcc", "resent-message-id", "return-path", "received",
    "list-help", "list-unsubscribe", "list-subscribe", "list-post",
    "list-owner", "list-archive",
})
_ADDRESS_FIELDS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "bcc", "resent-from",
    "resent-sender", "resent-reply-to", "resent-to", "resent-cc", "resent-bcc",
})
# RFC 8621 §4.1.2.2-4.1.2.7: which defined fields allow which parsed form.
_FORM_FIELDS = {
    "Text": frozenset({"subject", "comments", "keywords", "list-id"}),
    "Addresses": _ADDRESS_FIELDS,
    "GroupedAddresses": _ADDRESS_FIELDS,
    "MessageIds": frozenset({"message-id", "in-reply-to", "references", "resent-message-id"}),
    "Date": frozenset({"date", "resent-date"}),
    "URLs": frozenset({
        "list-help", "list-unsubscribe", "list-subscribe", "list-post",
        "list-owner", "list-archive",
    }),
}

_HEADER_PROP = re.compile(
    r"header:([\x21-\x39\x3b-\x7e]+)"
    r"(?::as(Raw|Text|Addresses|GroupedAddresses|MessageIds|Date|URLs))?(:all)?"
)
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 2045 token
_PARAM_TOKEN = re.compile(r"[!#$&+.^_`|~0-9A-Za-z-]+")
_MEDIA_TYPE = re.compile(_TOKEN.pattern + "/" + _TOKEN.pattern)
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_PRINTABLE = re.compile(r"[\x20-\x7e\t]*")
_NO_SPACE_OR_CTL = re.compile(r"[^\s\x00-\x1f\x7f]+")
_ANGLE_ITEM = re.compile(r"[^\s<>\x00-\x1f\x7f]+")  # fits between < and >
_LANGUAGE_TAG = re.compile(r"[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
_RAW_VALUE = re.compile(r"(?:[^\r\n\x00]|\r\n[ \t])*")
_LINEBREAK = re.compile(r"\r\n|\r|\n")
_BYTES_LINEBREAK = re.compile(rb"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _ptr(path: str, *keys: object) -> str:
    """Extend a property path JSON-Pointer style (RFC 6901), escaping the keys
    so that a '/' inside a partId cannot be mistaken for a separator."""
    return "/".join([path, *(str(k).replace("~", "~0").replace("/", "~1") for k in keys)])


class _Problems:
    """Collects every violation so one error can list them all."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, prop: str, why: str) -> None:
        self.items.append((prop, why))

    def raise_if_any(self) -> None:
        if self.items:
            props = list(dict.fromkeys(p for p, _ in self.items))
            raise ComposeError(props, "; ".join(f"{p}: {w}" for p, w in self.items))


# --------------------------------------------------------------------------
# Folding and encoded words
# --------------------------------------------------------------------------

def _octets(text: str) -> int:
    return len(text.encode("utf-8"))


class _EncodedRun:
    """Text to write as RFC 2047 encoded-words, cut to fit where it lands.

    White space between adjacent encoded-words is ignored by readers, so a run
    may be split anywhere between characters; each word then decodes on its
    own, as RFC 2047 §5 requires.  Q is used unless B is shorter.
    """

    _MIN_WORD = 20  # below this, starting a new line gives a better word

    def __init__(self, text: str) -> None:
        self.text = text
        data = text.encode("utf-8")
        if base64mime.header_length(data) < quoprimime.header_length(data):
            self._encode = base64mime.header_encode
        else:
            self._encode = quoprimime.header_encode

    def _word(self, text: str) -> str:
        return self._encode(text.encode("utf-8"), "utf-8")

    def words(self, room: Callable[[], int]) -> Iterator[str]:
        """Encoded-words, each as long as ``room()`` allows (at most 75)."""
        rest = self.text
        while rest:
            limit = room()
            limit = _EW_MAX if limit < self._MIN_WORD else min(limit, _EW_MAX)
            size = 1
            while size < len(rest) and len(self._word(rest[:size + 1])) <= limit:
                size += 1
            yield self._word(rest[:size])
            rest = rest[size:]


def _fold(name: str, tokens: list) -> str:
    """Write ``name: tokens`` breaking lines at the spaces between tokens.

    Each break is CRLF followed by the space that separated the tokens, so
    unfolding gives back exactly the single-line value.  No break is put
    before an empty token, which would leave a line of only white space.
    """
    lines: list[str] = []
    line, has_token = name + ":", False

    def place(token: str) -> None:
        nonlocal line, has_token
        if has_token and token and _octets(line) + 1 + _octets(token) > _FOLD_AT:
            lines.append(line)
            line = " " + token
        else:
            line += " " + token
        has_token = True

    for token in tokens:
        if isinstance(token, _EncodedRun):
            for word in token.words(lambda: _FOLD_AT - _octets(line) - 1):
                place(word)
        else:
            place(token)
    lines.append(line)
    return "\r\n".join(lines)


def _join_items(items: list[list], separator: str = ",") -> list:
    """Flatten token lists, ending every item but the last with a separator."""
    tokens: list = []
    for index, item in enumerate(items):
        item = list(item)
        if index < len(items) - 1:
            item[-1] += separator
        tokens.extend(item)
    return tokens


def _needs_encoding(word: str) -> bool:
    """A word that cannot appear literally in unstructured text.

    Besides non-ASCII and control characters, this covers literal text that a
    reader would mistake for an encoded-word, and words too long to fit on a
    line of 998 octets.
    """
    if not word:
        return False
    return (
        not all("\x21" <= c <= "\x7e" or c == "\t" for c in word)
        or "=?" in word
        or len(word) > _LONG_WORD
    )


def _text_tokens(text: str) -> list:
    """Tokens for unstructured text (RFC 5322 §3.2.5) with RFC 2047 encoding.

    Adjacent words that need encoding are encoded together, spaces included:
    white space between two encoded-words is dropped by decoders.
    """
    words = _LINEBREAK.sub(" ", text).split(" ")
    tokens: list = []
    i = 0
    while i < len(words):
        if not _needs_encoding(words[i]):
            tokens.append(words[i])
            i += 1
            continue
        end = i
        k = i + 1
        while k < len(words):
            while k < len(words) and words[k] == "":
                k += 1
            if k < len(words) and _needs_encoding(words[k]):
                end = k
                k += 1
            else:
                break
        tokens.append(_EncodedRun(" ".join(words[i:end + 1])))
        i = end + 1
    return tokens


def _phrase_tokens(name: str) -> tuple[list, bool]:
    """Tokens for a display name (RFC 5322 phrase); True if encoded-words.

    Atoms are written as they are, other ASCII as a quoted-string, anything
    else (or text resembling an encoded-word, which many readers decode even
    inside quotes) as encoded-words.
    """
    name = _LINEBREAK.sub(" ", name)
    if "=?" not in name and _ATOM_PHRASE.fullmatch(name):
        return name.split(" "), False
    if "=?" not in name and _PRINTABLE.fullmatch(name) and len(name) <= _LONG_WORD:
        words = name.replace("\\", "\\\\").replace('"', '\\"').split(" ")
        words[0] = '"' + words[0]
        words[-1] += '"'
        return words, False
    return [_EncodedRun(name)], True


# --------------------------------------------------------------------------
# Header field values, one renderer per parsed form (RFC 8621 §4.1.2)
# --------------------------------------------------------------------------

def _require(condition: bool, why: str) -> None:
    if not condition:
        raise _Invalid(why)


def _string_list(value: object, what: str) -> list[str]:
    _require(
        isinstance(value, list) and all(isinstance(v, str) for v in value),
        f"must be a list of {what}",
    )
    return value  # type: ignore[return-value]


def _split_long_line(line: str) -> str:
    """Fold a line over 998 octets at white space, which keeps its value."""
    data = line.encode("utf-8")
    pieces: list[bytes] = []
    while len(data) > _MAX_LINE:
        cut = max(data.rfind(b" ", 1, _MAX_LINE + 1), data.rfind(b"\t", 1, _MAX_LINE + 1))
        if cut <= 0 or not data[:cut].strip():
            raise _Invalid("has a line over 998 octets with no white space to fold at")
        pieces.append(data[:cut])
        data = data[cut:]
    pieces.append(data)
    return b"\r\n".join(pieces).decode("utf-8")


def _render_raw(name: str, value: object) -> str | None:
    """Raw form: written as given; CR and LF only as folding (CRLF WSP)."""
    _require(isinstance(value, str), "must be a string")
    assert isinstance(value, str)
    _require(
        _RAW_VALUE.fullmatch(value) is not None,
        "CR and LF may only appear as CRLF followed by a space or tab, and NUL not at all",
    )
    lines = (name + ":" + value).split("\r\n")
    _require(all(line.strip(" \t") for line in lines[1:]), "a folded line may not be blank")
    return "\r\n".join(_split_long_line(line) for line in lines)


def _render_text(name: str, value: object) -> str | None:
    _require(isinstance(value, str), "must be a string")
    assert isinstance(value, str)
    return _fold(name, _text_tokens(value))


def _email_address(value: object) -> tuple[str | None, str]:
    """Validate an EmailAddress object (RFC 8621 §4.1.2.3)."""
    _require(isinstance(value, dict), "addresses must be EmailAddress objects")
    assert isinstance(value, dict)
    _require(set(value) <= {"name", "email"}, "EmailAddress has only name and email")
    name, email = value.get("name"), value.get("email")
    _require(isinstance(email, str), "EmailAddress email must be a string")
    _require(name is None or isinstance(name, str), "EmailAddress name must be a string or null")
    _require(not _CONTROL.search(email), "EmailAddress email may not contain control characters")
    return name, email


def _mailbox_tokens(value: object) -> list:
    """A mailbox; surrounding white space of the name is dropped, as readers
    trim it anyway (RFC 8621 §4.1.2.3)."""
    name, email = _email_address(value)
    name = _LINEBREAK.sub(" ", name or "").strip(" \t")
    if not name:
        return [email]
    return _phrase_tokens(name)[0] + ["<" + email + ">"]


def _group_tokens(name: str, members: list[list]) -> list:
    """``name: a, b;`` - an encoded name gets a space before the colon (RFC 2047 §5)."""
    phrase, encoded = _phrase_tokens(name)
    tokens = phrase + [":"] if encoded else phrase[:-1] + [phrase[-1] + ":"]
    if not members:
        tokens[-1] += ";"
        return tokens
    body = _join_items(members)
    body[-1] += ";"
    return tokens + body


def _render_addresses(name: str, value: object) -> str | None:
    _require(isinstance(value, list), "must be a list of EmailAddress objects")
    assert isinstance(value, list)
    items = [_mailbox_tokens(address) for address in value]
    return _fold(name, _join_items(items)) if items else None


def _render_grouped(name: str, value: object) -> str | None:
    _require(isinstance(value, list), "must be a list of EmailAddressGroup objects")
    assert isinstance(value, list)
    items: list[list] = []
    for group in value:
        _require(
            isinstance(group, dict) and set(group) <= {"name", "addresses"},
            "groups must be EmailAddressGroup objects",
        )
        group_name, addresses = group.get("name"), group.get("addresses")
        _require(group_name is None or isinstance(group_name, str),
                 "group name must be a string or null")
        _require(isinstance(addresses, list), "group addresses must be a list")
        members = [_mailbox_tokens(address) for address in addresses]
        if group_name:
            items.append(_group_tokens(group_name, members))
        else:
            items.extend(members)
    return _fold(name, _join_items(items)) if items else None


def _render_message_ids(name: str, value: object) -> str | None:
    """MessageIds form: ids are given without angle brackets; add them."""
    ids = _string_list(value, "message ids")
    _require(
        all(_ANGLE_ITEM.fullmatch(i) for i in ids),
        "message ids must be non-empty, without white space, control characters or angle brackets",
    )
    return _fold(name, [f"<{i}>" for i in ids]) if ids else None


def _render_date(name: str, value: object) -> str | None:
    """Date form: an RFC 3339 date-time (RFC 8620 §1.4) as an RFC 5322 date."""
    _require(isinstance(value, str) and _RFC3339.fullmatch(value) is not None,
             "must be an RFC 3339 date-time with upper-case T and Z")
    assert isinstance(value, str)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _Invalid(f"is not a valid date: {exc}") from None
    return _fold(name, [format_datetime(moment)])


def _render_urls(name: str, value: object) -> str | None:
    """URLs form (RFC 2369): ``<url>, <url>``."""
    urls = _string_list(value, "URLs")
    _require(all(_ANGLE_ITEM.fullmatch(u) for u in urls),
             "URLs must be non-empty, without white space, control characters or angle brackets")
    return _fold(name, _join_items([[f"<{u}>"] for u in urls])) if urls else None


_RENDERERS: dict[str, Callable[[str, object], str | None]] = {
    "Raw": _render_raw,
    "Text": _render_text,
    "Addresses": _render_addresses,
    "GroupedAddresses": _render_grouped,
    "MessageIds": _render_message_ids,
    "Date": _render_date,
    "URLs": _render_urls,
}


@dataclass(frozen=True)
class _FieldSpec:
    """One property that sets a header field: where it came from, name, form."""

    prop: str
    name: str
    form: str
    all: bool = False

    @property
    def key(self) -> str:
        return self.name.lower()


def _parse_header_prop(key: str, path: str) -> _FieldSpec | None:
    match = _HEADER_PROP.fullmatch(key)
    if match is None:
        return None
    return _FieldSpec(path, match.group(1), match.group(2) or "Raw", bool(match.group(3)))


def _form_allowed(spec: _FieldSpec) -> bool:
    """RFC 8621 §4.1.2: parsed forms are limited for fields RFC 5322/2369 define."""
    return (
        spec.form == "Raw"
        or spec.key in _FORM_FIELDS[spec.form]
        or spec.key not in _DEFINED_FIELDS
    )


def _render_field(spec: _FieldSpec, value: object, problems: _Problems) -> list[str]:
    """Folded header fields for one property: several if it uses ``:all``."""
    if spec.all and not isinstance(value, list):
        problems.add(spec.prop, "an :all property must be a list")
        return []
    fields: list[str] = []
    for instance in value if spec.all else [value]:  # type: ignore[union-attr]
        try:
            rendered = _RENDERERS[spec.form](spec.name, instance)
            lines = rendered.split("\r\n") if rendered is not None else []
            if any(_octets(line) > _MAX_LINE for line in lines):
                raise _Invalid("cannot be written in lines of at most 998 octets")
        except _Invalid as exc:
            problems.add(spec.prop, str(exc))
            continue
        except UnicodeEncodeError:
            problems.add(spec.prop, "is not valid Unicode")
            continue
        if rendered is not None:
            fields.append(rendered)
    return fields


def _field_value(field: str) -> str:
    """The unfolded value of a folded ``Name: value`` field."""
    return field.split(":", 1)[1].replace("\r\n", "").strip()


class _Fields:
    """Header fields of one entity, remembering which property set each name.

    ``source`` groups properties that may share a field, such as ``type`` and
    ``charset`` which both feed Content-Type; §4.6 forbids two *different*
    properties representing the same field.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.owner: dict[str, tuple[str, str]] = {}
        self.by_name: dict[str, list[str]] = {}

    def claim(self, key: str, source: str, prop: str, problems: _Problems) -> bool:
        previous = self.owner.get(key)
        if previous is not None and previous[0] != source:
            problems.add(previous[1], f"the {key} header field is also set by {prop}")
            problems.add(prop, f"the {key} header field is also set by {previous[1]}")
            return False
        self.owner.setdefault(key, (source, prop))
        return True

    def add(self, spec: _FieldSpec, value: object, problems: _Problems) -> None:
        if not self.claim(spec.key, spec.prop, spec.prop, problems):
            return
        if not _form_allowed(spec):
            problems.add(spec.prop, f"the {spec.form} form is not allowed for {spec.name}")
            return
        rendered = _render_field(spec, value, problems)
        if rendered:
            self.lines.extend(rendered)
            self.by_name.setdefault(spec.key, []).extend(rendered)


# --------------------------------------------------------------------------
# Top-level Email properties
# --------------------------------------------------------------------------

def _email_fields(email: dict, problems: _Problems) -> _Fields:
    """Header fields from the Email's own properties, in the order given."""
    fields = _Fields()
    for key, value in email.items():
        if key in _IGNORED or key in _BODY_PROPS:
            continue
        spec = _parse_header_prop(key, key)
        if value is None and (key in _SERVER_SET or key == "headers"
                              or key in _CONVENIENCE or spec is not None):
            continue  # null is the same as omitting the property
        if key in _SERVER_SET:
            problems.add(key, "is server-set and may not be given on create")
        elif key == "headers":
            problems.add(key, "may not be given on create; use header: properties")
        elif key in _CONVENIENCE:
            name, form = _CONVENIENCE[key]
            fields.add(_FieldSpec(key, name, form), value, problems)
        elif spec is not None:
            if spec.key.startswith("content-"):
                problems.add(key, "Content-* header fields may only be set on body parts")
            else:
                fields.add(spec, value, problems)
        elif key.startswith("header:"):
            problems.add(key, "is not a valid header: property")
        else:
            problems.add(key, "is not an Email property")
    return fields


def _body_values(email: dict, problems: _Problems) -> dict[str, str]:
    """partId -> text, checking the EmailBodyValue rules of §4.6."""
    given = email.get("bodyValues")
    if given is None:
        return {}
    if not isinstance(given, dict):
        problems.add("bodyValues", "must be an object")
        return {}
    values: dict[str, str] = {}
    for part_id, body_value in given.items():
        path = _ptr("bodyValues", part_id)
        if not isinstance(body_value, dict):
            problems.add(path, "must be an EmailBodyValue object")
            continue
        for key in body_value:
            if key not in ("value", "isEncodingProblem", "isTruncated"):
                problems.add(_ptr(path, key), "is not an EmailBodyValue property")
        for flag in ("isEncodingProblem", "isTruncated"):
            if flag in body_value and body_value[flag] is not False:
                problems.add(_ptr(path, flag), "must be false or omitted")
        text = body_value.get("value")
        if not isinstance(text, str):
            problems.add(_ptr(path, "value"), "must be a string")
            continue
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            problems.add(_ptr(path, "value"), "is not valid Unicode")
            continue
        values[part_id] = text
    return values


# --------------------------------------------------------------------------
# Body parts
# --------------------------------------------------------------------------

@dataclass(eq=False)
class _Part:
    """A validated EmailBodyPart, or a multipart the flat lists needed."""

    path: str
    type: str = "text/plain"
    type_prop: str = ""
    charset: str | None = None
    name: str | None = None
    disposition: str | None = None
    cid: str | None = None
    language: list[str] | None = None
    location: str | None = None
    part_id: str | None = None
    blob_id: str | None = None
    text: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    fields: _Fields = field(default_factory=_Fields)
    header_type: str | None = None  # a Content-Type given as a header: property
    header_params: dict[str, str] = field(default_factory=dict)
    sub_parts: list["_Part"] | None = None
    cte: str | None = None
    body: bytes = b""

    @property
    def is_multipart(self) -> bool:
        return self.type.startswith("multipart/")

    @property
    def effective_disposition(self) -> str | None:
        if self.disposition:
            return self.disposition.lower()
        given = self.fields.by_name.get("content-disposition")
        if given:
            parsed = policy.default.header_factory("content-disposition", _field_value(given[-1]))
            return parsed.content_disposition
        return None

    @property
    def has_cid(self) -> bool:
        return bool(self.cid) or "content-id" in self.fields.by_name


# Part properties that write a header field, and the field each writes.
_PROPERTY_FIELDS = {
    "type": ("content-type",),
    "charset": ("content-type",),
    "name": ("content-type", "content-disposition"),
    "disposition": ("content-disposition",),
    "cid": ("content-id",),
    "language": ("content-language",),
    "location": ("content-location",),
}


def _simple_value(key: str, value: object) -> object:
    """Check one plain EmailBodyPart property and return its stored value."""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise _Invalid("is not valid Unicode") from None
            if key != "name" and len(text) > _LONG_WORD:
                raise _Invalid("is too long to fit in a header line")
    if key == "type":
        _require(isinstance(value, str) and _MEDIA_TYPE.fullmatch(value) is not None,
                 "must be a media type such as text/plain")
        return value.lower()  # type: ignore[union-attr]
    if key in ("charset", "disposition"):
        _require(isinstance(value, str) and _TOKEN.fullmatch(value) is not None,
                 "must be a MIME token")
        return value
    if key == "name":
        _require(isinstance(value, str), "must be a string")
        return value
    if key == "cid":
        _require(isinstance(value, str), "must be a string")
        cid = value[1:-1] if value.startswith("<") and value.endswith(">") else value
        _require(_ANGLE_ITEM.fullmatch(cid) is not None,
                 "must be a content id without white space or control characters")
        return cid
    if key == "language":
        tags = _string_list(value, "language tags")
        _require(bool(tags) and all(_LANGUAGE_TAG.fullmatch(t) for t in tags),
                 "must be a non-empty list of language tags")
        return tags
    _require(isinstance(value, str) and _NO_SPACE_OR_CTL.fullmatch(value) is not None,
             "must be a URI without white space")  # location
    return value


class _PartBuilder:
    """Validates EmailBodyPart objects into ``_Part`` trees (RFC 8621 §4.6)."""

    def __init__(self, values: dict[str, str], problems: _Problems) -> None:
        self.values = values
        self.problems = problems
        self.used_part_ids: set[str] = set()

    def build(self, obj: object, path: str, default_type: str | None) -> _Part | None:
        if not isinstance(obj, dict):
            self.problems.add(path, "must be an EmailBodyPart object")
            return None
        part = _Part(path=path)
        self._read_properties(obj, part)
        self._read_header_properties(obj, part)
        self._resolve_type(obj, part, default_type)
        if part.is_multipart:
            self._build_multipart(obj, part)
        else:
            self._build_leaf(obj, part)
        return part

    def _read_properties(self, obj: dict, part: _Part) -> None:
        for key, value in obj.items():
            prop = _ptr(part.path, key)
            if key.startswith("header:"):
                continue
            if key not in _PART_PROPS:
                self.problems.add(prop, "is not an EmailBodyPart property")
            elif value is None:
                continue  # null is the same as omitting the property
            elif key == "headers":
                self.problems.add(prop, "may not be given on create; use header: properties")
            elif key in _PROPERTY_FIELDS:
                try:
                    setattr(part, key, _simple_value(key, value))
                except _Invalid as exc:
                    self.problems.add(prop, str(exc))
                    continue
                if key == "type":
                    part.type_prop = prop
                for field_key in _PROPERTY_FIELDS[key]:
                    part.fields.claim(field_key, "properties", prop, self.problems)

    def _read_header_properties(self, obj: dict, part: _Part) -> None:
        for key, value in obj.items():
            if not key.startswith("header:") or value is None:
                continue
            prop = _ptr(part.path, key)
            spec = _parse_header_prop(key, prop)
            if spec is None:
                self.problems.add(prop, "is not a valid header: property")
            elif spec.key == "content-transfer-encoding":
                self.problems.add(prop, "Content-Transfer-Encoding is chosen by the server")
            else:
                part.fields.add(spec, value, self.problems)
        for key in ("content-type", "content-disposition"):
            if len(part.fields.by_name.get(key, [])) > 1:
                self.problems.add(part.fields.owner[key][1], f"{key} may appear only once")

    def _resolve_type(self, obj: dict, part: _Part, default_type: str | None) -> None:
        """The media type comes from ``type``, a header: property or a default."""
        given = part.fields.by_name.get("content-type")
        if given and part.fields.owner["content-type"][0] != "properties":
            parsed = policy.default.header_factory("content-type", _field_value(given[-1]))
            part.header_type = part.type = parsed.content_type
            part.header_params = {k.lower(): v for k, v in parsed.params.items()}
            part.type_prop = part.fields.owner["content-type"][1]
        elif not part.type_prop:
            part.type_prop = _ptr(part.path, "type")
            if obj.get("subParts") is not None:
                part.type = "multipart/mixed"
            elif default_type is not None:
                part.type = default_type
            elif obj.get("partId") is None:
                part.type = "application/octet-stream"

    def _build_multipart(self, obj: dict, part: _Part) -> None:
        for key in ("partId", "blobId", "charset"):
            if obj.get(key) is not None:
                self.problems.add(_ptr(part.path, key), "must be null for a multipart/* part")
        children = obj.get("subParts")
        if not isinstance(children, list) or not children:
            self.problems.add(_ptr(part.path, "subParts"),
                              "a multipart/* part needs a non-empty subParts list")
            return
        built = [self.build(child, _ptr(part.path, "subParts", index), None)
                 for index, child in enumerate(children)]
        part.sub_parts = [c for c in built if c is not None]

    def _build_leaf(self, obj: dict, part: _Part) -> None:
        if obj.get("subParts") is not None:
            self.problems.add(_ptr(part.path, "subParts"), "only multipart/* parts have subParts")
        part_id, blob_id = obj.get("partId"), obj.get("blobId")
        if part_id is not None and blob_id is not None:
            self.problems.add(_ptr(part.path, "partId"), "give a partId or a blobId, not both")
            self.problems.add(_ptr(part.path, "blobId"), "give a partId or a blobId, not both")
        elif part_id is not None:
            self._use_part_id(obj, part, part_id)
        elif blob_id is not None:
            if isinstance(blob_id, str) and blob_id:
                part.blob_id = blob_id
            else:
                self.problems.add(_ptr(part.path, "blobId"), "must be a blob id")
        else:
            self.problems.add(part.path, "a non-multipart part needs a partId or a blobId")

    def _use_part_id(self, obj: dict, part: _Part, part_id: object) -> None:
        """§4.6: partId must be in bodyValues; charset and size must be omitted."""
        prop = _ptr(part.path, "partId")
        if not isinstance(part_id, str) or part_id not in self.values:
            self.problems.add(prop, "must be a key of bodyValues")
        elif part_id in self.used_part_ids:
            self.problems.add(prop, "a partId may be used by only one part")
        else:
            self.used_part_ids.add(part_id)
            part.part_id = part_id
            part.text = self.values[part_id]
        for key in ("charset", "size"):
            if obj.get(key) is not None:
                self.problems.add(_ptr(part.path, key), "must be omitted when partId is given")
        if "charset" in part.header_params:
            self.problems.add(part.type_prop, "must not give a charset when partId is given")
        if not part.type.startswith("text/"):
            self.problems.add(part.type_prop, "a part with a partId must be of type text/*")


# --------------------------------------------------------------------------
# Body structure
# --------------------------------------------------------------------------

def _generated(type_: str, children: list[_Part], **params: str) -> _Part:
    return _Part(path="", type=type_, sub_parts=children, params=dict(params))


def _single_part(email: dict, key: str, type_: str, builder: _PartBuilder) -> _Part | None:
    """§4.6: textBody/htmlBody hold exactly one part of the given type."""
    given = email.get(key)
    if given is None:
        return None
    if not isinstance(given, list) or len(given) != 1:
        builder.problems.add(key, "must contain exactly one body part")
        return None
    part = builder.build(given[0], _ptr(key, 0), type_)
    if part is not None and part.type != type_:
        builder.problems.add(part.type_prop, f"must be {type_}")
    return part


def _attachment_parts(email: dict, builder: _PartBuilder) -> list[_Part]:
    given = email.get("attachments")
    if given is None:
        return []
    if not isinstance(given, list):
        builder.problems.add("attachments", "must be a list of EmailBodyPart objects")
        return []
    parts = []
    for index, obj in enumerate(given):
        part = builder.build(obj, _ptr("attachments", index), None)
        if part is None:
            continue
        if part.is_multipart:
            builder.problems.add(part.type_prop, "attachments may not be multipart/*")
        parts.append(part)
    return parts


def _assemble(text: _Part | None, html: _Part | None, attachments: list[_Part]) -> _Part:
    """Build the MIME tree that decomposes back into the flat lists.

    Following the textBody/htmlBody/attachments algorithm of §4.1.4: images
    referenced by cid go in multipart/related after the HTML root, text and
    HTML become multipart/alternative (plain first, the least preferred), and
    other attachments join the body in multipart/mixed, where a missing
    disposition defaults to attachment so readers do not show them inline.
    """
    inline = [a for a in attachments if html is not None and a.has_cid
              and a.effective_disposition != "attachment"]
    others = [a for a in attachments if a not in inline]
    html_node = html
    if inline:
        html_node = _generated("multipart/related", [html, *inline], type="text/html")
    if text is not None and html_node is not None:
        body: _Part | None = _generated("multipart/alternative", [text, html_node])
    else:
        body = text or html_node
    for part in others:
        if part.effective_disposition is None:
            part.disposition = "attachment"
    parts = ([body] if body is not None else []) + others
    if not parts:
        return _Part(path="", type="text/plain", text="")
    return parts[0] if len(parts) == 1 else _generated("multipart/mixed", parts)


def _body_root(email: dict, values: dict[str, str], problems: _Problems) -> _Part | None:
    builder = _PartBuilder(values, problems)
    structure = email.get("bodyStructure")
    if structure is not None:
        flat = [key for key in _FLAT_BODY if email.get(key) is not None]
        if flat:
            for key in ["bodyStructure", *flat]:
                problems.add(key, "bodyStructure excludes textBody, htmlBody and attachments")
            return None
        return builder.build(structure, "bodyStructure", None)
    text = _single_part(email, "textBody", "text/plain", builder)
    html = _single_part(email, "htmlBody", "text/html", builder)
    return _assemble(text, html, _attachment_parts(email, builder))


def _check_root_fields(top: _Fields, root: _Part, problems: _Problems) -> None:
    """§4.6: the root part may not set a field the Email itself sets."""
    for key, (_, prop) in root.fields.owner.items():
        if key in top.owner:
            problems.add(prop, f"the {key} header field is already set by {top.owner[key][1]}")


# --------------------------------------------------------------------------
# Content and transfer encoding
# --------------------------------------------------------------------------

def _walk(part: _Part) -> Iterator[_Part]:
    yield part
    for child in part.sub_parts or []:
        yield from _walk(child)


def _load_blobs(root: _Part, read_blob: Callable[[str], bytes | None]) -> dict[str, bytes]:
    """Fetch each referenced blob once; all missing ids go in one error."""
    wanted = list(dict.fromkeys(p.blob_id for p in _walk(root) if p.blob_id))
    blobs: dict[str, bytes] = {}
    missing: list[str] = []
    for blob_id in wanted:
        data = read_blob(blob_id)
        if data is None:
            missing.append(blob_id)
        else:
            blobs[blob_id] = bytes(data)
    if missing:
        raise BlobNotFound(missing)
    return blobs


def _crlf_lines(data: bytes) -> bytes:
    return _BYTES_LINEBREAK.sub(b"\r\n", data)


def _base64_body(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _quoted_printable_body(data: bytes) -> bytes:
    """QP of CRLF text: encode with LF breaks, then restore CRLF."""
    encoded = binascii.b2a_qp(data.replace(b"\r\n", b"\n"), quotetabs=False, istext=True)
    return encoded.replace(b"\n", b"\r\n")


def _is_7bit_text(data: bytes, max_line: int) -> bool:
    return re.fullmatch(rb"[\x20-\x7e\t\r\n]*", data) is not None and all(
        len(line) <= max_line for line in data.split(b"\r\n")
    )


def _encode_text(text: str) -> tuple[str | None, bytes]:
    """Text from bodyValues in UTF-8: 7bit when plain ASCII with short lines,
    else quoted-printable or base64, whichever is smaller."""
    data = _crlf_lines(text.encode("utf-8"))
    if _is_7bit_text(data, _FOLD_AT):
        return None, data
    qp, b64 = _quoted_printable_body(data), _base64_body(data)
    return ("quoted-printable", qp) if len(qp) <= len(b64) else ("base64", b64)


def _encode_message(part: _Part, data: bytes) -> tuple[str | None, bytes]:
    """RFC 2046 §5.2.1: a message/rfc822 body may only be 7bit, 8bit or binary."""
    data = _crlf_lines(data)
    if b"\x00" in data or any(len(line) > _MAX_LINE for line in data.split(b"\r\n")):
        raise ComposeError(
            [_ptr(part.path, "blobId")],
            f"{part.path}: a {part.type} blob must have lines of at most 998 octets and no NUL",
        )
    return (None, data) if _is_7bit_text(data, _MAX_LINE) else ("8bit", data)


def _encode_blob(part: _Part, data: bytes) -> tuple[str | None, bytes]:
    """Blobs keep their exact octets: base64, except message/* which may not be."""
    if part.type.startswith("message/") and part.type != "message/global":
        return _encode_message(part, data)
    if part.type.startswith("text/") and part.charset is None and part.header_type is None:
        try:
            if not data.isascii():
                data.decode("utf-8")
                part.charset = "utf-8"
        except UnicodeDecodeError:
            pass
    return "base64", _base64_body(data)


def _encode_contents(root: _Part, blobs: dict[str, bytes]) -> None:
    for part in _walk(root):
        if part.is_multipart:
            continue
        if part.text is not None:
            part.charset = "utf-8"
            part.cte, part.body = _encode_text(part.text)
        elif part.blob_id is not None:
            part.cte, part.body = _encode_blob(part, blobs[part.blob_id])


# --------------------------------------------------------------------------
# MIME header fields and serialisation
# --------------------------------------------------------------------------

def _param_tokens(key: str, value: str) -> list[str]:
    """A MIME parameter; RFC 2231 for non-ASCII values and to split long ones.

    Values with the characters RFC 2231 gives meaning to (' * %) are quoted
    even when they are RFC 2045 tokens, as some readers misparse them bare.
    """
    if _PARAM_TOKEN.fullmatch(value) and len(key) + len(value) < _FOLD_AT - 2:
        return [f"{key}={value}"]
    if re.fullmatch(r"[\x20-\x7e]*", value) and len(key) + len(value) < _FOLD_AT - 6:
        return [f'{key}="{_quote(value)}"']
    return _rfc2231_segments(key, value)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _rfc2231_segments(key: str, value: str) -> list[str]:
    """RFC 2231 §3-4 continuations, split between characters, never inside one."""
    ascii_only = re.fullmatch(r"[\x20-\x7e]*", value) is not None
    units = [_quote(c) for c in value] if ascii_only else [quote(c, safe="") for c in value]
    if not ascii_only:
        units[0] = "utf-8''" + units[0]
    segments: list[str] = []
    chunk = ""
    budget = _FOLD_AT - len(key) - 12
    for unit in units:
        if chunk and len(chunk) + len(unit) > budget:
            segments.append(chunk)
            chunk = ""
        chunk += unit
    segments.append(chunk)
    if ascii_only:
        return [f'{key}*{i}="{s}"' for i, s in enumerate(segments)]
    if len(segments) == 1:
        return [f"{key}*={segments[0]}"]
    return [f"{key}*{i}*={s}" for i, s in enumerate(segments)]


def _with_params(value: str, params: list[tuple[str, str]]) -> list[str]:
    """``value; a=1; b*0=...; b*1=...``: RFC 2231 segments are parameters too."""
    segments = [[segment] for k, v in params for segment in _param_tokens(k, v)]
    return _join_items([[value]] + segments, ";")


def _content_type(part: _Part, boundary: str | None) -> str:
    params: list[tuple[str, str]] = []
    if part.charset:
        params.append(("charset", part.charset))
    params.extend(part.params.items())
    if boundary:
        params.append(("boundary", boundary))
    if part.name is not None:
        params.append(("name", part.name))
    return _fold("Content-Type", _with_params(part.type, params))


def _given_content_type(part: _Part, boundary: str | None) -> str:
    """A Content-Type from a header: property, with parameters the body needs."""
    given = part.fields.by_name["content-type"][-1]
    extra: list[tuple[str, str]] = []
    if boundary and "boundary" not in part.header_params:
        extra.append(("boundary", boundary))
    if part.text is not None:
        extra.append(("charset", "utf-8"))
    for key, value in extra:
        given += ";\r\n " + _param_tokens(key, value)[0]
    return given


def _mime_fields(part: _Part, boundary: str | None) -> list[str]:
    """The entity's header fields: the generated MIME ones, then header: ones."""
    lines: list[str] = []
    if part.header_type is None:
        lines.append(_content_type(part, boundary))
    if part.disposition:
        filename = [("filename", part.name)] if part.name is not None else []
        lines.append(_fold("Content-Disposition", _with_params(part.disposition, filename)))
    if part.cid:
        lines.append(_fold("Content-ID", [f"<{part.cid}>"]))
    if part.language:
        lines.append(_fold("Content-Language", _join_items([[t] for t in part.language])))
    if part.location:
        lines.append(_fold("Content-Location", [part.location]))
    if part.cte:
        lines.append("Content-Transfer-Encoding: " + part.cte)
    given_type = part.fields.by_name.get("content-type", [None])[-1]
    for line in part.fields.lines:
        if part.header_type is not None and line is given_type:
            line = _given_content_type(part, boundary)
        lines.append(line)
    return lines


def _new_boundary(children: list[bytes]) -> str:
    """A random boundary; '=_' cannot occur in base64 or quoted-printable."""
    while True:
        boundary = "=_" + secrets.token_hex(16)
        marker = b"--" + boundary.encode("ascii")
        if not any(marker in child for child in children):
            return boundary


def _given_boundary(part: _Part, children: list[bytes]) -> str | None:
    boundary = part.header_params.get("boundary")
    if boundary is None:
        return None
    marker = b"--" + boundary.encode("utf-8")
    if not boundary or any(marker in child for child in children):
        raise ComposeError([part.type_prop],
                           f"{part.type_prop}: the boundary occurs in the content")
    return boundary


def _entity(part: _Part) -> tuple[list[str], bytes]:
    """Header fields and body octets of one MIME entity (RFC 2045, 2046)."""
    if part.sub_parts is None:
        return _mime_fields(part, None), part.body
    children = [_render(child) for child in part.sub_parts]
    boundary = _given_boundary(part, children) or _new_boundary(children)
    delimiter = b"--" + boundary.encode("utf-8")
    body = b"".join(delimiter + b"\r\n" + child + b"\r\n" for child in children)
    return _mime_fields(part, boundary), body + delimiter + b"--\r\n"


def _header_block(lines: list[str]) -> bytes:
    return b"".join(line.encode("utf-8") + b"\r\n" for line in lines)


def _render(part: _Part) -> bytes:
    lines, body = _entity(part)
    return _header_block(lines) + b"\r\n" + body


def _message_fields(top: _Fields, root: _Part, hostname: str, now: datetime,
                    message_id: str | None = None) -> list[str]:
    """The Email's fields plus Date, Message-ID (§4.6 MUST) and MIME-Version."""
    present = set(top.by_name) | set(root.fields.by_name)
    lines = list(top.lines)
    if "date" not in present:
        lines.append(_fold("Date", [format_datetime(now)]))
    if "message-id" not in present:
        lines.append("Message-ID: " + (message_id or make_msgid(domain=hostname)))
    if "mime-version" not in present:
        lines.append("MIME-Version: 1.0")
    return lines


def compose_email(
    email: dict,
    read_blob: Callable[[str], bytes | None],
    *,
    hostname: str,
    now: datetime | None = None,
    message_id: str | None = None,
) -> bytes:
    """The RFC 5322 message for an Email/set create object (RFC 8621 §4.6).

    ``read_blob`` returns a blob's octets or None if there is no such blob.
    Raises ComposeError for invalid properties and BlobNotFound for missing
    blobs; the message has CRLF line endings throughout.
    """
    if not isinstance(email, dict):
        raise ComposeError([], "an Email must be a JSON object")
    problems = _Problems()
    top = _email_fields(email, problems)
    values = _body_values(email, problems)
    root = _body_root(email, values, problems)
    if root is not None:
        _check_root_fields(top, root, problems)
    problems.raise_if_any()
    assert root is not None
    _encode_contents(root, _load_blobs(root, read_blob))
    moment = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    lines, body = _entity(root)
    return _header_block(_message_fields(top, root, hostname, moment, message_id) + lines) + b"\r\n" + body
