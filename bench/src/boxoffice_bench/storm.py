"""Scenario 1, the hot-show hold storm: N clients on keep-alive connections ask for 1–4 adjacent
seats at random, as fast as the server answers, for a fixed time."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import orjson

from boxoffice_bench.http import Connection, Endpoint, HttpError
from boxoffice_bench.stats import Latencies


@dataclass
class HoldSample:
    """A granted hold, for matching with its live update: when it was sent and answered."""

    sent: float
    answered: float
    seats: tuple[int, ...]


@dataclass
class StormResult:
    seconds: float
    granted: Latencies = field(default_factory=Latencies)
    refused: Latencies = field(default_factory=Latencies)
    reasons: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[HoldSample] = field(default_factory=list)
    answered: int = 0  # every answer, warm-up included
    server_cpu: float = math.nan  # CPU seconds of the server's processes during the run

    @property
    def cpu_per_hold_us(self) -> float:
        return self.server_cpu / self.answered * 1e6 if self.answered else math.nan

    @property
    def all(self) -> Latencies:
        both = Latencies(list(self.granted.samples))
        both.extend(self.refused)
        return both

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def rate(self, what: Latencies | None = None) -> float:
        n = len(what) if what is not None else len(self.granted) + len(self.refused)
        return n / self.seconds if self.seconds > 0 else 0.0


def classify_refusal(body: bytes) -> str:
    if b"Seats taken" in body:
        return "taken"
    if b"Too many holds" in body:
        return "too_many_holds"
    if b"Not enough places" in body:
        return "sold_out"
    return "other_conflict"


async def storm(
    endpoint: Endpoint,
    path: str,
    headers: list[bytes],
    rows: list[list[int]],
    *,
    clients: int,
    seconds: float,
    warmup: float = 1.0,
    keep_samples: bool = False,
    seed: int | None = None,
) -> StormResult:
    """`headers[i % len(headers)]` authenticates client i; only requests that start after the
    warm-up count."""
    result = StormResult(seconds=seconds)
    rng = random.Random(seed)
    begin = time.monotonic()
    counted_from = begin + warmup
    end = counted_from + seconds

    async def client(i: int) -> None:
        conn = Connection(endpoint, timeout=30)
        hdr = headers[i % len(headers)]
        try:
            while True:
                sent = time.monotonic()
                if sent >= end:
                    return
                k = rng.randint(1, 4)
                row = rows[rng.randrange(len(rows))]
                start = rng.randrange(len(row) - k + 1) if len(row) >= k else 0
                seats = row[start : start + k]
                body = orjson.dumps({"seat_ids": seats})
                try:
                    r = await conn.request("POST", path, hdr, body)
                except (HttpError, OSError, TimeoutError) as exc:
                    if sent >= counted_from:
                        result.errors[type(exc).__name__] += 1
                    await asyncio.sleep(0.05)
                    continue
                answered = time.monotonic()
                result.answered += 1
                if sent < counted_from:
                    continue
                if r.status == 201:
                    result.granted.add(answered - sent)
                    if keep_samples:
                        result.samples.append(HoldSample(sent, answered, tuple(seats)))
                elif r.status == 409:
                    result.refused.add(answered - sent)
                    result.reasons[classify_refusal(r.body)] += 1
                elif r.status == 429:
                    result.refused.add(answered - sent)
                    result.reasons["rate_limited"] += 1
                else:
                    result.errors[f"HTTP {r.status}"] += 1
        finally:
            conn.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return result
