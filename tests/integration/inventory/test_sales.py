"""Sales and releases across PostgreSQL and Redis: every failure between the two heals, every
effect on Redis happens at least once, and a sale and a release of one booking meet on its
sales row. Real PostgreSQL (a database of this module's own) and Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.booking.contract import BookingFailed
from boxoffice.catalog.contract import (
    LayoutArea,
    LayoutSeat,
    ShowCancelled,
    ShowChanged,
    ShowLayout,
)
from boxoffice.inventory import store as inventory_store
from boxoffice.inventory.contract import SeatsReleased
from boxoffice.inventory.domain import HoldRequest, NotOnSale, SeatState
from boxoffice.inventory.holdstore import SHOWS_INDEX, HoldStore, prefix
from boxoffice.inventory.ports import ShowMeta
from boxoffice.inventory.sales import Sales
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.events import Envelope
from boxoffice.kernel.messaging import Consumer, HandlerTable, ServiceStore
from tests.fakes import FakeDelivery
from tests.invariants import check_hold_store

pytestmark = pytest.mark.integration

AREA = 900
CUSTOMER = Principal(uuid.uuid4(), frozenset({"customer"}))


class FakeCatalog:
    """The catalog's contract, answering the layouts a test sets."""

    def __init__(self) -> None:
        self.layouts: dict[uuid.UUID, ShowLayout] = {}

    async def show_layout(self, show_id: uuid.UUID) -> ShowLayout:
        return self.layouts[show_id]

    async def show_owner(self, show_id: uuid.UUID) -> uuid.UUID:
        del show_id
        return uuid.uuid4()


class FlakyHoldStore(HoldStore):
    """A hold store whose named operations fail the first time (Redis briefly unreachable)."""

    def __init__(self, redis: Redis) -> None:
        super().__init__(redis)
        self.fail_once: set[str] = set()

    async def run(self, op: str, show_id: uuid.UUID, *args: Any) -> list[str]:
        if op in self.fail_once:
            self.fail_once.discard(op)
            raise ConnectionError(f"redis went away during {op}")
        return await super().run(op, show_id, *args)

    async def set_meta(self, show_id: uuid.UUID, meta: ShowMeta, synced: datetime) -> bool:
        if "meta" in self.fail_once:
            self.fail_once.discard("meta")
            raise ConnectionError("redis went away during meta")
        return await super().set_meta(show_id, meta, synced)


