"""Notification HTTP routes: my in-app notifications; for admins the mail deliveries and the
development inbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from boxoffice.kernel.inputs import Limit, Offset
from boxoffice.kernel.openapi import problems
from boxoffice.kernel.web import Admin, CurrentUser, provided
from boxoffice.notification.inbox import DevInbox
from boxoffice.notification.service import (
    ForbiddenReport,
    NotificationService,
    SmsWebhook,
    UnknownDelivery,
)
from boxoffice.notification.store import Delivery, Notification

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
    """Mark every unread notification of mine read."""
    return {"marked": await svc.mark_read(user)}


class UnreadOut(BaseModel):
    unread: int


@router.get("/notifications/unread", response_model=UnreadOut)
async def unread_count(user: CurrentUser, svc: NotificationDep) -> dict[str, int]:
    """How many of my notifications are unread (the bell). New ones are also pushed on
    `GET /api/v1/live` as `notification` events carrying this count."""
    return {"unread": await svc.unread(user)}


@router.post("/notifications/{notification_id}/read", response_model=MarkedRead)
async def mark_one_read(
    notification_id: uuid.UUID, user: CurrentUser, svc: NotificationDep
) -> dict[str, int]:
    """Mark one notification of mine read (0 if it was read, or is not mine)."""
    return {"marked": await svc.mark_read(user, notification_id)}


class PreferenceOut(BaseModel):
    kind: str
    label: str
    transactional: bool = Field(description="its mail cannot be turned off")
    sms_available: bool = Field(description="whether this kind is ever sent by SMS")
    email: bool
    sms: bool
    in_app: bool


class ChannelsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: bool | None = None
    sms: bool | None = None
    in_app: bool | None = None


@router.get("/users/me/notification-preferences", response_model=list[PreferenceOut])
async def my_preferences(user: CurrentUser, svc: NotificationDep) -> list[dict[str, Any]]:
    """What I am told of, by kind and channel (email, SMS, in-app)."""
    return await svc.preferences(user)


@router.patch(
    "/users/me/notification-preferences",
    response_model=list[PreferenceOut],
    responses=problems(422),
)
async def change_preferences(
    body: Annotated[dict[str, ChannelsIn], Body(max_length=20)],
    user: CurrentUser,
    svc: NotificationDep,
) -> list[dict[str, Any]]:
    """Turn channels on or off per kind: `{"show_changed": {"email": false}}`. A
    transactional mail (tickets, refunds, failed or cancelled bookings) stays on: 422
    `locked-preference`; an unknown kind: 422 `unknown-kind`."""
    changes = {
        kind: {k: v for k, v in channels.model_dump().items() if v is not None}
        for kind, channels in body.items()
    }
    return await svc.set_preferences(user, changes)


async def sms_webhook(request: Request) -> SmsWebhook:
    return provided(request, SmsWebhook)


@router.post(
    "/sms/status",
    status_code=204,
    responses=problems(403, 404),
    include_in_schema=True,
)
async def sms_status(
    request: Request,
    svc: NotificationDep,
    webhook: Annotated[SmsWebhook, Depends(sms_webhook)],
    ref: Annotated[uuid.UUID, Query()],
) -> Response:
    """The SMS provider's delivery report (form-encoded MessageSid, MessageStatus, ErrorCode),
    signed in X-Twilio-Signature; a failed or undelivered text makes its delivery failed."""
    body = await request.body()
    if len(body) > 16_384:
        raise ForbiddenReport("A delivery report is small.")
    params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not webhook.check(path, params, request.headers.get("x-twilio-signature", "")):
        raise ForbiddenReport("The delivery report is not signed by the SMS provider.")
    known = await svc.sms_status(
        ref,
        params.get("MessageSid", ""),
        params.get("MessageStatus", ""),
        params.get("ErrorCode", ""),
    )
    if not known:
        raise UnknownDelivery("No such text.")
    return Response(status_code=204)


# -- admins: the mail sent and not sent, and the development inbox ------------------------


async def dev_inbox(request: Request) -> DevInbox:
    return provided(request, DevInbox)


DevInboxDep = Annotated[DevInbox, Depends(dev_inbox)]


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    channel: str
    kind: str
    user_id: uuid.UUID
    address: str | None = Field(description="null: the user's address when it is sent")
    state: str = Field(
        description="pending (to send, or to try again at next_attempt_at), sent, failed "
        "(refused by the server for good: last_error has its answer), dead (gave up after "
        "the most attempts; an admin may send it again)"
    )
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    subject: str | None
    created_at: datetime
    sent_at: datetime | None


DeliveryState = Literal["pending", "sent", "failed", "dead"]


@router.get("/admin/deliveries", response_model=list[DeliveryOut])
async def deliveries(
    _: Admin,
    svc: NotificationDep,
    state: DeliveryState | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Delivery]:
    """Mail deliveries, newest first; `state=dead` lists the ones that gave up."""
    return await svc.deliveries(state, limit, offset)


@router.post(
    "/admin/deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    responses=problems(404, 409),
)
async def retry_delivery(delivery_id: uuid.UUID, _: Admin, svc: NotificationDep) -> Delivery:
    """Send a failed or dead mail again, from its first attempt."""
    return await svc.retry(delivery_id)


class AttachmentOut(BaseModel):
    index: int
    filename: str
    content_type: str
    size: int


class MailOut(BaseModel):
    id: str
    sender: str = Field(alias="from")
    to: str
    subject: str
    date: str
    kind: str = Field(description="which mail it is (welcome, booking_confirmed, …)")
    message_id: str
    attachments: list[AttachmentOut]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class MailBodyOut(MailOut):
    text: str
    html: str | None
    html_url: str | None = Field(
        description="the HTML part as a page of its own, for a frame (the link works 5 minutes)"
    )


@router.get("/admin/dev-inbox", response_model=list[MailOut], responses=problems(404))
async def inbox(
    _: Admin,
    box: DevInboxDep,
    to: Annotated[str | None, Query(max_length=320)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """The mail the development sink received, newest first (only where `boxoffice up`
    runs the sink: no BOXOFFICE_SMTP_URL)."""
    return await asyncio.to_thread(box.recent, limit, offset, to)


@router.get("/admin/dev-inbox/{mail_id}", response_model=MailBodyOut, responses=problems(404))
async def inbox_mail(mail_id: str, _: Admin, box: DevInboxDep) -> dict[str, Any]:
    return await asyncio.to_thread(box.read, mail_id)


# The mail's own HTML in a frame of the inbox page: inline styles allowed, nothing else (no
# script, no request anywhere), framed by this site only.
MAIL_HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
)


@router.get(
    "/admin/dev-inbox/{mail_id}/html",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **problems(404)},
)
async def inbox_mail_html(
    mail_id: str,
    box: DevInboxDep,
    expires: Annotated[int, Query(ge=0, le=2**62)],
    signature: Annotated[str, Query(max_length=64)],
) -> HTMLResponse:
    """The signed link of a mail's `html_url` (no Authorization: a frame cannot send one)."""
    html = await asyncio.to_thread(box.html, mail_id, expires, signature)
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": MAIL_HTML_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/admin/dev-inbox/{mail_id}/attachments/{index}",
    response_class=Response,
    responses={
        200: {
            "content": {"*/*": {}},
            "description": "The attachment as it was sent (tickets.pdf, show.ics, …)",
        },
        **problems(404),
    },
)
async def inbox_attachment(
    mail_id: str, index: Annotated[int, FastPath(ge=0, le=1000)], _: Admin, box: DevInboxDep
) -> Response:
    filename, content_type, data = await asyncio.to_thread(box.attachment, mail_id, index)
    safe = "".join(c for c in filename if c.isalnum() or c in "._-") or "attachment"
    return Response(
        data,
        media_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )
