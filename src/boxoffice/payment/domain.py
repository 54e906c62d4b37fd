"""Payment rules: a payment's states, and how much may still be refunded."""

from __future__ import annotations

from enum import StrEnum

from boxoffice.kernel.errors import Conflict, InvalidRequest, NotFound


class PaymentStatus(StrEnum):
    PROCESSING = "processing"  # asked the provider, no answer yet
    CAPTURED = "captured"
    FAILED = "failed"
    REFUNDED = "refunded"  # fully refunded
    VOIDED = "voided"  # the booking gave up before the provider answered


class UnknownPayment(NotFound):
    title = "Unknown payment"


class RefundNotAllowed(Conflict):
    title = "Refund not allowed"


class InvalidRefund(InvalidRequest):
    title = "Invalid refund"


def refundable(status: PaymentStatus, amount: int, refunded: int) -> int:
    if status not in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        return 0
    return amount - refunded


def check_refund(status: PaymentStatus, amount: int, refunded: int, asked: int) -> None:
    left = refundable(status, amount, refunded)
    if left == 0:
        raise RefundNotAllowed("Nothing is left to refund on this payment.")
    if asked > left:
        raise InvalidRefund(f"At most {left} can still be refunded.", refundable=left)
