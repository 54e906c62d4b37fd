"""Payment event consumers: charge for new bookings, refund the ones that ended."""

from __future__ import annotations

from boxoffice.booking.contract import BookingCancelled, BookingCreated, BookingFailed
from boxoffice.kernel.messaging import HandlerTable
from boxoffice.payment.service import PaymentService


def event_handlers(svc: PaymentService) -> dict[str, HandlerTable]:
    return {
        "payment-bookings": HandlerTable()
        .on(BookingCreated, svc.on_booking_created)
        .on(BookingFailed, svc.on_booking_ended)
        .on(BookingCancelled, svc.on_booking_ended),
    }
