"""POST to the draft dialect's endpoint: an array of draft method calls in, an array of responses
out (draft-jenkins-jmapmail-00). Authentication, limits and request-level errors are the API's, and
its calls leave the event loop the same way: from the first that may block."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool

from ..draft import Dialect, decode_calls
from ..methods.services import Principal
from ..protocol.engine import RequestRun
from ..protocol.wire import encode_json
from .api import DECODE_ON_LOOP_MAX, ApiEndpoint
from .state import AppState


class DraftEndpoint(ApiEndpoint):
    def __init__(self, state: AppState, dialect: Dialect):
        super().__init__(state)
        self.dialect = dialect

    async def respond(self, body: bytes, principal: Principal) -> tuple[bytes, float]:
        dialect = self.dialect
        account_id = principal.user.account_id
        if dialect.needs_outbox(account_id):
            await run_in_threadpool(dialect.ensure_outbox, principal.server, account_id)
        started = time.perf_counter()
        if len(body) > DECODE_ON_LOOP_MAX:
            answer = await run_in_threadpool(lambda: _finish(dialect.start(decode_calls(body), principal)))
        else:
            run = dialect.start(decode_calls(body), principal)
            while not run.done and not run.next_may_block():
                run.step()
            answer = _finish(run) if run.done else await run_in_threadpool(_finish, run)
        return answer, (time.perf_counter() - started) * 1000


def _finish(run: RequestRun) -> bytes:
    """The rest of the calls, then the draft's response: the bare array of responses."""
    return encode_json(run.finish()["methodResponses"])
