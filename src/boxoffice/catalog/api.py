"""Catalog HTTP routes: venues, halls, events, shows (organizers write, everyone reads)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from boxoffice.catalog.browse import ShowFilter, ShowView
from boxoffice.catalog.domain import (
    AreaSpec,
    GridSpec,
    NewShow,
    RowSpec,
    SeatSpec,
    SectionSpec,
    ShowChanges,
)
from boxoffice.catalog.service import CatalogService
from boxoffice.catalog.store import EventRow, Hall, Venue, VenueWithHalls
from boxoffice.kernel.inputs import Instant, Limit, Offset, Patch
from boxoffice.kernel.openapi import problems
from boxoffice.kernel.web import InternalCaller, OptionalUser, Organizer, provided

router = APIRouter(tags=["catalog"])

Name = Annotated[str, Field(min_length=1, max_length=200)]
Category = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\- ]+$")]
# More categories than this is no seating plan anyone prices (and a price list to match).
MAX_CATEGORIES = 100


async def catalog_service(request: Request) -> CatalogService:
    return provided(request, CatalogService)


CatalogDep = Annotated[CatalogService, Depends(catalog_service)]


class VenueIn(BaseModel):
    name: Name
    city: Name
    address: Annotated[str, Field(max_length=500)] = ""
    time_zone: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        default="UTC",
        description="IANA time zone of the venue (Europe/Berlin): show times are shown in it",
    )


class VenueOut(BaseModel):
    id: uuid.UUID
    name: str
    city: str
    address: str
    time_zone: str
    created_at: datetime


class HallSummary(BaseModel):
    id: uuid.UUID
    name: str
    seat_count: int


class VenueDetail(VenueOut):
    halls: list[HallSummary]


class SeatIn(BaseModel):
    label: Annotated[str, Field(min_length=1, max_length=10)]
    category: Category
    x: float | None = Field(default=None, ge=-1e6, le=1e6)
    y: float | None = Field(default=None, ge=-1e6, le=1e6)
    blocked: bool = False


class RowIn(BaseModel):
    label: Annotated[str, Field(min_length=1, max_length=10)]
    seats: list[SeatIn] = Field(min_length=1, max_length=1000)


class SectionIn(BaseModel):
    name: Name
    rows: list[RowIn] = Field(min_length=1, max_length=500)


class GridIn(BaseModel):
    """A convenience layout: rows A, B, C… each with seats 1..seats_per_row."""

    rows: int = Field(ge=1, le=500)
    seats_per_row: int = Field(ge=1, le=500)
    section: Name = "Stalls"
    category: Category = "standard"
    row_categories: dict[Annotated[str, Field(max_length=10)], Category] = Field(
        default_factory=dict,
        max_length=500,
        description="Category per row label, e.g. {'A': 'premium'}",
    )


class AreaIn(BaseModel):
    name: Name
    category: Category
    capacity: int = Field(ge=1, le=1_000_000)


class HallIn(BaseModel):
    name: Name
    sections: list[SectionIn] = Field(default_factory=list, max_length=100)
    grid: GridIn | None = None
    ga_areas: list[AreaIn] = Field(default_factory=list, max_length=100)

    def section_specs(self) -> list[SectionSpec]:
        return [
            SectionSpec(
                s.name,
                [
                    RowSpec(r.label, [SeatSpec(**seat.model_dump()) for seat in r.seats])
                    for r in s.rows
                ],
            )
            for s in self.sections
        ]

    def grid_spec(self) -> GridSpec | None:
        return GridSpec(**self.grid.model_dump()) if self.grid else None

    def area_specs(self) -> list[AreaSpec]:
        return [AreaSpec(**a.model_dump()) for a in self.ga_areas]


class SeatOut(BaseModel):
    id: int
    section: str
    row: str
    label: str
    category: str
    x: float
    y: float
    blocked: bool


class AreaOut(BaseModel):
    id: int
    name: str
    category: str
    capacity: int


class HallOut(BaseModel):
    id: uuid.UUID
    venue_id: uuid.UUID
    name: str
    seats: list[SeatOut]
    ga_areas: list[AreaOut]


class EventIn(BaseModel):
    title: Name
    description: Annotated[str, Field(max_length=10_000)] = ""
    category: Category
    duration_minutes: int = Field(ge=1, le=24 * 60)
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20
    )


class EventOut(EventIn):
    id: uuid.UUID
    created_at: datetime


Prices = Annotated[
    dict[Category, Annotated[int, Field(ge=0, le=100_000_000)]],
    Field(max_length=MAX_CATEGORIES),
]


class ShowIn(BaseModel):
    event_id: uuid.UUID
    hall_id: uuid.UUID
    starts_at: Instant
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    prices: Prices = Field(description="Price per seat category in minor units (cents).")
    sales_start: Instant
    sales_end: Instant
    max_per_booking: int = Field(default=10, ge=1, le=100)
    max_held_per_customer: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Places one customer may have in live holds and pending bookings at once "
        "(default: the installation's BOXOFFICE_MAX_HELD_PER_CUSTOMER)",
    )


class ShowPatch(Patch):
    starts_at: Instant | SkipJsonSchema[None] = None
    prices: Prices | SkipJsonSchema[None] = None
    sales_start: Instant | SkipJsonSchema[None] = None
    sales_end: Instant | SkipJsonSchema[None] = None
    max_per_booking: Annotated[int, Field(ge=1, le=100)] | SkipJsonSchema[None] = None
    max_held_per_customer: Annotated[int, Field(ge=1, le=10_000)] | SkipJsonSchema[None] = None


class ShowOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    hall_id: uuid.UUID
    venue_id: uuid.UUID
    title: str
    category: str
    tags: list[str]
    duration_minutes: int
    venue_name: str
    hall_name: str
    city: str
    time_zone: str = Field(description="The venue's time zone: show times are given in it")
    starts_at: datetime
    currency: str
    prices: dict[str, int]
    sales_start: datetime
    sales_end: datetime
    max_per_booking: int
    max_held_per_customer: int | None
    status: str


class ShowPage(BaseModel):
    items: list[ShowOut]
    total: int
    limit: int
    offset: int


class CancelIn(BaseModel):
    reason: Annotated[str, Field(max_length=500)] = "Cancelled by the organizer."


@router.post("/venues", status_code=201, response_model=VenueOut)
async def create_venue(
    body: VenueIn, user: Organizer, svc: CatalogDep, response: Response
) -> Venue:
    venue = await svc.create_venue(user, body.name, body.city, body.address, body.time_zone)
    response.headers["Location"] = f"/api/v1/venues/{venue.id}"
    return venue


@router.get("/venues", response_model=list[VenueOut])
async def list_venues(
    svc: CatalogDep,
    city: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Venue]:
    return await svc.list_venues(city, limit, offset)


@router.get("/venues/{venue_id}", response_model=VenueDetail, responses=problems(404))
async def get_venue(venue_id: uuid.UUID, svc: CatalogDep) -> VenueWithHalls:
    return await svc.get_venue(venue_id)


@router.post(
    "/venues/{venue_id}/halls", status_code=201, response_model=HallOut, responses=problems(404)
)
async def create_hall(
    venue_id: uuid.UUID, body: HallIn, user: Organizer, svc: CatalogDep, response: Response
) -> Hall:
    hall = await svc.create_hall(
        user, venue_id, body.name, body.section_specs(), body.grid_spec(), body.area_specs()
    )
    response.headers["Location"] = f"/api/v1/halls/{hall.id}"
    return hall


@router.get("/halls/{hall_id}", response_model=HallOut, responses=problems(404))
async def get_hall(hall_id: uuid.UUID, svc: CatalogDep) -> Hall:
    return await svc.get_hall(hall_id)


@router.post("/events", status_code=201, response_model=EventOut)
async def create_event(
    body: EventIn, user: Organizer, svc: CatalogDep, response: Response
) -> EventRow:
    event = await svc.create_event(user, **body.model_dump())
    response.headers["Location"] = f"/api/v1/events/{event.id}"
    return event


@router.get("/events", response_model=list[EventOut])
async def list_events(
    svc: CatalogDep,
    category: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[EventRow]:
    return await svc.list_events(category, q, limit, offset)


@router.get("/events/{event_id}", response_model=EventOut, responses=problems(404))
async def get_event(event_id: uuid.UUID, svc: CatalogDep) -> EventRow:
    return await svc.get_event(event_id)


@router.post("/shows", status_code=201, response_model=ShowOut, responses=problems(404))
async def create_show(
    body: ShowIn, user: Organizer, svc: CatalogDep, response: Response
) -> ShowView:
    show = await svc.create_show(user, NewShow(**body.model_dump()))
    response.headers["Location"] = f"/api/v1/shows/{show.id}"
    return show


@router.get("/shows", response_model=ShowPage)
async def browse_shows(
    svc: CatalogDep,
    user: OptionalUser,
    city: Annotated[str | None, Query(max_length=200)] = None,
    event_id: uuid.UUID | None = None,
    from_: Annotated[Instant | None, Query(alias="from")] = None,
    to: Instant | None = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    mine: Annotated[bool, Query(description="Organizers: my shows in every status")] = False,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    owner = user if mine and user is not None and user.has("organizer", "admin") else None
    page = await svc.browse(
        ShowFilter(city=city, event_id=event_id, start=from_, end=to, category=category),
        mine=owner,
        limit=limit,
        offset=offset,
    )
    # Shows as dicts (their own attributes, not copies): FastAPI validates a dict faster than an
    # object's attributes, and this is the most read list.
    items = [vars(show) for show in page.items]
    return {"items": items, "total": page.total, "limit": limit, "offset": offset}


@router.get("/shows/{show_id}", response_model=ShowOut, responses=problems(404))
async def get_show(show_id: uuid.UUID, user: OptionalUser, svc: CatalogDep) -> ShowView:
    return await svc.get_show(show_id, user)


@router.patch("/shows/{show_id}", response_model=ShowOut, responses=problems(404, 409))
async def update_show(
    show_id: uuid.UUID, body: ShowPatch, user: Organizer, svc: CatalogDep
) -> ShowView:
    changes = ShowChanges(**body.model_dump(exclude_unset=True))
    return await svc.update_show(user, show_id, changes)


@router.post("/shows/{show_id}/publish", response_model=ShowOut, responses=problems(404, 409))
async def publish_show(show_id: uuid.UUID, user: Organizer, svc: CatalogDep) -> ShowView:
    return await svc.publish(user, show_id)


@router.post("/shows/{show_id}/cancel", response_model=ShowOut, responses=problems(404, 409))
async def cancel_show(
    show_id: uuid.UUID, user: Organizer, svc: CatalogDep, body: CancelIn | None = None
) -> ShowView:
    return await svc.cancel(user, show_id, (body or CancelIn()).reason)


internal_router = APIRouter(
    prefix="/internal/catalog", include_in_schema=False, dependencies=[InternalCaller]
)


@internal_router.get("/shows/{show_id}/layout")
async def show_layout(show_id: uuid.UUID, svc: CatalogDep) -> Any:
    return dataclasses.asdict(await svc.show_layout(show_id))


@internal_router.get("/shows/{show_id}/details")
async def show_details(show_id: uuid.UUID, svc: CatalogDep) -> Any:
    return dataclasses.asdict(await svc.show_details(show_id))


@internal_router.get("/shows/{show_id}/owner")
async def show_owner(show_id: uuid.UUID, svc: CatalogDep) -> dict[str, uuid.UUID]:
    return {"owner_id": await svc.show_owner(show_id)}
