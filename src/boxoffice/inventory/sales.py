"""Sales: a booking's hold turned into sold places (Redis first, then PostgreSQL), and what a
failed or cancelled booking gives back."""

from __future__ import annotations

import logging
import uuid

from boxoffice.booking.contract import BookingCancelled, BookingFailed
from boxoffice.inventory import store
from boxoffice.inventory.contract import SeatsReleased, SeatsSold
from boxoffice.inventory.domain import SaleStatus, sells, show_of_hold
from boxoffice.inventory.ports import HoldStorePort, Missing, SoldPlaces
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork

log = logging.getLogger(__name__)


class _Lost(Exception):
    """The hold could not be sold; roll the sale back."""


class Sales:
    def __init__(self, store: ServiceStore, holds: HoldStorePort) -> None:
        self.store = store
        self.holds = holds

    async def sell_hold(self, hold_id: str, booking_id: uuid.UUID) -> bool:
        """Sell the booking's hold: True once its places are sold (again True on a repeat),
        False if the hold was lost (expired, released, or the show is no longer on sale).

        Redis first, then PostgreSQL: if the PostgreSQL sale fails or is refused after Redis
        marked the seats sold, the booking fails and its release frees what Redis marked (see
        release_booking), and a retried sale finds the hold sold in Redis and records it."""
        show_id = show_of_hold(hold_id)
        match await self.holds.sell(show_id, hold_id, booking_id):
            case SoldPlaces(seat_ids=seat_ids, ga=areas, customer=customer):
                pass
            case Missing():
                return await self._sold_to(booking_id)  # sold before and the hold is gone
            case _:
                return False  # expired, released, closed, or another booking's
        try:
            async with self.store.uow() as uow:
                if await self._record_sale(
                    uow, show_id, booking_id, seat_ids, areas, uuid.UUID(customer)
                ):
                    uow.emit(
                        SeatsSold(
                            show_id=str(show_id),
                            booking_id=str(booking_id),
                            seat_ids=list(seat_ids),
                        )
                    )
        except _Lost as lost:
            log.info("the sale of hold %s to booking %s was refused: %s", hold_id, booking_id, lost)
            return False
        return True

    async def _sold_to(self, booking_id: uuid.UUID) -> bool:
        async with self.store.engine.connect() as conn:
            return await store.sale_status(conn, booking_id) is SaleStatus.SOLD

    async def _record_sale(
        self,
        uow: UnitOfWork,
        show_id: uuid.UUID,
        booking_id: uuid.UUID,
        seat_ids: tuple[int, ...],
        areas: tuple[tuple[int, int], ...],
        customer: uuid.UUID,
    ) -> bool:
        """Record the sale in PostgreSQL; False if it was recorded before. Raises _Lost when
        the show is not on sale, the booking was released, or a place is gone."""
        status = await store.show_status_for_sale(uow.conn, show_id)
        if status is None or not sells(status):
            raise _Lost(f"the show is {status}")
        previous = await store.claim_sale(uow.conn, booking_id, show_id, SaleStatus.SOLD, customer)
        if previous is SaleStatus.SOLD:
            return False
        if previous is SaleStatus.RELEASED:
            raise _Lost("the booking was released")
        if seat_ids and await store.sell_seats(uow.conn, show_id, booking_id, seat_ids) != len(
            seat_ids
        ):
            raise _Lost("a seat was sold to another booking")
        for area_id, qty in areas:
            if not await store.sell_places(uow.conn, show_id, booking_id, area_id, qty):
                raise _Lost("general-admission area sold out")
        return True

    # -- saga compensation (events) -----------------------------------------------------

    async def release_booking(
        self, uow: UnitOfWork, event: BookingFailed | BookingCancelled
    ) -> None:
        """A booking failed or was cancelled: give back whatever PostgreSQL sold it, and
        announce it (SeatsReleased), which frees its hold and seats in Redis (apply_release)."""
        booking_id = uuid.UUID(event.booking_id)
        show_id = uuid.UUID(event.show_id)
        seat_ids: list[int] = []
        areas: list[tuple[int, int]] = []
        # Claiming the booking's sales row first: a sale in flight for it is waited for, and
        # a sale that comes later finds it released and is refused.
        claimed = await store.claim_sale(uow.conn, booking_id, show_id, SaleStatus.RELEASED)
        if claimed is SaleStatus.SOLD:
            seat_ids, areas = await store.unsell(uow.conn, show_id, booking_id)
        uow.emit(
            SeatsReleased(
                show_id=str(show_id),
                booking_id=str(booking_id),
                seat_ids=seat_ids,
                hold_id=event.hold_id or "",
                ga=[{"area_id": a, "quantity": q} for a, q in areas],
                user_id=event.user_id,
            )
        )

    async def apply_release(self, uow: UnitOfWork, event: SeatsReleased) -> None:
        """inventory.seats.released, to ourselves: free the booking's hold and sold seats in
        Redis. Runs at least once (a failure is retried like any event) and changes Redis once
        per booking, however often it runs."""
        del uow  # nothing to write in PostgreSQL but the inbox row
        await self.holds.release_booking(
            uuid.UUID(event.show_id),
            event.hold_id,
            uuid.UUID(event.booking_id),
            tuple(event.seat_ids),
            tuple((g["area_id"], g["quantity"]) for g in event.ga),
            event.user_id,
        )
