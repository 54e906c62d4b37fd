"""Payment event consumers: charge for new bookings, refund the ones that ended."""

from __future__ import annotations

from boxoffice.kernel.messaging import EventHandler
from boxoffice.payment.service import PaymentService


def event_handlers(svc: PaymentService) -> dict[str, dict[str, EventHandler]]:
    return {
        "payment-bookings": {
            "booking.booking.created": svc.on_booking_created,
            "booking.booking.failed": svc.on_booking_ended,
            "booking.booking.cancelled": svc.on_booking_ended,
        },
    }
