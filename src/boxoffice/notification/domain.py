"""Notification rules: what a customer is told when their booking moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.booking.contract import BookingCancelled, BookingConfirmed, BookingFailed
from boxoffice.catalog.contract import ShowChanged
from boxoffice.inventory.contract import WaitlistOffered
from boxoffice.payment.contract import PaymentRefunded

# The events a customer hears of: each one makes one in-app notification.
NotifiedEvent = (
    BookingConfirmed | BookingFailed | BookingCancelled | PaymentRefunded | WaitlistOffered
)


@dataclass(frozen=True)
class Message:
    """An in-app notification's text: kind (a stable key for clients), title and body."""

    kind: str
    title: str
    body: str


def price(amount: int, currency: str) -> str:
    """Minor units as a customer reads them: 12050, EUR → 120.50 EUR."""
    return f"{amount / 100:.2f} {currency}"


def message_for(event: NotifiedEvent) -> Message:
    match event:
        case BookingConfirmed():
            return Message(
                "booking_confirmed",
                f"Booked: {event.show_title}",
                f"{event.tickets} ticket(s) for {price(event.amount, event.currency)}. "
                "Your tickets are ready.",
            )
        case BookingFailed():
            return Message("booking_failed", "Booking not completed", event.reason)
        case BookingCancelled():
            return Message("booking_cancelled", "Booking cancelled", event.reason)
        case PaymentRefunded():
            return Message(
                "payment_refunded",
                "Refund issued",
                f"{price(event.amount, event.currency)} is on its way back to your card. "
                f"{event.reason}",
            )
        case WaitlistOffered():
            until = datetime.fromisoformat(event.expires_at).strftime("%H:%M UTC")
            return Message(
                "waitlist_offer",
                f"Tickets for you: {event.show_title}",
                f"{', '.join(event.places)} came back and are held for you until {until}. "
                "Book them from the show's page before then; after that they go to the next "
                "person on the waiting list.",
            )


def show_moved_message(event: ShowChanged) -> Message:
    when = datetime.fromisoformat(event.starts_at).strftime("%d %b %Y, %H:%M UTC")
    return Message(
        "show_changed",
        "Your show has a new time",
        f"It now starts {when}. Your tickets stay valid; if the new time does not suit you, "
        "you can cancel the booking for a refund.",
    )
