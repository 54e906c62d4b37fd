"""Booking HTTP routes: book a hold, follow it, cancel it, list tickets."""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import segno
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from boxoffice.booking.domain import Status
from boxoffice.booking.live import CustomerFeed
from boxoffice.booking.queries import ShowSales
from boxoffice.booking.service import BookingService
from boxoffice.booking.store import Booking, BookingDetail, StuckBooking
from boxoffice.booking.store import MyTicket as MyTicketRow
from boxoffice.kernel.inputs import Limit, LongLimit, Offset
from boxoffice.kernel.openapi import problems
from boxoffice.kernel.web import Admin, CurrentUser, IdempotencyKey, provided

router = APIRouter(tags=["booking"])


async def booking_service(request: Request) -> BookingService:
    return provided(request, BookingService)


BookingDep = Annotated[BookingService, Depends(booking_service)]


async def customer_feed(request: Request) -> CustomerFeed:
    return provided(request, CustomerFeed)


CustomerFeedDep = Annotated[CustomerFeed, Depends(customer_feed)]


@router.get(
    "/live",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent events for the signed-in customer: `booking` with "
            "`{booking_id, status, reason}` each time one of their bookings changes status; "
            "`notification` with the new notification (id, kind, title, body, booking_id, "
            "created_at) and `unread`, their count of unread ones.",
        },
        **problems(401),
    },
)
async def live_channel(user: CurrentUser, feed: CustomerFeedDep) -> StreamingResponse:
    """The customer's own live channel (the bearer token says whose)."""
    return StreamingResponse(
        feed.follow(user.user_id.hex),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class PaymentIn(BaseModel):
    method: Literal["card"] = "card"
    token: str = Field(
        min_length=1,
        max_length=100,
        description="Test cards: tok_success, tok_decline, tok_timeout, tok_slow",
    )


class BookingIn(BaseModel):
    hold_id: str = Field(min_length=1, max_length=64)
    payment: PaymentIn


class BookingAccepted(BaseModel):
    booking_id: uuid.UUID
    status: Status


class LineOut(BaseModel):
    seat_id: int | None
    area_id: int | None
    label: str
    category: str
    quantity: int
    unit_price: int


class TicketOut(BaseModel):
    id: uuid.UUID
    booking_id: uuid.UUID
    show_id: uuid.UUID
    seat_id: int | None
    area_id: int | None
    label: str
    code: str
    status: str
    issued_at: datetime


class StepOut(BaseModel):
    step: str
    detail: str
    at: datetime


class BookingSummary(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    show_id: uuid.UUID
    show_title: str
    show_starts_at: datetime
    show_time_zone: str = Field(description="The venue's time zone (IANA name)")
    hold_id: str
    status: Status
    reason: str | None
    currency: str
    total: int
    refunded: int = Field(description="Refunded so far, minor units")
    payment_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class BookingOut(BookingSummary):
    lines: list[LineOut]
    tickets: list[TicketOut]
    steps: list[StepOut]


class MyTicket(TicketOut):
    show_title: str
    show_starts_at: datetime
    show_time_zone: str


class CancelIn(BaseModel):
    reason: Annotated[str, Field(max_length=500)] = "Cancelled by the customer."


class SalesOut(BaseModel):
    show_id: uuid.UUID
    bookings: dict[str, int] = Field(description="Number of bookings per status")
    tickets_sold: int = Field(description="Valid tickets issued")
    revenue: int = Field(
        description="Total of confirmed bookings less what was refunded of them, minor units"
    )
    currency: str | None
    recent: list[BookingSummary] = Field(description="The latest bookings, newest first")


@router.post(
    "/bookings", status_code=202, response_model=BookingAccepted, responses=problems(404, 409)
)
async def create_booking(
    body: BookingIn, user: CurrentUser, svc: BookingDep, idempotency_key: IdempotencyKey
) -> Any:
    status, answer = await svc.create(
        user, body.hold_id, body.payment.method, body.payment.token, idempotency_key
    )
    headers = {"Location": f"/api/v1/bookings/{answer['booking_id']}"} if status == 202 else None
    return JSONResponse(answer, status_code=status, headers=headers)


@router.get("/bookings/{booking_id}", response_model=BookingOut, responses=problems(404))
async def get_booking(booking_id: uuid.UUID, user: CurrentUser, svc: BookingDep) -> BookingDetail:
    return await svc.get(user, booking_id)


@router.get("/bookings", response_model=list[BookingSummary])
async def list_bookings(
    user: CurrentUser,
    svc: BookingDep,
    all: Annotated[bool, Query(description="Admins: everyone's bookings")] = False,
    status: Status | None = None,
    show_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Booking]:
    return await svc.search(
        user,
        everyone=all,
        status=status,
        show_id=show_id,
        user_id=user_id,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/bookings/{booking_id}/cancel", response_model=BookingOut, responses=problems(404, 409)
)
async def cancel_booking(
    booking_id: uuid.UUID, user: CurrentUser, svc: BookingDep, body: CancelIn | None = None
) -> BookingDetail:
    return await svc.cancel(user, booking_id, (body or CancelIn()).reason)


@router.get("/tickets", response_model=list[MyTicket])
async def my_tickets(
    user: CurrentUser,
    svc: BookingDep,
    limit: LongLimit = 100,
    offset: Offset = 0,
) -> list[MyTicketRow]:
    return await svc.tickets(user, limit, offset)


@router.get(
    "/tickets/{ticket_id}/qr",
    response_class=Response,
    responses={
        200: {
            "content": {"image/svg+xml": {}},
            "description": "The ticket's signed code as a QR code (SVG).",
        },
        **problems(404),
    },
)
async def ticket_qr(ticket_id: uuid.UUID, user: CurrentUser, svc: BookingDep) -> Response:
    code = await svc.signed_code(user, ticket_id)
    svg = io.BytesIO()
    segno.make(code, error="m").save(
        svg, kind="svg", scale=4, border=2, dark="#111827", light="#ffffff", xmldecl=False
    )
    return Response(
        svg.getvalue(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, max-age=3600"},
    )


@router.get("/shows/{show_id}/sales", response_model=SalesOut, responses=problems(403, 404))
async def show_sales(show_id: uuid.UUID, user: CurrentUser, svc: BookingDep) -> ShowSales:
    """Sales of one show, for its organizer or an admin."""
    return await svc.sales(user, show_id)


class StuckSaga(BookingSummary):
    last_step: str
    last_step_at: datetime
    deadline: datetime


class ForceFailIn(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=500)] = (
        "Ended by an operator; any payment is refunded."
    )


class ForcedFail(BaseModel):
    id: uuid.UUID
    status: Status
    reason: str


@router.get("/admin/sagas/stuck", response_model=list[StuckSaga], tags=["operations"])
async def stuck_sagas(
    _: Admin,
    svc: BookingDep,
    older_than: Annotated[float, Query(ge=0, le=86400, description="seconds")] = 30,
    limit: LongLimit = 100,
) -> list[StuckBooking]:
    """Bookings still PENDING after `older_than` seconds, with the step they stopped at."""
    return await svc.stuck(older_than, limit)


@router.post(
    "/admin/sagas/{booking_id}/fail",
    response_model=ForcedFail,
    tags=["operations"],
    responses=problems(404, 409),
)
async def fail_saga(
    booking_id: uuid.UUID, _: Admin, svc: BookingDep, body: ForceFailIn | None = None
) -> dict[str, object]:
    return await svc.force_fail(booking_id, (body or ForceFailIn()).reason)
