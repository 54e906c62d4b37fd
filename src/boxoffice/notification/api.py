"""Notification HTTP routes: my in-app notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from boxoffice.kernel.inputs import Limit, Offset
from boxoffice.kernel.web import CurrentUser, provided
from boxoffice.notification.service import NotificationService
from boxoffice.notification.store import Notification

router = APIRouter(tags=["notification"])


async def notification_service(request: Request) -> NotificationService:
    return provided(request, NotificationService)


NotificationDep = Annotated[NotificationService, Depends(notification_service)]


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    booking_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


class MarkedRead(BaseModel):
    marked: int


@router.get("/notifications", response_model=list[NotificationOut])
async def my_notifications(
    user: CurrentUser,
    svc: NotificationDep,
    unread: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Notification]:
    return await svc.mine(user, unread, limit, offset)


@router.post("/notifications/read", response_model=MarkedRead)
async def mark_read(user: CurrentUser, svc: NotificationDep) -> dict[str, int]:
    return {"marked": await svc.mark_read(user)}
