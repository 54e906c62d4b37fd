"""The Redis hold script (holds.lua) through HoldStore, on a fresh show per test."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis

from boxoffice.inventory.domain import new_hold_id
from boxoffice.inventory.holdstore import SHOWS_INDEX, HoldStore, prefix

pytestmark = pytest.mark.integration

AREA = 100
HOUR_MS = 3_600_000


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Show:
    id: uuid.UUID
    holds: HoldStore
    redis: Redis

    async def load(
        self,
        *,
        seats: int = 10,
        capacity: int = 5,
        status: str = "published",
        sales: tuple[int, int] | None = None,
        max_per_booking: int = 6,
        states: dict[int, str] | None = None,
    ) -> None:
        start, end = sales or (now_ms() - HOUR_MS, now_ms() + HOUR_MS)
        meta = {
            "status": status,
            "sales_start": str(start),
            "sales_end": str(end),
            "max": str(max_per_booking),
        }
        seat_states = dict.fromkeys(range(1, seats + 1), "0") | (states or {})
        await self.holds.load(self.id, meta, now_ms(), seat_states, {AREA: (capacity, 0)})
        # Servers of other test sessions sweep every show in this index; keep ours to ourselves.
        await self.redis.srem(SHOWS_INDEX, self.id.hex)

    async def hold(
        self,
        seats: list[int],
        ga: int = 0,
        *,
        user: str = "u1",
        ttl_ms: int = 60_000,
        key: str = "",
        places_per_user: int = 1000,
        prices: tuple[int, int] = (1000, 500),
    ) -> tuple[str, list[str]]:
        """The 'hold' op with the arguments InventoryService.place_hold passes."""
        hold_id = new_hold_id(self.id)
        seats_csv, areas_csv = ",".join(map(str, seats)), f"{AREA}:{ga}" if ga else ""
        answer = await self.holds.run(
            "hold",
            self.id,
            hold_id,
            user,
            ttl_ms,
            seats_csv,
            areas_csv,
            key,
            f"{seats_csv};{areas_csv}",
            places_per_user,
            ",".join(str(prices[0]) for _ in seats),
            str(prices[1]) if ga else "",
        )
        return hold_id, answer

    async def granted(self, seats: list[int], ga: int = 0, **kw: Any) -> str:
        hold_id, answer = await self.hold(seats, ga, **kw)
        assert answer[0] == "ok", answer
        return hold_id

    async def seats(self) -> dict[str, str]:
        return (await self.holds.states(self.id))[1]

    async def ga_used(self) -> int:
        return int((await self.holds.ga_used(self.id)).get(str(AREA), 0))


@pytest.fixture
async def show(redis: Redis) -> AsyncIterator[Show]:
    made = Show(uuid.uuid4(), HoldStore(redis), redis)
    yield made
    keys = [k async for k in redis.scan_iter(match=f"{prefix(made.id)}*", count=1000)]
    if keys:
        await redis.delete(*keys)
    await redis.srem(SHOWS_INDEX, made.id.hex)


async def test_a_hold_takes_every_seat_or_none(show: Show) -> None:
    await show.load()
    first = await show.granted([1, 2, 3])
    _, answer = await show.hold([3, 4], user="u2")
    assert answer == ["taken", "3"]
    seats = await show.seats()
    assert seats["4"] == "0", "a refused hold must not keep any seat"
    assert {seats[s] for s in ("1", "2", "3")} == {f"H{first}"}
    await show.granted([4, 5], user="u2")


async def test_a_refused_hold_names_exactly_the_taken_seats(show: Show) -> None:
    await show.load(states={9: "B"})
    await show.granted([2, 5])
    _, answer = await show.hold([1, 2, 3, 5, 9])
    assert answer[0] == "taken"
    assert sorted(answer[1].split(","), key=int) == ["2", "5", "9"]  # 9 is blocked


async def test_unknown_seats_are_named_and_nothing_is_held(show: Show) -> None:
    await show.load(seats=4)
    _, answer = await show.hold([1, 5, 99])
    assert answer == ["unknown", "5,99"]
    assert set((await show.seats()).values()) == {"0"}


async def test_more_places_than_a_booking_may_take_are_refused(show: Show) -> None:
    await show.load(max_per_booking=4)
    assert (await show.hold([1, 2, 3, 4, 5]))[1] == ["too_many", "4"]
    assert (await show.hold([1, 2, 3], ga=2))[1] == ["too_many", "4"]
    await show.granted([1, 2], ga=2)


async def test_nothing_is_held_outside_the_sales_window(show: Show) -> None:
    later = (now_ms() + HOUR_MS, now_ms() + 2 * HOUR_MS)
    await show.load(sales=later)
    assert (await show.hold([1]))[1] == ["not_on_sale", str(later[0]), str(later[1])]
    earlier = (now_ms() - 2 * HOUR_MS, now_ms() - HOUR_MS)
    await show.load(sales=earlier)
    assert (await show.hold([1]))[1][0] == "not_on_sale"
    assert set((await show.seats()).values()) == {"0"}


async def test_a_show_that_is_not_published_sells_nothing(show: Show) -> None:
    await show.load(status="draft")
    assert (await show.hold([1]))[1] == ["closed", "draft"]
    await show.load(status="cancelled")
    assert (await show.hold([1]))[1] == ["closed", "cancelled"]


async def test_an_unloaded_show_says_so(show: Show) -> None:
    assert (await show.hold([1]))[1] == ["unloaded"]


async def test_a_repeated_idempotency_key_returns_the_first_hold(show: Show) -> None:
    await show.load()
    key = show.holds.idem_key(show.id, uuid.uuid4(), "key-1")
    first = await show.granted([1, 2], key=key)
    second_id, answer = await show.hold([1, 2], key=key)
    assert answer == ["repeat", first]
    assert second_id != first
    assert await show.holds.hold(show.id, second_id) == {}, "a repeat makes no new hold"
    assert (await show.hold([3, 4], key=key))[1] == ["key_reused"]
    seats = await show.seats()
    assert (seats["3"], seats["4"]) == ("0", "0"), "a reused key must not hold anything"
    other = await show.granted([3, 4], key=show.holds.idem_key(show.id, uuid.uuid4(), "key-1"))
    assert other != first


async def test_a_user_holds_only_so_many_places_per_show_paid_for_or_not(show: Show) -> None:
    await show.load()
    first = await show.granted([1], places_per_user=3)
    await show.granted([2], ga=1, places_per_user=3)
    assert (await show.hold([3, 4], places_per_user=3))[1] == ["too_many_holds", "3"]
    assert (await show.seats())["4"] == "0"
    await show.granted([3, 4, 5], user="u2", places_per_user=3)
    await show.holds.run("release", show.id, first, "u1")
    third = await show.granted([6], places_per_user=3)
    # A hold that is being paid for still counts: a customer cannot hoard seats by booking
    # them with a payment that never completes.
    booking = str(uuid.uuid4())
    await show.holds.run("attach", show.id, third, "u1", booking, 60_000)
    assert (await show.hold([7], places_per_user=3))[1] == ["too_many_holds", "3"]
    # Once sold, the places are the customer's and no longer count.
    assert (await show.holds.run("sell", show.id, third, booking))[0] == "ok"
    await show.granted([7], places_per_user=3)


async def test_places_of_holds_whose_time_ran_out_count_no_more(show: Show) -> None:
    await show.load()
    short = await show.granted([1, 2], ttl_ms=50, places_per_user=3)
    assert (await show.hold([3, 4], places_per_user=3))[1] == ["too_many_holds", "3"]
    await asyncio.sleep(0.1)
    await show.granted([3, 4, 5], places_per_user=3)  # before any purge ran
    await show.holds.run("purge", show.id)  # purging the expired hold gives nothing back twice
    assert (await show.hold([6], places_per_user=3))[1] == ["too_many_holds", "3"]
    assert await show.holds.hold(show.id, short) == {}


async def test_a_hold_keeps_the_prices_it_was_quoted(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1, 2], ga=2, prices=(1000, 250))
    data = await show.holds.hold(show.id, hold_id)
    assert (data["sp"], data["gp"], data["n"]) == ("1000,1000", "250", "4")


async def test_a_refused_hold_does_not_burn_its_idempotency_key(show: Show) -> None:
    await show.load()
    await show.granted([1], user="u2")
    key = show.holds.idem_key(show.id, uuid.uuid4(), "retry-me")
    assert (await show.hold([1, 2], key=key))[1][0] == "taken"
    assert (await show.hold([2], key=key))[1][0] == "ok"


async def test_release_frees_the_seats_and_places_of_a_hold(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1, 2], ga=3)
    assert await show.ga_used() == 3
    assert await show.holds.run("release", show.id, hold_id, "intruder") == ["not_yours"]
    assert await show.holds.run("release", show.id, hold_id, "u1") == ["ok", "2"]
    assert set((await show.seats()).values()) == {"0"}
    assert await show.ga_used() == 0
    assert await show.holds.hold(show.id, hold_id) == {}
    assert await show.holds.run("release", show.id, hold_id, "u1") == ["missing"]
    await show.granted([1, 2], ga=4, user="u2")


async def test_attach_ties_a_hold_to_one_booking_and_extends_it(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1, 2], ttl_ms=10_000)
    before = int((await show.holds.hold(show.id, hold_id))["expires"])
    booking = str(uuid.uuid4())
    answer = await show.holds.run("attach", show.id, hold_id, "u1", booking, 120_000)
    assert answer[0] == "ok"
    expires = int(answer[1])
    assert expires >= before + 100_000
    data = await show.holds.hold(show.id, hold_id)
    assert (data["booking"], int(data["expires"])) == (booking, expires)
    score = await show.redis.zscore(f"{prefix(show.id)}exp", hold_id)
    assert score == expires
    again = await show.holds.run("attach", show.id, hold_id, "u1", booking, 1_000)
    assert again == ["ok", str(expires)], "attaching again never shortens the hold"
    other = str(uuid.uuid4())
    assert await show.holds.run("attach", show.id, hold_id, "u1", other, 1_000) == [
        "attached",
        booking,
    ]
    assert await show.holds.run("attach", show.id, hold_id, "u2", booking, 1_000) == ["not_yours"]
    missing = new_hold_id(show.id)
    assert await show.holds.run("attach", show.id, missing, "u1", booking, 1) == ["missing"]


async def test_no_booking_starts_once_the_sales_window_closed(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1])
    closed = {"sales_end": str(now_ms() - 1)}
    assert await show.holds.set_meta(show.id, closed, now_ms() + 1)
    answer = await show.holds.run("attach", show.id, hold_id, "u1", str(uuid.uuid4()), 60_000)
    assert answer[0] == "not_on_sale"


async def test_an_expired_hold_cannot_be_attached_or_sold(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1], ttl_ms=50)
    await asyncio.sleep(0.12)
    booking = str(uuid.uuid4())
    assert await show.holds.run("attach", show.id, hold_id, "u1", booking, 60_000) == ["expired"]
    attached = await show.granted([2], ttl_ms=50)
    assert (await show.holds.run("attach", show.id, attached, "u1", booking, 100))[0] == "ok"
    await asyncio.sleep(0.2)
    assert await show.holds.run("sell", show.id, attached, booking) == ["expired"]
    assert (await show.seats())["2"] != "S"


async def test_sell_turns_an_attached_hold_into_sold_seats(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1, 2], ga=2)
    booking = str(uuid.uuid4())
    assert await show.holds.run("sell", show.id, hold_id, booking) == ["missing"]
    await show.holds.run("attach", show.id, hold_id, "u1", booking, 60_000)
    other = str(uuid.uuid4())
    assert await show.holds.run("sell", show.id, hold_id, other) == ["attached", booking]
    sold = ["ok", "1,2", f"{AREA}:2"]
    assert await show.holds.run("sell", show.id, hold_id, booking) == sold
    seats = await show.seats()
    assert (seats["1"], seats["2"]) == ("S", "S")
    assert (await show.holds.hold(show.id, hold_id))["state"] == "sold"
    assert await show.redis.zscore(f"{prefix(show.id)}exp", hold_id) is None
    assert await show.ga_used() == 2, "sold GA places stay counted"
    assert await show.holds.run("sell", show.id, hold_id, booking) == sold, "idempotent"
    assert await show.holds.run("release", show.id, hold_id, "") == ["sold"]
    assert (await show.hold([2, 3], user="u2"))[1] == ["taken", "2"]
    assert (await show.hold([], ga=4, user="u2"))[1] == ["ga_full", str(AREA), "3"]


async def test_a_cancelled_show_neither_attaches_nor_sells(show: Show) -> None:
    await show.load()
    held = await show.granted([1])
    attached = await show.granted([2])
    booking = str(uuid.uuid4())
    await show.holds.run("attach", show.id, attached, "u1", booking, 60_000)
    assert await show.holds.set_meta(show.id, {"status": "cancelled"}, now_ms() + 1)
    assert await show.holds.run("attach", show.id, held, "u1", str(uuid.uuid4()), 60_000) == [
        "closed",
        "cancelled",
    ]
    assert await show.holds.run("sell", show.id, attached, booking) == ["closed", "cancelled"]
    assert await show.holds.run("close", show.id) == ["ok", "2"]
    assert set((await show.seats()).values()) == {"0"}, "a cancelled show's holds end"


async def test_an_older_copy_of_a_show_never_overwrites_a_newer_one(show: Show) -> None:
    await show.load()
    later = now_ms() + 10_000
    assert await show.holds.set_meta(show.id, {"status": "cancelled"}, later)
    assert not await show.holds.set_meta(show.id, {"status": "published"}, later - 1)
    await show.load()  # a reload reading an older PostgreSQL copy
    assert (await show.hold([1]))[1] == ["closed", "cancelled"]


async def test_releasing_a_booking_gives_seats_and_places_back_once(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1, 2], ga=2)
    booking = str(uuid.uuid4())
    await show.holds.run("attach", show.id, hold_id, "u1", booking, 60_000)
    await show.holds.run("sell", show.id, hold_id, booking)
    other = await show.granted([3])
    args = ("release_booking", show.id, hold_id, booking, "1,2", f"{AREA}:2")
    assert await show.holds.run(*args) == ["ok", "2"]
    seats = await show.seats()
    assert (seats["1"], seats["2"]) == ("0", "0")
    assert seats["3"] == f"H{other}", "a release frees the booking's seats only"
    assert await show.ga_used() == 0
    assert await show.holds.run(*args) == ["done"], "a repeated release changes nothing"
    assert await show.ga_used() == 0
    assert await show.holds.run("sell", show.id, hold_id, booking) == ["released"]
    await show.granted([1, 2], ga=4, user="u2")


async def test_releasing_a_booking_frees_its_hold_before_the_sale(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1], ga=1)
    booking = str(uuid.uuid4())
    await show.holds.run("attach", show.id, hold_id, "u1", booking, 60_000)
    assert await show.holds.run("release_booking", show.id, hold_id, booking, "", "") == [
        "ok",
        "1",
    ]
    assert (await show.seats())["1"] == "0"
    assert await show.ga_used() == 0
    assert await show.holds.hold(show.id, hold_id) == {}
    assert await show.holds.run("sell", show.id, hold_id, booking) == ["released"]


async def test_releasing_a_sale_whose_hold_is_gone_frees_the_sold_places(show: Show) -> None:
    # After Redis lost a show it is rebuilt from PostgreSQL: sold seats, no holds.
    await show.load(states={4: "S"})
    await show.redis.hset(f"{prefix(show.id)}gau", str(AREA), 2)
    booking = str(uuid.uuid4())
    gone = new_hold_id(show.id)
    assert await show.holds.run("release_booking", show.id, gone, booking, "4", f"{AREA}:2") == [
        "ok",
        "1",
    ]
    assert (await show.seats())["4"] == "0"
    assert await show.ga_used() == 0


async def test_expired_holds_are_purged_and_their_places_freed(show: Show) -> None:
    await show.load()
    short = await show.granted([1, 2], ga=2, ttl_ms=100)
    long = await show.granted([3], ga=1, ttl_ms=60_000)
    await asyncio.sleep(0.2)
    _, _, live = await show.holds.states(show.id)
    assert live == {long}
    assert await show.holds.run("purge", show.id) == ["ok", "1"]
    seats = await show.seats()
    assert (seats["1"], seats["2"], seats["3"]) == ("0", "0", f"H{long}")
    assert await show.ga_used() == 1
    assert await show.holds.hold(show.id, short) == {}
    assert await show.holds.run("purge", show.id) == ["ok", "0"]


async def test_a_new_hold_takes_seats_from_an_expired_one_at_once(show: Show) -> None:
    await show.load(capacity=2)
    await show.granted([1], ga=2, ttl_ms=100)
    assert (await show.hold([1], user="u2"))[1][0] == "taken"
    await asyncio.sleep(0.2)
    taker = await show.granted([1], ga=2, user="u2")
    assert (await show.seats())["1"] == f"H{taker}"
    assert await show.ga_used() == 2


async def test_ga_areas_never_hold_more_than_their_capacity(show: Show) -> None:
    await show.load(capacity=5)
    await show.granted([], ga=3)
    _, answer = await show.hold([], ga=3, user="u2")
    assert answer == ["ga_full", str(AREA), "2"]
    await show.granted([], ga=2, user="u2")
    assert (await show.hold([], ga=1, user="u3"))[1] == ["ga_full", str(AREA), "0"]
    assert await show.ga_used() == 5
    unknown = await show.holds.run(
        "hold", show.id, new_hold_id(show.id), "u", 1000, "", "777:1", "", ";777:1", 10, "", "0"
    )
    assert unknown == ["unknown_area", "777"]


async def test_every_change_bumps_the_version_and_refusals_do_not(show: Show) -> None:
    await show.load()
    versions = [await show.holds.version(show.id)]

    async def bumped() -> None:
        versions.append(await show.holds.version(show.id))
        assert versions[-1] > versions[-2], versions

    hold_id = await show.granted([1])
    await bumped()
    await show.hold([1], user="u2")
    assert await show.holds.version(show.id) == versions[-1]
    await show.holds.run("release", show.id, hold_id, "u1")
    await bumped()
    hold_id = await show.granted([2])
    await bumped()
    booking = str(uuid.uuid4())
    await show.holds.run("attach", show.id, hold_id, "u1", booking, 60_000)
    await show.holds.run("sell", show.id, hold_id, booking)
    await bumped()
    await show.holds.run("release_booking", show.id, hold_id, booking, "2", "")
    await bumped()
    await show.load()
    await bumped()


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
        await show.holds.run("release", show.id, held, "u1")
        assert (await next_change())["state"] == "available"
        booked = await show.granted([3])
        assert (await next_change())["seats"] == ["3"]
        booking = str(uuid.uuid4())
        await show.holds.run("attach", show.id, booked, "u1", booking, 60_000)
        await show.holds.run("sell", show.id, booked, booking)
        sold = await next_change()
        assert (sold["state"], sold["seats"]) == ("sold", ["3"])
        await show.holds.run("release_booking", show.id, booked, booking, "3", "")
        assert (await next_change())["state"] == "available"
        await show.granted([4], ttl_ms=50)
        await next_change()
        await asyncio.sleep(0.1)
        await show.holds.run("purge", show.id)
        expired = await next_change()
        assert (expired["state"], expired["seats"]) == ("available", ["4"])
        versions = [sold["version"], expired["version"]]
        assert versions == sorted(versions)


async def test_concurrent_holds_on_overlapping_seats_never_share_a_seat(show: Show) -> None:
    seats, requests = 40, 200
    await show.load(seats=seats, capacity=30, max_per_booking=6)
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
        assert answer[0] in ("ok", "taken", "ga_full"), answer
        if answer[0] == "ok":
            granted[hold_id] = set(wanted)
            ga_granted += ga
    owners: dict[int, str] = {}
    for hold_id, got in granted.items():
        for seat in got:
            assert seat not in owners, f"seat {seat} granted to {owners[seat]} and {hold_id}"
            owners[seat] = hold_id
    for (wanted, _, _), (_, answer) in zip(asks, answers, strict=True):
        if answer[0] == "taken":
            taken = {int(s) for s in answer[1].split(",")}
            assert taken <= set(wanted)
            assert taken <= set(owners), "a seat was reported taken that no hold got"
    state = await show.seats()
    for seat in range(1, seats + 1):
        expected = f"H{owners[seat]}" if seat in owners else "0"
        assert state[str(seat)] == expected
    assert ga_granted <= 30
    assert await show.ga_used() == ga_granted
    assert len(granted) >= 10, "the test should grant a fair number of holds"
