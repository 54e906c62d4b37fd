"""Catalog tables: venues, halls with seats and GA areas, events and shows."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from boxoffice.kernel.messaging import Messaging

metadata = sa.MetaData(schema="catalog")
messaging = Messaging(metadata)


def _timestamps() -> list[sa.Column[object]]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)]


venues = sa.Table(
    "venues",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("city", sa.Text, nullable=False, index=True),
    sa.Column("address", sa.Text, nullable=False, server_default=""),
    sa.Column("time_zone", sa.Text, nullable=False, server_default="UTC"),  # IANA name
    *_timestamps(),
)

halls = sa.Table(
    "halls",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "venue_id", UUID(as_uuid=True), sa.ForeignKey(venues.c.id), nullable=False, index=True
    ),
    sa.Column("name", sa.Text, nullable=False),
    *_timestamps(),
)

seats = sa.Table(
    "seats",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("hall_id", UUID(as_uuid=True), sa.ForeignKey(halls.c.id), nullable=False),
    sa.Column("section", sa.Text, nullable=False),
    sa.Column("row", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("x", sa.Float, nullable=False),
    sa.Column("y", sa.Float, nullable=False),
    sa.Column("blocked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_catalog_seats_hall", "hall_id", "id"),
)

ga_areas = sa.Table(
    "ga_areas",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("hall_id", UUID(as_uuid=True), sa.ForeignKey(halls.c.id), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("category", sa.Text, nullable=False, index=True),
    sa.Column("duration_minutes", sa.Integer, nullable=False),
    sa.Column("tags", ARRAY(sa.Text), nullable=False),
    *_timestamps(),
)

shows = sa.Table(
    "shows",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
    sa.Column(
        "event_id", UUID(as_uuid=True), sa.ForeignKey(events.c.id), nullable=False, index=True
    ),
    sa.Column("hall_id", UUID(as_uuid=True), sa.ForeignKey(halls.c.id), nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("prices", JSONB, nullable=False),
    sa.Column("sales_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sales_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("max_per_booking", sa.Integer, nullable=False),
    # Places one customer may have in live holds and pending bookings; NULL: the default.
    sa.Column("max_held_per_customer", sa.Integer),
    sa.Column("status", sa.Text, nullable=False),
    *_timestamps(),
)
