"""The time a request may take, checked where its calls loop over records.

Work off the event loop no longer holds other users, but it still holds a thread of the pool and a
share of the CPU (and the GIL): a request that would run for minutes must stop, and say why. The
engine sets the request's deadline around each call; the loops that grow with an account or with
the client's input (records filtered, sorted, rendered, messages parsed) call `check_budget()`,
which costs a clock read. Past the deadline the call answers serverFail with the reason, and the
request's remaining calls answer the same without running (RFC 8620 §3.6.2: serverFail is "an
unexpected error ... in a way that the request could not be processed").
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from .errors import MethodError

__all__ = ["BudgetSpent", "DEFAULT_TIME_BUDGET", "check_budget", "current_budget"]

#: Seconds one request may compute for; far more than any real client's request takes here.
DEFAULT_TIME_BUDGET = 10.0

#: (deadline on the monotonic clock, the budget it came from) of the request being answered.
current_budget: ContextVar[tuple[float, float] | None] = ContextVar("jmapd_request_budget", default=None)


class BudgetSpent(MethodError):
    def __init__(self, seconds: float):
        super().__init__("serverFail", f"the request used up its time budget of {seconds:g} s; ask for less in "
                                       "one request (fewer ids, a narrower filter, a simpler sort)")


def check_budget() -> None:
    """Raise BudgetSpent once the current request's deadline has passed (outside a request: never)."""
    budget = current_budget.get()
    if budget is not None and time.monotonic() > budget[0]:
        raise BudgetSpent(budget[1])
