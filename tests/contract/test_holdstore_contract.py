"""The hold store port (inventory.ports.HoldStorePort): the same tests against the Redis Lua
adapter and the in-memory fake, on a fresh show per test. holds.lua is the specification."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from boxoffice.inventory.domain import HoldState, SeatState, new_hold_id
from boxoffice.inventory.holdstore import SHOWS_INDEX, HoldStore, prefix
from boxoffice.inventory.ports import (
    AdmissionNeeded,
    AlreadySold,
    AreaFull,
    AttachAnswer,
    Attached,
    AttachedElsewhere,
    BookingReleased,
    Closed,
    Expired,
    Freed,
    Held,
    HoldAnswer,
    HoldAsk,
    HoldStorePort,
    KeyReused,
    Missing,
    NotYours,
    OffSale,
    OverBookingLimit,
    OverCustomerLimit,
    OverTicketLimit,
    PassSpent,
    ReleasedBefore,
    Repeat,
    RoomCounters,
    RoomRule,
    SellAnswer,
    ShowMeta,
    SoldPlaces,
    Taken,
    UnknownArea,
    UnknownSeats,
    Unloaded,
)
from tests.fakes_inventory import FakeHoldStore

AREA = 100
HOUR = timedelta(hours=1)
FREE, HELD, SOLD, BLOCKED = (
    SeatState.AVAILABLE,
    SeatState.HELD,
    SeatState.SOLD,
    SeatState.BLOCKED,
)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Show:
    id: uuid.UUID
    holds: HoldStorePort
    wait: Callable[[int], Awaitable[None]]  # let this many milliseconds pass
    loaded: Callable[[uuid.UUID], Awaitable[None]]

    async def load(
        self,
        *,
        seats: int = 10,
        capacity: int = 5,
        sold: int = 0,
        status: str = "published",
        sales: tuple[datetime, datetime] | None = None,
        max_per_booking: int = 6,
        states: dict[int, SeatState] | None = None,
    ) -> None:
        start, end = sales or (now() - HOUR, now() + HOUR)
        meta = ShowMeta(status, start, end, max_per_booking)
        seat_states = dict.fromkeys(range(1, seats + 1), FREE) | (states or {})
        await self.holds.load(self.id, meta, now(), seat_states, {AREA: (capacity, sold)})
        await self.loaded(self.id)

    async def set_meta(self, synced: datetime, **changes: Any) -> bool:
        meta = replace(ShowMeta("published", now() - HOUR, now() + HOUR, 6), **changes)
        return await self.holds.set_meta(self.id, meta, synced)

    async def hold(
        self,
        seats: list[int],
        ga: int = 0,
        *,
        user: str = "u1",
        ttl_ms: int = 60_000,
        key: str | None = None,
        places_per_user: int = 1000,
        prices: tuple[int, int] = (1000, 500),
        area: int = AREA,
        admitted: bool = False,
        pass_entry: str = "",
    ) -> tuple[str, HoldAnswer]:
        hold_id = new_hold_id(self.id)
        ask = HoldAsk(
            hold_id=hold_id,
            customer=user,
            ttl_ms=ttl_ms,
            seat_ids=tuple(seats),
            ga=((area, ga),) if ga else (),
            idempotency_key=key,
            places_per_customer=places_per_user,
            seat_prices=tuple(prices[0] for _ in seats),
            area_prices=(prices[1],) if ga else (),
            admitted=admitted,
            pass_entry=pass_entry,
        )
        return hold_id, await self.holds.hold(self.id, ask)

    async def granted(self, seats: list[int], ga: int = 0, **kw: object) -> str:
        hold_id, answer = await self.hold(seats, ga, **kw)  # type: ignore[arg-type]
        assert isinstance(answer, Held), answer
        return hold_id

    async def attach(
        self, hold_id: str, booking: uuid.UUID, ms: int = 60_000, user: str = "u1"
    ) -> AttachAnswer:
        return await self.holds.attach(self.id, hold_id, user, booking, ms)

    async def sell(self, hold_id: str, booking: uuid.UUID) -> SellAnswer:
        return await self.holds.sell(self.id, hold_id, booking)

    async def seats(self) -> dict[int, SeatState]:
        states = await self.holds.states(self.id)
        return {s: states.state(s) for s in range(1, 11)}

    async def ga_used(self) -> int:
        return (await self.holds.ga_used(self.id)).get(AREA, 0)


@pytest.fixture(params=["redis", "fake"])
def real_redis(request: pytest.FixtureRequest) -> Redis | None:
    """The session's Redis for the "redis" adapter, None for the fake (no servers needed)."""
    if request.param == "fake":
        return None
    client: Redis = request.getfixturevalue("redis")
    return client


