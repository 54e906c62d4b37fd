"""Catalog tables and queries: venues, halls with seats and GA areas, events and shows."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.catalog.domain import (
    AreaSpec,
    HallSeat,
    NewShow,
    ShowChanges,
    ShowStatus,
)
from boxoffice.kernel.db import new_id, utcnow
from boxoffice.kernel.messaging import Messaging

metadata = sa.MetaData(schema="catalog")
messaging = Messaging(metadata)


def _timestamps() -> list[sa.Column[object]]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)]


venues = sa.Table(
    "venues",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("city", sa.Text, nullable=False, index=True),
    sa.Column("address", sa.Text, nullable=False, server_default=""),
    sa.Column("time_zone", sa.Text, nullable=False, server_default="UTC"),  # IANA name
    *_timestamps(),
)

halls = sa.Table(
    "halls",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "venue_id", UUID(as_uuid=True), sa.ForeignKey(venues.c.id), nullable=False, index=True
    ),
    sa.Column("name", sa.Text, nullable=False),
    *_timestamps(),
)

seats = sa.Table(
    "seats",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("hall_id", UUID(as_uuid=True), sa.ForeignKey(halls.c.id), nullable=False),
    sa.Column("section", sa.Text, nullable=False),
    sa.Column("row", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("x", sa.Float, nullable=False),
    sa.Column("y", sa.Float, nullable=False),
    sa.Column("blocked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_catalog_seats_hall", "hall_id", "id"),
)

ga_areas = sa.Table(
    "ga_areas",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("hall_id", UUID(as_uuid=True), sa.ForeignKey(halls.c.id), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("category", sa.Text, nullable=False, index=True),
    sa.Column("duration_minutes", sa.Integer, nullable=False),
    sa.Column("tags", ARRAY(sa.Text), nullable=False),
    *_timestamps(),
)

shows = sa.Table(
    "shows",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
    sa.Column(
        "event_id", UUID(as_uuid=True), sa.ForeignKey(events.c.id), nullable=False, index=True
    ),
    sa.Column("hall_id", UUID(as_uuid=True), sa.ForeignKey(halls.c.id), nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("prices", JSONB, nullable=False),
    sa.Column("sales_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sales_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("max_per_booking", sa.Integer, nullable=False),
    # Places one customer may have in live holds and pending bookings; NULL: the default.
    sa.Column("max_held_per_customer", sa.Integer),
    sa.Column("status", sa.Text, nullable=False),
    *_timestamps(),
)


# -- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Venue:
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    city: str
    address: str
    time_zone: str  # IANA name
    created_at: datetime


@dataclass(frozen=True)
class HallSummary:
    id: uuid.UUID
    name: str
    seat_count: int


@dataclass(frozen=True)
class VenueWithHalls(Venue):
    halls: list[HallSummary]


@dataclass(frozen=True)
class Seat:
    id: int
    section: str
    row: str
    label: str
    category: str
    x: float
    y: float
    blocked: bool


@dataclass(frozen=True)
class GaArea:
    id: int
    name: str
    category: str
    capacity: int


@dataclass(frozen=True)
class Hall:
    id: uuid.UUID
    venue_id: uuid.UUID
    name: str
    seats: list[Seat]
    ga_areas: list[GaArea]


@dataclass(frozen=True)
class EventRow:
    """An event (a play, a concert) that shows are of."""

    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    description: str
    category: str
    duration_minutes: int
    tags: list[str]
    created_at: datetime


@dataclass(frozen=True)
class Show:
    """A show as its table has it."""

    id: uuid.UUID
    owner_id: uuid.UUID
    event_id: uuid.UUID
    hall_id: uuid.UUID
    starts_at: datetime
    currency: str
    prices: dict[str, int]
    sales_start: datetime
    sales_end: datetime
    max_per_booking: int
    max_held_per_customer: int | None
    status: ShowStatus
    created_at: datetime


# -- venues and halls ----------------------------------------------------------------------


async def add_venue(
    conn: AsyncConnection,
    owner_id: uuid.UUID,
    *,
    name: str,
    city: str,
    address: str,
    time_zone: str,
) -> Venue:
    row = (
        await conn.execute(
            sa.insert(venues)
            .values(
                id=new_id(),
                owner_id=owner_id,
                name=name,
                city=city,
                address=address,
                time_zone=time_zone,
                created_at=utcnow(),
            )
            .returning(venues)
        )
    ).one()
    return Venue(**row._mapping)


async def list_venues(
    conn: AsyncConnection, city: str | None, limit: int, offset: int
) -> list[Venue]:
    """Venues by name, of a city (any case) if given."""
    query = sa.select(venues).order_by(venues.c.name, venues.c.id).limit(limit).offset(offset)
    if city:
        query = query.where(sa.func.lower(venues.c.city) == city.lower())
    return [Venue(**r._mapping) for r in (await conn.execute(query)).all()]


async def venue(
    conn: AsyncConnection, venue_id: uuid.UUID, *, for_update: bool = False
) -> Venue | None:
    query = sa.select(venues).where(venues.c.id == venue_id)
    row = (await conn.execute(query.with_for_update() if for_update else query)).first()
    return None if row is None else Venue(**row._mapping)


async def venue_halls(conn: AsyncConnection, venue_id: uuid.UUID) -> list[HallSummary]:
    """A venue's halls by name, with their seat counts."""
    rows = await conn.execute(
        sa.select(halls.c.id, halls.c.name, sa.func.count(seats.c.id).label("seat_count"))
        .select_from(halls.outerjoin(seats))
        .where(halls.c.venue_id == venue_id)
        .group_by(halls.c.id)
        .order_by(halls.c.name)
    )
    return [HallSummary(**h._mapping) for h in rows.all()]


