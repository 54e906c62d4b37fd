"""Booking use cases and the booking saga: hold → booking → payment → tickets, or compensation."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from boxoffice.booking.contract import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingFailed,
)
from boxoffice.booking.domain import (
    NotCancellable,
    ShowCancelled,
    Status,
    UnknownBooking,
    booking_id_for,
    can_cancel,
    ticket_code,
)
from boxoffice.booking.store import (
    bookings,
    cancelled_shows,
    lines,
    messaging,
    saga_steps,
    tickets,
)
from boxoffice.catalog.contract import CatalogClient
from boxoffice.inventory.contract import HoldView, InventoryClient
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.db import autocommit, new_id, utcnow
from boxoffice.kernel.errors import Forbidden, NotFound
from boxoffice.kernel.events import Envelope, InconsistentEvent
from boxoffice.kernel.idempotency import IdempotentCall, stored_answer
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.kernel.telemetry import BOOKINGS, SAGA_DURATION, SAGA_STEP

log = logging.getLogger(__name__)


def _children(table: sa.Table, order_by: str) -> sa.ScalarSelect[Any]:
    """The booking's rows of `table` as one JSON array, in `order_by` order."""
    child = table.alias("child")
    return (
        sa.select(
            sa.func.coalesce(
                sa.func.json_agg(aggregate_order_by(sa.literal_column("child"), child.c[order_by])),
                sa.text("'[]'::json"),
                type_=JSON,
            )
        )
        .where(child.c.booking_id == bookings.c.id)
        .scalar_subquery()
    )


_BOOKING_WITH_CHILDREN = sa.select(
    bookings,
    _children(lines, "id").label("lines"),
    _children(tickets, "label").label("tickets"),
    _children(saga_steps, "id").label("steps"),
).where(bookings.c.id == sa.bindparam("booking_id"))


def _show_lock(show_id: uuid.UUID) -> sa.ColumnElement[Any]:
    """The key of a show's advisory lock (see on_show_cancelled)."""
    return sa.func.hashtextextended(str(show_id), 0)


# A booking with the reason its show was cancelled (NULL while it is not).
_WITH_CANCELLATION = sa.select(
    bookings,
    sa.select(cancelled_shows.c.reason)
    .where(cancelled_shows.c.show_id == bookings.c.show_id)
    .scalar_subquery()
    .label("cancelled"),
)


