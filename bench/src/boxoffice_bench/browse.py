"""Scenario 3, browsing: the seat map of a big show and the show list, as fast as the server
answers (closed loop), conditional requests (If-None-Match → 304), and the seat map at a fixed
arrival rate (open loop: latency counts from when a request was due, so a stalled server cannot
hide its queue)."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, field

from boxoffice_bench.http import Connection, Endpoint, HttpError
from boxoffice_bench.stats import Latencies

ACCEPT = b"Accept: application/json\r\nAccept-Encoding: gzip\r\n"


@dataclass
class BrowseResult:
    name: str
    seconds: float
    latencies: Latencies = field(default_factory=Latencies)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    bytes: int = 0
    rate_asked: float = 0.0
    answered: int = 0  # every answer, warm-up included
    server_cpu: float = math.nan  # CPU seconds of the server's processes during the run

    @property
    def cpu_per_request_us(self) -> float:
        return self.server_cpu / self.answered * 1e6 if self.answered else math.nan

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def _ok(status: int, expect: int) -> bool:
    return status == expect


async def closed_loop(
    endpoint: Endpoint,
    name: str,
    path: str,
    *,
    clients: int,
    seconds: float,
    headers: bytes = b"",
    expect: int = 200,
    warmup: float = 0.5,
) -> BrowseResult:
    result = BrowseResult(name, seconds)
    request_headers = ACCEPT + headers
    counted_from = time.monotonic() + warmup
    end = counted_from + seconds

    async def client() -> None:
        conn = Connection(endpoint)
        request = conn.prepare("GET", path, request_headers)
        try:
            while (sent := time.monotonic()) < end:
                try:
                    r = await conn.send(request)
                except (HttpError, OSError, TimeoutError) as exc:
                    if sent >= counted_from:
                        result.errors[type(exc).__name__] += 1
                    await asyncio.sleep(0.05)
                    continue
                result.answered += 1
                if sent < counted_from:
                    continue
                result.latencies.add(time.monotonic() - sent)
                result.statuses[r.status] += 1
                result.bytes += len(r.body)
                if not _ok(r.status, expect):
                    result.errors[f"HTTP {r.status}"] += 1
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return result


async def open_loop(
    endpoint: Endpoint,
    name: str,
    path: str,
    *,
    rate: float,
    seconds: float,
    headers: bytes = b"",
    expect: int = 200,
    max_connections: int = 256,
) -> BrowseResult:
    """`rate` requests per second for `seconds`, each on an idle keep-alive connection (a new one
    when all are busy, up to max_connections)."""
    result = BrowseResult(name, seconds, rate_asked=rate)
    request_headers = ACCEPT + headers
    idle: list[Connection] = []
    opened = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(conn: Connection, due: float) -> None:
        try:
            r = await conn.send(conn.prepare("GET", path, request_headers))
        except (HttpError, OSError, TimeoutError) as exc:
            result.errors[type(exc).__name__] += 1
            conn.close()
        else:
            result.answered += 1
            result.latencies.add(time.monotonic() - due)
            result.statuses[r.status] += 1
            result.bytes += len(r.body)
            if not _ok(r.status, expect):
                result.errors[f"HTTP {r.status}"] += 1
        idle.append(conn)

    # warm a few connections so connection set-up is not what is measured
    for _ in range(8):
        conn = Connection(endpoint)
        await conn.send(conn.prepare("GET", path, request_headers))
        idle.append(conn)
        opened += 1
    start = time.monotonic() + 0.05
    total = int(rate * seconds)
    for i in range(total):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if idle:
            conn = idle.pop()
        elif opened < max_connections:
            conn = Connection(endpoint)
            opened += 1
        else:
            result.errors["generator saturated"] += 1
            continue
        task = asyncio.create_task(one(conn, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    result.seconds = max(seconds, time.monotonic() - start)
    for conn in idle:
        conn.close()
    return result


async def etag_of(endpoint: Endpoint, path: str) -> bytes:
    conn = Connection(endpoint)
    try:
        r = await conn.request("GET", path, ACCEPT)
    finally:
        conn.close()
    etag = r.header(b"etag")
    if r.status != 200 or not etag:
        raise HttpError(f"{path} answered {r.status} without an ETag")
    return etag
