"""A small closed-loop HTTP/1.1 load generator: keep-alive connections, one request in flight each.

Written on raw asyncio streams (with uvloop) so that the client costs far less than the server it
measures; the same client measures jmapd and the bare-Starlette floor, so their ratio is fair.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvloop


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    def summary(self) -> dict:
        return {"requests": self.requests, "errors": self.errors, "rps": round(self.rps, 1),
                "median_ms": round(self.median, 3), "p90_ms": round(self.percentile(90), 3),
                "p99_ms": round(self.percentile(99), 3), "max_ms": round(max(self.latencies_ms, default=0), 3)}


def build_request(url: str, body: bytes | None, headers: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    path = parts.path + (("?" + parts.query) if parts.query else "")
    method = "POST" if body is not None else "GET"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def _worker(host, port, request: bytes, deadline: float, max_requests: int, counter: list[int],
                  latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        import socket

        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while time.perf_counter() < deadline and counter[0] < max_requests:
            counter[0] += 1
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append((time.perf_counter() - start) * 1000)
            if status >= 400:
                errors[0] += 1
    finally:
        writer.close()


async def _run(url, body, headers, duration, concurrency, max_requests) -> Result:
    parts = urlsplit(url)
    request = build_request(url, body, headers)
    counter, errors, latencies = [0], [0], []
    start = time.perf_counter()
    deadline = start + duration
    await asyncio.gather(*(
        _worker(parts.hostname, parts.port, request, deadline, max_requests, counter, latencies, errors)
        for _ in range(concurrency)))
    return Result(len(latencies), errors[0], time.perf_counter() - start, latencies)


def run(url: str, body: bytes | None, headers: dict[str, str], *, duration: float = 5.0, concurrency: int = 8,
        max_requests: int = 10**9, warmup: float = 1.0) -> Result:
    if warmup:
        uvloop.run(_run(url, body, headers, warmup, concurrency, max_requests))
    return uvloop.run(_run(url, body, headers, duration, concurrency, max_requests))