class BookingService:
    def __init__(
        self,
        store: ServiceStore,
        inventory: InventoryClient,
        catalog: CatalogClient,
        *,
        payment_timeout: float,
        ticket_secret: bytes,
    ) -> None:
        self.store = store
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

    # -- commands -----------------------------------------------------------------------

    async def create(
        self, user: Principal, hold_id: str, method: str, token: str, idempotency_key: str | None
    ) -> tuple[int, dict[str, Any]]:
        """Book a hold: 202 with the PENDING booking (or, for a repeat, the first answer)."""
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
            existing = (
                await conn.execute(
                    sa.select(bookings.c.user_id, bookings.c.status).where(
                        bookings.c.id == booking_id
                    )
                )
            ).first()
        if existing is None:
            return None
        if existing.user_id != user.user_id:
            raise UnknownBooking("This hold belongs to another customer.")
        return 202, {"booking_id": str(booking_id), "status": existing.status}

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
                    return replay
            cancelled = await self._cancellation(uow, hold.show_id)
            if cancelled is not None:
                raise ShowCancelled(f"This show was cancelled ({cancelled}); it sells nothing.")
            now = utcnow()
            await uow.execute(
                sa.insert(bookings).values(
                    id=booking_id,
                    user_id=user.user_id,
                    show_id=hold.show_id,
                    hold_id=hold_id,
                    show_title=hold.show_title,
                    show_starts_at=hold.show_starts_at,
                    show_time_zone=hold.time_zone,
                    status=Status.PENDING,
                    currency=hold.currency,
                    total=hold.total,
                    deadline=now + timedelta(seconds=self.payment_timeout),
                    created_at=now,
                    updated_at=now,
                )
            )
            # One executemany: every row names the same columns (a hold may mix seats and GA).
            await uow.execute(
                sa.insert(lines),
                [
                    *(
                        {
                            "booking_id": booking_id,
                            "seat_id": s.seat_id,
                            "area_id": None,
                            "label": s.label,
                            "category": s.category,
                            "quantity": 1,
                            "unit_price": s.price,
                        }
                        for s in hold.seats
                    ),
                    *(
                        {
                            "booking_id": booking_id,
                            "seat_id": None,
                            "area_id": a.area_id,
                            "label": a.name,
                            "category": a.category,
                            "quantity": a.quantity,
                            "unit_price": a.price,
                        }
                        for a in hold.areas
                    ),
                ],
            )
            at = utcnow()
            await uow.execute(  # both steps in one round trip
                sa.insert(saga_steps),
                [
                    {"booking_id": booking_id, "step": step, "detail": detail, "at": at}
                    for step, detail in (
                        ("created", f"hold {hold_id}"),
                        ("payment_requested", f"{hold.total} {hold.currency} by {method}"),
                    )
                ],
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

    async def cancel(self, user: Principal, booking_id: uuid.UUID, reason: str) -> dict[str, Any]:
        async with self.store.uow() as uow:
            row = await self._locked(uow, booking_id)
            if row is None or (row.user_id != user.user_id and not user.is_admin):
                raise UnknownBooking(f"No booking {booking_id}.")
            can_cancel(Status(row.status), row.show_starts_at <= datetime.now(UTC))
            await self._cancel(uow, row, reason)
        return await self.get(user, booking_id)

    async def _cancel(self, uow: UnitOfWork, row: Any, reason: str) -> None:
        await self._set(uow, row, Status.CANCELLED, reason)
        await uow.execute(
            sa.update(tickets).where(tickets.c.booking_id == row.id).values(status="void")
        )
        uow.emit(
            BookingCancelled(
                booking_id=str(row.id),
                user_id=str(row.user_id),
                show_id=str(row.show_id),
                hold_id=row.hold_id,
                reason=reason,
            )
        )

    # -- the saga (event handlers) ------------------------------------------------------

    async def on_payment_completed(self, uow: UnitOfWork, event: Envelope) -> None:
        payload = event.payload
        booking_id = uuid.UUID(payload["booking_id"])
        payment_id = uuid.UUID(payload["payment_id"])
        # Read without a lock (the call to inventory below must not hold one), with the show's
        # cancellation if there is one.
        row = (await uow.execute(_WITH_CANCELLATION.where(bookings.c.id == booking_id))).first()
        if row is None:
            raise InconsistentEvent(f"payment {payment_id} is for no booking we know")
        if payload.get("amount") != row.total or payload.get("currency") != row.currency:
            raise InconsistentEvent(
                f"payment {payment_id} of {payload.get('amount')} {payload.get('currency')} "
                f"does not pay booking {booking_id} of {row.total} {row.currency}"
            )
        sold = False
        if row.status == Status.PENDING and row.cancelled is None:
            sold = await self.inventory.sell_hold(row.hold_id, row.id)
        # Shared with every other confirmation of the show, exclusive with its cancellation
        # (on_show_cancelled): a booking confirmed here is seen and cancelled by it, or sees it.
        # The lock is a statement of its own, so that the next one, which reads the
        # cancellation, starts (and takes its snapshot) once the lock is granted.
        await uow.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(_show_lock(row.show_id))))
        row = (
            await uow.execute(
                _WITH_CANCELLATION.where(bookings.c.id == booking_id).with_for_update(of=bookings)
            )
        ).one()
        if row.status != Status.PENDING:
            # The saga already gave up (or the booking was cancelled meanwhile): its
            # compensation gives back any sale and the payment service refunds the capture.
            await self._step(uow, row.id, "late_payment_ignored", str(payment_id))
            return
        # The booking's row and its saga log are written once, at the end: one UPDATE and one
        # INSERT of every step instead of a statement per step (the sell-out's busiest handler).
        steps = [("payment_captured", str(payment_id))]
        waited = (utcnow() - row.created_at).total_seconds()
        uow.then(lambda: SAGA_STEP.labels("payment").observe(waited))
        if row.cancelled is not None:
            await self._fail(
                uow,
                row,
                Status.CANCELLED,
                f"The show was cancelled ({row.cancelled}); the payment is refunded.",
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
        count = await self._issue_tickets(uow, row)
        if count is None:
            await self._fail(
                uow,
                row,
                Status.FAILED,
                "A seat was sold to someone else; the payment is refunded.",
                steps=steps,
                payment_id=payment_id,
            )
            return
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
            )
        )

    @staticmethod
    async def _cancellation(uow: UnitOfWork, show_id: uuid.UUID) -> Any:
        """Why the show was cancelled, or None while it is not."""
        return await uow.conn.scalar(
            sa.select(cancelled_shows.c.reason).where(cancelled_shows.c.show_id == show_id)
        )

    async def _issue_tickets(self, uow: UnitOfWork, row: Any) -> int | None:
        """Issue the booking's tickets; how many, or None when a seat has a ticket already."""
        booked = (await uow.execute(sa.select(lines).where(lines.c.booking_id == row.id))).all()
        values = []
        for line in booked:
            for n in range(line.quantity):
                ticket_id = new_id()
                place = f"seat:{line.seat_id}" if line.seat_id else f"area:{line.area_id}:{n}"
                values.append(
                    {
                        "id": ticket_id,
                        "booking_id": row.id,
                        "user_id": row.user_id,
                        "show_id": row.show_id,
                        "seat_id": line.seat_id,
                        "area_id": line.area_id,
                        "label": line.label if line.seat_id else f"{line.label} #{n + 1}",
                        "code": ticket_code(self.ticket_secret, ticket_id, row.show_id, place),
                        "status": "valid",
                        "issued_at": utcnow(),
                    }
                )
        try:
            async with uow.conn.begin_nested():
                await uow.execute(sa.insert(tickets), values)
        except IntegrityError:
            return None
        return len(values)

    async def on_payment_failed(self, uow: UnitOfWork, event: Envelope) -> None:
        row = await self._locked(uow, uuid.UUID(event.payload["booking_id"]))
        if row is None or row.status != Status.PENDING:
            return
        await self._fail(uow, row, Status.FAILED, f"Payment failed: {event.payload['reason']}")

    async def on_show_cancelled(self, uow: UnitOfWork, event: Envelope) -> None:
        """The catalog cancelled a show: no booking of it is made or confirmed from now on, and
        every pending or confirmed one is cancelled (refunded, its seats released)."""
        show_id = uuid.UUID(event.payload["show_id"])
        reason = event.payload.get("reason") or "Cancelled by the organizer."
        # Exclusive: waits for confirmations in flight (they hold it shared), so the SELECT
        # below sees every booking they confirmed, and confirmations after it see the row.
        await uow.execute(sa.select(sa.func.pg_advisory_xact_lock(_show_lock(show_id))))
        await uow.execute(
            pg_insert(cancelled_shows)
            .values(show_id=show_id, reason=reason, cancelled_at=utcnow())
            .on_conflict_do_nothing()
        )
        rows = (
            await uow.execute(
                sa.select(bookings)
                .where(
                    bookings.c.show_id == show_id,
                    bookings.c.status.in_([Status.PENDING, Status.CONFIRMED]),
                )
                .with_for_update()
            )
        ).all()
        for row in rows:
            await self._cancel(uow, row, f"The show was cancelled: {reason}")

    async def on_payment_refunded(self, uow: UnitOfWork, event: Envelope) -> None:
        """Money went back: a booking records how much, and a refund of everything it cost
        cancels it (tickets void, seats back on sale), whoever made the refund."""
        payload = event.payload
        booking_id = uuid.UUID(payload["booking_id"])
        row = await self._locked(uow, booking_id)
        if row is None:
            raise InconsistentEvent(f"refund for booking {booking_id}, which we do not know")
        amount = int(payload["amount"])
        refunded = int(payload.get("refunded_total", row.refunded + amount))
        if payload.get("currency") != row.currency or not 0 < amount <= refunded <= row.total:
            raise InconsistentEvent(
                f"refund of {amount} (in all {refunded}) {payload.get('currency')} does not fit "
                f"booking {booking_id} of {row.total} {row.currency}"
            )
        refunded = max(refunded, row.refunded)  # refund events may arrive in any order
        await uow.execute(
            sa.update(bookings)
            .where(bookings.c.id == booking_id)
            .values(refunded=refunded, updated_at=utcnow())
        )
        reason = payload.get("reason") or "Refunded."
        await self._step(uow, booking_id, "refunded", f"{amount} {row.currency}: {reason}")
        if refunded == row.total and row.status in (Status.PENDING, Status.CONFIRMED):
            await self._cancel(uow, row, f"Refunded in full: {reason}")

    async def expire_overdue(self, limit: int = 100) -> int:
        """Fail bookings whose payment did not answer in time; one replica takes each."""
        async with self.store.uow() as uow:
            rows = (
                await uow.execute(
                    sa.select(bookings)
                    .where(bookings.c.status == Status.PENDING, bookings.c.deadline < utcnow())
                    .order_by(bookings.c.deadline)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                await self._fail(
                    uow,
                    row,
                    Status.FAILED,
                    f"The payment did not complete within {self.payment_timeout:g} "
                    "seconds; nothing was charged or it is refunded.",
                )
        return len(rows)

    async def _fail(
        self,
        uow: UnitOfWork,
        row: Any,
        status: Status,
        reason: str,
        steps: Sequence[tuple[str, str]] = (),
        **values: Any,
    ) -> None:
        log.info("booking %s %s: %s", row.id, status.value.lower(), reason)
        await self._set(uow, row, status, reason, steps=steps, **values)
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
        row: Any,
        status: Status,
        reason: str | None,
        steps: Sequence[tuple[str, str]] = (),
        **values: Any,
    ) -> None:
        """Move the booking to `status` (and set `values`), logging `steps` and then the status
        as saga steps."""
        booking_id = row.id
        took = (utcnow() - row.created_at).total_seconds()
        uow.then(lambda: BOOKINGS.labels(status.value).inc())
        if status != Status.CANCELLED:
            uow.then(lambda: SAGA_DURATION.labels(status.value).observe(took))
        await uow.execute(
            sa.update(bookings)
            .where(bookings.c.id == booking_id)
            .values(status=status, reason=reason, updated_at=utcnow(), **values)
        )
        at = utcnow()
        await uow.execute(
            sa.insert(saga_steps),
            [
                {"booking_id": booking_id, "step": step, "detail": detail, "at": at}
                for step, detail in [*steps, (status.value.lower(), reason or "")]
            ],
        )

    async def _step(
        self, uow: UnitOfWork, booking_id: uuid.UUID, step: str, detail: str = ""
    ) -> None:
        await uow.execute(
            sa.insert(saga_steps).values(
                booking_id=booking_id, step=step, detail=detail, at=utcnow()
            )
        )

    @staticmethod
    async def _locked(uow: UnitOfWork, booking_id: uuid.UUID) -> Any:
        """The booking's row, locked until the transaction ends (None if there is none)."""
        return (
            await uow.execute(
                sa.select(bookings).where(bookings.c.id == booking_id).with_for_update()
            )
        ).first()

    # -- operations ---------------------------------------------------------------------

    async def stuck(self, older_than: float, limit: int) -> list[dict[str, Any]]:
        """PENDING bookings older than `older_than` seconds, with the step they stopped at."""
        last = (
            sa.select(saga_steps.c.step, saga_steps.c.at)
            .where(saga_steps.c.booking_id == bookings.c.id)
            .order_by(saga_steps.c.id.desc())
            .limit(1)
            .lateral()
        )
        query = (
            sa.select(bookings, last.c.step.label("last_step"), last.c.at.label("last_step_at"))
            .join(last, sa.true())
            .where(
                bookings.c.status == Status.PENDING,
                bookings.c.created_at < utcnow() - timedelta(seconds=older_than),
            )
            .order_by(bookings.c.created_at)
            .limit(limit)
        )
        async with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(query)).all()]

    async def force_fail(self, booking_id: uuid.UUID, reason: str) -> dict[str, Any]:
        """An operator ends a stuck saga: the hold is released and any payment refunded."""
        async with self.store.uow() as uow:
            row = await self._locked(uow, booking_id)
            if row is None:
                raise UnknownBooking(f"No booking {booking_id}.")
            if row.status != Status.PENDING:
                raise NotCancellable(f"This booking is already {row.status.lower()}.")
            await self._fail(uow, row, Status.FAILED, reason)
        return {"id": booking_id, "status": Status.FAILED.value, "reason": reason}

    # -- queries ------------------------------------------------------------------------

    async def get(self, user: Principal, booking_id: uuid.UUID) -> dict[str, Any]:
        # One round trip: customers poll this while their payment runs (the web UI every
        # 700 ms), so in an on-sale it is the most frequent query of all.
        async with self._poll_slots, self._reads.connect() as conn:
            row = (await conn.execute(_BOOKING_WITH_CHILDREN, {"booking_id": booking_id})).first()
        if row is None or (row.user_id != user.user_id and not user.is_admin):
            raise UnknownBooking(f"No booking {booking_id}.")
        return dict(row._mapping)

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
    ) -> list[dict[str, Any]]:
        query = sa.select(bookings).order_by(bookings.c.created_at.desc(), bookings.c.id)
        if not (everyone and user.is_admin):
            query = query.where(bookings.c.user_id == user.user_id)
        elif user_id:
            query = query.where(bookings.c.user_id == user_id)
        if status:
            query = query.where(bookings.c.status == status)
        if show_id:
            query = query.where(bookings.c.show_id == show_id)
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [dict(r._mapping) for r in rows]

    async def tickets(self, user: Principal, limit: int, offset: int) -> list[dict[str, Any]]:
        query = (
            sa.select(
                tickets, bookings.c.show_title, bookings.c.show_starts_at, bookings.c.show_time_zone
            )
            .join(bookings, bookings.c.id == tickets.c.booking_id)
            .where(tickets.c.user_id == user.user_id)
            .order_by(bookings.c.show_starts_at, tickets.c.label)
            .limit(limit)
            .offset(offset)
        )
        async with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(query)).all()]

    async def signed_code(self, user: Principal, ticket_id: uuid.UUID) -> str:
        """The signed code of a ticket its owner (or an admin) may show, e.g. as a QR code."""
        async with self.store.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(tickets.c.code, tickets.c.user_id).where(tickets.c.id == ticket_id)
                )
            ).first()
        if row is None or (row.user_id != user.user_id and not user.is_admin):
            raise NotFound(f"No ticket {ticket_id}.")
        return str(row.code)

    async def sales(self, user: Principal, show_id: uuid.UUID, recent: int = 20) -> dict[str, Any]:
        """A show's sales for its organizer: bookings by status, revenue, the latest bookings."""
        if not user.is_admin and await self.catalog.show_owner(show_id) != user.user_id:
            raise Forbidden("Only the show's organizer or an admin sees its sales.")
        by_status = (
            sa.select(
                bookings.c.status,
                sa.func.count().label("n"),
                sa.func.coalesce(sa.func.sum(bookings.c.total - bookings.c.refunded), 0).label(
                    "amount"
                ),
            )
            .where(bookings.c.show_id == show_id)
            .group_by(bookings.c.status)
        )
        sold = sa.select(sa.func.count()).where(
            tickets.c.show_id == show_id, tickets.c.status == "valid"
        )
        latest = (
            sa.select(bookings)
            .where(bookings.c.show_id == show_id)
            .order_by(bookings.c.created_at.desc(), bookings.c.id)
            .limit(recent)
        )
        async with self.store.engine.connect() as conn:
            counts = (await conn.execute(by_status)).all()
            tickets_sold = (await conn.execute(sold)).scalar_one()
            rows = (await conn.execute(latest)).all()
        statuses = {s.value: 0 for s in Status}
        revenue = 0
        for row in counts:
            statuses[row.status] = int(row.n)
            if row.status == Status.CONFIRMED:
                revenue = int(row.amount)
        return {
            "show_id": show_id,
            "bookings": statuses,
            "tickets_sold": int(tickets_sold),
            "revenue": revenue,
            "currency": rows[0].currency if rows else None,
            "recent": [dict(r._mapping) for r in rows],
        }
