"""Inventory HTTP routes: seat maps, the live seat stream, holds, waiting rooms and lists."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from boxoffice.inventory.domain import make_hold_request
from boxoffice.inventory.live import SeatFeed
from boxoffice.inventory.onsale import QueueFeed, queue_path
from boxoffice.inventory.rooms import AUTO_START_RATE, RoomSpec, WaitingRooms
from boxoffice.inventory.service import InventoryService
from boxoffice.inventory.waitlist import Waitlists
from boxoffice.kernel.inputs import Instant
from boxoffice.kernel.openapi import problems
from boxoffice.kernel.web import CurrentUser, IdempotencyKey, InternalCaller, Organizer, provided

router = APIRouter(tags=["inventory"])

HoldId = Annotated[str, Field(max_length=64)]


async def inventory_service(request: Request) -> InventoryService:
    return provided(request, InventoryService)


async def seat_feed(request: Request) -> SeatFeed:
    return provided(request, SeatFeed)


async def waiting_rooms(request: Request) -> WaitingRooms:
    return provided(request, WaitingRooms)


async def queue_feed(request: Request) -> QueueFeed:
    return provided(request, QueueFeed)


InventoryDep = Annotated[InventoryService, Depends(inventory_service)]
QueueFeedDep = Annotated[QueueFeed, Depends(queue_feed)]
RoomsDep = Annotated[WaitingRooms, Depends(waiting_rooms)]


async def waitlists(request: Request) -> Waitlists:
    return provided(request, Waitlists)


WaitlistsDep = Annotated[Waitlists, Depends(waitlists)]
AdmissionPass = Annotated[
    str | None,
    Header(
        alias="X-Admission-Pass",
        max_length=1024,
        description="The pass the show's waiting room gave you (while it has one).",
    ),
]
SeatFeedDep = Annotated[SeatFeed, Depends(seat_feed)]


class GaIn(BaseModel):
    area_id: int = Field(ge=1, le=2**62)
    quantity: int = Field(ge=1, le=100)


class HoldIn(BaseModel):
    seat_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(
        default_factory=list, max_length=100
    )
    ga: list[GaIn] = Field(default_factory=list, max_length=20)


class GaOut(BaseModel):
    area_id: int
    quantity: int


class HoldCreated(BaseModel):
    hold_id: str
    show_id: uuid.UUID
    seat_ids: list[int]
    ga: list[GaOut]
    expires_at: datetime


class HeldSeatOut(BaseModel):
    seat_id: int
    label: str
    section: str
    row: str
    category: str
    price: int


class HeldPlacesOut(BaseModel):
    area_id: int
    name: str
    category: str
    quantity: int
    price: int


class HoldOut(BaseModel):
    hold_id: str
    show_id: uuid.UUID
    state: str
    seat_ids: list[int]
    seats: list[HeldSeatOut]
    ga: list[HeldPlacesOut]
    expires_at: datetime
    currency: str
    total: int
    booking_id: uuid.UUID | None


SEAT_MAP_EXAMPLE = {
    "show_id": "…",
    "version": 12,
    "status": "published",
    "currency": "EUR",
    "max_per_booking": 8,
    "seats": [
        {
            "id": 1,
            "label": "A1",
            "section": "Stalls",
            "row": "A",
            "category": "premium",
            "price": 5500,
            "x": 0,
            "y": 0,
            "state": "available",
        }
    ],
    "ga_areas": [
        {
            "id": 1,
            "name": "Standing",
            "category": "standing",
            "price": 2500,
            "capacity": 200,
            "available": 180,
        }
    ],
}


@router.get(
    "/shows/{show_id}/seats",
    responses={
        200: {
            "content": {"application/json": {"example": SEAT_MAP_EXAMPLE}},
            "description": "Every seat with its state; `ETag` is the map's version.",
        },
        304: {"description": "Not modified since the version in If-None-Match."},
        **problems(404),
    },
)
async def seat_map(
    show_id: uuid.UUID,
    request: Request,
    svc: InventoryDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    if if_none_match is not None:
        version = await svc.seat_map_version(show_id)
        if version and if_none_match.strip('W/"') == str(version):
            return Response(status_code=304, headers={"ETag": f'"{version}"'})
    gzipped = "gzip" in request.headers.get("accept-encoding", "")
    version, body = await svc.seat_map(show_id, gzipped=gzipped)
    headers = {"ETag": f'"{version}"', "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/shows/{show_id}/seats/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent events: `seats` with state changes.",
        },
        **problems(404),
    },
)
async def seat_stream(
    show_id: uuid.UUID, svc: InventoryDep, feed: SeatFeedDep
) -> StreamingResponse:
    await svc.show(show_id)  # 404 for unknown shows
    return StreamingResponse(
        feed.follow(show_id.hex),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def hold_location(hold_id: str) -> str:
    return f"/api/v1/holds/{hold_id}"


@router.post(
    "/shows/{show_id}/holds",
    status_code=201,
    response_model=HoldCreated,
    responses=problems(403, 404, 409, 429),
)
async def place_hold(
    show_id: uuid.UUID,
    body: HoldIn,
    user: CurrentUser,
    svc: InventoryDep,
    response: Response,
    idempotency_key: IdempotencyKey,
    admission_pass: AdmissionPass = None,
) -> Any:
    hold = make_hold_request(body.seat_ids, [(g.area_id, g.quantity) for g in body.ga])
    created = await svc.place_hold(user, show_id, hold, idempotency_key, admission_pass)
    response.headers["Location"] = hold_location(str(created["hold_id"]))
    return created


PLACE_HOLD_PATH = "/api/v1/shows/{show_id}/holds"  # served by fastpath.FastHolds first


@router.get("/holds/{hold_id}", response_model=HoldOut, responses=problems(404))
async def get_hold(hold_id: HoldId, user: CurrentUser, svc: InventoryDep) -> dict[str, Any]:
    return await svc.get_hold(user, hold_id)


@router.delete("/holds/{hold_id}", status_code=204, responses=problems(404, 409))
async def release_hold(hold_id: HoldId, user: CurrentUser, svc: InventoryDep) -> None:
    await svc.release_hold(user, hold_id)


# -- waiting rooms (inventory.onsale) ----------------------------------------------------------


class RoomIn(BaseModel):
    opens_at: Instant = Field(description="From then on, holds on the show need a pass.")
    on_sale_at: Instant = Field(
        description="Admission begins; who joined before stands in a random order."
    )
    admission_rate: Annotated[int, Field(ge=1, le=1_000_000)] | Literal["auto"] = Field(
        description='Buyers let in per minute, or "auto": the rate at which the pipeline '
        "confirms bookings (measured, with 25 % headroom), starting from "
        "`auto_start_rate`."
    )
    auto_start_rate: int = Field(
        default=AUTO_START_RATE,
        ge=1,
        le=1_000_000,
        description='With "auto": buyers per minute before any booking was confirmed, and the '
        "least it admits.",
    )
    pass_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    max_tickets_per_customer: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Tickets one customer may have for the show, held, awaiting payment and "
        "bought together (null: the show's usual limits only).",
    )


class RoomOut(BaseModel):
    show_id: uuid.UUID
    enabled: bool = Field(description="false: the show has no waiting room (the rest is null)")
    opens_at: datetime | None
    on_sale_at: datetime | None
    admission_rate: int | Literal["auto"] | None
    auto_start_rate: int | None = Field(
        default=None, description='with "auto": the rate it starts from and the least it admits'
    )
    pass_ttl_seconds: int | None
    max_tickets_per_customer: int | None
    queue: str | None
    in_queue: int | None = Field(description="everyone who joined, let in or not")
    admitted_so_far: int | None
    sold_out: bool | None = Field(description="nothing left to hold: admission waits")
    admitting_per_minute: float | None = Field(
        description="the rate admission runs at now (null before on-sale)"
    )
    confirmed_per_minute: float | None = Field(
        description="bookings confirmed per minute, as the admission job measures them"
    )
    refused_share: float | None = Field(
        description="share of holds refused for want of places lately; admission slows by it"
    )
    waitlist: dict[str, int] | None = Field(
        description="the waiting list: customers waiting, offered, booked, lapsed"
    )


def _room_out(room: Any, figures: dict[str, Any], waitlist: dict[str, int]) -> dict[str, Any]:
    return {
        **room.out(),
        **figures,
        "enabled": True,
        "queue": queue_path(room.show_id),
        "waitlist": waitlist,
    }


class ChallengeOut(BaseModel):
    challenge: str
    difficulty_bits: int = Field(
        description='Join with a `solution` s such that SHA-256 of "challenge:s" starts with '
        "this many zero bits."
    )


class JoinIn(BaseModel):
    challenge: str = Field(max_length=1024)
    solution: str = Field(max_length=64)


class QueueStatus(BaseModel):
    queue_id: str
    show_id: uuid.UUID
    state: str = Field(
        description="waiting, admitted (with the pass), expired, or sold_out (nothing left to "
        "hold for now: admission waits for places to come back)"
    )
    position: int | None = Field(description="1 is next; null until the on-sale draw")
    ahead: int | None
    eta_seconds: int | None
    in_queue: int
    admitted_so_far: int
    on_sale_at: datetime
    admission_pass: str | None = Field(description="Send it as X-Admission-Pass on holds.")
    pass_expires_at: datetime | None
    waitlist: str | None = Field(
        default=None, description="when sold out: where to join the show's waiting list"
    )


@router.put(
    "/shows/{show_id}/waiting-room", response_model=RoomOut, responses=problems(403, 404, 422)
)
async def put_waiting_room(
    show_id: uuid.UUID, body: RoomIn, user: Organizer, rooms: RoomsDep, lists: WaitlistsDep
) -> dict[str, Any]:
    auto = body.admission_rate == "auto"
    spec = RoomSpec(
        opens_at=body.opens_at,
        on_sale_at=body.on_sale_at,
        admission_rate=body.auto_start_rate if auto else int(body.admission_rate),
        pass_ttl_seconds=body.pass_ttl_seconds,
        max_tickets_per_customer=body.max_tickets_per_customer,
        auto_rate=auto,
    )
    room = await rooms.configure(user, show_id, spec)
    return _room_out(room, await rooms.queue.figures(show_id), await lists.figures(show_id))


@router.get("/shows/{show_id}/waiting-room", response_model=RoomOut, responses=problems(404))
async def get_waiting_room(
    show_id: uuid.UUID, rooms: RoomsDep, lists: WaitlistsDep
) -> dict[str, Any]:
    room = await rooms.setting(show_id)
    if room is None:
        return {"show_id": show_id, "enabled": False, **dict.fromkeys(_ROOM_FIELDS)}
    return _room_out(room, await rooms.queue.figures(show_id), await lists.figures(show_id))


_ROOM_FIELDS = (
    "opens_at",
    "on_sale_at",
    "admission_rate",
    "pass_ttl_seconds",
    "max_tickets_per_customer",
    "queue",
    "in_queue",
    "admitted_so_far",
    "sold_out",
    "admitting_per_minute",
    "confirmed_per_minute",
    "refused_share",
    "waitlist",
)


@router.delete("/shows/{show_id}/waiting-room", status_code=204, responses=problems(403, 404))
async def delete_waiting_room(show_id: uuid.UUID, user: Organizer, rooms: RoomsDep) -> None:
    await rooms.remove(user, show_id)


@router.get(
    "/shows/{show_id}/queue/challenge", response_model=ChallengeOut, responses=problems(404)
)
async def queue_challenge(show_id: uuid.UUID, user: CurrentUser, rooms: RoomsDep) -> Any:
    return await rooms.challenge(user, show_id)


@router.post(
    "/shows/{show_id}/queue",
    status_code=201,
    response_model=QueueStatus,
    responses={
        200: {"description": "Already in the queue: your place."},
        **problems(404, 409, 422),
    },
)
async def join_queue(
    show_id: uuid.UUID, body: JoinIn, user: CurrentUser, rooms: RoomsDep, response: Response
) -> Any:
    status, new = await rooms.join(user, show_id, body.challenge, body.solution)
    response.headers["Location"] = f"/api/v1/queue/{status['queue_id']}"
    if not new:
        response.status_code = 200
    return status


@router.get(
    "/shows/{show_id}/queue/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent events: `queue` with in_queue, admitted_so_far and "
            "sold_out after each admission step (about every second).",
        },
        **problems(404),
    },
)
async def queue_stream(show_id: uuid.UUID, rooms: RoomsDep, feed: QueueFeedDep) -> Any:
    await rooms.room(show_id)  # 404 without a waiting room
    return StreamingResponse(
        feed.follow(show_id.hex),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/queue/{queue_id}", response_model=QueueStatus, responses=problems(404))
async def queue_status(
    queue_id: Annotated[str, Path(max_length=64)], user: CurrentUser, rooms: RoomsDep
) -> Any:
    return await rooms.status(user, queue_id)


# -- waiting lists (inventory.waitlist) ---------------------------------------------------------


class WaitlistIn(BaseModel):
    quantity: int = Field(default=1, ge=1, le=100, description="places wanted together")


class WaitlistOffer(BaseModel):
    hold_id: str = Field(description="a hold reserved for you: book it as any other")
    expires_at: datetime


class WaitlistStatus(BaseModel):
    show_id: uuid.UUID
    state: str = Field(
        description="waiting, offered (see offer), booked, lapsed (the offer was not booked "
        "in time) or left"
    )
    quantity: int
    joined_at: datetime
    position: int | None = Field(description="1 is next, while waiting")
    ahead: int | None
    offer: WaitlistOffer | None


@router.post(
    "/shows/{show_id}/waitlist",
    status_code=201,
    response_model=WaitlistStatus,
    responses={
        200: {"description": "Already on the waiting list: your place."},
        **problems(404, 409, 422),
    },
)
async def join_waitlist(
    show_id: uuid.UUID,
    user: CurrentUser,
    lists: WaitlistsDep,
    response: Response,
    body: WaitlistIn | None = None,
) -> Any:
    status, new = await lists.join(user, show_id, (body or WaitlistIn()).quantity)
    response.headers["Location"] = f"/api/v1/shows/{show_id}/waitlist/me"
    if not new:
        response.status_code = 200
    return status


@router.get("/shows/{show_id}/waitlist/me", response_model=WaitlistStatus, responses=problems(404))
async def my_waitlist_place(show_id: uuid.UUID, user: CurrentUser, lists: WaitlistsDep) -> Any:
    return await lists.status(user, show_id)


@router.delete("/shows/{show_id}/waitlist/me", status_code=204, responses=problems(404))
async def leave_waitlist(show_id: uuid.UUID, user: CurrentUser, lists: WaitlistsDep) -> None:
    await lists.leave(user, show_id)


internal_router = APIRouter(
    prefix="/internal/inventory", include_in_schema=False, dependencies=[InternalCaller]
)


class AttachIn(BaseModel):
    user_id: uuid.UUID
    booking_id: uuid.UUID
    extend_seconds: float = Field(ge=0, le=86400)


class SellIn(BaseModel):
    booking_id: uuid.UUID


@internal_router.post("/holds/{hold_id}/attach")
async def attach_hold(hold_id: str, body: AttachIn, svc: InventoryDep) -> Any:
    view = await svc.attach_hold(hold_id, body.user_id, body.booking_id, body.extend_seconds)
    return dataclasses.asdict(view)


@internal_router.post("/holds/{hold_id}/sell")
async def sell_hold(hold_id: str, body: SellIn, svc: InventoryDep) -> dict[str, bool]:
    return {"sold": await svc.sell_hold(hold_id, body.booking_id)}