async def add_hall(
    conn: AsyncConnection,
    venue_id: uuid.UUID,
    name: str,
    layout: Sequence[HallSeat],
    areas: Sequence[AreaSpec],
) -> uuid.UUID:
    hall_id = new_id()
    await conn.execute(
        sa.insert(halls).values(id=hall_id, venue_id=venue_id, name=name, created_at=utcnow())
    )
    if layout:
        await conn.execute(sa.insert(seats), [{**vars(s), "hall_id": hall_id} for s in layout])
    if areas:
        await conn.execute(sa.insert(ga_areas), [{**vars(a), "hall_id": hall_id} for a in areas])
    return hall_id


async def hall(conn: AsyncConnection, hall_id: uuid.UUID) -> Hall | None:
    """A hall with its seats and GA areas, each in the order they were drawn."""
    row = (await conn.execute(sa.select(halls).where(halls.c.id == hall_id))).first()
    if row is None:
        return None
    return Hall(
        id=row.id,
        venue_id=row.venue_id,
        name=row.name,
        seats=await hall_seats(conn, hall_id),
        ga_areas=await hall_areas(conn, hall_id),
    )


async def hall_seats(conn: AsyncConnection, hall_id: uuid.UUID) -> list[Seat]:
    rows = await conn.execute(
        sa.select(*(c for c in seats.c if c.name != "hall_id"))
        .where(seats.c.hall_id == hall_id)
        .order_by(seats.c.id)
    )
    return [Seat(**s._mapping) for s in rows.all()]


async def hall_areas(conn: AsyncConnection, hall_id: uuid.UUID) -> list[GaArea]:
    rows = await conn.execute(
        sa.select(*(c for c in ga_areas.c if c.name != "hall_id"))
        .where(ga_areas.c.hall_id == hall_id)
        .order_by(ga_areas.c.id)
    )
    return [GaArea(**a._mapping) for a in rows.all()]


