"""Notification event consumers: tell customers how their bookings went."""

from __future__ import annotations

from boxoffice.kernel.messaging import EventHandler
from boxoffice.notification.service import NotificationService


def event_handlers(svc: NotificationService) -> dict[str, dict[str, EventHandler]]:
    return {
        "notification-bookings": {
            "booking.booking.confirmed": svc.on_booking_event,
            "booking.booking.failed": svc.on_booking_event,
            "booking.booking.cancelled": svc.on_booking_event,
            "payment.payment.refunded": svc.on_booking_event,
        },
    }
