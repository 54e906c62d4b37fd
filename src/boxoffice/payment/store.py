"""Payment tables: one payment per booking, and its refunds."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from boxoffice.kernel.messaging import Messaging

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
