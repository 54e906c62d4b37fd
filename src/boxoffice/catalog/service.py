"""Catalog use cases: organizers build venues, halls, events and shows; everyone browses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.catalog import store as queries
from boxoffice.catalog.browse import (
    ShowFilter,
    ShowListCache,
    ShowPage,
    ShowView,
    browse_shows,
    show_view,
)
from boxoffice.catalog.contract import (
    LayoutArea,
    LayoutSeat,
    ShowCancelled,
    ShowChanged,
    ShowDetails,
    ShowLayout,
    ShowPublished,
)
from boxoffice.catalog.domain import (
    AreaSpec,
    GridSpec,
    InvalidLayout,
    NewShow,
    NotYours,
    SectionSpec,
    ShowChanges,
    ShowStatus,
    UnknownEvent,
    UnknownHall,
    UnknownShow,
    UnknownVenue,
    check_prices,
    check_show_times,
    check_time_zone,
    expand_layout,
)
from boxoffice.catalog.store import EventRow, Hall, Show, Venue, VenueWithHalls
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork


def _owned(owner_id: uuid.UUID, user: Principal, what: str) -> None:
    if owner_id != user.user_id and not user.is_admin:
        raise NotYours(f"This {what} belongs to another organizer.")


def _can_see(show: Show, user: Principal | None) -> bool:
    """Published and cancelled shows are public; a draft only to its owner and admins."""
    if show.status is not ShowStatus.DRAFT:
        return True
    return user is not None and (show.owner_id == user.user_id or user.is_admin)


class CatalogService:
    def __init__(self, store: ServiceStore) -> None:
        self.store = store
        self._browsed = ShowListCache()

    def _uow(self) -> UnitOfWork:
        """A unit of work for a change: the cached show lists go once it commits."""
        uow = self.store.uow()
        uow.then(self._browsed.clear)
        return uow

    # -- venues and halls ---------------------------------------------------------------

    async def create_venue(
        self, user: Principal, name: str, city: str, address: str, time_zone: str = "UTC"
    ) -> Venue:
        check_time_zone(time_zone)
        async with self._uow() as uow:
            return await queries.add_venue(
                uow.conn, user.user_id, name=name, city=city, address=address, time_zone=time_zone
            )

    async def list_venues(self, city: str | None, limit: int, offset: int) -> list[Venue]:
        async with self.store.engine.connect() as conn:
            return await queries.list_venues(conn, city, limit, offset)

    async def get_venue(self, venue_id: uuid.UUID) -> VenueWithHalls:
        async with self.store.engine.connect() as conn:
            venue = await queries.venue(conn, venue_id)
            if venue is None:
                raise UnknownVenue(f"No venue {venue_id}.")
            halls = await queries.venue_halls(conn, venue_id)
        return VenueWithHalls(**vars(venue), halls=halls)

    async def create_hall(
        self,
        user: Principal,
        venue_id: uuid.UUID,
        name: str,
        sections: Sequence[SectionSpec],
        grid: GridSpec | None,
        areas: Sequence[AreaSpec],
    ) -> Hall:
        layout = expand_layout(sections, grid)
        if not layout and not areas:
            raise InvalidLayout("A hall needs seats (sections or grid) or general-admission areas.")
        async with self._uow() as uow:
            venue = await queries.venue(uow.conn, venue_id, for_update=True)
            if venue is None:
                raise UnknownVenue(f"No venue {venue_id}.")
            _owned(venue.owner_id, user, "venue")
            hall_id = await queries.add_hall(uow.conn, venue_id, name, layout, areas)
        return await self.get_hall(hall_id)

    async def get_hall(self, hall_id: uuid.UUID) -> Hall:
        async with self.store.engine.connect() as conn:
            hall = await queries.hall(conn, hall_id)
        if hall is None:
            raise UnknownHall(f"No hall {hall_id}.")
        return hall

    # -- events -------------------------------------------------------------------------

    async def create_event(
        self,
        user: Principal,
        *,
        title: str,
        description: str,
        category: str,
        duration_minutes: int,
        tags: list[str],
    ) -> EventRow:
        async with self._uow() as uow:
            return await queries.add_event(
                uow.conn,
                user.user_id,
                title=title,
                description=description,
                category=category,
                duration_minutes=duration_minutes,
                tags=tags,
            )

    async def get_event(self, event_id: uuid.UUID) -> EventRow:
        async with self.store.engine.connect() as conn:
            event = await queries.event(conn, event_id)
        if event is None:
            raise UnknownEvent(f"No event {event_id}.")
        return event

    async def list_events(
        self, category: str | None, q: str | None, limit: int, offset: int
    ) -> list[EventRow]:
        async with self.store.engine.connect() as conn:
            return await queries.list_events(conn, category, q, limit, offset)

    # -- shows --------------------------------------------------------------------------

    async def create_show(self, user: Principal, show: NewShow) -> ShowView:
        check_show_times(show.starts_at, show.sales_start, show.sales_end)
        async with self._uow() as uow:
            event = await queries.event(uow.conn, show.event_id)
            if event is None:
                raise UnknownEvent(f"No event {show.event_id}.")
            _owned(event.owner_id, user, "event")
            hall_owner = await queries.hall_owner(uow.conn, show.hall_id)
            if hall_owner is None:
                raise UnknownHall(f"No hall {show.hall_id}.")
            _owned(hall_owner, user, "hall")
            show_id = await queries.add_show(uow.conn, user.user_id, show)
        return await self.get_show(show_id, user)

    async def get_show(self, show_id: uuid.UUID, user: Principal | None) -> ShowView:
        async with self.store.engine.connect() as conn:
            show = await show_view(conn, show_id)
        if show is None or not _can_see(show, user):
            raise UnknownShow(f"No show {show_id}.")
        return show

    async def browse(
        self, where: ShowFilter, *, mine: Principal | None, limit: int, offset: int
    ) -> ShowPage:
        """The public list (published shows), or an organizer's own shows in every status
        (an admin's: everyone's), which are never cached."""
        if mine is None:
            cached = self._browsed.get(where, limit, offset)
            if cached is not None:
                return cached
        async with self.store.engine.connect() as conn:
            page = await browse_shows(
                conn,
                where,
                owner_id=None if mine is None or mine.is_admin else mine.user_id,
                published_only=mine is None,
                limit=limit,
                offset=offset,
            )
        if mine is None:
            self._browsed.put(where, limit, offset, page)
        return page

    async def update_show(
        self, user: Principal, show_id: uuid.UUID, changes: ShowChanges
    ) -> ShowView:
        async with self._uow() as uow:
            show = await self._locked_show(uow.conn, user, show_id)
            show.status.check_change()
            check_show_times(
                changes.starts_at or show.starts_at,
                changes.sales_start or show.sales_start,
                changes.sales_end or show.sales_end,
            )
            if show.status is ShowStatus.PUBLISHED:
                prices = show.prices if changes.prices is None else changes.prices
                check_prices(await self._categories(uow.conn, show.hall_id), prices)
            await queries.change_show(uow.conn, show_id, changes)
            if show.status is ShowStatus.PUBLISHED:
                moved = changes.starts_at is not None and changes.starts_at != show.starts_at
                uow.emit(
                    ShowChanged(
                        show_id=str(show_id),
                        starts_at=changes.starts_at.isoformat()
                        if moved and changes.starts_at
                        else "",
                        previous_starts_at=show.starts_at.isoformat() if moved else "",
                    )
                )
        return await self.get_show(show_id, user)

    async def _locked_show(
        self, conn: AsyncConnection, user: Principal, show_id: uuid.UUID
    ) -> Show:
        show = await queries.locked_show(conn, show_id)
        if show is None or not _can_see(show, user):
            raise UnknownShow(f"No show {show_id}.")
        _owned(show.owner_id, user, "show")
        return show

    @staticmethod
    async def _categories(conn: AsyncConnection, hall_id: uuid.UUID) -> set[str]:
        return await queries.hall_categories(conn, hall_id) or set()

    async def publish(self, user: Principal, show_id: uuid.UUID) -> ShowView:
        async with self._uow() as uow:
            show = await self._locked_show(uow.conn, user, show_id)
            status = show.status.publish()
            check_prices(await self._categories(uow.conn, show.hall_id), show.prices)
            await queries.set_show_status(uow.conn, show_id, status)
            event = await queries.event(uow.conn, show.event_id)
            assert event is not None  # a show's event is never deleted
            uow.emit(
                ShowPublished(
                    show_id=str(show_id),
                    event_id=str(show.event_id),
                    title=event.title,
                    starts_at=show.starts_at.isoformat(),
                )
            )
        return await self.get_show(show_id, user)

    async def cancel(self, user: Principal, show_id: uuid.UUID, reason: str) -> ShowView:
        async with self._uow() as uow:
            show = await self._locked_show(uow.conn, user, show_id)
            await queries.set_show_status(uow.conn, show_id, show.status.cancel())
            uow.emit(ShowCancelled(show_id=str(show_id), reason=reason))
        return await self.get_show(show_id, user)

    # -- contract -----------------------------------------------------------------------

    async def show_owner(self, show_id: uuid.UUID) -> uuid.UUID:
        async with self.store.engine.connect() as conn:
            owner = await queries.show_owner(conn, show_id)
        if owner is None:
            raise UnknownShow(f"No show {show_id}.")
        return owner

    async def show_details(self, show_id: uuid.UUID) -> ShowDetails:
        async with self.store.engine.connect() as conn:
            show = await show_view(conn, show_id)
        if show is None:
            raise UnknownShow(f"No show {show_id}.")
        return ShowDetails(
            show_id=show.id,
            title=show.title,
            starts_at=show.starts_at,
            duration_minutes=show.duration_minutes,
            time_zone=show.time_zone,
            venue_name=show.venue_name,
            city=show.city,
            hall_name=show.hall_name,
        )

    async def show_layout(self, show_id: uuid.UUID) -> ShowLayout:
        async with self.store.engine.connect() as conn:
            show = await show_view(conn, show_id)
            if show is None:
                raise UnknownShow(f"No show {show_id}.")
            seats = await queries.hall_seats(conn, show.hall_id)
            areas = await queries.hall_areas(conn, show.hall_id)
        prices = show.prices
        return ShowLayout(
            show_id=show.id,
            status=show.status.value,
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
                for s in seats
            ],
            areas=[
                LayoutArea(
                    id=a.id,
                    name=a.name,
                    category=a.category,
                    price=prices.get(a.category, 0),
                    capacity=a.capacity,
                )
                for a in areas
            ],
        )
