"""on-sale waiting rooms

Revision ID: inve_0003
Revises: inve_0002
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "inve_0003"
down_revision: str | None = "inve_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waiting_rooms",
        sa.Column("show_id", sa.UUID(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_sale_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admission_rate", sa.Integer(), nullable=False),
        sa.Column("pass_ttl_seconds", sa.Integer(), nullable=False),
        sa.Column("max_tickets_per_customer", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["show_id"], ["inventory.shows.show_id"]),
        sa.PrimaryKeyConstraint("show_id"),
        sa.CheckConstraint("opens_at <= on_sale_at", name="room_opens_before_sale"),
        sa.CheckConstraint("admission_rate > 0 AND pass_ttl_seconds > 0", name="room_positive"),
        schema="inventory",
    )


def downgrade() -> None:
    op.drop_table("waiting_rooms", schema="inventory")
