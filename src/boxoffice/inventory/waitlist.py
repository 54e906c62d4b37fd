"""A sold-out show's waiting list: customers join it; places that come back (holds that
expired, bookings that failed or were cancelled) are offered in the order customers joined,
each as a hold reserved for the customer for `offer_seconds` with a notification
(inventory.waitlist.offered); booking it is the usual checkout. An offer not booked in time
lapses, its places come back, and they go to the next customer.

The list is in PostgreSQL (it outlives an on-sale, and any replica serves it); the offers are
made by a job that one replica at a time runs for each show (a lease per show), so each place
is offered once."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from boxoffice.inventory import store
from boxoffice.inventory.contract import WaitlistOffered
from boxoffice.inventory.domain import HoldState, SeatState, TooManySeats, new_hold_id
from boxoffice.inventory.layout import ShowData
from boxoffice.inventory.onsale import QueueClosed
from boxoffice.inventory.ports import AreaFull, Held, HoldAsk, Taken
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.errors import Conflict, NotFound

log = logging.getLogger(__name__)

WAITING, OFFERED, BOOKED, LAPSED, LEFT = "waiting", "offered", "booked", "lapsed", "left"
OFFERS_PER_TICK = 100  # per show: the list moves on each second


class NotOnWaitlist(NotFound):
    pass


class PlacesAvailable(Conflict):
    title = "Places available"


class Waitlists:
    def __init__(self, inventory: InventoryService, offer_seconds: int) -> None:
        self.inventory = inventory
        self.offer_seconds = offer_seconds

    async def free_places(self, data: ShowData) -> tuple[list[int], dict[int, int]]:
        """The show's free seats (in seat-map order) and free places per area."""
        show_id = data.row.show_id
        states = await self.inventory.holds.states(show_id)
        seats = [s for s in data.seats if states.state(s) == SeatState.AVAILABLE]
        used = await self.inventory.holds.ga_used(show_id)
        areas = {a: area.capacity - used.get(a, 0) for a, area in data.areas.items()}
        return seats, {a: left for a, left in areas.items() if left > 0}

    async def join(
        self, user: Principal, show_id: uuid.UUID, quantity: int
    ) -> tuple[dict[str, Any], bool]:
        data = await self.inventory.show(show_id)  # 404 unless the show is on sale
        if quantity > data.row.max_per_booking:
            raise TooManySeats(
                f"At most {data.row.max_per_booking} tickets per booking for this show.",
                limit=data.row.max_per_booking,
            )
        if datetime.now(UTC) >= data.row.sales_end:
            raise QueueClosed("The sale of this show has ended.")
        entry = await self._entry(show_id, user.user_id)
        if entry is None or entry.state not in (WAITING, OFFERED):
            if await self.inventory.holds.version(show_id) == 0:
                await self.inventory.load(show_id)
            seats, areas = await self.free_places(data)
            if seats or areas:
                raise PlacesAvailable(
                    "This show is not sold out: hold the places that are free (through its "
                    "waiting room, if it has one).",
                    seats_free=len(seats),
                    places_free=sum(areas.values()),
                )
        async with self.inventory.store.uow() as uow:
            row, new = await store.waitlist_join(uow.conn, show_id, user.user_id, quantity)
        return await self._status(row), new

    async def _entry(self, show_id: uuid.UUID, user_id: uuid.UUID) -> store.WaitRow | None:
        async with self.inventory.store.engine.connect() as conn:
            return await store.waitlist_entry(conn, show_id, user_id)

    async def _status(self, row: store.WaitRow) -> dict[str, Any]:
        ahead = None
        if row.state == WAITING:
            async with self.inventory.store.engine.connect() as conn:
                ahead = await store.waitlist_ahead(conn, row.show_id, row.joined_at)
        offer = None
        if row.state == OFFERED and row.hold_id is not None:
            offer = {"hold_id": row.hold_id, "expires_at": row.offer_expires_at}
        return {
            "show_id": row.show_id,
            "state": row.state,
            "quantity": row.quantity,
            "joined_at": row.joined_at,
            "position": None if ahead is None else ahead + 1,
            "ahead": ahead,
            "offer": offer,
        }

    async def status(self, user: Principal, show_id: uuid.UUID) -> dict[str, Any]:
        row = await self._entry(show_id, user.user_id)
        if row is None:
            raise NotOnWaitlist("You are not on this show's waiting list.")
        return await self._status(row)

    async def leave(self, user: Principal, show_id: uuid.UUID) -> None:
        row = await self._entry(show_id, user.user_id)
        if row is None or row.state not in (WAITING, OFFERED):
            raise NotOnWaitlist("You are not on this show's waiting list.")
        async with self.inventory.store.uow() as uow:
            await store.waitlist_move(uow.conn, show_id, user.user_id, (WAITING, OFFERED), LEFT)
        if row.state == OFFERED and row.hold_id:
            record = await self.inventory.holds.record(show_id, row.hold_id)
            if record is not None and record.booking_id is None:  # its places go to the next
                await self.inventory.holds.release(show_id, row.hold_id, None)

    async def figures(self, show_id: uuid.UUID) -> dict[str, int]:
        async with self.inventory.store.engine.connect() as conn:
            counts = await store.waitlist_counts(conn, show_id)
        return {state: counts.get(state, 0) for state in (WAITING, OFFERED, BOOKED, LAPSED)}

    # -- the job ---------------------------------------------------------------------------

    async def offer(self, lease_ms: int = 900) -> int:
        """Settle the offers made (booked or lapsed) and offer the places that came back to
        the next customers, show by show; one replica per tick. The offers made."""
        async with self.inventory.store.engine.connect() as conn:
            shows = await store.waitlist_shows(conn)
        made = 0
        for show_id in shows:
            # a lease per show: one replica a tick offers its places, and installations that
            # share a Redis (keys are per show) do not take each other's turn
            if not await self.inventory.holds.lease(f"waitlist:{show_id.hex}", lease_ms):
                continue
            try:
                await self._settle(show_id)
                made += await self._offer(show_id)
            except Exception:  # one show's trouble does not hold up the others
                log.exception("the waiting list of show %s failed", show_id)
        return made

    async def _settle(self, show_id: uuid.UUID) -> None:
        async with self.inventory.store.engine.connect() as conn:
            offered = await store.waitlist_rows(conn, show_id, OFFERED, 1000)
        now = datetime.now(UTC)
        for row in offered:
            assert row.hold_id is not None, row
            record = await self.inventory.holds.record(show_id, row.hold_id)
            if record is not None and record.state is HoldState.SOLD:
                outcome = BOOKED
            elif record is None or (record.booking_id is None and record.expires_at <= now):
                outcome = LAPSED  # not booked in time, or its booking failed
            else:
                continue  # still held for them, or being paid for
            async with self.inventory.store.uow() as uow:
                await store.waitlist_move(uow.conn, show_id, row.user_id, (OFFERED,), outcome)
            if outcome == LAPSED and record is not None:
                await self.inventory.holds.release(show_id, row.hold_id, None)

    async def _offer(self, show_id: uuid.UUID) -> int:
        data = await self.inventory.show(show_id)
        if datetime.now(UTC) >= data.row.sales_end:
            return 0
        async with self.inventory.store.engine.connect() as conn:
            waiting = await store.waitlist_rows(conn, show_id, WAITING, OFFERS_PER_TICK)
        if not waiting:
            return 0
        seats, areas = await self.free_places(data)
        made = 0
        for row in waiting:  # strictly in order: the next one waits for enough places
            pick_seats: tuple[int, ...] = ()
            pick_ga: tuple[tuple[int, int], ...] = ()
            if len(seats) >= row.quantity:
                pick_seats, seats = tuple(seats[: row.quantity]), seats[row.quantity :]
            else:
                area = next((a for a, left in areas.items() if left >= row.quantity), None)
                if area is None:
                    break
                pick_ga = ((area, row.quantity),)
                areas[area] -= row.quantity
            if not await self._make(data, row, pick_seats, pick_ga):
                break
            made += 1
        return made

    async def _make(
        self,
        data: ShowData,
        row: store.WaitRow,
        seat_ids: tuple[int, ...],
        ga: tuple[tuple[int, int], ...],
    ) -> bool:
        """Hold the places for the customer and tell them; False if the places went meanwhile."""
        show_id = data.row.show_id
        ask = HoldAsk(
            hold_id=new_hold_id(show_id),
            customer=row.user_id.hex,
            ttl_ms=self.offer_seconds * 1000,
            seat_ids=seat_ids,
            ga=ga,
            idempotency_key=None,
            places_per_customer=max(
                row.quantity, data.row.max_held_per_customer or self.inventory.held_per_customer
            ),
            seat_prices=tuple(data.seats[s].price for s in seat_ids),
            area_prices=tuple(data.areas[a].price for a, _ in ga),
            admitted=True,  # the offer is their admission
        )
        answer = await self.inventory.holds.hold(show_id, ask)
        if isinstance(answer, Taken | AreaFull):
            return False
        async with self.inventory.store.uow() as uow:
            if not isinstance(answer, Held):
                # over the room's limit per customer, or the show stopped selling: no offer
                log.info(
                    "no waiting-list offer for %s on show %s: %r", row.user_id, show_id, answer
                )
                await store.waitlist_move(uow.conn, show_id, row.user_id, (WAITING,), LAPSED)
                return True
            expires = answer.expires_at
            if not await store.waitlist_move(
                uow.conn, show_id, row.user_id, (WAITING,), OFFERED, ask.hold_id, expires
            ):  # they left meanwhile
                await self.inventory.holds.release(show_id, ask.hold_id, None)
                return True
            labels = [data.seats[s].label for s in seat_ids] + [
                f"{q} × {data.areas[a].name}" for a, q in ga
            ]
            uow.emit(
                WaitlistOffered(
                    show_id=str(show_id),
                    user_id=str(row.user_id),
                    hold_id=ask.hold_id,
                    show_title=data.row.title,
                    places=labels,
                    expires_at=expires.isoformat(),
                )
            )
        return True
