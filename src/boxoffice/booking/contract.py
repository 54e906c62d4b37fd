"""What other services may know of bookings: the saga's events."""

from __future__ import annotations

from dataclasses import dataclass, field

from boxoffice.kernel.events import Event


@dataclass(frozen=True)
class BookingCreated(Event):
    type = "booking.booking.created"
    booking_id: str
    user_id: str
    show_id: str
    hold_id: str
    amount: int
    currency: str
    payment_method: str
    payment_token: str


@dataclass(frozen=True)
class BookingConfirmed(Event):
    type = "booking.booking.confirmed"
    booking_id: str
    user_id: str
    show_id: str
    show_title: str
    amount: int
    currency: str
    tickets: int
    # What the confirmation mail tells and carries (empty from producers before them): the
    # show's start and the venue's time zone, and each ticket's place and signed code.
    starts_at: str = ""
    time_zone: str = "UTC"
    ticket_labels: list[str] = field(default_factory=list)
    ticket_codes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BookingFailed(Event):
    """The saga gave up (declined, timed out, seats lost): release, refund, tell the user."""

    type = "booking.booking.failed"
    booking_id: str
    user_id: str
    show_id: str
    hold_id: str
    status: str
    reason: str


@dataclass(frozen=True)
class BookingCancelled(Event):
    type = "booking.booking.cancelled"
    booking_id: str
    user_id: str
    show_id: str
    hold_id: str
    reason: str
