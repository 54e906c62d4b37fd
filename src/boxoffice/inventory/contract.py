"""What other services may know of inventory: hold views, the client port and its events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from boxoffice.kernel.events import Event


@dataclass(frozen=True)
class HeldSeat:
    seat_id: int
    label: str
    section: str
    row: str
    category: str
    price: int


@dataclass(frozen=True)
class HeldPlaces:
    area_id: int
    name: str
    category: str
    quantity: int
    price: int


@dataclass(frozen=True)
class HoldView:
    hold_id: str
    show_id: uuid.UUID
    user_id: uuid.UUID
    expires_at: datetime
    currency: str
    seats: list[HeldSeat]
    areas: list[HeldPlaces]
    show_title: str
    show_starts_at: datetime
    booking_id: uuid.UUID | None = None
    time_zone: str = "UTC"  # the venue's

    @property
    def total(self) -> int:
        return sum(s.price for s in self.seats) + sum(a.price * a.quantity for a in self.areas)


class InventoryClient(Protocol):
    async def attach_hold(
        self, hold_id: str, user_id: uuid.UUID, booking_id: uuid.UUID, extend_seconds: float
    ) -> HoldView:
        """Tie a live hold to a booking and keep it alive while the payment runs."""
        ...

    async def sell_hold(self, hold_id: str, booking_id: uuid.UUID) -> bool:
        """Turn the booking's hold into sold places; False if the hold was lost."""
        ...


@dataclass(frozen=True)
class SeatsSold(Event):
    type = "inventory.seats.sold"
    show_id: str
    booking_id: str
    seat_ids: list[int]


@dataclass(frozen=True)
class SeatsReleased(Event):
    """A failed or cancelled booking gave back its hold and what it had bought."""

    type = "inventory.seats.released"
    show_id: str
    booking_id: str
    seat_ids: list[int]  # sold seats given back
    hold_id: str = ""
    ga: list[dict[str, int]] = field(default_factory=list)  # sold places: area_id, quantity
    user_id: str = ""  # the booking's customer ("" in events written before it was sent)


@dataclass(frozen=True)
class WaitlistOffered(Event):
    """Places came back to a sold-out show and are held for the next customer on its waiting
    list until `expires_at` (ISO 8601): they book the hold as any other."""

    type = "inventory.waitlist.offered"
    show_id: str
    user_id: str
    hold_id: str
    show_title: str
    places: list[str]  # seat labels or "2 × Standing"
    expires_at: str
