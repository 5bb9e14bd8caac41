"""Runs the method calls of one request in order (RFC 8620 §3).

The engine knows the wire and nothing about mail: it checks `using`, resolves back-references, looks
methods up by name, turns exceptions into method-level errors so that one failing call never aborts
the others, and runs the implicit follow-on calls a method asks for (RFC 8620 §5.4
onSuccessDestroyOriginal, RFC 8621 §7.5 onSuccessUpdateEmail, the draft dialect's implicit fetches)
under the same method call id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .capabilities import CORE
from .errors import MethodError, RequestError
from .references import resolve
from .wire import Request

log = logging.getLogger("jmapd.engine")


@dataclass
class RequestScope:
    """What the calls of one request share."""

    using: frozenset[str]
    created_ids: dict[str, str]
    responses: list[list[Any]]
    services: Any


class Call:
    """One method invocation as a handler sees it. Applications subclass it to add their services."""

    def __init__(self, name: str, call_id: str, scope: RequestScope):
        self.name = name
        self.call_id = call_id
        self.scope = scope
        self.follow_ups: list[tuple[str, dict[str, Any]]] = []

    def then(self, name: str, args: dict[str, Any]) -> None:
        """Queue an implicit call whose response follows this call's, with the same call id."""
        self.follow_ups.append((name, args))

    def creation(self, creation_id: str) -> str | None:
        return self.scope.created_ids.get(creation_id)

    def created(self, creation_id: str, real_id: str) -> None:
        self.scope.created_ids[creation_id] = real_id


@dataclass(frozen=True)
class Named:
    """A response whose name differs from the method's (the draft dialect answers getMailboxes with
    `mailboxes`); plain dicts are answered under the method's own name."""

    name: str
    args: dict[str, Any]


Handler = Callable[[Call, dict[str, Any]], "dict[str, Any] | Named"]


@dataclass(frozen=True)
class Method:
    name: str
    capability: str
    handler: Handler
    # Whether a call may block: writers wait for the store's write lock and the disk, searches for
    # the index to catch up. A predicate decides from the call's arguments.
    blocking: bool | Callable[[dict[str, Any]], bool] = False


@dataclass
class Registry:
    methods: dict[str, Method] = field(default_factory=dict)

    def add(self, name: str, capability: str, handler: Handler, *,
            blocking: bool | Callable[[dict[str, Any]], bool] = False) -> None:
        if name in self.methods:
            raise ValueError(f"method {name} registered twice")
        self.methods[name] = Method(name, capability, handler, blocking)

    def may_block(self, request: Request) -> bool:
        """Whether any call of the request may block (unknown names cannot: they fail at once)."""
        for name, args, _ in request.methodCalls:
            method = self.methods.get(name)
            if method is None or method.blocking is False:
                continue
            if method.blocking is True or method.blocking(args):
                return True
        return False


class Engine:
    def __init__(
        self,
        registry: Registry,
        capabilities: Iterable[str],
        *,
        max_calls: int,
        call_class: type[Call] = Call,
    ):
        self.registry = registry
        self.capabilities = frozenset(capabilities)
        self.max_calls = max_calls
        self.call_class = call_class

    def check(self, request: Request) -> None:
        """The request-level checks, before anything runs (RFC 8620 §3.6.1)."""
        if len(request.methodCalls) > self.max_calls:
            raise RequestError(
                "limit",
                f"The request has {len(request.methodCalls)} method calls; the limit is {self.max_calls}.",
                limit="maxCallsInRequest",
            )
        unknown = [c for c in request.using if c not in self.capabilities]
        if unknown:
            raise RequestError(
                "unknownCapability",
                f"The Request object used capabilities this server does not support: {', '.join(unknown)}.",
            )
        if CORE not in request.using:
            raise RequestError("notRequest", f"'using' must include {CORE} (RFC 8620 §3.3).")

    def run(self, request: Request, services: Any) -> dict[str, Any]:
        self.check(request)
        scope = RequestScope(
            using=frozenset(request.using),
            created_ids=dict(request.createdIds or {}),
            responses=[],
            services=services,
        )
        for name, args, call_id in request.methodCalls:
            self._invoke(name, args, call_id, scope, implicit=False)
        response: dict[str, Any] = {"methodResponses": scope.responses}
        if request.createdIds is not None:
            response["createdIds"] = scope.created_ids
        return response

    def _invoke(self, name: str, args: dict[str, Any], call_id: str, scope: RequestScope, *, implicit: bool) -> None:
        call = self.call_class(name, call_id, scope)
        try:
            method = self.registry.methods.get(name)
            # A method whose capability the client did not opt in to does not exist for it (§3.3).
            if method is None or (not implicit and method.capability not in scope.using):
                raise MethodError("unknownMethod", f"unknown method {name!r}")
            result = method.handler(call, resolve(args, scope.responses))
        except MethodError as exc:
            scope.responses.append(["error", exc.arguments(), call_id])
            return
        except Exception as exc:  # a bug must cost one call, never the whole request
            log.exception("method %s failed", name)
            scope.responses.append(
                ["error", {"type": "serverFail", "description": f"{type(exc).__name__} in {name}"}, call_id]
            )
            return
        if isinstance(result, Named):
            scope.responses.append([result.name, result.args, call_id])
        else:
            scope.responses.append([name, result, call_id])
        for follow_name, follow_args in call.follow_ups:
            self._invoke(follow_name, follow_args, call_id, scope, implicit=True)