@pytest.fixture
async def show(real_redis: Redis | None) -> AsyncIterator[Show]:
    show_id = uuid.uuid4()
    if real_redis is None:
        fake = FakeHoldStore()

        async def advance(ms: int) -> None:
            fake.clock.advance(ms)

        async def nothing(_: uuid.UUID) -> None:
            pass

        yield Show(show_id, fake, advance, nothing)
        return
    redis = real_redis

    async def sleep(ms: int) -> None:
        await asyncio.sleep(ms / 1000)

    async def unindex(show: uuid.UUID) -> None:
        # Servers of other test sessions sweep every show in this index; keep ours to ourselves.
        await redis.srem(SHOWS_INDEX, show.hex)

    yield Show(show_id, HoldStore(redis), sleep, unindex)
    keys = [k async for k in redis.scan_iter(match=f"{prefix(show_id)}*", count=1000)]
    if keys:
        await redis.delete(*keys)
    await redis.srem(SHOWS_INDEX, show_id.hex)


async def test_a_hold_takes_every_seat_or_none(show: Show) -> None:
    await show.load()
    await show.granted([1, 2, 3])
    _, answer = await show.hold([3, 4], user="u2")
    assert answer == Taken((3,))
    seats = await show.seats()
    assert seats[4] is FREE, "a refused hold must not keep any seat"
    assert {seats[s] for s in (1, 2, 3)} == {HELD}
    await show.granted([4, 5], user="u2")


async def test_a_refused_hold_names_exactly_the_taken_seats(show: Show) -> None:
    await show.load(states={9: BLOCKED})
    await show.granted([2, 5])
    _, answer = await show.hold([1, 2, 3, 5, 9])
    assert isinstance(answer, Taken)
    assert sorted(answer.seat_ids) == [2, 5, 9]  # 9 is blocked


async def test_unknown_seats_are_named_and_nothing_is_held(show: Show) -> None:
    await show.load(seats=4)
    _, answer = await show.hold([1, 5, 99])
    assert answer == UnknownSeats((5, 99))
    assert set((await show.seats()).values()) == {FREE}


async def test_more_places_than_a_booking_may_take_are_refused(show: Show) -> None:
    await show.load(max_per_booking=4)
    assert (await show.hold([1, 2, 3, 4, 5]))[1] == OverBookingLimit(4)
    assert (await show.hold([1, 2, 3], ga=2))[1] == OverBookingLimit(4)
    await show.granted([1, 2], ga=2)


async def test_nothing_is_held_outside_the_sales_window(show: Show) -> None:
    later = (now() + HOUR, now() + 2 * HOUR)
    await show.load(sales=later)
    _, answer = await show.hold([1])
    assert isinstance(answer, OffSale)
    assert abs(answer.sales_start - later[0]) < timedelta(milliseconds=1)
    assert abs(answer.sales_end - later[1]) < timedelta(milliseconds=1)
    await show.set_meta(now() + HOUR, sales_start=now() - 2 * HOUR, sales_end=now() - HOUR)
    assert isinstance((await show.hold([1]))[1], OffSale)
    assert set((await show.seats()).values()) == {FREE}


