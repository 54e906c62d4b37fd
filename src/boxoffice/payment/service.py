"""Payment use cases: charge for a booking, refund what a failed or cancelled booking paid."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.booking.contract import BookingCancelled, BookingCreated, BookingFailed
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.clock import Clock, SystemClock
from boxoffice.kernel.db import new_id
from boxoffice.kernel.idempotency import IdempotentCall
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.kernel.telemetry import PAYMENTS
from boxoffice.payment import store
from boxoffice.payment.contract import PaymentCompleted, PaymentFailed, PaymentRefunded
from boxoffice.payment.domain import (
    PaymentStatus,
    UnknownPayment,
    charge_outcome,
    check_refund,
    move,
    refundable,
)
from boxoffice.payment.provider import CardProvider
from boxoffice.payment.store import Payment, Refund, messaging

log = logging.getLogger(__name__)

# A refund is asked for right after it is recorded; retry_refunds asks again for one still
# pending this long after it was recorded, at most once per REFUND_RETRY.
REFUND_GRACE = timedelta(seconds=5)
REFUND_RETRY = timedelta(seconds=30)


@dataclass(frozen=True)
class PaymentView:
    """A payment as its customer or an admin sees it: everything but the card token."""

    id: uuid.UUID
    booking_id: uuid.UUID
    user_id: uuid.UUID
    amount: int
    currency: str
    method: str
    status: PaymentStatus
    refunded: int
    provider_ref: str | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime
    refunds: list[Refund]

    @classmethod
    def of(cls, payment: Payment, refunds: list[Refund]) -> PaymentView:
        values = dataclasses.asdict(payment)
        del values["token"]
        return cls(**values, refunds=refunds)

    def json(self) -> dict[str, Any]:
        # asyncpg's UUIDs are not uuid.UUID, which orjson alone knows.
        answer: dict[str, Any] = orjson.loads(orjson.dumps(self, default=str))
        return answer


class PaymentService:
    def __init__(
        self,
        store: ServiceStore,
        provider: CardProvider,
        *,
        provider_timeout: float,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.provider = provider
        self.provider_timeout = provider_timeout
        self.clock = clock or SystemClock()
        self._calls: set[asyncio.Task[Any]] = set()  # provider calls in flight

    # -- the saga's payment step --------------------------------------------------------

    async def on_booking_created(self, uow: UnitOfWork, event: BookingCreated) -> None:
        now = self.clock.now()
        payment = Payment(
            id=new_id(),
            booking_id=uuid.UUID(event.booking_id),
            user_id=uuid.UUID(event.user_id),
            amount=event.amount,
            currency=event.currency,
            method=event.payment_method,
            token=event.payment_token,
            status=PaymentStatus.PROCESSING,
            refunded=0,
            provider_ref=None,
            failure_reason=None,
            created_at=now,
            updated_at=now,
        )
        if await store.add_payment(uow.conn, payment):
            uow.after_commit.append(lambda: self._spawn(payment.id))

    async def _spawn(self, payment_id: uuid.UUID) -> None:
        self._background(self.charge(payment_id), f"charge:{payment_id}")

    def _background(self, call: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(call, name=name)
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def resume(self) -> int:
        """After a restart, ask the provider again for every payment still without an answer
        (the provider deduplicates by payment id); pending refunds follow (retry_refunds)."""
        async with self.store.engine.connect() as conn:
            ids = await store.unanswered(conn)
        for payment_id in ids:
            await self._spawn(payment_id)
        return len(ids)

    async def charge(self, payment_id: uuid.UUID) -> None:
        async with self.store.engine.connect() as conn:
            asked = await store.payment(conn, payment_id)
        assert asked is not None, f"no payment {payment_id} to charge"
        try:
            result = await asyncio.wait_for(
                self.provider.charge(str(payment_id), asked.token, asked.amount),
                self.provider_timeout,
            )
        except TimeoutError:
            log.warning("payment %s: the provider did not answer", payment_id)
            PAYMENTS.labels("no_answer").inc()
            return
        async with self.store.uow() as uow:
            row = await store.locked_payment(uow.conn, payment_id)
            assert row is not None
            if row.provider_ref is not None:
                return  # answered before (a resumed charge)
            status = charge_outcome(row.status, result.approved)
            # A payment still PROCESSING tells the booking; a voided one (the booking gave up
            # while we waited) says nothing, and a capture of it goes back at once.
            if row.status == PaymentStatus.PROCESSING:
                if result.approved:
                    uow.emit(
                        PaymentCompleted(
                            payment_id=str(row.id),
                            booking_id=str(row.booking_id),
                            amount=row.amount,
                            currency=row.currency,
                        )
                    )
                else:
                    uow.emit(
                        PaymentFailed(
                            payment_id=str(row.id),
                            booking_id=str(row.booking_id),
                            reason=result.reason,
                        )
                    )
            await store.update_payment(
                uow.conn,
                payment_id,
                now=self.clock.now(),
                status=status,
                provider_ref=result.reference,
                failure_reason=None if result.approved else result.reason,
            )
            outcome = "approved" if result.approved else "declined"
            uow.then(lambda: PAYMENTS.labels(outcome).inc())
            if result.approved and row.status == PaymentStatus.VOIDED:
                await self._refund(uow, row, row.amount, "Captured after the booking had ended.")

    async def on_booking_ended(
        self, uow: UnitOfWork, event: BookingFailed | BookingCancelled
    ) -> None:
        """booking.failed / booking.cancelled: refund a capture, void a pending charge."""
        booking_id = uuid.UUID(event.booking_id)
        row = await store.locked_payment_of_booking(uow.conn, booking_id)
        now = self.clock.now()
        if row is None:
            # booking.created has not reached us yet: leave a voided marker so it never charges.
            marker = Payment(
                id=new_id(),
                booking_id=booking_id,
                user_id=uuid.UUID(event.user_id),
                amount=0,
                currency="XXX",
                method="none",
                token="",
                status=PaymentStatus.VOIDED,
                refunded=0,
                provider_ref=None,
                failure_reason=None,
                created_at=now,
                updated_at=now,
            )
            await store.add_payment(uow.conn, marker)
            return
        if row.status == PaymentStatus.PROCESSING:
            status = move(row.status, PaymentStatus.VOIDED)
            await store.update_payment(uow.conn, row.id, now=now, status=status)
        elif left := refundable(row.status, row.amount, row.refunded):
            await self._refund(uow, row, left, event.reason)

    async def _refund(self, uow: UnitOfWork, row: Payment, amount: int, reason: str) -> uuid.UUID:
        """Record a refund of `amount` (counted as refunded at once, so two refunds never give
        back more than the charge) and ask the provider once the transaction committed: the
        provider is never asked for money back that we have not written down first."""
        refund_id = await store.reserve_refund(uow.conn, row.id, amount, reason, self.clock.now())

        async def ask() -> None:
            self._background(self.send_refund(refund_id), f"refund:{refund_id}")

        uow.after_commit.append(ask)
        return refund_id

    async def send_refund(self, refund_id: uuid.UUID) -> bool:
        """Ask the provider for a recorded refund, with no transaction open while it answers;
        True once it is done. A refund the provider did not answer stays pending and is asked
        again by retry_refunds (the provider deduplicates by refund id)."""
        now = self.clock.now()
        async with self.store.engine.begin() as conn:
            claimed = await store.claim_refund(
                conn, refund_id, asked_before=now - REFUND_RETRY, now=now
            )
        if claimed is None:
            return False  # done, or another replica is asking right now
        try:
            reference = await asyncio.wait_for(
                self.provider.refund(str(refund_id), str(claimed.payment_id), claimed.amount),
                self.provider_timeout,
            )
        except Exception as exc:
            log.warning(
                "refund %s: the provider did not answer (%r); retrying later", refund_id, exc
            )
            return False
        async with self.store.uow() as uow:
            row = await store.locked_payment(uow.conn, claimed.payment_id)
            assert row is not None
            reason = await store.complete_refund(uow.conn, refund_id, reference)
            if reason is None:
                return True
            given_back = await store.given_back(uow.conn, row.id)
            if given_back == row.amount:
                await store.update_payment(
                    uow.conn,
                    row.id,
                    now=self.clock.now(),
                    status=move(row.status, PaymentStatus.REFUNDED),
                )
            uow.emit(
                PaymentRefunded(
                    payment_id=str(row.id),
                    booking_id=str(row.booking_id),
                    user_id=str(row.user_id),
                    amount=claimed.amount,
                    currency=row.currency,
                    reason=reason,
                    refunded_total=given_back,
                    payment_amount=row.amount,
                )
            )
        return True

    async def retry_refunds(self, limit: int = 50) -> int:
        """Ask the provider again for refunds it has not answered (a crash, a timeout)."""
        now = self.clock.now()
        async with self.store.engine.connect() as conn:
            ids = await store.refunds_due(
                conn,
                recorded_before=now - REFUND_GRACE,
                asked_before=now - REFUND_RETRY,
                limit=limit,
            )
        done = 0
        for refund_id in ids:
            done += await self.send_refund(refund_id)
        return done

    # -- API ----------------------------------------------------------------------------

    async def refund(
        self,
        payment_id: uuid.UUID,
        amount: int | None,
        reason: str,
        admin: Principal,
        idempotency_key: str | None,
    ) -> tuple[int, dict[str, Any]]:
        """An admin's refund: 200 with the payment as JSON (or, for a repeat, the first answer)."""
        async with self.store.uow() as uow:
            call = None
            if idempotency_key:
                call = IdempotentCall(
                    uow,
                    messaging.idempotency,
                    "payments.refund",
                    str(admin.user_id),
                    idempotency_key,
                    {"payment": str(payment_id), "amount": amount},
                )
                if (replay := await call.replay()) is not None:
                    return replay[0], dict(replay[1])
            row = await store.locked_payment(uow.conn, payment_id)
            if row is None:
                raise UnknownPayment(f"No payment {payment_id}.")
            asked = (
                amount if amount is not None else refundable(row.status, row.amount, row.refunded)
            )
            check_refund(row.status, row.amount, row.refunded, asked)
            refund_id = await store.reserve_refund(
                uow.conn, row.id, asked, reason, self.clock.now()
            )
            if call is not None:  # a repeat while the provider answers gets this answer
                await call.remember(200, await self._answer(uow.conn, payment_id))
        await self.send_refund(refund_id)
        async with self.store.engine.connect() as conn:
            answer = await self._answer(conn, payment_id)
        if call is not None:
            async with self.store.uow() as uow:
                call.uow = uow
                await call.remember(200, answer)
        return 200, answer

    async def get(self, user: Principal, payment_id: uuid.UUID) -> PaymentView:
        async with self.store.engine.connect() as conn:
            view = await self._load(conn, payment_id)
        if view is None or (view.user_id != user.user_id and not user.is_admin):
            raise UnknownPayment(f"No payment {payment_id}.")
        return view

    @staticmethod
    async def _load(conn: AsyncConnection, payment_id: uuid.UUID) -> PaymentView | None:
        row = await store.payment(conn, payment_id)
        if row is None:
            return None
        return PaymentView.of(row, await store.refunds_of(conn, payment_id))

    async def _answer(self, conn: AsyncConnection, payment_id: uuid.UUID) -> dict[str, Any]:
        view = await self._load(conn, payment_id)
        assert view is not None
        return view.json()

    async def find(self, user: Principal, booking_id: uuid.UUID) -> PaymentView:
        async with self.store.engine.connect() as conn:
            payment_id = await store.payment_id_of_booking(conn, booking_id)
        if payment_id is None:
            raise UnknownPayment(f"No payment for booking {booking_id}.")
        return await self.get(user, payment_id)

    async def stop(self) -> None:
        for task in list(self._calls):
            task.cancel()
        await asyncio.gather(*self._calls, return_exceptions=True)
