"""Catalog rules: seat layouts, shows, prices and sales windows."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from boxoffice.kernel.errors import Conflict, Forbidden, InvalidRequest, NotFound

MAX_SEATS_PER_HALL = 100_000


class UnknownVenue(NotFound):
    title = "Unknown venue"


class UnknownHall(NotFound):
    title = "Unknown hall"


class UnknownEvent(NotFound):
    title = "Unknown event"


class UnknownShow(NotFound):
    title = "Unknown show"


class NotYours(Forbidden):
    title = "Not yours"


class InvalidLayout(InvalidRequest):
    title = "Invalid seat layout"


class InvalidVenue(InvalidRequest):
    title = "Invalid venue"


class InvalidShow(InvalidRequest):
    title = "Invalid show"


class ShowStateConflict(Conflict):
    title = "Show state conflict"


def check_show_times(starts_at: datetime, sales_start: datetime, sales_end: datetime) -> None:
    if sales_end <= sales_start:
        raise InvalidShow("The sales window must end after it starts.")
    if sales_end > starts_at:
        raise InvalidShow("Sales must end before the show starts.")


def check_time_zone(name: str) -> str:
    """An IANA time zone name (Europe/Berlin), as venues give their show times."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidVenue(f"{name!r} is not a time zone name such as Europe/Berlin.") from exc
    return name


def check_prices(categories: set[str], prices: Mapping[str, int]) -> None:
    missing = sorted(categories - set(prices))
    if missing:
        raise InvalidShow(f"No price for seat categories: {', '.join(missing)}.")
    if any(p < 0 for p in prices.values()):
        raise InvalidShow("Prices cannot be negative.")


class ShowStatus(StrEnum):
    """A show is drafted, published (on sale within its sales window), or cancelled for good."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    def publish(self) -> ShowStatus:
        """draft → published."""
        if self is not ShowStatus.DRAFT:
            raise ShowStateConflict(f"A {self} show cannot be published.")
        return ShowStatus.PUBLISHED

    def cancel(self) -> ShowStatus:
        """draft | published → cancelled."""
        if self is ShowStatus.CANCELLED:
            raise ShowStateConflict(f"A {self} show cannot be cancelled.")
        return ShowStatus.CANCELLED

    def check_change(self) -> None:
        """A draft or a published show may change (the published one tells who sells it)."""
        if self is ShowStatus.CANCELLED:
            raise ShowStateConflict("A cancelled show cannot be changed.")


@dataclass(frozen=True)
class NewShow:
    """A show as an organizer drafts it: prices per seat category in minor units."""

    event_id: uuid.UUID
    hall_id: uuid.UUID
    starts_at: datetime
    currency: str
    prices: Mapping[str, int]
    sales_start: datetime
    sales_end: datetime
    max_per_booking: int
    max_held_per_customer: int | None = None  # None: the installation's default


@dataclass(frozen=True)
class ShowChanges:
    """A change to a show: None keeps a field (a patch cannot store null)."""

    starts_at: datetime | None = None
    prices: Mapping[str, int] | None = None
    sales_start: datetime | None = None
    sales_end: datetime | None = None
    max_per_booking: int | None = None
    max_held_per_customer: int | None = None


# -- layouts: what an organizer draws, and the seats it makes ---------------------------------


@dataclass(frozen=True)
class SeatSpec:
    label: str  # within its row: "1" makes seat A1 of row A
    category: str
    x: float | None = None  # None: its place in the row
    y: float | None = None  # None: its row's place in the section
    blocked: bool = False


@dataclass(frozen=True)
class RowSpec:
    label: str
    seats: Sequence[SeatSpec]


@dataclass(frozen=True)
class SectionSpec:
    name: str
    rows: Sequence[RowSpec]


@dataclass(frozen=True)
class GridSpec:
    """Rows A, B, C… each with seats 1..seats_per_row, in one category unless a row has its own."""

    rows: int
    seats_per_row: int
    section: str = "Stalls"
    category: str = "standard"
    row_categories: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AreaSpec:
    """A general-admission area: places without seats, up to its capacity."""

    name: str
    category: str
    capacity: int


@dataclass(frozen=True)
class HallSeat:
    """One seat of a hall's layout, where the seat map draws it."""

    section: str
    row: str
    label: str
    category: str
    x: float
    y: float
    blocked: bool = False


def expand_layout(sections: Sequence[SectionSpec], grid: GridSpec | None) -> list[HallSeat]:
    """Seats of a hall from explicit sections → rows → seats, plus an optional rows×seats grid."""
    result: list[HallSeat] = []
    for section in sections:
        for r, row in enumerate(section.rows):
            for s, seat in enumerate(row.seats):
                result.append(
                    HallSeat(
                        section=section.name,
                        row=row.label,
                        label=f"{row.label}{seat.label}",
                        category=seat.category,
                        x=seat.x if seat.x is not None else float(s),
                        y=seat.y if seat.y is not None else float(r),
                        blocked=seat.blocked,
                    )
                )
    if grid is not None:
        for r in range(grid.rows):
            label = row_label(r)
            category = grid.row_categories.get(label, grid.category)
            for s in range(grid.seats_per_row):
                result.append(
                    HallSeat(grid.section, label, f"{label}{s + 1}", category, float(s), float(r))
                )
    if len(result) > MAX_SEATS_PER_HALL:
        raise InvalidLayout(f"A hall has at most {MAX_SEATS_PER_HALL} seats.")
    labels = [(s.section, s.label) for s in result]
    if len(set(labels)) != len(labels):
        raise InvalidLayout("Seat labels must be unique within a section.")
    return result


def row_label(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: row names as venues print them."""
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = chr(65 + rem) + label
    return label
