"""The admission gate: so many inside, so many waiting in order, a 503 for the next one."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice.kernel.errors import Unavailable
from boxoffice.kernel.gate import Gate


async def test_callers_beyond_the_slots_wait_in_order_and_past_the_queue_are_refused() -> None:
    gate = Gate("test", concurrency=2, queue=2)
    release = asyncio.Event()
    order: list[int] = []

    async def caller(n: int) -> None:
        async with gate:
            order.append(n)
            await release.wait()

    tasks = [asyncio.create_task(caller(n)) for n in range(4)]
    await asyncio.sleep(0)
    assert order == [0, 1] and gate.pending == 4  # two inside, two waiting
    with pytest.raises(Unavailable) as refused:
        async with gate:
            pass
    assert refused.value.extra == {"retry_after": 1}
    release.set()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3] and gate.pending == 0
    async with gate:  # room again
        assert gate.pending == 1


async def test_a_caller_cancelled_while_waiting_gives_its_place_back() -> None:
    gate = Gate("test", concurrency=1, queue=1)
    inside = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with gate:
            inside.set()
            await release.wait()

    async def waiter() -> None:
        async with gate:
            pass

    first = asyncio.create_task(holder())
    await inside.wait()
    second = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    assert gate.pending == 2
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    assert gate.pending == 1
    release.set()
    await first
    assert gate.pending == 0


async def test_an_error_inside_frees_the_slot() -> None:
    gate = Gate("test", concurrency=1, queue=0)
    with pytest.raises(RuntimeError):
        async with gate:
            raise RuntimeError("boom")
    async with gate:
        assert gate.pending == 1