async def test_a_show_that_is_not_published_sells_nothing(show: Show) -> None:
    await show.load(status="draft")
    assert (await show.hold([1]))[1] == Closed("draft")
    await show.set_meta(now() + HOUR, status="cancelled")
    assert (await show.hold([1]))[1] == Closed("cancelled")


async def test_once_the_waiting_room_opens_only_admitted_customers_hold(show: Show) -> None:
    await show.load()
    await show.holds.set_room(show.id, RoomRule(now() + HOUR))  # not open yet
    assert isinstance((await show.hold([1]))[1], Held)
    await show.holds.set_room(show.id, RoomRule(now() - timedelta(seconds=1)))
    assert (await show.hold([2]))[1] == AdmissionNeeded()
    assert isinstance((await show.hold([2], admitted=True))[1], Held)
    assert (await show.hold([3], ga=1))[1] == AdmissionNeeded()
    await show.holds.set_room(show.id, None)  # the room was removed
    assert isinstance((await show.hold([3]))[1], Held)
    states = await show.seats()
    assert [states[s] for s in (1, 2, 3, 4)] == [HELD, HELD, HELD, FREE]


async def test_a_reload_keeps_the_waiting_room(show: Show) -> None:
    opened = now() - timedelta(seconds=1)
    await show.holds.load(
        show.id,
        ShowMeta("published", now() - HOUR, now() + HOUR, 6),
        now(),
        {1: FREE, 2: FREE},
        {AREA: (5, 0)},
        RoomRule(opened, max_tickets=3),
        {"u1": 2},  # bought before the reload, as PostgreSQL counts it
    )
    await show.loaded(show.id)
    assert (await show.hold([1]))[1] == AdmissionNeeded()
    assert (await show.hold([1, 2], admitted=True))[1] == OverTicketLimit(3, 2)
    assert isinstance((await show.hold([1], admitted=True))[1], Held)


async def test_the_rooms_limit_counts_held_pending_and_bought_places_together(show: Show) -> None:
    await show.load()
    await show.holds.set_room(show.id, RoomRule(now() - HOUR, max_tickets=4))
    sold = await show.granted([1, 2], admitted=True)
    booking = uuid.uuid4()
    await show.attach(sold, booking)
    assert isinstance(await show.sell(sold, booking), SoldPlaces)
    pending = await show.granted([3], admitted=True)
    await show.attach(pending, uuid.uuid4())
    assert (await show.hold([4], ga=1, admitted=True))[1] == OverTicketLimit(4, 3)
    assert isinstance((await show.hold([8, 9], user="u2", admitted=True))[1], Held), "per customer"
    await show.granted([4], admitted=True)  # the fourth
    assert (await show.hold([5], admitted=True))[1] == OverTicketLimit(4, 4)
    # the sold booking is cancelled: its two places no longer count
    assert await show.holds.release_booking(show.id, sold, booking, (1, 2), ()) == Freed(2)
    await show.granted([5, 6], admitted=True)
    assert (await show.hold([7], admitted=True))[1] == OverTicketLimit(4, 4)


async def test_the_limit_forgets_a_sale_released_after_the_hold_was_gone(show: Show) -> None:
    await show.holds.load(
        show.id,
        ShowMeta("published", now() - HOUR, now() + HOUR, 6),
        now(),
        dict.fromkeys(range(1, 11), FREE) | {1: SOLD, 2: SOLD},
        {AREA: (5, 0)},
        RoomRule(now() - HOUR, max_tickets=2),
        {"u1": 2},
    )
    await show.loaded(show.id)
    assert (await show.hold([3], admitted=True))[1] == OverTicketLimit(2, 2)
    released = await show.holds.release_booking(show.id, "gone", uuid.uuid4(), (1, 2), (), "u1")
    assert released == Freed(2)
    await show.granted([3, 4], admitted=True)


