"""waiting lists, automatic admission, the customer of each sale

Revision ID: inve_0004
Revises: inve_0003
Create Date: 2026-12-02 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "inve_0004"
down_revision: str | None = "inve_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Sales made before this revision have no customer: the waiting room's limit per customer
    # counts only what is known (they predate every waiting room's limit).
    op.add_column("sales", sa.Column("customer", sa.UUID(), nullable=True), schema="inventory")
    op.add_column(
        "waiting_rooms",
        sa.Column("auto_rate", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema="inventory",
    )
    op.create_table(
        "waitlist",
        sa.Column("show_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hold_id", sa.Text(), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["show_id"], ["inventory.shows.show_id"]),
        sa.PrimaryKeyConstraint("show_id", "user_id"),
        sa.CheckConstraint("quantity > 0", name="waitlist_quantity_positive"),
        schema="inventory",
    )
    op.create_index(
        "ix_waitlist_show_state_joined",
        "waitlist",
        ["show_id", "state", "joined_at"],
        schema="inventory",
    )


def downgrade() -> None:
    op.drop_index("ix_waitlist_show_state_joined", table_name="waitlist", schema="inventory")
    op.drop_table("waitlist", schema="inventory")
    op.drop_column("waiting_rooms", "auto_rate", schema="inventory")
    op.drop_column("sales", "customer", schema="inventory")
