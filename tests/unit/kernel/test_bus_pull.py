"""The pull loop of the NATS bus, with a scripted subscription: what each fetch brings is spread
over the free slots, and an empty answer (an expired pull request) does not end the loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from nats.js.client import JetStreamContext

from boxoffice.kernel.bus import Delivery, NatsBus
from boxoffice.kernel.events import Envelope


@dataclass
class FakeMsg:
    data: bytes
    metadata: Any = field(default_factory=lambda: SimpleNamespace(num_delivered=1))
    acked: bool = False

    async def ack(self) -> None:
        self.acked = True

    async def nak(self, delay: float | None = None) -> None:
        pass


class ScriptedSub:
    """fetch() answers from a script, then waits (as a pull with nothing to deliver does)."""

    def __init__(self, answers: list[list[FakeMsg]]) -> None:
        self.answers = answers
        self.asked: list[int] = []

    async def fetch(self, batch: int, timeout: float) -> list[FakeMsg]:
        self.asked.append(batch)
        if self.answers:
            return self.answers.pop(0)
        await asyncio.sleep(timeout)
        raise TimeoutError


def msgs(n: int) -> list[FakeMsg]:
    return [
        FakeMsg(Envelope(type="t.e", payload={"i": i}, producer="test").to_json()) for i in range(n)
    ]


async def run_pull(bus: NatsBus, sub: ScriptedSub, expected: int) -> list[list[Delivery]]:
    batches: list[list[Delivery]] = []

    async def handler(deliveries: list[Delivery]) -> None:
        batches.append(deliveries)
        for d in deliveries:
            await d.ack()

    pull = asyncio.create_task(bus._pull(cast(JetStreamContext.PullSubscription, sub), handler))
    async with asyncio.timeout(5):
        while sum(map(len, batches)) < expected:
            assert not pull.done(), pull.exception()
            await asyncio.sleep(0.01)
    bus._closing.set()
    await pull
    return batches


async def test_an_empty_fetch_is_skipped_and_the_loop_goes_on() -> None:
    bus = NatsBus("nats://unused", concurrency=4, batch_size=8)
    later = msgs(3)
    sub = ScriptedSub([[], later])
    batches = await run_pull(bus, sub, expected=3)
    assert sorted(len(b) for b in batches) == [1, 1, 1]  # three free slots, one event each
    assert all(m.acked for m in later)
    assert sub.asked[:2] == [32, 32]  # a batch for each of the four free slots


async def test_a_backlog_is_spread_evenly_over_the_free_slots() -> None:
    bus = NatsBus("nats://unused", concurrency=4, batch_size=8)
    backlog = msgs(30)
    batches = await run_pull(bus, ScriptedSub([backlog]), expected=30)
    assert sorted(len(b) for b in batches) == [6, 8, 8, 8]
    assert all(m.acked for m in backlog)
