"""Inventory HTTP routes: seat maps, the live seat stream, holds."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.inventory.domain import make_hold_request
from boxoffice.inventory.live import SeatFeed
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.edge import replay_body
from boxoffice.kernel.errors import DomainError
from boxoffice.kernel.openapi import problems
from boxoffice.kernel.problems import PROBLEM, problem_of, report
from boxoffice.kernel.telemetry import user_id_var
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


PLACE_HOLD_PATH = "/api/v1/shows/{show_id}/holds"
_PLACE_HOLD = re.compile(
    r"^/api/v1/shows/([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
    r"[0-9a-fA-F]{12})/holds$"
)


class FastHolds:
    """ASGI middleware serving POST /api/v1/shows/{id}/holds — the on-sale's hottest request —
    without FastAPI's per-request machinery (routing through every route, dependency solving,
    response-model validation): about two thirds of the CPU of a hold (docs/benchmarks.md).

    It only takes requests it can answer exactly as place_hold() above would: a bearer token
    that verifies, a JSON body that HoldIn accepts, a well-formed Idempotency-Key. Anything
    else goes on to the FastAPI route (with its body replayed), which stays the one definition
    of the endpoint's errors and of its OpenAPI document."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._route: Any = None

    def _route_of(self, scope: Scope) -> Any:
        # the declared route, so telemetry labels this request by its template
        if self._route is None:
            for route in scope["app"].router.routes:
                if getattr(route, "path", None) == PLACE_HOLD_PATH:
                    self._route = route
        return self._route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        match = _PLACE_HOLD.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        parsed = self._parse(scope, match.group(1), body)
        if parsed is None:
            await self.app(scope, replay_body(body, receive), send)
            return
        show_id, user, hold_in, key = parsed
        scope["route"] = self._route_of(scope)
        user_id_var.set(str(user.user_id))
        svc = scope["app"].state.services.get(InventoryService)
        try:
            hold = make_hold_request(
                hold_in.seat_ids, [(g.area_id, g.quantity) for g in hold_in.ga]
            )
            created = HoldCreated.model_validate(await svc.place_hold(user, show_id, hold, key))
        except Exception as exc:  # the same answer as kernel.problems gives every route
            found = problem_of(exc)
            report(exc, found, "POST", scope["path"])
            headers = [
                (k.lower().encode(), v.encode()) for k, v in found.response_headers().items()
            ]
            body = orjson.dumps(found.document(scope["path"]))
            await _respond(send, found.status, body, PROBLEM_JSON, headers)
            return
        location = [(b"location", hold_location(created.hold_id).encode())]
        await _respond(send, 201, created.model_dump_json().encode(), b"application/json", location)

    @staticmethod
    def _parse(
        scope: Scope, show: str, body: bytes
    ) -> tuple[uuid.UUID, Principal, HoldIn, str | None] | None:
        authorization = content_type = key = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-type":
                content_type = value
            elif name == b"idempotency-key":
                key = value
        if authorization is None or content_type is None:
            return None
        if content_type.split(b";")[0].strip().lower() != b"application/json":
            return None
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        idempotency_key = key.decode("latin-1") if key is not None else None
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
            return None
        try:
            show_id = uuid.UUID(show)
            user = scope["app"].state.verifier.verify(token)
            hold_in = HoldIn.model_validate_json(body)
        except (ValueError, DomainError):  # ValidationError is a ValueError
            return None
        return show_id, user, hold_in, idempotency_key


PROBLEM_JSON = PROBLEM.encode()


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    headers: list[tuple[bytes, bytes]] = [],  # noqa: B006 (never mutated)
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", content_type),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


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
