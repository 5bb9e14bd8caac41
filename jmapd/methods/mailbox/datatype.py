"""The Mailbox data type (RFC 8621 §2): wire form, create/update/destroy rules, filters and sorts."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import msgspec

from store import ReadTxn, WriteTxn
from store.records import Mailbox

from ...mail.counts import COUNT_PROPERTIES, clear_counts, read_counts
from ...mail.writer import remove_mailbox
from ...protocol.capabilities import MAIL
from ...protocol.errors import MethodError, SetError, invalid_arguments, invalid_properties
from ..args import Comparator, QueryArgs, QueryChangesArgs, SetArgs
from ..context import Context
from ..datatype import DataType, Predicate, SortKey
from ..filtering import casemap
from .rights import owner_rights

# Special-use names of the IANA "IMAP Mailbox Name Attributes" registry, lowercased, plus "inbox".
ROLES = frozenset({"inbox", "all", "archive", "drafts", "flagged", "important", "junk", "sent", "trash",
                   "snoozed", "scheduled", "memos"})
MAX_SORT_ORDER = 2**31
_SIBLING_NAME = "a sibling mailbox has this name"

# The draft JMAP-for-Mail dialect's sending mailbox: to RFC 8621 clients a role like any they do not
# know (§2: "New roles may be established"), which only the draft dialect acts on.
DRAFT_ROLES = frozenset({"outbox"})


class MailboxSetArgs(SetArgs):
    onDestroyRemoveEmails: bool = False


class MailboxQueryArgs(QueryArgs):
    sortAsTree: bool = False
    filterAsTree: bool = False


class MailboxQueryChangesArgs(QueryChangesArgs):
    sortAsTree: bool = False
    filterAsTree: bool = False


class MailboxType(DataType):
    name = "Mailbox"
    capability = MAIL
    record = Mailbox
    id_prefix = "M"
    properties = ("id", "name", "parentId", "role", "sortOrder", *COUNT_PROPERTIES, "myRights", "isSubscribed")
    server_set = frozenset({"id", *COUNT_PROPERTIES, "myRights"})
    reports_updated_properties = True
    set_args = MailboxSetArgs
    query_args = MailboxQueryArgs
    query_changes_args = MailboxQueryChangesArgs

    def to_json(self, ctx, txn, account_id, record_id, record: Mailbox, properties) -> dict[str, Any]:
        full = {
            "id": record_id,
            "name": record.name,
            "parentId": record.parent_id,
            "role": record.role,
            "sortOrder": record.sort_order,
            "myRights": owner_rights(record.role, "submission" in ctx.server.extras),
            "isSubscribed": record.is_subscribed,
        }
        if not properties.isdisjoint(COUNT_PROPERTIES):
            full.update(read_counts(txn, account_id, record_id))
        return {p: full[p] for p in properties if p in full} if len(properties) < len(self.properties) else full

    # -- set -------------------------------------------------------------------------------------
    def create(self, ctx, txn, account_id, obj, args) -> tuple[str, dict[str, Any]]:
        unknown = [p for p in obj if p not in self.properties]
        record = Mailbox(name="")
        self._apply(ctx, txn, account_id, None, record, obj, [(p, "unknown property") for p in unknown])
        record_id = txn.new_id(account_id, self.name, self.id_prefix)
        txn.create(account_id, self.name, record_id, record)
        extra: dict[str, Any] = {p: v for p, v in self.to_json(ctx, txn, account_id, record_id, record,
                                                               frozenset(self.properties)).items()
                                 if p not in obj and p != "id"}
        # The client learns what the server stored when it differs from what was sent (e.g. NFC names).
        if record.name != obj.get("name"):
            extra["name"] = record.name
        return record_id, extra

    def update(self, ctx, txn, account_id, record_id, record: Mailbox, changes, args) -> dict[str, Any] | None:
        if owner_rights(record.role)["mayRename"] is False and ("name" in changes or "parentId" in changes):
            raise SetError("forbidden", "this mailbox cannot be renamed or moved")
        if record.role == "inbox" and "role" in changes:
            raise SetError("forbidden", "the inbox keeps its role: delivery depends on it")
        if record.role in DRAFT_ROLES and "role" in changes:
            raise SetError("forbidden", "the outbox keeps its role: the draft dialect sends through it")
        self._apply(ctx, txn, account_id, record_id, record, changes)
        txn.update(account_id, self.name, record_id, record)
        # A property the server stored differently from the patch is reported back (RFC 8620 §5.3).
        if "name" in changes and record.name != changes["name"]:
            return {"name": record.name}
        return None

    def _apply(self, ctx: Context, txn: WriteTxn, account_id: str, record_id: str | None, record: Mailbox,
               values: dict[str, Any], problems: list[tuple[str, str]] | None = None) -> None:
        """Validate and copy client-settable properties; every invalid one is reported at once.

        `problems` holds (property, reason) pairs the caller already found (e.g. unknown properties).
        """
        bad: list[tuple[str, str]] = list(problems or [])
        if "name" in values or record_id is None:
            name = values.get("name")
            limit = ctx.server.mail_limits.max_size_mailbox_name
            if not isinstance(name, str) or not name:
                bad.append(("name", "the name must be a non-empty string"))
            elif len(unicodedata.normalize("NFC", name).encode()) > limit:
                bad.append(("name", f"the name is longer than {limit} octets"))
            elif any(unicodedata.category(ch) == "Cc" for ch in name):
                bad.append(("name", "the name contains control characters"))
            else:
                record.name = unicodedata.normalize("NFC", name)
        if "parentId" in values:
            parent = values["parentId"]
            if parent is None:
                record.parent_id = None
            elif not isinstance(parent, str):
                bad.append(("parentId", "parentId must be an Id or null"))
            else:
                resolved = ctx.resolve_id(parent)
                if resolved is None or not txn.exists(account_id, self.name, resolved):
                    bad.append(("parentId", f"no parent mailbox {parent}"))
                elif resolved == record_id:
                    bad.append(("parentId", "a mailbox cannot be its own parent"))
                else:
                    record.parent_id = resolved
        if "role" in values:
            role = values["role"]
            if role is not None and (not isinstance(role, str) or role.lower() not in ROLES):
                bad.append(("role", f"unknown role {role!r}"))
            else:
                record.role = role.lower() if role else None
        if "sortOrder" in values:
            order = values["sortOrder"]
            if order is None:
                record.sort_order = 0
            elif not isinstance(order, int) or isinstance(order, bool) or not 0 <= order < MAX_SORT_ORDER:
                bad.append(("sortOrder", "sortOrder must be an integer from 0 to 2^31-1"))
            else:
                record.sort_order = order
        if "isSubscribed" in values:
            subscribed = values["isSubscribed"]
            if subscribed is None:
                record.is_subscribed = True
            elif not isinstance(subscribed, bool):
                bad.append(("isSubscribed", "isSubscribed must be a boolean"))
            else:
                record.is_subscribed = subscribed
        tree_problems, namesake = self._tree_problems(ctx, txn, account_id, record_id, record, {p for p, _ in bad})
        bad.extend(tree_problems)
        if namesake is not None and record_id is None and bad == [("name", _SIBLING_NAME)]:
            # A new mailbox that only duplicates a sibling: say which one (RFC 8620 §5.4 alreadyExists,
            # with existingId). A rename or move onto a sibling's name stays invalidProperties.
            raise SetError("alreadyExists", "a sibling mailbox has this name", existingId=namesake)
        if bad:
            raise invalid_properties([p for p, _ in bad], "; ".join(reason for _, reason in bad))

    def _tree_problems(self, ctx: Context, txn: WriteTxn, account_id: str, record_id: str | None,
                       record: Mailbox, already_bad: set[str]) -> tuple[list[tuple[str, str]], str | None]:
        """Unique names among siblings, one mailbox per role, no loops, bounded depth (RFC 8621 §2):
        the problems, and the sibling of the same name if there is one.

        Checks that depend on a property already found invalid are skipped: it was not applied.
        """
        problems: list[tuple[str, str]] = []
        siblings_clash = None
        role_clash = False
        by_id = dict(txn.scan(account_id, self.name, Mailbox))
        for other_id, other in by_id.items():
            if other_id == record_id:
                continue
            if other.parent_id == record.parent_id and other.name == record.name:
                siblings_clash = other_id
            if record.role is not None and other.role == record.role:
                role_clash = True
        namesake = None
        if siblings_clash is not None and not already_bad & {"name", "parentId"}:
            problems.append(("name", _SIBLING_NAME))
            namesake = siblings_clash
        if role_clash and "role" not in already_bad:
            problems.append(("role", f"another mailbox has the role {record.role}"))
        if "parentId" in already_bad:
            return problems, namesake
        depth, parent = 1, record.parent_id
        while parent is not None:
            if parent == record_id:
                return [*problems, ("parentId", "a mailbox cannot be its own ancestor")], namesake
            depth += 1
            parent = by_id[parent].parent_id if parent in by_id else None
        max_depth = ctx.server.mail_limits.max_mailbox_depth
        if max_depth is not None and depth > max_depth:
            problems.append(("parentId", f"mailboxes nest at most {max_depth} deep"))
        return problems, namesake

    def destroy(self, ctx, txn, account_id, record_id, record: Mailbox, args: MailboxSetArgs) -> None:
        if not owner_rights(record.role)["mayDelete"]:
            raise SetError("forbidden", "this mailbox cannot be deleted")
        if any(m.parent_id == record_id for _, m in txn.scan(account_id, self.name, Mailbox)):
            raise SetError("mailboxHasChild", "the mailbox has child mailboxes")
        if read_counts(txn, account_id, record_id)["totalEmails"]:
            if not args.onDestroyRemoveEmails:
                raise SetError("mailboxHasEmail", "the mailbox has emails; set onDestroyRemoveEmails")
            remove_mailbox(txn, account_id, record_id)
        clear_counts(txn, account_id, record_id)
        txn.destroy(account_id, self.name, record_id)

    # -- query -----------------------------------------------------------------------------------
    def condition(self, ctx, txn, account_id, condition) -> Predicate:
        tests: list[Predicate] = []
        for prop, value in condition.items():
            if prop == "parentId":
                if value is not None and not isinstance(value, str):
                    raise invalid_arguments("parentId must be an Id or null")
                target = None if value is None else ctx.resolve_id(value)
                tests.append(lambda i, r, t=target: r.parent_id == t)
            elif prop == "name":
                if not isinstance(value, str):
                    raise invalid_arguments("name must be a string")
                needle = casemap(value)
                tests.append(lambda i, r, n=needle: n in casemap(r.name))
            elif prop == "role":
                if value is not None and not isinstance(value, str):
                    raise invalid_arguments("role must be a string or null")
                tests.append(lambda i, r, v=value: r.role == v)
            elif prop in ("hasAnyRole", "isSubscribed"):
                if not isinstance(value, bool):
                    raise invalid_arguments(f"{prop} must be a boolean")
                if prop == "hasAnyRole":
                    tests.append(lambda i, r, v=value: (r.role is not None) == v)
                else:
                    tests.append(lambda i, r, v=value: r.is_subscribed == v)
            else:
                raise MethodError("unsupportedFilter", f"Mailbox/query has no filter {prop!r}")
        return lambda i, r: all(t(i, r) for t in tests)

    def sort_key(self, ctx, txn, account_id, comparator: Comparator) -> SortKey:
        if comparator.property == "sortOrder":
            return lambda i, r: r.sort_order
        if comparator.property == "name":
            key = collation_key(comparator.collation)
            return lambda i, r: key(r.name)
        raise MethodError("unsupportedSort", f"cannot sort mailboxes by {comparator.property!r}")

    def can_calculate_changes(self, args) -> bool:
        # Tree options make a mailbox's place depend on its ancestors, which the log does not relate.
        return not (getattr(args, "sortAsTree", False) or getattr(args, "filterAsTree", False))

    def run_query(self, ctx, txn: ReadTxn, account_id: str, args: QueryArgs | QueryChangesArgs) -> list[str]:
        tree_sort = getattr(args, "sortAsTree", False)
        tree_filter = getattr(args, "filterAsTree", False)
        if not (tree_sort or tree_filter):
            return super().run_query(ctx, txn, account_id, args)
        everything = dict(txn.scan(account_id, self.name, Mailbox))
        matching = set(super().run_query(ctx, txn, account_id, _without(args, filter_=args.filter)))
        ordered = super().run_query(ctx, txn, account_id, _without(args, filter_=None))
        if tree_filter:
            matching = {i for i in matching if _ancestors_in(i, everything, matching)}
        if tree_sort:
            ordered = _tree_order(ordered, everything)
        return [i for i in ordered if i in matching]


_ASCII_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def collation_key(collation: str | None) -> Callable[[str], Any]:
    """A sort key implementing a collation of RFC 4790's registry; the default is i;unicode-casemap.

    The query has already checked that the collation is one the server advertises.
    """
    if collation == "i;ascii-numeric":
        return _ascii_numeric
    if collation == "i;ascii-casemap":
        return lambda value: value.encode().translate(_ASCII_UPPER)
    return unicode_casemap


def _ascii_numeric(value: str) -> tuple[int, int]:
    """i;ascii-numeric (RFC 4790 §9.1): the leading decimal digits; no leading digit is +infinity."""
    digits = len(value) - len(value.lstrip("0123456789"))
    return (0, int(value[:digits])) if digits and value[:digits].isascii() else (1, 0)


def unicode_casemap(value: str) -> str:
    """i;unicode-casemap (RFC 5051): titlecase each character, then decompose fully.

    Comparing the results by code point is comparing their UTF-8 octets, as the collation says;
    accented letters sort with their base letter and case is ignored.
    """
    def title(text: str) -> str:
        return "".join(t if len(t := ch.title()) == 1 else ch for ch in text)

    # Decomposing can expose characters with a titlecase of their own (e.g. in "ǆ"): map once more.
    return unicodedata.normalize("NFKD", title(unicodedata.normalize("NFKD", title(value))))


def _without(args, *, filter_):
    return msgspec.structs.replace(args, filter=filter_)


def _ancestors_in(record_id: str, everything: dict[str, Mailbox], matching: set[str]) -> bool:
    parent = everything[record_id].parent_id
    while parent is not None:
        if parent not in matching:
            return False
        parent = everything[parent].parent_id if parent in everything else None
    return True


def _tree_order(ordered: list[str], everything: dict[str, Mailbox]) -> list[str]:
    """Depth-first over the forest, each set of siblings in the comparators' order (RFC 8621 §2.3)."""
    children: dict[str | None, list[str]] = {}
    for record_id in ordered:
        children.setdefault(everything[record_id].parent_id, []).append(record_id)
    out: list[str] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        record_id = stack.pop()
        out.append(record_id)
        stack.extend(reversed(children.get(record_id, [])))
    return out