@dataclass
class Inventory:
    svc: InventoryService
    holds: FlakyHoldStore
    catalog: FakeCatalog
    redis: Redis
    database_url: str
    redis_url: str
    shows: list[uuid.UUID] = field(default_factory=list)

    def layout(self, show_id: uuid.UUID, *, status: str = "published", price: int = 1000) -> None:
        now = datetime.now(UTC)
        self.catalog.layouts[show_id] = ShowLayout(
            show_id=show_id,
            status=status,
            title="Integrity test",
            starts_at=now + timedelta(days=3),
            currency="EUR",
            sales_start=now - timedelta(hours=1),
            sales_end=now + timedelta(days=2),
            max_per_booking=10,
            seats=[
                LayoutSeat(s, f"A{s}", "Stalls", "A", "standard", price, float(s), 0.0, False)
                for s in range(1, 6)
            ],
            areas=[LayoutArea(AREA, "Floor", "standing", price // 2, 10)],
            time_zone="Europe/Berlin",
        )

    def consumer(self, handlers: HandlerTable) -> Consumer:
        return Consumer(self.svc.store, f"it-{uuid.uuid4().hex[:8]}", handlers, max_deliveries=5)

    async def publish(self, show_id: uuid.UUID, **kw: Any) -> None:
        """What inventory does with a catalog.show.* event."""
        self.layout(show_id, **kw)
        event = Envelope.of(ShowChanged(show_id=str(show_id)), producer="t")
        await self.consumer(HandlerTable().on(ShowChanged, self.svc.on_show_changed)).handle(event)

    async def new_show(self) -> uuid.UUID:
        show_id = uuid.uuid4()
        self.shows.append(show_id)
        await self.publish(show_id)
        await self.svc.load(show_id)
        await self.redis.srem(SHOWS_INDEX, show_id.hex)  # other sessions' sweepers: keep off
        return show_id

    async def attached(
        self, show_id: uuid.UUID, seats: tuple[int, ...], ga: int = 0
    ) -> tuple[str, uuid.UUID]:
        hold = await self.svc.place_hold(
            CUSTOMER, show_id, HoldRequest(seats, ((AREA, ga),) if ga else ()), None
        )
        booking_id = uuid.uuid4()
        await self.svc.attach_hold(hold["hold_id"], CUSTOMER.user_id, booking_id, 60)
        return hold["hold_id"], booking_id

    async def release(self, show_id: uuid.UUID, hold_id: str, booking_id: uuid.UUID) -> Envelope:
        """booking.booking.failed through inventory's PostgreSQL part; returns the
        inventory.seats.released it announces (taken out of the outbox, delivered by hand)."""
        failed = BookingFailed(
            booking_id=str(booking_id),
            user_id=str(CUSTOMER.user_id),
            show_id=str(show_id),
            hold_id=hold_id,
            status="FAILED",
            reason="payment declined",
        )
        async with self.svc.store.uow() as uow:
            await self.svc.release_booking(uow, failed)
            released = uow.events.pop()
        return released

    async def apply(self, released: Envelope) -> None:
        """inventory.seats.released applied to Redis, with no inbox (a replay)."""
        await self.svc.apply_release(None, SeatsReleased.decode(released))  # type: ignore[arg-type]

    async def states(self, show_id: uuid.UUID) -> dict[int, SeatState]:
        states = await self.holds.states(show_id)
        return {s: states.state(s) for s in range(1, 6)}

    async def ga_used(self, show_id: uuid.UUID) -> int:
        return (await self.holds.ga_used(show_id)).get(AREA, 0)

    async def sold_in_postgres(self, booking_id: uuid.UUID) -> list[int]:
        async with self.svc.store.engine.connect() as conn:
            rows = await conn.scalars(
                sa.select(inventory_store.sold_seats.c.seat_id).where(
                    inventory_store.sold_seats.c.booking_id == booking_id
                )
            )
            return sorted(rows.all())


@pytest.fixture
async def inventory(own_engine: AsyncEngine, redis: Redis, infra: Any) -> AsyncIterator[Inventory]:
    holds = FlakyHoldStore(redis)
    catalog = FakeCatalog()
    svc = InventoryService(ServiceStore(own_engine, inventory_store.messaging), holds, catalog, 60)
    made = Inventory(
        svc,
        holds,
        catalog,
        redis,
        own_engine.url.render_as_string(hide_password=False),
        infra.redis_url,
    )
    yield made
    for show_id in made.shows:
        keys = [k async for k in redis.scan_iter(match=f"{prefix(show_id)}*", count=1000)]
        if keys:
            await redis.delete(*keys)


async def test_a_release_that_fails_to_reach_redis_once_frees_the_seats_on_redelivery(
    inventory: Inventory,
) -> None:
    show = await inventory.new_show()
    hold_id, booking = await inventory.attached(show, (1, 2), ga=3)
    assert await inventory.svc.sell_hold(hold_id, booking)
    released = await inventory.release(show, hold_id, booking)
    assert await inventory.sold_in_postgres(booking) == []
    consumer = inventory.consumer(HandlerTable().on(SeatsReleased, inventory.svc.apply_release))

    inventory.holds.fail_once.add("release_booking")
    first = FakeDelivery(envelope=released, attempt=1)
    await consumer.deliver(first.delivery())
    assert (first.acks, len(first.retries)) == (0, 1), "a failed Redis write is retried"
    assert (await inventory.states(show))[1] is SeatState.SOLD

    second = FakeDelivery(envelope=released, attempt=2)
    await consumer.deliver(second.delivery())
    assert second.acks == 1
    states = await inventory.states(show)
    assert (states[1], states[2]) == (SeatState.AVAILABLE,) * 2
    assert await inventory.ga_used(show) == 0

    # Delivered once more (a redelivery, or an operator's replay that skips the inbox): the
    # general-admission places are given back once, not twice.
    await inventory.apply(released)
    assert await inventory.ga_used(show) == 0
    assert await check_hold_store(inventory.redis_url, inventory.database_url, show) == []


async def test_a_show_change_that_fails_to_reach_redis_once_reaches_it_on_redelivery(
    inventory: Inventory,
) -> None:
    show = await inventory.new_show()
    held = await inventory.svc.place_hold(CUSTOMER, show, HoldRequest((3,), ()), None)
    inventory.layout(show, status="cancelled")
    event = Envelope.of(ShowCancelled(show_id=str(show), reason="storm"), producer="c")
    consumer = inventory.consumer(HandlerTable().on(ShowCancelled, inventory.svc.on_show_changed))

    inventory.holds.fail_once.add("meta")
    first = FakeDelivery(envelope=event, attempt=1)
    await consumer.deliver(first.delivery())
    assert (first.acks, len(first.retries)) == (0, 1)
    async with inventory.svc.store.engine.connect() as conn:
        status = await conn.scalar(
            sa.select(inventory_store.shows.c.status).where(inventory_store.shows.c.show_id == show)
        )
    assert status == "published", "nothing is recorded while Redis did not take the change"

    await consumer.deliver(FakeDelivery(envelope=event, attempt=2).delivery())
    with pytest.raises(NotOnSale):
        await inventory.svc.place_hold(CUSTOMER, show, HoldRequest((4,), ()), None)
    assert (await inventory.states(show))[3] is SeatState.AVAILABLE, "a cancelled show's holds end"
    assert await inventory.holds.record(show, held["hold_id"]) is None


class RefusingPostgres(Sales):
    """PostgreSQL fails the sale after Redis marked the seats sold (a failed commit)."""

    async def _record_sale(self, *args: Any, **kw: Any) -> bool:
        del args, kw
        raise ConnectionResetError("the database connection dropped at commit")


async def test_a_sale_that_postgres_loses_after_redis_heals_when_the_booking_fails(
    inventory: Inventory,
) -> None:
    show = await inventory.new_show()
    hold_id, booking = await inventory.attached(show, (1, 2), ga=2)
    broken = RefusingPostgres(inventory.svc.store, inventory.holds)
    with pytest.raises(ConnectionResetError):
        await broken.sell_hold(hold_id, booking)
    assert (await inventory.states(show))[1] is SeatState.SOLD, "Redis recorded the sale first"
    assert await inventory.sold_in_postgres(booking) == []

    # The booking then fails (its payment event ran out of retries, or its deadline passed).
    released = await inventory.release(show, hold_id, booking)
    await inventory.apply(released)
    states = await inventory.states(show)
    assert (states[1], states[2]) == (SeatState.AVAILABLE,) * 2, "the seats are on sale again"
    assert await inventory.ga_used(show) == 0
    assert await check_hold_store(inventory.redis_url, inventory.database_url, show) == []
    again = await inventory.svc.place_hold(CUSTOMER, show, HoldRequest((1, 2), ()), None)
    assert again["seat_ids"] == [1, 2]


async def test_a_sale_that_postgres_loses_after_redis_is_recorded_when_it_is_retried(
    inventory: Inventory,
) -> None:
    show = await inventory.new_show()
    hold_id, booking = await inventory.attached(show, (4,))
    broken = RefusingPostgres(inventory.svc.store, inventory.holds)
    with pytest.raises(ConnectionResetError):
        await broken.sell_hold(hold_id, booking)
    assert await inventory.svc.sell_hold(hold_id, booking), "the retried sale goes through"
    assert await inventory.sold_in_postgres(booking) == [4]
    assert await inventory.svc.sell_hold(hold_id, booking), "and again: it is idempotent"
    assert await check_hold_store(inventory.redis_url, inventory.database_url, show) == []


async def test_a_released_booking_is_never_sold_afterwards(inventory: Inventory) -> None:
    show = await inventory.new_show()
    hold_id, booking = await inventory.attached(show, (5,))
    await inventory.release(show, hold_id, booking)  # PostgreSQL released, Redis not yet
    assert not await inventory.svc.sell_hold(hold_id, booking)
    assert await inventory.sold_in_postgres(booking) == []


async def test_a_sale_and_a_release_of_one_booking_at_once_end_released(
    inventory: Inventory,
) -> None:
    for _ in range(8):
        show = await inventory.new_show()
        hold_id, booking = await inventory.attached(show, (1, 2, 3), ga=2)
        sold, released = await asyncio.gather(
            inventory.svc.sell_hold(hold_id, booking),
            inventory.release(show, hold_id, booking),
        )
        await inventory.apply(released)
        assert await inventory.sold_in_postgres(booking) == [], f"sold={sold}"
        assert set((await inventory.states(show)).values()) == {SeatState.AVAILABLE}
        assert await inventory.ga_used(show) == 0
        assert await check_hold_store(inventory.redis_url, inventory.database_url, show) == []


async def test_a_hold_keeps_its_price_when_the_show_is_repriced(inventory: Inventory) -> None:
    show = await inventory.new_show()
    quoted = await inventory.svc.place_hold(CUSTOMER, show, HoldRequest((1,), ((AREA, 2),)), None)
    await inventory.publish(show, price=99_000)
    inventory.svc.layouts.clear()  # every replica's copy refreshed, not only this process's
    view = await inventory.svc.attach_hold(quoted["hold_id"], CUSTOMER.user_id, uuid.uuid4(), 60)
    assert [s.price for s in view.seats] == [1000]
    assert [a.price for a in view.areas] == [500]
    assert view.total == 2000
    later = await inventory.svc.place_hold(CUSTOMER, show, HoldRequest((2,), ()), None)
    fresh = await inventory.svc.get_hold(CUSTOMER, later["hold_id"])
    assert fresh["total"] == 99_000, "a new hold pays the new price"
    assert dataclasses.asdict(view)["time_zone"] == "Europe/Berlin"
