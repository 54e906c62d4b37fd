"""The public show list: its query, and the short-lived cache an on-sale crowd reads from."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.catalog.domain import ShowStatus
from boxoffice.catalog.store import SHOW_VIEW, ShowView, events, show_view_of, shows, venues

# The public show list is what an on-sale crowd reads most, and it changes only when an organizer
# writes: answers are kept this long, and dropped at once when this process commits a change
# (another catalog replica's change shows after at most this long).
BROWSE_CACHE_SECONDS = 2.0
BROWSE_CACHE_ENTRIES = 1000


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
    query = SHOW_VIEW
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
    return ShowPage([show_view_of(r) for r in rows.all()], int(total))


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
