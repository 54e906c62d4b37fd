"""Shows as browsing reads them (with their event, venue and hall): one show, the public show
list, and the short-lived cache of that list an on-sale crowd reads from."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.catalog.domain import ShowStatus
from boxoffice.catalog.store import Show, events, halls, shows, venues

# The public show list is what an on-sale crowd reads most, and it changes only when an organizer
# writes: answers are kept this long, and dropped at once when this process commits a change
# (another catalog replica's change shows after at most this long).
BROWSE_CACHE_SECONDS = 2.0
BROWSE_CACHE_ENTRIES = 1000


@dataclass(frozen=True)
class ShowView(Show):
    """A show with what browsing shows of its event, venue and hall."""

    title: str
    category: str
    tags: list[str]
    duration_minutes: int
    venue_name: str
    city: str
    time_zone: str
    hall_name: str
    venue_id: uuid.UUID


# A show with its event, venue and hall, as every read of shows answers it.
_SHOW_VIEW = (
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


def _show_view(row: sa.Row[Any]) -> ShowView:
    return ShowView(**{**row._mapping, "status": ShowStatus(row.status)})


async def show_view(conn: AsyncConnection, show_id: uuid.UUID) -> ShowView | None:
    row = (await conn.execute(_SHOW_VIEW.where(shows.c.id == show_id))).first()
    return None if row is None else _show_view(row)


@dataclass(frozen=True)
class ShowFilter:
    """Which shows a list holds (each filter only if given)."""

    city: str | None = None
    event_id: uuid.UUID | None = None
    start: datetime | None = None  # starts at or after
    end: datetime | None = None  # starts before
    category: str | None = None


@dataclass(frozen=True)
class ShowPage:
    items: list[ShowView]
    total: int  # of the whole list, every page


async def browse_shows(
    conn: AsyncConnection,
    where: ShowFilter,
    *,
    owner_id: uuid.UUID | None,
    published_only: bool,
    limit: int,
    offset: int,
) -> ShowPage:
    """Shows by start time: of one owner if given, only published ones if asked."""
    query = _SHOW_VIEW
    if owner_id is not None:
        query = query.where(shows.c.owner_id == owner_id)
    if published_only:
        query = query.where(shows.c.status == ShowStatus.PUBLISHED.value)
    if where.city:
        query = query.where(sa.func.lower(venues.c.city) == where.city.lower())
    if where.event_id:
        query = query.where(shows.c.event_id == where.event_id)
    if where.start:
        query = query.where(shows.c.starts_at >= where.start)
    if where.end:
        query = query.where(shows.c.starts_at < where.end)
    if where.category:
        query = query.where(events.c.category == where.category)
    total = (
        await conn.execute(sa.select(sa.func.count()).select_from(query.subquery()))
    ).scalar_one()
    rows = await conn.execute(
        query.order_by(shows.c.starts_at, shows.c.id).limit(limit).offset(offset)
    )
    return ShowPage([_show_view(r) for r in rows.all()], int(total))


class ShowListCache:
    """Pages of the public show list by filter and page, each kept BROWSE_CACHE_SECONDS; all
    dropped by clear() (a committed change) or when BROWSE_CACHE_ENTRIES are kept."""

    def __init__(self) -> None:
        self._pages: dict[tuple[ShowFilter, int, int], tuple[float, ShowPage]] = {}

    def get(self, where: ShowFilter, limit: int, offset: int) -> ShowPage | None:
        kept = self._pages.get((where, limit, offset))
        if kept is not None and time.monotonic() - kept[0] < BROWSE_CACHE_SECONDS:
            return kept[1]
        return None

    def put(self, where: ShowFilter, limit: int, offset: int, page: ShowPage) -> None:
        if len(self._pages) >= BROWSE_CACHE_ENTRIES:
            self._pages.clear()
        self._pages[where, limit, offset] = (time.monotonic(), page)

    def clear(self) -> None:
        self._pages.clear()
