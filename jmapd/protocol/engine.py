"""Runs the method calls of one request in order (RFC 8620 §3).

The engine knows the wire and nothing about mail: it checks `using`, resolves back-references, looks
methods up by name, turns exceptions into method-level errors so that one failing call never aborts
the others, and runs the implicit follow-on calls a method asks for (RFC 8620 §5.4
onSuccessDestroyOriginal, RFC 8621 §7.5 onSuccessUpdateEmail, the draft dialect's implicit fetches)
under the same method call id.

A request is answered call by call (`RequestRun`), so that its frontend can decide where each call
runs from the call's arguments as the method will see them, back-references resolved: a cheap call
stays where the request arrived (the event loop), one that may block or cost more moves, with the
rest of the request, to a thread. Client input is only ever looked at inside the per-call error
handling, and every call runs within the request's time budget (jmapd.protocol.budget).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .budget import DEFAULT_TIME_BUDGET, BudgetSpent, current_budget
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
    # When the request's time budget runs out (monotonic clock), and that budget in seconds.
    deadline: float = float("inf")
    budget: float = DEFAULT_TIME_BUDGET


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
    # Whether a call may block or take more than a moment, and so must not run on the event loop:
    # writers wait for the store's write lock and the disk, searches for the index to catch up,
    # anything that parses messages or walks an account computes for as long as the account is
    # large. A predicate decides from the call's arguments (back-references resolved); it may see
    # any input a client sends, and whatever it raises counts as "may block".
    blocking: bool | Callable[[dict[str, Any]], bool] = False

    def may_block(self, args: dict[str, Any]) -> bool:
        if isinstance(self.blocking, bool):
            return self.blocking
        try:
            return bool(self.blocking(args))
        except Exception:
            return True


@dataclass
class Registry:
    methods: dict[str, Method] = field(default_factory=dict)

    def add(self, name: str, capability: str, handler: Handler, *,
            blocking: bool | Callable[[dict[str, Any]], bool] = False) -> None:
        if name in self.methods:
            raise ValueError(f"method {name} registered twice")
        self.methods[name] = Method(name, capability, handler, blocking)


class Engine:
    def __init__(
        self,
        registry: Registry,
        capabilities: Iterable[str],
        *,
        max_calls: int,
        call_class: type[Call] = Call,
        time_budget: float = DEFAULT_TIME_BUDGET,
    ):
        self.registry = registry
        self.capabilities = frozenset(capabilities)
        self.max_calls = max_calls
        self.call_class = call_class
        self.time_budget = time_budget

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
        # Nothing more: RFC 8620 §3.3 makes each call's capability count, not the list as a whole
        # (an empty `using` is a well-formed Request whose every call is unknownMethod, §2).

    def start(self, request: Request, services: Any) -> RequestRun:
        """The request checked (RequestError if it cannot run at all), its calls not yet run."""
        return RequestRun(self, request, services)

    def run(self, request: Request, services: Any) -> dict[str, Any]:
        """Every call of the request, here and now; the Response."""
        return self.start(request, services).finish()

    def method_for(self, name: str, scope: RequestScope, *, implicit: bool) -> Method | None:
        method = self.registry.methods.get(name)
        # A method whose capability the client did not opt in to does not exist for it (§3.3).
        if method is None or (not implicit and method.capability not in scope.using):
            return None
        return method

    def _invoke(self, name: str, args: dict[str, Any], call_id: str, scope: RequestScope, *, implicit: bool,
                resolved: dict[str, Any] | MethodError | None = None) -> None:
        call = self.call_class(name, call_id, scope)
        token = current_budget.set((scope.deadline, scope.budget))
        try:
            if time.monotonic() > scope.deadline:
                raise BudgetSpent(scope.budget)
            method = self.method_for(name, scope, implicit=implicit)
            if method is None:
                raise MethodError("unknownMethod", f"unknown method {name!r}")
            if isinstance(resolved, MethodError):
                raise resolved
            result = method.handler(call, resolve(args, scope.responses) if resolved is None else resolved)
        except MethodError as exc:
            scope.responses.append(["error", exc.arguments(), call_id])
            return
        except Exception as exc:  # a bug must cost one call, never the whole request
            log.exception("method %s failed", name)
            scope.responses.append(
                ["error", {"type": "serverFail", "description": f"{type(exc).__name__} in {name}"}, call_id]
            )
            return
        finally:
            current_budget.reset(token)
        if isinstance(result, Named):
            scope.responses.append([result.name, result.args, call_id])
        else:
            scope.responses.append([name, result, call_id])
        for follow_name, follow_args in call.follow_ups:
            self._invoke(follow_name, follow_args, call_id, scope, implicit=True)


class RequestRun:
    """The calls of one request, answered in order, one `step` at a time.

    `next_may_block` resolves the next call's back-references and asks its method whether it may
    block; `step` then runs it with exactly those arguments. Both work inside the per-call error
    handling: whatever a client sends, a bad call costs that call, never the request.
    """

    def __init__(self, engine: Engine, request: Request, services: Any):
        engine.check(request)
        self.engine = engine
        self.calls = request.methodCalls
        self.echo_created_ids = request.createdIds is not None
        self.scope = RequestScope(
            using=frozenset(request.using),
            created_ids=dict(request.createdIds or {}),
            responses=[],
            services=services,
            deadline=time.monotonic() + engine.time_budget,
            budget=engine.time_budget,
        )
        self.position = 0
        self._resolved: dict[str, Any] | MethodError | None = None

    @property
    def done(self) -> bool:
        return self.position >= len(self.calls)

    def next_may_block(self) -> bool:
        """Whether the next call must leave the event loop, judged from its resolved arguments."""
        name, args, _ = self.calls[self.position]
        method = self.engine.method_for(name, self.scope, implicit=False)
        if method is None:
            return False  # unknownMethod, at once
        try:
            self._resolved = resolve(args, self.scope.responses)
        except MethodError as exc:
            self._resolved = exc  # invalidResultReference, at once
            return False
        except Exception:
            return True  # answered by the call's own error handling, wherever it runs
        return method.may_block(self._resolved)

    def step(self) -> None:
        name, args, call_id = self.calls[self.position]
        self.position += 1
        resolved, self._resolved = self._resolved, None
        self.engine._invoke(name, args, call_id, self.scope, implicit=False, resolved=resolved)

    def finish(self) -> dict[str, Any]:
        """The remaining calls, then the Response."""
        while not self.done:
            self.step()
        return self.response()

    def response(self) -> dict[str, Any]:
        response: dict[str, Any] = {"methodResponses": self.scope.responses}
        if self.echo_created_ids:
            response["createdIds"] = self.scope.created_ids
        return response