async def test_a_pass_is_spent_once_its_booking_is_sold(show: Show) -> None:
    await show.load()
    await show.holds.set_room(show.id, RoomRule(now() - HOUR))
    first = await show.granted([1], admitted=True, pass_entry="entry-1")
    again = await show.granted([2], admitted=True, pass_entry="entry-1")  # same session
    await show.holds.release(show.id, again, None)
    booking = uuid.uuid4()
    await show.attach(first, booking)
    await show.sell(first, booking)
    assert (await show.hold([3], admitted=True, pass_entry="entry-1"))[1] == PassSpent()
    assert isinstance((await show.hold([3], admitted=True, pass_entry="entry-2"))[1], Held)
    await show.holds.set_room(show.id, None)  # no room: passes mean nothing
    assert isinstance((await show.hold([4], admitted=True, pass_entry="entry-1"))[1], Held)


async def test_the_room_counts_what_the_admission_job_measures(show: Show) -> None:
    await show.load(seats=3)
    assert await show.holds.counters(show.id) == RoomCounters(0, 0, 0)
    await show.granted([1])  # no room yet: not counted
    await show.holds.set_room(show.id, RoomRule(now() - HOUR))
    hold_id = await show.granted([2], admitted=True)
    assert (await show.hold([1], admitted=True))[1] == Taken((1,))
    await show.granted([], ga=5, admitted=True)
    assert (await show.hold([], ga=1, admitted=True))[1] == AreaFull(AREA, 0)
    booking = uuid.uuid4()
    await show.attach(hold_id, booking)
    await show.sell(hold_id, booking)
    await show.sell(hold_id, booking)  # a repeat counts once
    assert await show.holds.counters(show.id) == RoomCounters(sold=1, granted=2, refused=2)


async def test_an_unloaded_show_says_so(show: Show) -> None:
    assert (await show.hold([1]))[1] == Unloaded()
    assert await show.holds.version(show.id) == 0
    assert (await show.holds.states(show.id)).version == 0


async def test_a_repeated_idempotency_key_returns_the_first_hold(show: Show) -> None:
    await show.load()
    first = await show.granted([1, 2], key="key-1")
    second_id, answer = await show.hold([1, 2], key="key-1")
    assert answer == Repeat(first)
    assert second_id != first
    assert await show.holds.record(show.id, second_id) is None, "a repeat makes no new hold"
    assert (await show.hold([3, 4], key="key-1"))[1] == KeyReused()
    seats = await show.seats()
    assert (seats[3], seats[4]) == (FREE, FREE), "a reused key must not hold anything"
    other = await show.granted([3, 4], key="key-1", user="u2")  # keys are per customer
    assert other != first


async def test_a_user_holds_only_so_many_places_per_show_paid_for_or_not(show: Show) -> None:
    await show.load()
    first = await show.granted([1], places_per_user=3)
    await show.granted([2], ga=1, places_per_user=3)
    assert (await show.hold([3, 4], places_per_user=3))[1] == OverCustomerLimit(3)
    assert (await show.seats())[4] is FREE
    await show.granted([3, 4, 5], user="u2", places_per_user=3)
    assert await show.holds.release(show.id, first, "u1") == Freed(1)
    third = await show.granted([6], places_per_user=3)
    # A hold that is being paid for still counts: a customer cannot hoard seats by booking
    # them with a payment that never completes.
    booking = uuid.uuid4()
    assert isinstance(await show.attach(third, booking), Attached)
    assert (await show.hold([7], places_per_user=3))[1] == OverCustomerLimit(3)
    # Once sold, the places are the customer's and no longer count.
    assert isinstance(await show.sell(third, booking), SoldPlaces)
    await show.granted([7], places_per_user=3)


