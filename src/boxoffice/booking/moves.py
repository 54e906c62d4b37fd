"""What every part of the booking service shares: its dependencies, and the moves of a booking
from one status to the next (the row, the saga log, the event, the metrics)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

from boxoffice.booking import store
from boxoffice.booking.contract import BookingCancelled, BookingFailed
from boxoffice.booking.domain import Status, move
from boxoffice.booking.store import Booking
from boxoffice.catalog.contract import CatalogClient
from boxoffice.inventory.contract import InventoryClient
from boxoffice.kernel.clock import Clock, SystemClock
from boxoffice.kernel.db import autocommit
from boxoffice.kernel.gate import Gate
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.kernel.telemetry import BOOKINGS, SAGA_DURATION

log = logging.getLogger("boxoffice.booking.service")


# (customer, booking, new status, reason) → told to the customer's live channel
Announce = Callable[[uuid.UUID, uuid.UUID, str, str | None], Awaitable[None]]


class BookingBase:
    def __init__(
        self,
        store: ServiceStore,
        inventory: InventoryClient,
        catalog: CatalogClient,
        *,
        payment_timeout: float,
        ticket_secret: bytes,
        clock: Clock | None = None,
        admission: Gate | None = None,
        announce: Announce | None = None,
    ) -> None:
        self.store = store
        # New bookings queue here, in order, for the database connections they need, rather
        # than taking the pool from the saga and failing when it has none left.
        self.admission = admission or Gate("booking-create", 10, 4096)
        # Pushes each committed status change to the customer's live channel (booking.live).
        self.announce = announce
        self._reads = autocommit(store.engine)
        # Polls of a booking take at most this many database connections at once. A crowd
        # polling while its payments run would otherwise queue the saga's own transactions
        # behind its reads, and slow sagas mean more polls (docs/benchmarks.md, sell-out);
        # waiting here instead slows the polling down.
        self._poll_slots = asyncio.Semaphore(4)
        self.inventory = inventory
        self.catalog = catalog
        self.payment_timeout = payment_timeout
        self.ticket_secret = ticket_secret
        self.clock = clock or SystemClock()

    async def _cancel(self, uow: UnitOfWork, row: Booking, reason: str) -> None:
        await self._set(uow, row, Status.CANCELLED, reason)
        await store.void_tickets(uow.conn, row.id)
        uow.emit(
            BookingCancelled(
                booking_id=str(row.id),
                user_id=str(row.user_id),
                show_id=str(row.show_id),
                hold_id=row.hold_id,
                reason=reason,
            )
        )

    async def _fail(
        self,
        uow: UnitOfWork,
        row: Booking,
        status: Status,
        reason: str,
        steps: Sequence[tuple[str, str]] = (),
        payment_id: uuid.UUID | None = None,
    ) -> None:
        log.info("booking %s %s: %s", row.id, status.value.lower(), reason)
        await self._set(uow, row, status, reason, steps=steps, payment_id=payment_id)
        uow.emit(
            BookingFailed(
                booking_id=str(row.id),
                user_id=str(row.user_id),
                show_id=str(row.show_id),
                hold_id=row.hold_id,
                status=status.value,
                reason=reason,
            )
        )

    async def _set(
        self,
        uow: UnitOfWork,
        row: Booking,
        status: Status,
        reason: str | None,
        steps: Sequence[tuple[str, str]] = (),
        payment_id: uuid.UUID | None = None,
    ) -> None:
        """Move the booking to `status` (with its payment, if given), logging `steps` and then
        the status as saga steps."""
        move(row.status, status)
        now = self.clock.now()
        took = (now - row.created_at).total_seconds()
        uow.then(lambda: BOOKINGS.labels(status.value).inc())
        if status != Status.CANCELLED:
            uow.then(lambda: SAGA_DURATION.labels(status.value).observe(took))
        paid = {} if payment_id is None else {"payment_id": payment_id}
        await store.update_booking(uow.conn, row.id, now, status=status, reason=reason, **paid)
        if self.announce is not None:
            announce = self.announce
            uow.after_commit.append(lambda: announce(row.user_id, row.id, status.value, reason))
        await store.add_steps(
            uow.conn, row.id, [*steps, (status.value.lower(), reason or "")], self.clock.now()
        )

    async def _step(
        self, uow: UnitOfWork, booking_id: uuid.UUID, step: str, detail: str = ""
    ) -> None:
        await store.add_steps(uow.conn, booking_id, [(step, detail)], self.clock.now())
