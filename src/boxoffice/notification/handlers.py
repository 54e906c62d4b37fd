"""Notification event consumers: tell customers how their bookings went."""

from __future__ import annotations

from boxoffice.booking.contract import BookingCancelled, BookingConfirmed, BookingFailed
from boxoffice.inventory.contract import WaitlistOffered
from boxoffice.kernel.messaging import HandlerTable
from boxoffice.notification.service import NotificationService
from boxoffice.payment.contract import PaymentRefunded


def event_handlers(svc: NotificationService) -> dict[str, HandlerTable]:
    return {
        "notification-bookings": HandlerTable()
        .on(BookingConfirmed, svc.on_event)
        .on(BookingFailed, svc.on_event)
        .on(BookingCancelled, svc.on_event)
        .on(PaymentRefunded, svc.on_event),
        "notification-waitlist": HandlerTable().on(WaitlistOffered, svc.on_event),
    }