async def hall_owner(conn: AsyncConnection, hall_id: uuid.UUID) -> uuid.UUID | None:
    """The organizer who owns the hall's venue."""
    owner = await conn.execute(
        sa.select(venues.c.owner_id)
        .join(halls, halls.c.venue_id == venues.c.id)
        .where(halls.c.id == hall_id)
    )
    return owner.scalar_one_or_none()


async def hall_categories(conn: AsyncConnection, hall_id: uuid.UUID) -> set[str] | None:
    """The seat and GA categories a hall has (to be priced), or None for no such hall."""
    hall = (await conn.execute(sa.select(halls.c.id).where(halls.c.id == hall_id))).first()
    if hall is None:
        return None
    cats = await conn.execute(
        sa.select(seats.c.category)
        .where(seats.c.hall_id == hall_id)
        .distinct()
        .union(sa.select(ga_areas.c.category).where(ga_areas.c.hall_id == hall_id))
    )
    return {c for (c,) in cats}


# -- events --------------------------------------------------------------------------------


async def add_event(
    conn: AsyncConnection,
    owner_id: uuid.UUID,
    *,
    title: str,
    description: str,
    category: str,
    duration_minutes: int,
    tags: list[str],
) -> EventRow:
    row = (
        await conn.execute(
            sa.insert(events)
            .values(
                id=new_id(),
                owner_id=owner_id,
                created_at=utcnow(),
                title=title,
                description=description,
                category=category,
                duration_minutes=duration_minutes,
                tags=tags,
            )
            .returning(events)
        )
    ).one()
    return EventRow(**row._mapping)


async def event(conn: AsyncConnection, event_id: uuid.UUID) -> EventRow | None:
    row = (await conn.execute(sa.select(events).where(events.c.id == event_id))).first()
    return None if row is None else EventRow(**row._mapping)


async def list_events(
    conn: AsyncConnection, category: str | None, q: str | None, limit: int, offset: int
) -> list[EventRow]:
    """Events by title, of a category and with `q` in the title (any case) if given."""
    query = sa.select(events).order_by(events.c.title, events.c.id).limit(limit).offset(offset)
    if category:
        query = query.where(events.c.category == category)
    if q:
        query = query.where(events.c.title.icontains(q, autoescape=True))
    return [EventRow(**r._mapping) for r in (await conn.execute(query)).all()]


# -- shows ---------------------------------------------------------------------------------


def _show(row: sa.Row[Any]) -> Show:
    return Show(**{**row._mapping, "status": ShowStatus(row.status)})


async def add_show(conn: AsyncConnection, owner_id: uuid.UUID, show: NewShow) -> uuid.UUID:
    show_id = new_id()
    await conn.execute(
        sa.insert(shows).values(
            id=show_id,
            owner_id=owner_id,
            status=ShowStatus.DRAFT.value,
            created_at=utcnow(),
            **dataclasses.asdict(show),
        )
    )
    return show_id


async def locked_show(conn: AsyncConnection, show_id: uuid.UUID) -> Show | None:
    """The show, locked for a change until the transaction ends."""
    row = (
        await conn.execute(sa.select(shows).where(shows.c.id == show_id).with_for_update())
    ).first()
    return None if row is None else _show(row)


async def show_owner(conn: AsyncConnection, show_id: uuid.UUID) -> uuid.UUID | None:
    owner = await conn.execute(sa.select(shows.c.owner_id).where(shows.c.id == show_id))
    return owner.scalar_one_or_none()


async def change_show(conn: AsyncConnection, show_id: uuid.UUID, changes: ShowChanges) -> None:
    values = {k: v for k, v in dataclasses.asdict(changes).items() if v is not None}
    await conn.execute(sa.update(shows).where(shows.c.id == show_id).values(**values))


async def set_show_status(conn: AsyncConnection, show_id: uuid.UUID, status: ShowStatus) -> None:
    await conn.execute(sa.update(shows).where(shows.c.id == show_id).values(status=status.value))
