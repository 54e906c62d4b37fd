"""Notification use cases: record in-app notifications for booking events; list mine."""

from __future__ import annotations

import uuid

from boxoffice.kernel.auth import Principal
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.notification import store as queries
from boxoffice.notification.domain import NotifiedEvent, message_for
from boxoffice.notification.store import Notification


class NotificationService:
    def __init__(self, store: ServiceStore) -> None:
        self.store = store

    async def on_event(self, uow: UnitOfWork, event: NotifiedEvent) -> None:
        booking = getattr(event, "booking_id", None)
        await queries.add(
            uow.conn,
            uuid.UUID(event.user_id),
            None if booking is None else uuid.UUID(booking),
            message_for(event),
        )

    async def mine(
        self, user: Principal, unread: bool, limit: int, offset: int
    ) -> list[Notification]:
        async with self.store.engine.connect() as conn:
            return await queries.of_user(
                conn, user.user_id, unread=unread, limit=limit, offset=offset
            )

    async def mark_read(self, user: Principal) -> int:
        async with self.store.uow() as uow:
            return await queries.mark_read(uow.conn, user.user_id)
