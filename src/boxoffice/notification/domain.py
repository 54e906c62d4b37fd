"""Notification rules: what a customer is told when their booking moves."""

from __future__ import annotations

from dataclasses import dataclass

from boxoffice.booking.contract import BookingCancelled, BookingConfirmed, BookingFailed
from boxoffice.payment.contract import PaymentRefunded

# The events a customer hears of: each one makes one in-app notification.
NotifiedEvent = BookingConfirmed | BookingFailed | BookingCancelled | PaymentRefunded


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
