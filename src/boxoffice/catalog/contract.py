"""What other services may know of the catalog: show layouts, its events, the client port."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from boxoffice.kernel.events import Event


@dataclass(frozen=True)
class LayoutSeat:
    id: int
    label: str
    section: str
    row: str
    category: str
    price: int
    x: float
    y: float
    blocked: bool


@dataclass(frozen=True)
class LayoutArea:
    id: int
    name: str
    category: str
    price: int
    capacity: int


@dataclass(frozen=True)
class ShowLayout:
    """A show as inventory sells it: every seat and GA area with its price (minor units)."""

    show_id: uuid.UUID
    status: str
    title: str
    starts_at: datetime
    currency: str
    sales_start: datetime
    sales_end: datetime
    max_per_booking: int
    seats: list[LayoutSeat]
    areas: list[LayoutArea]
    time_zone: str = "UTC"  # the venue's (IANA name)
    max_held_per_customer: int | None = None  # None: the installation's default


@dataclass(frozen=True)
class ShowDetails:
    """A show as a customer is told of it (a mail, a ticket): what, when, where."""

    show_id: uuid.UUID
    title: str
    starts_at: datetime
    duration_minutes: int
    time_zone: str  # the venue's (IANA name)
    venue_name: str
    city: str
    hall_name: str


class CatalogClient(Protocol):
    async def show_layout(self, show_id: uuid.UUID) -> ShowLayout: ...

    async def show_details(self, show_id: uuid.UUID) -> ShowDetails: ...

    async def show_owner(self, show_id: uuid.UUID) -> uuid.UUID:
        """The organizer who owns the show (for checks made by other services)."""
        ...


@dataclass(frozen=True)
class ShowPublished(Event):
    type = "catalog.show.published"
    show_id: str
    event_id: str
    title: str
    starts_at: str


@dataclass(frozen=True)
class ShowChanged(Event):
    type = "catalog.show.changed"
    show_id: str
    # When the start moved: both times (ISO 8601), for the ticket holders' mail; empty when
    # the change was another (prices, sales times) or from a producer before these fields.
    starts_at: str = ""
    previous_starts_at: str = ""


@dataclass(frozen=True)
class ShowCancelled(Event):
    type = "catalog.show.cancelled"
    show_id: str
    reason: str
