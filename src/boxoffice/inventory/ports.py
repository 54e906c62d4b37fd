"""The hold store as the inventory service sees it: the operations and their typed answers.

The Redis Lua adapter (holdstore.HoldStore) implements it; tests/fakes_inventory.py holds an
in-memory fake with the same semantics, and tests/contract/test_holdstore_contract.py runs the
same tests against both."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from boxoffice.inventory.domain import HoldState, SeatState

Places = tuple[tuple[int, int], ...]  # general-admission places: (area_id, quantity)


@dataclass(frozen=True)
class ShowMeta:
    """What the hold store checks of a show before it holds, attaches or sells."""

    status: str
    sales_start: datetime
    sales_end: datetime
    max_per_booking: int


@dataclass(frozen=True)
class HoldAsk:
    """A hold to place: every seat and place or none, for `ttl_ms`. `idempotency_key` (the
    client's, scoped to the customer and show) answers a repeat with the first hold; at most
    `places_per_customer` places in live holds and pending bookings of the show. The prices are
    the ones quoted, kept with the hold (aligned with `seat_ids` and `ga`)."""

    hold_id: str
    customer: str
    ttl_ms: int
    seat_ids: tuple[int, ...]
    ga: Places
    idempotency_key: str | None
    places_per_customer: int
    seat_prices: tuple[int, ...]
    area_prices: tuple[int, ...]
    admitted: bool = False  # the customer showed a valid pass of the show's waiting room
    pass_entry: str = ""  # that pass's queue entry: spent once a booking of the hold is sold


@dataclass(frozen=True)
class RoomRule:
    """What the hold store enforces of a show's waiting room: from `opens` on, a hold needs a
    pass; `max_tickets` (None: no limit) caps the places one customer holds, awaits payment
    for and has bought, together."""

    opens: datetime
    max_tickets: int | None = None


@dataclass(frozen=True)
class RoomCounters:
    """The admission job's measurements of a show (monotonic counts): bookings sold, and
    holds granted and refused for want of places while its waiting room was open."""

    sold: int
    granted: int
    refused: int


@dataclass(frozen=True)
class HoldRecord:
    """A hold as stored: alive, being paid for, or sold. Prices are None for holds made before
    prices were kept with the hold."""

    customer: str
    seat_ids: tuple[int, ...]
    ga: Places
    places: int
    seat_prices: tuple[int, ...] | None
    area_prices: tuple[int, ...] | None
    state: HoldState
    expires_at: datetime
    booking_id: uuid.UUID | None


@dataclass(frozen=True)
class SeatStates:
    """A show's version and seat states, read at one moment."""

    version: int
    seats: Mapping[int, SeatState]  # seats not listed are available

    def state(self, seat_id: int) -> SeatState:
        return self.seats.get(seat_id, SeatState.AVAILABLE)


# -- answers: each operation answers one of a few of these -------------------------------------


@dataclass(frozen=True)
class Held:
    expires_at: datetime


@dataclass(frozen=True)
class Repeat:
    """The idempotency key was used for this same request: its hold."""

    hold_id: str


@dataclass(frozen=True)
class KeyReused:
    """The idempotency key was used for other seats."""


@dataclass(frozen=True)
class Taken:
    seat_ids: tuple[int, ...]


@dataclass(frozen=True)
class UnknownSeats:
    seat_ids: tuple[int, ...]


@dataclass(frozen=True)
class UnknownArea:
    area_id: int


@dataclass(frozen=True)
class AreaFull:
    area_id: int
    left: int


@dataclass(frozen=True)
class OverBookingLimit:
    """More places than one booking of the show may take."""

    limit: int


@dataclass(frozen=True)
class OverCustomerLimit:
    """More places than one customer may have held or awaiting payment for the show."""

    limit: int


@dataclass(frozen=True)
class Closed:
    """The show is not published (draft, cancelled)."""

    status: str


@dataclass(frozen=True)
class OffSale:
    """Outside the show's sales window."""

    sales_start: datetime
    sales_end: datetime


@dataclass(frozen=True)
class AdmissionNeeded:
    """The show's waiting room is open and the customer showed no valid pass."""


@dataclass(frozen=True)
class PassSpent:
    """The pass admitted a booking session that has bought: it holds no more."""


@dataclass(frozen=True)
class OverTicketLimit:
    """More tickets than the waiting room lets one customer have (held, pending, bought)."""

    limit: int
    have: int


@dataclass(frozen=True)
class Unloaded:
    """The store has no copy of the show (never loaded, or lost): load it and ask again."""


@dataclass(frozen=True)
class Missing:
    """No such hold (never made, released, or gone)."""


@dataclass(frozen=True)
class NotYours:
    pass


@dataclass(frozen=True)
class AlreadySold:
    pass


@dataclass(frozen=True)
class Expired:
    pass


@dataclass(frozen=True)
class AttachedElsewhere:
    booking_id: uuid.UUID


@dataclass(frozen=True)
class Attached:
    expires_at: datetime


@dataclass(frozen=True)
class SoldPlaces:
    seat_ids: tuple[int, ...]
    ga: Places
    customer: str


@dataclass(frozen=True)
class BookingReleased:
    """The booking was released before: it sells nothing."""


@dataclass(frozen=True)
class Freed:
    """A release: how many seats went back on sale."""

    seats: int


@dataclass(frozen=True)
class ReleasedBefore:
    """This booking's release ran before; nothing changed."""


HoldAnswer = (
    Held
    | Repeat
    | KeyReused
    | Taken
    | UnknownSeats
    | UnknownArea
    | AreaFull
    | OverBookingLimit
    | OverCustomerLimit
    | Closed
    | OffSale
    | AdmissionNeeded
    | PassSpent
    | OverTicketLimit
    | Unloaded
)
ReleaseAnswer = Freed | Missing | NotYours | AlreadySold
AttachAnswer = (
    Attached | Closed | OffSale | Missing | NotYours | AttachedElsewhere | AlreadySold | Expired
)
SellAnswer = SoldPlaces | Closed | BookingReleased | Missing | AttachedElsewhere | Expired
ReleaseBookingAnswer = Freed | ReleasedBefore


class HoldStorePort(Protocol):
    """Holds, seat states and general-admission places of every show, changed atomically per
    operation; every change bumps the show's version (refusals do not)."""

    async def load(
        self,
        show_id: uuid.UUID,
        meta: ShowMeta,
        synced: datetime,
        seats: Mapping[int, SeatState],
        areas: Mapping[int, tuple[int, int]],
        room: RoomRule | None = None,
        bought: Mapping[str, int] | None = None,
    ) -> None:
        """Write a show's inventory from PostgreSQL (`areas`: capacity, sold): available seats
        only where the store has nothing (live holds survive a reload); sold and blocked always
        win. `meta` is written unless a copy synced later is stored (see set_meta); the
        waiting room's rule (see set_room) and the places sold per customer before the show
        counts as loaded."""
        ...

    async def set_room(self, show_id: uuid.UUID, room: RoomRule | None) -> None:
        """Enforce the show's waiting room (None: the show has no room)."""
        ...

    async def counters(self, show_id: uuid.UUID) -> RoomCounters: ...

    async def set_meta(self, show_id: uuid.UUID, meta: ShowMeta, synced: datetime) -> bool:
        """Copy a show's status and sales window, unless a copy synced later is stored; True
        if written."""
        ...

    async def hold(self, show_id: uuid.UUID, ask: HoldAsk) -> HoldAnswer: ...

    async def release(
        self, show_id: uuid.UUID, hold_id: str, customer: str | None
    ) -> ReleaseAnswer:
        """End an unsold hold; `customer` None: anyone's (the saga)."""
        ...

    async def attach(
        self, show_id: uuid.UUID, hold_id: str, customer: str, booking_id: uuid.UUID, extend_ms: int
    ) -> AttachAnswer:
        """Tie a live hold to one booking and keep it alive at least `extend_ms` more."""
        ...

    async def sell(self, show_id: uuid.UUID, hold_id: str, booking_id: uuid.UUID) -> SellAnswer:
        """Turn the booking's live hold into sold places (again the same answer on a repeat)."""
        ...

    async def release_booking(
        self,
        show_id: uuid.UUID,
        hold_id: str,
        booking_id: uuid.UUID,
        sold_seats: tuple[int, ...],
        sold_ga: Places,
        customer: str = "",
    ) -> ReleaseBookingAnswer:
        """A booking failed or was cancelled: free its hold, held or sold, or else (the hold is
        gone) the places PostgreSQL had sold it (to `customer`, whose count of places bought
        goes down). Changes the store once per booking."""
        ...

    async def close(self, show_id: uuid.UUID) -> int:
        """The show was cancelled: end every unsold hold; how many ended."""
        ...

    async def purge(self, show_id: uuid.UUID) -> int:
        """End some holds whose time is up; how many ended."""
        ...

    async def record(self, show_id: uuid.UUID, hold_id: str) -> HoldRecord | None: ...

    async def states(self, show_id: uuid.UUID) -> SeatStates:
        """Version 0 while the show is not loaded."""
        ...

    async def version(self, show_id: uuid.UUID) -> int:
        """The show's version; 0 while it is not loaded (never, or the store lost it)."""
        ...

    async def ga_used(self, show_id: uuid.UUID) -> dict[int, int]:
        """Places held or sold per general-admission area."""
        ...

    async def lease(self, name: str, ms: int) -> bool:
        """True for the one caller that takes the named lease until it lapses."""
        ...

    async def live_holds(self, show_ids: list[uuid.UUID]) -> int: ...

    async def active_shows(self) -> list[uuid.UUID]: ...
