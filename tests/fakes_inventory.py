"""An in-memory hold store with holds.lua's semantics (inventory.ports.HoldStorePort), on a
clock the test moves. tests/contract/test_holdstore_contract.py runs the same tests against it
and against Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from boxoffice.inventory.domain import HoldState, SeatState, sells
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
    HoldRecord,
    KeyReused,
    Missing,
    NotYours,
    OffSale,
    OverBookingLimit,
    OverCustomerLimit,
    OverTicketLimit,
    PassSpent,
    Places,
    ReleaseAnswer,
    ReleaseBookingAnswer,
    ReleasedBefore,
    Repeat,
    RoomCounters,
    RoomRule,
    SeatStates,
    SellAnswer,
    ShowMeta,
    SoldPlaces,
    Taken,
    UnknownArea,
    UnknownSeats,
    Unloaded,
)

DAY_MS = 86_400_000


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class Clock:
    """Milliseconds since the epoch, from the real time until a test moves it."""

    def __init__(self) -> None:
        self.ms = int(time.time() * 1000)

    def __call__(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


@dataclass
class _Hold:
    customer: str
    seat_ids: tuple[int, ...]
    ga: Places
    places: int
    seat_prices: tuple[int, ...]
    area_prices: tuple[int, ...]
    state: HoldState
    expires: int
    booking: uuid.UUID | None = None
    pass_entry: str = ""


@dataclass
class _Show:
    loaded: bool = False
    meta: ShowMeta | None = None
    synced: int = 0
    version: int = 0
    seats: dict[int, SeatState | str] = field(default_factory=dict)  # str: held by that hold
    capacity: dict[int, int] = field(default_factory=dict)
    used: dict[int, int] = field(default_factory=dict)
    holds: dict[str, _Hold] = field(default_factory=dict)
    expiring: dict[str, int] = field(default_factory=dict)  # live or unpurged holds: expiry
    counted: dict[str, dict[str, int]] = field(default_factory=dict)  # customer: hold: expiry
    keys: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # hold, fingerprint, til
    released: set[uuid.UUID] = field(default_factory=set)
    room_opens: int | None = None  # ms: from then on a hold needs a pass
    room_max: int = 0  # tickets per customer, held, pending and bought (0: no limit)
    bought: dict[str, int] = field(default_factory=dict)  # customer: places sold
    spent: set[str] = field(default_factory=set)  # entries of passes whose booking sold
    sold_n: int = 0
    held_n: int = 0
    refused_n: int = 0


class FakeHoldStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.shows: dict[uuid.UUID, _Show] = {}
        self.changes: list[tuple[uuid.UUID, str, tuple[int, ...]]] = []  # what Redis publishes
        self._leases: dict[str, int] = {}

    def _show(self, show_id: uuid.UUID) -> _Show:
        return self.shows.setdefault(show_id, _Show())

    def _changed(self, show_id: uuid.UUID, kind: str, seats: list[int]) -> int:
        show = self._show(show_id)
        show.version += 1
        if seats:
            self.changes.append((show_id, kind, tuple(seats)))
        return show.version

    def _hold_of(self, show: _Show, hold_id: str) -> _Hold | None:
        hold = show.holds.get(hold_id)
        if hold is not None and hold.expires + DAY_MS <= self.clock():
            del show.holds[hold_id]  # the hash's own expiry, a day after the hold's
            return None
        return hold

    def _uncount(self, show: _Show, customer: str, hold_id: str) -> None:
        show.counted.get(customer, {}).pop(hold_id, None)

    def _free(self, show: _Show, hold_id: str) -> list[int]:
        hold = self._hold_of(show, hold_id)
        show.expiring.pop(hold_id, None)
        if hold is None:
            return []
        self._uncount(show, hold.customer, hold_id)
        marker: SeatState | str = SeatState.SOLD if hold.state is HoldState.SOLD else hold_id
        freed = []
        for seat in hold.seat_ids:
            if show.seats.get(seat) == marker:
                show.seats[seat] = SeatState.AVAILABLE
                freed.append(seat)
        for area, qty in hold.ga:
            show.used[area] = show.used.get(area, 0) - qty
        del show.holds[hold_id]
        return freed

    def _purge(self, show: _Show, until: float, limit: int) -> tuple[list[int], int]:
        due = sorted((t, h) for h, t in show.expiring.items() if t <= until)[:limit]
        freed = []
        for _, hold_id in due:
            freed += self._free(show, hold_id)
        return freed, len(due)

    def _places_of(self, show: _Show, customer: str, now: int) -> int:
        mine = show.counted.get(customer, {})
        for hold_id in [h for h, t in mine.items() if t <= now]:
            del mine[hold_id]
        total = 0
        for hold_id in mine:
            hold = show.holds.get(hold_id)
            total += hold.places if hold is not None else 1
        return total

    def _live(self, show: _Show, hold_id: str, now: int) -> bool:
        expires = show.expiring.get(hold_id)
        return expires is not None and expires > now

    async def load(
        self,
        show_id: uuid.UUID,
        meta: ShowMeta,
        synced: datetime,
        seats: Mapping[int, SeatState],
        areas: Mapping[int, tuple[int, int]],
        room: RoomRule | None = None,
        bought: Mapping[str, int] | None = None,
    ) -> None:
        show = self._show(show_id)
        await self.set_room(show_id, room)
        show.bought.update(bought or {})
        for seat, state in seats.items():
            if state is SeatState.AVAILABLE:
                show.seats.setdefault(seat, state)
            else:
                show.seats[seat] = state
        for area, (capacity, sold) in areas.items():
            show.capacity[area] = capacity
            show.used.setdefault(area, sold)
        await self.set_meta(show_id, meta, synced)
        show.loaded = True
        show.version = max(show.version + 1, time.time_ns() // 1000)

    async def set_room(self, show_id: uuid.UUID, room: RoomRule | None) -> None:
        show = self._show(show_id)
        show.room_opens = None if room is None else _ms(room.opens)
        show.room_max = 0 if room is None else room.max_tickets or 0

    async def counters(self, show_id: uuid.UUID) -> RoomCounters:
        show = self._show(show_id)
        return RoomCounters(show.sold_n, show.held_n, show.refused_n)

    async def set_meta(self, show_id: uuid.UUID, meta: ShowMeta, synced: datetime) -> bool:
        show = self._show(show_id)
        if show.synced > _ms(synced):
            return False
        # kept to the millisecond, as Redis keeps it
        start, end = _at(_ms(meta.sales_start)), _at(_ms(meta.sales_end))
        show.meta, show.synced = replace(meta, sales_start=start, sales_end=end), _ms(synced)
        return True

    async def hold(self, show_id: uuid.UUID, ask: HoldAsk) -> HoldAnswer:
        now = self.clock()
        show = self._show(show_id)
        meta = show.meta
        if not show.loaded or meta is None:
            return Unloaded()
        if not sells(meta.status):
            return Closed(meta.status)
        if now < _ms(meta.sales_start) or now > _ms(meta.sales_end):
            return OffSale(meta.sales_start, meta.sales_end)
        room_on = show.room_opens is not None and now >= show.room_opens
        if room_on and not ask.admitted:
            return AdmissionNeeded()
        if room_on and ask.pass_entry and ask.pass_entry in show.spent:
            return PassSpent()
        fingerprint = f"{ask.seat_ids};{ask.ga}"
        if ask.idempotency_key:
            key = f"{ask.customer}:{ask.idempotency_key}"
            previous = show.keys.get(key)
            if previous is not None and previous[2] > now:
                if previous[1] != fingerprint:
                    return KeyReused()
                return Repeat(previous[0])
        count = len(ask.seat_ids) + sum(q for _, q in ask.ga)
        if count > meta.max_per_booking:
            return OverBookingLimit(meta.max_per_booking)
        freed, _ = self._purge(show, now, 50)
        if freed:
            self._changed(show_id, "available", freed)
        unknown, taken = [], []
        for seat in ask.seat_ids:
            state = show.seats.get(seat)
            if state is None:
                unknown.append(seat)
            elif state is not SeatState.AVAILABLE:
                if not isinstance(state, SeatState) and not self._live(show, state, now):
                    continue  # held by a hold whose time is up
                taken.append(seat)
        if unknown:
            return UnknownSeats(tuple(unknown))
        if taken:
            show.refused_n += room_on
            return Taken(tuple(taken))
        for area, qty in ask.ga:
            if area not in show.capacity:
                return UnknownArea(area)
            used = show.used.get(area, 0)
            if used + qty > show.capacity[area]:
                show.refused_n += room_on
                return AreaFull(area, show.capacity[area] - used)
        held = self._places_of(show, ask.customer, now)
        if held + count > ask.places_per_customer:
            return OverCustomerLimit(ask.places_per_customer)
        have = held + max(0, show.bought.get(ask.customer, 0))
        if show.room_max and have + count > show.room_max:
            return OverTicketLimit(show.room_max, have)
        show.held_n += room_on
        expires = now + ask.ttl_ms
        for seat in ask.seat_ids:
            show.seats[seat] = ask.hold_id
        for area, qty in ask.ga:
            show.used[area] = show.used.get(area, 0) + qty
        show.holds[ask.hold_id] = _Hold(
            ask.customer,
            ask.seat_ids,
            ask.ga,
            count,
            ask.seat_prices,
            ask.area_prices,
            HoldState.HELD,
            expires,
            pass_entry=ask.pass_entry,
        )
        show.expiring[ask.hold_id] = expires
        show.counted.setdefault(ask.customer, {})[ask.hold_id] = expires
        if ask.idempotency_key:
            show.keys[f"{ask.customer}:{ask.idempotency_key}"] = (
                ask.hold_id,
                fingerprint,
                expires,
            )
        self._changed(show_id, "held", list(ask.seat_ids))
        return Held(_at(expires))

    async def release(
        self, show_id: uuid.UUID, hold_id: str, customer: str | None
    ) -> ReleaseAnswer:
        show = self._show(show_id)
        hold = self._hold_of(show, hold_id)
        if hold is None:
            return Missing()
        if customer is not None and hold.customer != customer:
            return NotYours()
        if hold.state is HoldState.SOLD:
            return AlreadySold()
        freed = self._free(show, hold_id)
        self._changed(show_id, "available", freed)
        return Freed(len(freed))

    async def attach(
        self, show_id: uuid.UUID, hold_id: str, customer: str, booking_id: uuid.UUID, extend_ms: int
    ) -> AttachAnswer:
        now = self.clock()
        show = self._show(show_id)
        if show.meta is not None:
            if not sells(show.meta.status):
                return Closed(show.meta.status)
            if now > _ms(show.meta.sales_end):
                return OffSale(show.meta.sales_start, show.meta.sales_end)
        hold = self._hold_of(show, hold_id)
        if hold is None:
            return Missing()
        if hold.customer != customer:
            return NotYours()
        if hold.booking is not None and hold.booking != booking_id:
            return AttachedElsewhere(hold.booking)
        if hold.state is HoldState.SOLD:
            return AlreadySold()
        if hold.expires <= now:
            return Expired()
        hold.expires = max(hold.expires, now + extend_ms)
        hold.booking = booking_id
        mine = show.counted.get(customer, {})
        if hold_id in mine:  # a hold that stopped counting does not count again
            mine[hold_id] = hold.expires
        show.expiring[hold_id] = hold.expires
        return Attached(_at(hold.expires))

    async def sell(self, show_id: uuid.UUID, hold_id: str, booking_id: uuid.UUID) -> SellAnswer:
        now = self.clock()
        show = self._show(show_id)
        if show.meta is not None and not sells(show.meta.status):
            return Closed(show.meta.status)
        if booking_id in show.released:
            return BookingReleased()
        hold = self._hold_of(show, hold_id)
        if hold is None or hold.booking is None:
            return Missing()
        if hold.booking != booking_id:
            return AttachedElsewhere(hold.booking)
        if hold.state is HoldState.SOLD:
            return SoldPlaces(hold.seat_ids, hold.ga, hold.customer)
        if hold.expires <= now:
            return Expired()
        for seat in hold.seat_ids:
            show.seats[seat] = SeatState.SOLD
        hold.state = HoldState.SOLD
        show.expiring.pop(hold_id, None)
        self._uncount(show, hold.customer, hold_id)
        show.bought[hold.customer] = show.bought.get(hold.customer, 0) + hold.places
        if hold.pass_entry:
            show.spent.add(hold.pass_entry)
        show.sold_n += 1
        self._changed(show_id, "sold", list(hold.seat_ids))
        return SoldPlaces(hold.seat_ids, hold.ga, hold.customer)

    async def release_booking(
        self,
        show_id: uuid.UUID,
        hold_id: str,
        booking_id: uuid.UUID,
        sold_seats: tuple[int, ...],
        sold_ga: Places,
        customer: str = "",
    ) -> ReleaseBookingAnswer:
        show = self._show(show_id)
        if booking_id in show.released:
            return ReleasedBefore()
        show.released.add(booking_id)
        hold = self._hold_of(show, hold_id)
        freed: list[int] = []
        if hold is not None and hold.booking in (None, booking_id):
            if hold.state is HoldState.SOLD:
                show.bought[hold.customer] = show.bought.get(hold.customer, 0) - hold.places
            freed = self._free(show, hold_id)
        else:  # the hold is gone: free what PostgreSQL had sold
            for seat in sold_seats:
                if show.seats.get(seat) is SeatState.SOLD:
                    show.seats[seat] = SeatState.AVAILABLE
                    freed.append(seat)
            for area, qty in sold_ga:
                show.used[area] = show.used.get(area, 0) - qty
            places = len(sold_seats) + sum(q for _, q in sold_ga)
            if customer and places:
                show.bought[customer] = show.bought.get(customer, 0) - places
        self._changed(show_id, "available", freed)
        return Freed(len(freed))

    async def close(self, show_id: uuid.UUID) -> int:
        freed, n = self._purge(self._show(show_id), float("inf"), 1_000_000)
        self._changed(show_id, "available", freed)
        return n

    async def purge(self, show_id: uuid.UUID) -> int:
        freed, n = self._purge(self._show(show_id), self.clock(), 500)
        if n:
            self._changed(show_id, "available", freed)
        return n

    async def record(self, show_id: uuid.UUID, hold_id: str) -> HoldRecord | None:
        hold = self._hold_of(self._show(show_id), hold_id)
        if hold is None:
            return None
        return HoldRecord(
            customer=hold.customer,
            seat_ids=hold.seat_ids,
            ga=hold.ga,
            places=hold.places,
            seat_prices=hold.seat_prices,
            area_prices=hold.area_prices,
            state=hold.state,
            expires_at=_at(hold.expires),
            booking_id=hold.booking,
        )

    async def states(self, show_id: uuid.UUID) -> SeatStates:
        now = self.clock()
        show = self._show(show_id)
        seats: dict[int, SeatState] = {}
        for seat, state in show.seats.items():
            if isinstance(state, SeatState):
                if state is not SeatState.AVAILABLE:
                    seats[seat] = state
            elif self._live(show, state, now):
                seats[seat] = SeatState.HELD
        return SeatStates(await self.version(show_id), seats)

    async def version(self, show_id: uuid.UUID) -> int:
        show = self._show(show_id)
        return show.version if show.loaded else 0

    async def ga_used(self, show_id: uuid.UUID) -> dict[int, int]:
        return dict(self._show(show_id).used)

    async def lease(self, name: str, ms: int) -> bool:
        now = self.clock()
        if self._leases.get(name, 0) > now:
            return False
        self._leases[name] = now + ms
        return True

    async def live_holds(self, show_ids: list[uuid.UUID]) -> int:
        return sum(len(self._show(s).expiring) for s in show_ids)

    async def active_shows(self) -> list[uuid.UUID]:
        return [s for s, show in self.shows.items() if show.loaded]
