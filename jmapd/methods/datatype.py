"""The contract between a JMAP data type and the generic standard methods (RFC 8620 §5).

/get, /changes, /set, /query and /queryChanges are written once in `standard/`; a data type supplies
only what is its own: how a record looks on the wire, what a create/update/destroy must check, and
which filter conditions and sorts it understands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from store import ReadTxn, WriteTxn

from ..protocol.errors import MethodError
from .args import ChangesArgs, Comparator, GetArgs, QueryArgs, QueryChangesArgs, SetArgs
from .context import Context
from .filtering import Predicate, SortKey, build_filter, check_collation, distinct_comparators, sort_rows


class DataType:
    name: ClassVar[str]
    capability: ClassVar[str]
    record: ClassVar[type]
    id_prefix: ClassVar[str]
    properties: ClassVar[tuple[str, ...]]
    # Properties a client may not set to a new value (invalidProperties if it tries, RFC 8620 §5.3).
    server_set: ClassVar[frozenset[str]] = frozenset({"id"})
    # Properties that may be given on create but never changed (None: just the server-set ones).
    immutable: ClassVar[frozenset[str] | None] = None
    # Mailbox/changes says which properties changed when only counts did (RFC 8621 §2.2).
    reports_updated_properties: ClassVar[bool] = False
    get_args: ClassVar[type[GetArgs]] = GetArgs
    changes_args: ClassVar[type[ChangesArgs]] = ChangesArgs
    set_args: ClassVar[type[SetArgs]] = SetArgs
    query_args: ClassVar[type[QueryArgs]] = QueryArgs
    query_changes_args: ClassVar[type[QueryChangesArgs]] = QueryChangesArgs

    # -- /get ------------------------------------------------------------------------------------
    def check_properties(self, properties: list[str] | None) -> frozenset[str]:
        if properties is None:
            return frozenset(self.properties)
        unknown = [p for p in properties if p not in self.properties]
        if unknown:
            raise MethodError("invalidArguments", f"unknown {self.name} properties: {', '.join(unknown)}")
        return frozenset(properties) | {"id"}

    def to_json(self, ctx: Context, txn: ReadTxn, account_id: str, record_id: str, record: Any,
                properties: frozenset[str]) -> dict[str, Any]:
        raise NotImplementedError

    def renderer(self, ctx: Context, txn: ReadTxn, account_id: str,
                 args: GetArgs) -> Callable[[str, Any], dict[str, Any]]:
        """How /get turns each record into JSON; types with extra /get arguments override it."""
        properties = self.check_properties(args.properties)
        return lambda record_id, record: self.to_json(ctx, txn, account_id, record_id, record, properties)

    def fetch(self, ctx: Context, txn: ReadTxn, account_id: str, args: GetArgs, state: int,
              record_ids: list[str | None]) -> list[Any | None]:
        """/get's answers for these ids at `state`, in order: each record as JSON, None where there is
        none. A type whose renderings are worth keeping answers from `ctx.server.rendered` instead."""
        render = self.renderer(ctx, txn, account_id, args)
        answers: list[Any | None] = []
        for record_id in record_ids:
            record = None if record_id is None else self.load(txn, account_id, record_id)
            answers.append(None if record is None else render(record_id, record))
        return answers

    def load(self, txn: ReadTxn, account_id: str, record_id: str) -> Any:
        return txn.get(account_id, self.name, record_id, self.record)

    # -- /set ------------------------------------------------------------------------------------
    def create(self, ctx: Context, txn: WriteTxn, account_id: str, obj: dict[str, Any],
               args: SetArgs) -> tuple[str, dict[str, Any]]:
        """Create a record; return its id and the properties the client did not send."""
        raise MethodError("invalidArguments", f"{self.name} records cannot be created")

    def normalize_patch(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Patch paths as the type stores them (e.g. case-insensitive keys in lowercase)."""
        return patch

    def patch_base(self, ctx: Context, txn: ReadTxn, account_id: str, record_id: str, record: Any,
                   patch: dict[str, Any]) -> dict[str, Any]:
        """The object a patch applies to (RFC 8620 §5.3): the whole record as /get shows it."""
        return self.to_json(ctx, txn, account_id, record_id, record, frozenset(self.properties))

    def update(self, ctx: Context, txn: WriteTxn, account_id: str, record_id: str, record: Any,
               changes: dict[str, Any], args: SetArgs) -> dict[str, Any] | None:
        """Apply changed top-level properties; return server-changed properties, if any."""
        raise MethodError("invalidArguments", f"{self.name} records cannot be updated")

    def destroy(self, ctx: Context, txn: WriteTxn, account_id: str, record_id: str, record: Any,
                args: SetArgs) -> None:
        raise MethodError("invalidArguments", f"{self.name} records cannot be destroyed")

    # -- /query ----------------------------------------------------------------------------------
    def condition(self, ctx: Context, txn: ReadTxn, account_id: str, condition: dict[str, Any]) -> Predicate:
        raise MethodError("unsupportedFilter", f"{self.name} has no filter conditions")

    def sort_key(self, ctx: Context, txn: ReadTxn, account_id: str, comparator: Comparator) -> SortKey:
        raise MethodError("unsupportedSort", f"cannot sort {self.name} by {comparator.property!r}")

    def run_query(self, ctx: Context, txn: ReadTxn, account_id: str, args: QueryArgs | QueryChangesArgs) -> list[str]:
        """Every matching id in sorted order, by scanning the type's records.

        Fine for small types (mailboxes, identities); a type with many records overrides this with
        an index (Email/query reads a sorted secondary index).
        """
        predicate = None
        if args.filter is not None:
            predicate = build_filter(args.filter, lambda c: self.condition(ctx, txn, account_id, c))
        keys = []
        for comparator in distinct_comparators(args.sort):
            check_collation(comparator, ctx.server.core_limits.collation_algorithms)
            keys.append((self.sort_key(ctx, txn, account_id, comparator), comparator.isAscending))
        rows = [(i, r) for i, r in txn.scan(account_id, self.name, self.record) if predicate is None or predicate(i, r)]
        sort_rows(rows, keys)
        return [i for i, _ in rows]

    def check_query(self, ctx: Context, txn: ReadTxn, account_id: str, args: QueryArgs | QueryChangesArgs) -> None:
        """Raise the error a bad filter or sort deserves, without needing the results."""
        self.run_query(ctx, txn, account_id, args)

    def changed_since(self, ctx: Context, txn: ReadTxn, account_id: str, since: int,
                      args: QueryChangesArgs) -> list[str]:
        """Records whose place in query results may have changed since `since` (oldest change first).

        A record's own changes, by default; a type whose results depend on other records widens it.
        """
        return list(dict.fromkeys(entry.id for _, entry in txn.changes_since(account_id, self.name, since)))

    def query_state(self, txn: ReadTxn, account_id: str) -> str:
        return str(txn.state(account_id, self.name))

    def can_calculate_changes(self, args: QueryArgs | QueryChangesArgs) -> bool:
        return True
