"""Notification rules: what a customer reads when their booking moves."""

from __future__ import annotations

import pytest

from boxoffice.notification.domain import message_for


def test_a_confirmed_booking_names_the_show_tickets_and_price() -> None:
    assert message_for(
        "booking.booking.confirmed",
        {"show_title": "Hamlet", "tickets": 3, "amount": 12050, "currency": "EUR"},
    ) == (
        "booking_confirmed",
        "Booked: Hamlet",
        "3 ticket(s) for 120.50 EUR. Your tickets are ready.",
    )


def test_a_failed_booking_passes_the_reason_on() -> None:
    assert message_for("booking.booking.failed", {"reason": "Payment failed: declined"}) == (
        "booking_failed",
        "Booking not completed",
        "Payment failed: declined",
    )


def test_a_cancelled_booking_passes_the_reason_on() -> None:
    kind, title, body = message_for("booking.booking.cancelled", {"reason": "Show cancelled"}) or (
        "",
        "",
        "",
    )
    assert (kind, title, body) == ("booking_cancelled", "Booking cancelled", "Show cancelled")


def test_a_refund_names_the_amount() -> None:
    message = message_for(
        "payment.payment.refunded", {"amount": 5, "currency": "GBP", "reason": "Cancelled."}
    )
    assert message == (
        "payment_refunded",
        "Refund issued",
        "0.05 GBP is on its way back to your card. Cancelled.",
    )


@pytest.mark.parametrize(
    "event_type",
    ["booking.booking.created", "payment.payment.completed", "identity.user.registered", ""],
)
def test_other_events_make_no_notification(event_type: str) -> None:
    assert message_for(event_type, {"amount": 100, "currency": "EUR", "reason": "x"}) is None
