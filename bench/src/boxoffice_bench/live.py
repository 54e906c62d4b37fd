"""Scenario 4, live seat maps: thousands of subscribers to one show's seat stream (SSE) while a
hold storm runs on that show; how long a hold takes to reach them.

The subscribers live in a child process with its own event loop, so the storm's clients and the
subscribers do not delay each other's timestamps (both use CLOCK_MONOTONIC, one clock for every
process of the machine). Each subscriber records, per read, the arrival time and the highest
map version seen; one observer subscriber also parses every event, to learn which version each
granted hold got. An event of version v has reached a subscriber at the first read whose
version is ≥ v."""

from __future__ import annotations

import asyncio
import bisect
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Any

import orjson

from boxoffice_bench.http import Endpoint, subscribe
from boxoffice_bench.stats import Latencies
from boxoffice_bench.storm import HoldSample


@dataclass
class LiveResult:
    subscribers: int
    connected: int = 0
    dropped: int = 0
    events_seen: int = 0  # by the observer
    matched_holds: int = 0
    sampled_holds: int = 0
    from_sent: Latencies = field(default_factory=Latencies)
    from_answer: Latencies = field(default_factory=Latencies)
    missing: int = 0  # (hold, subscriber) pairs never delivered
    connect_seconds: float = 0.0


def _subscriber_process(url: str, path: str, count: int, pipe: Pipe) -> None:
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_subscribers(url, path, count, pipe))


async def _subscribers(url: str, path: str, count: int, pipe: Pipe) -> None:
    endpoint = Endpoint.of(url)
    observed: list[tuple[str, tuple[int, ...], int, float]] = []

    def on_event(data: bytes, now: float) -> None:
        event = orjson.loads(data)
        seats = tuple(int(s) for s in event.get("seats", ()))
        observed.append((event.get("state", ""), seats, int(event.get("version", 0)), now))

    began = time.monotonic()
    observer = await subscribe(endpoint, path, on_event)
    streams = [observer]
    failures = 0
    for start in range(0, count - 1, 250):  # connect in waves: the listen backlog is finite
        batch = await asyncio.gather(
            *(subscribe(endpoint, path) for _ in range(min(250, count - 1 - start))),
            return_exceptions=True,
        )
        for s in batch:
            if isinstance(s, BaseException):
                failures += 1
            else:
                streams.append(s)
    pipe.send({"connected": len(streams), "failed": failures, "seconds": time.monotonic() - began})
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    # Let the last updates arrive: until the streams have been quiet for 2 s (at most 60 s).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        last = max((s.arrivals[-1][0] for s in streams if s.arrivals), default=0.0)
        if time.monotonic() - last > 2.0:
            break
    dropped = sum(1 for s in streams if s.closed)
    arrivals = [s.arrivals for s in streams]
    for s in streams:
        if s.transport is not None:
            s.transport.close()
    pipe.send({"arrivals": arrivals, "observed": observed, "dropped": dropped})


class Subscribers:
    """The child process holding `count` subscriptions to `path`."""

    def __init__(self, base_url: str, path: str, count: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._pipe, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_subscriber_process, args=(base_url, path, count, child), daemon=True
        )
        self.count = count

    def start(self, timeout: float = 300.0) -> dict[str, Any]:
        self._process.start()
        if not self._pipe.poll(timeout):
            self._process.kill()
            raise RuntimeError("the subscribers did not connect in time")
        ready: dict[str, Any] = self._pipe.recv()
        return ready

    def finish(self, timeout: float = 120.0) -> dict[str, Any]:
        self._pipe.send("stop")
        if not self._pipe.poll(timeout):
            self._process.kill()
            raise RuntimeError("the subscribers did not report")
        report: dict[str, Any] = self._pipe.recv()
        self._process.join(10)
        return report


def delivery(
    samples: list[HoldSample], report: dict[str, Any], ready: dict[str, Any], *, sample: int = 200
) -> LiveResult:
    """Latency from each sampled hold to its arrival at every subscriber."""
    arrivals: list[list[tuple[float, int]]] = report["arrivals"]
    result = LiveResult(
        subscribers=len(arrivals),
        connected=ready["connected"],
        dropped=report["dropped"],
        events_seen=len(report["observed"]),
        connect_seconds=ready["seconds"],
    )
    first_seen: dict[tuple[int, ...], list[tuple[float, int]]] = {}
    for state, seats, version, at in report["observed"]:
        if state == "held":
            first_seen.setdefault(seats, []).append((at, version))
    step = max(1, len(samples) // sample)
    chosen = samples[::step][:sample]
    result.sampled_holds = len(chosen)
    times = [[a[0] for a in subscriber] for subscriber in arrivals]
    versions = [[a[1] for a in subscriber] for subscriber in arrivals]
    for hold in chosen:
        candidates = [
            (at, v) for at, v in first_seen.get(hold.seats, []) if at >= hold.sent - 0.001
        ]
        if not candidates:
            continue
        _, version = min(candidates)
        result.matched_holds += 1
        for t, v in zip(times, versions, strict=True):
            i = bisect.bisect_left(v, version)
            if i == len(v):
                result.missing += 1
                continue
            result.from_sent.add(t[i] - hold.sent)
            result.from_answer.add(max(0.0, t[i] - hold.answered))
    return result
