"""refunds are recorded before the provider is asked

Revision ID: paym_0002
Revises: paym_0001
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "paym_0002"
down_revision: str | None = "paym_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Refunds made before this revision had been answered by the provider: succeeded.
    op.add_column(
        "refunds",
        sa.Column("status", sa.Text(), nullable=False, server_default="succeeded"),
        schema="payment",
    )
    op.add_column(
        "refunds", sa.Column("attempted_at", sa.DateTime(timezone=True)), schema="payment"
    )
    op.alter_column("refunds", "provider_ref", nullable=True, schema="payment")
    op.create_check_constraint(
        "refund_status",
        "refunds",
        "status IN ('pending', 'succeeded', 'failed')",
        schema="payment",
    )
    op.create_index(
        "ix_payment_refunds_pending",
        "refunds",
        ["created_at"],
        schema="payment",
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_payment_refunds_pending", table_name="refunds", schema="payment")
    op.drop_constraint("refund_status", "refunds", schema="payment")
    op.alter_column("refunds", "provider_ref", nullable=False, schema="payment")
    op.drop_column("refunds", "attempted_at", schema="payment")
    op.drop_column("refunds", "status", schema="payment")