async def test_places_of_holds_whose_time_ran_out_count_no_more(show: Show) -> None:
    await show.load()
    short = await show.granted([1, 2], ttl_ms=50, places_per_user=3)
    assert (await show.hold([3, 4], places_per_user=3))[1] == OverCustomerLimit(3)
    await show.wait(100)
    await show.granted([3, 4, 5], places_per_user=3)  # before any purge ran
    await show.holds.purge(show.id)  # purging the expired hold gives nothing back twice
    assert (await show.hold([6], places_per_user=3))[1] == OverCustomerLimit(3)
    assert await show.holds.record(show.id, short) is None


async def test_a_hold_keeps_what_it_was_quoted(show: Show) -> None:
    await show.load()
    before = now()
    hold_id = await show.granted([1, 2], ga=2, prices=(1000, 250), ttl_ms=60_000)
    record = await show.holds.record(show.id, hold_id)
    assert record is not None
    assert (record.customer, record.seat_ids, record.ga, record.places) == (
        "u1",
        (1, 2),
        ((AREA, 2),),
        4,
    )
    assert (record.seat_prices, record.area_prices) == ((1000, 1000), (250,))
    assert (record.state, record.booking_id) == (HoldState.HELD, None)
    expected = before + timedelta(seconds=60)
    assert abs(record.expires_at - expected) < timedelta(seconds=2)


async def test_a_refused_hold_does_not_burn_its_idempotency_key(show: Show) -> None:
    await show.load()
    await show.granted([1], user="u2")
    assert isinstance((await show.hold([1, 2], key="retry-me"))[1], Taken)
    assert isinstance((await show.hold([2], key="retry-me"))[1], Held)


async def test_release_frees_the_seats_and_places_of_a_hold(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1, 2], ga=3)
    assert await show.ga_used() == 3
    assert await show.holds.release(show.id, hold_id, "intruder") == NotYours()
    assert await show.holds.release(show.id, hold_id, "u1") == Freed(2)
    assert set((await show.seats()).values()) == {FREE}
    assert await show.ga_used() == 0
    assert await show.holds.record(show.id, hold_id) is None
    assert await show.holds.release(show.id, hold_id, "u1") == Missing()
    await show.granted([1, 2], ga=4, user="u2")


async def test_attach_ties_a_hold_to_one_booking_and_extends_it(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1, 2], ttl_ms=10_000)
    before = await show.holds.record(show.id, hold_id)
    assert before is not None
    booking = uuid.uuid4()
    answer = await show.attach(hold_id, booking, 120_000)
    assert isinstance(answer, Attached)
    assert answer.expires_at >= before.expires_at + timedelta(seconds=100)
    record = await show.holds.record(show.id, hold_id)
    assert record is not None
    assert (record.booking_id, record.expires_at) == (booking, answer.expires_at)
    again = await show.attach(hold_id, booking, 1_000)
    assert again == answer, "attaching again never shortens the hold"
    assert await show.attach(hold_id, uuid.uuid4(), 1_000) == AttachedElsewhere(booking)
    assert await show.attach(hold_id, booking, 1_000, user="u2") == NotYours()
    assert await show.attach(new_hold_id(show.id), booking, 1) == Missing()
    # held for longer than its first time: it is still alive after that
    await show.wait(10)
    assert (await show.seats())[1] is HELD


async def test_no_booking_starts_once_the_sales_window_closed(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1])
    assert await show.set_meta(now() + timedelta(seconds=1), sales_end=now() - HOUR)
    assert isinstance(await show.attach(hold_id, uuid.uuid4()), OffSale)


async def test_an_expired_hold_cannot_be_attached_or_sold(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1], ttl_ms=50)
    await show.wait(120)
    booking = uuid.uuid4()
    assert await show.attach(hold_id, booking) == Expired()
    attached = await show.granted([2], ttl_ms=50)
    assert isinstance(await show.attach(attached, booking, 100), Attached)
    await show.wait(200)
    assert await show.sell(attached, booking) == Expired()
    assert (await show.seats())[2] is not SOLD


