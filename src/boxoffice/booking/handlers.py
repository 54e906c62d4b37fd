"""Booking event consumers: the saga advances on payment outcomes, refunds and show
cancellations."""

from __future__ import annotations

from boxoffice.booking.service import BookingService
from boxoffice.catalog.contract import ShowCancelled
from boxoffice.kernel.messaging import HandlerTable
from boxoffice.payment.contract import PaymentCompleted, PaymentFailed, PaymentRefunded


def event_handlers(svc: BookingService) -> dict[str, HandlerTable]:
    return {
        "booking-saga": HandlerTable()
        .on(PaymentCompleted, svc.on_payment_completed)
        .on(PaymentFailed, svc.on_payment_failed),
        "booking-shows": HandlerTable().on(ShowCancelled, svc.on_show_cancelled),
        "booking-refunds": HandlerTable().on(PaymentRefunded, svc.on_payment_refunded),
    }
