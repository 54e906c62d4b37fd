"""Notification use cases: record in-app notifications for booking events; list mine."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from boxoffice.kernel.auth import Principal
from boxoffice.kernel.db import new_id, utcnow
from boxoffice.kernel.events import Envelope
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.notification.domain import message_for
from boxoffice.notification.store import notifications


class NotificationService:
    def __init__(self, store: ServiceStore) -> None:
        self.store = store

    async def on_booking_event(self, uow: UnitOfWork, event: Envelope) -> None:
        message = message_for(event.type, event.payload)
        if message is None:
            return
        kind, title, body = message
        await uow.execute(
            sa.insert(notifications).values(
                id=new_id(),
                user_id=uuid.UUID(event.payload["user_id"]),
                kind=kind,
                title=title,
                body=body,
                booking_id=uuid.UUID(event.payload["booking_id"]),
                created_at=utcnow(),
            )
        )

    async def mine(
        self, user: Principal, unread: bool, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        query = (
            sa.select(notifications)
            .where(notifications.c.user_id == user.user_id)
            .order_by(notifications.c.created_at.desc())
            .limit(limit)
            .offset(offset)
        )
        if unread:
            query = query.where(notifications.c.read_at.is_(None))
        async with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(query)).all()]

    async def mark_read(self, user: Principal) -> int:
        async with self.store.uow() as uow:
            result = await uow.execute(
                sa.update(notifications)
                .where(notifications.c.user_id == user.user_id, notifications.c.read_at.is_(None))
                .values(read_at=utcnow())
            )
        return int(result.rowcount)
