"""Notification tables and queries: in-app notifications per user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.kernel.db import new_id, utcnow
from boxoffice.kernel.messaging import Messaging
from boxoffice.notification.domain import Message

metadata = sa.MetaData(schema="notification")
messaging = Messaging(metadata)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("booking_id", UUID(as_uuid=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True)),
    sa.Index("ix_notification_user_created", "user_id", "created_at"),
)


@dataclass(frozen=True)
class Notification:
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    title: str
    body: str
    booking_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


async def add(
    conn: AsyncConnection, user_id: uuid.UUID, booking_id: uuid.UUID | None, message: Message
) -> None:
    await conn.execute(
        sa.insert(notifications).values(
            id=new_id(),
            user_id=user_id,
            kind=message.kind,
            title=message.title,
            body=message.body,
            booking_id=booking_id,
            created_at=utcnow(),
        )
    )


async def of_user(
    conn: AsyncConnection, user_id: uuid.UUID, *, unread: bool, limit: int, offset: int
) -> list[Notification]:
    """A user's notifications, newest first."""
    query = (
        sa.select(notifications)
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    if unread:
        query = query.where(notifications.c.read_at.is_(None))
    return [Notification(**r._mapping) for r in (await conn.execute(query)).all()]


async def mark_read(conn: AsyncConnection, user_id: uuid.UUID) -> int:
    """Mark every unread notification of the user read; how many were."""
    result = await conn.execute(
        sa.update(notifications)
        .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(result.rowcount)
