"""Booking tables: bookings, their lines, tickets and the saga's step log."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from boxoffice.kernel.messaging import Messaging

metadata = sa.MetaData(schema="booking")
messaging = Messaging(metadata)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("show_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("hold_id", sa.Text, nullable=False, unique=True),
    sa.Column("show_title", sa.Text, nullable=False),
    sa.Column("show_starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("show_time_zone", sa.Text, nullable=False, server_default="UTC"),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    # What the payment service reports refunded so far (minor units).
    sa.Column("refunded", sa.Integer, nullable=False, server_default="0"),
    sa.Column("payment_id", UUID(as_uuid=True)),
    sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index(
        "ix_booking_pending_deadline", "deadline", postgresql_where=sa.text("status = 'PENDING'")
    ),
)

lines = sa.Table(
    "booking_lines",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "booking_id", UUID(as_uuid=True), sa.ForeignKey(bookings.c.id), nullable=False, index=True
    ),
    sa.Column("seat_id", sa.BigInteger),
    sa.Column("area_id", sa.BigInteger),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.Integer, nullable=False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "booking_id", UUID(as_uuid=True), sa.ForeignKey(bookings.c.id), nullable=False, index=True
    ),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("show_id", UUID(as_uuid=True), nullable=False),
    sa.Column("seat_id", sa.BigInteger),
    sa.Column("area_id", sa.BigInteger),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False, unique=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    # The last guard against a double sale: one valid ticket per seat of a show.
    sa.Index(
        "uq_live_ticket_per_seat",
        "show_id",
        "seat_id",
        unique=True,
        postgresql_where=sa.text("status = 'valid' AND seat_id IS NOT NULL"),
    ),
)

saga_steps = sa.Table(
    "saga_steps",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "booking_id", UUID(as_uuid=True), sa.ForeignKey(bookings.c.id), nullable=False, index=True
    ),
    sa.Column("step", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

# Shows the catalog cancelled: no booking of theirs is created or confirmed any more.
cancelled_shows = sa.Table(
    "cancelled_shows",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
)
