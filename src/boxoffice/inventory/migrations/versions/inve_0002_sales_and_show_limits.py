"""sales per booking; per-show hold limit and time zone

Revision ID: inve_0002
Revises: inve_0001
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "inve_0002"
down_revision: str | None = "inve_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One row per booking that was sold or released: a sale and a release of the same booking
    # meet on its primary key, whichever comes first.
    op.create_table(
        "sales",
        sa.Column("booking_id", sa.UUID(), nullable=False),
        sa.Column("show_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("booking_id"),
        sa.CheckConstraint("status IN ('sold', 'released')", name="sale_status"),
        schema="inventory",
    )
    op.execute(
        "INSERT INTO inventory.sales (booking_id, show_id, status, updated_at) "
        "SELECT booking_id, show_id, 'sold', now() FROM inventory.sold_seats "
        "UNION SELECT booking_id, show_id, 'sold', now() FROM inventory.ga_sales "
        "ON CONFLICT DO NOTHING"
    )
    op.add_column(
        "shows", sa.Column("max_held_per_customer", sa.Integer(), nullable=True), schema="inventory"
    )
    op.add_column(
        "shows",
        sa.Column("time_zone", sa.Text(), nullable=False, server_default="UTC"),
        schema="inventory",
    )


def downgrade() -> None:
    op.drop_column("shows", "time_zone", schema="inventory")
    op.drop_column("shows", "max_held_per_customer", schema="inventory")
    op.drop_table("sales", schema="inventory")
