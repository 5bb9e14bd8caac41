"""`jmapd bench` command line: argument parsing and the top-level run."""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys

import httpx
import uvloop

from .client import BenchError, Jmap, Session, discover
from .report import to_json, to_table
from .results import BenchResult
from .runner import run_scenario
from .scenarios import DEFAULT_WORDS, NEEDS_EMAILS, SCENARIOS, prepare, refresh_email_ids


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jmapd bench",
        description="Closed-loop load generator for any JMAP (RFC 8620/8621) server.",
    )
    parser.add_argument("--session-url", required=True, help="JMAP Session URL, e.g. https://host/.well-known/jmap")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--duration", type=_positive_float, default=10.0, help="seconds per scenario (default 10)")
    parser.add_argument("--concurrency", type=_positive_int, default=4, help="concurrent clients (default 4), at most the server's maxConcurrentRequests")
    parser.add_argument("--max-requests", type=_positive_int, default=None,
                        help="stop a scenario after this many operations")
    parser.add_argument("--words", default=",".join(DEFAULT_WORDS),
                        help="comma-separated search words for the search scenario")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--server-pid", type=int, default=None, help="report this process's VmRSS/RssAnon at the end")
    parser.add_argument("--timeout", type=_positive_float, default=30.0, help="HTTP timeout in seconds (default 30)")
    parser.add_argument("scenarios", nargs="+", metavar="SCENARIO", choices=sorted(SCENARIOS),
                        help="one or more of: " + ", ".join(SCENARIOS))
    return parser


def effective_concurrency(requested: int, session: Session) -> int:
    """The number of clients to run: at most the server's maxConcurrentRequests (RFC 8620 section 2).

    Each client has one request in flight, so more clients than that would only measure the server
    refusing the excess with `limit` errors, not how fast it serves what it promised to accept.
    """
    limit = session.core_limit("maxConcurrentRequests")
    return min(requested, limit) if limit else requested


async def run(args: argparse.Namespace) -> BenchResult:
    limits = httpx.Limits(max_connections=args.concurrency + 1, max_keepalive_connections=args.concurrency + 1)
    # The credentials go in a fixed header rather than through httpx's per-request auth flow:
    # the load generator shares the machine with the server, so its own cost per request matters.
    credentials = base64.b64encode(f"{args.user}:{args.password}".encode()).decode("ascii")
    transport = httpx.AsyncHTTPTransport(limits=limits)
    async with httpx.AsyncClient(
        headers={"Authorization": f"Basic {credentials}"}, timeout=args.timeout, transport=transport,
        follow_redirects=True,
    ) as http:
        session = await discover(http, args.session_url)
        concurrency = effective_concurrency(args.concurrency, session)
        if concurrency < args.concurrency:
            print(f"jmapd bench: concurrency capped at {concurrency}, the server's maxConcurrentRequests",
                  file=sys.stderr)
        jmap = Jmap(http, session, transport)
        ctx = await prepare(jmap)
        words = [w.strip() for w in args.words.split(",") if w.strip()]
        if words:
            ctx.words = words
        results = []
        for name in args.scenarios:
            if name in NEEDS_EMAILS and not ctx.email_ids:
                await refresh_email_ids(ctx)  # an earlier import scenario may have added some
            results.append(await run_scenario(
                ctx, name, duration=args.duration, concurrency=concurrency,
                max_requests=args.max_requests, server_pid=args.server_pid,
            ))
        return BenchResult(
            session_url=session.url,
            account_id=session.account_id,
            concurrency=concurrency,
            duration_s=args.duration,
            max_requests=args.max_requests,
            scenarios=results,
        )


def main(argv: list[str]) -> int:
    """Entry point for `jmapd bench ARGS...`; returns the process exit status (2 = usage error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed usage or help
        return int(exc.code) if isinstance(exc.code, int) else 2
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            result = runner.run(run(args))
    except BenchError as exc:
        print(f"jmapd bench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("jmapd bench: interrupted", file=sys.stderr)
        return 130
    print(to_json(result) if args.json else to_table(result))
    return 1 if any(r.errors for r in result.scenarios) else 0
