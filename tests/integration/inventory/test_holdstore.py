"""What only the Redis hold store does: its key layout and seat codes (which the invariant
audit reads), the seat-change channel, lost data, and concurrency in Redis itself. What every
hold store does is in tests/contract/test_holdstore_contract.py, against Redis and the fake."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from redis.asyncio import Redis

from boxoffice.inventory.domain import SeatState, new_hold_id
from boxoffice.inventory.holdstore import SHOWS_INDEX, HoldStore, prefix
from boxoffice.inventory.ports import (
    AreaFull,
    Attached,
    Freed,
    Held,
    HoldAnswer,
    HoldAsk,
    ShowMeta,
    SoldPlaces,
    Taken,
    Unloaded,
)

pytestmark = pytest.mark.integration

AREA = 100
HOUR = timedelta(hours=1)


@dataclass
class Show:
    id: uuid.UUID
    holds: HoldStore
    redis: Redis

    async def load(
        self, *, seats: int = 10, capacity: int = 5, states: dict[int, SeatState] | None = None
    ) -> None:
        now = datetime.now(UTC)
        meta = ShowMeta("published", now - HOUR, now + HOUR, 6)
        seat_states = dict.fromkeys(range(1, seats + 1), SeatState.AVAILABLE) | (states or {})
        await self.holds.load(self.id, meta, now, seat_states, {AREA: (capacity, 0)})
        # Servers of other test sessions sweep every show in this index; keep ours to ourselves.
        await self.redis.srem(SHOWS_INDEX, self.id.hex)

    async def hold(
        self, seats: list[int], ga: int = 0, *, user: str = "u1", ttl_ms: int = 60_000
    ) -> tuple[str, HoldAnswer]:
        hold_id = new_hold_id(self.id)
        ask = HoldAsk(
            hold_id,
            user,
            ttl_ms,
            tuple(seats),
            ((AREA, ga),) if ga else (),
            None,
            1000,
            tuple(1000 for _ in seats),
            (500,) if ga else (),
        )
        return hold_id, await self.holds.hold(self.id, ask)

    async def granted(self, seats: list[int], ga: int = 0, **kw: Any) -> str:
        hold_id, answer = await self.hold(seats, ga, **kw)
        assert isinstance(answer, Held), answer
        return hold_id

    async def codes(self) -> dict[str, str]:
        return cast(dict[str, str], await self.redis.hgetall(f"{prefix(self.id)}st"))

    async def ga_used(self) -> int:
        return (await self.holds.ga_used(self.id)).get(AREA, 0)


@pytest.fixture
async def show(redis: Redis) -> AsyncIterator[Show]:
    made = Show(uuid.uuid4(), HoldStore(redis), redis)
    yield made
    keys = [k async for k in redis.scan_iter(match=f"{prefix(made.id)}*", count=1000)]
    if keys:
        await redis.delete(*keys)
    await redis.srem(SHOWS_INDEX, made.id.hex)


async def test_seats_are_stored_under_their_codes(show: Show) -> None:
    await show.load(states={3: SeatState.SOLD, 4: SeatState.BLOCKED})
    hold_id = await show.granted([1])
    codes = await show.codes()
    assert (codes["1"], codes["2"], codes["3"], codes["4"]) == (f"H{hold_id}", "0", "S", "B")
    score = await show.redis.zscore(f"{prefix(show.id)}exp", hold_id)
    record = await show.holds.record(show.id, hold_id)
    assert record is not None and score == int(record.expires_at.timestamp() * 1000)


async def test_a_show_redis_lost_reads_as_unloaded_even_after_a_stray_write(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1])
    keys = [k async for k in show.redis.scan_iter(match=f"{prefix(show.id)}*", count=1000)]
    await show.redis.delete(*keys)
    # a release of the lost show's hold bumps a version into a new meta hash
    await show.holds.release_booking(show.id, hold_id, uuid.uuid4(), (1,), ())
    assert await show.redis.hget(f"{prefix(show.id)}meta", "ver") is not None
    assert await show.holds.version(show.id) == 0
    assert (await show.holds.states(show.id)).version == 0
    assert (await show.hold([2]))[1] == Unloaded()
    await show.load()
    assert await show.holds.version(show.id) > 0
    await show.granted([1])


async def test_seat_changes_are_published_on_the_show_channel(show: Show) -> None:
    await show.load()
    async with show.redis.pubsub() as pubsub:
        await pubsub.subscribe(f"seats:{show.id.hex}")
        await pubsub.get_message(timeout=1.0)  # the subscribe confirmation

        async def next_change() -> dict[str, Any]:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2.0)
            assert message is not None, "no seat change was published"
            data: dict[str, Any] = json.loads(message["data"])
            return data

        held = await show.granted([1, 2])
        change = await next_change()
        assert change == {
            "show": show.id.hex,
            "state": "held",
            "seats": ["1", "2"],
            "version": await show.holds.version(show.id),
        }
        assert await show.holds.release(show.id, held, "u1") == Freed(2)
        assert (await next_change())["state"] == "available"
        booked = await show.granted([3])
        assert (await next_change())["seats"] == ["3"]
        booking = uuid.uuid4()
        assert isinstance(await show.holds.attach(show.id, booked, "u1", booking, 60_000), Attached)
        assert isinstance(await show.holds.sell(show.id, booked, booking), SoldPlaces)
        sold = await next_change()
        assert (sold["state"], sold["seats"]) == ("sold", ["3"])
        await show.holds.release_booking(show.id, booked, booking, (3,), ())
        assert (await next_change())["state"] == "available"
        await show.granted([4], ttl_ms=50)
        await next_change()
        await asyncio.sleep(0.1)
        assert await show.holds.purge(show.id) == 1
        expired = await next_change()
        assert (expired["state"], expired["seats"]) == ("available", ["4"])
        versions = [sold["version"], expired["version"]]
        assert versions == sorted(versions)


async def test_general_admission_changes_are_published_with_what_each_area_has_left(
    show: Show,
) -> None:
    await show.load(capacity=5)
    async with show.redis.pubsub() as pubsub:
        await pubsub.subscribe(f"seats:{show.id.hex}")
        await pubsub.get_message(timeout=1.0)  # the subscribe confirmation

        async def next_change() -> dict[str, Any]:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2.0)
            assert message is not None, "no change was published"
            data: dict[str, Any] = json.loads(message["data"])
            return data

        held = await show.granted([], ga=2)
        change = await next_change()
        version = await show.holds.version(show.id)
        assert change == {
            "show": show.id.hex,
            "state": "held",
            "seats": [],
            "ga": {str(AREA): 3},
            "version": version,
        }
        mixed = await show.granted([1], ga=1)
        change = await next_change()
        assert (change["seats"], change["ga"]) == (["1"], {str(AREA): 2})
        assert await show.holds.release(show.id, held, "u1") == Freed(0)
        assert (await next_change())["ga"] == {str(AREA): 4}
        # A sale keeps the places taken: nothing to announce for the area, the seat turns sold.
        booking = uuid.uuid4()
        assert isinstance(await show.holds.attach(show.id, mixed, "u1", booking, 60_000), Attached)
        assert isinstance(await show.holds.sell(show.id, mixed, booking), SoldPlaces)
        sold = await next_change()
        assert (sold["state"], "ga" in sold) == ("sold", False)
        await show.holds.release_booking(show.id, mixed, booking, (1,), ((AREA, 1),))
        assert (await next_change())["ga"] == {str(AREA): 5}
        # A refused hold after an expired GA-only hold still announces the freed places.
        await show.granted([2], user="u2")
        await next_change()
        await show.granted([], ga=3, ttl_ms=50)
        assert (await next_change())["ga"] == {str(AREA): 2}
        await asyncio.sleep(0.1)
        refused = (await show.hold([2], ga=1))[1]
        assert isinstance(refused, Taken)
        freed = await next_change()
        assert (freed["state"], freed["seats"], freed["ga"]) == ("available", [], {str(AREA): 5})
        versions = [change["version"], sold["version"], freed["version"]]
        assert versions == sorted(versions) and len(set(versions)) == 3


async def test_concurrent_holds_on_overlapping_seats_never_share_a_seat(show: Show) -> None:
    seats, requests = 40, 200
    await show.load(seats=seats, capacity=30)
    rng = random.Random(20240601)
    asks = []
    for n in range(requests):
        start = rng.randint(1, seats - 4)
        wanted = rng.sample(range(start, start + 5), rng.randint(1, 4))
        asks.append((wanted, rng.choice([0, 0, 1, 2]), f"user{n}"))
    answers = await asyncio.gather(*(show.hold(wanted, ga, user=user) for wanted, ga, user in asks))

    granted: dict[str, set[int]] = {}
    ga_granted = 0
    for (wanted, ga, _), (hold_id, answer) in zip(asks, answers, strict=True):
        assert isinstance(answer, Held | Taken | AreaFull), answer
        if isinstance(answer, Held):
            granted[hold_id] = set(wanted)
            ga_granted += ga
    owners: dict[int, str] = {}
    for hold_id, got in granted.items():
        for seat in got:
            assert seat not in owners, f"seat {seat} granted to {owners[seat]} and {hold_id}"
            owners[seat] = hold_id
    for (wanted, _, _), (_, answer) in zip(asks, answers, strict=True):
        if isinstance(answer, Taken):
            taken = set(answer.seat_ids)
            assert taken <= set(wanted)
            assert taken <= set(owners), "a seat was reported taken that no hold got"
    codes = await show.codes()
    for seat in range(1, seats + 1):
        expected = f"H{owners[seat]}" if seat in owners else "0"
        assert codes[str(seat)] == expected
    assert ga_granted <= 30
    assert await show.ga_used() == ga_granted
    assert len(granted) >= 10, "the test should grant a fair number of holds"
