"""Notification rules: what a customer reads when their booking moves, one message per event
kind, and the consumer's table that routes those kinds (and only those) to the service."""

from __future__ import annotations

from typing import cast

from boxoffice.booking.contract import BookingCancelled, BookingConfirmed, BookingFailed
from boxoffice.inventory.contract import WaitlistOffered
from boxoffice.kernel.events import Envelope
from boxoffice.kernel.messaging import UnitOfWork
from boxoffice.notification.domain import Message, NotifiedEvent, message_for
from boxoffice.notification.handlers import event_handlers
from boxoffice.notification.service import NotificationService
from boxoffice.payment.contract import PaymentRefunded

IDS = {"booking_id": "b-1", "user_id": "u-1", "show_id": "s-1"}


def test_a_confirmed_booking_names_the_show_tickets_and_price() -> None:
    event = BookingConfirmed(**IDS, show_title="Hamlet", amount=12050, currency="EUR", tickets=3)
    assert message_for(event) == Message(
        "booking_confirmed",
        "Booked: Hamlet",
        "3 ticket(s) for 120.50 EUR. Your tickets are ready.",
    )


def test_a_failed_booking_passes_the_reason_on() -> None:
    event = BookingFailed(**IDS, hold_id="h-1", status="FAILED", reason="Payment failed: declined")
    assert message_for(event) == Message(
        "booking_failed", "Booking not completed", "Payment failed: declined"
    )


def test_a_cancelled_booking_passes_the_reason_on() -> None:
    event = BookingCancelled(**IDS, hold_id="h-1", reason="Show cancelled")
    assert message_for(event) == Message("booking_cancelled", "Booking cancelled", "Show cancelled")


def test_a_refund_names_the_amount() -> None:
    event = PaymentRefunded(
        payment_id="p-1",
        booking_id="b-1",
        user_id="u-1",
        amount=5,
        currency="GBP",
        reason="Cancelled.",
    )
    assert message_for(event) == Message(
        "payment_refunded", "Refund issued", "0.05 GBP is on its way back to your card. Cancelled."
    )


class RecordingService(NotificationService):
    """The service with its write replaced by a list: what the consumer hands it."""

    def __init__(self) -> None:
        self.events: list[tuple[UnitOfWork, NotifiedEvent]] = []

    async def on_event(self, uow: UnitOfWork, event: NotifiedEvent) -> None:
        self.events.append((uow, event))


async def test_the_consumer_decodes_each_booking_event_kind_into_its_contract_class() -> None:
    svc = RecordingService()
    tables = event_handlers(svc)
    assert set(tables) == {
        "notification-bookings",
        "notification-waitlist",
        "notification-identity",
        "notification-catalog",
    }
    table = tables["notification-bookings"]
    events: list[NotifiedEvent] = [
        BookingConfirmed(**IDS, show_title="Hamlet", amount=100, currency="EUR", tickets=1),
        BookingFailed(**IDS, hold_id="h-1", status="FAILED", reason="declined"),
        BookingCancelled(**IDS, hold_id="h-1", reason="Show cancelled"),
        PaymentRefunded(
            payment_id="p-1", booking_id="b-1", user_id="u-1", amount=100, currency="EUR",
            reason="Cancelled.",
        ),
    ]  # fmt: skip
    assert set(table) == {e.type for e in events}
    uow = cast(UnitOfWork, object())
    for event in events:
        await table[event.type](uow, Envelope.of(event, producer="test"))
    assert svc.events == [(uow, e) for e in events]


async def test_a_waiting_list_offer_is_decoded_and_told_with_its_places_and_deadline() -> None:
    svc = RecordingService()
    table = event_handlers(svc)["notification-waitlist"]
    offer = WaitlistOffered(
        show_id="s-1", user_id="u-1", hold_id="h-1", show_title="Hamlet",
        places=["A-1", "A-2"], expires_at="2026-12-02T19:40:00+00:00",
    )  # fmt: skip
    uow = cast(UnitOfWork, object())
    await table[offer.type](uow, Envelope.of(offer, producer="test"))
    assert svc.events == [(uow, offer)]
    message = message_for(offer)
    assert message.kind == "waitlist_offer"
    assert "Hamlet" in message.title
    assert "A-1, A-2" in message.body and "19:40 UTC" in message.body