async def test_sell_turns_an_attached_hold_into_sold_seats(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1, 2], ga=2)
    booking = uuid.uuid4()
    assert await show.sell(hold_id, booking) == Missing(), "not attached"
    await show.attach(hold_id, booking)
    assert await show.sell(hold_id, uuid.uuid4()) == AttachedElsewhere(booking)
    sold = SoldPlaces((1, 2), ((AREA, 2),), "u1")
    assert await show.sell(hold_id, booking) == sold
    seats = await show.seats()
    assert (seats[1], seats[2]) == (SOLD, SOLD)
    record = await show.holds.record(show.id, hold_id)
    assert record is not None and record.state is HoldState.SOLD
    assert await show.holds.live_holds([show.id]) == 0, "a sold hold no longer expires"
    assert await show.ga_used() == 2, "sold GA places stay counted"
    assert await show.sell(hold_id, booking) == sold, "idempotent"
    assert await show.holds.release(show.id, hold_id, None) == AlreadySold()
    assert await show.attach(hold_id, booking) == AlreadySold()
    assert (await show.hold([2, 3], user="u2"))[1] == Taken((2,))
    assert (await show.hold([], ga=4, user="u2"))[1] == AreaFull(AREA, 3)


async def test_a_cancelled_show_neither_attaches_nor_sells(show: Show) -> None:
    await show.load()
    held = await show.granted([1])
    attached = await show.granted([2])
    booking = uuid.uuid4()
    await show.attach(attached, booking)
    assert await show.set_meta(now() + timedelta(seconds=1), status="cancelled")
    assert await show.attach(held, uuid.uuid4()) == Closed("cancelled")
    assert await show.sell(attached, booking) == Closed("cancelled")
    assert await show.holds.close(show.id) == 2
    assert set((await show.seats()).values()) == {FREE}, "a cancelled show's holds end"


async def test_an_older_copy_of_a_show_never_overwrites_a_newer_one(show: Show) -> None:
    await show.load()
    later = now() + timedelta(seconds=10)
    assert await show.set_meta(later, status="cancelled")
    assert not await show.set_meta(later - timedelta(milliseconds=1), status="published")
    await show.load()  # a reload reading an older PostgreSQL copy
    assert (await show.hold([1]))[1] == Closed("cancelled")


async def test_a_reload_keeps_live_holds_and_sold_and_blocked_win(show: Show) -> None:
    await show.load()
    held = await show.granted([1])
    await show.load(states={2: SOLD, 3: BLOCKED})
    seats = await show.seats()
    assert (seats[1], seats[2], seats[3], seats[4]) == (HELD, SOLD, BLOCKED, FREE)
    assert await show.holds.release(show.id, held, "u1") == Freed(1)


async def test_releasing_a_booking_gives_seats_and_places_back_once(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1, 2], ga=2)
    booking = uuid.uuid4()
    await show.attach(hold_id, booking)
    await show.sell(hold_id, booking)
    await show.granted([3])
    release = (show.id, hold_id, booking, (1, 2), ((AREA, 2),))
    assert await show.holds.release_booking(*release) == Freed(2)
    seats = await show.seats()
    assert (seats[1], seats[2]) == (FREE, FREE)
    assert seats[3] is HELD, "a release frees the booking's seats only"
    assert await show.ga_used() == 0
    assert await show.holds.release_booking(*release) == ReleasedBefore()
    assert await show.ga_used() == 0, "a repeated release changes nothing"
    assert await show.sell(hold_id, booking) == BookingReleased()
    await show.granted([1, 2], ga=4, user="u2")


async def test_releasing_a_booking_frees_its_hold_before_the_sale(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1], ga=1)
    booking = uuid.uuid4()
    await show.attach(hold_id, booking)
    assert await show.holds.release_booking(show.id, hold_id, booking, (), ()) == Freed(1)
    assert (await show.seats())[1] is FREE
    assert await show.ga_used() == 0
    assert await show.holds.record(show.id, hold_id) is None
    assert await show.sell(hold_id, booking) == BookingReleased()


