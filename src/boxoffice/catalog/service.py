"""Catalog use cases: organizers build venues, halls, events and shows; everyone browses."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from boxoffice.catalog.contract import (
    LayoutArea,
    LayoutSeat,
    ShowCancelled,
    ShowChanged,
    ShowLayout,
    ShowPublished,
)
from boxoffice.catalog.domain import (
    InvalidLayout,
    NotYours,
    ShowStateConflict,
    UnknownEvent,
    UnknownHall,
    UnknownShow,
    UnknownVenue,
    check_prices,
    check_show_times,
    check_time_zone,
    next_status,
    row_label,
)
from boxoffice.catalog.store import events, ga_areas, halls, seats, shows, venues
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.db import new_id, utcnow
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork

MAX_SEATS_PER_HALL = 100_000


def _owned(row: Any, user: Principal, what: str) -> None:
    if row.owner_id != user.user_id and not user.is_admin:
        raise NotYours(f"This {what} belongs to another organizer.")


def expand_layout(
    sections: list[dict[str, Any]], grid: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Seats of a hall from explicit sections → rows → seats, plus an optional rows×seats grid."""
    result: list[dict[str, Any]] = []
    for section in sections:
        for r, row in enumerate(section["rows"]):
            for s, seat in enumerate(row["seats"]):
                result.append(
                    {
                        "section": section["name"],
                        "row": row["label"],
                        "label": f"{row['label']}{seat['label']}",
                        "category": seat["category"],
                        "x": seat["x"] if seat.get("x") is not None else float(s),
                        "y": seat["y"] if seat.get("y") is not None else float(r),
                        "blocked": bool(seat.get("blocked", False)),
                    }
                )
    if grid:
        categories = grid.get("row_categories") or {}
        for r in range(grid["rows"]):
            label = row_label(r)
            for s in range(grid["seats_per_row"]):
                result.append(
                    {
                        "section": grid.get("section", "Stalls"),
                        "row": label,
                        "label": f"{label}{s + 1}",
                        "category": categories.get(label, grid.get("category", "standard")),
                        "x": float(s),
                        "y": float(r),
                        "blocked": False,
                    }
                )
    if len(result) > MAX_SEATS_PER_HALL:
        raise InvalidLayout(f"A hall has at most {MAX_SEATS_PER_HALL} seats.")
    labels = [(s["section"], s["label"]) for s in result]
    if len(set(labels)) != len(labels):
        raise InvalidLayout("Seat labels must be unique within a section.")
    return result


# The public show list is what an on-sale crowd reads most, and it changes only when an organizer
# writes: answers are kept this long, and dropped at once when this process commits a change
# (another catalog replica's change shows after at most this long).
BROWSE_CACHE_SECONDS = 2.0
BROWSE_CACHE_ENTRIES = 1000


