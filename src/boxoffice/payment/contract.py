"""What other services may know of payments: their events."""

from __future__ import annotations

from dataclasses import dataclass

from boxoffice.kernel.events import Event


@dataclass(frozen=True)
class PaymentCompleted(Event):
    type = "payment.payment.completed"
    payment_id: str
    booking_id: str
    amount: int
    currency: str


@dataclass(frozen=True)
class PaymentFailed(Event):
    type = "payment.payment.failed"
    payment_id: str
    booking_id: str
    reason: str


@dataclass(frozen=True)
class PaymentRefunded(Event):
    type = "payment.payment.refunded"
    payment_id: str
    booking_id: str
    user_id: str
    amount: int  # this refund
    currency: str
    reason: str
    refunded_total: int = 0  # every refund of the payment given back so far, this one included
    payment_amount: int = 0  # what was charged
