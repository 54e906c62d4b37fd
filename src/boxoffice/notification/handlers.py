"""Notification event consumers: tell customers how their bookings went, welcome them, send
their password resets."""

from __future__ import annotations

from boxoffice.booking.contract import BookingCancelled, BookingConfirmed, BookingFailed
from boxoffice.catalog.contract import ShowChanged
from boxoffice.identity.contract import (
    EmailChangeRequested,
    PasswordResetRequested,
    UserChanged,
    UserRegistered,
)
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
        "notification-catalog": HandlerTable().on(ShowChanged, svc.on_show_changed),
        "notification-identity": HandlerTable()
        .on(UserRegistered, svc.on_registered)
        .on(UserChanged, svc.on_user_changed)
        .on(PasswordResetRequested, svc.on_reset_requested)
        .on(EmailChangeRequested, svc.on_email_change),
    }
