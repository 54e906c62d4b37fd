"""Payment use cases: charge for a booking, refund what a failed or cancelled booking paid."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.kernel.auth import Principal
from boxoffice.kernel.db import new_id, utcnow
from boxoffice.kernel.events import Envelope
from boxoffice.kernel.idempotency import IdempotentCall
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.kernel.telemetry import PAYMENTS
from boxoffice.payment.contract import PaymentCompleted, PaymentFailed, PaymentRefunded
from boxoffice.payment.domain import PaymentStatus, UnknownPayment, check_refund, refundable
from boxoffice.payment.provider import MockCardProvider
from boxoffice.payment.store import messaging, payments, refunds

log = logging.getLogger(__name__)

# A refund is asked for right after it is recorded; retry_refunds asks again for one still
# pending this long after it was recorded, at most once per REFUND_RETRY.
REFUND_GRACE = timedelta(seconds=5)
REFUND_RETRY = timedelta(seconds=30)


class PaymentService:
    def __init__(
        self, store: ServiceStore, provider: MockCardProvider, *, provider_timeout: float
    ) -> None:
        self.store = store
        self.provider = provider
        self.provider_timeout = provider_timeout
        self._calls: set[asyncio.Task[Any]] = set()  # provider calls in flight

    # -- the saga's payment step --------------------------------------------------------

    async def on_booking_created(self, uow: UnitOfWork, event: Envelope) -> None:
        p = event.payload
        now = utcnow()
        payment_id = new_id()
        created = (
            await uow.execute(
                pg_insert(payments)
                .values(
                    id=payment_id,
                    booking_id=uuid.UUID(p["booking_id"]),
                    user_id=uuid.UUID(p["user_id"]),
                    amount=p["amount"],
                    currency=p["currency"],
                    method=p["payment_method"],
                    token=p["payment_token"],
                    status=PaymentStatus.PROCESSING,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing()
                .returning(payments.c.id)
            )
        ).first()
        if created is not None:
            uow.after_commit.append(lambda: self._spawn(payment_id))

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
            ids = (
                (
                    await conn.execute(
                        sa.select(payments.c.id).where(
                            payments.c.status.in_([PaymentStatus.PROCESSING, PaymentStatus.VOIDED]),
                            payments.c.provider_ref.is_(None),
                            payments.c.token != "",
                        )
                    )
                )
                .scalars()
                .all()
            )
        for payment_id in ids:
            await self._spawn(payment_id)
        return len(ids)

    async def charge(self, payment_id: uuid.UUID) -> None:
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(sa.select(payments).where(payments.c.id == payment_id))).one()
        try:
            result = await asyncio.wait_for(
                self.provider.charge(str(payment_id), row.token, row.amount), self.provider_timeout
            )
        except TimeoutError:
            log.warning("payment %s: the provider did not answer", payment_id)
            PAYMENTS.labels("no_answer").inc()
            return
        async with self.store.uow() as uow:
            row = await self._locked(uow, payments.c.id == payment_id)
            if row.provider_ref is not None:
                return  # answered before (a resumed charge)
            status = PaymentStatus(row.status)
            values: dict[str, Any] = {"provider_ref": result.reference, "updated_at": utcnow()}
            if not result.approved:
                values.update(status=PaymentStatus.FAILED, failure_reason=result.reason)
                if status == PaymentStatus.PROCESSING:
                    uow.emit(
                        PaymentFailed(
                            payment_id=str(row.id),
                            booking_id=str(row.booking_id),
                            reason=result.reason,
                        )
                    )
            elif status == PaymentStatus.PROCESSING:
                values.update(status=PaymentStatus.CAPTURED)
                uow.emit(
                    PaymentCompleted(
                        payment_id=str(row.id),
                        booking_id=str(row.booking_id),
                        amount=row.amount,
                        currency=row.currency,
                    )
                )
            else:  # voided: the booking gave up while we waited; give the money back at once
                values.update(status=PaymentStatus.CAPTURED)
            await uow.execute(
                sa.update(payments).where(payments.c.id == payment_id).values(**values)
            )
            outcome = "approved" if result.approved else "declined"
            uow.then(lambda: PAYMENTS.labels(outcome).inc())
            if result.approved and status == PaymentStatus.VOIDED:
                row = await self._locked(uow, payments.c.id == payment_id)
                await self._refund(uow, row, row.amount, "Captured after the booking had ended.")

    async def on_booking_ended(self, uow: UnitOfWork, event: Envelope) -> None:
        """booking.failed / booking.cancelled: refund a capture, void a pending charge."""
        booking_id = uuid.UUID(event.payload["booking_id"])
        row = (
            await uow.execute(
                sa.select(payments).where(payments.c.booking_id == booking_id).with_for_update()
            )
        ).first()
        now = utcnow()
        if row is None:
            # booking.created has not reached us yet: leave a voided marker so it never charges.
            await uow.execute(
                pg_insert(payments)
                .values(
                    id=new_id(),
                    booking_id=booking_id,
                    user_id=uuid.UUID(event.payload["user_id"]),
                    amount=0,
                    currency="XXX",
                    method="none",
                    token="",
                    status=PaymentStatus.VOIDED,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing()
            )
            return
        status = PaymentStatus(row.status)
        if status == PaymentStatus.PROCESSING:
            await uow.execute(
                sa.update(payments)
                .where(payments.c.id == row.id)
                .values(status=PaymentStatus.VOIDED, updated_at=now)
            )
        elif left := refundable(status, row.amount, row.refunded):
            await self._refund(uow, row, left, event.payload.get("reason", "Booking ended."))

    async def _refund(self, uow: UnitOfWork, row: Any, amount: int, reason: str) -> uuid.UUID:
        """Record a refund of `amount` (counted as refunded at once, so two refunds never give
        back more than the charge) and ask the provider once the transaction committed: the
        provider is never asked for money back that we have not written down first."""
        refund_id = await self._reserve(uow, row, amount, reason)

        async def ask() -> None:
            self._background(self.send_refund(refund_id), f"refund:{refund_id}")

        uow.after_commit.append(ask)
        return refund_id

    @staticmethod
    async def _reserve(uow: UnitOfWork, row: Any, amount: int, reason: str) -> uuid.UUID:
        refund_id = new_id()
        await uow.execute(
            sa.insert(refunds).values(
                id=refund_id,
                payment_id=row.id,
                amount=amount,
                reason=reason,
                status="pending",
                created_at=utcnow(),
            )
        )
        await uow.execute(
            sa.update(payments)
            .where(payments.c.id == row.id)
            .values(refunded=payments.c.refunded + amount, updated_at=utcnow())
        )
        return refund_id

    async def send_refund(self, refund_id: uuid.UUID) -> bool:
        """Ask the provider for a recorded refund, with no transaction open while it answers;
        True once it is done. A refund the provider did not answer stays pending and is asked
        again by retry_refunds (the provider deduplicates by refund id)."""
        async with self.store.engine.begin() as conn:
            claimed = (
                await conn.execute(
                    sa.update(refunds)
                    .where(
                        refunds.c.id == refund_id,
                        refunds.c.status == "pending",
                        sa.or_(
                            refunds.c.attempted_at.is_(None),
                            refunds.c.attempted_at < utcnow() - REFUND_RETRY,
                        ),
                    )
                    .values(attempted_at=utcnow())
                    .returning(refunds.c.payment_id, refunds.c.amount)
                )
            ).first()
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
            row = await self._locked(uow, payments.c.id == claimed.payment_id)
            done = (
                await uow.execute(
                    sa.update(refunds)
                    .where(refunds.c.id == refund_id, refunds.c.status == "pending")
                    .values(status="succeeded", provider_ref=reference)
                    .returning(refunds.c.reason)
                )
            ).first()
            if done is None:
                return True
            given_back = int(
                await uow.conn.scalar(
                    sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount), 0)).where(
                        refunds.c.payment_id == row.id, refunds.c.status == "succeeded"
                    )
                )
                or 0
            )
            if given_back == row.amount:
                await uow.execute(
                    sa.update(payments)
                    .where(payments.c.id == row.id)
                    .values(status=PaymentStatus.REFUNDED, updated_at=utcnow())
                )
            uow.emit(
                PaymentRefunded(
                    payment_id=str(row.id),
                    booking_id=str(row.booking_id),
                    user_id=str(row.user_id),
                    amount=claimed.amount,
                    currency=row.currency,
                    reason=done.reason,
                    refunded_total=given_back,
                    payment_amount=row.amount,
                )
            )
        return True

    async def retry_refunds(self, limit: int = 50) -> int:
        """Ask the provider again for refunds it has not answered (a crash, a timeout)."""
        async with self.store.engine.connect() as conn:
            ids = (
                await conn.scalars(
                    sa.select(refunds.c.id)
                    .where(
                        refunds.c.status == "pending",
                        refunds.c.created_at < utcnow() - REFUND_GRACE,
                        sa.or_(
                            refunds.c.attempted_at.is_(None),
                            refunds.c.attempted_at < utcnow() - REFUND_RETRY,
                        ),
                    )
                    .order_by(refunds.c.created_at)
                    .limit(limit)
                )
            ).all()
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
    ) -> tuple[int, Any]:
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
                    return replay
            row = (
                await uow.execute(
                    sa.select(payments).where(payments.c.id == payment_id).with_for_update()
                )
            ).first()
            if row is None:
                raise UnknownPayment(f"No payment {payment_id}.")
            status = PaymentStatus(row.status)
            asked = amount if amount is not None else refundable(status, row.amount, row.refunded)
            check_refund(status, row.amount, row.refunded, asked)
            refund_id = await self._reserve(uow, row, asked, reason)
            if call is not None:  # a repeat while the provider answers gets this answer
                await call.remember(200, _json(await self._load(uow.conn, payment_id)))
        await self.send_refund(refund_id)
        async with self.store.engine.connect() as conn:
            answer = await self._load(conn, payment_id)
        if call is not None:
            async with self.store.uow() as uow:
                call.uow = uow
                await call.remember(200, _json(answer))
        return 200, answer

    async def get(self, user: Principal, payment_id: uuid.UUID) -> dict[str, Any]:
        async with self.store.engine.connect() as conn:
            data = await self._load(conn, payment_id)
        if data is None or (data["user_id"] != user.user_id and not user.is_admin):
            raise UnknownPayment(f"No payment {payment_id}.")
        return data

    @staticmethod
    async def _load(conn: AsyncConnection, payment_id: uuid.UUID) -> dict[str, Any] | None:
        row = (await conn.execute(sa.select(payments).where(payments.c.id == payment_id))).first()
        if row is None:
            return None
        made = (
            await conn.execute(
                sa.select(refunds)
                .where(refunds.c.payment_id == payment_id)
                .order_by(refunds.c.created_at)
            )
        ).all()
        data = {k: v for k, v in row._mapping.items() if k != "token"}
        return {**data, "refunds": [dict(r._mapping) for r in made]}

    async def find(self, user: Principal, booking_id: uuid.UUID) -> dict[str, Any]:
        async with self.store.engine.connect() as conn:
            payment_id = (
                await conn.execute(
                    sa.select(payments.c.id).where(payments.c.booking_id == booking_id)
                )
            ).scalar_one_or_none()
        if payment_id is None:
            raise UnknownPayment(f"No payment for booking {booking_id}.")
        return await self.get(user, payment_id)

    @staticmethod
    async def _locked(uow: UnitOfWork, where: Any) -> Any:
        return (await uow.execute(sa.select(payments).where(where).with_for_update())).one()

    async def stop(self) -> None:
        for task in list(self._calls):
            task.cancel()
        await asyncio.gather(*self._calls, return_exceptions=True)


def _json(answer: Any) -> Any:
    # Rows carry quoted_name keys (a str subclass) and asyncpg UUIDs, both of which orjson
    # refuses by default.
    return orjson.loads(orjson.dumps(answer, default=str, option=orjson.OPT_NON_STR_KEYS))