async def test_releasing_a_booking_spares_a_hold_of_another_booking(show: Show) -> None:
    await show.load()
    hold_id = await show.granted([1], ga=1)
    await show.attach(hold_id, uuid.uuid4())
    assert await show.holds.release_booking(show.id, hold_id, uuid.uuid4(), (), ()) == Freed(0)
    assert (await show.seats())[1] is HELD
    assert await show.ga_used() == 1


async def test_releasing_a_sale_whose_hold_is_gone_frees_the_sold_places(show: Show) -> None:
    # After the store lost a show it is rebuilt from PostgreSQL: sold seats, no holds.
    await show.load(states={4: SOLD}, sold=2)
    assert await show.ga_used() == 2
    gone = new_hold_id(show.id)
    answer = await show.holds.release_booking(show.id, gone, uuid.uuid4(), (4,), ((AREA, 2),))
    assert answer == Freed(1)
    assert (await show.seats())[4] is FREE
    assert await show.ga_used() == 0


async def test_expired_holds_are_purged_and_their_places_freed(show: Show) -> None:
    await show.load()
    short = await show.granted([1, 2], ga=2, ttl_ms=100)
    long = await show.granted([3], ga=1, ttl_ms=60_000)
    await show.wait(200)
    seats = await show.seats()
    assert (seats[1], seats[2], seats[3]) == (FREE, FREE, HELD), "expired is available"
    assert await show.holds.purge(show.id) == 1
    assert await show.ga_used() == 1
    assert await show.holds.record(show.id, short) is None
    assert await show.holds.record(show.id, long) is not None
    assert await show.holds.purge(show.id) == 0


async def test_a_new_hold_takes_seats_from_an_expired_one_at_once(show: Show) -> None:
    await show.load(capacity=2)
    await show.granted([1], ga=2, ttl_ms=100)
    assert isinstance((await show.hold([1], user="u2"))[1], Taken)
    await show.wait(200)
    taker = await show.granted([1], ga=2, user="u2")
    assert (await show.seats())[1] is HELD
    record = await show.holds.record(show.id, taker)
    assert record is not None and record.customer == "u2"
    assert await show.ga_used() == 2


async def test_ga_areas_never_hold_more_than_their_capacity(show: Show) -> None:
    await show.load(capacity=5)
    await show.granted([], ga=3)
    assert (await show.hold([], ga=3, user="u2"))[1] == AreaFull(AREA, 2)
    await show.granted([], ga=2, user="u2")
    assert (await show.hold([], ga=1, user="u3"))[1] == AreaFull(AREA, 0)
    assert await show.ga_used() == 5
    assert (await show.hold([], ga=1, area=777))[1] == UnknownArea(777)


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
    await show.holds.release(show.id, hold_id, "u1")
    await bumped()
    hold_id = await show.granted([2])
    await bumped()
    booking = uuid.uuid4()
    await show.attach(hold_id, booking)
    await show.sell(hold_id, booking)
    await bumped()
    await show.holds.release_booking(show.id, hold_id, booking, (2,), ())
    await bumped()
    await show.load()
    await bumped()
    assert (await show.holds.states(show.id)).version == versions[-1]


async def test_one_caller_takes_a_lease_until_it_lapses(show: Show) -> None:
    name = f"contract-{show.id.hex}"
    assert await show.holds.lease(name, 100)
    assert not await show.holds.lease(name, 100)
    await show.wait(150)
    assert await show.holds.lease(name, 100)


async def test_live_holds_are_counted_and_loaded_shows_are_active(show: Show) -> None:
    await show.load()
    await show.granted([1])
    await show.granted([2])
    assert await show.holds.live_holds([show.id]) == 2
    if isinstance(show.holds, FakeHoldStore):  # the Redis test unindexes its show (see load)
        assert show.id in await show.holds.active_shows()
