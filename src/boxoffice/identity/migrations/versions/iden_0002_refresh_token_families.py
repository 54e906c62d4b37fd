"""refresh token families

Every refresh token rotated from one login shares a family id, so that a reused token revokes
the whole family. A token issued before this has no known ancestry: each becomes its own family.

Revision ID: iden_0002
Revises: iden_0001
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "iden_0002"
down_revision: str | None = "iden_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "refresh_tokens", sa.Column("family_id", sa.UUID(), nullable=True), schema="identity"
    )
    op.execute("UPDATE identity.refresh_tokens SET family_id = gen_random_uuid()")
    op.alter_column("refresh_tokens", "family_id", nullable=False, schema="identity")
    op.create_index(
        op.f("ix_identity_refresh_tokens_family_id"),
        "refresh_tokens",
        ["family_id"],
        unique=False,
        schema="identity",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_identity_refresh_tokens_family_id"),
        table_name="refresh_tokens",
        schema="identity",
    )
    op.drop_column("refresh_tokens", "family_id", schema="identity")
