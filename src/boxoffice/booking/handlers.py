"""Booking event consumers: the saga advances on payment outcomes, refunds and show
cancellations."""

from __future__ import annotations

from boxoffice.booking.service import BookingService
from boxoffice.kernel.messaging import EventHandler


def event_handlers(svc: BookingService) -> dict[str, dict[str, EventHandler]]:
    return {
        "booking-saga": {
            "payment.payment.completed": svc.on_payment_completed,
            "payment.payment.failed": svc.on_payment_failed,
        },
        "booking-shows": {
            "catalog.show.cancelled": svc.on_show_cancelled,
        },
        "booking-refunds": {
            "payment.payment.refunded": svc.on_payment_refunded,
        },
    }
