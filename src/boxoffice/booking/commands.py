"""Booking commands: book a hold (idempotently), cancel a booking."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from boxoffice.booking import store
from boxoffice.booking.contract import BookingCreated
from boxoffice.booking.domain import (
    ShowCancelled,
    Status,
    UnknownBooking,
    booking_id_for,
    can_cancel,
)
from boxoffice.booking.queries import BookingQueries
from boxoffice.booking.store import Booking, BookingDetail, Line, messaging
from boxoffice.inventory.contract import HoldView
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.idempotency import IdempotentCall, stored_answer


class BookingCommands(BookingQueries):
    async def create(
        self, user: Principal, hold_id: str, method: str, token: str, idempotency_key: str | None
    ) -> tuple[int, dict[str, Any]]:
        """Book a hold: 202 with the PENDING booking (or, for a repeat, the first answer).
        Waits its turn at the admission gate; 503 with Retry-After only when the gate's queue
        is full."""
        async with self.admission:
            return await self._create(user, hold_id, method, token, idempotency_key)

    async def _create(
        self, user: Principal, hold_id: str, method: str, token: str, idempotency_key: str | None
    ) -> tuple[int, dict[str, Any]]:
        booking_id = booking_id_for(hold_id)
        request = {"hold_id": hold_id, "method": method, "token": token}
        repeat = await self._repeat(user, booking_id, idempotency_key, request)
        if repeat is not None:
            return repeat
        # The hold now lasts as long as the payment may take, and serves only this booking.
        # A call to inventory: made before our transaction begins, so no lock waits on it.
        hold = await self.inventory.attach_hold(
            hold_id, user.user_id, booking_id, self.payment_timeout + 60
        )
        try:
            return await self._record(user, booking_id, hold, method, token, idempotency_key)
        except IntegrityError:
            # A concurrent request for the same hold (or with the same key) committed first.
            repeat = await self._repeat(user, booking_id, idempotency_key, request)
            if repeat is None:
                raise
            return repeat

    async def _repeat(
        self,
        user: Principal,
        booking_id: uuid.UUID,
        idempotency_key: str | None,
        request: dict[str, str],
    ) -> tuple[int, dict[str, Any]] | None:
        """The answer to a repeated request: the stored one for its Idempotency-Key, or the
        booking this hold already has."""
        async with self._reads.connect() as conn:
            if idempotency_key:
                stored = await stored_answer(
                    conn,
                    messaging.idempotency,
                    "bookings.create",
                    str(user.user_id),
                    idempotency_key,
                    request,
                )
                if stored is not None:
                    return stored[0], dict(stored[1])
            existing = await store.owner_and_status(conn, booking_id)
        if existing is None:
            return None
        owner, status = existing
        if owner != user.user_id:
            raise UnknownBooking("This hold belongs to another customer.")
        return 202, {"booking_id": str(booking_id), "status": status}

    async def _record(
        self,
        user: Principal,
        booking_id: uuid.UUID,
        hold: HoldView,
        method: str,
        token: str,
        idempotency_key: str | None,
    ) -> tuple[int, dict[str, Any]]:
        hold_id = hold.hold_id
        async with self.store.uow() as uow:
            call = None
            if idempotency_key:
                call = IdempotentCall(
                    uow,
                    messaging.idempotency,
                    "bookings.create",
                    str(user.user_id),
                    idempotency_key,
                    {"hold_id": hold_id, "method": method, "token": token},
                )
                replay = await call.replay()
                if replay is not None:
                    return replay[0], dict(replay[1])
            cancelled = await store.cancellation(uow.conn, hold.show_id)
            if cancelled is not None:
                raise ShowCancelled(f"This show was cancelled ({cancelled}); it sells nothing.")
            now = self.clock.now()
            booking = Booking(
                id=booking_id,
                user_id=user.user_id,
                show_id=hold.show_id,
                hold_id=hold_id,
                show_title=hold.show_title,
                show_starts_at=hold.show_starts_at,
                show_time_zone=hold.time_zone,
                status=Status.PENDING,
                reason=None,
                currency=hold.currency,
                total=hold.total,
                refunded=0,
                payment_id=None,
                deadline=now + timedelta(seconds=self.payment_timeout),
                created_at=now,
                updated_at=now,
            )
            booked = [
                *(
                    Line(booking_id, s.seat_id, None, s.label, s.category, 1, s.price)
                    for s in hold.seats
                ),
                *(
                    Line(booking_id, None, a.area_id, a.name, a.category, a.quantity, a.price)
                    for a in hold.areas
                ),
            ]
            await store.add_booking(uow.conn, booking, booked)
            await store.add_steps(  # both steps in one round trip
                uow.conn,
                booking_id,
                [
                    ("created", f"hold {hold_id}"),
                    ("payment_requested", f"{hold.total} {hold.currency} by {method}"),
                ],
                self.clock.now(),
            )
            uow.emit(
                BookingCreated(
                    booking_id=str(booking_id),
                    user_id=str(user.user_id),
                    show_id=str(hold.show_id),
                    hold_id=hold_id,
                    amount=hold.total,
                    currency=hold.currency,
                    payment_method=method,
                    payment_token=token,
                )
            )
            answer = {"booking_id": str(booking_id), "status": Status.PENDING.value}
            if call is not None:
                await call.remember(202, answer)
        return 202, answer

    async def cancel(self, user: Principal, booking_id: uuid.UUID, reason: str) -> BookingDetail:
        async with self.store.uow() as uow:
            row = await store.locked_booking(uow.conn, booking_id)
            if row is None or (row.user_id != user.user_id and not user.is_admin):
                raise UnknownBooking(f"No booking {booking_id}.")
            can_cancel(row.status, row.show_starts_at <= self.clock.now())
            await self._cancel(uow, row, reason)
        return await self.get(user, booking_id)
