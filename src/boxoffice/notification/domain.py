"""Notification rules: what a customer is told when their booking moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.booking.contract import BookingCancelled, BookingConfirmed, BookingFailed
from boxoffice.catalog.contract import ShowChanged
from boxoffice.inventory.contract import WaitlistOffered
from boxoffice.kernel.errors import InvalidRequest
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


# What a customer is told of, and by which channels. A transactional mail (their tickets, what
# became of their money, their account) cannot be turned off; everything else can, per channel.
CHANNELS = ("email", "sms", "in_app")
KINDS: dict[str, tuple[str, bool]] = {  # kind → (what it is, transactional)
    "booking_confirmed": ("Your tickets, when a booking is confirmed", True),
    "booking_failed": ("A booking that did not go through", True),
    "booking_cancelled": ("A booking cancelled", True),
    "payment_refunded": ("A refund", True),
    "show_changed": ("A show of yours moves to another time", False),
    "waitlist_offer": ("Places offered from a waiting list", False),
}
# By SMS only what is worth a text: the tickets, a show that moves, an offer that lapses soon.
SMS_KINDS = frozenset({"booking_confirmed", "show_changed", "waitlist_offer"})


class LockedPreference(InvalidRequest):
    """A transactional mail cannot be turned off."""


class UnknownKind(InvalidRequest):
    pass


def wanted(prefs: dict[str, dict[str, bool]], kind: str, channel: str) -> bool:
    """Whether the customer gets this kind on this channel (unset: yes, SMS: no)."""
    if channel == "email" and KINDS.get(kind, ("", True))[1]:
        return True
    if channel == "sms" and kind not in SMS_KINDS:
        return False
    return prefs.get(kind, {}).get(channel, channel != "sms")


def changed_preferences(
    prefs: dict[str, dict[str, bool]], changes: dict[str, dict[str, bool]]
) -> dict[str, dict[str, bool]]:
    out = {k: dict(v) for k, v in prefs.items()}
    for kind, channels in changes.items():
        if kind not in KINDS:
            raise UnknownKind(f"No notification kind {kind!r}.", kind=kind)
        for channel, on in channels.items():
            if channel == "email" and KINDS[kind][1] and not on:
                raise LockedPreference(
                    f"The mail for {kind} is transactional: it cannot be turned off.", kind=kind
                )
            if channel == "sms" and kind not in SMS_KINDS and on:
                raise UnknownKind(f"There is no SMS for {kind}.", kind=kind)
            out.setdefault(kind, {})[channel] = on
    return out
