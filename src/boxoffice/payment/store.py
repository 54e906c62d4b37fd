"""Payment tables (one payment per booking, and its refunds) and the queries over them, as
typed rows."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.kernel.db import new_id
from boxoffice.kernel.messaging import Messaging
from boxoffice.payment.domain import PaymentStatus

metadata = sa.MetaData(schema="payment")
messaging = Messaging(metadata)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    # One payment per booking: a repeated booking.created cannot charge twice.
    sa.Column("booking_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("refunded", sa.Integer, nullable=False, server_default="0"),
    sa.Column("provider_ref", sa.Text),
    sa.Column("failure_reason", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("refunded >= 0 AND refunded <= amount", name="refund_within_charge"),
)

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "payment_id", UUID(as_uuid=True), sa.ForeignKey(payments.c.id), nullable=False, index=True
    ),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    # pending: recorded (and counted in payments.refunded) before the provider is asked;
    # succeeded or failed: the provider's answer.
    sa.Column("status", sa.Text, nullable=False, server_default="succeeded"),
    sa.Column("provider_ref", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempted_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="refund_status"),
    sa.Index(
        "ix_payment_refunds_pending", "created_at", postgresql_where=sa.text("status = 'pending'")
    ),
)


# -- typed rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    id: uuid.UUID
    booking_id: uuid.UUID
    user_id: uuid.UUID
    amount: int
    currency: str
    method: str
    token: str
    status: PaymentStatus
    refunded: int
    provider_ref: str | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Refund:
    id: uuid.UUID
    payment_id: uuid.UUID
    amount: int
    reason: str
    status: str  # pending, succeeded, failed
    provider_ref: str | None
    created_at: datetime
    attempted_at: datetime | None


@dataclass(frozen=True)
class ClaimedRefund:
    payment_id: uuid.UUID
    amount: int


def _payment(row: sa.Row[Any]) -> Payment:
    values = dict(row._mapping)
    return Payment(**{**values, "status": PaymentStatus(values["status"])})


# -- payments -------------------------------------------------------------------------------


async def add_payment(conn: AsyncConnection, payment: Payment) -> bool:
    """Record a payment; False if its booking has one already (a repeated booking.created)."""
    created = await conn.execute(
        pg_insert(payments)
        .values(**dataclasses.asdict(payment))
        .on_conflict_do_nothing()
        .returning(payments.c.id)
    )
    return created.first() is not None


async def payment(conn: AsyncConnection, payment_id: uuid.UUID) -> Payment | None:
    row = (await conn.execute(sa.select(payments).where(payments.c.id == payment_id))).first()
    return None if row is None else _payment(row)


async def locked_payment(conn: AsyncConnection, payment_id: uuid.UUID) -> Payment | None:
    """The payment's row, locked until the transaction ends (None if there is none)."""
    query = sa.select(payments).where(payments.c.id == payment_id).with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else _payment(row)


async def locked_payment_of_booking(conn: AsyncConnection, booking_id: uuid.UUID) -> Payment | None:
    query = sa.select(payments).where(payments.c.booking_id == booking_id).with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else _payment(row)


async def payment_id_of_booking(conn: AsyncConnection, booking_id: uuid.UUID) -> uuid.UUID | None:
    query = sa.select(payments.c.id).where(payments.c.booking_id == booking_id)
    found: uuid.UUID | None = (await conn.execute(query)).scalar_one_or_none()
    return found


async def unanswered(conn: AsyncConnection) -> list[uuid.UUID]:
    """Payments the provider was asked for and has not answered (voided ones included)."""
    query = sa.select(payments.c.id).where(
        payments.c.status.in_([PaymentStatus.PROCESSING, PaymentStatus.VOIDED]),
        payments.c.provider_ref.is_(None),
        payments.c.token != "",
    )
    return list((await conn.execute(query)).scalars().all())


async def update_payment(
    conn: AsyncConnection,
    payment_id: uuid.UUID,
    *,
    now: datetime,
    status: PaymentStatus | None = None,
    provider_ref: str | None = None,
    failure_reason: str | None = None,
) -> None:
    """Set the payment's status, the provider's reference and why it failed (those given)."""
    values: dict[str, object] = {"updated_at": now}
    if status is not None:
        values["status"] = status
    if provider_ref is not None:
        values["provider_ref"] = provider_ref
    if failure_reason is not None:
        values["failure_reason"] = failure_reason
    await conn.execute(sa.update(payments).where(payments.c.id == payment_id).values(**values))


# -- refunds --------------------------------------------------------------------------------


async def reserve_refund(
    conn: AsyncConnection, payment_id: uuid.UUID, amount: int, reason: str, now: datetime
) -> uuid.UUID:
    """Record a pending refund and count it as refunded on its payment at once."""
    refund_id = new_id()
    await conn.execute(
        sa.insert(refunds).values(
            id=refund_id,
            payment_id=payment_id,
            amount=amount,
            reason=reason,
            status="pending",
            created_at=now,
        )
    )
    await conn.execute(
        sa.update(payments)
        .where(payments.c.id == payment_id)
        .values(refunded=payments.c.refunded + amount, updated_at=now)
    )
    return refund_id


async def claim_refund(
    conn: AsyncConnection, refund_id: uuid.UUID, *, asked_before: datetime, now: datetime
) -> ClaimedRefund | None:
    """Mark a pending refund as being asked for now, unless it was asked after `asked_before`
    (another replica is asking) or is done: None then."""
    claimed = (
        await conn.execute(
            sa.update(refunds)
            .where(
                refunds.c.id == refund_id,
                refunds.c.status == "pending",
                sa.or_(refunds.c.attempted_at.is_(None), refunds.c.attempted_at < asked_before),
            )
            .values(attempted_at=now)
            .returning(refunds.c.payment_id, refunds.c.amount)
        )
    ).first()
    return None if claimed is None else ClaimedRefund(claimed.payment_id, claimed.amount)


async def complete_refund(
    conn: AsyncConnection, refund_id: uuid.UUID, reference: str
) -> str | None:
    """Record the provider's answer to a pending refund: its reason, or None if it was done."""
    done = (
        await conn.execute(
            sa.update(refunds)
            .where(refunds.c.id == refund_id, refunds.c.status == "pending")
            .values(status="succeeded", provider_ref=reference)
            .returning(refunds.c.reason)
        )
    ).first()
    return None if done is None else str(done.reason)


async def given_back(conn: AsyncConnection, payment_id: uuid.UUID) -> int:
    """What the provider has refunded of the payment so far."""
    total = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount), 0)).where(
            refunds.c.payment_id == payment_id, refunds.c.status == "succeeded"
        )
    )
    return int(total or 0)


async def refunds_due(
    conn: AsyncConnection, *, recorded_before: datetime, asked_before: datetime, limit: int
) -> list[uuid.UUID]:
    """Pending refunds recorded before `recorded_before` and not asked for since `asked_before`."""
    query = (
        sa.select(refunds.c.id)
        .where(
            refunds.c.status == "pending",
            refunds.c.created_at < recorded_before,
            sa.or_(refunds.c.attempted_at.is_(None), refunds.c.attempted_at < asked_before),
        )
        .order_by(refunds.c.created_at)
        .limit(limit)
    )
    return list((await conn.scalars(query)).all())


async def refunds_of(conn: AsyncConnection, payment_id: uuid.UUID) -> list[Refund]:
    query = (
        sa.select(refunds).where(refunds.c.payment_id == payment_id).order_by(refunds.c.created_at)
    )
    return [Refund(**r._mapping) for r in (await conn.execute(query)).all()]
