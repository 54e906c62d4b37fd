"""The booking saga: payment outcomes confirm or fail a booking, compensation when seats are
lost or the show is cancelled, refunds, and the payment's timeout."""

from __future__ import annotations

import uuid

from boxoffice.booking import store
from boxoffice.booking.contract import BookingConfirmed
from boxoffice.booking.domain import (
    NotCancellable,
    Status,
    UnknownBooking,
    awaits_payment,
    can_move,
    cancelled_by_refund,
    ticket_code,
)
from boxoffice.booking.moves import BookingBase, log
from boxoffice.booking.store import Booking, Ticket
from boxoffice.catalog.contract import ShowCancelled
from boxoffice.kernel.db import new_id
from boxoffice.kernel.events import InconsistentEvent
from boxoffice.kernel.messaging import UnitOfWork
from boxoffice.kernel.telemetry import SAGA_STEP
from boxoffice.payment.contract import PaymentCompleted, PaymentFailed, PaymentRefunded


class BookingSaga(BookingBase):
    async def on_payment_completed(self, uow: UnitOfWork, event: PaymentCompleted) -> None:
        booking_id = uuid.UUID(event.booking_id)
        payment_id = uuid.UUID(event.payment_id)
        # Read without a lock (the call to inventory below must not hold one), with the show's
        # cancellation if there is one.
        found = await store.booking_and_cancellation(uow.conn, booking_id)
        if found is None:
            raise InconsistentEvent(f"payment {payment_id} is for no booking we know")
        row, cancelled = found
        if event.amount != row.total or event.currency != row.currency:
            raise InconsistentEvent(
                f"payment {payment_id} of {event.amount} {event.currency} "
                f"does not pay booking {booking_id} of {row.total} {row.currency}"
            )
        sold = False
        if awaits_payment(row.status) and cancelled is None:
            sold = await self.inventory.sell_hold(row.hold_id, row.id)
        # Shared with every other confirmation of the show, exclusive with its cancellation
        # (on_show_cancelled): a booking confirmed here is seen and cancelled by it, or sees it.
        await store.lock_show_shared(uow.conn, row.show_id)
        locked = await store.booking_and_cancellation(uow.conn, booking_id, lock=True)
        assert locked is not None
        row, cancelled = locked
        if not awaits_payment(row.status):
            # The saga already gave up (or the booking was cancelled meanwhile): its
            # compensation gives back any sale and the payment service refunds the capture.
            await self._step(uow, row.id, "late_payment_ignored", str(payment_id))
            return
        # The booking's row and its saga log are written once, at the end: one UPDATE and one
        # INSERT of every step instead of a statement per step (the sell-out's busiest handler).
        steps = [("payment_captured", str(payment_id))]
        waited = (self.clock.now() - row.created_at).total_seconds()
        uow.then(lambda: SAGA_STEP.labels("payment").observe(waited))
        if cancelled is not None:
            await self._fail(
                uow,
                row,
                Status.CANCELLED,
                f"The show was cancelled ({cancelled}); the payment is refunded.",
                steps=steps,
                payment_id=payment_id,
            )
            return
        if not sold:
            await self._fail(
                uow,
                row,
                Status.EXPIRED,
                "Your seats were released before the payment completed; the payment is refunded.",
                steps=steps,
                payment_id=payment_id,
            )
            return
        steps.append(("seats_sold", ""))
        tickets = await self._issue_tickets(uow, row)
        if tickets is None:
            await self._fail(
                uow,
                row,
                Status.FAILED,
                "A seat was sold to someone else; the payment is refunded.",
                steps=steps,
                payment_id=payment_id,
            )
            return
        count = len(tickets)
        steps.append(("tickets_issued", str(count)))
        await self._set(uow, row, Status.CONFIRMED, None, steps=steps, payment_id=payment_id)
        log.info("booking %s confirmed", row.id)
        uow.emit(
            BookingConfirmed(
                booking_id=str(row.id),
                user_id=str(row.user_id),
                show_id=str(row.show_id),
                show_title=row.show_title,
                amount=row.total,
                currency=row.currency,
                tickets=count,
                starts_at=row.show_starts_at.isoformat(),
                time_zone=row.show_time_zone,
                ticket_labels=[t.label for t in tickets],
                ticket_codes=[t.code for t in tickets],
            )
        )

    async def _issue_tickets(self, uow: UnitOfWork, row: Booking) -> list[Ticket] | None:
        """Issue the booking's tickets; None when a seat has a ticket already."""
        issued = []
        for line in await store.lines_of(uow.conn, row.id):
            for n in range(line.quantity):
                ticket_id = new_id()
                place = f"seat:{line.seat_id}" if line.seat_id else f"area:{line.area_id}:{n}"
                issued.append(
                    Ticket(
                        id=ticket_id,
                        booking_id=row.id,
                        user_id=row.user_id,
                        show_id=row.show_id,
                        seat_id=line.seat_id,
                        area_id=line.area_id,
                        label=line.label if line.seat_id else f"{line.label} #{n + 1}",
                        code=ticket_code(self.ticket_secret, ticket_id, row.show_id, place),
                        status="valid",
                        issued_at=self.clock.now(),
                    )
                )
        if not await store.issue_tickets(uow.conn, issued):
            return None
        return issued

    async def on_payment_failed(self, uow: UnitOfWork, event: PaymentFailed) -> None:
        row = await store.locked_booking(uow.conn, uuid.UUID(event.booking_id))
        if row is None or not awaits_payment(row.status):
            return
        await self._fail(uow, row, Status.FAILED, f"Payment failed: {event.reason}")

    async def on_show_cancelled(self, uow: UnitOfWork, event: ShowCancelled) -> None:
        """The catalog cancelled a show: no booking of it is made or confirmed from now on, and
        every pending or confirmed one is cancelled (refunded, its seats released)."""
        show_id = uuid.UUID(event.show_id)
        reason = event.reason or "Cancelled by the organizer."
        # Exclusive: waits for confirmations in flight (they hold it shared), so the SELECT
        # below sees every booking they confirmed, and confirmations after it see the row.
        await store.lock_show(uow.conn, show_id)
        await store.cancel_show(uow.conn, show_id, reason, self.clock.now())
        for row in await store.cancellable_of_show(uow.conn, show_id):
            await self._cancel(uow, row, f"The show was cancelled: {reason}")

    async def on_payment_refunded(self, uow: UnitOfWork, event: PaymentRefunded) -> None:
        """Money went back: a booking records how much, and a refund of everything it cost
        cancels it (tickets void, seats back on sale), whoever made the refund."""
        booking_id = uuid.UUID(event.booking_id)
        row = await store.locked_booking(uow.conn, booking_id)
        if row is None:
            raise InconsistentEvent(f"refund for booking {booking_id}, which we do not know")
        amount = event.amount
        # 0: a producer older than refunded_total (a refund is never of nothing).
        refunded = event.refunded_total or row.refunded + amount
        if event.currency != row.currency or not 0 < amount <= refunded <= row.total:
            raise InconsistentEvent(
                f"refund of {amount} (in all {refunded}) {event.currency} does not fit "
                f"booking {booking_id} of {row.total} {row.currency}"
            )
        refunded = max(refunded, row.refunded)  # refund events may arrive in any order
        await store.update_booking(uow.conn, booking_id, self.clock.now(), refunded=refunded)
        reason = event.reason or "Refunded."
        await self._step(uow, booking_id, "refunded", f"{amount} {row.currency}: {reason}")
        if cancelled_by_refund(row.status, row.total, refunded):
            await self._cancel(uow, row, f"Refunded in full: {reason}")

    async def expire_overdue(self, limit: int = 100) -> int:
        """Fail bookings whose payment did not answer in time; one replica takes each."""
        async with self.store.uow() as uow:
            rows = await store.overdue(uow.conn, self.clock.now(), limit)
            for row in rows:
                await self._fail(
                    uow,
                    row,
                    Status.FAILED,
                    f"The payment did not complete within {self.payment_timeout:g} "
                    "seconds; nothing was charged or it is refunded.",
                )
        return len(rows)

    async def force_fail(self, booking_id: uuid.UUID, reason: str) -> dict[str, object]:
        """An operator ends a stuck saga: the hold is released and any payment refunded."""
        async with self.store.uow() as uow:
            row = await store.locked_booking(uow.conn, booking_id)
            if row is None:
                raise UnknownBooking(f"No booking {booking_id}.")
            if not can_move(row.status, Status.FAILED):
                raise NotCancellable(f"This booking is already {row.status.lower()}.")
            await self._fail(uow, row, Status.FAILED, reason)
        return {"id": booking_id, "status": Status.FAILED.value, "reason": reason}
