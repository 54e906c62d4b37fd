"""Inventory tables: what each show sells, and the sales that PostgreSQL guards."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from boxoffice.kernel.messaging import Messaging

metadata = sa.MetaData(schema="inventory")
messaging = Messaging(metadata)

shows = sa.Table(
    "shows",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("sales_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sales_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("max_per_booking", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Places one customer may have in live holds and pending bookings; NULL: the default.
    sa.Column("max_held_per_customer", sa.Integer),
    sa.Column("time_zone", sa.Text, nullable=False, server_default="UTC"),
)

seats = sa.Table(
    "seats",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), sa.ForeignKey(shows.c.show_id), primary_key=True),
    sa.Column("seat_id", sa.BigInteger, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("section", sa.Text, nullable=False),
    sa.Column("row", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("price", sa.Integer, nullable=False),
    sa.Column("x", sa.Float, nullable=False),
    sa.Column("y", sa.Float, nullable=False),
    sa.Column("blocked", sa.Boolean, nullable=False),
)

ga_areas = sa.Table(
    "ga_areas",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), sa.ForeignKey(shows.c.show_id), primary_key=True),
    sa.Column("area_id", sa.BigInteger, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("price", sa.Integer, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("sold", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("sold >= 0 AND sold <= capacity", name="ga_sold_within_capacity"),
)

# A seat of a show is sold at most once: the primary key is the guard in inventory.
sold_seats = sa.Table(
    "sold_seats",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("seat_id", sa.BigInteger, primary_key=True),
    sa.Column("booking_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("sold_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per booking that was sold or released: a sale and a release of the same booking meet
# on its primary key, so whichever comes second sees the first (a late sale is refused, a late
# release undoes the sale).
sales = sa.Table(
    "sales",
    metadata,
    sa.Column("booking_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("show_id", UUID(as_uuid=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('sold', 'released')", name="sale_status"),
)

ga_sales = sa.Table(
    "ga_sales",
    metadata,
    sa.Column("booking_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("area_id", sa.BigInteger, primary_key=True),
    sa.Column("show_id", UUID(as_uuid=True), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
)
