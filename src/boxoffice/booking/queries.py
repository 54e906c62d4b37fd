"""Booking reads for the API: a booking, bookings, tickets, a ticket's code, a show's sales,
the sagas that are stuck."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from boxoffice.booking import store
from boxoffice.booking.domain import Status, UnknownBooking
from boxoffice.booking.moves import BookingBase
from boxoffice.booking.store import Booking, BookingDetail, MyTicket, StuckBooking
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.errors import Forbidden, NotFound


@dataclass(frozen=True)
class ShowSales:
    show_id: uuid.UUID
    bookings: dict[str, int]  # how many, by status
    tickets_sold: int
    revenue: int  # confirmed bookings less their refunds
    currency: str | None
    recent: list[Booking]


class BookingQueries(BookingBase):
    async def get(self, user: Principal, booking_id: uuid.UUID) -> BookingDetail:
        # One round trip: customers poll this while their payment runs (the web UI every
        # 700 ms), so in an on-sale it is the most frequent query of all.
        async with self._poll_slots, self._reads.connect() as conn:
            found = await store.booking_detail(conn, booking_id)
        if found is None or (found.user_id != user.user_id and not user.is_admin):
            raise UnknownBooking(f"No booking {booking_id}.")
        return found

    async def search(
        self,
        user: Principal,
        *,
        everyone: bool,
        status: str | None,
        show_id: uuid.UUID | None,
        user_id: uuid.UUID | None,
        limit: int,
        offset: int,
    ) -> list[Booking]:
        whose = user_id if everyone and user.is_admin else user.user_id
        async with self.store.engine.connect() as conn:
            return await store.search(
                conn, user_id=whose, status=status, show_id=show_id, limit=limit, offset=offset
            )

    async def tickets(self, user: Principal, limit: int, offset: int) -> list[MyTicket]:
        async with self.store.engine.connect() as conn:
            return await store.tickets_of(conn, user.user_id, limit, offset)

    async def signed_code(self, user: Principal, ticket_id: uuid.UUID) -> str:
        """The signed code of a ticket its owner (or an admin) may show, e.g. as a QR code."""
        async with self.store.engine.connect() as conn:
            found = await store.ticket_code_and_owner(conn, ticket_id)
        if found is None or (found[1] != user.user_id and not user.is_admin):
            raise NotFound(f"No ticket {ticket_id}.")
        return found[0]

    async def sales(self, user: Principal, show_id: uuid.UUID, recent: int = 20) -> ShowSales:
        """A show's sales for its organizer: bookings by status, revenue, the latest bookings."""
        if not user.is_admin and await self.catalog.show_owner(show_id) != user.user_id:
            raise Forbidden("Only the show's organizer or an admin sees its sales.")
        async with self.store.engine.connect() as conn:
            counts, tickets_sold, rows = await store.sales(conn, show_id, recent)
        statuses = {s.value: 0 for s in Status}
        revenue = 0
        for count in counts:
            statuses[count.status] = count.bookings
            if count.status == Status.CONFIRMED:
                revenue = count.amount
        return ShowSales(
            show_id=show_id,
            bookings=statuses,
            tickets_sold=tickets_sold,
            revenue=revenue,
            currency=rows[0].currency if rows else None,
            recent=rows,
        )

    async def stuck(self, older_than: float, limit: int) -> list[StuckBooking]:
        """PENDING bookings older than `older_than` seconds, with the step they stopped at."""
        created_before = self.clock.now() - timedelta(seconds=older_than)
        async with self.store.engine.connect() as conn:
            return await store.stuck(conn, created_before, limit)
