"""Inventory HTTP routes: seat maps, the live seat stream, holds."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from boxoffice.inventory.domain import make_hold_request
from boxoffice.inventory.live import SeatFeed
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.openapi import problems
from boxoffice.kernel.web import CurrentUser, IdempotencyKey, InternalCaller, provided

router = APIRouter(tags=["inventory"])

HoldId = Annotated[str, Field(max_length=64)]


async def inventory_service(request: Request) -> InventoryService:
    return provided(request, InventoryService)


async def seat_feed(request: Request) -> SeatFeed:
    return provided(request, SeatFeed)


InventoryDep = Annotated[InventoryService, Depends(inventory_service)]
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
    responses=problems(404, 409, 429),
)
async def place_hold(
    show_id: uuid.UUID,
    body: HoldIn,
    user: CurrentUser,
    svc: InventoryDep,
    response: Response,
    idempotency_key: IdempotencyKey,
) -> Any:
    hold = make_hold_request(body.seat_ids, [(g.area_id, g.quantity) for g in body.ga])
    created = await svc.place_hold(user, show_id, hold, idempotency_key)
    response.headers["Location"] = hold_location(str(created["hold_id"]))
    return created


PLACE_HOLD_PATH = "/api/v1/shows/{show_id}/holds"  # served by fastpath.FastHolds first


@router.get("/holds/{hold_id}", response_model=HoldOut, responses=problems(404))
async def get_hold(hold_id: HoldId, user: CurrentUser, svc: InventoryDep) -> dict[str, Any]:
    return await svc.get_hold(user, hold_id)


@router.delete("/holds/{hold_id}", status_code=204, responses=problems(404, 409))
async def release_hold(hold_id: HoldId, user: CurrentUser, svc: InventoryDep) -> None:
    await svc.release_hold(user, hold_id)


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
