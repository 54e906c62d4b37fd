"""Inventory use cases over fakes: the in-memory hold store (tests/fakes_inventory.py) on a
clock the test moves, and layouts served from a fake catalog instead of PostgreSQL."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
import pytest
from prometheus_client import REGISTRY

from boxoffice.catalog.contract import LayoutArea, LayoutSeat, ShowLayout
from boxoffice.inventory.domain import (
    HoldExpired,
    HoldInUse,
    HoldRequest,
    NotOnSale,
    SeatsTaken,
    SeatState,
    SoldOut,
    TooManyHolds,
    TooManySeats,
    UnknownHold,
    UnknownSeats,
    UnknownShow,
)
from boxoffice.inventory.layout import Layouts, ShowData
from boxoffice.inventory.ports import ShowMeta
from boxoffice.inventory.seatmap import SeatMaps
from boxoffice.inventory.service import InventoryService
from boxoffice.inventory.store import AreaRow, SeatRow, ShowRow
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.messaging import ServiceStore
from tests.fakes_inventory import FakeHoldStore

AREA = 50
TTL = 60


def customer() -> Principal:
    return Principal(uuid.uuid4(), frozenset({"customer"}))


def a_layout(show_id: uuid.UUID, **changes: Any) -> ShowLayout:
    now = datetime.now(UTC)
    made = ShowLayout(
        show_id=show_id,
        status="published",
        title="Unit",
        starts_at=now + timedelta(days=3),
        currency="EUR",
        sales_start=now - timedelta(hours=1),
        sales_end=now + timedelta(days=2),
        max_per_booking=6,
        seats=[
            LayoutSeat(s, f"A{s}", "Stalls", "A", "standard", 1000 + s, float(s), 0.0, s == 10)
            for s in range(1, 11)
        ],
        areas=[LayoutArea(AREA, "Floor", "standing", 500, 4)],
        time_zone="Europe/Vienna",
    )
    return replace(made, **changes)


class FakeCatalog:
    def __init__(self) -> None:
        self.layouts: dict[uuid.UUID, ShowLayout] = {}

    async def show_layout(self, show_id: uuid.UUID) -> ShowLayout:
        return self.layouts[show_id]

    async def show_owner(self, show_id: uuid.UUID) -> uuid.UUID:
        del show_id
        return uuid.uuid4()


class CatalogLayouts(Layouts):
    """The layout cache filled from the catalog's layouts instead of inventory's tables."""

    def __init__(self, catalog: FakeCatalog, size: int = 64) -> None:
        super().__init__(cast(ServiceStore, None), size)
        self.catalog = catalog
        self.reads = 0

    async def _refresh(self, show_id: uuid.UUID, cached: ShowData | None) -> ShowData:
        del cached
        layout = self.catalog.layouts.get(show_id)
        if layout is None:
            raise UnknownShow(f"No show {show_id} is on sale.")
        self.reads += 1
        data = ShowData(
            row=ShowRow(
                layout.show_id,
                layout.status,
                layout.title,
                layout.starts_at,
                layout.currency,
                layout.sales_start,
                layout.sales_end,
                layout.max_per_booking,
                datetime.now(UTC),
                layout.max_held_per_customer,
                layout.time_zone,
            ),
            seats={
                s.id: SeatRow(
                    s.id, s.label, s.section, s.row, s.category, s.price, s.x, s.y, s.blocked
                )
                for s in layout.seats
            },
            areas={
                a.id: AreaRow(a.id, a.name, a.category, a.price, a.capacity, 0)
                for a in layout.areas
            },
            loaded_at=time.monotonic(),
        )
        self._shows[show_id] = data
        return data


@dataclass
class World:
    svc: InventoryService
    holds: FakeHoldStore
    catalog: FakeCatalog
    layouts: CatalogLayouts

    async def show(self, **changes: Any) -> uuid.UUID:
        """A show the catalog published, loaded into the hold store."""
        show_id = uuid.uuid4()
        layout = self.catalog.layouts[show_id] = a_layout(show_id, **changes)
        await self.holds.load(
            show_id,
            ShowMeta(layout.status, layout.sales_start, layout.sales_end, layout.max_per_booking),
            datetime.now(UTC),
            {s.id: SeatState.BLOCKED if s.blocked else SeatState.AVAILABLE for s in layout.seats},
            {a.id: (a.capacity, 0) for a in layout.areas},
        )
        return show_id

    async def cancel(self, show_id: uuid.UUID) -> None:
        """What on_show_changed tells the hold store of a cancelled show."""
        layout = self.catalog.layouts[show_id]
        meta = ShowMeta("cancelled", layout.sales_start, layout.sales_end, layout.max_per_booking)
        await self.holds.set_meta(show_id, meta, datetime.now(UTC) + timedelta(seconds=1))
        await self.holds.close(show_id)

    async def hold(
        self, user: Principal, show_id: uuid.UUID, seats: tuple[int, ...], ga: int = 0
    ) -> dict[str, Any]:
        request = HoldRequest(seats, ((AREA, ga),) if ga else ())
        return await self.svc.place_hold(user, show_id, request, None)

    async def states(self, show_id: uuid.UUID) -> dict[int, str]:
        _, body = await self.svc.seat_map(show_id)
        return {s["id"]: s["state"] for s in orjson.loads(body)["seats"]}


@pytest.fixture
def world() -> World:
    holds = FakeHoldStore()
    catalog = FakeCatalog()
    svc = InventoryService(cast(ServiceStore, None), holds, catalog, TTL, held_per_customer=5)
    layouts = CatalogLayouts(catalog)
    svc.layouts = layouts
    svc.maps = SeatMaps(layouts, holds, svc.load)
    return World(svc, holds, catalog, layouts)


async def test_a_hold_takes_the_seats_until_its_time_is_up(world: World) -> None:
    show = await world.show()
    before = datetime.now(UTC)
    hold = await world.hold(customer(), show, (2, 3), ga=1)
    assert (hold["show_id"], hold["seat_ids"]) == (show, [2, 3])
    assert hold["ga"] == [{"area_id": AREA, "quantity": 1}]
    assert before + timedelta(seconds=TTL - 1) <= hold["expires_at"]
    states = await world.states(show)
    assert (states[1], states[2], states[3], states[10]) == ("available", "held", "held", "blocked")
    world.holds.clock.advance(TTL * 1000)
    assert await world.svc.sweep() == 1
    assert (await world.states(show))[2] == "available"


async def test_taken_seats_are_refused_by_label(world: World) -> None:
    show = await world.show()
    await world.hold(customer(), show, (4,))
    with pytest.raises(SeatsTaken) as taken:
        await world.hold(customer(), show, (3, 4, 10))
    assert taken.value.extra == {"seat_ids": [4, 10], "seats": ["A4", "A10"]}
    assert (await world.states(show))[3] == "available", "nothing of a refused hold is kept"


async def test_unknown_seats_and_areas_are_named(world: World) -> None:
    show = await world.show()
    with pytest.raises(UnknownSeats) as unknown:
        await world.hold(customer(), show, (1, 99))
    assert unknown.value.extra == {"seat_ids": [99]}
    with pytest.raises(UnknownSeats):
        await world.svc.place_hold(customer(), show, HoldRequest((), ((7, 1),)), None)


async def test_general_admission_is_held_within_capacity(world: World) -> None:
    show = await world.show()
    await world.hold(customer(), show, (), ga=3)
    with pytest.raises(SoldOut) as full:
        await world.hold(customer(), show, (), ga=2)
    assert full.value.extra == {"area_id": AREA, "available": 1}
    _, body = await world.svc.seat_map(show)
    assert orjson.loads(body)["ga_areas"][0]["available"] == 1


async def test_a_booking_takes_at_most_the_show_s_maximum(world: World) -> None:
    show = await world.show(max_per_booking=2)
    with pytest.raises(TooManySeats) as refused:
        await world.hold(customer(), show, (1, 2, 3))
    assert refused.value.extra == {"limit": 2}


async def test_a_customer_holds_at_most_so_many_places_per_show(world: World) -> None:
    show = await world.show()
    user = customer()
    await world.hold(user, show, (1, 2, 3))
    with pytest.raises(TooManyHolds) as refused:
        await world.hold(user, show, (4, 5, 6))
    assert refused.value.extra == {"limit": 5}, "the installation's default"
    await world.hold(customer(), show, (4, 5, 6))
    own = await world.show(max_held_per_customer=1)
    await world.hold(user, own, (1,))
    with pytest.raises(TooManyHolds):
        await world.hold(user, own, (2,))


async def test_a_repeated_request_with_its_key_gets_the_first_hold(world: World) -> None:
    show = await world.show()
    user = customer()
    request = HoldRequest((1, 2), ())
    first = await world.svc.place_hold(user, show, request, "key")
    again = await world.svc.place_hold(user, show, request, "key")
    assert again["hold_id"] == first["hold_id"]
    assert again["seat_ids"] == [1, 2]
    with pytest.raises(HoldInUse):
        await world.svc.place_hold(user, show, HoldRequest((3,), ()), "key")


async def test_a_cancelled_show_ends_its_holds_and_sells_nothing(world: World) -> None:
    show = await world.show()
    user = customer()
    hold = await world.hold(user, show, (1,))
    await world.cancel(show)
    assert (await world.states(show))[1] == "available"
    with pytest.raises(NotOnSale, match="cancelled"):
        await world.hold(user, show, (2,))
    with pytest.raises(NotOnSale, match="cancelled"):  # and no booking starts
        await world.svc.attach_hold(hold["hold_id"], user.user_id, uuid.uuid4(), 60)


async def test_nothing_is_held_outside_the_sales_window(world: World) -> None:
    start = datetime.now(UTC) + timedelta(days=1)
    show = await world.show(sales_start=start, sales_end=start + timedelta(days=1))
    with pytest.raises(NotOnSale) as refused:
        await world.hold(customer(), show, (1,))
    assert (
        refused.value.extra["sales_start"]
        == start.replace(microsecond=start.microsecond // 1000 * 1000).isoformat()
    )


async def test_an_unknown_show_is_refused(world: World) -> None:
    with pytest.raises(UnknownShow):
        await world.hold(customer(), uuid.uuid4(), (1,))


async def test_a_hold_is_seen_by_its_customer_with_the_prices_quoted(world: World) -> None:
    show = await world.show()
    user = customer()
    hold = await world.hold(user, show, (2,), ga=2)
    world.catalog.layouts[show] = a_layout(show, areas=[LayoutArea(AREA, "Floor", "x", 9, 4)])
    world.layouts.clear()  # repriced; the hold keeps its prices
    seen = await world.svc.get_hold(user, hold["hold_id"])
    assert (seen["state"], seen["seat_ids"], seen["total"]) == ("held", [2], 1002 + 2 * 500)
    assert seen["ga"] == [
        {"area_id": AREA, "name": "Floor", "category": "x", "quantity": 2, "price": 500}
    ]
    with pytest.raises(UnknownHold):
        await world.svc.get_hold(customer(), hold["hold_id"])
    admin = Principal(uuid.uuid4(), frozenset({"admin"}))
    assert (await world.svc.get_hold(admin, hold["hold_id"]))["hold_id"] == hold["hold_id"]
    world.holds.clock.advance(-(TTL + 1) * 1000)  # a hold made a minute ago
    old = await world.hold(user, show, (3,))
    assert (await world.svc.get_hold(user, old["hold_id"]))["state"] == "expired"


async def test_a_customer_releases_a_hold_not_yet_paid_for(world: World) -> None:
    show = await world.show()
    user = customer()
    hold = await world.hold(user, show, (1, 2))
    with pytest.raises(UnknownHold):
        await world.svc.release_hold(customer(), hold["hold_id"])
    await world.svc.release_hold(user, hold["hold_id"])
    assert set((await world.states(show)).values()) == {"available", "blocked"}
    with pytest.raises(UnknownHold):
        await world.svc.release_hold(user, hold["hold_id"])
    paid = await world.hold(user, show, (3,))
    booking = uuid.uuid4()
    await world.svc.attach_hold(paid["hold_id"], user.user_id, booking, 60)
    with pytest.raises(HoldInUse) as in_use:
        await world.svc.release_hold(user, paid["hold_id"])
    assert in_use.value.extra == {"booking_id": str(booking)}


async def test_attaching_ties_a_hold_to_one_booking(world: World) -> None:
    show = await world.show()
    user = customer()
    hold = await world.hold(user, show, (5,), ga=1)
    booking = uuid.uuid4()
    view = await world.svc.attach_hold(hold["hold_id"], user.user_id, booking, 600)
    assert (view.booking_id, view.user_id, view.total, view.time_zone) == (
        booking,
        user.user_id,
        1005 + 500,
        "Europe/Vienna",
    )
    assert view.expires_at >= datetime.now(UTC) + timedelta(seconds=590)
    with pytest.raises(HoldInUse):
        await world.svc.attach_hold(hold["hold_id"], user.user_id, uuid.uuid4(), 600)
    with pytest.raises(UnknownHold):
        await world.svc.attach_hold(hold["hold_id"], uuid.uuid4(), booking, 600)
    late = await world.hold(user, show, (6,))
    world.holds.clock.advance(TTL * 1000)
    with pytest.raises(HoldExpired):
        await world.svc.attach_hold(late["hold_id"], user.user_id, uuid.uuid4(), 600)


async def test_a_sale_of_a_lost_hold_is_refused_before_any_write(world: World) -> None:
    show = await world.show()
    user = customer()
    hold = await world.hold(user, show, (1,))
    booking = uuid.uuid4()
    await world.svc.attach_hold(hold["hold_id"], user.user_id, booking, 1)
    world.holds.clock.advance(TTL * 1000)
    assert not await world.svc.sell_hold(hold["hold_id"], booking), "expired"
    other = await world.hold(user, show, (2,))
    await world.svc.attach_hold(other["hold_id"], user.user_id, uuid.uuid4(), 60)
    assert not await world.svc.sell_hold(other["hold_id"], booking), "another booking's"


async def test_the_sweep_frees_expired_holds_once_per_interval(world: World) -> None:
    show = await world.show()
    await world.hold(customer(), show, (1,))
    await world.hold(customer(), show, (2,))
    world.holds.clock.advance(TTL * 1000)
    assert await world.svc.sweep() == 2
    assert await world.svc.sweep() == 0, "the lease is taken for this interval"
    world.holds.clock.advance(1000)
    assert await world.svc.sweep() == 0, "nothing left to free"


async def test_a_seat_map_is_drawn_once_per_version(world: World) -> None:
    show = await world.show()
    version, body = await world.svc.seat_map(show)
    assert await world.svc.seat_map(show) == (version, body)
    assert await world.svc.seat_map_version(show) == version
    await world.hold(customer(), show, (1,))
    newer, drawn = await world.svc.seat_map(show)
    assert newer > version and drawn != body
    gzipped = await world.svc.seat_map(show, gzipped=True)
    assert gzipped[0] == newer and gzipped[1][:2] == b"\x1f\x8b"
    document = orjson.loads(drawn)
    assert (document["version"], document["status"], document["max_per_booking"]) == (
        newer,
        "published",
        6,
    )


async def test_the_layout_cache_keeps_a_bounded_number_of_shows(world: World) -> None:
    small = CatalogLayouts(world.catalog, size=2)
    first, second, third = [await world.show() for _ in range(3)]
    for show in (first, second, first, third):  # `second` is the least recently used
        await small.show(show)
    assert small.reads == 3
    await small.show(first)
    await small.show(third)
    assert small.reads == 3, "the two most recent are still cached"
    await small.show(second)
    assert small.reads == 4, "the third show pushed out the least recently used"


def held_total(outcome: str) -> float:
    return REGISTRY.get_sample_value("boxoffice_holds_total", {"outcome": outcome}) or 0.0


async def test_hold_requests_are_counted_by_outcome(world: World) -> None:
    show = await world.show()
    before = {o: held_total(o) for o in ("granted", "taken", "too_many")}
    await world.hold(customer(), show, (1,))
    with pytest.raises(SeatsTaken):
        await world.hold(customer(), show, (1,))
    with pytest.raises(TooManySeats):
        await world.hold(customer(), show, (2, 3, 4, 5, 6, 7, 8))
    assert {o: held_total(o) - n for o, n in before.items()} == {
        "granted": 1,
        "taken": 1,
        "too_many": 1,
    }