class CatalogService:
    def __init__(self, store: ServiceStore) -> None:
        self.store = store
        self._browsed: dict[tuple[Any, ...], tuple[float, list[dict[str, Any]], int]] = {}

    def _uow(self) -> UnitOfWork:
        """A unit of work for a change: the cached show lists go once it commits."""
        uow = self.store.uow()
        uow.then(self._browsed.clear)
        return uow

    # -- venues and halls ---------------------------------------------------------------

    async def create_venue(
        self, user: Principal, name: str, city: str, address: str, time_zone: str = "UTC"
    ) -> dict[str, Any]:
        check_time_zone(time_zone)
        async with self._uow() as uow:
            row = (
                await uow.execute(
                    sa.insert(venues)
                    .values(
                        id=new_id(),
                        owner_id=user.user_id,
                        name=name,
                        city=city,
                        address=address,
                        time_zone=time_zone,
                        created_at=utcnow(),
                    )
                    .returning(venues)
                )
            ).one()
        return dict(row._mapping)

    async def list_venues(self, city: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        query = sa.select(venues).order_by(venues.c.name, venues.c.id).limit(limit).offset(offset)
        if city:
            query = query.where(sa.func.lower(venues.c.city) == city.lower())
        async with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(query)).all()]

    async def get_venue(self, venue_id: uuid.UUID) -> dict[str, Any]:
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(sa.select(venues).where(venues.c.id == venue_id))).first()
            if row is None:
                raise UnknownVenue(f"No venue {venue_id}.")
            hall_rows = (
                await conn.execute(
                    sa.select(
                        halls.c.id, halls.c.name, sa.func.count(seats.c.id).label("seat_count")
                    )
                    .select_from(halls.outerjoin(seats))
                    .where(halls.c.venue_id == venue_id)
                    .group_by(halls.c.id)
                    .order_by(halls.c.name)
                )
            ).all()
        return {**row._mapping, "halls": [dict(h._mapping) for h in hall_rows]}

    async def create_hall(
        self,
        user: Principal,
        venue_id: uuid.UUID,
        name: str,
        sections: list[dict[str, Any]],
        grid: dict[str, Any] | None,
        areas: list[dict[str, Any]],
    ) -> dict[str, Any]:
        layout = expand_layout(sections, grid)
        if not layout and not areas:
            raise InvalidLayout("A hall needs seats (sections or grid) or general-admission areas.")
        async with self._uow() as uow:
            venue = (
                await uow.execute(
                    sa.select(venues).where(venues.c.id == venue_id).with_for_update()
                )
            ).first()
            if venue is None:
                raise UnknownVenue(f"No venue {venue_id}.")
            _owned(venue, user, "venue")
            hall_id = new_id()
            await uow.execute(
                sa.insert(halls).values(
                    id=hall_id, venue_id=venue_id, name=name, created_at=utcnow()
                )
            )
            if layout:
                await uow.execute(sa.insert(seats), [{**s, "hall_id": hall_id} for s in layout])
            if areas:
                await uow.execute(sa.insert(ga_areas), [{**a, "hall_id": hall_id} for a in areas])
        return await self.get_hall(hall_id)

    async def get_hall(self, hall_id: uuid.UUID) -> dict[str, Any]:
        async with self.store.engine.connect() as conn:
            hall = (await conn.execute(sa.select(halls).where(halls.c.id == hall_id))).first()
            if hall is None:
                raise UnknownHall(f"No hall {hall_id}.")
            seat_rows = (
                await conn.execute(
                    sa.select(seats).where(seats.c.hall_id == hall_id).order_by(seats.c.id)
                )
            ).all()
            area_rows = (
                await conn.execute(
                    sa.select(ga_areas).where(ga_areas.c.hall_id == hall_id).order_by(ga_areas.c.id)
                )
            ).all()
        return {
            **hall._mapping,
            "seats": [dict(s._mapping) for s in seat_rows],
            "ga_areas": [dict(a._mapping) for a in area_rows],
        }

    # -- events -------------------------------------------------------------------------

    async def create_event(self, user: Principal, data: dict[str, Any]) -> dict[str, Any]:
        async with self._uow() as uow:
            row = (
                await uow.execute(
                    sa.insert(events)
                    .values(id=new_id(), owner_id=user.user_id, created_at=utcnow(), **data)
                    .returning(events)
                )
            ).one()
        return dict(row._mapping)

    async def get_event(self, event_id: uuid.UUID) -> dict[str, Any]:
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(sa.select(events).where(events.c.id == event_id))).first()
        if row is None:
            raise UnknownEvent(f"No event {event_id}.")
        return dict(row._mapping)

    async def list_events(
        self, category: str | None, q: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        query = sa.select(events).order_by(events.c.title, events.c.id).limit(limit).offset(offset)
        if category:
            query = query.where(events.c.category == category)
        if q:
            query = query.where(events.c.title.icontains(q, autoescape=True))
        async with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(query)).all()]

    # -- shows --------------------------------------------------------------------------

    async def create_show(self, user: Principal, data: dict[str, Any]) -> dict[str, Any]:
        check_show_times(data["starts_at"], data["sales_start"], data["sales_end"])
        async with self._uow() as uow:
            event = (
                await uow.execute(sa.select(events).where(events.c.id == data["event_id"]))
            ).first()
            if event is None:
                raise UnknownEvent(f"No event {data['event_id']}.")
            _owned(event, user, "event")
            venue = (
                await uow.execute(
                    sa.select(venues.c.owner_id)
                    .join(halls, halls.c.venue_id == venues.c.id)
                    .where(halls.c.id == data["hall_id"])
                )
            ).first()
            if venue is None:
                raise UnknownHall(f"No hall {data['hall_id']}.")
            _owned(venue, user, "hall")
            show_id = new_id()
            await uow.execute(
                sa.insert(shows).values(
                    id=show_id, owner_id=user.user_id, status="draft", created_at=utcnow(), **data
                )
            )
        return await self.get_show(show_id, user)

    async def _hall_categories(self, uow: UnitOfWork, hall_id: uuid.UUID) -> set[str] | None:
        hall = (await uow.execute(sa.select(halls.c.id).where(halls.c.id == hall_id))).first()
        if hall is None:
            return None
        cats = await uow.execute(
            sa.select(seats.c.category)
            .where(seats.c.hall_id == hall_id)
            .distinct()
            .union(sa.select(ga_areas.c.category).where(ga_areas.c.hall_id == hall_id))
        )
        return {c for (c,) in cats}

    def _show_query(self) -> sa.Select[Any]:
        return (
            sa.select(
                shows,
                events.c.title,
                events.c.category,
                events.c.tags,
                events.c.duration_minutes,
                venues.c.name.label("venue_name"),
                venues.c.city,
                venues.c.time_zone,
                halls.c.name.label("hall_name"),
                halls.c.venue_id,
            )
            .join(events, events.c.id == shows.c.event_id)
            .join(halls, halls.c.id == shows.c.hall_id)
            .join(venues, venues.c.id == halls.c.venue_id)
        )

    async def get_show(self, show_id: uuid.UUID, user: Principal | None) -> dict[str, Any]:
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(self._show_query().where(shows.c.id == show_id))).first()
        if row is None or (row.status == "draft" and not _can_see_draft(row, user)):
            raise UnknownShow(f"No show {show_id}.")
        return dict(row._mapping)

    async def browse(
        self,
        *,
        city: str | None,
        event_id: uuid.UUID | None,
        start: datetime | None,
        end: datetime | None,
        category: str | None,
        mine: Principal | None,
        limit: int,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int]:
        key = (city, event_id, start, end, category, limit, offset)
        if mine is None:
            cached = self._browsed.get(key)
            if cached is not None and time.monotonic() - cached[0] < BROWSE_CACHE_SECONDS:
                return cached[1], cached[2]
        query = self._show_query()
        if mine is not None:
            if not mine.is_admin:
                query = query.where(shows.c.owner_id == mine.user_id)
        else:
            query = query.where(shows.c.status == "published")
        if city:
            query = query.where(sa.func.lower(venues.c.city) == city.lower())
        if event_id:
            query = query.where(shows.c.event_id == event_id)
        if start:
            query = query.where(shows.c.starts_at >= start)
        if end:
            query = query.where(shows.c.starts_at < end)
        if category:
            query = query.where(events.c.category == category)
        async with self.store.engine.connect() as conn:
            total = (
                await conn.execute(sa.select(sa.func.count()).select_from(query.subquery()))
            ).scalar_one()
            rows = (
                await conn.execute(
                    query.order_by(shows.c.starts_at, shows.c.id).limit(limit).offset(offset)
                )
            ).all()
        items = [dict(r._mapping) for r in rows]
        if mine is None:
            if len(self._browsed) >= BROWSE_CACHE_ENTRIES:
                self._browsed.clear()
            self._browsed[key] = (time.monotonic(), items, int(total))
        return items, int(total)

    async def update_show(
        self, user: Principal, show_id: uuid.UUID, changes: dict[str, Any]
    ) -> dict[str, Any]:
        async with self._uow() as uow:
            row = await self._locked_show(uow, user, show_id)
            if row.status == "cancelled":
                raise ShowStateConflict("A cancelled show cannot be changed.")
            merged = {**row._mapping, **changes}
            check_show_times(merged["starts_at"], merged["sales_start"], merged["sales_end"])
            if row.status == "published":
                cats = await self._hall_categories(uow, row.hall_id) or set()
                check_prices(cats, merged["prices"])
            await uow.execute(sa.update(shows).where(shows.c.id == show_id).values(**changes))
            if row.status == "published":
                uow.emit(ShowChanged(show_id=str(show_id)))
        return await self.get_show(show_id, user)

    async def _locked_show(self, uow: UnitOfWork, user: Principal, show_id: uuid.UUID) -> Any:
        row = (
            await uow.execute(sa.select(shows).where(shows.c.id == show_id).with_for_update())
        ).first()
        if row is None or (row.status == "draft" and not _can_see_draft(row, user)):
            raise UnknownShow(f"No show {show_id}.")
        _owned(row, user, "show")
        return row

    async def publish(self, user: Principal, show_id: uuid.UUID) -> dict[str, Any]:
        async with self._uow() as uow:
            row = await self._locked_show(uow, user, show_id)
            status = next_status(row.status, "publish")
            check_prices(await self._hall_categories(uow, row.hall_id) or set(), row.prices)
            await uow.execute(sa.update(shows).where(shows.c.id == show_id).values(status=status))
            event = (await uow.execute(sa.select(events).where(events.c.id == row.event_id))).one()
            uow.emit(
                ShowPublished(
                    show_id=str(show_id),
                    event_id=str(row.event_id),
                    title=event.title,
                    starts_at=row.starts_at.isoformat(),
                )
            )
        return await self.get_show(show_id, user)

    async def cancel(self, user: Principal, show_id: uuid.UUID, reason: str) -> dict[str, Any]:
        async with self._uow() as uow:
            row = await self._locked_show(uow, user, show_id)
            status = next_status(row.status, "cancel")
            await uow.execute(sa.update(shows).where(shows.c.id == show_id).values(status=status))
            uow.emit(ShowCancelled(show_id=str(show_id), reason=reason))
        return await self.get_show(show_id, user)

    # -- contract -----------------------------------------------------------------------

    async def show_owner(self, show_id: uuid.UUID) -> uuid.UUID:
        async with self.store.engine.connect() as conn:
            owner = (
                await conn.execute(sa.select(shows.c.owner_id).where(shows.c.id == show_id))
            ).scalar_one_or_none()
        if owner is None:
            raise UnknownShow(f"No show {show_id}.")
        return uuid.UUID(str(owner))

    async def show_layout(self, show_id: uuid.UUID) -> ShowLayout:
        async with self.store.engine.connect() as conn:
            show = (await conn.execute(self._show_query().where(shows.c.id == show_id))).first()
            if show is None:
                raise UnknownShow(f"No show {show_id}.")
            seat_rows = (
                await conn.execute(
                    sa.select(seats).where(seats.c.hall_id == show.hall_id).order_by(seats.c.id)
                )
            ).all()
            area_rows = (
                await conn.execute(sa.select(ga_areas).where(ga_areas.c.hall_id == show.hall_id))
            ).all()
        prices: dict[str, int] = show.prices
        return ShowLayout(
            show_id=show.id,
            status=show.status,
            title=show.title,
            starts_at=show.starts_at,
            currency=show.currency,
            sales_start=show.sales_start,
            sales_end=show.sales_end,
            max_per_booking=show.max_per_booking,
            time_zone=show.time_zone,
            max_held_per_customer=show.max_held_per_customer,
            seats=[
                LayoutSeat(
                    id=s.id,
                    label=s.label,
                    section=s.section,
                    row=s.row,
                    category=s.category,
                    price=prices.get(s.category, 0),
                    x=s.x,
                    y=s.y,
                    blocked=s.blocked,
                )
                for s in seat_rows
            ],
            areas=[
                LayoutArea(
                    id=a.id,
                    name=a.name,
                    category=a.category,
                    price=prices.get(a.category, 0),
                    capacity=a.capacity,
                )
                for a in area_rows
            ],
        )


def _can_see_draft(row: Any, user: Principal | None) -> bool:
    return user is not None and (row.owner_id == user.user_id or user.is_admin)
