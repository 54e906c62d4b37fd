"""venue time zone; per-show hold limit

Revision ID: cata_0002
Revises: cata_0001
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cata_0002"
down_revision: str | None = "cata_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Venues made before time zones existed are taken to be on UTC.
    op.add_column(
        "venues",
        sa.Column("time_zone", sa.Text(), nullable=False, server_default="UTC"),
        schema="catalog",
    )
    op.add_column(
        "shows", sa.Column("max_held_per_customer", sa.Integer(), nullable=True), schema="catalog"
    )


def downgrade() -> None:
    op.drop_column("shows", "max_held_per_customer", schema="catalog")
    op.drop_column("venues", "time_zone", schema="catalog")
