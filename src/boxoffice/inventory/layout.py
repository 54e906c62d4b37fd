"""The layout cache: each show's static inventory (layout, prices) and its drawn seat maps,
kept in the process for a few seconds and for a bounded number of shows."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TypeVar

from boxoffice.inventory.domain import UnknownShow
from boxoffice.inventory.store import AreaRow, SeatRow, ShowRow, read_areas, read_seats, read_show
from boxoffice.kernel.messaging import ServiceStore

log = logging.getLogger(__name__)

SHOW_CACHE_SECONDS = 5.0
# Shows whose layout and seat maps a process keeps. A show costs about 1 KB per seat (its rows,
# its JSON seat map and the gzipped copy): ~20 MB for a 20,000-seat arena, under 1 MB for a
# club. 64 shows bound a process to ~1.3 GB with arenas only, and cover every show of an
# on-sale many times over; a show dropped from the cache is read again from PostgreSQL.
SHOW_CACHE_SIZE = 64


K = TypeVar("K")
V = TypeVar("V")


class LRU(OrderedDict[K, V]):
    """A dict that forgets its least recently used entries beyond `size`."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_fresh(self, key: K) -> V | None:
        """The entry, now the most recently used; None if absent."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)

    def setdefault(self, key: K, default: V) -> V:
        value = self.get_fresh(key)
        if value is None:
            self[key] = value = default
        return value


@dataclass
class ShowData:
    """A show's static inventory, with its seat maps as drawn for one version."""

    row: ShowRow
    seats: dict[int, SeatRow]
    areas: dict[int, AreaRow]
    loaded_at: float
    rendered: dict[int, bytes] = field(default_factory=dict)  # seat map bodies by version
    compressed: dict[int, bytes] = field(default_factory=dict)  # the same, gzipped


class Layouts:
    def __init__(self, store: ServiceStore, size: int = SHOW_CACHE_SIZE) -> None:
        self.store = store
        self._shows: LRU[uuid.UUID, ShowData] = LRU(size)
        # One reader per show refreshes its cached layout; the others wait for it (a crowd
        # arriving at a 20,000-seat show would otherwise read it once each, all at the same
        # moment). A lock dropped from its bound while held only lets a second reader in.
        self._locks: LRU[uuid.UUID, asyncio.Lock] = LRU(size)
        self._refreshing: dict[uuid.UUID, asyncio.Task[None]] = {}

    def forget(self, show_id: uuid.UUID) -> None:
        self._shows.pop(show_id, None)

    def clear(self) -> None:
        self._shows.clear()

    async def show(self, show_id: uuid.UUID) -> ShowData:
        cached = self._shows.get_fresh(show_id)
        if cached is not None:
            # A layout older than SHOW_CACHE_SECONDS is still answered at once and refreshed
            # in the background: callers such as a booking's attach_hold hold a database
            # connection of their own, and hundreds of them waiting for a second one to
            # refresh the layout would empty the pool and wait on each other.
            if time.monotonic() - cached.loaded_at >= SHOW_CACHE_SECONDS:
                self._refresh_later(show_id)
            return cached
        async with self._locks.setdefault(show_id, asyncio.Lock()):
            cached = self._shows.get(show_id)
            if cached is not None:
                return cached
            return await self._refresh(show_id, None)

    def _refresh_later(self, show_id: uuid.UUID) -> None:
        if show_id in self._refreshing:
            return

        async def refresh() -> None:
            try:
                async with self._locks.setdefault(show_id, asyncio.Lock()):
                    await self._refresh(show_id, self._shows.get(show_id))
            except Exception:
                log.exception("refreshing show %s failed; keeping the cached layout", show_id)
            finally:
                self._refreshing.pop(show_id, None)

        self._refreshing[show_id] = asyncio.create_task(refresh())

    async def _refresh(self, show_id: uuid.UUID, cached: ShowData | None) -> ShowData:
        async with self.store.engine.connect() as conn:
            row = await read_show(conn, show_id)
            if row is None:
                raise UnknownShow(f"No show {show_id} is on sale.")
            if cached is not None and cached.row.updated_at == row.updated_at:
                cached.loaded_at = time.monotonic()
                return cached
            seats = await read_seats(conn, show_id)
            areas = await read_areas(conn, show_id)
        data = ShowData(
            row=row,
            seats={s.seat_id: s for s in seats},
            areas={a.area_id: a for a in areas},
            loaded_at=time.monotonic(),
        )
        self._shows[show_id] = data
        return data
