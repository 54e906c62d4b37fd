"""refunded amount and show time zone on bookings; cancelled shows

Revision ID: book_0002
Revises: book_0001
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "book_0002"
down_revision: str | None = "book_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "bookings",
        sa.Column("refunded", sa.Integer(), nullable=False, server_default="0"),
        schema="booking",
    )
    op.add_column(
        "bookings",
        sa.Column("show_time_zone", sa.Text(), nullable=False, server_default="UTC"),
        schema="booking",
    )
    op.create_table(
        "cancelled_shows",
        sa.Column("show_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("show_id"),
        schema="booking",
    )


def downgrade() -> None:
    op.drop_table("cancelled_shows", schema="booking")
    op.drop_column("bookings", "show_time_zone", schema="booking")
    op.drop_column("bookings", "refunded", schema="booking")
